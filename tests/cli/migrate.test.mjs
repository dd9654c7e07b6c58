// End-to-end: `libsql-cpp migrate deploy|status|resolve` on local files, with the migrations
// Prisma 6.19 generated for tests/cli/fixtures/blog.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'

import { M, cleanEnv, project, query, run, start } from './helpers.mjs'

const deploy = (p, extra = [], opts = {}) =>
  run(['migrate', 'deploy', '--url', p.url, '--migrations', p.migrations, ...extra], opts)
const status = (p, extra = []) => run(['migrate', 'status', '--url', p.url, '--migrations', p.migrations, ...extra])
const statusJson = (p) => {
  const r = status(p, ['--json'])
  return { code: r.code, json: JSON.parse(r.stdout) }
}

describe('migrate deploy', () => {
  test('applies every migration with progress, then nothing; status agrees', (t) => {
    const p = project()
    t.after(() => p.cleanup())
    let r = deploy(p)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /4 migrations found in /)
    assert.match(r.stdout, /Created the _prisma_migrations table\./)
    for (const name of Object.values(M)) {
      assert.match(r.stdout, new RegExp(`Applying migration \`${name}\` \\.\\.\\. done in \\d+(\\.\\d)? ms`))
    }
    assert.match(r.stdout, /All migrations have been successfully applied \(4 migrations in /)
    r = deploy(p)
    assert.equal(r.code, 0)
    assert.match(r.stdout, /No pending migrations to apply\./)
    const s = statusJson(p)
    assert.equal(s.code, 0)
    assert.equal(s.json.upToDate, true)
    assert.deepEqual(s.json.applied.map((a) => a.name), Object.values(M))
    assert.deepEqual(
      query(p.url, 'SELECT name FROM sqlite_master WHERE type = \'table\' ORDER BY name;').map((r) => r.name),
      ['Post', 'Profile', 'Tag', 'User', '_PostToTag', '_prisma_migrations', 'sqlite_sequence'],
    )
  })

  test('the default migrations folder and a URL from .env, without printing the token', (t) => {
    const p = project()
    t.after(() => p.cleanup())
    fs.writeFileSync(path.join(p.dir, '.env'), `LIBSQL_URL="file:dev.db"\nLIBSQL_AUTH_TOKEN=s3cr3t-token\n`)
    const r = run(['migrate', 'deploy'], { cwd: p.dir })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /Database: file:dev\.db/)
    assert.match(r.stdout, /4 migrations found in prisma\/migrations/)
    assert.ok(fs.existsSync(p.db))
    assert.doesNotMatch(r.stdout + r.stderr, /s3cr3t/)
    // The process environment wins over .env.
    const other = path.join(p.dir, 'other.db')
    const r2 = run(['migrate', 'deploy'], { cwd: p.dir, env: cleanEnv({ TURSO_DATABASE_URL: other }) })
    assert.equal(r2.code, 0, r2.stderr)
    assert.ok(fs.existsSync(other))
  })

  test('--schema finds the migrations beside the schema, as Prisma does', (t) => {
    const p = project()
    t.after(() => p.cleanup())
    const r = run(['migrate', 'deploy', '--url', p.url, '--schema', path.join(p.dir, 'prisma', 'schema.prisma')])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /4 migrations found in .*prisma\/migrations/)
  })

  test('a failing second migration: consistent history and schema, P3009 until resolved', (t) => {
    const p = project()
    t.after(() => p.cleanup())
    const good = fs.readFileSync(p.script(M.profile), 'utf8')
    fs.writeFileSync(p.script(M.profile), good + '\nUPDATE "NoSuchTable" SET x = 1;\n')

    let r = deploy(p)
    assert.equal(r.code, 1)
    assert.match(r.stdout, new RegExp(`Applying migration \`${M.init}\` \\.\\.\\. done`))
    assert.match(r.stdout, new RegExp(`Applying migration \`${M.profile}\` \\.\\.\\. failed after`))
    assert.match(r.stderr, /^Error: P3018\n\nA migration failed to apply\./)
    assert.match(r.stderr, /no such table: NoSuchTable/)
    assert.match(r.stderr, new RegExp(`libsql-cpp migrate resolve --rolled-back "${M.profile}"`))
    // Schema: the first migration's only (the second's CREATE TABLE and redefinition undone).
    const tables = query(p.url, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name;").map((x) => x.name)
    assert.deepEqual(tables, ['Post', 'User', '_prisma_migrations', 'sqlite_sequence'])
    assert.deepEqual(
      query(p.url, "SELECT name FROM pragma_table_info('Post') ORDER BY cid;").map((x) => x.name),
      ['id', 'title', 'body', 'authorId'],
    )
    const rows = query(p.url, 'SELECT migration_name, finished_at IS NOT NULL AS done, logs, applied_steps_count AS steps FROM _prisma_migrations ORDER BY started_at;')
    assert.equal(rows.length, 2)
    assert.deepEqual([rows[0].migration_name, rows[0].done], [M.init, 1])
    assert.deepEqual([rows[1].migration_name, rows[1].done, rows[1].steps], [M.profile, 0, 0])
    assert.match(rows[1].logs, /no such table: NoSuchTable/)

    let s = status(p)
    assert.equal(s.code, 1)
    assert.match(s.stdout, /Failed \(1\):/)
    r = deploy(p)
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^Error: P3009\n/)
    assert.match(r.stderr, new RegExp(`The \`${M.profile}\` migration started at .* failed with the following logs:`))

    fs.writeFileSync(p.script(M.profile), good)
    r = run(['migrate', 'resolve', '--rolled-back', M.profile, '--url', p.url, '--migrations', p.migrations])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, new RegExp(`Migration ${M.profile} marked as rolled back\\.`))
    r = deploy(p)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /3 migrations in /)
    s = statusJson(p)
    assert.equal(s.code, 0)
    assert.equal(s.json.upToDate, true)
  })

  test('an edited applied migration is refused; a CRLF checkout of it is not', (t) => {
    const p = project()
    t.after(() => p.cleanup())
    assert.equal(deploy(p).code, 0)
    const original = fs.readFileSync(p.script(M.init), 'utf8')
    fs.writeFileSync(p.script(M.init), original.replace('"name" TEXT', '"name" TEXT NOT NULL'))
    let r = deploy(p)
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^Error: MIGRATION_MODIFIED\n/)
    assert.match(r.stderr, new RegExp(`  - ${M.init}\n`))
    assert.match(r.stderr, /Restore the file\(s\) from version control/)
    const s = statusJson(p)
    assert.equal(s.code, 1)
    assert.deepEqual(s.json.modified, [M.init])
    fs.writeFileSync(p.script(M.init), original.replaceAll('\n', '\r\n'))
    r = deploy(p)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(status(p).code, 0)
  })

  test('applied migrations missing from the folder are refused', (t) => {
    const p = project()
    t.after(() => p.cleanup())
    assert.equal(deploy(p).code, 0)
    fs.rmSync(path.join(p.migrations, M.tags), { recursive: true })
    const r = deploy(p)
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^Error: MIGRATIONS_MISSING_LOCALLY\n/)
    assert.equal(statusJson(p).json.missing[0], M.tags)
  })

  test('a database with tables but no history: P3005, then baseline with resolve --applied', (t) => {
    const p = project()
    t.after(() => p.cleanup())
    let r = run(['exec', p.url, p.script(M.init)])
    assert.equal(r.code, 0, r.stderr)
    r = deploy(p)
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^Error: P3005\n\nThe database schema is not empty\./)
    r = status(p)
    assert.equal(r.code, 1)
    assert.match(r.stdout, /not managed by Prisma Migrate/)
    r = run(['migrate', 'resolve', '--applied', M.init, '--url', p.url, '--migrations', p.migrations])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, new RegExp(`Migration ${M.init} marked as applied\\.`))
    r = deploy(p)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /3 migrations in /)
  })

  test('resolve errors carry Prisma codes', (t) => {
    const p = project([M.init])
    t.after(() => p.cleanup())
    assert.equal(deploy(p).code, 0)
    const resolve = (...a) => run(['migrate', 'resolve', ...a, '--url', p.url, '--migrations', p.migrations])
    assert.match(resolve('--applied', 'nope').stderr, /^Error: P3017\n/)
    assert.match(resolve('--applied', M.init).stderr, /^Error: P3008\n/)
    assert.match(resolve('--rolled-back', 'nope').stderr, /^Error: P3011\n/)
    assert.match(resolve('--rolled-back', M.init).stderr, /^Error: P3012\n/)
  })

  test('two deploys started at once: one applies each migration, nothing twice', async (t) => {
    for (let round = 0; round < 3; round++) {
      const p = project()
      t.after(() => p.cleanup())
      const a = start(['migrate', 'deploy', '--url', p.url, '--migrations', p.migrations])
      const b = start(['migrate', 'deploy', '--url', p.url, '--migrations', p.migrations])
      const [ra, rb] = await Promise.all([a.done, b.done])
      assert.equal(ra.code, 0, ra.stderr)
      assert.equal(rb.code, 0, rb.stderr)
      const applied = (out) => (out.match(/\.\.\. done in/g) ?? []).length
      assert.equal(applied(ra.stdout) + applied(rb.stdout), 4, ra.stdout + rb.stdout)
      const rows = query(p.url, 'SELECT migration_name, count(*) AS n FROM _prisma_migrations GROUP BY 1 ORDER BY 1;')
      assert.deepEqual(rows.map((r) => [r.migration_name, r.n]), Object.values(M).map((m) => [m, 1]))
    }
  })

  test('a deploy waits while another process holds the write lock, then applies', async (t) => {
    const p = project()
    t.after(() => p.cleanup())
    assert.equal(run(['exec', p.url, '-'], { input: 'SELECT 1;' }).code, 0)  // create the file (WAL)
    // The shell itself holds the lock: BEGIN IMMEDIATE, then nothing until we say COMMIT.
    const holder = start(['shell', p.url, '--mode', 'csv'])
    holder.stdin.write("BEGIN IMMEDIATE;\nSELECT 'locked' AS state;\n")
    while (!holder.output().includes('locked')) await new Promise((r) => setTimeout(r, 10))
    const deployer = start(['migrate', 'deploy', '--url', p.url, '--migrations', p.migrations])
    let deployed = false
    deployer.done.then(() => { deployed = true })
    // While the lock is held the deploy cannot finish, however long we give it.
    await new Promise((r) => setTimeout(r, 400))
    assert.equal(deployed, false, 'the deploy waits for the lock')
    holder.stdin.end('COMMIT;\n')
    const [rd, rh] = await Promise.all([deployer.done, holder.done])
    assert.equal(rh.code, 0, rh.stderr)
    assert.equal(rd.code, 0, rd.stderr)
    assert.match(rd.stdout, /4 migrations in /)
  })

  test('a short --lock-timeout gives up cleanly with DATABASE_LOCKED', async (t) => {
    const p = project()
    t.after(() => p.cleanup())
    assert.equal(deploy(p).code, 0)
    const holder = start(['shell', p.url, '--mode', 'csv'])
    holder.stdin.write("BEGIN IMMEDIATE;\nSELECT 'locked' AS state;\n")
    while (!holder.output().includes('locked')) await new Promise((r) => setTimeout(r, 10))
    const r = deploy(p, ['--lock-timeout', '0.2'])
    holder.stdin.end('ROLLBACK;\n')
    await holder.done
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^Error: DATABASE_LOCKED\n/)
    assert.match(r.stderr, /--lock-timeout/)
  })
})

