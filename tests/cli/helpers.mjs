// Shared by the end-to-end tests of the libsql-cpp binary (tests/cli/*.test.mjs).
//
// The binary: $LIBSQL_CPP_CLI (ctest sets it), else the one the package's loader finds
// (bindings/node/lib/locate.js: $LIBSQL_CPP_BUILD, else the newest build/<preset>). Missing: the
// tests fail and say so.
import { spawn, spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const here = path.dirname(fileURLToPath(import.meta.url))
export const root = path.resolve(here, '..', '..')
export const fixtures = path.join(here, 'fixtures')
export const blog = path.join(fixtures, 'blog')
const locate = createRequire(import.meta.url)(path.join(root, 'bindings', 'node', 'lib', 'locate.js'))

export const M = {
  init: '20261124013824_init',
  profile: '20261124013930_add_profile_and_published',
  userName: '20261124013933_user_name_required',
  tags: '20261124014035_tags',
}

function findCli() {
  const candidates = [
    process.env.LIBSQL_CPP_CLI && path.resolve(process.env.LIBSQL_CPP_CLI),
    ...locate.candidates('libsql-cpp'),
  ].filter(Boolean)
  const found = candidates.find((p) => fs.existsSync(p))
  if (!found) {
    throw new Error(
      `libsql-cpp binary not found (tried ${candidates.join(', ')}); build it ` +
        '(cmake --build --preset dev) or set LIBSQL_CPP_CLI',
    )
  }
  return found
}
export const cli = findCli()

/// A clean environment: no database URL or token leaks in from the caller's.
export function cleanEnv(extra = {}) {
  const env = { ...process.env }
  for (const k of ['LIBSQL_URL', 'TURSO_DATABASE_URL', 'LIBSQL_AUTH_TOKEN', 'TURSO_AUTH_TOKEN', 'LIBSQL_ENCRYPTION_KEY']) delete env[k]
  return { ...env, ...extra }
}

/// Runs the binary to completion: { code, stdout, stderr }.
export function run(args, { cwd, env, input, timeout = 20000 } = {}) {
  const r = spawnSync(cli, args, { cwd, env: env ?? cleanEnv(), input, encoding: 'utf8', timeout })
  if (r.error) throw r.error
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }
}

/// Starts the binary without waiting: the ChildProcess, with .done resolving to
/// { code, stdout, stderr }.
export function start(args, { cwd, env } = {}) {
  const child = spawn(cli, args, { cwd, env: env ?? cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
  child.done = new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
  child.output = () => stdout
  return child
}

/// A temp project: <dir>/prisma/schema.prisma and <dir>/prisma/migrations with the named
/// fixture migrations (all four by default). Removed by cleanup().
export function project(names = Object.values(M)) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-cli-'))
  const migrations = path.join(dir, 'prisma', 'migrations')
  fs.mkdirSync(migrations, { recursive: true })
  fs.copyFileSync(path.join(blog, 'schema.prisma'), path.join(dir, 'prisma', 'schema.prisma'))
  fs.copyFileSync(path.join(blog, 'migrations', 'migration_lock.toml'), path.join(migrations, 'migration_lock.toml'))
  const p = {
    dir,
    migrations,
    db: path.join(dir, 'dev.db'),
    get url() {
      return `file:${this.db}`
    },
    add(name) {
      fs.cpSync(path.join(blog, 'migrations', name), path.join(migrations, name), { recursive: true })
    },
    script(name) {
      return path.join(migrations, name, 'migration.sql')
    },
    cleanup() {
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
  for (const n of names) p.add(n)
  return p
}

/// Runs SQL through the CLI itself and returns the rows as JSON.
export function query(url, sql) {
  const r = run(['shell', url, '--mode', 'json'], { input: sql + '\n' })
  if (r.code !== 0) throw new Error(`query failed (${r.code}): ${r.stderr}`)
  const lines = r.stdout.trim()
  return lines ? JSON.parse(lines) : []
}

// ---- Prisma 6.19 (tests/migrate's isolated install) ---------------------------------------

const prismaDir = path.join(root, 'tests', 'migrate')
const prismaCli = path.join(prismaDir, 'node_modules', 'prisma', 'build', 'index.js')
const prismaConfig = path.join(prismaDir, 'prisma.config.ts')
const ourModule = path.join(root, 'bindings', 'node', 'lib', 'index.mjs')
const ourAddon = process.env.LIBSQL_CPP_NATIVE || locate.find('libsql_node.node') || 'libsql_node.node (not built)'

/// Why Prisma's own `migrate status` cannot run here, or null when it can.
export function prismaUnavailable() {
  if (!fs.existsSync(prismaCli)) return `Prisma 6.19 is not installed (run npm ci in tests/migrate): ${prismaCli}`
  if (!fs.existsSync(prismaConfig)) return `missing ${prismaConfig}`
  if (!fs.existsSync(ourModule) || !fs.existsSync(ourAddon)) return 'the libsql-cpp Node package is not built'
  const version = JSON.parse(fs.readFileSync(path.join(prismaDir, 'node_modules', 'prisma', 'package.json'), 'utf8')).version
  if (!version.startsWith('6.19.')) return `tests/migrate has Prisma ${version}, not 6.19`
  return null
}

/// Prisma 6.19's `migrate status` (engine 'js', through our adapter) on a project.
export function prismaStatus(p) {
  const r = spawnSync(
    process.execPath,
    [prismaCli, 'migrate', 'status', '--schema', path.join(p.dir, 'prisma', 'schema.prisma'), '--config', prismaConfig],
    {
      cwd: p.dir,
      encoding: 'utf8',
      timeout: 60000,
      env: {
        ...cleanEnv(),
        MIGRATE_DB_URL: p.url,
        MIGRATE_ADAPTER: 'ours',
        // Prisma 6 resolves native engines it does not need here; any executable stops it.
        PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true',
        PRISMA_QUERY_ENGINE_LIBRARY: '/bin/true',
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        CHECKPOINT_DISABLE: '1',
      },
    },
  )
  if (r.error) throw r.error
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, output: r.stdout + r.stderr }
}
