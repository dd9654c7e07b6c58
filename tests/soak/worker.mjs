// One soak process: `clients` Prisma 7 clients over one adapter kind ('ours' = libsql-cpp,
// 'official' = @prisma/adapter-libsql) and one database, each running a loop of reads, writes,
// interactive transactions and createMany until the deadline, while this process samples its
// own RSS, open file descriptors and threads. Started by tests/soak/soak.mjs (child_process.fork)
// with one JSON argument; it reports over IPC:
//   { type: 'sample', sample }             every `intervalMs` (and at start, warm, end)
//   { type: 'result', result }             once, at the end
// Every acknowledged view increment is counted, and checked against the database at the end.
import fs from 'node:fs'
import { makeAdapter, makePrisma, MIGRATION_SQL } from '../e2e/adapters.mjs'

const cfg = JSON.parse(process.argv[2])
const { adapter: kind, db, url, clients: nClients, durationMs, intervalMs, seed = 1, busyTimeoutMs } = cfg
// Ours on a file: 16 writers on two (shared) cores can keep one waiting past the default 5 s
// (SQLite's busy handler polls; it does not queue). The soak is about leaks, not that wait.
const config = kind === 'ours' && db === 'file' && busyTimeoutMs ? { busyTimeout: busyTimeoutMs } : {}
// Generous: on a loaded machine a transaction may wait long for the lock; the soak counts
// failures, it does not time anything.
const TX = { maxWait: 60_000, timeout: 60_000 }
const POSTS_PER_CLIENT = 4
const KEEP_COMMENTS = 60 // per client: older comments are deleted by the 'trim' operation

/** /proc/self: resident set (MB), open descriptors, threads. */
function measure() {
  const status = fs.readFileSync('/proc/self/status', 'utf8')
  const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)[1])
  const threads = Number(/^Threads:\s+(\d+)/m.exec(status)[1])
  // readdir opens the directory itself: one descriptor more than the process holds otherwise.
  const fds = fs.readdirSync('/proc/self/fd').length - 1
  return { rssMb: Math.round(kb / 102.4) / 10, fds, threads }
}

const t0 = Date.now()
const samples = []
const ops = {}
const errors = {}
const errorSamples = []
let totalOps = 0
let totalErrors = 0

function sample(label) {
  // A full collection first (node --expose-gc): RSS then follows what is retained, not how
  // lazily V8 collects.
  globalThis.gc?.()
  const s = { t: Math.round((Date.now() - t0) / 100) / 10, label, ops: totalOps, errors: totalErrors, serverBusy, ...measure() }
  samples.push(s)
  process.send?.({ type: 'sample', sample: s })
  return s
}

