// End-to-end: `libsql-cpp shell` and `exec`, driven through pipes and through a
// pseudo-terminal (tests/cli/pty_driver.py, Python's pty module).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'

import { M, blog, cleanEnv, cli, here, run } from './helpers.mjs'

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-cli-shell-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

describe('shell, not on a terminal', () => {
  test('runs a Prisma migration from stdin, then answers queries', (t) => {
    const db = path.join(tempDir(t), 'x.db')
    const migration = fs.readFileSync(path.join(blog, 'migrations', M.init, 'migration.sql'))
    let r = run(['shell', db], { input: migration })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, '')
    r = run(['shell', `file:${db}`], { input: '.tables\n.schema Post\n' })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^Post +User\n/)
    assert.match(r.stdout, /CREATE TABLE "Post" \(\n.*CONSTRAINT "Post_authorId_fkey"/s)
    r = run(['shell', db, '--mode', 'csv'], { input: 'INSERT INTO "User" (email) VALUES (\'a@x\');\nSELECT id, email FROM "User";' })
    assert.equal(r.stdout, 'id,email\n1,a@x\n')
  })

  test('stops at the first error with exit code 1, naming the line', (t) => {
    const db = path.join(tempDir(t), 'x.db')
    const r = run(['shell', db], {
      input: 'CREATE TABLE t (a);\nINSERT INTO t VALUES (1);\n\nINSERT INTO\n  nope VALUES (2);\nINSERT INTO t VALUES (3);\n',
    })
    assert.equal(r.code, 1)
    assert.equal(r.stderr, 'Error: stdin:4: SQLITE_ERROR: no such table: nope\n')
    assert.deepEqual(JSON.parse(run(['shell', db, '--mode', 'json'], { input: 'SELECT a FROM t;' }).stdout), [{ a: 1 }])
  })

  test('exec runs a file; output modes', (t) => {
    const dir = tempDir(t)
    const db = path.join(dir, 'x.db')
    const file = path.join(dir, 'script.sql')
    fs.writeFileSync(file, "CREATE TABLE t (a, b);\r\nINSERT INTO t VALUES (1, 'x,y'), (2, NULL);\r\nSELECT * FROM t;\r\n")
    let r = run(['exec', db, file, '--mode', 'csv'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'a,b\n1,"x,y"\n2,\n')
    r = run(['exec', db, '-', '--mode', 'table'], { input: 'SELECT * FROM t;' })
    assert.equal(r.stdout, '+---+------+\n| a | b    |\n+---+------+\n| 1 | x,y  |\n| 2 | NULL |\n+---+------+\n')
    fs.writeFileSync(file, 'SELECT 1;\nSELECT nope;\n')
    r = run(['exec', db, file])
    assert.equal(r.code, 1)
    assert.equal(r.stderr, `Error: ${file}:2: SQLITE_ERROR: no such column: nope\n`)
    r = run(['exec', db, path.join(dir, 'missing.sql')])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^Error: FILE_UNREADABLE\n/)
    // exec takes its URL from the environment too.
    r = run(['exec', '-'], { input: 'SELECT 7 AS n;', env: cleanEnv({ LIBSQL_URL: db }) })
    assert.match(r.stdout, /\| 7 \|/)
  })

  test('without a URL the shell opens an in-memory database', () => {
    const r = run(['shell', '--mode', 'json'], { input: 'CREATE TABLE t (a); INSERT INTO t VALUES (42); SELECT a FROM t;' })
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(JSON.parse(r.stdout), [{ a: 42 }])
  })
})

// ---- through a pseudo-terminal ------------------------------------------------------------

const python = ['python3', 'python'].find((p) => spawnSync(p, ['-c', 'import pty'], { stdio: 'ignore' }).status === 0)

