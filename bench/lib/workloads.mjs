// The workloads: each is one Prisma Client operation (the Prisma level runs it as is; the
// adapter level replays the driver-adapter calls Prisma makes for it, recorded once per adapter,
// see trace.mjs). Per-op parameters come from the op's sequence number through "vars"
// (value = base + (seq * mult + add) % mod), which the C floor computes the same way.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
export const MIGRATION_SQL = fs.readFileSync(path.join(here, '..', 'prisma', 'migration.sql'), 'utf8')

export const ITEMS = 10_000
export const AUTHORS = 1_000
export const POSTS_PER_AUTHOR = 10
export const ACCOUNTS = 1_000
export const BULK_ROWS = 100_000
export const CREATE_MANY_ROWS = 10_000

// Rows look like what Prisma writes: DATETIME as ISO text with +00:00, BOOLEAN 0/1, 16-byte blobs.
const itemSelect = (n, table) => `
INSERT INTO "${table}" ("id","name","price","qty","createdAt","active","note","data")
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n})
SELECT i, 'item ' || i, i * 1.25, i % 100, '2024-01-02T03:04:05.678+00:00', i % 2,
       CASE WHEN i % 3 = 0 THEN NULL ELSE 'note ' || i END, CAST(printf('%016d', i) AS BLOB) FROM n;`

/** Tables (Prisma Migrate's SQL) + the data every workload except read100k needs. */
export const SEED_SQL = `${MIGRATION_SQL}
${itemSelect(ITEMS, 'Item')}
INSERT INTO "Author" ("id","name","email")
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${AUTHORS})
SELECT i, 'author ' || i, 'author' || i || '@example.com' FROM n;
INSERT INTO "Post" ("title","body","views","published","createdAt","authorId")
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${AUTHORS * POSTS_PER_AUTHOR - 1})
SELECT 'post ' || i, 'body of post ' || i || ' ' || printf('%.40c', 'x'), i % 1000, i % 2,
       '2024-01-02T03:04:05.678+00:00', i / ${POSTS_PER_AUTHOR} + 1 FROM n;
INSERT INTO "Account" ("id","owner","balance","updatedAt")
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ACCOUNTS})
SELECT i, 'owner ' || i, 1000000, '2024-01-02T03:04:05.678+00:00' FROM n;
`

/** Tables + 100,000 rows in "Bulk" (the read100k workload only). */
export const SEED_BULK_SQL = `${MIGRATION_SQL}
${itemSelect(BULK_ROWS, 'Bulk')}
`

const v = (base, mult, add, mod) => ({ base, mult, add, mod })
export const varValue = (spec, seq) => spec.base + ((seq * spec.mult + spec.add) % spec.mod)

const FIXED_DATE = new Date('2024-01-02T03:04:05.678Z')
const BLOB16 = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])
const newItem = () => ({
  name: 'new item', price: 9.5, qty: 3, createdAt: FIXED_DATE, active: true, note: 'inserted', data: BLOB16,
})
let manyRows
const createManyRows = () =>
  (manyRows ??= Array.from({ length: CREATE_MANY_ROWS }, (_, i) => ({
    name: `bulk ${i}`, price: i * 0.5, qty: i % 50, createdAt: FIXED_DATE, active: i % 2 === 0,
    note: i % 3 ? 'n' : null, data: BLOB16,
  })))

