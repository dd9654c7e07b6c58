// vector_top_k on local files: libsql-cpp vs the official client's libSQL engine
// (@libsql/client 0.17.4). Not a test: it prints numbers; the machine's load is part of them.
//
//   node bench/vector.mjs [--n 100000] [--dims 768] [--queries 20] [--k 10] [--clusters 64]
//                         [--batch 1000] [--index-options "'metric=cosine', …"] [--only ours|official]
//
// Data: --n vectors of --dims float32 elements drawn around --clusters random centres (seeded,
// the same for both engines). Each engine gets a fresh file with the table and
// `CREATE INDEX … (libsql_vector_idx(emb, 'metric=cosine'))` made first, then the rows inserted
// in transactions of --batch (the index is built as rows arrive, as libSQL does): "build" is that
// insert time. Queries: `SELECT id FROM vector_top_k('idx', vector32(?), k)`, one warm-up
// ("first ms": for libsql-cpp it includes loading the index into memory, as the first search
// after any write does), then --queries timed one after another; recall@k against the exact k nearest by cosine
// distance computed here in JavaScript (float64).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as official from '@libsql/client'
const ours = process.argv.includes('official') ? null : await import('libsql-cpp')

const argv = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : dflt
}
const N = Number(opt('--n', 100_000))
const DIMS = Number(opt('--dims', 768))
const QUERIES = Number(opt('--queries', 20))
const K = Number(opt('--k', 10))
const CLUSTERS = Number(opt('--clusters', 64))
const ONLY = opt('--only', null)
// libSQL's defaults keep a full copy of every neighbour's vector in each graph node (768 dims:
// ~83 neighbours x 3 KB per row), which this machine's disk cannot write at any useful rate;
// float8-compressed neighbours are what libSQL's docs suggest for large vectors.
const INDEX_OPTIONS = opt('--index-options', "'metric=cosine', 'compress_neighbors=float8'")
const BATCH = Number(opt('--batch', 1000))

let seed = 12345
const rnd = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}
const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd())
const centres = Array.from({ length: CLUSTERS }, () => Float32Array.from({ length: DIMS }, gauss))
const point = () => {
  const c = centres[Math.floor(rnd() * CLUSTERS)]
  return Float32Array.from(c, (x) => x + 0.6 * gauss())
}
const data = Array.from({ length: N }, point)
const queries = Array.from({ length: QUERIES }, point)
const blob = (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength)

function exactTopK(q) {
  let qn = 0
  for (const x of q) qn += x * x
  const scored = new Array(N)
  for (let i = 0; i < N; i++) {
    const v = data[i]
    let dot = 0, vn = 0
    for (let j = 0; j < DIMS; j++) {
      dot += v[j] * q[j]
      vn += v[j] * v[j]
    }
    scored[i] = [1 - dot / Math.sqrt(qn * vn), i + 1]
  }
  scored.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  return scored.slice(0, K).map((s) => s[1])
}

const t0 = performance.now()
const truth = queries.map(exactTopK)
console.error(`exact ground truth: ${((performance.now() - t0) / 1000).toFixed(1)} s`)

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-bench-vector-'))
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))

const results = []
for (const [label, lib] of [['official', official], ['ours', ours]]) {
  if (ONLY && ONLY !== label) continue
  const client = lib.createClient({ url: `file:${path.join(dir, `${label}.db`)}` })
  await client.execute(`CREATE TABLE items (id INTEGER PRIMARY KEY, emb F32_BLOB(${DIMS}))`)
  await client.execute(`CREATE INDEX items_idx ON items (libsql_vector_idx(emb, ${INDEX_OPTIONS}))`)
  const b0 = performance.now()
  for (let i = 0; i < N; i += BATCH) {
    const batch = []
    for (let j = i; j < Math.min(N, i + BATCH); j++) batch.push({ sql: 'INSERT INTO items (id, emb) VALUES (?, ?)', args: [j + 1, blob(data[j])] })
    await client.batch(batch, 'write')
    if ((i / BATCH) % 10 === 9) console.error(`${label}: ${i + BATCH} rows, ${((performance.now() - b0) / 1000).toFixed(1)} s`)
  }
  const buildS = (performance.now() - b0) / 1000
  const sql = `SELECT id FROM vector_top_k('items_idx', vector32(?), ${K})`
  const w0 = performance.now()
  await client.execute({ sql, args: [blob(queries[0])] })
  const firstMs = performance.now() - w0
  const times = []
  let hits = 0
  for (let qi = 0; qi < QUERIES; qi++) {
    const s = performance.now()
    const rs = await client.execute({ sql, args: [blob(queries[qi])] })
    times.push(performance.now() - s)
    const got = rs.rows.map((r) => Number(r.id))
    hits += got.filter((id) => truth[qi].includes(id)).length
  }
  client.close()
  times.sort((a, b) => a - b)
  const size = fs.statSync(path.join(dir, `${label}.db`)).size
  results.push({
    engine: label,
    'build s': buildS.toFixed(1),
    'rows/s': Math.round(N / buildS),
    'first ms': firstMs.toFixed(1),
    'p50 ms': times[Math.floor(times.length / 2)].toFixed(1),
    'mean ms': (times.reduce((a, b) => a + b, 0) / times.length).toFixed(1),
    'max ms': times[times.length - 1].toFixed(1),
    [`recall@${K}`]: (hits / (K * QUERIES)).toFixed(3),
    'file MB': (size / 1e6).toFixed(0),
  })
  console.error(`${label} done`)
}
console.log(`N=${N} dims=${DIMS} index=(${INDEX_OPTIONS}) k=${K} queries=${QUERIES} clusters=${CLUSTERS} (${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})`)
console.table(results)
