// Prisma Client 5.22 end to end on the seed's wiring with libsql-cpp:
//   const libsql = createClient({ url })            // libsql-cpp
//   const adapter = new PrismaLibSQL(libsql)         // libsql-cpp: the 5.4–6.5 adapter interface
//   new PrismaClient({ adapter })
// against the same app on @prisma/adapter-libsql 5.22.0 + @libsql/client 0.8.1 (the oracle).
//
// How Prisma 5 runs here: its Node client needs the native query engine library, which is not on
// npm (`prisma generate` fetches it from Prisma's binary server: ENOTFOUND here). @prisma/client
// 5.22 also ships the WebAssembly query engine for edge runtimes (the generated `wasm.js`); its
// loader (`wasm-worker-loader.mjs`) imports the .wasm file the workerd way, which Node cannot,
// so this test replaces that one generated file with one that compiles the same .wasm file
// with WebAssembly.Module. Generation itself runs offline (PRISMA_*_ENGINE_* pointing at any
// existing file stops the download attempt).
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
const SCHEMA = path.join(HERE, 'schema.prisma')
const OUT = path.join(HERE, 'generated', 'client')
const OUR_LIB = path.join(REPO, 'bindings', 'node', 'lib', 'index.mjs')
const require = createRequire(import.meta.url)

const DDL = `
CREATE TABLE "User" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "email" TEXT NOT NULL, "name" TEXT,
  "score" REAL NOT NULL DEFAULT 0, "big" BIGINT NOT NULL DEFAULT 0, "data" BLOB);
CREATE TABLE "Post" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "title" TEXT NOT NULL, "authorId" INTEGER NOT NULL,
  CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
`

const skip = whyNotRunnable(HERE, ['@prisma/adapter-libsql', '@libsql/client'])

const NODE_LOADER = `// Written by tests/prisma5/prisma5.test.mjs: the WebAssembly engine compiled for Node.
import fs from 'node:fs'
export default Promise.resolve({ default: new WebAssembly.Module(fs.readFileSync(new URL('./query_engine_bg.wasm', import.meta.url))) })
`

const generate = () =>
  generateClient({
    dir: HERE,
    schema: SCHEMA,
    out: OUT,
    salt: NODE_LOADER,
    after(out) {
      const loader = path.join(out, 'wasm-worker-loader.mjs')
      assert.ok(fs.existsSync(loader), 'the generated client has its WebAssembly loader')
      fs.writeFileSync(loader, NODE_LOADER)
    },
  })


async function app(prisma) {
  const out = {}
  out.create = await prisma.user.create({ data: { email: 'ada@x', name: 'Ada', score: 1.5, big: 2n ** 40n, data: Buffer.from([1, 2, 3]), posts: { create: [{ title: 'p1' }, { title: 'p2' }] } }, include: { posts: true } })
  out.createMany = await prisma.user.createMany({ data: [{ email: 'bob@x' }, { email: 'cy@x', score: 123467.769 }] })
  out.findMany = await prisma.user.findMany({ orderBy: { id: 'asc' }, include: { _count: { select: { posts: true } } } })
  out.update = await prisma.user.update({ where: { email: 'bob@x' }, data: { name: 'Bob', score: { increment: 2 } } })
  out.aggregate = await prisma.user.aggregate({ _sum: { score: true }, _max: { big: true } })
  out.duplicate = await prisma.user.create({ data: { email: 'ada@x' } }).then(() => 'created', (e) => ({ code: e.code, target: e.meta?.target }))
  out.missingTable = await prisma.$queryRawUnsafe('SELECT * FROM nope').then(() => 'ran', (e) => e.code)
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

async function runWith(lib, adapterModule) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-cpp-prisma5-'))
  const url = `file:${path.join(dir, 'app.db')}`
  const setup = lib.createClient({ url })
  await setup.executeMultiple(DDL)
  await setup.close()
  const { PrismaClient } = require(path.join(OUT, 'wasm.js'))
  const libsql = lib.createClient({ url })
  const prisma = new PrismaClient({ adapter: new adapterModule.PrismaLibSQL(libsql) })
  try {
    return await app(prisma)
  } finally {
    await prisma.$disconnect()
    await libsql.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

describe('Prisma Client 5.22 (WebAssembly engine) on new PrismaLibSQL(createClient({ url }))', { skip }, () => {
  before(generate)

  it('the same results and errors as @prisma/adapter-libsql 5.22.0 on @libsql/client 0.8.1', async () => {
    const expected = await runWith(await import('@libsql/client'), await import('@prisma/adapter-libsql'))
    const ours = await import(pathToFileURL(OUR_LIB).href)
    const actual = await runWith(ours, ours)
    assert.equal(expected.duplicate.code, 'P2002')
    assert.deepStrictEqual(actual, expected)
  })
})
