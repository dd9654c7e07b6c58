// HTTP round trips per Prisma operation over Hrana, counted by the Hrana test server
// (GET /_stats: pipeline_requests, requests_per_stream, connections) and on sqld by a counting
// proxy in front of it (tests/sqld.mjs), for ours and the official adapter. Always remote: every
// test starts its own servers (whatever E2E_REMOTE says).
//
// What ours must do (docs/hrana.md, "Streams, batons and interactive transactions"):
//  - a query outside a transaction is one POST (execute + close on a new stream);
//  - an interactive transaction of N statements is N+1 POSTs on one stream: BEGIN travels with
//    the first statement, COMMIT with the close; startTransaction() itself sends nothing;
//  - a batch $transaction([...]) is an interactive transaction for the adapter (Prisma calls
//    startTransaction, the statements, commit), so N statements are N+1 POSTs too;
//  - sequential calls reuse one keep-alive connection.
// The official adapter (@libsql/client over Hrana) measures the same counts; the test asserts
// them as well, so a change on either side shows. Timings are not asserted here: see
// tests/e2e/remote-timing.mjs.
import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { adapterKinds, makeAdapter, freshDb, makePrisma, recordingFactory } from '../e2e/adapters.mjs'

const kinds = await adapterKinds()

/** Runs `fn` and returns what the server saw meanwhile, plus the adapter calls Prisma made. */
async function counted(db, log, fn) {
  await db.server.control({ reset_stats: true })
  log.length = 0
  const result = await fn()
  const stats = await db.server.stats()
  const perStream = Object.values(stats.requests_per_stream ?? {})
  return {
    result,
    requests: stats.pipeline_requests,
    streams: stats.streams_opened,
    perStream,
    connections: stats.connections,
    queries: log.filter((l) => l.method === 'queryRaw' || l.method === 'executeRaw').length,
    calls: log.map((l) => l.method),
  }
}

/** The scenario: every operation measured on one warmed-up client over a fresh database. */
async function measure(kind, server) {
  const db = await freshDb({ remote: true, server, counting: true })
  const { factory, log } = recordingFactory(await makeAdapter(kind, db.url))
  const prisma = makePrisma(factory)
  try {
    // warm-up: connect, open the keep-alive connection, seed 16 users
    for (let i = 0; i < 16; i++) await prisma.user.create({ data: { email: `u${i}@x.io` } })
    const m = {}
    m.findUnique = await counted(db, log, () => prisma.user.findUnique({ where: { id: 1 } }))
    m.create = await counted(db, log, () => prisma.user.create({ data: { email: 'new@x.io' } }))
    m.interactive3 = await counted(db, log, () => prisma.$transaction(async (tx) => {
      const u = await tx.user.create({ data: { email: 'tx@x.io' } })
      await tx.post.create({ data: { title: 'in tx', authorId: u.id } })
      return tx.post.count()
    }))
    m.batch3 = await counted(db, log, () => prisma.$transaction([
      prisma.tag.create({ data: { name: 'a' } }),
      prisma.tag.create({ data: { name: 'b' } }),
      prisma.tag.count(),
    ]))
    // Prisma coalesces findUnique calls made in the same tick into one query...
    m.findUnique16 = await counted(db, log, () => Promise.all(Array.from({ length: 16 }, (_, i) => prisma.user.findUnique({ where: { id: i + 1 } }))))
    // ...but not findFirst: 16 independent queries
    m.findFirst16 = await counted(db, log, () => Promise.all(Array.from({ length: 16 }, (_, i) => prisma.user.findFirst({ where: { id: i + 1 } }))))
    m.sequential10 = await counted(db, log, async () => {
      for (let i = 0; i < 10; i++) await prisma.user.findFirst({ where: { id: (i % 16) + 1 } })
    })
    return m
  } finally {
    await prisma.$disconnect()
    await db.cleanup()
  }
}

const measured = { python: {}, sqld: {} }
const SERVERS = { python: 'Hrana test server', sqld: 'sqld, counted by a proxy' }
const OPS = ['findUnique', 'create', 'interactive3', 'batch3', 'findUnique16', 'findFirst16', 'sequential10']

for (const server of Object.keys(SERVERS)) {
for (const { kind, skip } of kinds) {
  describe(`[${kind}] HTTP requests per Prisma operation (${SERVERS[server]})`, { skip }, () => {
    let m
    before(async () => {
      m = measured[server][kind] = await measure(kind, server)
    })

    it('a query outside a transaction is one request on its own stream', () => {
      for (const op of ['findUnique', 'create']) {
        assert.equal(m[op].queries, 1, `${op}: one adapter query`)
        assert.equal(m[op].requests, 1, `${op}: requests`)
        assert.equal(m[op].streams, 1, `${op}: streams`)
      }
    })

    it('an interactive transaction of 3 statements is 3 + 1 requests on one stream (commit included)', () => {
      const t = m.interactive3
      assert.equal(t.result, 1)
      assert.deepEqual(t.calls, ['startTransaction', 'queryRaw', 'queryRaw', 'queryRaw', 'commit'])
      assert.equal(t.requests, t.queries + 1)
      assert.equal(t.requests, 4)
      assert.deepEqual(t.perStream, [4], 'one stream carries the whole transaction')
    })

    it('a batch $transaction([...]) of 3 is 3 + 1 requests on one stream', () => {
      const t = m.batch3
      assert.equal(t.result[2], 2)
      assert.deepEqual(t.calls, ['startTransaction', 'queryRaw', 'queryRaw', 'queryRaw', 'commit'])
      assert.equal(t.requests, t.queries + 1)
      assert.equal(t.requests, 4)
      assert.deepEqual(t.perStream, [4])
    })

    it('16 concurrent findUnique are one query (Prisma batches them); 16 findFirst are 16 requests', () => {
      assert.equal(m.findUnique16.result.filter(Boolean).length, 16)
      assert.equal(m.findUnique16.queries, 1)
      assert.equal(m.findUnique16.requests, 1)
      assert.equal(m.findFirst16.result.filter(Boolean).length, 16)
      assert.equal(m.findFirst16.queries, 16)
      assert.equal(m.findFirst16.requests, 16)
      assert.equal(m.findFirst16.streams, 16)
    })

    it('sequential queries reuse one keep-alive connection', () => {
      assert.equal(m.sequential10.requests, 10)
      assert.ok(m.sequential10.connections <= 1, `${m.sequential10.connections} new connections for 10 sequential queries`)
    })
  })
}

describe(`request counts: ours never needs more round trips than the official adapter (${SERVERS[server]})`, { skip: kinds.some((k) => k.skip) || kinds.length < 2 ? 'needs both adapters' : false }, () => {
  it('per operation', (t) => {
    const { ours, official } = measured[server]
    const rows = OPS.map((op) => `${op.padEnd(14)} ours ${String(ours[op].requests).padStart(3)}   official ${String(official[op].requests).padStart(3)}`)
    for (const r of rows) t.diagnostic(r)
    for (const op of OPS) {
      assert.ok(ours[op].requests <= official[op].requests, `${op}: ours ${ours[op].requests} > official ${official[op].requests}`)
    }
  })
})
}
