// One adapter kind in its own process (bench.mjs forks it; IPC with structured clone).
// Messages: setup {level, mode, workload, url, seed?, traces?} | run {ms, minOps} | rss | teardown.
// Every reply is { ok: true, ... } or { ok: false, error } or { ok: false, na }.
import fs from 'node:fs'
import { makeFactory, durabilityOf, loadPrisma } from './lib/adapters.mjs'
import { makeReplayer } from './lib/trace.mjs'
import { OPS, WORKLOADS, pickIndex, paramsFor } from './lib/workloads.mjs'

const kind = process.argv[2]
let cell = null
let seq = 0

function memKb() {
  const s = fs.readFileSync('/proc/self/status', 'utf8')
  const kb = (k) => Number(s.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm'))?.[1] ?? -1)
  return { vmhwm_kb: kb('VmHWM'), vmrss_kb: kb('VmRSS') }
}

const errText = (e) => {
  const c = e?.cause
  const detail = c && typeof c === 'object' ? (c.originalMessage ?? c.message ?? c.kind) : undefined
  let msg = String(e?.message ?? e)
  // Prisma's messages start with "Invalid `prisma.x.y()` invocation:" and end with the reason
  if (/^\s*Invalid `/.test(msg)) {
    const lines = msg.split('\n').map((l) => l.trim()).filter(Boolean)
    msg = `${e.code ? e.code + ' ' : ''}${lines[lines.length - 1]}`
  } else {
    msg = msg.split('\n').slice(0, 3).join(' ')
    if (detail && !msg.includes(detail)) msg += ` (${detail})`
  }
  return msg.slice(0, 300)
}

async function setup({ level, mode, workload, url, seed, traces }) {
  const w = WORKLOADS.find((x) => x.id === workload)
  const factory = await makeFactory(kind, url, { seed })
  const c = { level, w, seed, factory }
  try {
    if (level === 'adapter') {
      c.adapter = await factory.connect()
      const replayers = w.mix.map(([op]) => makeReplayer(traces[op]))
      c.op = (s) => {
        const i = pickIndex(w.mix, s)
        return replayers[i](c.adapter, paramsFor(w.mix[i][0], s))
      }
      c.durability = await durabilityOf(c.adapter)
    } else {
      const { PrismaClient } = loadPrisma()
      c.prisma = new PrismaClient({ adapter: factory })
      await c.prisma.$connect()
      c.op = (s) => {
        const i = pickIndex(w.mix, s)
        const op = w.mix[i][0]
        return OPS[op].run(c.prisma, paramsFor(op, s))
      }
      // through Prisma's own connection
      const one = async (sql) => {
        try {
          const v = Object.values((await c.prisma.$queryRawUnsafe(sql))[0] ?? {})[0]
          return typeof v === 'bigint' ? Number(v) : v
        } catch (e) {
          return `error: ${errText(e)}`
        }
      }
      c.durability = { journal_mode: await one('PRAGMA journal_mode'), synchronous: await one('PRAGMA synchronous'),
        sqlite: await one('SELECT sqlite_version()') }
    }
  } catch (e) {
    const msg = errText(e)
    if (/URL_SCHEME_NOT_SUPPORTED|not supported/i.test(msg) && url.startsWith('http')) {
      return { ok: false, na: 'remote engine not built yet', detail: msg }
    }
    return { ok: false, error: msg }
  }
  cell = c
  return { ok: true, durability: c.durability }
}

async function run({ ms, minOps = 1 }) {
  const { w, op } = cell
  globalThis.gc?.()
  const conc = w.concurrency ?? 1
  const lat = []
  let ops = 0
  let failure = null
  const t0 = performance.now()
  const end = t0 + ms
  if (conc === 1) {
    try {
      for (;;) {
        const s = performance.now()
        if (s >= end && ops >= minOps) break
        await op(seq++)
        lat.push(performance.now() - s)
        ops++
      }
    } catch (e) {
      failure = e
    }
  } else {
    let stop = false
    const loop = async () => {
      while (!stop) {
        const s = performance.now()
        try {
          await op(seq++)
        } catch (e) {
          failure ??= e
          stop = true
          return
        }
        const e = performance.now()
        lat.push(e - s)
        if (++ops >= minOps && e >= end) stop = true
      }
    }
    await Promise.all(Array.from({ length: conc }, loop))
  }
  const secs = (performance.now() - t0) / 1000
  if (failure) return { ok: false, error: errText(failure) }
  return { ok: true, ops, secs, lat: Float64Array.from(lat, (x) => x * 1000) } // µs
}

async function teardown() {
  if (!cell) return { ok: true }
  const c = cell
  cell = null
  try {
    if (c.prisma) await c.prisma.$disconnect()
    if (c.adapter) await c.adapter.dispose()
  } catch {
    // a failed cell may leave a broken client behind; the process ends with the group anyway
  }
  globalThis.gc?.()
  return { ok: true }
}

process.on('message', async (msg) => {
  let reply
  try {
    if (msg.type === 'setup') reply = await setup(msg)
    else if (msg.type === 'run') reply = await run(msg)
    else if (msg.type === 'rss') reply = { ok: true, ...memKb() }
    else if (msg.type === 'teardown') reply = await teardown()
    else if (msg.type === 'exit') {
      await teardown()
      process.exit(0)
    } else reply = { ok: false, error: `unknown message ${msg.type}` }
  } catch (e) {
    reply = { ok: false, error: errText(e) }
  }
  process.send(reply)
})
process.send({ ok: true, ready: kind, pid: process.pid })
