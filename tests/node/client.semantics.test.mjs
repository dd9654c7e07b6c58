// createClient: call order, close() and reconnect(), LibsqlBatchError.statementIndex, each
// compared with @libsql/client 0.17.4 (the oracle) where the official has the behaviour.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as official from '@libsql/client'
import { loadOurs } from '../e2e/adapters.mjs'

const { module: ours, error } = await loadOurs()
const skip = error ? `libsql-cpp cannot be imported: ${error.message.split('\n')[0]}` : false
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-cpp-client-sem-'))
after(() => fs.rmSync(tmp, { recursive: true, force: true }))
let n = 0
const fileUrl = () => `file:${path.join(tmp, `db${n++}.db`)}`
const libs = [['official', official], ['ours', ours]]

describe('createClient: call order on a file (reads made after unsettled writes see them)', { skip }, () => {
  for (const [label, lib] of libs) {
    it(`${label}: Promise.all([insert, select]) and interleaved writes/reads/batches`, async () => {
      const c = lib.createClient({ url: fileUrl() })
      try {
        await c.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
        // Warm the readers and the inline path with the read first (it runs fast, unwritten).
        for (let i = 0; i < 20; i++) await c.execute('SELECT count(*) AS c FROM t')
        const calls = []
        for (let i = 0; i < 100; i++) {
          calls.push(c.execute({ sql: 'INSERT INTO t (v) VALUES (?)', args: [`v${i}`] }))
          calls.push(c.execute('SELECT count(*) AS c FROM t'))
          if (i % 10 === 9) {
            calls.push(c.batch([`INSERT INTO t (v) VALUES ('b${i}')`], 'write'))
            calls.push(c.batch(['SELECT count(*) AS c FROM t'], 'read'))
          }
        }
        const results = await Promise.all(calls)
        let expected = 0
        for (const r of results) {
          if (Array.isArray(r)) {
            if (r[0].columns.length === 0) expected++
            else assert.equal(r[0].rows[0].c, expected, 'a read batch sees the writes made before it')
          } else if (r.columns.length === 0) {
            expected++
          } else {
            assert.equal(r.rows[0].c, expected, 'a read sees the writes made before it')
          }
        }
        assert.equal(expected, 110)
        // A read transaction begun right after a write.
        const w = c.execute("INSERT INTO t (v) VALUES ('last')")
        const tx = await c.transaction('read')
        assert.equal((await tx.execute('SELECT count(*) AS c FROM t')).rows[0].c, 111)
        tx.close()
        await w
      } finally {
        await c.close()
      }
    })
  }

  it('ours: a read made while an interactive write transaction is open still runs (not queued behind it)', async () => {
    const c = ours.createClient({ url: fileUrl() })
    try {
      await c.execute('CREATE TABLE t (x)')
      const tx = await c.transaction('write')
      await tx.execute('INSERT INTO t VALUES (1)')
      assert.equal((await c.execute('SELECT count(*) AS c FROM t')).rows[0].c, 0)
      await tx.commit()
      assert.equal((await c.execute('SELECT count(*) AS c FROM t')).rows[0].c, 1)
    } finally {
      await c.close()
    }
  })
})

