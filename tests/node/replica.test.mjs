// Embedded replicas through Prisma: a local file kept in sync with `tursodb --sync-server`.
// Reads are local, writes go to the primary, read-your-writes holds, sync() is exposed (the
// official adapter hides it), and the replica's contents equal what the reference client
// (@tursodatabase/sync) pulls from the same server.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, execFileSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { PrismaLibSql } from 'libsql-cpp'
import { MIGRATION_SQL, makePrisma } from '../e2e/adapters.mjs'

const require = createRequire(import.meta.url)
const root = path.resolve(import.meta.dirname, '..', '..')
const tursodb = path.join(root, 'node_modules', '@tursodatabase', 'cli-linux-x64-gnu', 'tursodb')
const skip = !fs.existsSync(tursodb) && 'tursodb not installed (npm ci)'

const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)) })
})
const accepts = (port) => new Promise((resolve) => {
  const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true) }).on('error', () => resolve(false))
})

/// The same deterministic dump as tests/replica/reference-sync.mjs, of a local file.
function dumpFile(file) {
  const Database = require('better-sqlite3')
  const db = new Database(file, { readonly: true })
  try {
    const all = (sql) => { const st = db.prepare(sql).raw(true).safeIntegers(true); return { rows: st.all(), columns: st.columns().map((c) => c.name) } }
    const tag = (v) => v === null ? null : typeof v === 'bigint' ? { integer: v.toString() }
      : typeof v === 'number' ? { real: v } : typeof v === 'string' ? { text: v } : { blob: Buffer.from(v).toString('hex') }
    const byJson = (a, b) => { const x = JSON.stringify(a), y = JSON.stringify(b); return x < y ? -1 : x > y ? 1 : 0 }
    const priv = (n) => n.startsWith('turso_') || n.startsWith('__turso_internal')
    const schema = all('SELECT type, name, tbl_name, sql FROM sqlite_schema').rows
      .filter((r) => !priv(r[1]) && !priv(r[2])).map((r) => r.map((v) => (v === null ? null : String(v))))
    schema.sort(byJson)
    const tables = {}
    for (const [type, name] of schema) {
      if (type !== 'table') continue
      const { rows, columns } = all(`SELECT * FROM "${name.replaceAll('"', '""')}"`)
      const tagged = rows.map((r) => r.map(tag))
      tagged.sort(byJson)
      tables[name] = { columns, rows: tagged }
    }
    return { schema, tables }
  } finally {
    db.close()
  }
}

describe('[ours] embedded replica through Prisma', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-replica-'))
  let server
  let port
  const startServer = async () => {
    server = spawn(tursodb, [path.join(dir, 'primary.db'), '--sync-server', `127.0.0.1:${port}`], { stdio: 'ignore' })
    for (let i = 0; i < 600 && !(await accepts(port)); i++) await new Promise((r) => setTimeout(r, 50))
  }
  const stopServer = () => new Promise((resolve) => { if (!server || server.exitCode !== null) return resolve(); server.once('exit', resolve); server.kill() })
  const syncUrl = () => `http://127.0.0.1:${port}`

  before(async () => {
    port = await freePort()
    await startServer()
    // The schema goes to the primary (tursodb knows neither `close` nor `sequence`: our client
    // falls back to self-contained batches).
    const primary = await new PrismaLibSql({ url: syncUrl() }).connect()
    await primary.executeScript(MIGRATION_SQL)
    await primary.dispose()
  })
  after(async () => {
    await stopServer()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('reads locally, writes to the primary, reads its own writes, and matches the reference client', { timeout: 60_000 }, async () => {
    const replicaFile = path.join(dir, 'replica.db')
    const factory = new PrismaLibSql({ url: `file:${replicaFile}`, syncUrl: syncUrl() })
    const prisma = makePrisma(factory)
    assert.equal(await prisma.user.count(), 0)
    const ada = await prisma.user.create({ data: { email: 'ada@example.com', name: 'Ada' } })
    // Read-your-writes: the row is in the local file when create() returns.
    assert.deepEqual((await prisma.user.findUnique({ where: { id: ada.id } }))?.email, 'ada@example.com')
    await prisma.user.createMany({ data: Array.from({ length: 50 }, (_, i) => ({ email: `u${i}@example.com` })) })
    assert.equal(await prisma.user.count(), 51)
    // tursodb's own SQL parser rejects the table-qualified WHERE of Prisma's update(); a raw
    // UPDATE is a forwarded write all the same.
    // (tursodb reports 0 affected rows for everything: docs/hrana.md, "tursodb as a Hrana server".)
    await prisma.$executeRaw`UPDATE "User" SET "name" = ${'Augusta Ada'} WHERE "id" = ${ada.id}`
    assert.equal((await prisma.user.findUnique({ where: { id: ada.id } }))?.name, 'Augusta Ada')

    // sync() is exposed; nothing new on the primary means nothing applied.
    const synced = await factory.sync()
    assert.equal(synced.frames_synced, 0)
    assert.equal(typeof synced.revision, 'string')

    // The reference client, syncing from the same server, ends with identical contents.
    const refFile = path.join(dir, 'reference.db')
    const ref = JSON.parse(execFileSync(process.execPath,
      [path.join(root, 'tests', 'replica', 'reference-sync.mjs'), '--url', syncUrl(), '--path', refFile], { encoding: 'utf8' }))
    const ours = dumpFile(replicaFile)
    assert.deepEqual(ours.schema, ref.schema)
    assert.deepEqual(Object.keys(ours.tables).sort(), Object.keys(ref.tables).sort())
    for (const name of Object.keys(ref.tables)) assert.deepEqual(ours.tables[name], ref.tables[name], `table ${name}`)
    // (tursodb stores quoted identifiers lower-cased: "User" is table user in its schema.)
    assert.equal((ours.tables.User ?? ours.tables.user)?.rows.length, 51, `tables: ${Object.keys(ours.tables)}`)

    // Reads keep working from the local file with the primary gone; writes fail clearly.
    await stopServer()
    assert.equal(await prisma.user.count(), 51)
    await assert.rejects(prisma.user.create({ data: { email: 'offline@example.com' } }), (e) => e.code === 'P1001' || /reach|connect/i.test(e.message))
    await prisma.$disconnect()
    await startServer()
  })

  it('the official adapter has no sync()', async () => {
    const { PrismaLibSql: Official } = await import('@prisma/adapter-libsql')
    assert.equal(typeof new Official({ url: ':memory:' }).sync, 'undefined')
    assert.equal(typeof new PrismaLibSql({ url: ':memory:' }).sync, 'function')
  })
})
