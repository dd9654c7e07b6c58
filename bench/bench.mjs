// The side-by-side benchmark. Run it through bench/run.sh, which builds what it
// needs first; see bench/README.md for the method.
//
//   node --expose-gc bench/bench.mjs [--quick] [--runs N] [--ms N] [--warmup-ms N] [--rss-reps N]
//        [--levels adapter,prisma] [--modes file,memory] [--workloads point,tx5,...]
//        [--adapters floor,ours,official,bs3[,stub]] [--remote] [--out FILE] [--dir DIR] [--keep]
//
// For every (level, mode) group it starts one process per adapter (bench/worker.mjs) plus the C
// floor (bench_floor, adapter level only). For every workload, each takes its own copy of a
// seeded database, warms up, and then all of them run in interleaved rounds (the order rotates
// each round), so that noise on this shared machine hits every column alike. The 100,000-row
// read runs in a fresh process per adapter, for its peak RSS.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fork, spawn, execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { SEED_SQL, SEED_BULK_SQL, WORKLOADS, OPS } from './lib/workloads.mjs'
import { ADAPTER_KINDS, OPTIONAL_KINDS, makeFactory } from './lib/adapters.mjs'
import { compileTrace, describeTrace, floorProgram } from './lib/trace.mjs'
import { recordTrace } from './lib/record.mjs'
import { render, computeTargets, MODE_LABELS } from './lib/report.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '..')

// ---------- options ----------
const argv = process.argv.slice(2)
const flag = (name) => argv.includes(name)
const opt = (name, dflt) => {
  const i = argv.indexOf(name)
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt
}
const list = (name, dflt) => opt(name, dflt.join(',')).split(',').map((s) => s.trim()).filter(Boolean)
const quick = flag('--quick')
const cfg = {
  runs: Number(opt('--runs', quick ? 3 : 5)),
  ms: Number(opt('--ms', quick ? 150 : 200)),
  warmupMs: Number(opt('--warmup-ms', quick ? 100 : 150)),
  rssReps: Number(opt('--rss-reps', quick ? 2 : 3)),
  levels: list('--levels', ['adapter', 'prisma']),
  modes: list('--modes', ['file', 'memory']),
  workloads: list('--workloads', WORKLOADS.map((w) => w.id)),
  adapters: list('--adapters', ['floor', ...ADAPTER_KINDS]),
  remote: flag('--remote'),
  quick,
}
if (cfg.remote) for (const m of ['remote0', 'remote20']) if (!cfg.modes.includes(m)) cfg.modes.push(m)
const outFile = path.resolve(opt('--out', path.join(here, 'results', 'latest.json')))
const floorBin = process.env.BENCH_FLOOR || path.join(root, 'build', 'dev', 'bench', 'bench_floor')
for (const w of cfg.workloads) if (!WORKLOADS.some((x) => x.id === w)) throw new Error(`unknown workload ${w}`)

