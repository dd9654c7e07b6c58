// Results -> Markdown (printed by bench.mjs, put into README.md by bench/readme-table.mjs), and
// the issue's targets evaluated on the results.
import { WORKLOADS } from './workloads.mjs'

export const MODE_LABELS = {
  file: 'file',
  memory: ':memory:',
  remote0: 'remote',
  remote20: 'remote +20 ms',
}
const KIND_LABELS = {
  floor: 'C floor',
  ours: 'libsql-cpp',
  official: '@prisma/adapter-libsql',
  bs3: '@prisma/adapter-better-sqlite3',
  stub: 'Prisma alone (stub adapter)',
}
const WORKLOAD_LABELS = {
  point: 'point select by PK',
  findMany1000: 'findMany 1,000 rows × 8 cols',
  include: 'include 1:n (1 + 10 rows)',
  insert: 'insert 1 row (autocommit)',
  createMany: 'createMany 10,000 rows',
  tx5: 'interactive tx, 5 statements',
  concurrent16: '16 concurrent point reads',
  mixed16: '16 clients, 80 % read / 20 % insert',
  read100k: 'read 100,000 rows',
}

const find = (r, level, mode, workload, kind) =>
  r.cells.find((c) => c.level === level && c.mode === mode && c.workload === workload && c.kind === kind)
const ok = (c) => c && c.status === 'ok' && c.opsPerSec > 0

function rate(x) {
  if (x >= 1e5) return `${Math.round(x / 1e3)}k`
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)}k`
  if (x >= 100) return `${Math.round(x).toLocaleString('en-US')}`
  if (x >= 10) return x.toFixed(1)
  return x.toFixed(2)
}
function micros(x) {
  if (x == null) return '?'
  if (x < 10) return `${x.toFixed(1)} µs`
  if (x < 1000) return `${Math.round(x)} µs`
  if (x < 10000) return `${(x / 1000).toFixed(2)} ms`
  return `${Math.round(x / 1000)} ms`
}
const ratio = (x) => (x == null || !isFinite(x) ? '—' : `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}×`)

export function computeTargets(r) {
  const out = []
  const modes = r.config.modes.filter((m) => m === 'file' || m === 'memory')
  const vs = (level, mode, workload, a, b) => {
    const x = find(r, level, mode, workload, a)
    const y = find(r, level, mode, workload, b)
    if (!x && !y) return { skip: true }
    if (!ok(x) || !ok(y)) {
      const bad = !ok(x) ? x : y
      return { value: null, why: bad ? `${bad.kind}: ${bad.status}${bad.message ? ` (${bad.message.slice(0, 90)})` : ''}` : 'not run' }
    }
    return { value: x.opsPerSec / y.opsPerSec }
  }
  const add = (text, level, mode, m, threshold, cmp = '>=', unit) => {
    if (m.skip) return
    const met = m.value == null ? null : cmp === '>=' ? m.value >= threshold : m.value <= threshold
    out.push({ text, level, mode, value: m.value, threshold, cmp, met, why: m.why, unit })
  }
  for (const mode of modes) {
    if (!r.config.levels.includes('adapter')) break
    for (const w of ['point', 'findMany1000', 'tx5']) {
      add(`adapter: ${WORKLOAD_LABELS[w]} ≥ 3× @prisma/adapter-libsql`, 'adapter', mode, vs('adapter', mode, w, 'ours', 'official'), 3)
    }
    for (const w of ['point', 'concurrent16']) {
      add(`adapter: ${WORKLOAD_LABELS[w]} ≥ 1.5× @prisma/adapter-better-sqlite3`, 'adapter', mode, vs('adapter', mode, w, 'ours', 'bs3'), 1.5)
    }
    add('adapter: findMany-1000 within 2.5× of the C floor', 'adapter', mode, vs('adapter', mode, 'findMany1000', 'floor', 'ours'), 2.5, '<=')
  }
  for (const mode of modes) {
    if (!r.config.levels.includes('prisma')) break
    for (const w of WORKLOADS) {
      if (!r.config.workloads.includes(w.id)) continue
      add(`prisma: ${WORKLOAD_LABELS[w.id]} ≥ 1.3× @prisma/adapter-libsql`, 'prisma', mode, vs('prisma', mode, w.id, 'ours', 'official'), 1.3)
    }
  }
  // Remote, 20 ms per round trip: adapter level.
  if (r.config.modes.includes('remote20') && r.config.levels.includes('adapter')) {
    add('adapter: 16 concurrent point reads ≥ 8× @prisma/adapter-libsql', 'adapter', 'remote20',
      vs('adapter', 'remote20', 'concurrent16', 'ours', 'official'), 8)
    add('adapter: findMany-1000 ≥ 1.8× @prisma/adapter-libsql', 'adapter', 'remote20',
      vs('adapter', 'remote20', 'findMany1000', 'ours', 'official'), 1.8)
    // tx5 is BEGIN + 5 statements + COMMIT: N = 5 statements in N + 1 = 6 round trips.
    const tx = find(r, 'adapter', 'remote20', 'tx5', 'ours')
    add('adapter: interactive tx of 5 statements in 5 + 1 HTTP requests', 'adapter', 'remote20',
      ok(tx) && tx.requestsPerOp != null ? { value: tx.requestsPerOp } : { value: null, why: 'not measured' }, 6, '<=', 'requests')
  }
  for (const level of r.config.levels) {
    for (const mode of modes) {
      const x = find(r, level, mode, 'read100k', 'ours')
      const y = find(r, level, mode, 'read100k', 'official')
      if (!x && !y) continue
      const m = ok(x) && ok(y) && x.rss && y.rss
        ? { value: x.rss.peak_kb / y.rss.peak_kb }
        : { value: null, why: 'not measured' }
      add(`${level}: peak RSS of the 100,000-row read ≤ @prisma/adapter-libsql's`, level, mode, m, 1, '<=')
    }
  }
  return out
}

