'use strict'
// The shim: shapes the objects Prisma expects around the native addon. No conversion and no
// classification happens here; the C++ prisma layer has decided rows, column types and errors,
// and the addon rejects with Prisma's DriverAdapterError itself.
const path = require('node:path')
const { DriverAdapterError } = require('@prisma/driver-adapter-utils')

const native = require(process.env.LIBSQL_CPP_NATIVE ||
  path.join(__dirname, '..', 'build', 'libsql_node.node'))
native.setErrorClass(DriverAdapterError)

/**
 * Rows of a large result from the addon's packed form (bindings/node/src/row_pack.hpp): cells in
 * row order; numbers from a Float64Array, text sliced from one string, blobs copied out of one
 * byte range into a Uint8Array (with its own ArrayBuffer) each. A plain loop: V8 makes these
 * arrays far faster than one Node-API call per cell, or JSON.parse.
 */
function decodeRows(buffer, numCount, textCount, blobCount, blobLen, text, rowCount, columnCount) {
  const nums = new Float64Array(buffer, 0, numCount)
  let at = numCount * 8
  const textEnds = new Uint32Array(buffer, at, textCount)
  at += textCount * 4
  const blobEnds = new Uint32Array(buffer, at, blobCount)
  at += blobCount * 4
  const tags = new Uint8Array(buffer, at, rowCount * columnCount)
  at += rowCount * columnCount
  const blobs = new Uint8Array(buffer, at, blobLen)
  const rows = new Array(rowCount)
  let cell = 0
  let num = 0
  let textIndex = 0
  let textStart = 0
  let blobIndex = 0
  let blobStart = 0
  for (let i = 0; i < rowCount; i++) {
    const row = new Array(columnCount)
    for (let j = 0; j < columnCount; j++) {
      switch (tags[cell++]) {
        case 1:
          row[j] = nums[num++]
          break
        case 2: {
          const end = textEnds[textIndex++]
          row[j] = text.slice(textStart, end)
          textStart = end
          break
        }
        case 3: {
          const end = blobEnds[blobIndex++]
          row[j] = blobs.slice(blobStart, end)
          blobStart = end
          break
        }
        default:
          row[j] = null
      }
    }
    rows[i] = row
  }
  return rows
}
native.setRowDecoder(decodeRows)

const adapterName = 'libsql-cpp'

/** Calls the addon; an argument it refuses (a TypeError) becomes a rejection, as from an async method. */
function call(fn, ...args) {
  try {
    return fn(...args)
  } catch (e) {
    return Promise.reject(e)
  }
}

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

module.exports = { PrismaLibSql, PrismaLibSqlAdapter: PrismaLibSqlCppAdapter }
