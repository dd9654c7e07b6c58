// Cold start: a fresh Node process imports the adapter, opens a file database and runs a first
// query; the time from before the import to the first row, median of N processes per adapter
// (alternating). Usage: node bench/cold_start.mjs [N=20]
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const n = Number(process.argv[2] || 20)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cold-'))
const child = (pkg) => `
const t0 = performance.now()
const { PrismaLibSql } = await import('${pkg}')
const adapter = await new PrismaLibSql({ url: 'file:${dir}/cold.db' }).connect()
const rs = await adapter.queryRaw({ sql: 'SELECT 1 AS x', args: [], argTypes: [] })
if (rs.rows[0][0] !== 1) throw new Error('bad row')
process.stdout.write(String(performance.now() - t0))
await adapter.dispose()
`
const adapters = { 'libsql-cpp': 'libsql-cpp', '@prisma/adapter-libsql': '@prisma/adapter-libsql' }
const times = Object.fromEntries(Object.keys(adapters).map((k) => [k, []]))
for (let i = 0; i < n; i++) {
  for (const [name, pkg] of Object.entries(adapters)) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', child(pkg)], { encoding: 'utf8', cwd: process.cwd() })
    if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`)
    times[name].push(Number(r.stdout))
  }
}
const median = (a) => { const s = [...a].sort((x, y) => x - y); return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 }
for (const [name, t] of Object.entries(times)) console.log(`${name}: median ${median(t).toFixed(1)} ms over ${n} processes`)
fs.rmSync(dir, { recursive: true, force: true })