// Prisma operations. `p` is a PrismaClient (or a transaction client), `a` the op's parameters.
const ops = {
  point: {
    vars: { id: v(1, 7919, 0, ITEMS) }, sentinel: { id: 7777 },
    run: (p, a) => p.item.findUnique({ where: { id: a.id } }),
  },
  findMany1000: {
    vars: { after: v(0, 7919, 0, ITEMS - 1000) }, sentinel: { after: 4321 },
    run: (p, a) => p.item.findMany({ where: { id: { gt: a.after } }, orderBy: { id: 'asc' }, take: 1000 }),
  },
  include: {
    vars: { id: v(1, 7919, 0, AUTHORS) }, sentinel: { id: 777 },
    run: (p, a) => p.author.findUnique({ where: { id: a.id }, include: { posts: true } }),
  },
  insert: {
    vars: {}, sentinel: {},
    run: (p) => p.item.create({ data: newItem() }),
  },
  createMany: {
    vars: {}, sentinel: {},
    run: (p) => p.item.createMany({ data: createManyRows() }),
  },
  tx5: {
    // a transfer: read, debit, credit, log, read back
    vars: { from: v(1, 7919, 0, ACCOUNTS), to: v(1, 7919, 500, ACCOUNTS) }, sentinel: { from: 111, to: 222 },
    run: (p, a) => p.$transaction(async (tx) => {
      await tx.account.findUnique({ where: { id: a.from } })
      await tx.account.update({ where: { id: a.from }, data: { balance: { decrement: 5 }, updatedAt: FIXED_DATE } })
      await tx.account.update({ where: { id: a.to }, data: { balance: { increment: 5 }, updatedAt: FIXED_DATE } })
      await tx.transfer.create({ data: { fromId: a.from, toId: a.to, amount: 5, createdAt: FIXED_DATE } })
      return tx.account.findUnique({ where: { id: a.to } })
    }),
  },
  read100k: {
    vars: {}, sentinel: {},
    run: (p) => p.bulk.findMany(),
  },
}
export const OPS = ops

/**
 * The workloads of the table. `mix`: [op, weight %] (weights sum to 100); `concurrency`: calls
 * in flight; `minOps`: at least this many ops per run; `rows`: rows returned per op (for rows/s).
 */
export const WORKLOADS = [
  { id: 'point', label: 'point select by PK (10,000 rows)', mix: [['point', 100]], concurrency: 1, remote: true },
  { id: 'findMany1000', label: 'findMany 1,000 rows x 8 cols', mix: [['findMany1000', 100]], concurrency: 1, rows: 1000, remote: true },
  { id: 'include', label: 'include 1:n (1 author + 10 posts)', mix: [['include', 100]], concurrency: 1, remote: true },
  { id: 'insert', label: 'insert 1 row (autocommit)', mix: [['insert', 100]], concurrency: 1, remote: true },
  // Prisma itself takes over a second per op here: fewer, one-op runs at the Prisma level
  { id: 'createMany', label: 'createMany 10,000 rows', mix: [['createMany', 100]], concurrency: 1, minOps: 2, rows: CREATE_MANY_ROWS, remote: false,
    prisma: { runs: 3, minOps: 1, warmupMs: 0 } },
  { id: 'tx5', label: 'interactive tx, 5 statements', mix: [['tx5', 100]], concurrency: 1, remote: true },
  { id: 'concurrent16', label: '16 concurrent point reads', mix: [['point', 100]], concurrency: 16, remote: true },
  { id: 'mixed16', label: '16 clients, 80% reads / 20% inserts', mix: [['point', 80], ['insert', 20]], concurrency: 16, remote: true },
  { id: 'read100k', label: 'read 100,000 rows (+ peak RSS)', mix: [['read100k', 100]], concurrency: 1, rows: BULK_ROWS, rss: true, remote: false },
]

/** Program index of an op in a mix, by the same hash as the C floor. */
export function pickIndex(mix, seq) {
  if (mix.length === 1) return 0
  const r = ((Math.imul(seq, 2654435761 | 0) >>> 0) >>> 16) % 100
  let acc = 0
  for (let i = 0; i < mix.length; i++) {
    acc += mix[i][1]
    if (r < acc) return i
  }
  return mix.length - 1
}

export function paramsFor(op, seq) {
  const out = {}
  for (const [k, spec] of Object.entries(ops[op].vars)) out[k] = varValue(spec, seq)
  return out
}
