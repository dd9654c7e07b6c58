// One adapter, one workload, in a loop, for profilers:
//   node --cpu-prof --cpu-prof-dir=bench/results/profile bench/profile/hot.mjs ours adapter point file 5
//   perf record -F 4999 -g -o /tmp/perf.data -- node --perf-basic-prof bench/profile/hot.mjs ours adapter point file 5
// args: kind (ours|official|bs3) level (adapter|prisma) workload (bench/lib/workloads.mjs id)
//       db (file|memory) seconds [--no-loop: only set up, then wait seconds (baseline)]
// Prints ops/s and, per thread of this process, the CPU time it used while the loop ran
// (/proc/self/task/*/stat), to show how the time splits between the JS thread and the addon's.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { SEED_SQL, SEED_BULK_SQL, WORKLOADS, OPS, pickIndex, paramsFor } from '../lib/workloads.mjs'
import { makeFactory, loadPrisma } from '../lib/adapters.mjs'
import { compileTrace, makeReplayer } from '../lib/trace.mjs'
import { recordTrace } from '../lib/record.mjs'

const [kind = 'ours', level = 'adapter', workload = 'point', mode = 'file', seconds = '5'] = process.argv.slice(2)
const w = WORKLOADS.find((x) => x.id === workload)
const seed = workload === 'read100k' ? SEED_BULK_SQL : SEED_SQL
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-hot-'))
const file = path.join(dir, 'db.db')
const d = new Database(file)
d.pragma('journal_mode=WAL')
d.exec(seed)
d.close()
const url = mode === 'memory' ? ':memory:' : `file:${file}`
const factory = await makeFactory(kind, url, { seed: mode === 'memory' ? seed : undefined })

let op
let close
if (level === 'adapter') {
  const traces = {}
  for (const [o] of w.mix) traces[o] = compileTrace(await recordTrace(await makeFactory(kind, `file:${file}`), o), o)
  const adapter = await factory.connect()
  const replayers = w.mix.map(([o]) => makeReplayer(traces[o]))
  op = (s) => {
    const i = pickIndex(w.mix, s)
    return replayers[i](adapter, paramsFor(w.mix[i][0], s))
  }
  close = () => adapter.dispose()
} else {
  const { PrismaClient } = loadPrisma()
  const prisma = new PrismaClient({ adapter: factory })
  await prisma.$connect()
  op = (s) => {
    const i = pickIndex(w.mix, s)
    return OPS[w.mix[i][0]].run(prisma, paramsFor(w.mix[i][0], s))
  }
  close = () => prisma.$disconnect()
}

function threadTimes() {
  const out = {}
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out[tid] = { name, utime: Number(f[11]), stime: Number(f[12]) }
    } catch {}
  }
  return out
}

let seq = 0
for (let i = 0; i < 200; i++) await op(seq++) // warm-up
const before = threadTimes()
const t0 = performance.now()
const end = t0 + Number(seconds) * 1000
let ops = 0
const conc = w.concurrency ?? 1
if (!process.argv.includes('--no-loop')) {
  await Promise.all(Array.from({ length: conc }, async () => {
    while (performance.now() < end) {
      await op(seq++)
      ops++
    }
  }))
} else {
  await new Promise((r) => setTimeout(r, Number(seconds) * 1000))
}
const secs = (performance.now() - t0) / 1000
const after = threadTimes()
const hz = 100 // USER_HZ
console.log(`${kind} ${level} ${workload} ${mode}: ${ops} ops in ${secs.toFixed(2)} s = ${(ops / secs).toFixed(0)} ops/s, ${(secs * 1e6 / Math.max(ops, 1)).toFixed(1)} µs/op wall`)
const rows = []
for (const [tid, a] of Object.entries(after)) {
  const b = before[tid] ?? { utime: 0, stime: 0 }
  const cpu = (a.utime - b.utime + a.stime - b.stime) / hz
  if (cpu > 0) rows.push({ tid, name: Number(tid) === process.pid ? 'JS main thread' : a.name, cpuSec: cpu, usPerOp: ops ? (cpu * 1e6) / ops : 0, user: (a.utime - b.utime) / hz, sys: (a.stime - b.stime) / hz })
}
rows.sort((x, y) => y.cpuSec - x.cpuSec)
for (const r of rows) console.log(`  thread ${r.tid.padEnd(7)} ${r.name.padEnd(16)} cpu ${r.cpuSec.toFixed(2)} s (user ${r.user.toFixed(2)}, sys ${r.sys.toFixed(2)}) = ${r.usPerOp.toFixed(1)} µs/op`)
await close()
fs.rmSync(dir, { recursive: true, force: true })
