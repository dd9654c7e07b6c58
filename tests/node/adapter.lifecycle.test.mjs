// Ours only: process lifetime, dispose, bad input, concurrency beside a transaction,
// worker threads. (The official adapter's behaviour here is covered in adapter.contract.)
// With E2E_REMOTE=1 the databases are served by the Hrana test server (tests/e2e/adapters.mjs)
// and the adapters under test talk Hrana/HTTP; tests about local files skip.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { PrismaLibSql } from 'libsql-cpp'
import { freshDb, REMOTE, localOnly, remoteOnly } from '../e2e/adapters.mjs'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-lifecycle-'))
let n = 0
const servers = []
/** A new empty database: a file URL, or in remote mode the URL of a Hrana server over one. */
async function dbUrl() {
  if (!REMOTE) return `file:${path.join(tmp, `db${n++}.db`)}`
  const db = await freshDb({ sql: null })
  servers.push(db)
  return db.url
}
after(async () => {
  await Promise.all(servers.map((db) => db.cleanup()))
  fs.rmSync(tmp, { recursive: true, force: true })
})
const q = (sql, args = [], argTypes = args.map(() => ({ scalarType: 'unknown', arity: 'scalar' }))) => ({ sql, args, argTypes })

function runNode(code) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: path.resolve(import.meta.dirname, '..', '..'), encoding: 'utf8', timeout: 20_000,
  })
}

describe('[ours] process lifetime and dispose', () => {
  it('an idle adapter that was never disposed does not keep the process alive', async () => {
    const r = runNode(`
      import { PrismaLibSql } from 'libsql-cpp'
      const a = await new PrismaLibSql({ url: ${JSON.stringify(await dbUrl())} }).connect()
      const rs = await a.queryRaw({ sql: 'SELECT 42 AS x', args: [], argTypes: [] })
      console.log(rs.rows[0][0])`)
    assert.equal(r.error, undefined, 'the child timed out')
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stdout.trim(), '42')
  })

  it('an open transaction at exit does not hang the process', async () => {
    const r = runNode(`
      import { PrismaLibSql } from 'libsql-cpp'
      const a = await new PrismaLibSql({ url: ${JSON.stringify(await dbUrl())} }).connect()
      await a.executeScript('CREATE TABLE t (x)')
      const tx = await a.startTransaction()
      await tx.executeRaw({ sql: 'INSERT INTO t VALUES (1)', args: [], argTypes: [] })
      console.log('left open')`)
    assert.equal(r.error, undefined, 'the child timed out')
    assert.equal(r.status, 0, r.stderr)
  })

  it('after dispose every call fails with ConnectionClosed, and dispose is idempotent', async () => {
    const a = await new PrismaLibSql({ url: await dbUrl() }).connect()
    await a.dispose()
    await a.dispose()
    for (const call of [
      () => a.queryRaw(q('SELECT 1')),
      () => a.executeRaw(q('SELECT 1')),
      () => a.executeScript('SELECT 1'),
      () => a.startTransaction(),
    ]) {
      await assert.rejects(call(), (e) => e.name === 'DriverAdapterError' && e.cause.kind === 'ConnectionClosed')
    }
  })

  it('a transaction of a disposed adapter fails instead of hanging', async () => {
    const a = await new PrismaLibSql({ url: await dbUrl() }).connect()
    const tx = await a.startTransaction()
    await a.dispose()
    await assert.rejects(tx.queryRaw(q('SELECT 1')), (e) => e.cause.kind === 'ConnectionClosed')
    await tx.rollback()  // like the official adapter: rollback never fails
  })

  it('runs inside a worker thread, and the worker can be terminated mid-use', async () => {
    const url = await dbUrl()
    const worker = new Worker(`
      const { parentPort } = require('node:worker_threads')
      const { PrismaLibSql } = require('libsql-cpp')
      ;(async () => {
        const a = await new PrismaLibSql({ url: ${JSON.stringify(url)} }).connect()
        const rs = await a.queryRaw({ sql: 'SELECT 7 AS x', args: [], argTypes: [] })
        parentPort.postMessage(rs.rows[0][0])
        for (;;) await a.queryRaw({ sql: 'SELECT 1', args: [], argTypes: [] })
      })()`, { eval: true })
    const first = await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject) })
    assert.equal(first, 7)
    assert.equal(await worker.terminate(), 1)
  })
})

describe('[ours] threads the addon starts are joined at environment cleanup', () => {
  it('a worker terminated while opens and disposes are in flight ends cleanly', { skip: localOnly('opens local files') }, () => {
    // In a child process, so that a crash (a thread outliving its environment) shows as a
    // failed exit. Each round: a worker starts four opens (two adapters, two createClient
    // clients) and a dispose without awaiting them, and is terminated at once.
    const dir = fs.mkdtempSync(path.join(tmp, 'inflight-'))
    const r = runNode(`
      import { Worker } from 'node:worker_threads'
      const dir = ${JSON.stringify(dir)}
      for (let round = 0; round < 5; round++) {
        const worker = new Worker(\`
          const { parentPort } = await import('node:worker_threads')
          const { PrismaLibSql, createClient } = await import('libsql-cpp')
          const url = (i) => 'file:' + ${JSON.stringify(dir)} + '/r\${round}-' + i + '.db'
          const pending = [0, 1].map((i) => new PrismaLibSql({ url: url(i) }).connect())
          for (const i of [2, 3]) createClient({ url: url(i) })
          pending[0].then((a) => a.dispose(), () => {})
          parentPort.postMessage('started')
        \`, { eval: true })
        await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject) })
        await worker.terminate()
      }
      console.log('ok')
    `)
    assert.equal(r.signal, null, r.stderr)
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stdout.trim(), 'ok')
  })
})