const workDir = opt('--dir') ? path.resolve(opt('--dir')) : fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-bench-'))
fs.mkdirSync(workDir, { recursive: true })
const started = Date.now()
const log = (...a) => console.error(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s]`, ...a)

// ---------- databases ----------
function removeDb(file) {
  for (const s of ['', '-wal', '-shm', '-journal']) fs.rmSync(file + s, { force: true })
}
/** A file database in WAL mode (persistent in the file), built with better-sqlite3 directly. */
function buildTemplate(file, sql) {
  removeDb(file)
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.exec(sql)
  db.close() // checkpoints and removes the -wal file: the copy is one self-contained file
  return file
}
let cellFiles = []
function copyOf(template, name) {
  const file = path.join(workDir, `${name}.db`)
  removeDb(file)
  fs.copyFileSync(template, file)
  cellFiles.push(file)
  return file
}
function dropCellFiles() {
  for (const f of cellFiles) removeDb(f)
  cellFiles = []
}

// ---------- participants ----------
class NodeParticipant {
  constructor(kind) {
    this.kind = kind
    this.pending = []
    this.child = fork(path.join(here, 'worker.mjs'), [kind], {
      execArgv: ['--expose-gc'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    })
    this.child.on('message', (m) => this.pending.shift()?.resolve(m))
    this.child.on('exit', (code, sig) => {
      this.dead = `worker ${kind} exited (${code ?? sig})`
      for (const p of this.pending.splice(0)) p.resolve({ ok: false, error: this.dead })
    })
    this.ready = new Promise((resolve) => this.pending.push({ resolve }))
  }
  request(msg, timeoutMs = 120_000) {
    if (this.dead) return Promise.resolve({ ok: false, error: this.dead })
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.kill()
        resolve({ ok: false, error: `timed out after ${timeoutMs / 1000} s (${msg.type})` })
      }, timeoutMs)
      this.pending.push({ resolve: (m) => { clearTimeout(timer); resolve(m) } })
      this.child.send(msg)
    })
  }
  setup(cell) {
    return this.request({ type: 'setup', ...cell })
  }
  run(ms, minOps) {
    return this.request({ type: 'run', ms, minOps }, ms + 120_000)
  }
  rss() {
    return this.request({ type: 'rss' })
  }
  teardown() {
    return this.request({ type: 'teardown' }, 30_000)
  }
  kill() {
    if (!this.dead) this.child.kill('SIGKILL')
    this.dead ??= 'killed'
  }
  async close() {
    if (this.dead) return
    const exited = new Promise((r) => this.child.once('exit', r))
    this.child.send({ type: 'exit' })
    const t = setTimeout(() => this.kill(), 10_000)
    await exited
    clearTimeout(t)
  }
}

class FloorParticipant {
  constructor() {
    this.kind = 'floor'
    this.pending = []
    this.child = spawn(floorBin, [], { stdio: ['pipe', 'pipe', 'inherit'] })
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      let m
      try {
        m = JSON.parse(line)
      } catch {
        m = { error: `bad reply: ${line.slice(0, 200)}` }
      }
      this.pending.shift()?.(m)
    })
    this.child.on('exit', (code, sig) => {
      this.dead = `floor exited (${code ?? sig})`
      for (const p of this.pending.splice(0)) p({ error: this.dead })
    })
    this.child.on('error', (e) => {
      this.dead = `floor: ${e.message}`
      for (const p of this.pending.splice(0)) p({ error: this.dead })
    })
    this.ready = Promise.resolve()
  }
  /** Writes the chunks and collects `replies` replies; resolves to the first error or the last. */
  async send(chunks, replies) {
    if (this.dead) return { error: this.dead }
    const got = Array.from({ length: replies }, () => new Promise((r) => this.pending.push(r)))
    for (const c of chunks) this.child.stdin.write(c)
    const all = await Promise.all(got)
    return all.find((m) => m.error) ?? all[all.length - 1]
  }
  async setup({ mode, url, seed, workload, floorTraces }) {
    const file = url === ':memory:' ? ':memory:' : url.replace(/^file:/, '')
    const conns = file === ':memory:' ? 1 : os.availableParallelism()
    const p = Buffer.from(file)
    let r = await this.send([Buffer.from(`open ${conns} ${p.length}\n`), p, Buffer.from('\n')], 1)
    if (r.error) return { ok: false, error: r.error }
    const durability = { journal_mode: r.journal_mode, synchronous: r.synchronous, sqlite: r.version, connections: r.connections }
    if (seed) {
      const s = Buffer.from(seed)
      r = await this.send([Buffer.from(`script ${s.length}\n`), s, Buffer.from('\n')], 1)
      if (r.error) return { ok: false, error: r.error }
    }
    const w = WORKLOADS.find((x) => x.id === workload)
    const chunks = [Buffer.from('reset\n')]
    let replies = 1
    for (const [op, weight] of w.mix) {
      const steps = floorTraces[op]
      for (const c of floorProgram(steps, weight, OPS[op].vars)) chunks.push(c)
      replies += 1 + steps.length
    }
    chunks.push(Buffer.from('ready\n'))
    r = await this.send(chunks, replies + 1)
    if (r.error) return { ok: false, error: r.error }
    this.conc = w.concurrency ?? 1
    return { ok: true, durability }
  }
  async run(ms, minOps) {
    const r = await this.send([Buffer.from(`run ${ms} ${minOps} ${this.conc}\n`)], 1)
    if (r.error) return { ok: false, error: r.error }
    return { ok: true, ops: r.ops, secs: r.secs, lat: Float64Array.from(r.lat_us), threads: r.threads }
  }
  async rss() {
    const r = await this.send([Buffer.from('rss\n')], 1)
    return { ok: true, ...r }
  }
  async teardown() {
    return { ok: true }
  }
  kill() {
    if (!this.dead) this.child.kill('SIGKILL')
  }
  async close() {
    if (this.dead) return
    const exited = new Promise((r) => this.child.once('exit', r))
    this.child.stdin.end('quit\n')
    await exited
  }
}

// ---------- the remote test server ----------
async function startServer(dbFile) {
  const child = spawn('python3', [path.join(root, 'tests', 'hrana_server', 'server.py'), '--db', dbFile, '--port', '0'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const port = await new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout })
    rl.on('line', (line) => {
      const m = /^LISTENING (\d+)/.exec(line)
      if (m) resolve(Number(m[1]))
    })
    child.on('exit', (c) => reject(new Error(`hrana test server exited (${c})`)))
    setTimeout(() => reject(new Error('hrana test server did not start in 20 s')), 20_000)
  })
  const base = `http://127.0.0.1:${port}`
  return {
    url: base,
    control: async (body) => {
      const res = await fetch(`${base}/_control`, { method: 'POST', body: JSON.stringify(body) })
      if (!res.ok) throw new Error(`/_control: HTTP ${res.status}`)
    },
    /** Hrana pipeline requests the server has answered since the last reset_stats. */
    pipelineRequests: async () => {
      const res = await fetch(`${base}/_stats`)
      if (!res.ok) throw new Error(`/_stats: HTTP ${res.status}`)
      return (await res.json()).pipeline_requests
    },
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}

