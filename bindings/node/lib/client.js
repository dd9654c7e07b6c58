'use strict'
// The createClient face: @libsql/client 0.17's Client over the native addon (no Prisma). The
// addon converts values and errors (js_convert); this file shapes ResultSets and rows and
// keeps the client's and transactions' closed state.
const { native, call } = require('./native.js')
const { LibsqlError, LibsqlBatchError } = require('./errors.js')

/**
 * A row as @libsql/client makes it: cells by column name (own, enumerable: what spread, keys and
 * JSON see), by index and `length` (not enumerable). Large results build their rows through one
 * class per column list, whose indices and `length` are getters on its prototype over the cells
 * (the official defines each as an own property: per cell that costs most of a 1,000-row read).
 */
function makeRow(cells, columns) {
  const row = {}
  Object.defineProperty(row, 'length', { value: cells.length })
  for (let i = 0; i < cells.length; i++) {
    const value = cells[i]
    Object.defineProperty(row, i, { value })
    const column = columns[i]
    if (!Object.hasOwn(row, column)) {
      Object.defineProperty(row, column, { value, enumerable: true, configurable: true, writable: true })
    }
  }
  return row
}

const kCells = Symbol('cells')
const rowClasses = new Map() // column list -> row class (bounded: cleared past 256 lists)

function rowClass(columns) {
  const key = columns.join('\u0000')
  let Row = rowClasses.get(key)
  if (Row) return Row
  const names = []
  for (const c of columns) if (!names.includes(c)) names.push(c)
  const firstIndex = names.map((c) => columns.indexOf(c))
  Row = function Row(cells) {
    Object.defineProperty(this, kCells, { value: cells })
    for (let j = 0; j < names.length; j++) this[names[j]] = cells[firstIndex[j]]
  }
  Row.prototype = Object.create(Object.prototype)
  Object.defineProperty(Row.prototype, 'length', { get() { return this[kCells].length } })
  for (let i = 0; i < columns.length; i++) Object.defineProperty(Row.prototype, i, { get() { return this[kCells][i] } })
  if (rowClasses.size >= 256) rowClasses.clear()
  rowClasses.set(key, Row)
  return Row
}

function makeRows(rows, columns) {
  if (rows.length < 32 || columns.some((c) => /^\d+$/.test(c) || c === 'length' || c === '__proto__')) return rows.map((cells) => makeRow(cells, columns))
  const Row = rowClass(columns)
  return rows.map((cells) => new Row(cells))
}

function valueToJson(value) {
  if (typeof value === 'bigint') return '' + value
  if (value instanceof ArrayBuffer) return Buffer.from(value).toString('base64')
  return value
}

class ResultSetImpl {
  columns
  columnTypes
  rows
  rowsAffected
  lastInsertRowid
  constructor(columns, columnTypes, rows, rowsAffected, lastInsertRowid) {
    this.columns = columns
    this.columnTypes = columnTypes
    this.rows = rows
    this.rowsAffected = rowsAffected
    this.lastInsertRowid = lastInsertRowid
  }
  toJSON() {
    return {
      columns: this.columns,
      columnTypes: this.columnTypes,
      rows: this.rows.map((row) => Array.prototype.map.call(row, valueToJson)),
      rowsAffected: this.rowsAffected,
      lastInsertRowid: this.lastInsertRowid !== undefined ? '' + this.lastInsertRowid : null,
    }
  }
}

function resultSet(r) {
  return new ResultSetImpl(r.columns, r.columnTypes, makeRows(r.rows, r.columns), r.rowsAffected, r.lastInsertRowid)
}

/** execute(stmt) / execute(sql, args) -> [sql, args]. */
function normalize(stmtOrSql, args) {
  if (typeof stmtOrSql === 'string') return [stmtOrSql, args ?? []]
  if (Array.isArray(stmtOrSql)) return [stmtOrSql[0], stmtOrSql[1] ?? []]
  if (stmtOrSql === null || typeof stmtOrSql !== 'object') {
    throw new TypeError('execute() expects a SQL string or a { sql, args } statement')
  }
  return [stmtOrSql.sql, stmtOrSql.args ?? []]
}

function normalizeAll(stmts) {
  if (!Array.isArray(stmts)) throw new TypeError('batch() expects an array of statements')
  return stmts.map((s) => normalize(s))
}

