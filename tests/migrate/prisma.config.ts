// Prisma 6.19 config for the Migrate tests: the JS schema engine (WebAssembly, shipped on npm)
// drives a driver adapter instead of the native schema-engine binary.
//
// Everything run-specific comes from the environment, so one config serves every temp dir:
//   MIGRATE_ADAPTER   'ours' (libsql-cpp, default) | 'official' (@prisma/adapter-libsql 6.19)
//   MIGRATE_DB_URL    libSQL URL of the dev database, e.g. file:/tmp/x/dev.db (required)
//   MIGRATE_CALL_LOG  optional file: every adapter call (sql, args, result or error, ms since
//                     start) is appended to it as one JSON line, to find which call fails;
//                     MIGRATE_CALL_LOG_STARTS=1 also logs each call when it starts
//   MIGRATE_SHIMS     optional, DIAGNOSTIC ONLY: comma-separated workarounds applied around the
//                     adapter, to show what the rest of the flow does once a known problem is
//                     out of the way (see README.md):
//                       skip-locking-pragma   `PRAGMA main.locking_mode=EXCLUSIVE` -> no-op
//                       empty-history-table   the history SELECT on a missing
//                                             `_prisma_migrations` -> empty result set
//   LIBSQL_CPP_MODULE optional absolute path to another build's lib/index.mjs
// The schema is passed with --schema; migrations live next to it (<schema dir>/migrations).
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { defineConfig } from 'prisma/config'

// This file lives in <repo>/tests/migrate; our package is <repo>/bindings/node.
// (jiti, which Prisma uses to load this file, provides __dirname.)
const ourModule =
  process.env.LIBSQL_CPP_MODULE || path.resolve(__dirname, '..', '..', 'bindings', 'node', 'lib', 'index.mjs')

async function makeFactory(kind: string, url: string) {
  if (kind === 'official') {
    // 6.x spelling; 7.x renamed it PrismaLibSql
    const { PrismaLibSQL } = await import('@prisma/adapter-libsql')
    return new PrismaLibSQL({ url })
  }
  if (kind === 'ours') {
    const { PrismaLibSql } = await import(pathToFileURL(ourModule).href)
    return new PrismaLibSql({ url })
  }
  throw new Error(`MIGRATE_ADAPTER must be 'ours' or 'official', not ${JSON.stringify(kind)}`)
}

type Log = (entry: Record<string, unknown>) => void

function logger(file: string | undefined): Log {
  if (!file) return () => {}
  let seq = 0
  const t0 = Date.now()
  return (entry) => {
    fs.appendFileSync(file, JSON.stringify({ seq: seq++, ms: Date.now() - t0, ...entry }, replacer) + '\n')
  }
}
function replacer(_key: string, value: unknown) {
  if (typeof value === 'bigint') return `${value}n`
  if (value instanceof Uint8Array) return `<${value.length} bytes>`
  return value
}
function describeError(e: any) {
  return { name: e?.name, message: e?.message, cause: e?.cause }
}

const LOCKING_PRAGMA = /^\s*PRAGMA\s+(main\.)?locking_mode\s*=\s*EXCLUSIVE\s*;?\s*$/i
const HISTORY_SELECT = /FROM\s+`_prisma_migrations`/
const HISTORY_COLUMNS = ['id', 'checksum', 'finished_at', 'migration_name', 'logs', 'rolled_back_at', 'started_at', 'applied_steps_count']
function isMissingHistoryTable(e: any) {
  const c = e?.cause ?? {}
  return c.kind === 'TableDoesNotExist' || /no such table: _prisma_migrations/.test(String(c.originalMessage ?? c.message ?? ''))
}

/** Proxies the factory, its adapters and their transactions: logs every call, applies shims. */
function wrap<T extends object>(obj: T, label: string, log: Log, shims: Set<string>): T {
  return new Proxy(obj, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      const name = String(prop)
      return (...args: any[]) => {
        const sql: unknown = name === 'executeScript' ? args[0] : args[0]?.sql
        const base: Record<string, unknown> = { on: label, call: name }
        if (sql !== undefined) base.sql = sql
        if (args[0]?.args?.length) base.args = args[0].args
        if (name === 'startTransaction') base.isolationLevel = args[0]
        if (shims.has('skip-locking-pragma') && typeof sql === 'string' && LOCKING_PRAGMA.test(sql)) {
          log({ ...base, shim: 'skip-locking-pragma', result: 0 })
          return Promise.resolve(0)
        }
        if (process.env.MIGRATE_CALL_LOG_STARTS) log({ ...base, started: true })
        let out: any
        try {
          out = value.apply(target, args)
        } catch (e) {
          log({ ...base, error: describeError(e) })
          throw e
        }
        if (!out || typeof out.then !== 'function') {
          log({ ...base, result: out })
          return out
        }
        return out.then(
          (res: any) => {
            if (name === 'connect' || name === 'connectToShadowDb') {
              log({ ...base, result: 'adapter' })
              return wrap(res, name === 'connect' ? 'db' : 'shadow', log, shims)
            }
            if (name === 'startTransaction') {
              log({ ...base, result: 'transaction' })
              return wrap(res, `${label}.tx`, log, shims)
            }
            const result =
              res && typeof res === 'object' && Array.isArray(res.rows)
                ? { columnNames: res.columnNames, columnTypes: res.columnTypes, rows: res.rows }
                : res
            log({ ...base, result })
            return res
          },
          (e: any) => {
            log({ ...base, error: describeError(e) })
            if (shims.has('empty-history-table') && name === 'queryRaw' && typeof sql === 'string' &&
                HISTORY_SELECT.test(sql) && isMissingHistoryTable(e)) {
              log({ ...base, shim: 'empty-history-table', result: { rows: [] } })
              return { columnNames: HISTORY_COLUMNS, columnTypes: [7, 7, 10, 7, 7, 10, 10, 0], rows: [] }
            }
            throw e
          },
        )
      }
    },
  })
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  async adapter() {
    const url = process.env.MIGRATE_DB_URL
    if (!url) throw new Error('MIGRATE_DB_URL is not set (see tests/migrate/prisma.config.ts)')
    const factory = await makeFactory(process.env.MIGRATE_ADAPTER || 'ours', url)
    const shims = new Set((process.env.MIGRATE_SHIMS || '').split(',').map((s) => s.trim()).filter(Boolean))
    for (const s of shims) {
      if (s !== 'skip-locking-pragma' && s !== 'empty-history-table') throw new Error(`unknown MIGRATE_SHIMS entry ${JSON.stringify(s)}`)
    }
    if (!process.env.MIGRATE_CALL_LOG && shims.size === 0) return factory
    return wrap(factory, 'factory', logger(process.env.MIGRATE_CALL_LOG), shims)
  },
})