function cellText(c, withLatency = true) {
  if (!c) return '—'
  if (c.status === 'na') return `n/a (${c.message})`
  if (c.status !== 'ok') return `✗ ${c.footnote ? `[${c.footnote}]` : 'error'}`
  return withLatency ? `${rate(c.opsPerSec)} · ${micros(c.p50_us)} / ${micros(c.p99_us)}` : rate(c.opsPerSec)
}

function levelTable(r, level, notes) {
  const kinds = ['floor', 'ours', 'official', 'bs3', 'stub'].filter((k) => r.cells.some((c) => c.level === level && c.kind === k))
  const withStub = kinds.includes('stub')
  const lines = []
  lines.push(`| workload | db | ${kinds.map((k) => KIND_LABELS[k]).join(' | ')} | ours ÷ official | ours ÷ better-sqlite3 | floor ÷ ours |${withStub ? ' ceiling: stub ÷ official |' : ''}`)
  lines.push(`|---|---|${kinds.map(() => '--:|').join('')}--:|--:|--:|${withStub ? '--:|' : ''}`)
  for (const w of WORKLOADS) {
    for (const mode of r.config.modes) {
      const row = kinds.map((k) => find(r, level, mode, w.id, k))
      if (row.every((c) => !c)) continue
      for (const c of row) {
        if (c && c.status === 'error') {
          c.footnote = notes.length + 1
          notes.push(`${KIND_LABELS[c.kind]}, ${level} level, ${MODE_LABELS[mode]}, ${WORKLOAD_LABELS[w.id]}: ${c.message}`)
        }
      }
      const ours = find(r, level, mode, w.id, 'ours')
      const off = find(r, level, mode, w.id, 'official')
      const bs3 = find(r, level, mode, w.id, 'bs3')
      // the floor ratio uses the adapter-level floor of the same workload and db
      const floor = find(r, 'adapter', mode, w.id, 'floor')
      const rOff = ok(ours) && ok(off) ? ratio(ours.opsPerSec / off.opsPerSec) : '—'
      const rBs3 = ok(ours) && ok(bs3) ? ratio(ours.opsPerSec / bs3.opsPerSec) : '—'
      const rFloor = ok(ours) && ok(floor) ? ratio(floor.opsPerSec / ours.opsPerSec) : '—'
      const stub = find(r, level, mode, w.id, 'stub')
      const rStub = withStub ? ` ${ok(stub) && ok(off) ? ratio(stub.opsPerSec / off.opsPerSec) : '—'} |` : ''
      lines.push(`| ${WORKLOAD_LABELS[w.id]} | ${MODE_LABELS[mode]} | ${row.map((c) => cellText(c)).join(' | ')} | ${rOff} | ${rBs3} | ${rFloor} |${rStub}`)
    }
  }
  return lines.join('\n')
}

