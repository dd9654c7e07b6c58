// The soak's worker (ours, sqld) run by hand, with an optional logging proxy (set PROXY_LOG=file)
// between it and sqld, and gdb's stacks of sqld once the operation count stops moving for two
// samples (soak-stall-stacks.txt). Not part of CI. Usage: node tests/soak/stall-driver.mjs [CLIENTS] [SECONDS]
import net from 'node:net'
import fs from 'node:fs'
import path from 'node:path'
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startSqld, freePort } from '../sqld.mjs'
import { withLibsql, MIGRATION_SQL } from '../e2e/adapters.mjs'
const here = path.dirname(fileURLToPath(import.meta.url))
const [clients = '16', secs = '60'] = process.argv.slice(2)
const logFile = process.env.PROXY_LOG ?? '/dev/null'
const out = fs.createWriteStream(logFile)
const t0 = Date.now()
const sqld = await startSqld()
await withLibsql(sqld.url, (c) => c.executeMultiple(MIGRATION_SQL))
const port = await freePort()
let nconn = 0
const srv = net.createServer((c) => {
  const id = ++nconn
  const u = net.connect(sqld.port, '127.0.0.1')
  const log = (dir, d) => {
    const s = d.toString('utf8')
    const body = s.includes('\r\n\r\n') ? s.slice(s.indexOf('\r\n\r\n') + 4) : s
    const first = s.startsWith('POST') || s.startsWith('HTTP') ? s.split('\r\n')[0] : ''
    out.write(`${Date.now() - t0} c${id} ${dir} ${first} ${body.slice(0, 600).replace(/\s+/g, ' ')}\n`)
  }
  c.on('data', (d) => { log('>', d); u.write(d) })
  u.on('data', (d) => { log('<', d); c.write(d) })
  c.on('close', () => { out.write(`${Date.now() - t0} c${id} client-closed\n`); u.destroy() })
  u.on('close', () => { out.write(`${Date.now() - t0} c${id} upstream-closed\n`); c.destroy() })
  c.on('error', () => {}); u.on('error', () => {})
})
await new Promise((r) => srv.listen(port, '127.0.0.1', r))
const url = !process.env.PROXY_LOG ? sqld.url : `http://127.0.0.1:${port}`
console.log('sqld', sqld.url, 'proxy', url)
const child = fork(path.join(here, 'worker.mjs'), [JSON.stringify({
  adapter: 'ours', db: 'sqld', url, clients: Number(clients), durationMs: Number(secs) * 1000, intervalMs: 5000,
})], { execArgv: ['--expose-gc'] })
let lastOps = -1, same = 0
child.on('message', async (m) => {
  console.log(JSON.stringify(m).slice(0, 300))
  if (m.type === 'sample' && m.sample.label === 'tick') {
    same = m.sample.ops === lastOps ? same + 1 : 0
    lastOps = m.sample.ops
    if (same === 2) {
      const { execFileSync } = await import('node:child_process')
      const bt = execFileSync('gdb', ['-p', String(sqld.pid), '-batch', '-ex', 'thread apply all bt 12'], { encoding: 'utf8' })
      fs.writeFileSync('soak-stall-stacks.txt', bt)
      const count = (re) => (bt.match(re) || []).length
      console.log('STALL: sqld threads', count(/^Thread /gm), 'acquire', count(/ManagedConnectionWalWrapper::acquire/g), 'begin_write', count(/begin_write_transaction/g), 'autocheckpoint', count(/sqlite3WalDefaultHook/g))
      child.kill('SIGKILL')
    }
  }
})
const done = new Promise((r) => child.on('exit', r))
const limit = setTimeout(() => { console.log('TIMEOUT: killing worker'); child.kill('SIGKILL') }, (Number(secs) + 60) * 1000)
await done
clearTimeout(limit)
srv.close(); out.end()
await sqld.stop()
process.exit(0)
