// The seed's wiring with only the import lines changed, on Prisma 7 (the root's Prisma Client):
//   const libsql = createClient({ url })          // libsql-cpp's createClient
//   const adapter = new PrismaLibSQL(libsql)       // libsql-cpp's PrismaLibSQL
//   new PrismaClient({ adapter })
// and the other spellings (`new PrismaLibSQL({ url })`, `new PrismaLibSql({ url })`): the same
// results. (Prisma 6.19 runs both PrismaLibSQL forms in tests/migrate/client.prisma6.test.mjs.)
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { loadOurs, freshDb, makePrisma } from '../e2e/adapters.mjs'

const { module: ours, error } = await loadOurs()
const skip = error ? `libsql-cpp cannot be imported: ${error.message.split('\n')[0]}` : false

async function app(prisma) {
  const user = await prisma.user.create({ data: { email: 'ada@x', name: 'Ada', posts: { create: [{ title: 'p1' }] } }, include: { posts: true } })
  const duplicate = await prisma.user.create({ data: { email: 'ada@x' } }).then(() => 'created', (e) => e.code)
  const inTx = await prisma.$transaction(async (tx) => {
    await tx.user.update({ where: { id: user.id }, data: { name: 'Ada L.' } })
    return tx.user.findUnique({ where: { id: user.id }, select: { name: true } })
  })
  const found = await prisma.user.findMany({ select: { email: true, name: true, posts: { select: { title: true } } } })
  return { posts: user.posts.length, duplicate, inTx, found }
}

describe('PrismaLibSQL forms on Prisma 7', { skip }, () => {
  const forms = {
    'new PrismaLibSQL(createClient({ url })) (the seed)': (url) => {
      const client = ours.createClient({ url })
      return { factory: new ours.PrismaLibSQL(client), close: () => client.close() }
    },
    'new PrismaLibSQL({ url })': (url) => ({ factory: new ours.PrismaLibSQL({ url }) }),
    'new PrismaLibSql({ url })': (url) => ({ factory: new ours.PrismaLibSql({ url }) }),
  }
  let reference
  for (const [name, make] of Object.entries(forms)) {
    it(name, async () => {
      const db = await freshDb()
      const { factory, close } = make(db.url)
      const prisma = makePrisma(factory)
      try {
        const out = await app(prisma)
        assert.deepStrictEqual(out.duplicate, 'P2002')
        assert.deepStrictEqual(out.found, [{ email: 'ada@x', name: 'Ada L.', posts: [{ title: 'p1' }] }])
        reference ??= out
        assert.deepStrictEqual(out, reference)
      } finally {
        await prisma.$disconnect()
        await close?.()
        await db.cleanup()
      }
    })
  }

  it("a client that is not libsql-cpp's is a clear TypeError", () => {
    assert.throws(() => new ours.PrismaLibSQL({ execute() {} }), (e) => e instanceof TypeError && /createClient/.test(e.message))
  })
})
