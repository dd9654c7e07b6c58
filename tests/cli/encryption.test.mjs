// End-to-end: the CLI on a file the official client encrypted (--encryption-key and
// LIBSQL_ENCRYPTION_KEY), and the reverse; a wrong key fails without printing the key.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { createClient } from '@libsql/client'

import { M, blog, cleanEnv, run } from './helpers.mjs'

const KEY = 'cli-test-key-7f3a9c'

test('shell, exec and migrate on an encrypted file, both ways with the official client', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-cli-enc-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const db = path.join(dir, 'x.db')
  const official = createClient({ url: `file:${db}`, encryptionKey: KEY })
  await official.execute('CREATE TABLE t (a INTEGER, b TEXT)')
  await official.execute("INSERT INTO t VALUES (1, 'from the official client')")
  official.close()

  let r = run(['shell', db, '--encryption-key', KEY, '--mode', 'csv'], { input: 'SELECT * FROM t;' })
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, 'a,b\n1,from the official client\n')
  r = run(['exec', db, '-', '--mode', 'csv'], {
    input: "INSERT INTO t VALUES (2, 'from the cli');",
    env: cleanEnv({ LIBSQL_ENCRYPTION_KEY: KEY }),
  })
  assert.equal(r.code, 0, r.stderr)
  for (const [args, env] of [[['shell', db], cleanEnv()], [['shell', db, '--encryption-key', 'wrong-key-0000'], cleanEnv()]]) {
    r = run(args, { input: 'SELECT * FROM t;', env })
    assert.equal(r.code, 1)
    assert.match(r.stderr, /SQLITE_NOTADB: file is not a database/)
    assert.ok(!r.stderr.includes(KEY) && !r.stderr.includes('wrong-key-0000'), r.stderr)
  }
  // Migrations with the key from .env in the working directory.
  fs.writeFileSync(path.join(dir, '.env'), `LIBSQL_URL=file:${db}\nLIBSQL_ENCRYPTION_KEY=${KEY}\n`)
  r = run(['migrate', 'deploy', '--migrations', path.join(blog, 'migrations')], { cwd: dir })
  assert.equal(r.code, 1, 'a database with tables but no history is refused (P3005)')
  assert.match(r.stdout + r.stderr, /P3005/)

  const back = createClient({ url: `file:${db}`, encryptionKey: KEY })
  const rows = (await back.execute('SELECT a, b FROM t ORDER BY a')).rows.map((row) => Array.from(row))
  back.close()
  assert.deepEqual(rows, [[1, 'from the official client'], [2, 'from the cli']])
  assert.ok(!fs.readFileSync(db).includes('from the cli'))
})

test('migrate deploy creates an encrypted database the official client opens with the key', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-cli-enc-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const db = path.join(dir, 'new.db')
  const r = run(['migrate', 'deploy', '--url', db, '--encryption-key', KEY, '--migrations', path.join(blog, 'migrations')])
  assert.equal(r.code, 0, r.stderr)
  const c = createClient({ url: `file:${db}`, encryptionKey: KEY })
  const names = (await c.execute('SELECT migration_name FROM _prisma_migrations ORDER BY migration_name')).rows.map((row) => row[0])
  c.close()
  assert.equal(names[0], M.init)
  assert.ok(!fs.readFileSync(db).includes('SQLite format 3'))
})
