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
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { createClient } from '@libsql/client'

const here = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)

export const KINDS = ['official', 'ours']
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
 * code. Returns { dir, file, url, cleanup }.
 */
export async function freshDb({ sql = MIGRATION_SQL } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libsql-cpp-e2e-'))
  const file = path.join(dir, 'test.db')
  const url = `file:${file}`
  if (sql) {
    const client = createClient({ url })
    try {
      await client.executeMultiple(sql)
    } finally {
      client.close()
    }
  }
  return { dir, file, url, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

/** Runs SQL on a database with @libsql/client (setup/inspection outside the adapter under test). */
export async function withLibsql(url, fn) {
  const client = createClient({ url })
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
