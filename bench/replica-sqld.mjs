// Embedded replicas of sqld, ours vs the official @libsql/client, on the same server:
//   - bootstrap of a ~20 MB database (open + first sync until the data is readable);
//   - sync of ~1,000 changed pages;
//   - reads on the replica while a sync runs: how many 1-row reads complete during the sync,
//     and the longest event-loop stall (the official sync() runs on the JS thread).
// Usage: node bench/replica-sqld.mjs [--mb 20] [--pages 1000] [--rounds 3] [--no-reads]
//          [--max-log-size MB]  (sqld's; default 200: a smaller one makes it compact its log into
//          snapshot files sooner, as a large --mb with --pages does, issue 12; the smallest run
//          that hit its "snapshot not found" window: --mb 2 --pages 400 --max-log-size 4 --rounds 1)
// Numbers only; nothing is asserted. The machine may be loaded: read the spread, not one value.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { createClient as officialClient } from '@libsql/client'
import { createClient as oursClient } from 'libsql-cpp'
import { startSqld } from '../tests/sqld.mjs'

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : dflt
}
const MB = arg('mb', 20)
const PAGES = arg('pages', 1000)
const ROUNDS = arg('rounds', 3)
const NO_READS = process.argv.includes('--no-reads') // time the sync alone
const MAX_LOG_SIZE = arg('max-log-size', 0)
const ROW = 1000 // bytes per row: ~4 rows per 4 KiB page

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-bench-replica-'))
const server = await startSqld({ args: MAX_LOG_SIZE > 0 ? ['--max-log-size', String(MAX_LOG_SIZE)] : [] })
const primary = officialClient({ url: server.url })
await primary.execute('CREATE TABLE big (id INTEGER PRIMARY KEY, n INTEGER, pad BLOB)')
const rows = Math.round((MB * 1024 * 1024) / (ROW + 30))
for (let start = 0; start < rows; start += 2000) {
  const n = Math.min(2000, rows - start)
  await primary.batch(Array.from({ length: n }, (_, i) => ({
    sql: 'INSERT INTO big (id, n, pad) VALUES (?, 0, randomblob(?))', args: [start + i + 1, ROW],
  })), 'write')
}

const clients = {
  official: (file) => officialClient({ url: `file:${file}`, syncUrl: server.url }),
  ours: (file) => oursClient({ url: `file:${file}`, syncUrl: server.url, readYourWrites: false }),
}

/** Runs `sync` while a read loop runs; returns the sync time, the reads done meanwhile, the longest loop stall. */
async function syncUnderReads(client) {
  let reads = 0
  let stop = false
  let last = performance.now()
  let stall = 0
  const ticker = setInterval(() => {
    const now = performance.now()
    stall = Math.max(stall, now - last)
    last = now
  }, 1)
  const reader = (async () => {
    while (!stop && !NO_READS) {
      await client.execute('SELECT n FROM big WHERE id = 1')
      reads++
    }
  })()
  const t0 = performance.now()
  const r = await client.sync()
  const ms = performance.now() - t0
  stop = true
  await reader
  clearInterval(ticker)
  stall = Math.max(stall, performance.now() - last)
  return { ms, reads, stall, frames: r?.frames_synced }
}

const results = []
for (let round = 0; round < ROUNDS; round++) {
  for (const name of round % 2 === 0 ? ['official', 'ours'] : ['ours', 'official']) {
    const file = path.join(dir, `${name}-${round}.db`)
    const t0 = performance.now()
    const client = clients[name](file)
    await client.sync()
    const count = (await client.execute('SELECT count(*) AS c FROM big')).rows[0].c
    const bootstrapMs = performance.now() - t0
    // ~PAGES changed pages: every 4th row of a contiguous range touches each page once.
    const first = 1 + round * PAGES * 4
    await primary.execute({ sql: 'UPDATE big SET n = n + 1 WHERE id >= ? AND id < ? AND id % 4 = 0', args: [first, first + PAGES * 4] })
    const s = await syncUnderReads(client)
    results.push({ round, name, rows: Number(count), bootstrapMs, syncMs: s.ms, frames: s.frames, readsDuringSync: s.reads, maxStallMs: s.stall })
    client.close()
  }
}
const size = fs.statSync(path.join(dir, 'ours-0.db')).size
console.log(`database: ${(size / 1024 / 1024).toFixed(1)} MB, ${rows} rows; ${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`)
console.table(results.map((r) => ({ ...r, bootstrapMs: r.bootstrapMs.toFixed(0), syncMs: r.syncMs.toFixed(0), maxStallMs: r.maxStallMs.toFixed(0) })))
primary.close()
await server.stop()
fs.rmSync(dir, { recursive: true, force: true })
