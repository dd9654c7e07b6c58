// Prisma Client 6.19 (engineType "client": the WebAssembly query compiler, no native engine) end
// to end on libsql-cpp's `PrismaLibSQL`, in both of its forms:
//   new PrismaLibSQL({ url })                 the 6.6–6.19 config form
//   new PrismaLibSQL(createClient({ url }))   the seed's form, with libsql-cpp's createClient
// and the same app on @prisma/adapter-libsql 6.19.3's `new PrismaLibSQL({ url })` as the oracle.
// The client is generated from client6/schema.prisma into generated/client6 (gitignored) when
// the schema or Prisma's version changed (~5 s, offline).
import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { generateClient, whyNotRunnable } from '../prisma-generate.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const REPO = path.resolve(HERE, '..', '..')
const SCHEMA = path.join(HERE, 'client6', 'schema.prisma')
const OUT = path.join(HERE, 'generated', 'client6')
const OUR_LIB = path.join(REPO, 'bindings', 'node', 'lib', 'index.mjs')
const require = createRequire(import.meta.url)

const DDL = `
CREATE TABLE "User" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "email" TEXT NOT NULL, "name" TEXT,
  "score" REAL NOT NULL DEFAULT 0, "big" BIGINT NOT NULL DEFAULT 0);
CREATE TABLE "Post" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "title" TEXT NOT NULL, "authorId" INTEGER NOT NULL,
  CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
`

const skip = whyNotRunnable(HERE, ['@prisma/client/runtime/client', '@prisma/adapter-libsql'])

const generate = () => generateClient({ dir: HERE, schema: SCHEMA, out: OUT })


async function app(prisma) {
  const out = {}
  out.create = await prisma.user.create({ data: { email: 'ada@x', name: 'Ada', score: 1.5, big: 2n ** 40n, posts: { create: [{ title: 'p1' }, { title: 'p2' }] } }, include: { posts: true } })
  out.createMany = await prisma.user.createMany({ data: [{ email: 'bob@x' }, { email: 'cy@x', score: 123467.769 }] })
  out.findMany = await prisma.user.findMany({ orderBy: { id: 'asc' }, include: { _count: { select: { posts: true } } } })
  out.update = await prisma.user.update({ where: { email: 'bob@x' }, data: { name: 'Bob', score: { increment: 2 } } })
  out.aggregate = await prisma.user.aggregate({ _sum: { score: true }, _max: { big: true } })
  out.duplicate = await prisma.user.create({ data: { email: 'ada@x' } }).then(() => 'created', (e) => ({ code: e.code, target: e.meta?.target ?? e.meta?.modelName }))
  out.tx = await prisma.$transaction(async (tx) => {
    await tx.post.create({ data: { title: 'p3', authorId: out.create.id } })
    return tx.post.count()
  })
  out.txRollback = await prisma.$transaction(async (tx) => {
    await tx.post.create({ data: { title: 'gone', authorId: out.create.id } })
    throw new Error('roll back')
  }).then(() => 'committed', (e) => e.message)
  out.batch = await prisma.$transaction([prisma.post.count(), prisma.user.count()])
  out.raw = await prisma.$queryRaw`SELECT 1 AS one, ${'x'} AS s`
  out.delete = await prisma.user.delete({ where: { email: 'ada@x' } })
  out.cascade = await prisma.post.count()
  return JSON.parse(JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)))
}

async function runWith(makeAdapter) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-cpp-prisma6-'))
  const url = `file:${path.join(dir, 'app.db')}`
  const ours = await import(pathToFileURL(OUR_LIB).href)
  const setup = ours.createClient({ url })
  await setup.executeMultiple(DDL)
  await setup.close()
  const { PrismaClient } = require(OUT)
  const { adapter, after } = await makeAdapter(url, ours)
  let connected = 0
  const connect = adapter.connect.bind(adapter)
  adapter.connect = () => (connected++, connect())
  const prisma = new PrismaClient({ adapter })
  try {
    const out = await app(prisma)
    assert.ok(connected >= 1, 'Prisma connected through the adapter')
    return { out }
  } finally {
    await prisma.$disconnect()
    await after?.()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

describe('Prisma Client 6.19 on PrismaLibSQL (engineType "client")', { skip }, () => {
  let expected
  before(async () => {
    generate()
    const { PrismaLibSQL } = await import('@prisma/adapter-libsql')
    expected = (await runWith(async (url) => ({ adapter: new PrismaLibSQL({ url }) }))).out
  })

  it('new PrismaLibSQL({ url }) (the 6.6–6.19 form): the same results and errors as @prisma/adapter-libsql 6.19.3', async () => {
    const { out } = await runWith(async (url, ours) => ({ adapter: new ours.PrismaLibSQL({ url }) }))
    assert.deepStrictEqual(out, expected)
  })

  it('new PrismaLibSQL(createClient({ url })) (the seed form, our createClient): the same', async () => {
    let client
    const { out } = await runWith(async (url, ours) => {
      client = ours.createClient({ url })
      return { adapter: new ours.PrismaLibSQL(client), after: () => client.close() }
    })
    assert.deepStrictEqual(out, expected)
  })

  it("new PrismaLibSQL(client) with @libsql/client's client is a clear TypeError", async () => {
    const ours = await import(pathToFileURL(OUR_LIB).href)
    const { createClient } = await import('@libsql/client')
    const c = createClient({ url: ':memory:' })
    assert.throws(() => new ours.PrismaLibSQL(c), (e) => e instanceof TypeError && /createClient/.test(e.message))
    c.close()
  })
})
