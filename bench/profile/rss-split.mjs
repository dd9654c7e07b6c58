// Where the peak RSS of the 100,000-row read goes: one adapter-level read in a fresh process,
// with V8's view (heap, external/ArrayBuffers) and the process's (RSS, VmHWM) before, while the
// result is still referenced, and after it is dropped and collected.
//   node --expose-gc bench/profile/rss-split.mjs <ours|official|bs3> [file|memory] [reads=1]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { SEED_BULK_SQL } from '../lib/workloads.mjs'
import { makeFactory } from '../lib/adapters.mjs'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const [kind = 'ours', mode = 'file', reps = '1'] = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-rss-'))
const file = path.join(dir, 'db.db')
const d = new Database(file)
d.pragma('journal_mode=WAL')
d.exec(SEED_BULK_SQL)
d.close()
if (process.argv.includes('--print-step')) {
  // in a child process, so that loading Prisma does not count in this process's RSS
  const { compileTrace } = await import('../lib/trace.mjs')
  const { recordTrace } = await import('../lib/record.mjs')
  const [st] = compileTrace(await recordTrace(await makeFactory('official', `file:${file}`), 'read100k'), 'read100k')
  process.stdout.write(JSON.stringify(st))
  fs.rmSync(dir, { recursive: true, force: true })
  process.exit(0)
}
const step = JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), kind, mode, '--print-step'], { encoding: 'utf8' }))
const adapter = await (await makeFactory(kind, mode === 'memory' ? ':memory:' : `file:${file}`, { seed: mode === 'memory' ? SEED_BULK_SQL : undefined })).connect()
const mb = (x) => (x / 2 ** 20).toFixed(0).padStart(4)
function snap(label) {
  const m = process.memoryUsage()
  const s = fs.readFileSync('/proc/self/status', 'utf8')
  const kb = (k) => Number(s.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm'))[1]) * 1024
  console.log(`${kind.padEnd(8)} ${label.padEnd(22)} rss ${mb(m.rss)} MB  VmHWM ${mb(kb('VmHWM'))} MB  heapUsed ${mb(m.heapUsed)} MB  external ${mb(m.external)} MB (arrayBuffers ${mb(m.arrayBuffers)})`)
}
globalThis.gc()
snap('before')
for (let i = 1; i <= Number(reps); i++) {
  let r = await adapter.queryRaw({ sql: step.sql, args: step.args, argTypes: step.argTypes })
  snap(`read ${i}: holding ${r.rows.length / 1000}k`)
  r = null
  globalThis.gc()
  snap(`read ${i}: after gc`)
}
await adapter.dispose()
fs.rmSync(dir, { recursive: true, force: true })
