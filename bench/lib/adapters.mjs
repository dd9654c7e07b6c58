// The adapters under test, each opened at equal durability (see bench/README.md):
//   ours      PrismaLibSql from libsql-cpp          WAL (its default), synchronous=FULL (default)
//   official  PrismaLibSql from @prisma/adapter-libsql (+ @libsql/client)
//             the file is put in WAL mode before it is opened (journal_mode=WAL persists in the
//             file; libsql's default is DELETE); synchronous=FULL is libsql's default
//   bs3       PrismaBetterSqlite3 from @prisma/adapter-better-sqlite3
//             WAL as above; better-sqlite3 is compiled with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1
//             (NORMAL), so `PRAGMA synchronous=FULL` is run on its one connection at connect
// Every cell checks `PRAGMA journal_mode` / `PRAGMA synchronous` through the adapter itself and
// records them in the results.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const here = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)

export const ADAPTER_KINDS = ['ours', 'official', 'bs3']
// 'stub' (opt-in, Prisma level only): a zero-cost adapter that answers each SQL with the result
// it got the first time from a real adapter (better-sqlite3): what Prisma alone costs.
export const OPTIONAL_KINDS = ['stub']
export const LABELS = {
  floor: 'C floor',
  ours: 'libsql-cpp',
  official: '@prisma/adapter-libsql',
  bs3: '@prisma/adapter-better-sqlite3',
  stub: 'Prisma alone (stub adapter)',
}

async function ctor(kind) {
  if (kind === 'ours') {
    const m = await import(process.env.LIBSQL_CPP_MODULE || 'libsql-cpp')
    return m.PrismaLibSql ?? m.default?.PrismaLibSql
  }
  if (kind === 'official') return (await import('@prisma/adapter-libsql')).PrismaLibSql
  if (kind === 'bs3') return (await import('@prisma/adapter-better-sqlite3')).PrismaBetterSqlite3
  throw new Error(`unknown adapter kind ${kind}`)
}

/**
 * A driver-adapter factory of `kind` for `url`, wrapped so that every connection it opens gets
 * the durability settings above and, when `seed` is given (":memory:"), the seed script.
 */
export async function makeFactory(kind, url, { seed, config } = {}) {
  if (kind === 'stub') return makeStubFactory(url, { seed })
  const Ctor = await ctor(kind)
  const inner = new Ctor({ url, ...config })
  const wrapped = Object.create(inner)
  wrapped.provider = inner.provider
  wrapped.adapterName = inner.adapterName
  wrapped.connect = async () => {
    const adapter = await inner.connect()
    if (kind === 'bs3' && !url.startsWith('http')) await adapter.executeScript('PRAGMA synchronous=FULL')
    if (seed) await adapter.executeScript(seed)
    return adapter
  }
  return wrapped
}

/** journal_mode / synchronous / SQLite version as the adapter's own connection reports them. */
export async function durabilityOf(adapter) {
  const one = async (sql) => {
    try {
      const r = await adapter.queryRaw({ sql, args: [], argTypes: [] })
      return r.rows[0]?.[0]
    } catch (e) {
      return `error: ${e.message}`
    }
  }
  return {
    journal_mode: await one('PRAGMA journal_mode'),
    synchronous: await one('PRAGMA synchronous'),
    sqlite: await one('SELECT sqlite_version()'),
  }
}

let prismaModule
export function loadPrisma() {
  prismaModule ??= require(path.join(here, '..', 'prisma', 'generated', 'client', 'index.js'))
  return prismaModule
}

/**
 * The zero-cost adapter: the first call with a given SQL runs on a real adapter (better-sqlite3),
 * every later one gets a copy of that result at once (Prisma shapes rows in place, hence the
 * copy). Transactions are no-ops. Only for measuring Prisma's own cost per operation.
 */
export async function makeStubFactory(url, { seed } = {}) {
  const source = await makeFactory('bs3', url, { seed })
  return {
    provider: 'sqlite',
    adapterName: '@prisma/adapter-libsql',
    async connect() {
      const real = await source.connect()
      const cache = new Map()
      const answer = (method, q) => {
        const key = `${method}\0${q.sql}`
        const hit = cache.get(key)
        if (hit !== undefined) {
          return Promise.resolve(typeof hit === 'number' ? hit : { ...hit, rows: hit.rows.map((r) => r.slice()) })
        }
        return real[method](q).then((r) => {
          cache.set(key, typeof r === 'number' ? r : { ...r, rows: r.rows.map((x) => x.slice()) })
          return r
        })
      }
      const queryable = {
        provider: 'sqlite',
        adapterName: '@prisma/adapter-libsql',
        queryRaw: (q) => answer('queryRaw', q),
        executeRaw: (q) => answer('executeRaw', q),
      }
      return {
        ...queryable,
        executeScript: (s) => real.executeScript(s),
        startTransaction: async () => ({
          ...queryable, options: { usePhantomQuery: true }, commit: async () => {}, rollback: async () => {},
        }),
        dispose: () => real.dispose(),
      }
    },
  }
}
