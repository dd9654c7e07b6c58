// Hrana over WebSocket through the Node client, on a real sqld:
// - a read over sqld's response limit (10 MB) goes through a Hrana 3 cursor over ws:// and equals
//   the HTTP read;
// - the entry points libsql-cpp/ws, /http and /node choose the transport as @libsql/client's
//   subpaths do;
// - wss:// and https:// through a TLS front for sqld (a Node `tls` server on loopback piping to
//   it; a throwaway CA and server certificate made with the openssl CLI): queries and a
//   transaction work when the client trusts the CA (SSL_CERT_FILE, in a child process: the CA
//   bundle is read once per process), and a wrong host name or an untrusted CA fail typed.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import { execFileSync, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { startSqld, SQLD_BINARY } from '../sqld.mjs'
import { loadPrismaModule } from '../e2e/adapters.mjs'

const require = createRequire(import.meta.url)
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
// Runs in the local pass of scripts/test.sh only: it starts its own sqld, and the E2E_REMOTE pass
// would run the same again.
const noSqld = process.env.E2E_REMOTE
  ? 'runs in the local pass (it starts its own sqld)'
  : fs.existsSync(SQLD_BINARY) ? false : `no sqld at ${SQLD_BINARY}`
const wsUrl = (url) => url.replace(/^http:/, 'ws:')

describe('Hrana over WebSocket (sqld)', { skip: noSqld }, () => {
  let server
  before(async () => {
    server = await startSqld()
  })
  after(async () => {
    await server?.stop()
  })

  it('a read over the 10 MB response limit streams through a cursor over ws:// and equals the HTTP read', async () => {
    const { createClient } = await import('libsql-cpp/client')
    const http = createClient({ url: server.url })
    const ws = createClient({ url: wsUrl(server.url) })
    try {
      await http.executeMultiple(
        'CREATE TABLE big (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB, n);' +
          'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 6000) ' +
          "INSERT INTO big (i, r, s, b, n) SELECT x * 1000003, x / 7.0, 'row ' || x || ' é ' || hex(zeroblob(750)), zeroblob(x % 40), NULL FROM c;",
      )
      const sql = 'SELECT * FROM big ORDER BY id'
      const overHttp = await http.execute(sql)
      const overWs = await ws.execute(sql)
      assert.equal(overWs.rows.length, 6000)
      // Over the limit: the official client (Hrana 2 pipelines, no cursors) is refused it.
      const { createClient: official } = await import('@libsql/client')
      const o = official({ url: server.url })
      await assert.rejects(o.execute(sql), (e) => e.code === 'RESPONSE_TOO_LARGE' || /RESPONSE_TOO_LARGE/.test(e.message))
      o.close()
      assert.deepEqual(overWs.toJSON(), overHttp.toJSON())
      // Inside a transaction too, and the stream goes on after the cursor.
      const tx = await ws.transaction('write')
      assert.deepEqual((await tx.execute(sql)).toJSON(), overHttp.toJSON())
      await tx.execute("INSERT INTO big (s) VALUES ('x')")
      assert.equal((await tx.execute('SELECT count(*) AS n FROM big')).rows[0].n, 6001)
      await tx.rollback()
      assert.equal((await ws.execute('SELECT count(*) AS n FROM big')).rows[0].n, 6000)
    } finally {
      ws.close()
      http.close()
    }
  })

  it('libsql-cpp/ws, /http and /node choose the transport as @libsql/client/ws, /http and /node do', async () => {
    const port = new URL(server.url).port
    const libsqlUrl = `libsql://127.0.0.1:${port}?tls=0`
    const entries = {
      ws: await import('libsql-cpp/ws'),
      http: await import('libsql-cpp/http'),
      node: await import('libsql-cpp/node'),
    }
    const official = {
      ws: await import('@libsql/client/ws'),
      http: await import('@libsql/client/http'),
      node: await import('@libsql/client/node'),
    }
    assert.equal(require('libsql-cpp/ws').createClient, entries.ws.createClient, 'require and import give the same')
    const cases = [
      [libsqlUrl, { ws: 'ws', http: 'http', node: 'http' }],
      [server.url, { ws: 'URL_SCHEME_NOT_SUPPORTED', http: 'http', node: 'http' }],
      [wsUrl(server.url), { ws: 'ws', http: 'URL_SCHEME_NOT_SUPPORTED', node: 'ws' }],
      ['file::memory:', { ws: 'URL_SCHEME_NOT_SUPPORTED', http: 'URL_SCHEME_NOT_SUPPORTED', node: 'file' }],
    ]
    for (const [url, expected] of cases) {
      for (const entry of ['ws', 'http', 'node']) {
        const what = `${entry} ${url}`
        // The official entry agrees with what is expected of ours.
        let officialGot
        try {
          const c = official[entry].createClient({ url })
          officialGot = c.protocol
          c.close()
        } catch (e) {
          officialGot = e.code
        }
        assert.equal(officialGot, expected[entry], `official: ${what}`)
        let client
        try {
          client = entries[entry].createClient({ url })
        } catch (e) {
          assert.equal(e.code, expected[entry], `${what}: ${e.message}`)
          continue
        }
        try {
          assert.equal(client.protocol, expected[entry], what)
          assert.equal((await client.execute('SELECT 41 + 1 AS v')).rows[0].v, 42, what)
        } finally {
          await client.close()
        }
      }
    }
  })
})

