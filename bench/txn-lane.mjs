// What running a client's interactive transactions one at a time (the remote engine's
// transaction lane) costs and gains, through Prisma 7 on a real sqld (loopback, and +N ms per
// request through a delaying proxy). Not a test: it prints numbers.
//
//   node bench/txn-lane.mjs [--delay 20] [--rounds 5] [--kinds ours,official]
//
// Scenarios (each on a fresh sqld, median wall time of `rounds` runs):
//   rmw10     10 concurrent $transaction(findUnique + update of one row): failures, final count
//   read10    10 concurrent $transaction(findMany + count): what serializing read-only
//             transactions costs
//   nested8   8 concurrent nested creates (user + profile + 2 posts + tags + comments)
//   reads16   16 concurrent plain findUnique (no transaction): must not be affected
//   tx1       one transaction (findUnique + update), alone: the uncontended lane
import http from 'node:http'
import { parseArgs } from 'node:util'
import { makeAdapter, freshDb, makePrisma } from '../tests/e2e/adapters.mjs'

const { values: opts } = parseArgs({
  options: {
    delay: { type: 'string', default: '0' },
    rounds: { type: 'string', default: '5' },
    kinds: { type: 'string', default: 'ours,official' },
  },
})
const delay = Number(opts.delay)
const rounds = Number(opts.rounds)

/** A proxy that holds every request `ms` before forwarding it (one added round trip delay). */
function delayingProxy(target, ms) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
  const { hostname, port } = new URL(target)
  const server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => setTimeout(() => {
      const up = http.request({ hostname, port, path: req.url, method: req.method, headers: req.headers, agent }, (r) => {
        res.writeHead(r.statusCode, r.headers)
        r.pipe(res)
      })
      up.on('error', () => res.destroy())
      up.end(Buffer.concat(chunks))
    }, ms))
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => { agent.destroy(); server.closeAllConnections?.(); server.close() },
  })))
}

const TX = { maxWait: 60_000, timeout: 60_000 }
const scenarios = {
  async rmw10(prisma, ids) {
    const r = await Promise.allSettled(Array.from({ length: 10 }, () => prisma.$transaction(async (tx) => {
      const c = await tx.post.findUnique({ where: { id: ids.post } })
      await tx.post.update({ where: { id: ids.post }, data: { views: c.views + 1 } })
    }, TX)))
    const views = (await prisma.post.findUnique({ where: { id: ids.post } })).views
    await prisma.post.update({ where: { id: ids.post }, data: { views: 0 } })
    return { failed: r.filter((x) => x.status === 'rejected').length, note: `count ${views}` }
  },
  async read10(prisma) {
    const r = await Promise.allSettled(Array.from({ length: 10 }, () => prisma.$transaction(async (tx) => {
      await tx.user.findMany({ include: { posts: true } })
      await tx.post.count()
    }, TX)))
    return { failed: r.filter((x) => x.status === 'rejected').length }
  },
  async nested8(prisma, ids, round) {
    const r = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => prisma.user.create({
      data: {
        email: `n${round}-${i}@x.io`,
        profile: { create: { bio: 'b' } },
        posts: { create: [{ title: 'a', tags: { connectOrCreate: [{ where: { name: 'shared' }, create: { name: 'shared' } }] } }, { title: 'b', comments: { create: [{ text: 'x' }] } }] },
      },
    })))
    return { failed: r.filter((x) => x.status === 'rejected').length }
  },
  async reads16(prisma, ids) {
    const r = await Promise.allSettled(Array.from({ length: 16 }, () => prisma.post.findUnique({ where: { id: ids.post } })))
    return { failed: r.filter((x) => x.status === 'rejected').length }
  },
  async tx1(prisma, ids) {
    await prisma.$transaction(async (tx) => {
      const c = await tx.post.findUnique({ where: { id: ids.post } })
      await tx.post.update({ where: { id: ids.post }, data: { views: c.views } })
    }, TX)
    return { failed: 0 }
  },
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
console.log(`sqld, ${delay ? `+${delay} ms per request (proxy)` : 'loopback'}, median of ${rounds} rounds`)
console.log('kind      scenario   ms      failed  note')
for (const kind of opts.kinds.split(',')) {
  for (const [name, run] of Object.entries(scenarios)) {
    const db = await freshDb({ remote: true, server: 'sqld' })
    const proxy = delay ? await delayingProxy(db.url, delay) : null
    const prisma = makePrisma(await makeAdapter(kind, proxy?.url ?? db.url))
    try {
      const u = await prisma.user.create({ data: { email: 'seed@x.io', posts: { create: [{ title: 'counter' }] } }, include: { posts: true } })
      const ids = { post: u.posts[0].id }
      await run(prisma, ids, -1) // warm-up
      const times = []
      let failed = 0
      let note = ''
      for (let i = 0; i < rounds; i++) {
        const t0 = performance.now()
        const r = await run(prisma, ids, i)
        times.push(performance.now() - t0)
        failed += r.failed
        note = r.note ?? ''
      }
      console.log(`${kind.padEnd(9)} ${name.padEnd(10)} ${median(times).toFixed(1).padStart(7)} ${String(failed).padStart(6)}  ${note}`)
    } finally {
      await prisma.$disconnect()
      proxy?.close()
      await db.cleanup()
    }
  }
}