// ---------- statistics ----------
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const n = s.length
  return n === 0 ? null : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}
function percentile(sorted, p) {
  if (!sorted.length) return null
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]
}
function summarize(runs) {
  const rates = runs.map((r) => r.ops / r.secs)
  const n = runs.reduce((a, r) => a + r.lat.length, 0)
  const all = new Float64Array(n)
  let o = 0
  for (const r of runs) {
    all.set(r.lat, o)
    o += r.lat.length
  }
  all.sort()
  return {
    opsPerSec: median(rates),
    runs: rates.map((x) => Math.round(x * 100) / 100),
    p50_us: percentile(all, 50),
    p99_us: percentile(all, 99),
    samples: n,
  }
}

// ---------- main ----------
const results = {
  version: 1,
  date: new Date().toISOString(),
  command: `bench/run.sh ${argv.join(' ')}`.trim(),
  machine: machineInfo(),
  config: cfg,
  traces: {},
  cells: [],
}

function machineInfo() {
  let fsType = '?'
  try {
    fsType = execFileSync('df', ['-T', workDir], { encoding: 'utf8' }).trim().split('\n')[1].split(/\s+/)[1]
  } catch {}
  let sqlite = '?'
  try {
    sqlite = new Database(':memory:').prepare('select sqlite_version()').pluck().get()
  } catch {}
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model,
    memGB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    dbDir: workDir,
    loadAvgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    dbFs: fsType,
    betterSqlite3Sqlite: sqlite,
  }
}

const templates = {}
async function prepareTemplates() {
  templates.main = buildTemplate(path.join(workDir, 'template-main.db'), SEED_SQL)
  if (cfg.workloads.includes('read100k')) templates.bulk = buildTemplate(path.join(workDir, 'template-bulk.db'), SEED_BULK_SQL)
}

/** traces[kind][op] = compiled steps (what Prisma sends to that adapter). */
const traces = {}
async function recordTraces() {
  const ops = new Set(cfg.workloads.flatMap((id) => WORKLOADS.find((w) => w.id === id).mix.map(([op]) => op)))
  const kinds = ADAPTER_KINDS.filter((k) => cfg.adapters.includes(k) || k === 'official') // not the stub
  for (const kind of kinds) {
    traces[kind] = {}
    const file = copyOf(templates.main, `trace-${kind}`)
    for (const op of ops) {
      try {
        traces[kind][op] = compileTrace(await recordTrace(await makeFactory(kind, `file:${file}`), op), op)
      } catch (e) {
        traces[kind][op] = { error: e.message }
      }
      results.traces[op] ??= {}
      results.traces[op][kind] = traces[kind][op].error ? `error: ${traces[kind][op].error}` : describeTrace(traces[kind][op])
    }
  }
  dropCellFiles()
}