function rssTable(r) {
  const rows = r.cells.filter((c) => c.workload === 'read100k')
  if (!rows.length) return ''
  const kinds = ['floor', 'ours', 'official', 'bs3', 'stub'].filter((k) => rows.some((c) => c.kind === k))
  const lines = [
    `| level | db | ${kinds.map((k) => KIND_LABELS[k]).join(' | ')} |`,
    `|---|---|${kinds.map(() => '--:|').join('')}`,
  ]
  for (const level of r.config.levels) {
    for (const mode of r.config.modes) {
      const row = kinds.map((k) => find(r, level, mode, 'read100k', k))
      if (row.every((c) => !c)) continue
      lines.push(`| ${level} | ${MODE_LABELS[mode]} | ${row.map((c) => (ok(c) && c.rss
        ? `${Math.round(c.rss.peak_kb / 1024)} MB (+${Math.round((c.rss.peak_kb - c.rss.before_kb) / 1024)}) · ${c.rss.peak_all_kb ? `${Math.round(c.rss.peak_all_kb / 1024)} MB · ` : ''}${rate(c.rowsPerSec)} rows/s`
        : cellText(c, false))).join(' | ')} |`)
    }
  }
  return lines.join('\n')
}

function durabilityTable(r) {
  const kinds = ['floor', 'ours', 'official', 'bs3']
  const modes = r.config.modes
  const lines = [`| | ${modes.map((m) => MODE_LABELS[m]).join(' | ')} |`, `|---|${modes.map(() => '---|').join('')}`]
  for (const k of kinds) {
    const cols = modes.map((mode) => {
      const seen = new Set()
      for (const c of r.cells) {
        if (c.kind !== k || c.mode !== mode || !c.durability) continue
        const d = c.durability
        const sync = { 0: 'OFF', 1: 'NORMAL', 2: 'FULL', 3: 'EXTRA' }[d.synchronous] ?? d.synchronous
        seen.add(mode.startsWith('remote') ? 'server: WAL, sqlite3 default' : `${d.journal_mode}, synchronous=${sync} (SQLite ${d.sqlite})`)
      }
      return seen.size ? [...seen].join('; ') : '—'
    })
    if (cols.every((c) => c === '—')) continue
    lines.push(`| ${KIND_LABELS[k]} | ${cols.join(' | ')} |`)
  }
  return lines.join('\n')
}

function requestsTable(r) {
  const kinds = ['ours', 'official']
  const lines = [`| level | workload | ${kinds.map((k) => KIND_LABELS[k]).join(' | ')} |`, `|---|---|${kinds.map(() => '--:|').join('')}`]
  for (const level of ['adapter', 'prisma']) {
    for (const w of WORKLOADS) {
      const cells = kinds.map((k) => find(r, level, 'remote20', w.id, k) ?? find(r, level, 'remote0', w.id, k))
      if (cells.every((c) => !ok(c) || c.requestsPerOp == null)) continue
      lines.push(`| ${level} | ${WORKLOAD_LABELS[w.id]} | ${cells.map((c) => (ok(c) && c.requestsPerOp != null ? c.requestsPerOp.toFixed(2) : '—')).join(' | ')} |`)
    }
  }
  return lines.length > 2 ? lines.join('\n') : ''
}

