// Prisma end to end with a vector column (tests/node/vector-prisma/schema.prisma): the model
// with an Unsupported("F32_BLOB(3)") column, rows written through the model API and $executeRaw,
// and a similarity search through $queryRaw (vector_top_k joined on rowid), on the official
// adapter and ours; results compared. The client is generated once, offline, into build/.
import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { adapterKinds, makeAdapter, localOnly } from '../e2e/adapters.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '../..')
const schema = path.join(here, 'vector-prisma', 'schema.prisma')
const out = path.join(root, 'build', 'vector-prisma', 'client')
const require = createRequire(import.meta.url)

/** Generates the client when the schema changed (a stamp beside it), like tests/e2e/generate.sh. */
function generate() {
  const stamp = path.join(out, '..', '.stamp')
  const want = fs.readFileSync(schema, 'utf8')
  if (fs.existsSync(path.join(out, 'index.js')) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want) return
  execFileSync(path.join(root, 'node_modules', '.bin', 'prisma'), ['generate', '--schema', schema], {
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true',
      PRISMA_QUERY_ENGINE_LIBRARY: '/bin/true',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
      PRISMA_GENERATE_NO_HINTS: '1',
    },
    stdio: 'pipe',
  })
  fs.writeFileSync(stamp, want)
}

// The migration, applied through each adapter (a vector index made by libSQL is libSQL's to
// maintain: see docs/vector.md). `prisma migrate dev --create-only` writes the table; the
// vector index is added to the migration by hand, as the README shows.
const MIGRATION = [
  'CREATE TABLE "Doc" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "title" TEXT NOT NULL, "embedding" F32_BLOB(3))',
  `CREATE INDEX "Doc_embedding_idx" ON "Doc" (libsql_vector_idx("embedding", 'metric=cosine'))`,
]

const DOCS = [
  ['cats', [1, 0.1, 0]],
  ['dogs', [0.9, 0.3, 0.1]],
  ['cars', [0, 1, 0.2]],
  ['trains', [0.1, 0.9, 0.5]],
  ['soup', [-0.5, 0, 1]],
]

async function scenario(kind, url) {
  const { PrismaClient } = require(out)
  const prisma = new PrismaClient({ adapter: await makeAdapter(kind, url) })
  try {
    for (const statement of MIGRATION) await prisma.$executeRawUnsafe(statement)
    for (const [title, e] of DOCS) {
      const doc = await prisma.doc.create({ data: { title } })
      await prisma.$executeRaw`UPDATE "Doc" SET embedding = vector32(${JSON.stringify(e)}) WHERE id = ${doc.id}`
    }
    const q = JSON.stringify([0.95, 0.2, 0.05])
    const similar = await prisma.$queryRaw`
      SELECT d.id, d.title, vector_distance_cos(d.embedding, vector32(${q})) AS distance
      FROM vector_top_k('Doc_embedding_idx', vector32(${q}), 3) AS v
      JOIN "Doc" AS d ON d.rowid = v.id
      ORDER BY distance`
    const extracted = await prisma.$queryRaw`SELECT title, vector_extract(embedding) AS e FROM "Doc" ORDER BY id`
    await prisma.doc.delete({ where: { id: 1 } })
    const after = await prisma.$queryRaw`SELECT id FROM vector_top_k('Doc_embedding_idx', vector32(${q}), 1)`
    const models = await prisma.doc.findMany({ orderBy: { id: 'asc' } })
    return { similar, extracted, after, models }
  } finally {
    await prisma.$disconnect()
  }
}

describe('Prisma: Unsupported("F32_BLOB(3)") and $queryRaw similarity search', { skip: localOnly('local vector search') }, () => {
  before(generate)

  it('the same rows through the official adapter and ours', async (t) => {
    const kinds = await adapterKinds()
    const results = {}
    for (const { kind, skip } of kinds) {
      if (skip) {
        t.diagnostic(`${kind}: ${skip}`)
        continue
      }
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-cpp-vector-prisma-'))
      try {
        results[kind] = await scenario(kind, `file:${path.join(dir, 'dev.db')}`)
      } finally {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 })
      }
    }
    for (const r of Object.values(results)) {
      assert.deepEqual(r.similar.map((d) => d.title), ['cats', 'dogs', 'trains'])
      assert.equal(typeof r.similar[0].distance, 'number')
      assert.deepEqual(r.after.map((d) => d.id), [2])
      assert.deepEqual(r.models.map((d) => d.title), ['dogs', 'cars', 'trains', 'soup'])
      assert.equal(r.extracted[0].e, '[1,0.1,0]')
    }
    if (results.official && results.ours) assert.deepEqual(results.ours, results.official)
  })
})
