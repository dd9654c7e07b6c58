// Which adapter calls of a Prisma-level workload libsql-cpp answered inline (an already-settled
// promise) and which went through a worker thread (pending when returned), per SQL kind.
//   node bench/profile/inline-count.mjs [workload=point] [db=memory] [ops=2000]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import util from 'node:util'
import Database from 'better-sqlite3'
import { SEED_SQL, OPS, paramsFor } from '../lib/workloads.mjs'
import { makeFactory, loadPrisma } from '../lib/adapters.mjs'

const [workload = 'point', mode = 'memory', nArg = '2000'] = process.argv.slice(2)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-inline-'))
const file = path.join(dir, 'db.db')
if (mode === 'file') {
  const d = new Database(file)
  d.pragma('journal_mode=WAL')
  d.exec(SEED_SQL)
  d.close()
}
const url = mode === 'memory' ? ':memory:' : `file:${file}`
const factory = await makeFactory('ours', url, { seed: mode === 'memory' ? SEED_SQL : undefined, config: process.env.INLINE_MAX_US ? { inlineMaxTime: Number(process.env.INLINE_MAX_US) } : undefined })
const counts = new Map()
const note = (name, sql, p) => {
  const key = `${name} ${String(sql ?? '').slice(0, 40)}`
  const c = counts.get(key) ?? { inline: 0, queued: 0 }
  if (util.inspect(p).includes('<pending>')) c.queued++
  else c.inline++
  counts.set(key, c)
  return p
}
const wrap = (q) => new Proxy(q, {
  get(t, prop) {
    const v = Reflect.get(t, prop, t)
    if (typeof v !== 'function') return v
    if (prop === 'queryRaw' || prop === 'executeRaw') return (query) => note(prop, query.sql, v.call(t, query))
    if (prop === 'commit' || prop === 'rollback') return () => note(prop, '', v.call(t))
    if (prop === 'startTransaction') return async (...a) => wrap(await note(prop, '', v.apply(t, a)))
    return v.bind(t)
  },
})
const wrapped = { ...factory, provider: factory.provider, adapterName: factory.adapterName, connect: async () => wrap(await factory.connect()) }
const { PrismaClient } = loadPrisma()
const prisma = new PrismaClient({ adapter: wrapped })
await prisma.$connect()
const n = Number(nArg)
for (let i = 0; i < n; i++) await OPS[workload].run(prisma, paramsFor(workload, i))
for (const [k, c] of counts) console.log(`${workload} ${mode}: ${k.padEnd(60)} inline ${c.inline} queued ${c.queued}`)
await prisma.$disconnect()
fs.rmSync(dir, { recursive: true, force: true })
