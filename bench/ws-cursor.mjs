// A read over sqld's response limit (10 MB): 6,000 rows, ~12 MB of Hrana JSON, through
// libsql-cpp's createClient over http:// (Hrana 3: the pipeline is refused with
// RESPONSE_TOO_LARGE, then `v3/cursor` streams it) and over ws:// (the same refusal, then a
// WebSocket cursor: open_cursor, fetch_cursor x N, close_cursor). Both pay the refused first
// try. Median of --rounds; not a test: it prints numbers. The machine may be loaded: compare
// the rows of one run only.
//
//   cmake --build --preset ci --target libsql_node && node bench/ws-cursor.mjs [--rounds 7]
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startSqld } from '../tests/sqld.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const { values: opts } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } })
const rounds = Number(opts.rounds)
const sql = 'SELECT * FROM big ORDER BY id'

const sqld = await startSqld()
try {
  const { createClient } = await import(path.join(here, '..', 'bindings', 'node', 'lib', 'index.mjs'))
  const seed = createClient({ url: sqld.url })
  await seed.executeMultiple(
    'CREATE TABLE big (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB, n);' +
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 6000) ' +
      "INSERT INTO big (i, r, s, b, n) SELECT x * 1000003, x / 7.0, 'row ' || x || ' é ' || hex(zeroblob(750)), zeroblob(x % 40), NULL FROM c;",
  )
  seed.close()
  const rows = []
  for (const [name, url] of [['http', sqld.url], ['ws', sqld.url.replace(/^http:/, 'ws:')]]) {
    const db = createClient({ url })
    await db.execute(sql) // warm-up: connection, version
    const times = []
    for (let i = 0; i < rounds; i++) {
      const t0 = process.hrtime.bigint()
      const rs = await db.execute(sql)
      times.push(Number(process.hrtime.bigint() - t0) / 1e6)
      if (rs.rows.length !== 6000) throw new Error(`${name}: ${rs.rows.length} rows`)
    }
    db.close()
    times.sort((a, b) => a - b)
    rows.push({ transport: name, median_ms: times[Math.floor(times.length / 2)].toFixed(1), min_ms: times[0].toFixed(1), max_ms: times[times.length - 1].toFixed(1) })
  }
  console.table(rows)
} finally {
  await sqld.stop()
}
