// encryptionKey on local files, differential: files written by the official client
// (@libsql/client 0.17.4, libSQL's encryption) open in ours and the reverse, including a WAL
// and a rollback journal left behind by a killed process of either side.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createClient } from '@libsql/client'
import { PrismaLibSql } from 'libsql-cpp'
import { localOnly } from '../e2e/adapters.mjs'

const KEY = 'enc-test-key: correct horse battery staple'
const WRONG = 'enc-test-wrong-key-1234567890'
const MARKER = 'ENCRYPTION-TEST-MARKER-0123456789'
const root = path.resolve(import.meta.dirname, '..', '..')
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-encryption-'))
let n = 0
const newPath = () => path.join(tmp, `db${n++}.db`)
after(() => fs.rmSync(tmp, { recursive: true, force: true }))

const q = (sql, args = []) => ({ sql, args, argTypes: args.map(() => ({ scalarType: 'unknown', arity: 'scalar' })) })

async function ours(file, encryptionKey) {
  return new PrismaLibSql({ url: `file:${file}`, encryptionKey }).connect()
}
async function oursRows(file, sql, key) {
  const a = await ours(file, key)
  try {
    return (await a.queryRaw(q(sql))).rows
  } finally {
    await a.dispose()
  }
}
async function officialRows(file, sql, key) {
  const c = createClient({ url: `file:${file}`, encryptionKey: key })
  try {
    return (await c.execute(sql)).rows.map((r) => Array.from(r))
  } finally {
    c.close()
  }
}
/** A child process that runs `body` (an async module body with `file` and `KEY` defined),
 * then kills itself with SIGKILL: whatever it left on disk stays as it was. */
function runAndKill(file, body) {
  const code = `
    import { createClient } from '@libsql/client'
    import { PrismaLibSql } from 'libsql-cpp'
    const file = ${JSON.stringify(file)}, KEY = ${JSON.stringify(KEY)}, MARKER = ${JSON.stringify(MARKER)}
    const q = (sql, args = []) => ({ sql, args, argTypes: args.map(() => ({ scalarType: 'unknown', arity: 'scalar' })) })
    ${body}
    process.kill(process.pid, 'SIGKILL')`
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8', timeout: 30_000 })
  assert.equal(r.error, undefined, 'the child timed out')
  assert.equal(r.signal, 'SIGKILL', `the child did not get to its kill: ${r.stderr}`)
}
const fileBytes = (file) => (fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0))
const plaintextIn = (file) => fileBytes(file).includes(MARKER) || fileBytes(file).includes('SQLite format 3')
function assertNotADb(e, ...keys) {
  const text = `${e?.message} ${JSON.stringify(e?.cause ?? {})} ${e?.stack ?? ''}`
  assert.match(text, /not a database|NOTADB|\b26\b/, text)
  for (const k of keys) assert.ok(!text.includes(k), `the key appears in the error: ${text}`)
}

