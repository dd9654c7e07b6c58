// Summarises a V8 .cpuprofile (node --cpu-prof): self time by component and the top functions.
//   node bench/profile/cpuprofile-summary.mjs FILE.cpuprofile [top=25]
import fs from 'node:fs'

const [file, topArg = '25'] = process.argv.slice(2)
const prof = JSON.parse(fs.readFileSync(file, 'utf8'))
const byId = new Map(prof.nodes.map((n) => [n.id, n]))
const self = new Map()
const dt = prof.timeDeltas
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i]
  self.set(id, (self.get(id) ?? 0) + (dt[i] ?? 0))
}
const total = [...self.values()].reduce((a, b) => a + b, 0)

function component(cf) {
  const u = cf.url || ''
  const f = cf.functionName
  if (!u) {
    if (f.startsWith('(')) return f
    return `native: ${f || '(anonymous)'}`
  }
  if (u.startsWith('wasm://')) return 'Prisma query compiler (wasm)'
  if (/query_compiler|query-compiler|wasm-base64|\.wasm/.test(u)) return 'Prisma query compiler (wasm glue)'
  if (/@prisma\/client\/runtime/.test(u) || /generated\/client/.test(u)) return 'Prisma client runtime (JS)'
  if (/@prisma\/client-engine-runtime|@prisma\/client-runtime-utils/.test(u)) return 'Prisma client runtime (JS)'
  if (/@prisma\/driver-adapter-utils/.test(u)) return '@prisma/driver-adapter-utils'
  if (/@prisma\/adapter-libsql/.test(u)) return '@prisma/adapter-libsql'
  if (/@prisma\/adapter-better-sqlite3/.test(u)) return '@prisma/adapter-better-sqlite3'
  if (/@libsql\/|libsql\/|\/libsql[^-]/.test(u)) return '@libsql/client + libsql'
  if (/better-sqlite3/.test(u)) return 'better-sqlite3'
  if (/bindings\/node\/lib|libsql-cpp/.test(u)) return 'libsql-cpp JS shim'
  if (/\/bench\//.test(u)) return 'bench harness'
  if (u.startsWith('node:')) return 'node internals'
  return u.replace(/^.*node_modules\//, '')
}

const comp = new Map()
const fn = new Map()
for (const [id, t] of self) {
  const n = byId.get(id)
  const c = component(n.callFrame)
  comp.set(c, (comp.get(c) ?? 0) + t)
  const key = `${n.callFrame.functionName || '(anonymous)'} ${(n.callFrame.url || '').replace(/^.*node_modules\//, '').replace(/^file:\/\/\/work\/main\//, '')}:${n.callFrame.lineNumber + 1}`
  fn.set(key, (fn.get(key) ?? 0) + t)
}
const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)} %`
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`)
console.log('self time by component:')
for (const [c, t] of [...comp].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${pct(t)}  ${c}`)
console.log(`top ${topArg} functions (self):`)
for (const [k, t] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg))) console.log(`  ${pct(t)}  ${k}`)
