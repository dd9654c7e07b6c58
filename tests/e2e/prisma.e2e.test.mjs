// End-to-end: the real generated Prisma Client (Prisma 7) over a driver adapter, per kind in
// E2E_ADAPTERS (default official,ours). Each test gets a fresh migrated database file.
//
// Where the official adapter has a known defect (docs/prisma-adapter-contract.md, "Improve": integers above 2^53,
// missing table/column), the test asserts the official behaviour on 'official' and the better
// behaviour on 'ours'.
//
// E2E_REMOTE=1 runs the same tests over Hrana/HTTP against the Hrana test server (see
// adapters.mjs). Over Hrana the server sends only a code name and a message (sqld style:
// `SQLITE_CONSTRAINT`, "SQLite error: UNIQUE constraint failed: User.email"). The official
// adapter then loses every SQLite code: constraint violations become the generic `sqlite` kind,
// so Prisma reports P2039 "Database error. Code: `N/A`" instead of P2002/P2003/P2011. Ours maps
// the code name and message back to the same kinds and extended codes as locally. Those
// remote outcomes are asserted explicitly per kind below (`remoteOfficial`).
import { describe, it, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { adapterKinds, makeAdapter, freshDb, makePrisma, loadPrismaModule, recordingFactory, withLibsql, rejection, REMOTE, remoteOnly } from './adapters.mjs'
import { jwtKeyPair } from '../sqld.mjs'

const { Prisma } = loadPrismaModule()
const kinds = await adapterKinds()

const D1 = new Date('2024-01-02T03:04:05.678Z')
const D2 = new Date('1999-12-31T23:59:59.999Z')

/** A full AllTypes row (required fields only unless `opt`). */
function allTypesData(id, extra = {}) {
  return {
    id,
    string: `str-${id}`,
    int: -2147483648,
    bigInt: 9007199254740991n,
    float: 1.25,
    decimal: '12345.6789',
    boolean: true,
    dateTime: D1,
    json: { nested: { list: [1, 'two', null, true], n: 1.5 } },
    bytes: Uint8Array.from([0, 1, 2, 254, 255]),
    role: 'ADMIN',
    ...extra,
  }
}

const optAll = {
  optString: 'ö ✓ 😀',
  optInt: 2147483647,
  optBigInt: -9007199254740991n,
  optFloat: -0.5,
  optDecimal: '-0.001',
  optBoolean: false,
  optDateTime: D2,
  optJson: ['a', 1, { b: null }],
  optBytes: Uint8Array.from([]),
  optRole: 'GUEST',
}

/** Prisma errors compared by what users see: class, code, meta (driverAdapterError by cause). */
function prismaError(e) {
  const { driverAdapterError, ...meta } = e.meta ?? {}
  return { name: e.constructor?.name, code: e.code, meta, cause: driverAdapterError?.cause }
}

/**
 * What the official adapter gives over Hrana for a SQLite failure the server reports as
 * `message` with code name `code` (measured): no originalCode, the generic `sqlite` kind, and
 * the LibsqlError text `<code>: <server message>` as both messages.
 */
function officialHranaCause(message) {
  return { originalCode: undefined, originalMessage: message, kind: 'sqlite', extendedCode: 1, message }
}

for (const { kind, skip } of kinds) {
  const official = kind === 'official'
  const remoteOfficial = REMOTE && official

  describe(`[${kind}] Prisma Client end-to-end`, { skip }, () => {
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

    async function seedBlog() {
      const alice = await prisma.user.create({
        data: {
          email: 'alice@example.com', name: 'Alice', role: 'ADMIN', age: 30, createdAt: D1,
          profile: { create: { bio: 'Hi, I am Alice' } },
          posts: {
            create: [
              { title: 'Hello', content: 'first', published: true, views: 10, tags: { create: [{ name: 'intro' }, { name: 'news' }] } },
              { title: 'Draft', views: 0 },
              { title: 'Deep dive', content: 'long', published: true, views: 250, tags: { connect: [{ name: 'news' }] }, comments: { create: [{ text: 'nice' }, { text: 'great' }] } },
            ],
          },
        },
        include: { profile: true, posts: { include: { tags: true }, orderBy: { id: 'asc' } } },
      })
      const bob = await prisma.user.create({
        data: {
          email: 'bob@example.com', name: 'Bob', age: 25, createdAt: D2,
          posts: { create: [{ title: 'Bob post', published: true, views: 5, tags: { connectOrCreate: [{ where: { name: 'news' }, create: { name: 'news' } }, { where: { name: 'misc' }, create: { name: 'misc' } }] } }] },
        },
      })
      const carol = await prisma.user.create({ data: { email: 'carol@example.com', createdAt: D2, role: 'GUEST' } })
      return { alice, bob, carol }
    }

    it('CRUD: create, read, update, upsert, delete', async () => {
      const u = await prisma.user.create({ data: { email: 'a@x.io', name: 'A', createdAt: D1 } })
      assert.deepEqual(u, { id: 1, email: 'a@x.io', name: 'A', role: 'USER', age: null, createdAt: D1 })
      assert.deepEqual(await prisma.user.findUnique({ where: { email: 'a@x.io' } }), u)
      assert.equal(await prisma.user.findUnique({ where: { email: 'nobody@x.io' } }), null)
      const up = await prisma.user.update({ where: { id: u.id }, data: { name: 'A2', age: { increment: 5 } } })
      assert.deepEqual([up.name, up.age], ['A2', null]) // null + 5 stays null in SQL
      const up2 = await prisma.user.update({ where: { id: u.id }, data: { age: 1 } })
      assert.equal((await prisma.user.update({ where: { id: up2.id }, data: { age: { multiply: 7 } } })).age, 7)
      const created = await prisma.user.upsert({ where: { email: 'b@x.io' }, create: { email: 'b@x.io', createdAt: D2 }, update: { name: 'never' } })
      assert.equal(created.name, null)
      const updated = await prisma.user.upsert({ where: { email: 'b@x.io' }, create: { email: 'b@x.io' }, update: { name: 'upserted' } })
      assert.deepEqual([updated.id, updated.name], [created.id, 'upserted'])
      assert.deepEqual(await prisma.user.updateMany({ where: { email: { endsWith: '@x.io' } }, data: { role: 'GUEST' } }), { count: 2 })
      assert.deepEqual(await prisma.user.createMany({ data: [{ email: 'c@x.io' }, { email: 'd@x.io' }] }), { count: 2 })
      const many = await prisma.user.createManyAndReturn({ data: [{ email: 'e@x.io', age: 1 }, { email: 'f@x.io', age: 2 }], select: { email: true, age: true } })
      assert.deepEqual(many, [{ email: 'e@x.io', age: 1 }, { email: 'f@x.io', age: 2 }])
      assert.deepEqual(await prisma.user.delete({ where: { id: u.id }, select: { email: true } }), { email: 'a@x.io' })
      assert.deepEqual(await prisma.user.deleteMany({ where: { role: 'USER' } }), { count: 4 })
      assert.equal(await prisma.user.count(), 1)
    })

    it('every scalar type round-trips, required and optional', async () => {
      const full = await prisma.allTypes.create({ data: allTypesData('full', optAll) })
      const bare = await prisma.allTypes.create({ data: allTypesData('bare', { role: 'USER', boolean: false, json: 'just a string' }) })
      for (const row of [full, await prisma.allTypes.findUnique({ where: { id: 'full' } })]) {
        assert.equal(row.string, 'str-full')
        assert.equal(row.int, -2147483648)
        assert.equal(row.bigInt, 9007199254740991n)
        assert.equal(row.float, 1.25)
        assert.ok(Prisma.Decimal.isDecimal(row.decimal))
        assert.equal(row.decimal.toString(), '12345.6789')
        assert.equal(row.boolean, true)
        assert.deepEqual(row.dateTime, D1)
        assert.deepEqual(row.json, { nested: { list: [1, 'two', null, true], n: 1.5 } })
        assert.ok(row.bytes instanceof Uint8Array)
        assert.deepEqual([...row.bytes], [0, 1, 2, 254, 255])
        assert.equal(row.role, 'ADMIN')
        assert.equal(row.optString, 'ö ✓ 😀')
        assert.equal(row.optInt, 2147483647)
        assert.equal(row.optBigInt, -9007199254740991n)
        assert.equal(row.optFloat, -0.5)
        assert.equal(row.optDecimal.toString(), '-0.001')
        assert.equal(row.optBoolean, false)
        assert.deepEqual(row.optDateTime, D2)
        assert.deepEqual(row.optJson, ['a', 1, { b: null }])
        assert.deepEqual([...row.optBytes], [])
        assert.equal(row.optRole, 'GUEST')
      }
      const b = await prisma.allTypes.findUniqueOrThrow({ where: { id: 'bare' } })
      assert.deepEqual([b.boolean, b.json, b.role], [false, 'just a string', 'USER'])
      for (const k of Object.keys(optAll)) assert.equal(b[k], null, k)
      assert.equal(bare.optJson, null)
      // set and clear optional fields
      const set = await prisma.allTypes.update({ where: { id: 'bare' }, data: optAll })
      assert.equal(set.optBigInt, -9007199254740991n)
      const cleared = await prisma.allTypes.update({ where: { id: 'bare' }, data: Object.fromEntries(Object.keys(optAll).map((k) => [k, k === 'optJson' ? Prisma.DbNull : null])) })
      for (const k of Object.keys(optAll)) assert.equal(cleared[k], null, k)
    })

    it('filters on every scalar type', async () => {
      await prisma.allTypes.create({ data: allTypesData('a', optAll) })
      await prisma.allTypes.create({ data: allTypesData('b', { int: 5, bigInt: 5n, float: 9.5, decimal: '0.5', boolean: false, dateTime: D2, bytes: Uint8Array.from([7]), role: 'USER', string: 'other' }) })
      const ids = async (where) => (await prisma.allTypes.findMany({ where, select: { id: true }, orderBy: { id: 'asc' } })).map((r) => r.id)
      assert.deepEqual(await ids({ int: { gt: 0 } }), ['b'])
      assert.deepEqual(await ids({ bigInt: { gte: 9007199254740991n } }), ['a'])
      assert.deepEqual(await ids({ float: { lt: 2 } }), ['a'])
      assert.deepEqual(await ids({ decimal: { lt: new Prisma.Decimal('1') } }), ['b'])
      assert.deepEqual(await ids({ boolean: false }), ['b'])
      assert.deepEqual(await ids({ dateTime: { lt: D1 } }), ['b'])
      assert.deepEqual(await ids({ dateTime: D1 }), ['a'])
      assert.deepEqual(await ids({ bytes: Uint8Array.from([7]) }), ['b'])
      assert.deepEqual(await ids({ role: { in: ['USER', 'GUEST'] } }), ['b'])
      assert.deepEqual(await ids({ string: { startsWith: 'str-' } }), ['a'])
      assert.deepEqual(await ids({ optString: null }), ['b'])
      assert.deepEqual(await ids({ optString: { not: null } }), ['a'])
      assert.deepEqual(await ids({ optBigInt: { lt: 0n } }), ['a'])
      assert.deepEqual(await ids({ optDateTime: { equals: D2 } }), ['a'])
      assert.deepEqual(await ids({ NOT: { int: 5 } }), ['a'])
      assert.deepEqual(await ids({ OR: [{ int: 5 }, { optRole: 'GUEST' }] }), ['a', 'b'])
    })

    it('nested writes and relation reads (1:1, 1:n, m:n)', async () => {
      const { alice, bob } = await seedBlog()
      assert.equal(alice.profile.bio, 'Hi, I am Alice')
      assert.deepEqual(alice.posts.map((p) => [p.title, p.tags.map((t) => t.name).sort()]), [['Hello', ['intro', 'news']], ['Draft', []], ['Deep dive', ['news']]])
      const news = await prisma.tag.findUnique({ where: { name: 'news' }, include: { posts: { select: { title: true }, orderBy: { title: 'asc' } } } })
      assert.deepEqual(news.posts.map((p) => p.title), ['Bob post', 'Deep dive', 'Hello'])
      // nested update: update one post, create another, disconnect a tag, update the profile
      await prisma.user.update({
        where: { id: bob.id },
        data: {
          profile: { create: { bio: 'Bob bio' } },
          posts: {
            updateMany: { where: { title: 'Bob post' }, data: { views: { increment: 1 } } },
            create: { title: 'Bob second' },
          },
        },
      })
      const bobPost = await prisma.post.findFirstOrThrow({ where: { title: 'Bob post' } })
      await prisma.post.update({ where: { id: bobPost.id }, data: { tags: { disconnect: { name: 'misc' } } } })
      const bobNow = await prisma.user.findUnique({
        where: { id: bob.id },
        select: { profile: { select: { bio: true } }, posts: { select: { title: true, views: true, tags: { select: { name: true } } }, orderBy: { id: 'asc' } }, _count: { select: { posts: true } } },
      })
      assert.deepEqual(bobNow, {
        profile: { bio: 'Bob bio' },
        posts: [{ title: 'Bob post', views: 6, tags: [{ name: 'news' }] }, { title: 'Bob second', views: 0, tags: [] }],
        _count: { posts: 2 },
      })
      // relation filters
      const withNews = await prisma.user.findMany({ where: { posts: { some: { tags: { some: { name: 'news' } } } } }, select: { name: true }, orderBy: { name: 'asc' } })
      assert.deepEqual(withNews, [{ name: 'Alice' }, { name: 'Bob' }])
      const noPosts = await prisma.user.findMany({ where: { posts: { none: {} } }, select: { email: true } })
      assert.deepEqual(noPosts, [{ email: 'carol@example.com' }])
      const allPublished = await prisma.user.findMany({ where: { posts: { every: { published: true } }, NOT: { posts: { none: {} } } }, select: { name: true } })
      assert.deepEqual(allPublished, [])
      assert.deepEqual(await prisma.profile.findMany({ where: { user: { is: { role: 'ADMIN' } } }, select: { bio: true } }), [{ bio: 'Hi, I am Alice' }])
    })

    it('onDelete: Cascade removes the profile, posts, comments and m:n links, not the tags', async () => {
      const { alice } = await seedBlog()
      await prisma.user.delete({ where: { id: alice.id } })
      assert.equal(await prisma.profile.count({ where: { userId: alice.id } }), 0)
      assert.equal(await prisma.post.count({ where: { authorId: alice.id } }), 0)
      assert.equal(await prisma.comment.count(), 0)
      assert.deepEqual((await prisma.tag.findMany({ orderBy: { name: 'asc' }, select: { name: true } })).map((t) => t.name), ['intro', 'misc', 'news'])
      const [{ n }] = await prisma.$queryRaw`SELECT count(*) AS n FROM _PostToTag`
      assert.equal(n, 2) // Bob's post: news + misc
    })

    it('ordering, pagination, cursor and distinct', async () => {
      await seedBlog()
      const byViews = await prisma.post.findMany({ orderBy: [{ published: 'desc' }, { views: 'desc' }], select: { title: true } })
      assert.deepEqual(byViews.map((p) => p.title), ['Deep dive', 'Hello', 'Bob post', 'Draft'])
      const page2 = await prisma.post.findMany({ orderBy: { id: 'asc' }, skip: 1, take: 2, select: { id: true } })
      assert.deepEqual(page2.map((p) => p.id), [2, 3])
      const cursor = await prisma.post.findMany({ cursor: { id: 2 }, take: 2, orderBy: { id: 'asc' }, select: { id: true } })
      assert.deepEqual(cursor.map((p) => p.id), [2, 3])
      const back = await prisma.post.findMany({ cursor: { id: 3 }, take: -2, orderBy: { id: 'asc' }, select: { id: true } })
      assert.deepEqual(back.map((p) => p.id), [2, 3])
      const nullsLast = await prisma.post.findMany({ orderBy: { content: { sort: 'asc', nulls: 'last' } }, select: { content: true } })
      assert.deepEqual(nullsLast.map((p) => p.content), ['first', 'long', null, null])
      const distinct = await prisma.post.findMany({ distinct: ['authorId'], orderBy: { id: 'asc' }, select: { authorId: true } })
      assert.deepEqual(distinct, [{ authorId: 1 }, { authorId: 2 }])
      const byRelation = await prisma.user.findMany({ orderBy: { posts: { _count: 'desc' } }, select: { email: true } })
      assert.deepEqual(byRelation.map((u) => u.email), ['alice@example.com', 'bob@example.com', 'carol@example.com'])
      const insensitive = await prisma.user.findMany({ where: { name: { contains: 'LIC' } }, select: { name: true } })
      assert.deepEqual(insensitive, [{ name: 'Alice' }]) // SQLite LIKE is case-insensitive for ASCII
    })

    it('aggregate, count and groupBy', async () => {
      await seedBlog()
      const agg = await prisma.post.aggregate({ _count: { _all: true, content: true }, _sum: { views: true }, _avg: { views: true }, _min: { views: true, title: true }, _max: { views: true } })
      assert.deepEqual(agg, { _count: { _all: 4, content: 2 }, _sum: { views: 265 }, _avg: { views: 66.25 }, _min: { views: 0, title: 'Bob post' }, _max: { views: 250 } })
      assert.equal(await prisma.post.count({ where: { published: true } }), 3)
      assert.deepEqual(await prisma.post.count({ select: { _all: true, content: true } }), { _all: 4, content: 2 })
      const groups = await prisma.post.groupBy({ by: ['authorId', 'published'], _count: { _all: true }, _sum: { views: true }, orderBy: [{ authorId: 'asc' }, { published: 'asc' }] })
      assert.deepEqual(groups, [
        { authorId: 1, published: false, _count: { _all: 1 }, _sum: { views: 0 } },
        { authorId: 1, published: true, _count: { _all: 2 }, _sum: { views: 260 } },
        { authorId: 2, published: true, _count: { _all: 1 }, _sum: { views: 5 } },
      ])
      const having = await prisma.post.groupBy({ by: ['authorId'], having: { views: { _sum: { gt: 100 } } }, _max: { views: true } })
      assert.deepEqual(having, [{ authorId: 1, _max: { views: 250 } }])
      await prisma.allTypes.create({ data: allTypesData('x', { bigInt: 100n, decimal: '1.5' }) })
      await prisma.allTypes.create({ data: allTypesData('y', { bigInt: 23n, decimal: '2.25', role: 'USER' }) })
      const sums = await prisma.allTypes.aggregate({ _sum: { bigInt: true, decimal: true, float: true }, _min: { dateTime: true }, _max: { bytes: true } })
      assert.equal(sums._sum.bigInt, 123n)
      assert.equal(sums._sum.decimal.toString(), '3.75')
      assert.equal(sums._sum.float, 2.5)
      assert.deepEqual(sums._min.dateTime, D1)
      assert.deepEqual([...sums._max.bytes], [0, 1, 2, 254, 255])
      const byRole = await prisma.allTypes.groupBy({ by: ['role'], _sum: { bigInt: true }, orderBy: { role: 'asc' } })
      assert.deepEqual(byRole, [{ role: 'ADMIN', _sum: { bigInt: 100n } }, { role: 'USER', _sum: { bigInt: 23n } }])
    })

    it('$queryRaw returns every storage class; $executeRaw returns the change count', async () => {
      const [row] = await prisma.$queryRaw`SELECT 1 AS i, -1.5 AS r, 'txt' AS t, x'00ff' AS b, NULL AS n, 9007199254740991 AS maxsafe`
      assert.deepEqual({ ...row, b: [...row.b] }, { i: 1, r: -1.5, t: 'txt', b: [0, 255], n: null, maxsafe: 9007199254740991 })
      assert.ok(row.b instanceof Uint8Array)
      // typed columns are deserialised by declared type
      await prisma.allTypes.create({ data: allTypesData('raw', optAll) })
      const [typed] = await prisma.$queryRaw`SELECT bigInt, decimal, boolean, dateTime, json, bytes, optDateTime FROM AllTypes WHERE id = ${'raw'}`
      assert.equal(typed.bigInt, 9007199254740991n)
      assert.ok(Prisma.Decimal.isDecimal(typed.decimal))
      assert.equal(typed.decimal.toString(), '12345.6789')
      assert.equal(typed.boolean, true)
      assert.deepEqual(typed.dateTime, D1)
      assert.deepEqual(typed.json, { nested: { list: [1, 'two', null, true], n: 1.5 } })
      assert.deepEqual([...typed.bytes], [0, 1, 2, 254, 255])
      assert.deepEqual(typed.optDateTime, D2)
      // parameters of every JS type
      const [p] = await prisma.$queryRaw`SELECT ${42} AS i, ${'s'} AS s, ${2.5} AS f, ${10n} AS big, ${D1} AS d, ${Uint8Array.from([1, 2])} AS by, ${new Prisma.Decimal('1.25')} AS dec, ${null} AS n`
      assert.deepEqual({ ...p, by: [...p.by] }, { i: 42, s: 's', f: 2.5, big: 10, d: '2024-01-02T03:04:05.678+00:00', by: [1, 2], dec: 1.25, n: null })
      assert.equal(await prisma.$executeRaw`INSERT INTO Tag (name) VALUES (${'r1'}), (${'r2'})`, 2)
      assert.equal(await prisma.$executeRawUnsafe('UPDATE Tag SET name = name || ?', '!'), 2)
      assert.deepEqual(await prisma.$queryRawUnsafe('SELECT name FROM Tag WHERE name LIKE ? ORDER BY id', 'r%'), [{ name: 'r1!' }, { name: 'r2!' }])
      assert.equal(await prisma.$executeRaw`DELETE FROM Tag WHERE id = ${-1}`, 0)
    })

    it('interactive transaction commits', async () => {
      const result = await prisma.$transaction(async (tx) => {
        const u = await tx.user.create({ data: { email: 'tx@x.io' } })
        await tx.post.create({ data: { title: 'in tx', authorId: u.id } })
        assert.equal(await tx.post.count(), 1) // sees its own writes
        return u.id
      })
      assert.equal(result, 1)
      assert.equal(await prisma.post.count(), 1)
    })

    it('interactive transaction rolls back when the callback throws', async () => {
      await prisma.user.create({ data: { email: 'keep@x.io' } })
      const e = await rejection(prisma.$transaction(async (tx) => {
        await tx.user.create({ data: { email: 'gone@x.io' } })
        await tx.user.update({ where: { email: 'keep@x.io' }, data: { name: 'changed' } })
        throw new Error('boom')
      }))
      assert.equal(e.message, 'boom')
      assert.deepEqual(await prisma.user.findMany({ select: { email: true, name: true } }), [{ email: 'keep@x.io', name: null }])
    })

    it('interactive transaction rolls back on a database error and reports it', async () => {
      await prisma.user.create({ data: { email: 'dup@x.io' } })
      const e = await rejection(prisma.$transaction(async (tx) => {
        await tx.tag.create({ data: { name: 'gone' } })
        await tx.user.create({ data: { email: 'dup@x.io' } })
      }))
      // official over Hrana: the unique violation comes back as a generic database error
      assert.equal(e.code, remoteOfficial ? 'P2039' : 'P2002')
      assert.equal(await prisma.tag.count(), 0)
    })

    it('batch $transaction([...]) returns every result, and rolls back as a whole', async () => {
      const [u, tags, count] = await prisma.$transaction([
        prisma.user.create({ data: { email: 'batch@x.io' } }),
        prisma.tag.createMany({ data: [{ name: 'b1' }, { name: 'b2' }] }),
        prisma.tag.count(),
      ])
      assert.equal(u.email, 'batch@x.io')
      assert.deepEqual(tags, { count: 2 })
      assert.equal(count, 2)
      const e = await rejection(prisma.$transaction([
        prisma.tag.create({ data: { name: 'b3' } }),
        prisma.tag.create({ data: { name: 'b1' } }),
      ]))
      assert.equal(e.code, remoteOfficial ? 'P2039' : 'P2002')
      if (remoteOfficial) {
        // the batch error is a LibsqlBatchError, whose text repeats the code name
        assert.deepEqual(e.meta.driverAdapterError.cause, officialHranaCause('SQLITE_CONSTRAINT: SQLITE_CONSTRAINT: SQLite error: UNIQUE constraint failed: Tag.name'))
      }
      assert.equal(await prisma.tag.count(), 2)
    })

    it('P2002 unique constraint, single and compound', async () => {
      await prisma.user.create({ data: { email: 'u@x.io', posts: { create: { title: 'T' } } } })
      const e = await rejection(prisma.user.create({ data: { email: 'u@x.io' } }))
      if (remoteOfficial) {
        const message = 'SQLITE_CONSTRAINT: SQLite error: UNIQUE constraint failed: User.email'
        assert.deepEqual(prismaError(e), { name: 'PrismaClientKnownRequestError', code: 'P2039', meta: { modelName: 'User' }, cause: officialHranaCause(message) })
        assert.match(e.message, /Database error\. Code: `N\/A`\. Message: `SQLITE_CONSTRAINT: SQLite error: UNIQUE constraint failed: User\.email`/)
        const e2 = await rejection(prisma.post.create({ data: { title: 'T', authorId: 1 } }))
        assert.equal(e2.code, 'P2039')
        assert.deepEqual(e2.meta.driverAdapterError.cause, officialHranaCause('SQLITE_CONSTRAINT: SQLite error: UNIQUE constraint failed: Post.authorId, Post.title'))
        return
      }
      assert.deepEqual(prismaError(e), {
        name: 'PrismaClientKnownRequestError', code: 'P2002', meta: { modelName: 'User' },
        cause: { originalCode: '2067', originalMessage: 'SQLITE_CONSTRAINT: UNIQUE constraint failed: User.email', kind: 'UniqueConstraintViolation', constraint: { fields: ['email'] }, table: 'User' },
      })
      assert.match(e.message, /Unique constraint failed on the fields: \(`email`\)/)
      const e2 = await rejection(prisma.post.create({ data: { title: 'T', authorId: 1 } }))
      assert.equal(e2.code, 'P2002')
      assert.deepEqual(e2.meta.driverAdapterError.cause.constraint, { fields: ['authorId', 'title'] })
    })

    it('P2003 foreign key constraint', async () => {
      const e = await rejection(prisma.post.create({ data: { title: 'orphan', authorId: 999 } }))
      if (remoteOfficial) {
        assert.deepEqual(prismaError(e), {
          name: 'PrismaClientKnownRequestError', code: 'P2039', meta: { modelName: 'Post' },
          cause: officialHranaCause('SQLITE_CONSTRAINT: SQLite error: FOREIGN KEY constraint failed'),
        })
        return
      }
      assert.deepEqual(prismaError(e), {
        name: 'PrismaClientKnownRequestError', code: 'P2003', meta: { modelName: 'Post' },
        cause: { originalCode: '787', originalMessage: 'SQLITE_CONSTRAINT: FOREIGN KEY constraint failed', kind: 'ForeignKeyConstraintViolation', constraint: { foreignKey: {} } },
      })
    })

    it('P2011 null constraint', async () => {
      const e = await rejection(prisma.notNullProbe.create({ data: {} }))
      if (remoteOfficial) {
        assert.deepEqual(prismaError(e), {
          name: 'PrismaClientKnownRequestError', code: 'P2039', meta: { modelName: 'NotNullProbe' },
          cause: officialHranaCause('SQLITE_CONSTRAINT: SQLite error: NOT NULL constraint failed: NotNullProbe.value'),
        })
        return
      }
      assert.deepEqual(prismaError(e), {
        name: 'PrismaClientKnownRequestError', code: 'P2011', meta: { modelName: 'NotNullProbe' },
        cause: { originalCode: '1299', originalMessage: 'SQLITE_CONSTRAINT: NOT NULL constraint failed: NotNullProbe.value', kind: 'NullConstraintViolation', constraint: { fields: ['value'] } },
      })
    })

    it('P2025 record not found (update, delete, findUniqueOrThrow)', async () => {
      const u = await rejection(prisma.user.update({ where: { id: 999 }, data: { name: 'x' } }))
      assert.deepEqual([u.code, u.meta], ['P2025', { modelName: 'User', operation: 'an update' }])
      const d = await rejection(prisma.user.delete({ where: { id: 999 } }))
      assert.deepEqual([d.code, d.meta], ['P2025', { modelName: 'User', operation: 'a delete' }])
      const f = await rejection(prisma.user.findUniqueOrThrow({ where: { id: 999 } }))
      assert.equal(f.code, 'P2025')
    })

    it('raw query errors are P2010 with the SQLite code and message', async () => {
      const e = await rejection(prisma.$queryRaw`SELEC 1`)
      assert.equal(e.code, 'P2010')
      if (!REMOTE) {
        assert.match(e.message, /Raw query failed\. Code: `1`\. Message: `SQLITE_ERROR: near "SELEC": syntax error`/)
      } else if (official) {
        // the server's own parser rejects it (sqld: SQL_PARSE_ERROR), and the code is lost
        assert.match(e.message, /Raw query failed\. Code: `N\/A`\. Message: `SQL_PARSE_ERROR: SQL string could not be parsed: syntax error around L1:6: `SELEC``/)
      } else {
        // ours: SQLITE_ERROR (1) as locally; the text after it is the server parser's message
        assert.match(e.message, /Raw query failed\. Code: `1`\. Message: `SQLITE_ERROR: syntax error around L1:6: `SELEC``/)
      }
      await prisma.tag.create({ data: { name: 'dup' } })
      const u = await rejection(prisma.$executeRaw`INSERT INTO Tag (name) VALUES ('dup')`)
      assert.equal(u.code, 'P2010')
      assert.equal(u.meta.driverAdapterError.cause.kind, remoteOfficial ? 'sqlite' : 'UniqueConstraintViolation')
    })

    it('a missing table is P2021 (official: P2039 "Database error")', async () => {
      await withLibsql(db.url, (c) => c.execute('DROP TABLE Comment'))
      const e = await rejection(prisma.comment.findMany())
      if (official) {
        assert.equal(e.code, 'P2039')
        if (REMOTE) assert.match(e.message, /Database error\. Code: `N\/A`\. Message: `SQLITE_UNKNOWN: SQLite error: no such table: main\.Comment`/)
        else assert.match(e.message, /Database error\. Code: `1`\. Message: `SQLITE_ERROR: no such table: main\.Comment`/)
        assert.equal(e.meta.driverAdapterError.cause.kind, 'sqlite')
      } else {
        assert.equal(e.code, 'P2021')
        assert.deepEqual(e.meta.driverAdapterError.cause, { originalCode: '1', originalMessage: 'SQLITE_ERROR: no such table: main.Comment', kind: 'TableDoesNotExist', table: 'main.Comment' })
      }
    })

    it('a missing column is P2022 (official: P2039 on reads, P2022 on inserts)', async () => {
      await withLibsql(db.url, (c) => c.execute('ALTER TABLE Profile DROP COLUMN bio'))
      await prisma.user.create({ data: { email: 'p@x.io' } })
      const read = await rejection(prisma.profile.findMany())
      if (official) {
        assert.equal(read.code, 'P2039')
        assert.match(read.message, /no such column: main\.Profile\.bio/)
      } else {
        assert.equal(read.code, 'P2022')
        assert.deepEqual(read.meta.driverAdapterError.cause, { originalCode: '1', originalMessage: 'SQLITE_ERROR: no such column: main.Profile.bio', kind: 'ColumnNotFound', column: 'main.Profile.bio' })
      }
      // "table X has no column named Y" is matched by the official adapter too
      const insert = await rejection(prisma.profile.create({ data: { bio: 'x', userId: 1 } }))
      assert.equal(insert.code, 'P2022')
      assert.deepEqual(insert.meta.driverAdapterError.cause, remoteOfficial
        ? { originalCode: undefined, originalMessage: 'SQLITE_UNKNOWN: SQLite error: table main.Profile has no column named bio', kind: 'ColumnNotFound', column: 'bio' }
        : { originalCode: '1', originalMessage: 'SQLITE_ERROR: table main.Profile has no column named bio', kind: 'ColumnNotFound', column: 'bio' })
    })

    it('a BigInt field above 2^53 round-trips exactly (official: RangeError)', async () => {
      const big = 2n ** 62n + 3n
      const neg = -(2n ** 63n)
      const create = prisma.allTypes.create({ data: allTypesData('big', { bigInt: big, optBigInt: neg }) })
      if (official) {
        const e = await rejection(create)
        assert.equal(e.name, 'RangeError')
        // libsql-js locally, hrana-client remotely: the same defect, worded differently
        assert.equal(e.message, REMOTE
          ? 'Received integer which is too large to be safely represented as a JavaScript number'
          : 'Received integer which cannot be safely represented as a JavaScript number')
        // the INSERT itself went through (the error comes from reading RETURNING)
        const [{ v }] = await withLibsql(db.url, async (c) => (await c.execute("SELECT CAST(bigInt AS TEXT) AS v FROM AllTypes WHERE id = 'big'")).rows)
        assert.equal(v, String(big))
        await assert.rejects(prisma.allTypes.findUnique({ where: { id: 'big' } }), RangeError)
        await assert.rejects(prisma.allTypes.aggregate({ _sum: { bigInt: true } }), RangeError)
        await assert.rejects(prisma.$queryRaw`SELECT bigInt FROM AllTypes`, RangeError)
        return
      }
      const row = await create
      assert.equal(row.bigInt, big)
      assert.equal(row.optBigInt, neg)
      const found = await prisma.allTypes.findUnique({ where: { id: 'big' } })
      assert.deepEqual([found.bigInt, found.optBigInt], [big, neg])
      assert.deepEqual((await prisma.allTypes.findMany({ where: { bigInt: { gt: 2n ** 62n } }, select: { id: true } })), [{ id: 'big' }])
      await prisma.allTypes.create({ data: allTypesData('small', { bigInt: 5n }) })
      const agg = await prisma.allTypes.aggregate({ _sum: { bigInt: true }, _max: { bigInt: true }, _min: { optBigInt: true } })
      assert.deepEqual(agg, { _sum: { bigInt: big + 5n }, _max: { bigInt: big }, _min: { optBigInt: neg } })
      const [raw] = await prisma.$queryRaw`SELECT bigInt, ${big} AS param FROM AllTypes WHERE id = 'big'`
      assert.equal(raw.bigInt, big)
      assert.equal(BigInt(raw.param), big)
    })

    it('large IN lists and createMany are split by maxBindValues and still work', async () => {
      const { factory, log } = recordingFactory(await makeAdapter(kind, db.url))
      const p2 = makePrisma(factory)
      try {
        const n = 2500
        assert.deepEqual(await p2.tag.createMany({ data: Array.from({ length: n }, (_, i) => ({ name: `t${i}` })) }), { count: n })
        const ids = Array.from({ length: n }, (_, i) => i + 1)
        const found = await p2.tag.findMany({ where: { id: { in: ids } }, select: { id: true } })
        assert.equal(found.length, n)
        assert.equal(await p2.tag.deleteMany({ where: { id: { in: ids } } }).then((r) => r.count), n)
        const limit = official ? 999 : undefined // official has no getConnectionInfo: Prisma's SQLite default
        if (limit) {
          const maxArgs = Math.max(...log.filter((l) => l.args).map((l) => l.args.length))
          assert.equal(maxArgs, limit)
        }
      } finally {
        await p2.$disconnect()
      }
    })

    it("timestampFormat 'unixepoch-ms' stores integers and reads them back as dates", async () => {
      const p2 = makePrisma(await makeAdapter(kind, db.url, { timestampFormat: 'unixepoch-ms' }))
      try {
        const u = await p2.user.create({ data: { email: 'ms@x.io', createdAt: D1 } })
        assert.deepEqual(u.createdAt, D1)
        const rows = await withLibsql(db.url, async (c) => (await c.execute("SELECT typeof(createdAt) AS t, createdAt AS v FROM User WHERE email = 'ms@x.io'")).rows)
        assert.deepEqual([rows[0].t, rows[0].v], ['integer', D1.getTime()])
        assert.deepEqual((await p2.user.findFirst({ where: { createdAt: { gte: D1 } } })).createdAt, D1)
      } finally {
        await p2.$disconnect()
      }
    })
  })

  describe(`[${kind}] Prisma Client on sqld with JWT auth (as Turso)`, { skip }, () => {
    it('a valid token works; a missing, expired or foreign one is P1000 (official: P2039), never showing the token', async () => {
      const jwt = jwtKeyPair()
      const db = await freshDb({ remote: true, server: 'sqld', jwt })
      try {
        const now = Math.floor(Date.now() / 1000)
        const good = jwt.sign({ exp: now + 3600 })
        const cases = [
          ['missing', undefined, 'Expected authorization header but none given'],
          ['expired', jwt.sign({ iat: now - 7200, exp: now - 3600 }), 'The JWT has expired'],
          ['foreign', jwtKeyPair().sign(), 'The JWT is invalid'],
        ]
        for (const [name, authToken, reason] of cases) {
          const prisma = makePrisma(await makeAdapter(kind, db.url, undefined, authToken ? { authToken } : {}))
          try {
            const e = await rejection(prisma.user.count())
            if (official) {
              assert.equal(e.code, 'P2039', name)
            } else {
              assert.equal(e.code, 'P1000', name)
              assert.deepEqual({ ...e.meta.driverAdapterError.cause }, { kind: 'AuthenticationFailed', originalCode: 'AUTH_FAILED', originalMessage: `AUTH_FAILED: the server rejected the credentials (HTTP 401): Unauthorized: \`${reason}\`` }, name)
            }
            if (authToken) assert.ok(!`${e.message} ${JSON.stringify(e.meta)}`.includes(authToken.split('.')[2]), `${name}: the token is not shown`)
          } finally {
            await prisma.$disconnect()
          }
        }
        const prisma = makePrisma(await makeAdapter(kind, db.url, undefined, { authToken: good }))
        try {
          await prisma.user.create({ data: { email: 'jwt@x.io' } })
          await prisma.$transaction(async (tx) => tx.user.update({ where: { email: 'jwt@x.io' }, data: { name: 'ok' } }))
          assert.equal((await prisma.user.findUnique({ where: { email: 'jwt@x.io' } })).name, 'ok')
        } finally {
          await prisma.$disconnect()
        }
      } finally {
        await db.cleanup()
      }
    })
  })

  describe(`[${kind}] Prisma Client over Hrana: connection failures`, { skip: skip || remoteOnly('needs the Hrana test server') }, () => {
    it('a server that went away is P1001 (official: a bare TypeError "fetch failed")', async () => {
      const db = await freshDb()
      const prisma = makePrisma(await makeAdapter(kind, db.url))
      try {
        await prisma.user.create({ data: { email: 'a@x.io' } })
        await db.server.stop()
        const e = await rejection(prisma.user.findMany())
        if (official) {
          assert.equal(e.name, 'TypeError')
          assert.equal(e.message, 'fetch failed')
          assert.equal(e.cause?.code, 'ECONNREFUSED')
        } else {
          assert.equal(e.code, 'P1001')
          assert.match(e.message, /Can't reach database server/)
          const cause = e.meta.driverAdapterError.cause
          assert.deepEqual([cause.kind, cause.originalCode], ['DatabaseNotReachable', 'CURLE_COULDNT_CONNECT'])
        }
      } finally {
        await prisma.$disconnect()
        await db.cleanup()
      }
    })

    it('a missing or wrong auth token is P1000 (official: P2039 "SERVER_ERROR: ... 401")', async () => {
      const db = await freshDb({ server: 'python', serverArgs: ['--auth-token', 'sekrit'] })
      try {
        for (const config of [{}, { authToken: 'wrong' }]) {
          const prisma = makePrisma(await makeAdapter(kind, db.url, undefined, config))
          try {
            const e = await rejection(prisma.user.count())
            if (official) {
              assert.equal(e.code, 'P2039')
              assert.deepEqual(e.meta.driverAdapterError.cause, officialHranaCause('SERVER_ERROR: Server returned HTTP status 401'))
            } else {
              assert.equal(e.code, 'P1000')
              const reason = config.authToken ? 'The JWT is invalid' : 'Expected authorization header but none given'
              assert.deepEqual({ ...e.meta.driverAdapterError.cause }, { kind: 'AuthenticationFailed', originalCode: 'AUTH_FAILED', originalMessage: `AUTH_FAILED: the server rejected the credentials (HTTP 401): Unauthorized: \`${reason}\`` })
            }
          } finally {
            await prisma.$disconnect()
          }
        }
        const prisma = makePrisma(await makeAdapter(kind, db.url, undefined, { authToken: 'sekrit' }))
        try {
          assert.equal(await prisma.user.count(), 0)
        } finally {
          await prisma.$disconnect()
        }
      } finally {
        await db.cleanup()
      }
    })
  })
}
