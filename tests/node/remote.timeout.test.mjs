// The request deadline of ours (config `requestTimeout`, URL `?requestTimeout=`; default 300 s)
// through Prisma, against the Hrana test server made to stop answering (tests/hrana_server:
// the `hang` fault). A stalled server gives P1008 (SocketTimeout) instead of a hang, a write that
// timed out is not sent again (the server applied it at most once), and the client keeps working.
// The official adapter has no such option (@libsql/client's `timeout` is the busy timeout of
// local files; on Node its remote requests end only at fetch's own 300 s): only ours is run.
// Last, `timeout` keeps @libsql/client's meaning in ours: the busy timeout of a local file
// (against a lock held by another process, python3's sqlite3).
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { adapterKinds, makeAdapter, freshDb, makePrisma, rejection, loadOurs } from '../e2e/adapters.mjs'

const ours = (await adapterKinds()).find((k) => k.kind === 'ours')
const skip = !ours ? 'ours is not among the requested adapters' : ours.skip

describe('remote request timeout (ours, through Prisma)', { skip }, () => {
  let db
  before(async () => {
    db = await freshDb({ remote: true, server: 'python' })
  })
  after(async () => {
    await db?.cleanup()
  })

  async function users(prisma, email) {
    return prisma.user.count({ where: { email } })
  }

  it('a server that stops answering gives P1008; the write is applied at most once, never resent', { timeout: 60_000 }, async () => {
    const prisma = makePrisma(await makeAdapter('ours', db.url, undefined, { requestTimeout: 500 }))
    try {
      await prisma.user.create({ data: { email: 'warm@x.io' } })
      for (const [when, expected] of [['after', 1], ['before', 0]]) {
        const email = `stalled-${when}@x.io`
        await db.server.control({ reset_stats: true })
        await db.server.control({ fault: 'hang', count: 1, when })
        const e = await rejection(prisma.user.create({ data: { email } }))
        assert.equal(e.code, 'P1008', `${when}: ${e.message}`)
        assert.match(e.message, /timed out/i)
        const stats = await db.server.stats()
        assert.equal(stats.pipeline_requests, 1, `${when}: the request reached the server once`)
        await db.server.control({ reset: true })
        assert.equal(await users(prisma, email), expected, `${when}: the server ran it ${expected} time(s)`)
      }
      // The client goes on working.
      await prisma.user.create({ data: { email: 'after@x.io' } })
      assert.equal(await users(prisma, 'after@x.io'), 1)
    } finally {
      await prisma.$disconnect()
    }
  })

  it('an interactive transaction whose statement times out fails with P1008 and leaves nothing', { timeout: 60_000 }, async () => {
    const prisma = makePrisma(await makeAdapter('ours', db.url, undefined, { requestTimeout: 500 }))
    try {
      await prisma.user.count()
      const e = await rejection(prisma.$transaction(async (tx) => {
        await tx.user.create({ data: { email: 'tx-first@x.io' } })
        await db.server.control({ fault: 'hang', count: 1 })
        await tx.user.create({ data: { email: 'tx-second@x.io' } })
      }, { maxWait: 30_000, timeout: 30_000 }))
      assert.equal(e.code, 'P1008', e.message)
      await db.server.control({ reset: true, expire_streams: true })
      assert.equal(await users(prisma, 'tx-first@x.io'), 0, 'rolled back')
      assert.equal(await users(prisma, 'tx-second@x.io'), 0)
      await prisma.$transaction(async (tx) => tx.user.create({ data: { email: 'tx-next@x.io' } }))
      assert.equal(await users(prisma, 'tx-next@x.io'), 1)
    } finally {
      await prisma.$disconnect()
    }
  })

  it('the URL option works too, and `timeout` keeps @libsql/client\'s meaning (no deadline remotely)', { timeout: 60_000 }, async () => {
    const viaUrl = makePrisma(await makeAdapter('ours', `${db.url}?requestTimeout=400`))
    try {
      await viaUrl.user.count()
      await db.server.control({ fault: 'hang', count: 1 })
      const e = await rejection(viaUrl.user.count())
      assert.equal(e.code, 'P1008', e.message)
      await db.server.control({ reset: true })
      // `timeout: 1` would be a 1 ms deadline if it were the request timeout: it is not, here
      // (as in @libsql/client, remote clients ignore it). The server answers after 300 ms.
      const legacy = makePrisma(await makeAdapter('ours', db.url, undefined, { timeout: 1 }))
      try {
        await db.server.control({ delay_ms: 300 })
        assert.equal(typeof (await legacy.user.count()), 'number')
      } finally {
        await db.server.control({ reset: true })
        await legacy.$disconnect()
      }
    } finally {
      await viaUrl.$disconnect()
    }
  })
})

describe('`timeout` is the busy timeout of a local file, as in @libsql/client (ours)', { skip }, () => {
  it('timeout 0 fails at once on a lock another process holds; busyTimeout wins over it', { timeout: 60_000 }, async () => {
    const { createClient } = (await loadOurs()).module
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-cpp-timeout-'))
    const file = path.join(dir, 'db.db')
    const url = `file:${file}`
    try {
      const setup = createClient({ url })
      await setup.execute('CREATE TABLE t (v TEXT)')
      setup.close()
      // [config, what the INSERT gives while another process holds the write lock for 500 ms]
      for (const [config, expected] of [[{ timeout: 0 }, 'SQLITE_BUSY'], [{ timeout: 0, busyTimeout: 20_000 }, 'ok']]) {
        // The holder: python3's sqlite3 in BEGIN IMMEDIATE until it reads a line.
        const py = spawn(process.env.PYTHON ?? 'python3', ['-c', [
          'import sqlite3, sys',
          `c = sqlite3.connect(${JSON.stringify(file)}, isolation_level=None)`,
          "c.execute('BEGIN IMMEDIATE')",
          "c.execute(\"INSERT INTO t VALUES ('holder')\")",
          "print('locked', flush=True)",
          'sys.stdin.readline()',
          "c.execute('COMMIT')",
        ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] })
        await new Promise((resolve) => py.stdout.once('data', resolve))
        const c = createClient({ url, ...config })
        try {
          const write = c.execute("INSERT INTO t VALUES ('client')").then(() => 'ok', (e) => e.code ?? e.message)
          // The holder lets go once the write settled, or after 500 ms (bounded either way).
          await Promise.race([write, new Promise((resolve) => setTimeout(resolve, 500))])
          py.stdin.end('\n')
          await new Promise((resolve) => py.once('exit', resolve))
          assert.equal(await write, expected, JSON.stringify(config))
        } finally {
          c.close()
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
