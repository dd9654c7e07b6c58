#!/usr/bin/env node
// Not a test: prints how long 16 concurrent point reads take over Hrana, ours vs the official
// adapter, with the Hrana test server delaying every pipeline request by `delay_ms` (default 20,
// a stand-in for network latency).
//
//   node tests/e2e/remote-timing.mjs [--delay-ms 20] [--rounds 5]
//
// Two shapes of "16 concurrent point reads" (Promise.all):
//  - findUnique: Prisma coalesces findUnique calls made in the same tick into ONE query, so
//    both adapters send one request;
//  - findFirst:  16 independent queries. The official adapter runs them one after another (one
//    async mutex per client); ours sends them in parallel, on up to `concurrency` (20)
//    connections.
// Reports the median and min over the rounds, and the HTTP requests the server counted.
import { parseArgs } from 'node:util'
import { adapterKinds, makeAdapter, freshDb, makePrisma } from './adapters.mjs'

const { values } = parseArgs({ options: { 'delay-ms': { type: 'string', default: '20' }, rounds: { type: 'string', default: '5' } } })
const delayMs = Number(values['delay-ms'])
const rounds = Number(values.rounds)

const shapes = {
  'findUnique x16': (prisma) => Promise.all(Array.from({ length: 16 }, (_, i) => prisma.user.findUnique({ where: { id: i + 1 } }))),
  'findFirst x16': (prisma) => Promise.all(Array.from({ length: 16 }, (_, i) => prisma.user.findFirst({ where: { id: i + 1 } }))),
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const results = []
for (const { kind, skip } of await adapterKinds()) {
  if (skip) {
    console.error(`skipping ${kind}: ${skip}`)
    continue
  }
  const db = await freshDb({ remote: true, server: 'python' })
  const prisma = makePrisma(await makeAdapter(kind, db.url))
  try {
    for (let i = 0; i < 16; i++) await prisma.user.create({ data: { email: `u${i}@x.io` } })
    await shapes['findFirst x16'](prisma) // warm up connections
    await db.server.control({ delay_ms: delayMs })
    for (const [name, run] of Object.entries(shapes)) {
      const times = []
      let requests = 0
      for (let r = 0; r < rounds; r++) {
        await db.server.control({ reset_stats: true })
        const t0 = performance.now()
        const rows = await run(prisma)
        times.push(performance.now() - t0)
        if (rows.filter(Boolean).length !== 16) throw new Error(`${kind} ${name}: expected 16 rows`)
        requests = (await db.server.stats()).pipeline_requests
      }
      results.push({ kind, name, median: median(times), min: Math.min(...times), requests })
    }
  } finally {
    await prisma.$disconnect()
    await db.cleanup()
  }
}

console.log(`16 concurrent point reads over Hrana/HTTP, server delay ${delayMs} ms per request, ${rounds} rounds`)
console.log('| reads | adapter | median ms | min ms | HTTP requests |')
console.log('|---|---|---:|---:|---:|')
for (const r of results) {
  console.log(`| ${r.name} | ${r.kind} | ${r.median.toFixed(1)} | ${r.min.toFixed(1)} | ${r.requests} |`)
}
