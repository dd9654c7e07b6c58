#!/usr/bin/env node
// Soak: 16 concurrent Prisma 7 clients per process doing reads, writes, interactive
// transactions and createMany for a fixed time, on a file, on :memory: and on a real sqld, through
// libsql-cpp ('ours') and, for comparison, @prisma/adapter-libsql ('official'). Each adapter ×
// database pair runs in its own child process (tests/soak/worker.mjs), all at once, so RSS, open
// file descriptors and threads are that pair's alone; each child samples them every --interval.
//
//   node tests/soak/soak.mjs                       # the full version: 600 s, ours and official
//   node tests/soak/soak.mjs --duration 60 --interval 5    # the CI version
//   node tests/soak/soak.mjs --adapters ours --dbs file,sqld --json out.json
//   node tests/soak/soak.mjs --dbs sqld --sqld-args ''   # sqld's options (default: --use-custom-wal libsql-wal)
//
// The run fails (exit 1) when, for 'ours', any operation failed, any acknowledged increment is
// missing or doubled, or after warm-up any of these grew beyond its bound (growth from the first
// sample after warm-up to the highest sample after it; bounds in MB/descriptors/threads, never in
// speed): --rss-mb (default 64), --fds (default 16), --threads (default 4). The official side is
// reported beside it and never fails the run (its known defects show up as errors and growth),
// unless --strict-official.
import fs from 'node:fs'
import path from 'node:path'
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { freshDb } from '../e2e/adapters.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))

function parseArgs(argv) {
  const o = {
    duration: 600, interval: 10, warmup: null, clients: 16, adapters: 'ours,official', dbs: 'file,memory,sqld',
    rssMb: 64, fds: 16, threads: 4, json: null, strictOfficial: false, busyTimeout: 60,
    // sqld runs with its libsql-wal WAL: with its default WAL, sqld 0.24.32 can stall every
    // writer for good under this load (its WAL autocheckpoint inside a committing write waits in
    // ManagedConnectionWalWrapper::acquire behind the queued writers; tests/soak/SQLD_STALL.md),
    // which measures sqld, not the clients. With libsql-wal the 60 s soak passed 5 of 5 runs
    // (no stall, no SQLITE_BUSY). `--sqld-args ''` runs the default WAL (reproduces the stall).
    sqldArgs: '--use-custom-wal libsql-wal',
  }
  const num = (k, v) => {
    const n = Number(v)
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${k}: not a number: ${v}`)
    return n
  }
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`)
      return argv[++i]
    }
    switch (a) {
      case '--duration': o.duration = num('duration', v()); break
      case '--interval': o.interval = num('interval', v()); break
      case '--warmup': o.warmup = num('warmup', v()); break
      case '--clients': o.clients = num('clients', v()); break
      case '--adapters': o.adapters = v(); break
      case '--dbs': o.dbs = v(); break
      case '--rss-mb': o.rssMb = num('rss-mb', v()); break
      case '--fds': o.fds = num('fds', v()); break
      case '--threads': o.threads = num('threads', v()); break
      case '--json': o.json = v(); break
      case '--busy-timeout': o.busyTimeout = num('busy-timeout', v()); break
      case '--strict-official': o.strictOfficial = true; break
      case '--sqld-args': o.sqldArgs = v(); break
      case '-h': case '--help':
        console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport ')[0].replace(/^\/\/ ?/gm, '').replace(/^#!.*\n/, ''))
        process.exit(0)
        break
      default: throw new Error(`unknown option ${a} (see --help)`)
    }
  }
  // Warm-up: a quarter of the load, at most 60 s (from the end of the set-up); growth is measured after it.
  o.warmup ??= Math.min(60, o.duration / 4)
  o.adapters = o.adapters.split(',').filter(Boolean)
  o.dbs = o.dbs.split(',').filter(Boolean)
  for (const k of o.adapters) if (!['ours', 'official'].includes(k)) throw new Error(`--adapters: unknown '${k}'`)
  for (const d of o.dbs) if (!['file', 'memory', 'sqld'].includes(d)) throw new Error(`--dbs: unknown '${d}'`)
  if (o.interval <= 0 || o.duration <= 0) throw new Error('--duration and --interval must be positive')
  return o
}

const opts = parseArgs(process.argv)

async function prepare(db) {
  if (db === 'memory') return { url: ':memory:', cleanup: async () => {} }
  if (db === 'file') return freshDb({ remote: false }) // migration applied with @libsql/client
  return freshDb({ remote: true, server: 'sqld', serverArgs: opts.sqldArgs.split(/\s+/).filter(Boolean) })
}

