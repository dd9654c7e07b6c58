// One writer process of tests/node/multiprocess.test.mjs: `clients` Prisma 7 clients over
// libsql-cpp on one database file, each running `count` interactive transactions that increment
// the shared counter (Post `counterId`.views) and insert one row (a Comment whose text is unique:
// p<proc>c<client>i<n>). Every transaction's outcome is recorded: acknowledged (the commit
// resolved: its row id and key), or failed (Prisma's code, message, and how long the transaction
// ran before the error reached the caller). Half of the transactions read the counter first and
// then write (the write lock is then taken by an upgrade), half write first.
//
// Started with child_process.fork and one JSON argument { url, proc, clients, count,
// counterId, busyTimeout }; sends { type: 'progress', acked } every 10 acknowledgements, then
// { type: 'result', acks, increments, failures, ackedAfter } and exits.
import { makeAdapter, makePrisma } from '../e2e/adapters.mjs'

const cfg = JSON.parse(process.argv[2])
const TX = { maxWait: 120_000, timeout: 120_000 } // Prisma's own limits: never the ones tested
let acked = 0
let goAhead = null // set by the parent: acknowledgements after this point are counted apart
let ackedAfter = 0
process.on('message', (m) => {
  if (m?.type === 'mark') {
    goAhead = true
    ackedAfter = 0
  }
})

async function client(c) {
  const prisma = makePrisma(await makeAdapter('ours', cfg.url, undefined, { busyTimeout: cfg.busyTimeout }))
  const acks = []
  const failures = []
  let increments = 0
  try {
    for (let i = 0; i < cfg.count; i++) {
      const key = `p${cfg.proc}c${c}i${i}`
      const readFirst = (i + c) % 2 === 0
      const begun = Date.now()
      try {
        const id = await prisma.$transaction(async (tx) => {
          if (readFirst) {
            const before = await tx.post.findUnique({ where: { id: cfg.counterId }, select: { views: true } })
            await tx.post.update({ where: { id: cfg.counterId }, data: { views: before.views + 1 } })
          } else {
            await tx.post.update({ where: { id: cfg.counterId }, data: { views: { increment: 1 } } })
          }
          const row = await tx.comment.create({ data: { postId: cfg.counterId, text: key }, select: { id: true } })
          return row.id
        }, TX)
        acks.push({ key, id })
        increments++
        acked++
        if (goAhead) ackedAfter++
        if (acked % 10 === 0) process.send({ type: 'progress', acked })
      } catch (e) {
        failures.push({ key, readFirst, ms: Date.now() - begun, code: e?.code ?? e?.name, message: String(e?.message ?? e).replace(/\s+/g, ' ').slice(-300) })
      }
    }
  } finally {
    await prisma.$disconnect()
  }
  return { acks, failures, increments }
}

const results = await Promise.all(Array.from({ length: cfg.clients }, (_, c) => client(c)))
process.send({
  type: 'result',
  acks: results.flatMap((r) => r.acks),
  failures: results.flatMap((r) => r.failures),
  increments: results.reduce((n, r) => n + r.increments, 0),
  ackedAfter,
}, () => process.exit(0))