/** A small deterministic PRNG per client (mulberry32). */
function rng(s) {
  return () => {
    s |= 0
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const statements = MIGRATION_SQL.split(/;\s*(?:\n|$)/).map((s) => s.replace(/^\s*--.*$/gm, '').trim()).filter(Boolean)

class Rollback extends Error {}

async function setupClient(i) {
  const factory = await makeAdapter(kind, url, undefined, config)
  const prisma = makePrisma(factory)
  // A private :memory: database per client: the schema goes in through the client itself.
  if (db === 'memory') {
    for (const sql of statements) await prisma.$executeRawUnsafe(sql)
  }
  const user = await prisma.user.create({
    data: {
      email: `soak-${i}@x.io`,
      name: `client ${i}`,
      posts: { create: Array.from({ length: POSTS_PER_CLIENT }, (_, k) => ({ title: `c${i} post ${k}` })) },
    },
    include: { posts: true },
  })
  return {
    i,
    prisma,
    random: rng(seed * 1000 + i),
    userId: user.id,
    posts: user.posts.map((p) => p.id),
    expectedViews: new Map(user.posts.map((p) => [p.id, 0])),
    tmpUsers: [],
    serial: 0,
  }
}

const pick = (c, arr) => arr[Math.floor(c.random() * arr.length)]

/** One operation, chosen at random with fixed weights. Resolves to its kind. */
async function step(c) {
  const { prisma } = c
  const r = c.random()
  const post = pick(c, c.posts)
  if (r < 0.35) {
    const which = Math.floor(c.random() * 4)
    c.doing = `read ${which}`
    if (which === 0) {
      const p = await prisma.post.findUnique({ where: { id: post } })
      if (p?.authorId !== c.userId) throw new Error(`read: post ${post} came back as ${JSON.stringify(p)}`)
    } else if (which === 1) {
      await prisma.post.findMany({ where: { authorId: c.userId }, include: { comments: { take: 5, orderBy: { id: 'desc' } } } })
    } else if (which === 2) {
      await prisma.comment.count({ where: { post: { authorId: c.userId } } })
    } else {
      await prisma.user.findUnique({ where: { id: c.userId }, include: { profile: true, posts: { select: { id: true, views: true } } } })
    }
    return 'read'
  }
  if (r < 0.55) {
    c.doing = 'write'
    if (c.random() < 0.6) {
      await prisma.post.update({ where: { id: post }, data: { views: { increment: 1 } } })
      c.expectedViews.set(post, c.expectedViews.get(post) + 1)
    } else {
      const u = await prisma.user.create({ data: { email: `soak-${c.i}-${c.serial++}@x.io`, profile: { create: { bio: 'temporary' } } } })
      c.tmpUsers.push(u.id)
    }
    return 'write'
  }
  if (r < 0.8) {
    // Write first (the increment), then read and insert: the first statement takes the write
    // lock, waiting for it within the busy timeout.
    const abort = c.random() < 0.1
    c.doing = 'transaction'
    try {
      await prisma.$transaction(async (tx) => {
        await tx.post.update({ where: { id: post }, data: { views: { increment: 1 } } })
        const p = await tx.post.findUnique({ where: { id: post }, select: { views: true } })
        await tx.comment.create({ data: { postId: post, text: `views ${p.views}` } })
        if (abort) throw new Rollback('rolled back on purpose')
      }, TX)
      c.expectedViews.set(post, c.expectedViews.get(post) + 1)
    } catch (e) {
      if (!(e instanceof Rollback)) throw e
      return 'rollback'
    }
    return 'transaction'
  }
  if (r < 0.9) {
    c.doing = 'createMany'
    const n = await prisma.comment.createMany({ data: Array.from({ length: 20 }, (_, k) => ({ postId: post, text: `bulk ${k}` })) })
    if (n.count !== 20) throw new Error(`createMany: count ${n.count}, expected 20`)
    return 'createMany'
  }
  c.doing = 'trim'
  // Trim: keep the data size steady (a :memory: database's pages are resident memory).
  const old = await prisma.comment.findMany({
    where: { post: { authorId: c.userId } }, select: { id: true }, orderBy: { id: 'desc' }, skip: KEEP_COMMENTS,
  })
  if (old.length) await prisma.comment.deleteMany({ where: { id: { in: old.map((x) => x.id) } } })
  if (c.tmpUsers.length) {
    const ids = c.tmpUsers.splice(0)
    const d = await prisma.user.deleteMany({ where: { id: { in: ids } } })
    if (d.count !== ids.length) throw new Error(`deleteMany: ${d.count} of ${ids.length} users`)
  }
  return 'trim'
}

let longestFailedMs = 0
let serverBusy = 0
/** SQLITE_BUSY answered by sqld ('database is locked'): Prisma's P1008 through ours. */
const isBusy = (e) => e?.code === 'P1008' || /database is locked|SQLITE_BUSY/.test(String(e?.message))
function noteError(kindOfOp, e, elapsedMs = null) {
  // sqld answers SQLITE_BUSY to some of 16 clients writing at once, after well under a second,
  // whatever the client (the official adapter gets it too): counted apart, not as our failure.
  if (db === 'sqld' && isBusy(e)) kindOfOp = 'sqld-busy'
  if (kindOfOp === 'sqld-busy') serverBusy++
  else totalErrors++
  errors[kindOfOp] = (errors[kindOfOp] ?? 0) + 1
  if (elapsedMs !== null) longestFailedMs = Math.max(longestFailedMs, elapsedMs)
  const after = elapsedMs === null ? '' : ` (after ${elapsedMs} ms)`
  const message = `${kindOfOp}: ${e?.code ?? e?.name ?? ''} ${String(e?.message ?? e).replace(/\s+/g, ' ').slice(0, 300)}`
  if (errorSamples.length < 8 && !errorSamples.some((m) => m.startsWith(message))) errorSamples.push(message + after)
}

async function run() {
  sample('start')
  const cs = []
  for (let i = 0; i < nClients; i++) {
    try {
      cs.push(await setupClient(i))
    } catch (e) {
      noteError('setup', e)
    }
  }
  sample('ready')
  const deadline = Date.now() + durationMs
  // Operations running for over a minute (none should): named in the samples, for a hang.
  const stuck = () => cs.filter((c) => c.since && Date.now() - c.since > 60_000)
    .map((c) => `client ${c.i}: ${c.doing} for ${Math.round((Date.now() - c.since) / 1000)} s`)
  const timer = setInterval(() => {
    const s = sample('tick')
    const st = stuck()
    if (st.length) process.send?.({ type: 'stuck', t: s.t, stuck: st })
  }, intervalMs)
  await Promise.all(cs.map(async (c) => {
    while (Date.now() < deadline) {
      const begun = Date.now()
      c.since = begun
      try {
        const k = await step(c)
        ops[k] = (ops[k] ?? 0) + 1
        totalOps++
      } catch (e) {
        noteError('op', e, Date.now() - begun)
        // A client whose operations fail must not spin: a short pause, bounded by the deadline.
        await new Promise((r) => setTimeout(r, 10))
      }
    }
  }))
  clearInterval(timer)
  for (const c of cs) c.since = 0
  const last = sample('end')
  // Every acknowledged increment is there, exactly once.
  let mismatches = 0
  for (const c of cs) {
    try {
      const rows = await c.prisma.post.findMany({ where: { authorId: c.userId }, select: { id: true, views: true } })
      for (const p of rows) {
        if (p.views !== c.expectedViews.get(p.id)) {
          mismatches++
          noteError('verify', new Error(`post ${p.id}: views ${p.views}, acknowledged increments ${c.expectedViews.get(p.id)}`))
        }
      }
      if (rows.length !== c.posts.length) noteError('verify', new Error(`client ${c.i}: ${rows.length} posts, expected ${c.posts.length}`))
    } catch (e) {
      noteError('verify', e)
    }
  }
  for (const c of cs) await c.prisma.$disconnect().catch((e) => noteError('disconnect', e))
  const closed = sample('closed')
  return { kind, db, clients: cs.length, durationMs, ops, totalOps, errors, totalErrors, serverBusy, longestFailedMs, errorSamples, mismatches, samples, end: last, closed }
}

run().then(
  (result) => {
    process.send?.({ type: 'result', result }, () => process.exit(0))
    if (!process.send) {
      console.log(JSON.stringify(result, null, 2))
      process.exit(0)
    }
  },
  (e) => {
    console.error(e)
    process.exit(2)
  },
)