function drive(t, steps, args, env = {}) {
  const dir = tempDir(t)
  const stepsFile = path.join(dir, 'steps.json')
  fs.writeFileSync(stepsFile, JSON.stringify(steps))
  const home = path.join(dir, 'home')
  fs.mkdirSync(home)
  const r = spawnSync(python, [path.join(here, 'pty_driver.py'), stepsFile, '--', cli, ...args], {
    encoding: 'utf8',
    timeout: 30000,
    env: cleanEnv({ HOME: home, TERM: 'xterm', LIBSQL_CPP_HISTORY: '', ...env }),
  })
  assert.equal(r.status, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  out.home = home
  out.dir = dir
  return out
}

const enter = '\r'
// A fresh prompt: the prompt followed by an empty line ("erase to the end of line" right
// after it). A redraw of a line being typed also starts with the prompt, so waiting for the
// bare prompt text could match before the statement has run.
const prompt = 'libsql> \\x1b\\[0K'
const txPrompt = 'libsql\\*> \\x1b\\[0K'
const more = '\\.\\.\\.> \\x1b\\[0K'
const up = '\x1b[A'
const left = '\x1b[D'
const home = '\x01'

describe('shell, on a terminal', { skip: python ? false : 'no python3 with the pty module' }, () => {
  test('line editing, multi-line statements, history, dot commands, quit', (t) => {
    const db = path.join(tempDir(t), 'tty.db')
    const out = drive(
      t,
      [
        { expect: 'connected to file:.*tty\\.db' },
        { expect: prompt },
        { send: 'CREATE TABLE t (a INTEGER, b TEXT);' + enter },
        { expect: prompt },
        { send: "INSERT INTO t VALUES (1, 'one'), (2, 'two');" + enter },
        { expect: prompt },
        // Multi-line: a continuation prompt until the semicolon.
        { send: 'SELECT a, b' + enter },
        { expect: more },
        { send: 'FROM t ORDER BY a;' + enter },
        { expect: '\\| a \\| b   \\|.*\\| 2 \\| two \\|' },
        { expect: prompt },
        // Editing: type "SELEC 40+2 AS v;", go Home, move right 5 times, insert "T".
        { send: 'SELEC 40+2 AS v;' + home + '\x1b[C'.repeat(5) + 'T' + enter },
        { expect: '\\| 42 \\|' },
        { expect: prompt },
        // Backspace and Left: "SELECT 9x;" -> "SELECT 9;" -> "SELECT 19;"
        { send: 'SELECT 9x' + '\x7f' + ';' + left + left + '1' + enter },
        { expect: '\\| 19 \\|' },
        { expect: prompt },
        // History: Up twice recalls the 40+2 query.
        { send: up + up + enter },
        { expect: '\\| 42 \\|' },
        { expect: prompt },
        // Ctrl-C drops a half-typed statement.
        { send: 'SELECT' + enter },
        { expect: more },
        { send: '\x03' },
        { expect: '\\^C' },
        { expect: prompt },
        { send: '.mode json' + enter },
        { expect: prompt },
        { send: 'SELECT b FROM t WHERE a = 1;' + enter },
        { expect: '\\[\\{"b":"one"\\}\\]' },
        { expect: prompt },
        { send: '.tables' + enter },
        { expect: '\\bt\\b' },
        { expect: prompt },
        { send: 'SELECT * FROM nope;' + enter },
        { expect: 'Error: SQLITE_ERROR: no such table: nope' },
        { expect: prompt },
        { send: '.quit' + enter },
      ],
      ['shell', db],
    )
    assert.ok(out.ok, `failed at step ${out.failed_step}:\n${out.transcript}`)
    assert.equal(out.exit_code, 0)
    const history = fs.readFileSync(path.join(out.home, '.libsql_cpp_history'), 'utf8').split('\n')
    assert.ok(history.includes('SELECT 40+2 AS v;'), history.join('\n'))
    assert.ok(history.includes('.quit'))
    assert.equal(fs.statSync(path.join(out.home, '.libsql_cpp_history')).mode & 0o777, 0o600)
  })

  test('Ctrl-D on an empty line leaves; an open transaction is rolled back', (t) => {
    const db = path.join(tempDir(t), 'tty.db')
    const out = drive(
      t,
      [
        { expect: prompt },
        { send: 'CREATE TABLE t (a);' + enter },
        { expect: prompt },
        { send: 'BEGIN;' + enter },
        { expect: txPrompt },
        { send: 'INSERT INTO t VALUES (1);' + enter },
        { expect: txPrompt },
        { send: '\x04' },
        { expect: 'The open transaction was rolled back' },
      ],
      ['shell', db],
    )
    assert.ok(out.ok, `failed at step ${out.failed_step}:\n${out.transcript}`)
    assert.equal(out.exit_code, 0)
    assert.deepEqual(JSON.parse(run(['shell', db, '--mode', 'json'], { input: 'SELECT count(*) AS n FROM t;' }).stdout), [{ n: 0 }])
  })

  test('history from an earlier session is there', (t) => {
    const db = path.join(tempDir(t), 'tty.db')
    const histFile = path.join(tempDir(t), 'hist')
    fs.writeFileSync(histFile, 'SELECT 6*7 AS answer;\n')
    const out = drive(
      t,
      [{ expect: prompt }, { send: up + enter }, { expect: '\\| +42 \\|' }, { expect: prompt }, { send: '.exit' + enter }],
      ['shell', db],
      { LIBSQL_CPP_HISTORY: histFile },
    )
    assert.ok(out.ok, `failed at step ${out.failed_step}:\n${out.transcript}`)
  })
})
