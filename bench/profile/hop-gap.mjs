// The cost of one libsql-cpp call that goes through a worker thread, as a function of how long
// the JS thread was busy since the previous call (Prisma spends ~60-120 µs of JS between two
// adapter calls). Point select on :memory: (no inline path there), JS busy-waits `gap` µs
// between calls; prints the call's median latency and context switches per call.
//   node bench/profile/hop-gap.mjs [kind=ours] [db=memory] [gaps=0,20,40,60,100,200]
import fs from 'node:fs'
import { SEED_SQL, paramsFor } from '../lib/workloads.mjs'
import { makeFactory } from '../lib/adapters.mjs'

const [kind = 'ours', mode = 'memory', gapsArg = '0,20,40,60,100,200'] = process.argv.slice(2)
if (mode !== 'memory') throw new Error('only :memory: (a file would take the inline path)')
const adapter = await (await makeFactory(kind, ':memory:', { seed: SEED_SQL })).connect()
const sql = 'SELECT `main`.`Item`.`id`, `main`.`Item`.`name`, `main`.`Item`.`price`, `main`.`Item`.`qty`, `main`.`Item`.`createdAt`, `main`.`Item`.`active`, `main`.`Item`.`note`, `main`.`Item`.`data` FROM `main`.`Item` WHERE (`main`.`Item`.`id` = ? AND 1=1) LIMIT ? OFFSET ?'
const argTypes = [{ scalarType: 'int', arity: 'scalar', dbType: null }, { scalarType: 'bigint', arity: 'scalar', dbType: null }, { scalarType: 'bigint', arity: 'scalar', dbType: null }]
const cs = () => {
  const s = fs.readFileSync('/proc/self/status', 'utf8')
  return Number(s.match(/^voluntary_ctxt_switches:\s+(\d+)/m)[1]) + Number(s.match(/^nonvoluntary_ctxt_switches:\s+(\d+)/m)[1])
}
const spin = (us) => {
  const end = performance.now() + us / 1000
  while (performance.now() < end);
}
let seq = 0
for (const gap of gapsArg.split(',').map(Number)) {
  for (let i = 0; i < 500; i++) await adapter.queryRaw({ sql, args: [paramsFor('point', seq++).id, '1', '0'], argTypes })
  const lat = []
  const cs0 = cs()
  for (let i = 0; i < 5000; i++) {
    spin(gap)
    const t = performance.now()
    await adapter.queryRaw({ sql, args: [paramsFor('point', seq++).id, '1', '0'], argTypes })
    lat.push((performance.now() - t) * 1000)
  }
  const perCall = (cs() - cs0) / 5000
  lat.sort((a, b) => a - b)
  console.log(`${kind} :memory: gap ${String(gap).padStart(4)} µs of JS work between calls -> call p50 ${lat[2500].toFixed(1).padStart(6)} µs, p90 ${lat[4500].toFixed(1).padStart(6)} µs, JS-thread context switches/call ${perCall.toFixed(2)}`)
}
await adapter.dispose()