// --- TLS ---

function openssl(dir, ...args) {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
}

/** A throwaway CA, a server certificate for `localhost` signed by it, and a second, unrelated CA. */
function makeCertificates(dir) {
  const ext = path.join(dir, 'server.ext')
  fs.writeFileSync(ext, 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n')
  for (const ca of ['ca', 'other-ca']) {
    openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', `/CN=libsql-cpp test ${ca}`, '-keyout', `${ca}.key`, '-out', `${ca}.pem`)
  }
  openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost',
    '-keyout', 'server.key', '-out', 'server.csr')
  openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1',
    '-extfile', ext, '-out', 'server.pem')
}

/** A TLS front on 127.0.0.1 that pipes each connection to `port` (sqld). */
function tlsFront(dir, port) {
  const front = tls.createServer({ key: fs.readFileSync(path.join(dir, 'server.key')), cert: fs.readFileSync(path.join(dir, 'server.pem')) }, (socket) => {
    const upstream = net.connect({ host: '127.0.0.1', port })
    socket.pipe(upstream).pipe(socket)
    const end = () => {
      socket.destroy()
      upstream.destroy()
    }
    socket.on('error', end)
    upstream.on('error', end)
    socket.on('close', end)
    upstream.on('close', end)
  })
  front.on('tlsClientError', () => {})
  return new Promise((resolve) => front.listen(0, '127.0.0.1', () => resolve(front)))
}

/** Runs `script` (an ES module body; `url` is the client's URL) in a fresh node with SSL_CERT_FILE=`ca`. */
function runClient(ca, url, script, extraEnv = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, SSL_CERT_FILE: ca, SSL_CERT_DIR: '', CLIENT_URL: url, ...extraEnv },
      cwd: root, // where node_modules/libsql-cpp resolves
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000) // bounded
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (code !== 0) return reject(new Error(`the client process failed (${code}): ${err}`))
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()))
      } catch (e) {
        reject(new Error(`the client process printed no JSON: ${out} ${err}`))
      }
    })
  })
}

const sessionScript = `
import { createClient } from 'libsql-cpp/client'
const c = createClient({ url: process.env.CLIENT_URL, requestTimeout: 20000 })
const out = {}
try {
  out.protocol = c.protocol
  await c.execute('DROP TABLE IF EXISTS t')
  await c.execute('CREATE TABLE t (a)')
  const tx = await c.transaction('write')
  await tx.execute({ sql: 'INSERT INTO t VALUES (?)', args: [1] })
  await tx.execute({ sql: 'INSERT INTO t VALUES (?)', args: [2] })
  await tx.commit()
  const tx2 = await c.transaction('write')
  await tx2.execute('INSERT INTO t VALUES (99)')
  await tx2.rollback()
  out.rows = (await c.execute('SELECT a FROM t ORDER BY a')).rows.map((r) => r.a)
  out.batch = (await c.batch(['SELECT 1 AS one', 'SELECT 2 AS two'], 'read')).map((r) => r.rows[0][0])
} catch (e) {
  out.error = { code: e.code, message: e.message, cause: String(e.cause ?? '') }
}
await c.close()
console.log(JSON.stringify(out))
`

// Drops every table, so each Prisma case starts from an empty database on the shared sqld.
const dropAllScript = `
import { createClient } from 'libsql-cpp/client'
const c = createClient({ url: process.env.CLIENT_URL })
const out = {}
try {
  const tables = (await c.execute("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")).rows.map((r) => r.name)
  // One stream, outside a transaction, so that the PRAGMA holds for the DROPs.
  await c.executeMultiple(['PRAGMA foreign_keys = OFF', ...tables.map((t) => 'DROP TABLE IF EXISTS "' + t + '"')].join('; '))
} catch (e) {
  out.error = { code: e.code, message: e.message }
}
c.close()
console.log(JSON.stringify(out))
`