describe('createClient: close() and reconnect()', { skip }, () => {
  for (const kind of ['file', 'memory']) {
    it(`${kind}: close() during the open: closed at once, later calls CLIENT_CLOSED, files released when it resolves`, async () => {
      for (let i = 0; i < 5; i++) {
        const dir = fs.mkdtempSync(path.join(tmp, 'close-'))
        const url = kind === 'file' ? `file:${path.join(dir, 'x.db')}` : ':memory:'
        const c = ours.createClient({ url })
        const done = c.close()
        assert.equal(c.closed, true)
        for (const call of [() => c.execute('SELECT 1'), () => c.batch(['SELECT 1']), () => c.transaction(),
          () => c.executeMultiple('SELECT 1'), () => c.migrate(['SELECT 1'])]) {
          await assert.rejects(call(), (e) => e.name === 'LibsqlError' && e.code === 'CLIENT_CLOSED')
        }
        await done
        assert.equal(c.close(), done, 'a second close() is the same close')
        // Released: the directory can go at once (no retry), and the file opens elsewhere.
        if (kind === 'file') {
          const o = official.createClient({ url })
          assert.equal((await o.execute('PRAGMA integrity_check')).rows[0][0], 'ok')
          o.close()
        }
        fs.rmSync(dir, { recursive: true })
      }
    })
  }

  it('same as the official: closed flag, errors after close, reconnect() revives the client', async () => {
    const run = async (lib) => {
      const url = fileUrl()
      const c = lib.createClient({ url })
      const out = {}
      await c.execute('CREATE TABLE t (x)')
      await c.execute('INSERT INTO t VALUES (1)')
      c.close()
      out.closed = c.closed
      out.afterClose = await c.execute('SELECT 1').catch((e) => [e.name, e.code])
      await c.reconnect()
      out.reopened = c.closed
      out.rows = (await c.execute('SELECT x FROM t')).rows.map((r) => r.x)
      await c.reconnect() // while open: closes and opens again
      await c.execute('INSERT INTO t VALUES (2)')
      out.rows2 = (await c.execute('SELECT x FROM t ORDER BY x')).rows.map((r) => r.x)
      out.closedAgain = c.closed
      c.close()
      return out
    }
    const o = await run(official)
    const x = await run(ours)
    assert.deepStrictEqual(x, o)
    assert.deepStrictEqual(x.rows2, [1, 2])
    assert.deepStrictEqual(x.afterClose, ['LibsqlError', 'CLIENT_CLOSED'])
  })

  it('ours: reconnect() on :memory: gives a new, empty database (as the official) and closes older transactions', async () => {
    const c = ours.createClient({ url: ':memory:' })
    await c.execute('CREATE TABLE t (x)')
    const tx = await c.transaction('read')
    await c.reconnect()
    assert.equal(tx.closed, true)
    await assert.rejects(tx.execute('SELECT 1'), (e) => e.code === 'TRANSACTION_CLOSED')
    await assert.rejects(c.execute('SELECT * FROM t'), (e) => e.code === 'SQLITE_ERROR' && /no such table/.test(e.message))
    await c.close()
  })
})

describe('createClient: LibsqlBatchError.statementIndex as the official', { skip }, () => {
  const cases = [
    ['client batch', (c) => c.batch(['INSERT INTO t VALUES (1)', 'INSERT INTO t VALUES (2)', 'INSERT INTO t VALUES (1)', 'SELECT 1'], 'write')],
    ['client batch, first statement', (c) => c.batch(['SELEC 1', 'SELECT 2'])],
    ['migrate', (c) => c.migrate(['CREATE TABLE m (x)', 'INSERT INTO nope VALUES (1)'])],
    ['transaction batch', async (c) => {
      const tx = await c.transaction('write')
      try {
        return await tx.batch(['INSERT INTO t VALUES (5)', 'INSERT INTO t VALUES (6)', 'INSERT INTO t VALUES (5)'])
      } finally {
        tx.close()
      }
    }],
  ]
  for (const [name, fn] of cases) {
    it(name, async () => {
      const get = async (lib) => {
        const c = lib.createClient({ url: fileUrl() })
        try {
          await c.execute('CREATE TABLE t (x INTEGER PRIMARY KEY)')
          await fn(c)
          return null
        } catch (e) {
          return { name: e.name, statementIndex: e.statementIndex, code: e.code, extendedCode: e.extendedCode, batch: e instanceof lib.LibsqlBatchError, libsql: e instanceof lib.LibsqlError }
        } finally {
          c.close()
        }
      }
      const o = await get(official)
      assert.ok(o)
      assert.deepStrictEqual(await get(ours), o)
    })
  }
})
