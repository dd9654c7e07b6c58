'use strict'
// The Prisma face: shapes the objects Prisma expects around the native addon. No conversion and
// no classification happens here; the C++ prisma layer has decided rows, column types and
// errors, and the addon rejects with Prisma's DriverAdapterError itself.
const { DriverAdapterError } = require('@prisma/driver-adapter-utils')
const { native, call, argTypeCodes } = require('./native.js')

native.setErrorClass(DriverAdapterError)

const adapterName = 'libsql-cpp'

class LibSqlCppTransaction {
  provider = 'sqlite'
  adapterName = adapterName
  options = { usePhantomQuery: true }
  #tx
  constructor(tx) {
    this.#tx = tx
  }
  queryRaw(query) {
    return call(native.txQueryRaw, this.#tx, query?.sql, query?.args, argTypeCodes(query?.argTypes))
  }
  executeRaw(query) {
    return call(native.txExecuteRaw, this.#tx, query?.sql, query?.args, argTypeCodes(query?.argTypes))
  }
  commit() {
    return call(native.txCommit, this.#tx)
  }
  rollback() {
    return call(native.txRollback, this.#tx)
  }
  async createSavepoint(name) {
    await this.executeRaw({ sql: `SAVEPOINT ${name}`, args: [], argTypes: [] })
  }
  async rollbackToSavepoint(name) {
    await this.executeRaw({ sql: `ROLLBACK TO ${name}`, args: [], argTypes: [] })
  }
  async releaseSavepoint(name) {
    await this.executeRaw({ sql: `RELEASE SAVEPOINT ${name}`, args: [], argTypes: [] })
  }
}

class PrismaLibSqlCppAdapter {
  provider = 'sqlite'
  adapterName = adapterName
  #db
  constructor(db) {
    this.#db = db
  }
  queryRaw(query) {
    return call(native.queryRaw, this.#db, query?.sql, query?.args, argTypeCodes(query?.argTypes))
  }
  executeRaw(query) {
    return call(native.executeRaw, this.#db, query?.sql, query?.args, argTypeCodes(query?.argTypes))
  }
  executeScript(script) {
    return call(native.executeScript, this.#db, script)
  }
  async startTransaction(isolationLevel) {
    return new LibSqlCppTransaction(await call(native.startTransaction, this.#db, isolationLevel))
  }
  getConnectionInfo() {
    return native.connectionInfo(this.#db)
  }
  /** Embedded replica: pulls the primary's changes ({ frames_synced, frame_no, revision }). */
  sync() {
    return call(native.sync, this.#db)
  }
  dispose() {
    return call(native.dispose, this.#db)
  }
}

/** Drop-in for `PrismaLibSql` of `@prisma/adapter-libsql`. */
class PrismaLibSql {
  provider = 'sqlite'
  adapterName = adapterName
  #config
  #options
  #adapters = new Set()
  constructor(config, options) {
    this.#config = config
    this.#options = options
  }
  async connect() {
    const adapter = new PrismaLibSqlCppAdapter(await call(native.open, this.#config, this.#options))
    this.#adapters.add(new WeakRef(adapter))
    return adapter
  }
  /**
   * Embedded replica ({ url: 'file:…', syncUrl }): syncs the adapters this factory connected
   * (the official factory has no way to reach @libsql/client's sync()).
   */
  async sync() {
    const live = [...this.#adapters].map((r) => r.deref()).filter(Boolean)
    if (live.length === 0) throw new Error('sync(): connect() first (no adapter is open)')
    const results = await Promise.all(live.map((a) => a.sync()))
    return results[results.length - 1]
  }
  async connectToShadowDb() {
    return new PrismaLibSqlCppAdapter(
      await call(native.open, { ...this.#config, url: ':memory:' }, this.#options))
  }
}

const kClientConfig = Symbol.for('libsql-cpp.client.config')

// ---------- The 5.4–6.5 adapter interface (results as { ok, value } / { ok: false, error }) ----------

// As that interface's driver-adapter-utils makes them (Prisma maps over them).
const ok = (value) => ({ ok: true, value, map: (fn) => ok(fn(value)), flatMap: (fn) => fn(value) })
const err = (error) => ({ ok: false, error, map: () => err(error), flatMap: () => err(error) })

/**
 * A rejection of ours as that interface's error: SQLite's extended code, and SQLite's message
 * ('UNIQUE constraint failed: User.email', as the official adapter has it on a file), which
 * Prisma 5 reads the constraint's fields from.
 */
function legacyResult(e) {
  const cause = e instanceof DriverAdapterError ? e.cause : undefined
  let code, message
  if (cause?.kind === 'sqlite' && typeof cause.extendedCode === 'number') {
    ;[code, message] = [cause.extendedCode, cause.message]
  } else if (cause && cause.originalCode !== undefined && /^\d+$/.test(String(cause.originalCode))) {
    ;[code, message] = [Number(cause.originalCode), cause.originalMessage ?? cause.message]
  } else {
    throw e
  }
  message = String(message ?? '').replace(/^SQLITE_[A-Z_]+: /, '')
  return err({ kind: 'Sqlite', extendedCode: code, message })
}

/** Rows as that interface has them: bytes as arrays of numbers, no lastInsertId. */
function legacyRows(r) {
  for (const row of r.rows) {
    for (let i = 0; i < row.length; i++) if (row[i] instanceof Uint8Array) row[i] = Array.from(row[i])
  }
  return { columnNames: r.columnNames, columnTypes: r.columnTypes, rows: r.rows }
}

class LegacyQueryable {
  provider = 'sqlite'
  adapterName = '@prisma/adapter-libsql'
  #target
  constructor(target) {
    this.#target = target // () => Promise<adapter or transaction of ours>
  }
  async queryRaw(query) {
    try {
      return ok(legacyRows(await (await this.#target()).queryRaw({ sql: query.sql, args: query.args ?? [], argTypes: query.argTypes })))
    } catch (e) {
      return legacyResult(e)
    }
  }
  async executeRaw(query) {
    try {
      return ok(await (await this.#target()).executeRaw({ sql: query.sql, args: query.args ?? [], argTypes: query.argTypes }))
    } catch (e) {
      return legacyResult(e)
    }
  }
}

class LegacyTransaction extends LegacyQueryable {
  options = { usePhantomQuery: true }
  #tx
  constructor(tx) {
    super(async () => tx)
    this.#tx = tx
  }
  async commit() {
    try {
      return ok(await this.#tx.commit())
    } catch (e) {
      return legacyResult(e)
    }
  }
  async rollback() {
    try {
      await this.#tx.rollback()
    } catch {}
    return ok(undefined)
  }
}

// ---------- PrismaLibSQL ----------

/**
 * `PrismaLibSQL`, the spelling of @prisma/adapter-libsql 5.4–6.19, in both of its forms:
 *  - `new PrismaLibSQL(config, options)` (6.6–6.19): the factory, as `PrismaLibSql`;
 *  - `new PrismaLibSQL(client)`, the seed's form, with a client of this package's
 *    `createClient`: a factory over the client's config (its URL, token, ...) for Prisma 6.6+
 *    and 7, and at the same time the adapter of Prisma 5.4–6.5 (`queryRaw`, `executeRaw`,
 *    `transactionContext`/`startTransaction` with `{ ok, value }` results). The adapter opens
 *    the database itself, so a `:memory:` client and its adapter are two databases.
 */
class PrismaLibSQL extends PrismaLibSql {
  #legacy
  #connection
  constructor(configOrClient, options) {
    if (configOrClient && typeof configOrClient === 'object' && typeof configOrClient.execute === 'function') {
      const config = configOrClient[kClientConfig]
      if (!config) {
        throw new TypeError("PrismaLibSQL(client): the client must come from libsql-cpp's createClient (for @libsql/client's, pass its config: new PrismaLibSQL({ url, authToken }))")
      }
      configOrClient = config
    }
    super(configOrClient, options)
    this.#legacy = new LegacyQueryable(() => (this.#connection ??= this.connect()))
  }
  // The 5.4–6.5 adapter: one connection, opened on first use.
  queryRaw(query) {
    return this.#legacy.queryRaw(query)
  }
  executeRaw(query) {
    return this.#legacy.executeRaw(query)
  }
  async startTransaction() {
    try {
      const adapter = await (this.#connection ??= this.connect())
      return ok(new LegacyTransaction(await adapter.startTransaction()))
    } catch (e) {
      return legacyResult(e)
    }
  }
  /** 5.x after 5.13: transactions start from a context. */
  async transactionContext() {
    const ctx = new LegacyQueryable(() => (this.#connection ??= this.connect()))
    ctx.startTransaction = () => this.startTransaction()
    return ok(ctx)
  }
  async close() {
    const connection = this.#connection
    this.#connection = undefined
    if (connection) await (await connection).dispose()
    return ok(undefined)
  }
}

module.exports = { PrismaLibSql, PrismaLibSQL, PrismaLibSqlAdapter: PrismaLibSqlCppAdapter }