describe('encryptionKey: files of the official client and ours', { skip: localOnly('local files') }, () => {
  it('official writes (rollback journal mode), ours reads; a wrong or missing key is NOTADB', async () => {
    const file = newPath()
    const c = createClient({ url: `file:${file}`, encryptionKey: KEY })
    await c.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT, n REAL)')
    await c.batch([1, 2, 3].map((i) => ({ sql: 'INSERT INTO t (note, n) VALUES (?, ?)', args: [`${MARKER}-${i}`, i / 2] })), 'write')
    c.close()
    assert.ok(!plaintextIn(file), 'the official file is encrypted')

    assert.deepEqual(await oursRows(file, 'SELECT id, note, n FROM t ORDER BY id', KEY), [
      [1, `${MARKER}-1`, 0.5], [2, `${MARKER}-2`, 1], [3, `${MARKER}-3`, 1.5]])
    await assert.rejects(ours(file, WRONG), (e) => (assertNotADb(e, WRONG, KEY), true))
    await assert.rejects(oursRows(file, 'SELECT * FROM t', undefined), (e) => (assertNotADb(e, KEY), true))
    // Ours opened it (and switched it to WAL): the official still reads it, with the key only.
    assert.deepEqual(await officialRows(file, 'SELECT count(*), max(note) FROM t', KEY), [[3, `${MARKER}-3`]])
    await assert.rejects(officialRows(file, 'SELECT * FROM t', WRONG), (e) => (assertNotADb(e), true))
  })

  it('ours writes, the official reads; without the key it cannot', async () => {
    const file = newPath()
    const a = await ours(file, KEY)
    await a.executeScript(`CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT, b BLOB);
      CREATE INDEX t_note ON t(note);`)
    for (let i = 1; i <= 200; i++) {
      await a.executeRaw(q('INSERT INTO t (note, b) VALUES (?, randomblob(64))', [`${MARKER}-${i}`]))
    }
    await a.dispose()
    assert.ok(!plaintextIn(file), 'our file is encrypted')
    assert.deepEqual(await officialRows(file, "SELECT count(*), max(id) FROM t WHERE note LIKE 'ENCRYPTION%'", KEY), [[200, 200]])
    assert.deepEqual(await officialRows(file, 'PRAGMA integrity_check', KEY), [['ok']])
    await assert.rejects(officialRows(file, 'SELECT 1 FROM t', undefined), (e) => (assertNotADb(e), true))
    await assert.rejects(officialRows(file, 'SELECT 1 FROM t', WRONG), (e) => (assertNotADb(e), true))
  })

  it('a WAL the official client left unckeckpointed is read by ours, then by the official again', async () => {
    const file = newPath()
    runAndKill(file, `
      const c = createClient({ url: 'file:' + file, encryptionKey: KEY })
      await c.execute('PRAGMA journal_mode=WAL')
      await c.execute('PRAGMA wal_autocheckpoint=0')
      await c.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)')
      for (let i = 1; i <= 50; i++) await c.execute({ sql: 'INSERT INTO t (note) VALUES (?)', args: [MARKER + '-' + i] })`)
    assert.ok(fileBytes(`${file}-wal`).length > 4096, 'the official left a WAL')
    assert.ok(!plaintextIn(`${file}-wal`) && !plaintextIn(file), 'its WAL is encrypted')

    const a = await ours(file, KEY)
    assert.deepEqual((await a.queryRaw(q('SELECT count(*), max(note) FROM t'))).rows, [[50, `${MARKER}-9`]])
    assert.deepEqual((await a.queryRaw(q('PRAGMA integrity_check'))).rows, [['ok']])
    await a.executeRaw(q('INSERT INTO t (note) VALUES (?)', ['ours']))
    await a.dispose()  // the last connection: checkpoints the WAL into the file
    assert.deepEqual(await officialRows(file, 'SELECT count(*) FROM t', KEY), [[51]])
    assert.deepEqual(await officialRows(file, 'PRAGMA integrity_check', KEY), [['ok']])
  })

  it('a WAL ours left unckeckpointed is read by the official client, then by ours again', async () => {
    const file = newPath()
    runAndKill(file, `
      const a = await new PrismaLibSql({ url: 'file:' + file, encryptionKey: KEY }).connect()
      await a.executeScript('CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)')
      for (let i = 1; i <= 50; i++) await a.executeRaw(q('INSERT INTO t (note) VALUES (?)', [MARKER + '-' + i]))`)
    assert.ok(fileBytes(`${file}-wal`).length > 4096, 'ours left a WAL')
    assert.ok(!plaintextIn(`${file}-wal`) && !plaintextIn(file), 'our WAL is encrypted')

    const c = createClient({ url: `file:${file}`, encryptionKey: KEY })
    assert.deepEqual((await c.execute('SELECT count(*), max(note) FROM t')).rows.map((r) => Array.from(r)), [[50, `${MARKER}-9`]])
    assert.deepEqual((await c.execute('PRAGMA integrity_check')).rows.map((r) => Array.from(r)), [['ok']])
    await c.execute("INSERT INTO t (note) VALUES ('official')")
    c.close()
    assert.deepEqual(await oursRows(file, 'SELECT count(*) FROM t', KEY), [[51]])
    assert.deepEqual(await oursRows(file, 'PRAGMA integrity_check', KEY), [['ok']])
  })

  it('a hot rollback journal of a killed official transaction is rolled back by ours', async () => {
    const file = newPath()
    runAndKill(file, `
      const c = createClient({ url: 'file:' + file, encryptionKey: KEY })
      await c.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)')
      await c.execute({ sql: 'INSERT INTO t (note) VALUES (?)', args: ['committed'] })
      // A tiny cache makes the open transaction spill changed pages into the file itself.
      await c.execute('PRAGMA cache_size=2')
      await c.execute('BEGIN IMMEDIATE')
      for (let i = 0; i < 400; i++) await c.execute({ sql: 'INSERT INTO t (note) VALUES (?)', args: [MARKER + '-' + 'x'.repeat(200)] })`)
    assert.ok(fileBytes(`${file}-journal`).length > 0, 'the official left a hot journal')
    assert.ok(fileBytes(file).length > 8 * 4096, 'the open transaction spilled pages into the file')
    assert.ok(!plaintextIn(`${file}-journal`), 'its journal is encrypted')
    assert.deepEqual(await oursRows(file, 'SELECT count(*), max(note) FROM t', KEY), [[1, 'committed']])
    assert.deepEqual(await oursRows(file, 'PRAGMA integrity_check', KEY), [['ok']])
    assert.deepEqual(await officialRows(file, 'SELECT count(*) FROM t', KEY), [[1]])
  })
})
