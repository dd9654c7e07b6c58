// Run inside the clean root by tests/install/clean_root.sh: the installed tarball opens file:,
// :memory: and the real sqld on the host's loopback (SQLD_URL) through createClient, and runs a
// generated Prisma 7 Client through PrismaLibSql on each.
const assert = require('node:assert/strict')
const { createClient, PrismaLibSql } = require('libsql-cpp')
const { PrismaClient } = require('./generated/client')

const DDL = [
  'CREATE TABLE "User" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "email" TEXT NOT NULL, "name" TEXT)',
  'CREATE UNIQUE INDEX "User_email_key" ON "User"("email")',
  'CREATE TABLE "Post" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "title" TEXT NOT NULL, "authorId" INTEGER NOT NULL,' +
    ' CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE)',
]

async function viaClient(url) {
  const db = createClient({ url })
  try {
    const r = await db.execute({ sql: 'SELECT sqlite_version() AS v, ? + 1 AS two', args: [1] })
    assert.equal(r.rows[0].two, 2)
    console.log('createClient', url, 'SQLite', r.rows[0].v)
  } finally {
    db.close()
  }
}

async function viaPrisma(url) {
  const prisma = new PrismaClient({ adapter: new PrismaLibSql({ url }) })
  try {
    for (const sql of DDL) await prisma.$executeRawUnsafe(sql)
    const ada = await prisma.user.create({
      data: { email: 'ada@example.com', name: 'Ada', posts: { create: [{ title: 'Notes' }, { title: 'Engine' }] } },
    })
    const found = await prisma.user.findUnique({ where: { email: 'ada@example.com' }, include: { posts: { orderBy: { id: 'asc' } } } })
    assert.equal(found.id, ada.id)
    assert.deepEqual(found.posts.map(p => p.title), ['Notes', 'Engine'])
    await assert.rejects(prisma.user.create({ data: { email: 'ada@example.com' } }), e => e.code === 'P2002')
    const [n] = await prisma.$transaction([prisma.post.count(), prisma.user.count()])
    assert.equal(n, 2)
    console.log('Prisma 7', url, 'users', await prisma.user.count(), 'posts', n)
  } finally {
    await prisma.$disconnect()
  }
}

;(async () => {
  const urls = ['file:/app/t.db', ':memory:', process.env.SQLD_URL]
  assert.ok(process.env.SQLD_URL, 'SQLD_URL is not set')
  for (const url of urls) {
    await viaClient(url)
    await viaPrisma(url === 'file:/app/t.db' ? 'file:/app/p.db' : url)
  }
})().catch(e => {
  console.error(e)
  process.exit(1)
})
