// The npm package's `libsql-cpp` command (bindings/node/bin/libsql-cpp.js) runs the native
// CLI with the same arguments, stdio and exit code.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'

import { cleanEnv, cli, root } from './helpers.mjs'

const launcher = path.join(root, 'bindings', 'node', 'bin', 'libsql-cpp.js')
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'bindings', 'node', 'package.json'), 'utf8'))

const viaNode = (args, opts = {}) =>
  spawnSync(process.execPath, [launcher, ...args], {
    encoding: 'utf8',
    timeout: 20000,
    env: cleanEnv({ LIBSQL_CPP_CLI: cli }),
    ...opts,
  })

test('package.json exposes the launcher as the libsql-cpp bin', () => {
  assert.equal(pkg.bin?.['libsql-cpp'], 'bin/libsql-cpp.js')
  assert.match(fs.readFileSync(launcher, 'utf8'), /^#!\/usr\/bin\/env node\n/)
})

test('forwards arguments, stdin, stdout, stderr and the exit code', () => {
  let r = viaNode(['--version'])
  assert.equal(r.status, 0)
  assert.match(r.stdout, /^libsql-cpp \d/)
  r = viaNode(['shell', '--mode', 'csv'], { input: 'SELECT 1 AS one;\nSELECT nope;\n' })
  assert.equal(r.status, 1)
  assert.equal(r.stdout, 'one\n1\n')
  assert.equal(r.stderr, 'Error: stdin:2: SQLITE_ERROR: no such column: nope\n')
  assert.equal(viaNode(['frobnicate']).status, 2)
})

test('says how to build the native CLI when it is missing', () => {
  const r = viaNode(['--version'], { env: cleanEnv({ LIBSQL_CPP_CLI: '/nonexistent/libsql-cpp' }) })
  assert.equal(r.status, 1)
  assert.match(r.stderr, /native CLI is missing/)
})
