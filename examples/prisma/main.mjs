// A small Prisma 7 app on libsql-cpp's PrismaLibSql, against a local database file.
// Usage: node examples/prisma/main.mjs [URL]   (default: file:examples/prisma/dev.db)
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { PrismaLibSql } from 'libsql-cpp'
import pkg from './generated/client/index.js'

const { PrismaClient } = pkg
const here = path.dirname(fileURLToPath(import.meta.url))
const url = process.argv[2] ?? `file:${path.join(here, 'dev.db')}`

const adapter = new PrismaLibSql({ url })
const prisma = new PrismaClient({ adapter })

// Apply the schema once (the libsql-cpp CLI will do this with history; see the README).
const tables = await prisma.$queryRaw`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'Author'`
if (tables.length === 0) {
  const migrations = path.join(here, 'prisma', 'migrations')
  for (const dir of fs.readdirSync(migrations).filter((d) => !d.endsWith('.toml')).sort()) {
    await prisma.$executeRawUnsafe(fs.readFileSync(path.join(migrations, dir, 'migration.sql'), 'utf8'))
  }
  console.log('applied the schema to', url)
}

const email = `ada+${Date.now()}@example.com`
const ada = await prisma.author.create({
  data: {
    email,
    name: 'Ada Lovelace',
    posts: {
      create: [
        { title: 'Notes on the Analytical Engine', views: 9007199254740993n, rating: 4.5, published: true },
        { title: 'Sketch of the engine', rating: 3.75 },
      ],
    },
  },
  include: { posts: true },
})
console.log('created', ada.name, 'with', ada.posts.length, 'posts; big view count kept exactly:', ada.posts[0].views)

// Interactive transaction: all or nothing.
await prisma.$transaction(async (tx) => {
  await tx.post.updateMany({ where: { authorId: ada.id }, data: { published: true } })
  await tx.author.update({ where: { id: ada.id }, data: { name: 'Augusta Ada King' } })
})

try {
  await prisma.author.create({ data: { email, name: 'duplicate' } })
} catch (e) {
  console.log('expected error:', e.code, e.meta?.target ?? e.meta?.modelName ?? '')
}

const stats = await prisma.post.aggregate({ _count: true, _avg: { rating: true }, where: { published: true } })
const authors = await prisma.author.findMany({
  orderBy: { id: 'desc' },
  take: 3,
  select: { name: true, email: true, _count: { select: { posts: true } } },
})
console.log('published posts:', stats._count, 'average rating:', stats._avg.rating)
console.table(authors.map((a) => ({ name: a.name, email: a.email, posts: a._count.posts })))
await prisma.$disconnect()
