// The request deadline of ours (config `requestTimeout`, URL `?requestTimeout=`; default 300 s)
// through Prisma, against the Hrana test server made to stop answering (tests/hrana_server:
// the `hang` fault). A stalled server gives P1008 (SocketTimeout) instead of a hang, a write that
// timed out is not sent again (the server applied it at most once), and the client keeps working.
// The official adapter has no such option (@libsql/client's `timeout` is the busy timeout of
// local files; on Node its remote requests end only at fetch's own 300 s): only ours is run.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { adapterKinds, makeAdapter, freshDb, makePrisma, rejection } from '../e2e/adapters.mjs'

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