function runChild(adapter, db, url) {
  return new Promise((resolve) => {
    const cfg = { adapter, db, url, clients: opts.clients, durationMs: opts.duration * 1000, intervalMs: opts.interval * 1000, busyTimeoutMs: opts.busyTimeout * 1000 }
    const child = fork(path.join(here, 'worker.mjs'), [JSON.stringify(cfg)], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], execArgv: ['--expose-gc'] })
    let stderr = ''
    child.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-4000)
    })
    let result = null
    let stuck = null
    const samples = []
    child.on('message', (m) => {
      if (m.type === 'sample') {
        samples.push(m.sample)
        const s = m.sample
        console.log(`  [${adapter}/${db}] t=${String(s.t).padStart(5)}s ${s.label.padEnd(6)} rss ${String(s.rssMb).padStart(6)} MB  fds ${String(s.fds).padStart(4)}  threads ${String(s.threads).padStart(3)}  ops ${s.ops}  errors ${s.errors}${s.serverBusy ? `  sqld-busy ${s.serverBusy}` : ''}`)
      } else if (m.type === 'stuck') {
        stuck = m
        console.log(`  [${adapter}/${db}] t=${m.t}s operations running for over a minute: ${m.stuck.join('; ')}`)
      } else if (m.type === 'result') {
        result = m.result
      }
    })
    // Sampled from outside too (/proc/<pid>): figures even for a child whose event loop is
    // blocked (a synchronous driver waiting for a lock never runs its own sampling timer).
    const external = []
    const outside = setInterval(() => {
      try {
        const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8')
        external.push({
          t: Math.round((Date.now() - begun) / 100) / 10,
          rssMb: Math.round(Number(/^VmRSS:\s+(\d+)/m.exec(status)[1]) / 102.4) / 10,
          fds: fs.readdirSync(`/proc/${child.pid}/fd`).length,
          threads: Number(/^Threads:\s+(\d+)/m.exec(status)[1]),
        })
      } catch {}
    }, opts.interval * 1000)
    const begun = Date.now()
    // Bounded: the run's duration plus time to set up and to finish the operations in flight.
    const limit = setTimeout(() => {
      stderr += `\nkilled: still running ${opts.duration + 180} s after it started`
      child.kill('SIGKILL')
    }, (opts.duration + 180) * 1000)
    child.on('exit', (code, signal) => {
      clearTimeout(limit)
      clearInterval(outside)
      resolve({ adapter, db, result, samples, external, stuck, exit: signal ?? code, stderr })
    })
  })
}

/**
 * Growth after warm-up (counted from the start of the load, once the clients are set up): from
 * the first sample at or after it to the highest sample after it.
 */
function growth(samples, key) {
  const ready = samples.find((s) => s.label === 'ready')?.t ?? 0
  const during = samples.filter((s) => s.label === 'tick' || s.label === 'end')
  const after = during.filter((s) => s.t - ready >= opts.warmup)
  if (after.length < 2) return null
  const base = after[0][key]
  return { base, max: Math.max(...after.map((s) => s[key])), growth: Math.max(...after.map((s) => s[key])) - base }
}

