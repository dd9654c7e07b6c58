// Hrana over WebSocket vs over HTTP on sqld: an interactive transaction of 5 statements
// (BEGIN sent with the first; 2 INSERTs, an UPDATE, 2 SELECTs; COMMIT), through libsql-cpp's
// client (bindings/node) and, for reference, @libsql/client 0.17 (which speaks Hrana 2 on both).
//
//   node bench/ws-vs-http.mjs [--rounds 30] [--delay 20]
//
// --delay N puts a TCP proxy in front of sqld that holds every chunk the client sends for N ms
// before forwarding it (in order): one added delay per request on HTTP and per message on
// WebSocket, as a far server would add. Loopback and the delay are measured in one run. Times are
// medians; the machine may be loaded: compare rows of one run only. Not a test: it prints numbers.
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startSqld } from '../tests/sqld.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const { values: opts } = parseArgs({ options: { rounds: { type: 'string', default: '30' }, delay: { type: 'string', default: '20' } } })
const rounds = Number(opts.rounds)
const delay = Number(opts.delay)

/** A TCP proxy that forwards client bytes after `ms` (order kept) and server bytes at once. */
function delayingProxy(port, ms) {
  const sockets = new Set()
  const server = net.createServer((client) => {
    const up = net.connect(port, '127.0.0.1')
    sockets.add(client)
    sockets.add(up)
    up.setNoDelay(true)
    client.setNoDelay(true)
    client.on('data', (d) => setTimeout(() => up.write(d), ms))
    up.on('data', (d) => client.write(d))
    const end = () => { client.destroy(); up.destroy() }
    client.on('close', end)
    up.on('close', end)
    client.on('error', end)
    up.on('error', end)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port,
    close: () => { for (const s of sockets) s.destroy(); server.close() },
  })))
}

async function txOnce(db, i) {
  const tx = await db.transaction('write')
  await tx.execute({ sql: 'INSERT INTO t (v) VALUES (?)', args: [`a${i}`] })
  await tx.execute({ sql: 'INSERT INTO t (v) VALUES (?)', args: [`b${i}`] })
  await tx.execute({ sql: 'UPDATE t SET n = n + 1 WHERE v = ?', args: [`a${i}`] })
  await tx.execute('SELECT count(*) FROM t')
  await tx.execute({ sql: 'SELECT * FROM t WHERE v = ?', args: [`b${i}`] })
  await tx.commit()
}

async function measure(createClient, url) {
  const db = createClient({ url })
  try {
    await txOnce(db, -1)  // warm-up: connection, version
    const times = []
    for (let i = 0; i < rounds; i++) {
      const t0 = process.hrtime.bigint()
      await txOnce(db, i)
      times.push(Number(process.hrtime.bigint() - t0) / 1e6)
    }
    times.sort((a, b) => a - b)
    return times[Math.floor(times.length / 2)]
  } finally {
    db.close()
  }
}

const sqld = await startSqld()
const proxies = []
try {
  const ours = (await import(path.join(here, '..', 'bindings', 'node', 'lib', 'index.mjs'))).createClient
  const official = (await import('@libsql/client')).createClient
  const seed = ours({ url: sqld.url })
  await seed.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, n INTEGER DEFAULT 0)')
  seed.close()
  console.log(`sqld; interactive transaction of 5 statements; median of ${rounds}; ${new Date().toISOString()}; loadavg ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`)
  console.log('network        client              http ms    ws ms   ws/http')
  const networks = [['loopback', sqld.port]]
  if (delay > 0) {
    const p = await delayingProxy(sqld.port, delay)
    proxies.push(p)
    networks.push([`+${delay} ms`, p.port])
  }
  for (const [name, port] of networks) {
    for (const [client, create] of [['libsql-cpp', ours], ['@libsql/client', official]]) {
      const h = await measure(create, `http://127.0.0.1:${port}`)
      const w = await measure(create, `ws://127.0.0.1:${port}`)
      console.log(`${name.padEnd(14)} ${client.padEnd(16)} ${h.toFixed(1).padStart(9)} ${w.toFixed(1).padStart(8)}   ${(w / h).toFixed(2)}`)
    }
  }
} finally {
  for (const p of proxies) p.close()
  await sqld.stop()
}