// Prisma 7 (the generated e2e client) through PrismaLibSql over the same TLS front: the schema, a
// nested create, P2002, an interactive transaction that commits and one that rolls back.
const prismaScript = `
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { createClient, PrismaLibSql } from 'libsql-cpp'
const { PrismaClient } = createRequire(import.meta.url)(process.env.PRISMA_CLIENT)
const out = {}
const setup = createClient({ url: process.env.CLIENT_URL })
const prisma = new PrismaClient({ adapter: new PrismaLibSql({ url: process.env.CLIENT_URL }) })
try {
  await setup.executeMultiple(fs.readFileSync(process.env.MIGRATION_SQL, 'utf8'))
  const ada = await prisma.user.create({ data: { email: 'ada@x.io', posts: { create: [{ title: 'p1' }, { title: 'p2' }] } }, include: { posts: true } })
  out.posts = ada.posts.length
  out.duplicate = await prisma.user.create({ data: { email: 'ada@x.io' } }).then(() => 'created', (e) => e.code)
  await prisma.$transaction(async (tx) => {
    const u = await tx.user.findUniqueOrThrow({ where: { email: 'ada@x.io' } })
    await tx.user.update({ where: { id: u.id }, data: { name: 'Ada' } })
  })
  out.rolledBack = await prisma.$transaction(async (tx) => {
    await tx.user.create({ data: { email: 'gone@x.io' } })
    throw new Error('roll back')
  }).then(() => 'committed', (e) => e.message)
  out.users = (await prisma.user.findMany({ orderBy: { id: 'asc' } })).map((u) => [u.email, u.name])
} catch (e) {
  out.error = { code: e.code, message: e.message }
}
await prisma.$disconnect()
setup.close()
console.log(JSON.stringify(out))
`

describe('TLS (wss:// and https://) through a TLS front for sqld', { skip: noSqld }, () => {
  let dir
  let server
  let front
  let ca
  let otherCa
  let port
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-tls-'))
    makeCertificates(dir)
    ca = path.join(dir, 'ca.pem')
    otherCa = path.join(dir, 'other-ca.pem')
    server = await startSqld()
    front = await tlsFront(dir, server.port)
    port = front.address().port
  })
  after(async () => {
    await new Promise((resolve) => (front ? front.close(resolve) : resolve()))
    await server?.stop()
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  for (const scheme of ['wss', 'https']) {
    it(`${scheme}:// with the CA trusted: queries, a batch and transactions work`, async () => {
      const out = await runClient(ca, `${scheme}://localhost:${port}`, sessionScript)
      assert.equal(out.error, undefined, JSON.stringify(out.error))
      assert.equal(out.protocol, scheme === 'wss' ? 'ws' : 'http')
      assert.deepEqual(out.rows, [1, 2], 'the rolled back insert is not there')
      assert.deepEqual(out.batch, [1, 2])
    })

    it(`${scheme}:// end to end with Prisma 7 through PrismaLibSql`, async () => {
      const prismaClient = path.join(root, 'tests', 'e2e', 'generated', 'client', 'index.js')
      loadPrismaModule() // generates the client when it is missing
      // A fresh database per scheme: the front forwards to one sqld, so each case drops what
      // the other made first.
      const env = { PRISMA_CLIENT: prismaClient, MIGRATION_SQL: path.join(root, 'tests', 'e2e', 'migration.sql') }
      const reset = await runClient(ca, `${scheme}://localhost:${port}`, dropAllScript, env)
      assert.equal(reset.error, undefined, JSON.stringify(reset.error))
      const out = await runClient(ca, `${scheme}://localhost:${port}`, prismaScript, env)
      assert.equal(out.error, undefined, JSON.stringify(out.error))
      assert.equal(out.posts, 2)
      assert.equal(out.duplicate, 'P2002')
      assert.equal(out.rolledBack, 'roll back')
      assert.deepEqual(out.users, [['ada@x.io', 'Ada']], 'the committed update is there, the rolled-back user is not')
    })

    it(`${scheme}:// to a name the certificate does not carry, or with an untrusted CA, fails typed`, async () => {
      const wrongHost = await runClient(ca, `${scheme}://127.0.0.1:${port}`, sessionScript)
      const untrusted = await runClient(otherCa, `${scheme}://localhost:${port}`, sessionScript)
      const code = scheme === 'wss' ? 'HRANA_WEBSOCKET_ERROR' : 'CURLE_PEER_FAILED_VERIFICATION'
      for (const [what, out] of [['wrong host', wrongHost], ['untrusted CA', untrusted]]) {
        assert.ok(out.error, `${what}: it fails`)
        assert.equal(out.error.code, code, `${what}: ${out.error.message}`)
        assert.match(out.error.message, /certificate|SSL|TLS/i, what)
      }
      if (scheme === 'wss') {
        assert.match(wrongHost.error.message, /IP address mismatch|hostname mismatch/, wrongHost.error.message)
        assert.match(untrusted.error.message, /unable to get local issuer certificate|self.signed/, untrusted.error.message)
      }
    })
  }
})
