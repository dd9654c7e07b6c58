// Prisma's own cost per operation: PrismaClient over a stub adapter that answers every call
// instantly with the result the official adapter gave for the same SQL (recorded once). The
// time per op here is what Prisma spends in its own code (query compiler, interpreter, result
// shaping, promises), so a Prisma-level ratio ours/official can be at most
// (official's µs/op) / (this µs/op).
//   node --expose-gc bench/profile/prisma-overhead.mjs [seconds per op=1] [op,op,...]  (ops: workloads.mjs OPS)
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { SEED_SQL, SEED_BULK_SQL, MIGRATION_SQL, OPS, paramsFor } from '../lib/workloads.mjs'
import { makeFactory, loadPrisma } from '../lib/adapters.mjs'

const [secsArg = '1', opsArg = 'point,findMany1000,include,insert,createMany,tx5'] = process.argv.slice(2)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-overhead-'))
const file = path.join(dir, 'db.db')
const d = new Database(file)
d.pragma('journal_mode=WAL')
d.exec(SEED_SQL)
if (process.argv[3]?.includes('read100k')) d.exec(SEED_BULK_SQL.slice(MIGRATION_SQL.length))
d.close()
const { PrismaClient } = loadPrisma()

// 1. record SQL -> result through the official adapter
const canned = new Map()
const official = await makeFactory('official', `file:${file}`)
const capture = (q) => new Proxy(q, {
  get(t, prop) {
    const v = Reflect.get(t, prop, t)
    if (prop === 'queryRaw' || prop === 'executeRaw') {
      return async (query) => {
        const r = await v.call(t, query)
        canned.set(`${prop}:${query.sql}`, r)
        return r
      }
    }
    if (prop === 'startTransaction') return async (...a) => capture(await v.apply(t, a))
    return typeof v === 'function' ? v.bind(t) : v
  },
})
const recFactory = { provider: 'sqlite', adapterName: official.adapterName, connect: async () => capture(await official.connect()) }
const rec = new PrismaClient({ adapter: recFactory })
const ops = opsArg.split(',')
for (const op of ops) await OPS[op].run(rec, paramsFor(op, 1))
await rec.$disconnect()

// 2. the stub
const answer = (kind, q) => {
  const r = canned.get(`${kind}:${q.sql}`)
  if (r === undefined) return Promise.reject(new Error(`stub: no canned result for ${q.sql.slice(0, 80)}`))
  // a fresh copy each time (Prisma may shape the rows in place); the copy is counted as Prisma's
  return Promise.resolve(typeof r === 'number' ? r : { ...r, rows: r.rows.map((row) => row.slice()) })
}
const queryable = {
  provider: 'sqlite',
  adapterName: '@prisma/adapter-libsql',
  queryRaw: (q) => answer('queryRaw', q),
  executeRaw: (q) => answer('executeRaw', q),
}
const stubAdapter = {
  ...queryable,
  executeScript: async () => {},
  startTransaction: async () => ({ ...queryable, options: { usePhantomQuery: true }, commit: async () => {}, rollback: async () => {} }),
  dispose: async () => {},
}
const stub = new PrismaClient({ adapter: { provider: 'sqlite', adapterName: '@prisma/adapter-libsql', connect: async () => stubAdapter } })
await stub.$connect()

let seq = 0
for (const op of ops) {
  const minOps = op === 'createMany' || op === 'read100k' ? 3 : 200
  for (let i = 0; i < Math.min(minOps, 50); i++) await OPS[op].run(stub, paramsFor(op, seq++)) // warm-up
  globalThis.gc?.()
  let n = 0
  const t0 = performance.now()
  const end = t0 + Number(secsArg) * 1000
  while (performance.now() < end || n < minOps) {
    await OPS[op].run(stub, paramsFor(op, seq++))
    n++
  }
  const us = ((performance.now() - t0) * 1000) / n
  console.log(`${op.padEnd(13)} Prisma alone (zero-cost adapter): ${us.toFixed(1).padStart(9)} µs/op = ${(1e6 / us).toFixed(1).padStart(8)} ops/s`)
}
await stub.$disconnect()
fs.rmSync(dir, { recursive: true, force: true })
