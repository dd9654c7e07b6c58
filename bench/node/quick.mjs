// Quick adapter-level comparison: point select by primary key and a 1,000-row read, each run
// sequentially (one call in flight), same file database, same run. Usage: node bench/node/quick.mjs
import { PrismaLibSql as Official } from '@prisma/adapter-libsql'
import { PrismaLibSql as Ours } from 'libsql-cpp'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const dir = mkdtempSync(join(tmpdir(), 'libsql-bench-'))
const path = join(dir, 'bench.db')
const setup = await new Ours({ url: `file:${path}` }).connect()
await setup.executeScript(`
  CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL,
    qty INTEGER NOT NULL, created DATETIME NOT NULL, active BOOLEAN NOT NULL, note TEXT, data BLOB);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
  INSERT INTO item SELECT i, 'item ' || i, i * 1.25, i % 100, '2024-01-02T03:04:05.678+00:00',
    i % 2, CASE WHEN i % 3 = 0 THEN NULL ELSE 'note' END, randomblob(16) FROM n;`)
await setup.dispose()

const point = { sql: 'SELECT id, name, price, qty, created, active, note, data FROM item WHERE id = ? LIMIT ?',
  argTypes: [{ scalarType: 'int', arity: 'scalar' }, { scalarType: 'int', arity: 'scalar' }] }
const many = { sql: 'SELECT id, name, price, qty, created, active, note, data FROM item WHERE id > ? ORDER BY id LIMIT ?',
  argTypes: point.argTypes }

async function measure(adapter, makeQuery, ms) {
  let n = 0
  const end = performance.now() + ms
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) await adapter.queryRaw(makeQuery(n++))
  }
  return n / (ms / 1000)
}

const results = {}
const BS3 = class { constructor(c) { return new PrismaBetterSqlite3({ url: c.url }) } }
for (const [name, Factory] of [['official', Official], ['bs3', BS3], ['ours', Ours]]) {
  const adapter = await new Factory({ url: `file:${path}` }).connect()
  await measure(adapter, (i) => ({ ...point, args: [1 + (i % 10000), 1] }), 300)  // warm-up
  const p = []
  const m = []
  for (let r = 0; r < 5; r++) {
    p.push(await measure(adapter, (i) => ({ ...point, args: [1 + ((i * 7919) % 10000), 1] }), 400))
    m.push(await measure(adapter, (i) => ({ ...many, args: [(i * 13) % 9000, 1000] }), 400))
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  results[name] = { pointSelect: median(p), findMany1000: median(m) }
  await adapter.dispose()
}
console.log('ops/s (median of 5):')
for (const [name, r] of Object.entries(results)) {
  console.log(`  ${name.padEnd(9)} point select ${r.pointSelect.toFixed(0).padStart(8)}   findMany-1000 ${r.findMany1000.toFixed(0).padStart(6)}`)
}
console.log(`  ratio     point select ${(results.ours.pointSelect / results.official.pointSelect).toFixed(2)}x   findMany-1000 ${(results.ours.findMany1000 / results.official.findMany1000).toFixed(2)}x`)
rmSync(dir, { recursive: true, force: true })