function verdict(run) {
  const problems = []
  const notes = []
  const r = run.result
  if (!r) {
    const ticks = run.samples.filter((s) => s.label === 'tick').length
    const ext = run.external
    const seen = ext.length ? `; seen from outside: ${ext[0].rssMb} MB / ${ext[0].fds} fds / ${ext[0].threads} threads at ${ext[0].t} s, ${ext.at(-1).rssMb} MB / ${ext.at(-1).fds} / ${ext.at(-1).threads} at ${ext.at(-1).t} s` : ''
    problems.push(`the worker exited (${run.exit}) without a result, after ${ticks} samples of its own${seen}: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`)
    if (run.stuck) problems.push(`at ${run.stuck.t} s, operations running for over a minute: ${run.stuck.stuck.join('; ')}`)
    return { problems, notes }
  }
  if (r.serverBusy) notes.push(`${r.serverBusy} SQLITE_BUSY answers from sqld (lock contention in the server, not counted as failures)`)
  if (r.totalErrors) problems.push(`${r.totalErrors} operations failed (${Object.entries(r.errors).map(([k, n]) => `${k} ${n}`).join(', ')})`)
  if (r.mismatches) problems.push(`${r.mismatches} posts whose views differ from the acknowledged increments`)
  // A child whose own timer never ran during the load (a synchronous driver keeps its event loop
  // in microtasks): its figures as seen from outside.
  let samples = r.samples
  if (growth(samples, 'rssMb') === null && run.external.length) {
    const ready = samples.find((s) => s.label === 'ready')
    samples = [ready, ...run.external.filter((s) => s.t > (ready?.t ?? 0)).map((s) => ({ ...s, label: 'tick' }))]
    notes.push(`sampled from outside (/proc/${'<pid>'}): its own sampling timer ran ${r.samples.filter((s) => s.label === 'tick').length} times during the load`)
  }
  const g = { rssMb: growth(samples, 'rssMb'), fds: growth(samples, 'fds'), threads: growth(samples, 'threads') }
  const bounds = { rssMb: opts.rssMb, fds: opts.fds, threads: opts.threads }
  for (const [k, v] of Object.entries(g)) {
    if (v === null) problems.push(`${k}: fewer than two samples after the warm-up (raise --duration or lower --interval)`)
    else if (v.growth > bounds[k]) problems.push(`${k} grew by ${Math.round(v.growth * 10) / 10} after warm-up (bound ${bounds[k]}): ${v.base} -> ${v.max}`)
  }
  return { problems, notes, growth: g }
}

const started = Date.now()
console.log(`soak: ${opts.clients} Prisma clients per process, ${opts.duration} s, samples every ${opts.interval} s, warm-up ${opts.warmup} s`)
console.log(`      adapters ${opts.adapters.join(', ')}; databases ${opts.dbs.join(', ')}; bounds after warm-up: RSS +${opts.rssMb} MB, fds +${opts.fds}, threads +${opts.threads}`)
const dbs = []
const runs = []
try {
  for (const adapter of opts.adapters) {
    for (const db of opts.dbs) {
      const d = await prepare(db)
      dbs.push(d)
      runs.push({ adapter, db, url: d.url })
    }
  }
  const done = await Promise.all(runs.map((r) => runChild(r.adapter, r.db, r.url)))
  const rows = []
  let failed = false
  for (const run of done) {
    const v = verdict(run)
    const r = run.result
    const first = r?.samples.find((s) => s.label === 'start')
    const fmt = (s) => (s ? `${s.rssMb} MB / ${s.fds} / ${s.threads}` : '-')
    const fatal = v.problems.length > 0 && (run.adapter === 'ours' || opts.strictOfficial)
    if (fatal) failed = true
    rows.push({
      adapter: run.adapter, db: run.db, ops: r?.totalOps ?? 0, errors: r?.totalErrors ?? '-', serverBusy: r?.serverBusy ?? 0,
      start: fmt(first), end: fmt(r?.end), closed: fmt(r?.closed),
      growth: v.growth?.rssMb ? `${v.growth.rssMb.growth.toFixed(1)} MB / ${v.growth.fds.growth} / ${v.growth.threads.growth}` : '-',
      verdict: v.problems.length ? (fatal ? 'FAIL' : 'problems (reported)') : 'ok',
      problems: v.problems, notes: v.notes, opsByKind: r?.ops, errorSamples: r?.errorSamples ?? [],
    })
  }
  console.log(`\nsoak results (${opts.duration} s, ${opts.clients} clients each; RSS / open fds / threads)`)
  console.log('| adapter | database | operations | errors (sqld busy) | start | end of load | after $disconnect | growth after warm-up | verdict |')
  console.log('|---|---|--:|--:|---|---|---|---|---|')
  for (const x of rows) console.log(`| ${x.adapter} | ${x.db} | ${x.ops} | ${x.errors}${x.serverBusy ? ` (${x.serverBusy})` : ''} | ${x.start} | ${x.end} | ${x.closed} | ${x.growth} | ${x.verdict} |`)
  for (const x of rows) {
    console.log(`\n[${x.adapter}/${x.db}] operations: ${JSON.stringify(x.opsByKind ?? {})}`)
    for (const p of x.problems) console.log(`  problem: ${p}`)
    for (const n of x.notes) console.log(`  note: ${n}`)
    for (const m of x.errorSamples) console.log(`  error: ${m}`)
  }
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ opts, runs: done, rows }, null, 2))
  console.log(`\nsoak: ${failed ? 'FAILED' : 'passed'} in ${Math.round((Date.now() - started) / 1000)} s`)
  process.exitCode = failed ? 1 : 0
} finally {
  for (const d of dbs) await d.cleanup()
}
