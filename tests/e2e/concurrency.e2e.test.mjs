// Concurrent Prisma transactions from one client must not fail each other: locally, over the
// Hrana test server (E2E_REMOTE=1) and over sqld (E2E_REMOTE=sqld).
//
// SQLite cannot commit two deferred transactions that both read a row and then write it (the
// later writer's snapshot is stale: SQLITE_BUSY). The official adapter runs one transaction at
// a time per client (a mutex, also around every plain query); ours does the same for
// transactions (locally the writer lane, remotely the engine's transaction lane), while plain
// queries outside a transaction keep running in parallel.
import { describe, it, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { adapterKinds, makeAdapter, freshDb, makePrisma } from './adapters.mjs'

const kinds = await adapterKinds()
// Generous limits: the tests assert outcomes, never speed.
const TX = { maxWait: 20_000, timeout: 20_000 }

for (const { kind, skip } of kinds) {
  describe(`[${kind}] concurrent Prisma transactions`, { skip }, () => {
    let db
    let prisma
    beforeEach(async () => {
      db = await freshDb()
      prisma = makePrisma(await makeAdapter(kind, db.url))
    })
    afterEach(async () => {
      await prisma?.$disconnect()
      await db?.cleanup()
    })

    it('ten interactive read-modify-write transactions at once: all commit, the count is 10', async () => {
      const user = await prisma.user.create({ data: { email: 'c@x.io', posts: { create: [{ title: 'counter' }] } }, include: { posts: true } })
      const id = user.posts[0].id
      const results = await Promise.allSettled(Array.from({ length: 10 }, () =>
        prisma.$transaction(async (tx) => {
          const c = await tx.post.findUnique({ where: { id } })
          await tx.post.update({ where: { id }, data: { views: c.views + 1 } })
        }, TX)))
      const failed = results.filter((r) => r.status === 'rejected').map((r) => `${r.reason?.code}: ${r.reason?.message}`)
      assert.deepEqual(failed, [])
      assert.equal((await prisma.post.findUnique({ where: { id } })).views, 10)
    })

    it('eight nested creates at once (a user with a profile, posts, tags and comments): all commit', async () => {
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) =>
        prisma.user.create({
          data: {
            email: `u${i}@x.io`,
            profile: { create: { bio: `bio ${i}` } },
            posts: {
              create: [
                { title: `p${i}a`, tags: { connectOrCreate: [{ where: { name: 'shared' }, create: { name: 'shared' } }, { where: { name: `t${i}` }, create: { name: `t${i}` } }] } },
                { title: `p${i}b`, comments: { create: [{ text: 'x' }, { text: 'y' }] } },
              ],
            },
          },
        })))
      const failed = results.filter((r) => r.status === 'rejected').map((r) => `${r.reason?.code}: ${r.reason?.message}`)
      assert.deepEqual(failed, [])
      assert.deepEqual(
        [await prisma.user.count(), await prisma.profile.count(), await prisma.post.count(), await prisma.comment.count(), await prisma.tag.count()],
        [8, 8, 16, 16, 9])
    })

    it('interactive transactions and batch transactions mixed: every one commits', async () => {
      await prisma.tag.create({ data: { name: 'base' } })
      const work = []
      for (let i = 0; i < 6; i++) {
        work.push(prisma.$transaction(async (tx) => {
          const n = await tx.tag.count()
          await tx.tag.create({ data: { name: `itx${i}-${n}` } })
        }, TX))
        work.push(prisma.$transaction([prisma.tag.create({ data: { name: `batch${i}` } }), prisma.tag.count()]))
      }
      const failed = (await Promise.allSettled(work)).filter((r) => r.status === 'rejected').map((r) => `${r.reason?.code}: ${r.reason?.message}`)
      assert.deepEqual(failed, [])
      assert.equal(await prisma.tag.count(), 13)
    })

    it('a plain query does not wait for an open transaction (official: it does, one mutex for all)', { skip: kind === 'official' && 'the official adapter serializes every query behind an open transaction' }, async () => {
      // The transaction stays open until a query made outside it has answered: if plain
      // queries waited for the transaction, this could never finish (Prisma's timeout ends it).
      await prisma.user.create({ data: { email: 'seen@x.io' } })
      let outside
      await prisma.$transaction(async (tx) => {
        await tx.user.create({ data: { email: 'inside@x.io' } })
        outside = await prisma.user.count()
      }, { maxWait: 20_000, timeout: 20_000 })
      assert.equal(outside, 1, 'the plain query sees only committed rows')
      assert.equal(await prisma.user.count(), 2)
    })
  })
}
