'use strict'
// The Prisma face: shapes the objects Prisma expects around the native addon. No conversion and
// no classification happens here; the C++ prisma layer has decided rows, column types and
// errors, and the addon rejects with Prisma's DriverAdapterError itself.
const { DriverAdapterError } = require('@prisma/driver-adapter-utils')
const { native, call } = require('./native.js')

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
    return call(native.txQueryRaw, this.#tx, query?.sql, query?.args, query?.argTypes)
  }
  executeRaw(query) {
    return call(native.txExecuteRaw, this.#tx, query?.sql, query?.args, query?.argTypes)
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
    return call(native.queryRaw, this.#db, query?.sql, query?.args, query?.argTypes)
  }
  executeRaw(query) {
    return call(native.executeRaw, this.#db, query?.sql, query?.args, query?.argTypes)
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

/**
 * `PrismaLibSQL`, the spelling of @prisma/adapter-libsql 5.4–6.19, in both of its forms:
 *  - `new PrismaLibSQL(config, options)` (6.6–6.19): the factory, as `PrismaLibSql`;
 *  - `new PrismaLibSQL(client)`, the seed's form (5.4–6.5), with a client of this package's
 *    `createClient`: a factory over the client's config (its URL, token, ...). The adapter opens
 *    the database itself, so a `:memory:` client and its adapter are two databases.
 * It is a factory in both forms (`connect()`): what Prisma 6.6+ and 7 take as `adapter`. The
 * 5.4–6.5 adapter interface (results as `{ ok, value }`) is not offered.
 */
class PrismaLibSQL extends PrismaLibSql {
  constructor(configOrClient, options) {
    if (configOrClient && typeof configOrClient === 'object' && typeof configOrClient.execute === 'function') {
      const config = configOrClient[kClientConfig]
      if (!config) {
        throw new TypeError("PrismaLibSQL(client): the client must come from libsql-cpp's createClient (for @libsql/client's, pass its config: new PrismaLibSQL({ url, authToken }))")
      }
      configOrClient = config
    }
    super(configOrClient, options)
  }
}

module.exports = { PrismaLibSql, PrismaLibSQL, PrismaLibSqlAdapter: PrismaLibSqlCppAdapter }
