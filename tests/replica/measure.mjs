// Measurements for the replica issue's closing note (not a test; numbers vary by machine):
// adapter-level point-select throughput on a replica vs a plain local file, and the time to
// sync ~1,000 changed pages. Usage: node tests/replica/measure.mjs
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { PrismaLibSql } from 'libsql-cpp'

const root = path.resolve(import.meta.dirname, '..', '..')
const tursodb = path.join(root, 'node_modules', '@tursodatabase', 'cli-linux-x64-gnu', 'tursodb')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-replica-measure-'))
const port = await new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)) }) })
const server = spawn(tursodb, [path.join(dir, 'primary.db'), '--sync-server', `127.0.0.1:${port}`], { stdio: 'ignore' })
const accepts = () => new Promise((resolve) => { const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true) }).on('error', () => resolve(false)) })
for (let i = 0; i < 100 && !(await accepts()); i++) await new Promise((r) => setTimeout(r, 50))
const syncUrl = `http://127.0.0.1:${port}`
const q = (sql, args = []) => ({ sql, args, argTypes: args.map(() => ({ scalarType: 'int', arity: 'scalar' })) })

try {
  const primary = await new PrismaLibSql({ url: syncUrl }).connect()
  await primary.executeScript('CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL)')
  const values = Array.from({ length: 2000 }, (_, i) => `(${i + 1}, 'item ${i + 1}', ${i % 100})`).join(',')
  await primary.executeRaw(q(`INSERT INTO item VALUES ${values}`))

  const plainFile = path.join(dir, 'plain.db')
  const plain = await new PrismaLibSql({ url: `file:${plainFile}` }).connect()
  await plain.executeScript('CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL)')
  await plain.executeRaw(q(`INSERT INTO item VALUES ${values}`))

  const replicaFactory = new PrismaLibSql({ url: `file:${path.join(dir, 'replica.db')}`, syncUrl, readYourWrites: false })
  const replica = await replicaFactory.connect()

  async function opsPerSec(adapter, ms = 1000) {
    let n = 0
    const end = performance.now() + ms
    while (performance.now() < end) for (let i = 0; i < 100; i++) await adapter.queryRaw(q('SELECT id, name, qty FROM item WHERE id = ?', [1 + (n++ % 2000)]))
    return n / (ms / 1000)
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  await opsPerSec(plain, 300); await opsPerSec(replica, 300)
  const p = [], r = []
  for (let i = 0; i < 5; i++) { p.push(await opsPerSec(plain)); r.push(await opsPerSec(replica)) }
  console.log(`point select, ops/s (median of 5): plain file ${median(p).toFixed(0)}, replica ${median(r).toFixed(0)} (ratio ${(median(r) / median(p)).toFixed(2)})`)

  // ~1,000 changed pages: rows of ~3.9 KB each take a page apiece.
  const times = []
  for (let round = 0; round < 3; round++) {
    const big = Array.from({ length: 1000 }, (_, i) => `(${round * 1000 + i + 1}, '${'x'.repeat(3900)}')`).join(',')
    if (round === 0) await primary.executeScript('CREATE TABLE blobs (id INTEGER PRIMARY KEY, payload TEXT)')
    await primary.executeRaw(q(`INSERT INTO blobs VALUES ${big}`))
    const t0 = performance.now()
    const res = await replica.sync()
    times.push({ ms: performance.now() - t0, frames: res.frames_synced })
  }
  console.log('sync of ~1,000 changed pages:', times.map((t) => `${t.frames} pages in ${t.ms.toFixed(1)} ms`).join('; '))
  await replica.dispose(); await plain.dispose(); await primary.dispose()
} finally {
  server.kill()
  fs.rmSync(dir, { recursive: true, force: true })
}
