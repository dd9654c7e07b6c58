// What encryptionKey costs, at the adapter level: a point select and a 1,000-row read on a
// local file, plain vs encrypted (libSQL's aes256cbc), libsql-cpp vs @prisma/adapter-libsql.
//
//   node --expose-gc bench/encryption.mjs [--runs N] [--ms N] [--warmup-ms N]
//
// One seeded template per variant (written by the official client, so both adapters read the
// same bytes), copied per adapter. Cells are interleaved round by round; each run counts the
// ops finished in --ms; the table gives the median ops/s of the runs and the encrypted/plain
// ratio per adapter. The page cache holds the whole table (as in a warm server), so this
// measures decrypting pages as they enter the cache plus what each engine does per query.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createClient } from '@libsql/client'
import { PrismaLibSql as Official } from '@prisma/adapter-libsql'
import { PrismaLibSql as Ours } from 'libsql-cpp'

const argv = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = argv.indexOf(name)
  return i >= 0 ? Number(argv[i + 1]) : dflt
}
const RUNS = opt('--runs', 5)
const MS = opt('--ms', 300)
const WARMUP_MS = opt('--warmup-ms', 200)
const KEY = 'bench-encryption-key'
const ROWS = 10_000

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-bench-enc-'))
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))

const INT = { scalarType: 'int', arity: 'scalar' }
const workloads = {
  point: (i) => ({
    sql: 'SELECT id, name, email, age, score, created_at, active, bio FROM item WHERE id = ? LIMIT ?',
    args: [1 + (i * 7919) % ROWS, 1], argTypes: [INT, INT],
  }),
  read1000: (i) => ({
    sql: 'SELECT id, name, email, age, score, created_at, active, bio FROM item WHERE id > ? ORDER BY id ASC LIMIT ?',
    args: [(i * 997) % (ROWS - 1000), 1000], argTypes: [INT, INT],
  }),
}

async function template(encrypted) {
  const file = path.join(dir, `template-${encrypted ? 'enc' : 'plain'}.db`)
  const c = createClient({ url: `file:${file}`, ...(encrypted ? { encryptionKey: KEY } : {}) })
  await c.executeMultiple(`
    PRAGMA journal_mode=WAL;
    CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, age INTEGER,
      score REAL, created_at TEXT, active INTEGER, bio TEXT);`)
  const stmts = []
  for (let i = 1; i <= ROWS; i++) {
    stmts.push({
      sql: 'INSERT INTO item VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      args: [i, `name ${i}`, `user${i}@example.com`, 20 + (i % 50), i / 7, new Date(1.7e12 + i * 1000).toISOString(), i % 2, 'x'.repeat(i % 120)],
    })
  }
  await c.batch(stmts, 'write')
  await c.execute('PRAGMA wal_checkpoint(TRUNCATE)')
  c.close()
  return file
}

async function open(kind, templateFile, encrypted, label) {
  const file = path.join(dir, `${label}.db`)
  fs.copyFileSync(templateFile, file)
  const config = { url: `file:${file}`, ...(encrypted ? { encryptionKey: KEY } : {}) }
  return (kind === 'ours' ? new Ours(config) : new Official(config)).connect()
}

async function runFor(adapter, make, ms) {
  const end = performance.now() + ms
  let ops = 0
  while (performance.now() < end) {
    await adapter.queryRaw(make(ops))
    ops++
  }
  return ops
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const templates = { plain: await template(false), encrypted: await template(true) }
const cells = []
for (const w of Object.keys(workloads)) {
  for (const kind of ['ours', 'official']) {
    for (const variant of ['plain', 'encrypted']) {
      const adapter = await open(kind, templates[variant], variant === 'encrypted', `${w}-${kind}-${variant}`)
      const check = await adapter.queryRaw(workloads[w](0))
      if (check.rows.length !== (w === 'point' ? 1 : 1000)) throw new Error(`${kind} ${variant} ${w}: ${check.rows.length} rows`)
      await runFor(adapter, workloads[w], WARMUP_MS)
      cells.push({ w, kind, variant, adapter, ops: [] })
    }
  }
}
// Round by round, each round starting at another cell, with a full GC before each cell (when
// run with --expose-gc), so no cell always pays for the garbage of the one before it.
for (let r = 0; r < RUNS; r++) {
  for (let i = 0; i < cells.length; i++) {
    const c = cells[(i + r) % cells.length]
    globalThis.gc?.()
    c.ops.push((await runFor(c.adapter, workloads[c.w], MS)) / (MS / 1000))
  }
}
for (const c of cells) await c.adapter.dispose()

const cell = (w, kind, variant) => median(cells.find((c) => c.w === w && c.kind === kind && c.variant === variant).ops)
console.log(`encryptionKey at the adapter level: median ops/s of ${RUNS} runs × ${MS} ms (Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model})\n`)
console.log('| workload | adapter | plain | encrypted | encrypted / plain |')
console.log('|---|---|---:|---:|---:|')
for (const w of Object.keys(workloads)) {
  for (const kind of ['ours', 'official']) {
    const p = cell(w, kind, 'plain')
    const e = cell(w, kind, 'encrypted')
    const name = kind === 'ours' ? 'libsql-cpp' : '@prisma/adapter-libsql'
    console.log(`| ${w === 'point' ? 'point select' : '1,000-row read'} | ${name} | ${p.toFixed(0)} | ${e.toFixed(0)} | ${(e / p).toFixed(2)} |`)
  }
}