function targetsTable(r) {
  const t = r.targets ?? computeTargets(r)
  if (!t.length) return ''
  const lines = ['| target | db | measured | met |', '|---|---|--:|:-:|']
  for (const x of t) {
    const measured = x.value == null ? `n/a: ${x.why}` : x.unit === 'requests' ? `${x.value.toFixed(2)} requests per op` : x.text.includes('RSS') ? `${x.value.toFixed(2)}× official's` : x.cmp === '<=' ? `floor ${x.value.toFixed(2)}× faster` : `${x.value.toFixed(2)}×`
    lines.push(`| ${x.text} | ${MODE_LABELS[x.mode]} | ${measured} | ${x.met == null ? '—' : x.met ? '✓' : '✗'} |`)
  }
  return lines.join('\n')
}

export function render(r) {
  const m = r.machine
  const notes = []
  const out = []
  out.push(`Measured ${r.date.slice(0, 10)} with \`${r.command}\` on ${m.cpus} × ${m.cpuModel ?? 'CPU'}, ${m.memGB} GB, Node ${m.node}, ${m.os}; databases on ${m.dbFs}; load average ${m.loadAvgAtStart?.[0] ?? '?'} at the start, ${m.loadAvgAtEnd?.[0] ?? '?'} at the end (other work shared the machine). ` +
    `Each cell: ${r.config.runs} runs × ${r.config.ms} ms after a ${r.config.warmupMs} ms warm-up (createMany at the Prisma level: 3 runs of one op, Prisma itself takes > 1 s per op), adapters interleaved round by round; ` +
    `**ops/s is the median of the runs**, then p50 / p99 latency per op over all runs. ` +
    `Adapter level replays exactly the \`queryRaw\` / \`executeRaw\` / transaction calls Prisma 7 makes for the operation (recorded per adapter); ` +
    `Prisma level runs the operation through \`PrismaClient\`. The C floor runs the official adapter's SQL through the SQLite libsql-cpp links with cached statements ` +
    `(on a file, 16-way workloads use one thread and connection per core). Total run time ${r.elapsedSec ?? '?'} s.`)
  out.push('')
  out.push('Durability (as each adapter\'s own connection reports it; every file database is put in WAL mode before it is opened):')
  out.push('')
  out.push(durabilityTable(r))
  for (const level of ['adapter', 'prisma']) {
    if (!r.config.levels.includes(level)) continue
    out.push('')
    out.push(level === 'adapter'
      ? '#### Adapter level — ops/s · p50 / p99 latency'
      : '#### Prisma level (`PrismaClient` over each adapter) — ops/s · p50 / p99 latency')
    out.push('')
    out.push(levelTable(r, level, notes))
  }
  const section = (title, body) => {
    if (!body) return
    out.push('', title, '', body)
  }
  section('#### Remote: HTTP requests per operation (counted by the test server)', requestsTable(r))
  section(`#### 100,000-row read: peak RSS of a fresh process after one read (growth over the process before it) · peak after ${r.config.rssReps} reads · rows/s (median of the reads)`, rssTable(r))
  section('#### Targets', targetsTable(r))
  out.push('')
  out.push('Ratios are of median ops/s. "floor ÷ ours" is how many times faster the C floor is (at the Prisma level: the adapter-level floor of the same workload). ' +
    'File databases fsync at every commit, so their write rows follow the disk: on a shared machine they swing with other processes\' I/O.')
  if (notes.length) {
    out.push('')
    notes.forEach((n, i) => out.push(`${i + 1}. ${n.replace(/\|/g, '\\|')}`))
  }
  return out.join('\n')
}