describe('[ours] bad input gets a clear error', () => {
  it('malformed URLs and unknown schemes', async () => {
    // Config errors are LibsqlErrors with a code, as @libsql/client throws them under the
    // official adapter (Prisma then reports the code); tests/e2e/differential.options.test.mjs
    // compares them with the official's.
    await assert.rejects(new PrismaLibSql({ url: 'postgres://x/y' }).connect(),
      (e) => e.name === 'LibsqlError' && e.code === 'URL_SCHEME_NOT_SUPPORTED' && /^URL_SCHEME_NOT_SUPPORTED: /.test(e.message))
    await assert.rejects(new PrismaLibSql({ url: 'not a url' }).connect(),
      (e) => e.name === 'LibsqlError' && e.code === 'URL_INVALID')
    await assert.rejects(new PrismaLibSql({ url: `file:${path.join(tmp, 'no', 'dir', 'x.db')}` }).connect(),
      (e) => e.cause.kind === 'sqlite' && /SQLITE_CANTOPEN/.test(e.cause.originalMessage))
  })

  it('wrong argument types', async () => {
    await assert.rejects(new PrismaLibSql(42).connect(), TypeError)
    await assert.rejects(new PrismaLibSql({ url: 5 }).connect(), TypeError)
    await assert.rejects(new PrismaLibSql({ url: ':memory:', syncInterval: 'soon' }).connect(), TypeError)
    const a = await new PrismaLibSql({ url: ':memory:' }).connect()
    await assert.rejects(a.queryRaw({ sql: 5, args: [], argTypes: [] }), TypeError)
    await assert.rejects(a.queryRaw({ sql: 'SELECT ?', args: 'x', argTypes: [] }), TypeError)
    await assert.rejects(a.queryRaw(q('SELECT ?', ['12x'], [{ scalarType: 'bigint', arity: 'scalar' }])),
      (e) => e.cause.kind === 'InvalidInputValue' && /argument 1/.test(e.cause.message))
    await assert.rejects(a.queryRaw(q('SELECT ?', [NaN], [{ scalarType: 'float', arity: 'scalar' }])),
      (e) => e.cause.kind === 'InvalidInputValue')
    await assert.rejects(a.queryRaw(q('SELECT ?, ?', [1])), (e) => e.cause.kind === 'InvalidInputValue')
    await assert.rejects(a.queryRaw(q('SELEKT 1')), (e) => e.cause.kind === 'sqlite' && /syntax error/.test(e.cause.message))
    assert.deepEqual((await a.queryRaw(q('SELECT 1 AS ok'))).rows, [[1]], 'still usable afterwards')
    await a.dispose()
  })

  it('a file that is not a database', { skip: localOnly('opens a local file') }, async () => {
    const file = path.join(tmp, 'garbage.db')
    fs.writeFileSync(file, 'x'.repeat(8192))
    await assert.rejects(new PrismaLibSql({ url: `file:${file}` }).connect(),
      (e) => e.cause.originalCode === '26' && /not a database/.test(e.cause.originalMessage))
  })
})

describe('[ours] concurrency', () => {
  it('reads run beside an open transaction; writes outside it wait for it', { timeout: 20_000 }, async () => {
    const a = await new PrismaLibSql({ url: await dbUrl() }).connect()
    await a.executeScript('CREATE TABLE t (x INTEGER)')
    const tx = await a.startTransaction()
    await tx.executeRaw(q('INSERT INTO t VALUES (1)'))
    let written = false
    const write = a.executeRaw(q('INSERT INTO t VALUES (2)')).then((r) => { written = true; return r })
    const outside = await a.queryRaw(q('SELECT count(*) AS n FROM t'))
    assert.deepEqual(outside.rows, [[0]], 'a read beside the transaction sees the committed state')
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(written, false, 'the write waits for the transaction')
    await tx.commit()
    assert.equal(await write, 1)
    assert.deepEqual((await a.queryRaw(q('SELECT x FROM t ORDER BY x'))).rows, [[1], [2]])
    await a.dispose()
  })

  it('many queries in flight at once all get their own results', async () => {
    const a = await new PrismaLibSql({ url: await dbUrl() }).connect()
    await a.executeScript(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO t SELECT i, 'v' || i FROM n;`)
    const ids = Array.from({ length: 500 }, (_, i) => i + 1)
    const results = await Promise.all(ids.map((id) =>
      a.queryRaw(q('SELECT v FROM t WHERE id = ?', [id], [{ scalarType: 'int', arity: 'scalar' }]))))
    results.forEach((r, i) => assert.deepEqual(r.rows, [[`v${i + 1}`]]))
    const writes = await Promise.all(ids.slice(0, 50).map((id) =>
      a.executeRaw(q('UPDATE t SET v = ? WHERE id = ?', [`w${id}`, id],
        [{ scalarType: 'string', arity: 'scalar' }, { scalarType: 'int', arity: 'scalar' }]))))
    assert.deepEqual(writes, ids.slice(0, 50).map(() => 1))
    await a.dispose()
  })
})