describe('migrate status', () => {
  test('--json for machines; exit code 1 while migrations are pending', (t) => {
    const p = project()
    t.after(() => p.cleanup())
    assert.equal(run(['exec', p.url, '-'], { input: 'SELECT 1;' }).code, 0)  // an empty database
    let s = statusJson(p)
    assert.equal(s.code, 1)
    assert.equal(s.json.upToDate, false)
    assert.equal(s.json.historyTable, false)
    assert.equal(s.json.managed, true)
    assert.deepEqual(s.json.pending, Object.values(M))
    assert.equal(deploy(p).code, 0)
    s = statusJson(p)
    assert.equal(s.code, 0)
    for (const a of s.json.applied) {
      assert.match(a.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/)
      assert.match(a.checksum, /^[0-9a-f]{64}$/)
      assert.equal(a.appliedStepsCount, 1)
    }
  })

  test('a database file that does not exist is an error, not a new empty file', (t) => {
    const p = project()
    t.after(() => p.cleanup())
    const r = status(p)
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^Error: P1003\n/)
    assert.equal(fs.existsSync(p.db), false)
  })
})

describe('command line', () => {
  test('no URL: exit code 2 and where to put one', () => {
    const r = run(['migrate', 'deploy'], { cwd: fs.mkdtempSync('/tmp/libsql-cli-nourl-') })
    assert.equal(r.code, 2)
    assert.match(r.stderr, /^Error: NO_DATABASE_URL\n/)
    assert.match(r.stderr, /LIBSQL_URL/)
  })

  test('bad usage: exit code 2 with the usage', () => {
    const r = run(['migrate', 'deploy', '--nope'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /Unknown option --nope/)
    assert.match(r.stderr, /libsql-cpp migrate deploy/)
    assert.equal(run(['frobnicate']).code, 2)
  })

  test('help and version', () => {
    const h = run(['--help'])
    assert.equal(h.code, 0)
    for (const c of ['migrate deploy', 'migrate status', 'migrate resolve', 'shell', 'exec']) {
      assert.ok(h.stdout.includes(`libsql-cpp ${c}`), c)
    }
    assert.match(run(['--version']).stdout, /^libsql-cpp \d+\.\d+\.\d+\n$/)
    assert.match(run(['migrate', 'status', '--help']).stdout, /--json/)
  })

  test('a remote URL fails cleanly and never shows the token', () => {
    for (const args of [
      ['--url', 'http://127.0.0.1:9/?authToken=url-s3cret', '--auth-token', 'flag-s3cret'],
      ['--url', 'libsql://127.0.0.1:9?tls=0', '--auth-token', 'flag-s3cret'],
    ]) {
      const r = run(['migrate', 'status', ...args], { timeout: 30000 })
      assert.equal(r.code, 1, r.stderr)
      assert.match(r.stderr, /^Error: [A-Z_]+\n/)
      assert.doesNotMatch(r.stdout + r.stderr, /s3cret/)
    }
  })
})
