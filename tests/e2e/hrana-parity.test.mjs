// The Python Hrana test server (tests/hrana_server) against the real libSQL server (sqld): the
// same raw Hrana pipelines go to both and the answers must be the same, field by field (batons
// and sqld's statistics fields aside). sqld is the reference: when this fails, fix the Python
// server. The differences that are known and not emulated are listed in
// tests/hrana_server/README.md ("Measured against sqld") and left out here.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { startHranaServer } from './adapters.mjs'
import { startSqld } from '../sqld.mjs'

const ex = (sql, extra = {}) => ({ type: 'execute', stmt: { sql, ...extra } })
const close = { type: 'close' }
const int = (v) => ({ type: 'integer', value: String(v) })

/** name -> a list of pipelines sent in order on one stream (each a list of requests). */
const CASES = [
  ['schema', [[{ type: 'sequence', sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE, b REAL, c BLOB, d); CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE ch (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL REFERENCES p(id))' }, close]]],
  ['values', [[ex("SELECT 1, 1.5, 'x', x'00ff', NULL, 9223372036854775807, -0.0, x'', 'é😀'"), close]]],
  ['float argument 42', [[ex('SELECT ?', { args: [{ type: 'float', value: 42 }] }), close]]],
  ['padded base64 blob', [[ex('SELECT ?', { args: [{ type: 'blob', base64: 'AP8=' }] }), close]]],
  ['named, every prefix', [[ex('SELECT :a, @b, $c', { named_args: [{ name: 'a', value: int(1) }, { name: '@b', value: { type: 'text', value: 'x' } }, { name: 'c', value: { type: 'null' } }] }), close]]],
  ['numbered', [[ex('SELECT ?2, ?1', { args: [int(1), int(2)] }), close]]],
  ['both kinds of arguments', [[ex('SELECT ?, :a', { args: [int(1)], named_args: [{ name: 'a', value: int(2) }] }), close]]],
  ['missing argument', [[ex('SELECT ?'), close]]],
  ['extra argument', [[ex('SELECT 1', { args: [int(1)] }), close]]],
  ['insert, returning, update, delete', [[ex("INSERT INTO t (a, d) VALUES ('x', 1)"), ex("INSERT INTO t (a) VALUES ('y') RETURNING id, a"), ex('UPDATE t SET d = 2'), ex("DELETE FROM t WHERE a = 'y'"), ex('SELECT * FROM t'), close]]],
  ['constraints', [[ex("INSERT INTO t (a) VALUES ('x')"), ex('INSERT INTO t (id) VALUES (1)'), ex('INSERT INTO ch (id) VALUES (1)'), ex('INSERT INTO ch (id, pid) VALUES (1, 99)'), close]]],
  ['missing table and column', [[ex('SELECT * FROM nope'), ex('SELECT zz FROM t'), ex('INSERT INTO t (zz) VALUES (1)'), close]]],
  ['syntax errors', [[ex('SELEC 1'), ex('  CREAT TABLE x (a)'), ex('SELECT 1 FROM'), close]]],
  ['several statements, none', [[ex('SELECT 1; SELECT 2'), ex(''), ex('-- only a comment'), close]]],
  ['unsupported statements', [[ex('VACUUM'), ex("ATTACH 'x.db' AS x"), ex('CREATE TEMP TABLE tt (x)'), close]]],
  ['value too big', [[ex('SELECT length(?)', { args: [{ type: 'text', value: 'x'.repeat(5_000_001) }] }), ex('SELECT length(?)', { args: [{ type: 'text', value: 'x'.repeat(5_000_000) }] }), close]]],
  ['want_rows false', [[ex('SELECT 1', { want_rows: false }), close]]],
  ['describe', [[{ type: 'describe', sql: 'SELECT a, ? FROM t WHERE id = :x' }, { type: 'describe', sql: 'SELEC' }, close]]],
  ['sequence', [[{ type: 'sequence', sql: "INSERT INTO t (a) VALUES ('s1'); INSERT INTO t (a) VALUES ('s1'); INSERT INTO t (a) VALUES ('s3')" }, ex('SELECT a FROM t ORDER BY id'), close]]],
  ['stored sql', [[{ type: 'store_sql', sql_id: 1, sql: 'SELECT 7' }, { type: 'execute', stmt: { sql_id: 1 } }, { type: 'close_sql', sql_id: 1 }, close]]],
  ['batch conditions', [[{ type: 'batch', batch: { steps: [{ stmt: { sql: 'BEGIN' } }, { condition: { type: 'ok', step: 0 }, stmt: { sql: "INSERT INTO t (a) VALUES ('b1')" } }, { condition: { type: 'ok', step: 1 }, stmt: { sql: "INSERT INTO t (a) VALUES ('b1')" } }, { condition: { type: 'error', step: 2 }, stmt: { sql: 'ROLLBACK' } }, { condition: { type: 'not', cond: { type: 'ok', step: 3 } }, stmt: { sql: 'COMMIT' } }, { condition: { type: 'and', conds: [] }, stmt: { sql: 'SELECT 2' } }, { condition: { type: 'or', conds: [] }, stmt: { sql: 'SELECT 3' } }] } }, ex("SELECT count(*) FROM t WHERE a = 'b1'"), close]]],
  ['a transaction over three pipelines', [[ex('BEGIN'), ex("INSERT INTO t (a) VALUES ('tx')")], [ex("SELECT count(*) FROM t WHERE a = 'tx'")], [ex('ROLLBACK'), close]]],
  ['a stream closed with its transaction open rolls back', [[ex('BEGIN'), ex("INSERT INTO t (a) VALUES ('open')")], [close], [ex("SELECT count(*) FROM t WHERE a = 'open'"), close]]],
  ['BEGIN READONLY (libSQL) is a deferred transaction that still writes', [[ex('BEGIN READONLY'), ex("INSERT INTO t (a) VALUES ('ro')"), ex('COMMIT'), ex("SELECT count(*) FROM t WHERE a = 'ro'"), close]]],
  ['text that is not UTF-8', [[ex("SELECT CAST(X'61ff62' AS TEXT)"), close]]],
  ['unknown request type', [[{ type: 'bogus' }, close]]],
]

// Batons differ by construction; sqld adds statistics; serde appends " at line L column C".
const norm = (text) => {
  let j
  try {
    j = JSON.parse(text)
  } catch {
    return text.replace(/ at line \d+ column \d+$/, '')
  }
  return JSON.parse(JSON.stringify(j, (k, v) => {
    if (['rows_read', 'rows_written', 'query_duration_ms', 'replication_index'].includes(k)) return undefined
    if (k === 'baton' && typeof v === 'string') return '<baton>'
    return v
  }))
}

async function run(url, pipelines) {
  const out = []
  let baton = null
  for (const requests of pipelines) {
    const r = await fetch(`${url}/v2/pipeline`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ baton, requests }) })
    const text = await r.text()
    const body = norm(text)
    baton = typeof body === 'object' ? (JSON.parse(text).baton ?? null) : null
    out.push({ status: r.status, body })
  }
  return out
}

describe('the Hrana test server answers like sqld', () => {
  let sqld
  let python
  let dir
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-parity-'))
    ;[sqld, python] = await Promise.all([startSqld(), startHranaServer(path.join(dir, 'test.db'))])
  })
  after(async () => {
    await Promise.all([sqld?.stop(), python?.stop()])
    fs.rmSync(dir, { recursive: true, force: true })
  })
  for (const [name, pipelines] of CASES) {
    it(name, async () => {
      const want = await run(sqld.url, pipelines)
      const got = await run(python.url, pipelines)
      assert.deepEqual(got, want)
    })
  }
})
