import type { Config } from './prisma'

export type { Config }

/** A value bound to a statement's parameter. */
export type InValue = null | string | number | bigint | boolean | ArrayBuffer | Uint8Array | Date
/** A value read from a row (per `intMode`). */
export type Value = null | string | number | bigint | ArrayBuffer
export type InArgs = Array<InValue> | Record<string, InValue>
export type InStatement = { sql: string; args?: InArgs } | string | [string, InArgs?]
export type TransactionMode = 'write' | 'read' | 'deferred'

export interface Row {
  length: number
  [index: number]: Value
  [name: string]: Value
}

export interface ResultSet {
  columns: Array<string>
  columnTypes: Array<string>
  rows: Array<Row>
  rowsAffected: number
  lastInsertRowid: bigint | undefined
  toJSON(): any
}

export interface Transaction {
  execute(stmt: InStatement): Promise<ResultSet>
  execute(sql: string, args?: InArgs): Promise<ResultSet>
  batch(stmts: Array<InStatement>): Promise<Array<ResultSet>>
  executeMultiple(sql: string): Promise<void>
  rollback(): Promise<void>
  commit(): Promise<void>
  close(): void
  readonly closed: boolean
}

export interface Replicated {
  frame_no: number | undefined
  frames_synced: number
}

export interface Client {
  execute(stmt: InStatement): Promise<ResultSet>
  execute(sql: string, args?: InArgs): Promise<ResultSet>
  batch(stmts: Array<InStatement>, mode?: TransactionMode): Promise<Array<ResultSet>>
  migrate(stmts: Array<InStatement>): Promise<Array<ResultSet>>
  transaction(mode?: TransactionMode): Promise<Transaction>
  executeMultiple(sql: string): Promise<void>
  sync(): Promise<Replicated>
  /** Closes the database (if open) and opens it again, as the official; usable after close(). */
  reconnect(): Promise<void>
  /** `closed` turns true at once; the promise resolves once the files are released. */
  close(): Promise<void>
  readonly closed: boolean
  protocol: 'http' | 'ws' | 'file'
}

/** @libsql/client's createClient, on the libsql-cpp engine. Throws LibsqlError for a bad URL. */
export declare function createClient(config: Config): Client

export declare class LibsqlError extends Error {
  code: string
  extendedCode?: string
  rawCode?: number
  constructor(message: string, code: string, extendedCode?: string, rawCode?: number, cause?: Error)
}

export declare class LibsqlBatchError extends LibsqlError {
  statementIndex: number | undefined
}