const closedError = () => new LibsqlError('The client is closed', 'CLIENT_CLOSED')
/** Worded as the official client words it: its local and remote transactions differ. */
const txClosedError = (remote, commit = false) =>
  new LibsqlError(
    !remote ? 'The transaction is closed'
      : commit ? 'Cannot commit the transaction because it is already closed'
        : 'Cannot execute statements because the transaction is closed',
    'TRANSACTION_CLOSED')

/**
 * A batch failure as the official's LibsqlBatchError, whose `statementIndex` is the zero-based
 * index of the statement that failed (the engine marks it). A batch that failed as a whole
 * (BEGIN, COMMIT, a server refusing the request) stays a LibsqlError, as with the official.
 */
function batchError(e, index = e?.statementIndex) {
  if (!(e instanceof LibsqlError) || e instanceof LibsqlBatchError || index === undefined) return e
  const message = e.code !== undefined && e.message.startsWith(`${e.code}: `) ? e.message.slice(e.code.length + 2) : e.message
  return new LibsqlBatchError(message, index, e.code, e.extendedCode, e.rawCode, e.cause)
}

const kGeneration = Symbol('generation')
const kEnd = Symbol('end')
/** A client's config (lib/prisma.js: `new PrismaLibSQL(client)` opens the same database). */
const kConfig = Symbol.for('libsql-cpp.client.config')