const participants = new Map()
async function spawnGroup(level, mode) {
  const kinds = []
  if (level === 'adapter' && cfg.adapters.includes('floor') && !mode.startsWith('remote')) kinds.push('floor')
  for (const k of [...ADAPTER_KINDS, ...OPTIONAL_KINDS]) {
    if (!cfg.adapters.includes(k)) continue
    if (mode.startsWith('remote') && (k === 'bs3' || k === 'stub')) continue
    if (k === 'stub' && level !== 'prisma') continue
    kinds.push(k)
  }
  for (const k of kinds) participants.set(k, k === 'floor' ? new FloorParticipant() : new NodeParticipant(k))
  await Promise.all([...participants.values()].map((p) => p.ready))
}
async function closeGroup() {
  await Promise.all([...participants.values()].map((p) => p.close()))
  participants.clear()
}
function participant(kind) {
  let p = participants.get(kind)
  if (p?.dead) {
    p = kind === 'floor' ? new FloorParticipant() : new NodeParticipant(kind)
    participants.set(kind, p)
  }
  return p
}

function cellSpec(kind, level, mode, w, server) {
  const spec = { level, mode, workload: w.id }
  if (mode === 'memory') {
    spec.url = ':memory:'
    spec.seed = w.id === 'read100k' ? SEED_BULK_SQL : SEED_SQL
  } else if (mode.startsWith('remote')) {
    spec.url = server.url
  } else {
    spec.url = `file:${copyOf(w.id === 'read100k' ? templates.bulk : templates.main, `${level}-${mode}-${w.id}-${kind}`)}`
  }
  if (kind === 'floor') {
    spec.floorTraces = traces.official
  } else if (level === 'adapter') {
    spec.traces = traces[kind]
  }
  return spec
}

function pushCell(base, extra) {
  const cell = { ...base, ...extra }
  results.cells.push(cell)
  return cell
}

async function runCell(level, mode, w, server) {
  const kinds = [...participants.keys()]
  const base = { level, mode, workload: w.id }
  const active = []
  const durability = {}
  for (const kind of kinds) {
    if (level === 'adapter' && kind !== 'floor') {
      const missing = w.mix.map(([op]) => traces[kind]?.[op]).find((t) => !t || t.error)
      if (missing !== undefined) {
        pushCell(base, { kind, status: 'error', message: `no trace: ${missing?.error ?? 'not recorded'}` })
        continue
      }
    }
    const r = await participant(kind).setup(cellSpec(kind, level, mode, w, server))
    if (!r.ok) {
      pushCell(base, { kind, status: r.na ? 'na' : 'error', message: r.na ?? r.error, detail: r.detail })
      await participant(kind).teardown()
      continue
    }
    durability[kind] = r.durability
    active.push(kind)
  }
  const runs = Object.fromEntries(active.map((k) => [k, []]))
  const failed = {}
  const over = (level === 'prisma' && w.prisma) || {}
  const minOps = over.minOps ?? w.minOps ?? 1
  const nRuns = Math.min(cfg.runs, over.runs ?? cfg.runs)
  for (const kind of active) {
    const r = await participant(kind).run(over.warmupMs ?? cfg.warmupMs, minOps)
    if (!r.ok) failed[kind] = r.error
  }
  for (let round = 0; round < nRuns; round++) {
    const order = active.map((_, i) => active[(i + round) % active.length])
    for (const kind of order) {
      if (failed[kind]) continue
      // Remote: the server counts the HTTP requests of each run (round trips per operation).
      if (server) await server.control({ reset_stats: true })
      const r = await participant(kind).run(cfg.ms, minOps)
      if (!r.ok) failed[kind] = r.error
      else {
        if (server) r.requests = await server.pipelineRequests()
        runs[kind].push(r)
      }
    }
  }
  for (const kind of active) {
    await participant(kind).teardown()
    if (failed[kind]) {
      pushCell(base, { kind, status: 'error', message: failed[kind], durability: durability[kind] })
      continue
    }
    const s = summarize(runs[kind])
    const requests = runs[kind].every((r) => r.requests != null)
      ? runs[kind].reduce((a, r) => a + r.requests, 0) / runs[kind].reduce((a, r) => a + r.ops, 0)
      : undefined
    pushCell(base, {
      kind, status: 'ok', ...s, durability: durability[kind], requestsPerOp: requests,
      rowsPerSec: w.rows ? s.opsPerSec * w.rows : undefined,
      threads: runs[kind][0]?.threads,
    })
  }
  dropCellFiles()
  const line = kinds.map((k) => {
    const c = results.cells.findLast((x) => x.level === level && x.mode === mode && x.workload === w.id && x.kind === k)
    return `${k}=${c?.status === 'ok' ? Math.round(c.opsPerSec) : c?.status}`
  })
  log(`${level}/${mode}/${w.id}: ${line.join(' ')}`)
}

