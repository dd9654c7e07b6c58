// Counts what one adapter-level op costs in fsync-family syscalls: run under
//   strace -f -c -e trace=fsync,fdatasync,sync_file_range node bench/profile/fsync-check.mjs <kind> <op> [n]
// (kind: ours | official | bs3; op: insert | tx5 | point). Prints ops/s; strace prints the counts.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { SEED_SQL, paramsFor } from '../lib/workloads.mjs'
import { makeFactory } from '../lib/adapters.mjs'
import { compileTrace, makeReplayer } from '../lib/trace.mjs'
import { recordTrace } from '../lib/record.mjs'

const [kind = 'ours', op = 'tx5', n = '200'] = process.argv.slice(2)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-fsync-'))
const file = path.join(dir, 'db.db')
const d = new Database(file)
d.pragma('journal_mode=WAL')
d.exec(SEED_SQL)
d.close()
const steps = compileTrace(await recordTrace(await makeFactory(kind, `file:${file}`), op), op)
const adapter = await (await makeFactory(kind, `file:${file}`)).connect()
const replay = makeReplayer(steps)
const t0 = performance.now()
for (let i = 0; i < Number(n); i++) await replay(adapter, paramsFor(op, i))
const secs = (performance.now() - t0) / 1000
console.error(`${kind} ${op}: ${n} ops in ${secs.toFixed(3)} s = ${(Number(n) / secs).toFixed(0)} ops/s`)
await adapter.dispose()
fs.rmSync(dir, { recursive: true, force: true })