class Transaction {
  #tx
  #closed = false
  #client
  #generation
  constructor(tx, client, generation) {
    this.#tx = tx
    this.#client = client
    this.#generation = generation
  }
  /** Closed by commit/rollback/close, or with its client (close(), or reconnect() since). */
  get closed() {
    return this.#closed || this.#client.closed || this.#client[kGeneration] !== this.#generation
  }
  #check(commit = false) {
    if (this.closed) throw txClosedError(this.#client.protocol !== 'file', commit)
  }
  async execute(stmtOrSql, args) {
    this.#check()
    const [sql, a] = normalize(stmtOrSql, args)
    try {
      return resultSet(await call(native.clientTxExecute, this.#tx, sql, a))
    } catch (e) {
      // The official remote transaction runs execute() as a batch of one: its failure is a
      // LibsqlBatchError at statement 0.
      if (this.#client.protocol === 'file' || !(e instanceof LibsqlError) || e instanceof LibsqlBatchError) throw e
      throw batchError(e, 0)
    }
  }
  async batch(stmts) {
    // The official local transaction names the first statement of a batch on a closed one.
    if (this.closed && this.#client.protocol === 'file' && Array.isArray(stmts) && stmts.length > 0) {
      const e = txClosedError(false)
      throw new LibsqlBatchError('The transaction is closed', 0, e.code)
    }
    this.#check()
    try {
      return (await call(native.clientTxBatch, this.#tx, normalizeAll(stmts))).map(resultSet)
    } catch (e) {
      throw batchError(e)
    }
  }
  async executeMultiple(sql) {
    this.#check()
    if (typeof sql !== 'string') throw new TypeError('executeMultiple() expects a SQL string')
    await this.batch(native.clientSplitStatements(sql).map((part) => [part, []]))
  }
  async commit() {
    this.#check(true)
    this.#closed = true
    await call(native.clientTxCommit, this.#tx)
  }
  /**
   * As the official: a no-op on a closed transaction, except that its local client refuses a
   * transaction already ended while the client is open (TRANSACTION_CLOSED).
   */
  async rollback() {
    if (this.closed) {
      if (this.#client.protocol === 'file' && !this.#client.closed && this.#client[kGeneration] === this.#generation) this.#check()
      return
    }
    this.#closed = true
    await call(native.clientTxRollback, this.#tx)
  }
  /** Rolls back unless already ended (migrate()'s clean-up). */
  async [kEnd]() {
    if (this.#closed) return
    this.#closed = true
    await call(native.clientTxRollback, this.#tx)
  }
  close() {
    if (this.#closed) return
    this.#closed = true
    call(native.clientTxRollback, this.#tx).catch(() => {})
  }
}


/** Opens the native client in the background (a thread): the first call waits for it. */
function openNative(config) {
  // Calls on a file take effect in the order made, as the official client's (Config::ordered_calls).
  const opening = call(native.clientOpen, { ...config, orderedCalls: true })
  opening.catch(() => {}) // reported by the first call
  return opening
}

/** Closes an opened (or still opening) native client; resolves once its files are released. */
function closeNative(opening) {
  return opening.then((h) => call(native.clientClose, h), () => {}).then(() => {}, () => {})
}

class Client {
  #config
  #native
  #closed = false
  #closing = Promise.resolve()
  [kGeneration] = 0
  protocol
  constructor(config) {
    this.protocol = native.clientCheckConfig(config).protocol
    this.#config = { ...config }
    this.#native = openNative(this.#config)
  }
  get closed() {
    return this.#closed
  }
  get [kConfig]() {
    return { ...this.#config }
  }
  async #handle() {
    if (this.#closed) throw closedError()
    return this.#native
  }
  async execute(stmtOrSql, args) {
    const h = await this.#handle()
    const [sql, a] = normalize(stmtOrSql, args)
    return resultSet(await call(native.clientExecute, h, sql, a))
  }
  async batch(stmts, mode = 'deferred') {
    const h = await this.#handle()
    try {
      return (await call(native.clientBatch, h, normalizeAll(stmts), mode)).map(resultSet)
    } catch (e) {
      throw batchError(e)
    }
  }
  async migrate(stmts) {
    const h = await this.#handle()
    const tx = new Transaction(await call(native.clientTransaction, h, 'deferred', false), this, this[kGeneration])
    try {
      const results = await tx.batch(stmts)
      await tx.commit()
      return results
    } finally {
      await tx[kEnd]().catch(() => {})
    }
  }
  async transaction(mode = 'write') {
    const h = await this.#handle()
    const generation = this[kGeneration]
    return new Transaction(await call(native.clientTransaction, h, mode), this, generation)
  }
  async executeMultiple(sql) {
    const h = await this.#handle()
    await call(native.clientExecuteMultiple, h, sql)
  }
  async sync() {
    const h = await this.#handle()
    return call(native.clientSync, h)
  }
  /**
   * As the official: closes the database (unless already closed) and opens it again; the
   * client is usable again, even after close(). Transactions of the old connection are closed.
   * Resolves once the new connection is open (or rejects with its open error).
   */
  async reconnect() {
    if (!this.#closed) this.#closing = closeNative(this.#native)
    await this.#closing
    this[kGeneration]++
    this.#native = openNative(this.#config)
    this.#closed = false
    await this.#native
  }
  /**
   * Closes the client: `closed` is true at once and every later call rejects with
   * CLIENT_CLOSED (as the official). Closing waits for statements already running, and an
   * open still in flight, off the JS thread: the files are released when the returned promise
   * resolves (the official's close() returns nothing; awaiting ours is optional).
   */
  close() {
    if (!this.#closed) {
      this.#closed = true
      this.#closing = closeNative(this.#native)
    }
    return this.#closing
  }
}

/** @libsql/client's createClient: `file:`, `:memory:` and remote URLs, on the libsql-cpp engine. */
function createClient(config) {
  if (config === null || typeof config !== 'object') throw new TypeError('Expected client configuration as object, got ' + typeof config)
  return new Client(config)
}

/** The URL's scheme as @libsql/client's expandConfig reads it (`:memory:` and paths are `file`). */
function schemeOf(url) {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(String(url ?? ''))
  return m && url !== ':memory:' ? m[1].toLowerCase() : 'file'
}

/**
 * createClient of an @libsql/client entry point: `ws` (`@libsql/client/ws`: `libsql:` URLs go
 * over WebSocket, HTTP and file URLs are refused), `http` (`@libsql/client/http`: `libsql:` goes
 * over HTTP, WebSocket and file URLs are refused) or `node` (the default entry's).
 */
function createClientFor(transport) {
  return function createClient(config) {
    if (config === null || typeof config !== 'object') throw new TypeError('Expected client configuration as object, got ' + typeof config)
    if (transport === 'node') return new Client(config)
    // As the official entries, at once: a URL of the other transport (or a file) is refused.
    const [name, schemes] = transport === 'ws' ? ['WebSocket', ['libsql', 'wss', 'ws']] : ['HTTP', ['libsql', 'https', 'http']]
    const scheme = schemeOf(config.url)
    if (!schemes.includes(scheme)) {
      throw new LibsqlError(
        `The ${name} client supports only ${schemes.map((s) => `"${s}:"`).join(', ')} URLs, got ${JSON.stringify(scheme + ':')}`,
        'URL_SCHEME_NOT_SUPPORTED',
      )
    }
    return new Client({ ...config, websocket: transport === 'ws' })
  }
}

module.exports = { createClient, createClientFor, LibsqlError, LibsqlBatchError }
