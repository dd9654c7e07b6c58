// Embedded replicas over Turso Cloud's HTTP sync (docs/sync.md, "Turso Cloud's HTTP sync"),
// against tests/replica/turso_cloud_fake.py, a fake server that serves a real SQLite database's
// WAL frames. First the fake is validated with the official client (@libsql/client 0.17.4,
// whose native libsql package speaks this protocol when GET /info answers 2xx); then our replica
// and the official one follow the same fake, synced at the same points, and must hold the same
// rows as each other and as the source. Also faults, a wrong token and `offline: true`.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createClient as officialClient } from '@libsql/client'
import { createClient as oursClient } from 'libsql-cpp'

const here = path.dirname(fileURLToPath(import.meta.url))
const FAKE = path.join(here, '..', 'replica', 'turso_cloud_fake.py')
// Independent of E2E_REMOTE (it starts its own server): run once, in the local pass.
const skip = process.env.E2E_REMOTE && 'runs in the local pass'

/** The fake on a free port (it prints "ready PORT"), serving `dir`/source.db. */
async function startFake(dir, token) {
  const args = [FAKE, '0', path.join(dir, 'source.db')]
  if (token) args.push(token)
  const child = spawn('python3', args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error('the Turso Cloud fake did not start in 20 s')), 20_000)
    child.stdout.on('data', (d) => {
      out += d
      const m = /ready (\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the Turso Cloud fake exited (${code})`))
    })
  })
  const url = `http://127.0.0.1:${port}`
  const control = async (route, body) => {
    const r = await fetch(url + route, { method: 'POST', body })
    const json = await r.json()
    if (!r.ok) throw new Error(`${route}: ${JSON.stringify(json)}`)
    return json
  }
  let copies = 0
  return {
    url,
    exec: (sql) => control('/_ctl/exec', sql),
    newGeneration: () => control('/_ctl/new_generation'),
    fault: (mode, after = 0) => control(`/_ctl/fault?mode=${mode}&after=${after}`),
    stats: async () => (await fetch(url + '/_ctl/stats')).json(),
    /** A consistent copy of the source, as a plain local client of the official package. */
    async sourceCopy() {
      const file = path.join(dir, `copy${copies++}.db`)
      await control(`/_ctl/copy?to=${encodeURIComponent(file)}`)
      return officialClient({ url: `file:${file}` })
    },
    stop() {
      child.kill('SIGKILL')
    },
  }
}

/** Every user table's rows, sorted, as JSON text, plus the schema: what the copies must agree on. */
async function dump(client) {
  const schema = (await client.execute(
    "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name")).rows.map((r) => [r.type, r.name, r.sql])
  const tables = {}
  for (const [type, name] of schema) {
    if (type !== 'table') continue
    const rs = await client.execute(`SELECT * FROM "${name}"`)
    tables[name] = rs.rows.map((r) => JSON.stringify(Array.from(r, (v) => (typeof v === 'bigint' ? v.toString() : v)))).sort()
  }
  return { schema, tables }
}

async function sourceDump(fake) {
  const copy = await fake.sourceCopy()
  try {
    return await dump(copy)
  } finally {
    copy.close()
  }
}

// A SELECT, so that ours runs it on the replica (PRAGMA statements are forwarded to the primary).
const integrity = async (client) => (await client.execute('SELECT * FROM pragma_integrity_check')).rows[0][0]

describe('Turso Cloud HTTP sync: the fake server, validated with the official client', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-cloud-fake-'))
  let fake
  before(async () => {
    fake = await startFake(dir, 'cloud-token')
  })
  after(() => {
    fake?.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('the official replica bootstraps, follows changes and a new generation, equal to the source', { timeout: 120_000 }, async () => {
    await fake.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('a'), ('b');")
    const official = officialClient({ url: `file:${path.join(dir, 'official.db')}`, syncUrl: fake.url, authToken: 'cloud-token' })
    try {
      const first = await official.sync()
      // What the official client answers on this protocol (libsql's sync module): always 1, no frame_no.
      assert.deepEqual(first, { frames_synced: 1, frame_no: undefined })
      assert.deepEqual(await dump(official), await sourceDump(fake))
      let stats = await fake.stats()
      assert.equal(stats.export, 1, 'the official client bootstrapped from /export: it speaks this protocol')
      assert.ok(stats.info >= 1)
      await fake.exec("UPDATE t SET v = 'B' WHERE id = 2; CREATE TABLE u (k TEXT PRIMARY KEY, n INTEGER);")
      await fake.exec("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 5000) INSERT INTO u SELECT 'k' || i || hex(randomblob(64)), i FROM c;")
      await official.sync()
      assert.deepEqual(await dump(official), await sourceDump(fake))
      await fake.newGeneration()
      await fake.exec("INSERT INTO t (v) VALUES ('generation 2');")
      await official.sync()
      assert.deepEqual(await dump(official), await sourceDump(fake))
      assert.equal(await integrity(official), 'ok')
      stats = await fake.stats()
      assert.ok(stats.frames_served > 128, `frames served: ${stats.frames_served}`)
    } finally {
      official.close()
    }
  })
})

describe('[ours vs official] embedded replica over Turso Cloud HTTP sync', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-cloud-replica-'))
  let fake
  before(async () => {
    fake = await startFake(dir, 'secret-token-789')
    await fake.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);' +
      "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100) INSERT INTO t (v) SELECT 'row ' || i FROM c;")
  })
  after(() => {
    fake?.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('bootstraps and follows every change exactly like the official replica', { timeout: 120_000 }, async () => {
    const config = { syncUrl: fake.url, authToken: 'secret-token-789' }
    const official = officialClient({ url: `file:${path.join(dir, 'official.db')}`, ...config })
    const ours = oursClient({ url: `file:${path.join(dir, 'ours.db')}`, ...config, readYourWrites: false })
    const check = async (what) => {
      await official.sync()
      const s = await ours.sync()
      assert.equal(typeof s.frames_synced, 'number', what)
      assert.equal(s.frame_no, undefined, `${what}: no frame_no on this protocol, as the official`)
      const [a, b, src] = [await dump(ours), await dump(official), await sourceDump(fake)]
      assert.deepEqual(a, b, `${what}: ours = official`)
      assert.deepEqual(a, src, `${what}: ours = source`)
      assert.equal(await integrity(ours), 'ok', what)
      return s
    }
    try {
      await check('bootstrap')
      await fake.exec("UPDATE t SET v = v || '!' WHERE id % 3 = 0; DELETE FROM t WHERE id % 5 = 0;")
      const s1 = await check('updates and deletes')
      assert.ok(s1.frames_synced > 0)
      await fake.exec('CREATE TABLE u (k TEXT PRIMARY KEY, n INTEGER); CREATE INDEX t_v ON t (v);' +
        'ALTER TABLE t ADD COLUMN extra INTEGER DEFAULT 7;')
      await check('new table, index, ALTER TABLE ADD COLUMN')
      await fake.exec("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 10000) INSERT INTO u SELECT 'k' || i || '-' || hex(randomblob(64)), i FROM c;")
      const big = await check('10,000 rows in one transaction')
      assert.ok(big.frames_synced > 128, `frames: ${big.frames_synced}`)
      const again = await ours.sync()
      assert.equal(again.frames_synced, 0, 'nothing new: nothing applied')
      await fake.newGeneration()
      await fake.exec("INSERT INTO u VALUES ('generation', 2); UPDATE t SET extra = 8 WHERE id < 10;")
      await check('a new generation')
      await fake.newGeneration()
      await fake.newGeneration()
      await fake.exec("INSERT INTO u VALUES ('generation', 4) ON CONFLICT(k) DO UPDATE SET n = 4;")
      await check('two generations later')
    } finally {
      official.close()
      ours.close()
    }
  })

  it('server down mid-sync: a typed error, the replica stays readable, the next sync completes', { timeout: 60_000 }, async () => {
    const ours = oursClient({ url: `file:${path.join(dir, 'faults.db')}`, syncUrl: fake.url, authToken: 'secret-token-789', readYourWrites: false })
    try {
      await ours.sync()
      const before = await dump(ours)
      await fake.exec("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 400) INSERT INTO t (v) SELECT hex(randomblob(1500)) FROM c;")
      await fake.fault('down', 1)
      await assert.rejects(ours.sync(), (e) => typeof e.code === 'string' && e.code !== 'SYNC_PROTOCOL_ERROR')
      assert.deepEqual(await dump(ours), before, 'one transaction, not complete: nothing of it applied')
      assert.equal(await integrity(ours), 'ok')
      await fake.fault('truncate')
      await assert.rejects(ours.sync(), (e) => e.code === 'SYNC_PROTOCOL_ERROR')
      assert.deepEqual(await dump(ours), before)
      await fake.fault('none')
      await ours.sync()
      assert.deepEqual(await dump(ours), await sourceDump(fake))
    } finally {
      ours.close()
    }
  })

  it('a wrong token is AUTH_FAILED, without the token in the message', { timeout: 30_000 }, async () => {
    const ours = oursClient({ url: `file:${path.join(dir, 'wrong-token.db')}`, syncUrl: fake.url, authToken: 'not-the-token-321' })
    try {
      await assert.rejects(ours.execute('SELECT 1'), (e) => e.code === 'AUTH_FAILED' && !e.message.includes('not-the-token-321') &&
        !e.message.includes('secret-token-789'))
    } finally {
      ours.close()
    }
    assert.equal(fs.existsSync(path.join(dir, 'wrong-token.db')), false)
  })

  it('offline: true is refused, not ignored', () => {
    assert.throws(() => oursClient({ url: `file:${path.join(dir, 'offline.db')}`, syncUrl: fake.url, offline: true }), /offline is not supported/)
    assert.throws(() => oursClient({ url: `file:${path.join(dir, 'offline.db')}`, syncUrl: fake.url, offline: 'yes' }), TypeError)
  })
})
