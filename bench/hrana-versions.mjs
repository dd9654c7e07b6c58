// Hrana 2 vs Hrana 3 on sqld, through libsql-cpp's client (bindings/node): time and peak RSS.
//
//   node bench/hrana-versions.mjs [--rounds N] [--big-responses]
//
// sqld refuses a response body over 10 MB (RESPONSE_TOO_LARGE), so a 100,000-row read fails on
// Hrana 2; on Hrana 3 it is run again through a cursor. --big-responses raises sqld's limits
// (--max-response-size, --max-total-response-size) so that Hrana 2 can be measured too.
// One sqld (tests/sqld.mjs) holds `bulk`: 100,000 rows x 8 columns (int, text, real, int,
// text date, int, nullable text, 32-byte blob). Every cell runs in a fresh Node process with
// LIBSQL_HRANA_VERSION=2 or 3 (the diagnostics switch that skips the version probe), so that its
// peak RSS (VmHWM) is its own:
//   read1000       SELECT of 1,000 rows (findMany-1000's shape), outside a transaction
//   read1000-tx    the same inside a read transaction (Hrana 3: a v3/cursor)
//   read100k       all 100,000 rows outside a transaction (one pipeline body on both versions)
//   read100k-tx    all 100,000 rows inside a read transaction (Hrana 3: streamed through a cursor)
// With the C++ reader built (`cmake --build --preset ci --target bench_remote_read`; --cpp PATH
// to point elsewhere), each cell runs through it as well: the same reads without Node's objects.
// Times are medians over the rounds; the machine may be loaded: compare cells of one run only.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { startSqld } from '../tests/sqld.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : dflt
}

if (args[0] === '--child') {
  // One cell: node hrana-versions.mjs --child URL WORKLOAD ROUNDS
  const [, url, workload, roundsText] = args
  const { createClient } = await import(path.join(here, '..', 'bindings', 'node', 'lib', 'index.mjs'))
  const db = createClient({ url, intMode: 'bigint' })
  const rounds = Number(roundsText)
  const big = workload.startsWith('read100k')
  const sql = big ? 'SELECT * FROM bulk' : 'SELECT * FROM bulk WHERE id > ? ORDER BY id LIMIT 1000'
  const once = async (i) => {
    const stmt = big ? sql : { sql, args: [(i * 7919) % 99000] }
    if (workload.endsWith('-tx')) {
      const tx = await db.transaction('read')
      const rs = await tx.execute(stmt)
      await tx.commit()
      return rs.rows.length
    }
    return (await db.execute(stmt)).rows.length
  }
  await once(0)  // warm-up: connection, version
  const times = []
  let rows = 0
  for (let i = 1; i <= rounds; i++) {
    const t0 = process.hrtime.bigint()
    rows = await once(i)
    times.push(Number(process.hrtime.bigint() - t0) / 1e6)
  }
  db.close()
  times.sort((a, b) => a - b)
  const status = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8')
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024
  console.log(JSON.stringify({ rows, medianMs: times[Math.floor(times.length / 2)], peakRssMb: hwm }))
  process.exit(0)
}

const server = await startSqld({
  args: args.includes('--big-responses') ? ['--max-response-size', '1GB', '--max-total-response-size', '1GB'] : [],
})
try {
  const { createClient } = await import(path.join(here, '..', 'bindings', 'node', 'lib', 'index.mjs'))
  const seed = createClient({ url: server.url })
  await seed.executeMultiple(`
    CREATE TABLE bulk (id INTEGER PRIMARY KEY, name TEXT, score REAL, qty INTEGER, created TEXT, flag INTEGER, note TEXT, data BLOB);
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000)
    INSERT INTO bulk SELECT x, 'name ' || x, x / 3.0, x % 1000, '2026-12-06T12:00:00.000Z', x % 2,
      CASE WHEN x % 3 = 0 THEN NULL ELSE 'note ' || x END, randomblob(32) FROM c;`)
  seed.close()
  const cells = [
    ['read1000', Number(opt('--rounds', 30))],
    ['read1000-tx', Number(opt('--rounds', 30))],
    ['read100k', Math.max(3, Math.floor(Number(opt('--rounds', 30)) / 10))],
    ['read100k-tx', Math.max(3, Math.floor(Number(opt('--rounds', 30)) / 10))],
  ]
  console.log(`sqld ${server.url}; ${new Date().toISOString()}; loadavg ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`)
  const cpp = opt('--cpp', path.join(here, '..', 'build', 'ci', 'bench', 'bench_remote_read'))
  const runners = [['node', null]]
  if (fs.existsSync(cpp)) runners.push(['c++', cpp])
  console.log('client  workload      hrana  rows     median ms  peak RSS MB')
  for (const [client, binary] of runners) {
  for (const [workload, rounds] of cells) {
    for (const version of ['2', '3']) {
      if (binary) {
        const sql = workload.startsWith('read100k') ? 'SELECT * FROM bulk' : 'SELECT * FROM bulk WHERE id > 5000 ORDER BY id LIMIT 1000'
        const r = spawnSync(binary, [server.url, sql, String(rounds), workload.endsWith('-tx') ? 'tx' : 'plain'], {
          env: { ...process.env, LIBSQL_HRANA_VERSION: version },
          encoding: 'utf8',
          timeout: 600_000,
        })
        if (r.status !== 0) {
          console.log(`${client.padEnd(7)} ${workload.padEnd(13)} v${version}    failed: ${(r.stderr || r.error?.message || '').trim().slice(0, 200)}`)
          continue
        }
        const m = JSON.parse(r.stdout.trim())
        console.log(`${client.padEnd(7)} ${workload.padEnd(13)} v${version}    ${String(m.rows).padEnd(8)} ${m.medianMs.toFixed(1).padStart(9)}  ${m.peakRssMb.toFixed(0).padStart(11)}`)
        continue
      }
      const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', server.url, workload, String(rounds)], {
        env: { ...process.env, LIBSQL_HRANA_VERSION: version },
        encoding: 'utf8',
        timeout: 600_000,
      })
      if (r.status !== 0) {
        const why = (r.stderr || r.error?.message || '').split('\n').find((l) => /Error/.test(l)) ?? ''
        console.log(`${client.padEnd(7)} ${workload.padEnd(13)} v${version}    failed: ${why.trim().slice(0, 200)}`)
        continue
      }
      const m = JSON.parse(r.stdout.trim().split('\n').pop())
      console.log(`${client.padEnd(7)} ${workload.padEnd(13)} v${version}    ${String(m.rows).padEnd(8)} ${m.medianMs.toFixed(1).padStart(9)}  ${m.peakRssMb.toFixed(0).padStart(11)}`)
    }
  }
  }
} finally {
  await server.stop()
}
