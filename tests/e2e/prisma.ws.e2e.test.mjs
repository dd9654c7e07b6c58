// End-to-end over Hrana over WebSocket: the real generated Prisma Client (Prisma 7) on a fresh
// sqld through a `ws://` URL, per adapter kind (the official adapter reaches the same server
// through @libsql/client's WebSocket client). Always on sqld; runs in the remote pass only
// (E2E_REMOTE=1 or sqld), so that CI runs it once.
import { describe, it, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { adapterKinds, makeAdapter, freshDb, makePrisma, remoteOnly } from './adapters.mjs'
import { jwtKeyPair, SQLD_BINARY } from '../sqld.mjs'
import fs from 'node:fs'

const kinds = await adapterKinds()
const noSqld = remoteOnly('Prisma over ws:// on sqld') || (fs.existsSync(SQLD_BINARY) ? false : `no sqld at ${SQLD_BINARY}`)
const TX = { maxWait: 20_000, timeout: 20_000 }
const wsUrl = (url) => url.replace(/^http:/, 'ws:')

for (const { kind, skip } of kinds) {
  describe(`[${kind}] Prisma over ws:// on sqld`, { skip: skip || noSqld }, () => {
    let db
    let prisma
    beforeEach(async () => {
      db = await freshDb({ remote: true, server: 'sqld' })
      prisma = makePrisma(await makeAdapter(kind, wsUrl(db.url)))
    })
    afterEach(async () => {
      await prisma?.$disconnect()
      await db?.cleanup()
    })

    it('creates, reads, updates, deletes; an interactive transaction commits, a throwing one rolls back', async () => {
      const u = await prisma.user.create({ data: { email: 'a@x.io', posts: { create: [{ title: 'one' }, { title: 'two' }] } }, include: { posts: true } })
      assert.equal(u.posts.length, 2)
      assert.equal((await prisma.post.findMany({ where: { authorId: u.id }, orderBy: { id: 'asc' } })).map((p) => p.title).join(), 'one,two')
      await prisma.$transaction(async (tx) => {
        await tx.post.update({ where: { id: u.posts[0].id }, data: { title: 'uno' } })
        await tx.user.create({ data: { email: 'b@x.io' } })
      }, TX)
      await assert.rejects(prisma.$transaction(async (tx) => {
        await tx.user.create({ data: { email: 'c@x.io' } })
        throw new Error('boom')
      }, TX), /boom/)
      assert.deepEqual((await prisma.user.findMany({ orderBy: { email: 'asc' } })).map((x) => x.email), ['a@x.io', 'b@x.io'])
      assert.equal((await prisma.post.findUnique({ where: { id: u.posts[0].id } })).title, 'uno')
      await prisma.post.deleteMany({ where: { authorId: u.id } })
      assert.equal(await prisma.post.count(), 0)
      // A batch transaction.
      const [, n] = await prisma.$transaction([prisma.user.create({ data: { email: 'd@x.io' } }), prisma.user.count()])
      assert.equal(n, 3)
    })

    it('a unique violation is P2002 (ours; the official adapter loses the code remotely)', async () => {
      await prisma.user.create({ data: { email: 'dup@x.io' } })
      const e = await prisma.user.create({ data: { email: 'dup@x.io' } }).then(() => null, (err) => err)
      assert.ok(e, 'the second create fails')
      if (kind === 'ours') assert.equal(e.code, 'P2002', e.message)
      assert.equal(await prisma.user.count(), 1)
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
  })

  describe(`[${kind}] Prisma over ws:// on sqld with JWT auth`, { skip: skip || noSqld }, () => {
    it('a valid token works; a foreign one fails without the token in the message', async () => {
      const jwt = jwtKeyPair()
      const db = await freshDb({ remote: true, server: 'sqld', jwt })
      const good = makePrisma(await makeAdapter(kind, wsUrl(db.url), undefined, { authToken: jwt.sign() }))
      const foreign = jwtKeyPair().sign()
      const bad = makePrisma(await makeAdapter(kind, wsUrl(db.url), undefined, { authToken: foreign }))
      try {
        await good.user.create({ data: { email: 'ok@x.io' } })
        assert.equal(await good.user.count(), 1)
        const e = await bad.user.count().then(() => null, (err) => err)
        assert.ok(e, 'the foreign token is refused')
        assert.ok(!String(e.message).includes(foreign), 'the token never appears')
        if (kind === 'ours') assert.match(String(e.message), /AUTH_FAILED|credentials|Authentication/i)
      } finally {
        await good.$disconnect()
        await bad.$disconnect().catch(() => {})
        await db.cleanup()
      }
    })
  })
}

describe('[ours] createClient({ websocket: true }) takes libsql: URLs over WebSocket', { skip: noSqld }, () => {
  it('libsql:?tls=0 reaches sqld over WebSocket; an http: URL is refused as @libsql/client/ws refuses it', async () => {
    const { createClient } = await import('libsql-cpp/client')
    const db = await freshDb({ remote: true, server: 'sqld', sql: null })
    try {
      const client = createClient({ url: `libsql://127.0.0.1:${db.port ?? new URL(db.url).port}?tls=0`, websocket: true })
      assert.equal((await client.execute('SELECT 7 AS n')).rows[0].n, 7)
      client.close()
      await assert.rejects(async () => {
        const refused = createClient({ url: db.url, websocket: true })  // may open lazily
        try {
          await refused.execute('SELECT 1')
        } finally {
          refused.close()
        }
      }, (e) => e.code === 'URL_SCHEME_NOT_SUPPORTED')
    } finally {
      await db.cleanup()
    }
  })
})