/** read100k: a fresh process per adapter; ops/s over a few reads and the process's peak RSS. */
async function runRssCell(level, mode, w, kind) {
  const base = { level, mode, workload: w.id, kind }
  const p = kind === 'floor' ? new FloorParticipant() : new NodeParticipant(kind)
  try {
    await p.ready
    const r = await p.setup(cellSpec(kind, level, mode, w))
    if (!r.ok) return pushCell(base, { status: r.na ? 'na' : 'error', message: r.na ?? r.error })
    const before = await p.rss()
    const runs = []
    let first
    for (let i = 0; i < cfg.rssReps; i++) {
      const x = await p.run(0, 1)
      if (!x.ok) return pushCell(base, { status: 'error', message: x.error, durability: r.durability })
      runs.push(x)
      if (i === 0) first = await p.rss()
    }
    const after = await p.rss()
    const s = summarize(runs)
    return pushCell(base, {
      status: 'ok', ...s, durability: r.durability, rowsPerSec: s.opsPerSec * w.rows,
      // peak_kb: the peak of a process that did one read; peak_all_kb: after all the reads
      rss: { before_kb: before.vmrss_kb, peak_kb: first.vmhwm_kb, peak_all_kb: after.vmhwm_kb, after_kb: after.vmrss_kb, reads: runs.length },
    })
  } finally {
    await p.teardown()
    await p.close()
    dropCellFiles()
  }
}

async function main() {
  log(`work dir ${workDir} (${results.machine.dbFs}); runs=${cfg.runs} x ${cfg.ms} ms, warm-up ${cfg.warmupMs} ms`)
  if (cfg.adapters.includes('floor') && !fs.existsSync(floorBin)) {
    throw new Error(`${floorBin} not found: build it with bench/run.sh (or cmake --build --preset dev --target bench_floor)`)
  }
  await prepareTemplates()
  log('templates built; recording what Prisma sends to each adapter')
  await recordTraces()
  const regular = WORKLOADS.filter((w) => cfg.workloads.includes(w.id) && !w.rss)
  const rssWorkloads = WORKLOADS.filter((w) => cfg.workloads.includes(w.id) && w.rss)
  for (const level of cfg.levels) {
    for (const mode of cfg.modes) {
      const remote = mode.startsWith('remote')
      let server
      if (remote) {
        // not a cell file: it lives as long as the server
        const serverDb = path.join(workDir, `remote-${level}-${mode}.db`)
        removeDb(serverDb)
        fs.copyFileSync(templates.main, serverDb)
        server = await startServer(serverDb)
        server.db = serverDb
        if (mode === 'remote20') await server.control({ delay_ms: 20 })
      }
      await spawnGroup(level, mode)
      try {
        for (const w of regular) {
          if (remote && !w.remote) continue
          await runCell(level, mode, w, server)
        }
      } finally {
        await closeGroup()
        if (server) {
          await server.stop()
          removeDb(server.db)
        }
        dropCellFiles()
      }
    }
  }
  for (const level of cfg.levels) {
    for (const mode of cfg.modes.filter((m) => !m.startsWith('remote'))) {
      for (const w of rssWorkloads) {
        for (const kind of ['floor', ...ADAPTER_KINDS]) {
          if (!cfg.adapters.includes(kind) || (kind === 'floor' && level !== 'adapter')) continue
          const c = await runRssCell(level, mode, w, kind)
          log(`${level}/${mode}/${w.id}/${kind}: ${c.status === 'ok' ? `${Math.round(c.rowsPerSec)} rows/s, peak RSS ${Math.round(c.rss.peak_kb / 1024)} MB (${Math.round(c.rss.peak_all_kb / 1024)} MB after ${c.rss.reads} reads)` : c.status + ' ' + c.message}`)
        }
      }
    }
  }
  results.elapsedSec = Math.round((Date.now() - started) / 1000)
  results.machine.loadAvgAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100)
  results.targets = computeTargets(results)
  fs.mkdirSync(path.dirname(outFile), { recursive: true })
  fs.writeFileSync(outFile, JSON.stringify(results, null, 1) + '\n')
  log(`wrote ${path.relative(process.cwd(), outFile)} (${results.elapsedSec} s)`)
  process.stdout.write(render(results) + '\n')
}

try {
  await main()
} finally {
  for (const p of participants.values()) p.kill()
  if (!flag('--keep') && !opt('--dir')) fs.rmSync(workDir, { recursive: true, force: true })
}
void MODE_LABELS
