import type {
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils'

/** `@libsql/client`'s config, plus settings of the local engine. */
export type Config = {
  url: string
  authToken?: string
  syncUrl?: string
  syncInterval?: number
  encryptionKey?: string
  /** Remote databases: sent as the `x-turso-encryption-key` header (the server decrypts). */
  remoteEncryptionKey?: string
  tls?: boolean
  intMode?: 'number' | 'bigint' | 'string'
  concurrency?: number
  /** As in @libsql/client: local databases' busy timeout (ms); remote ones ignore it. */
  timeout?: number
  /**
   * Remote: Hrana over WebSocket for `libsql:` URLs (`wss:`, `ws:` with `?tls=0`), as
   * `@libsql/client/ws`'s createClient takes them; `http:`/`https:`/`file:` URLs are then refused.
   * `ws:`/`wss:` URLs use WebSocket either way.
   */
  websocket?: boolean
  /** Local files: how long a write waits for another process's lock (ms, default 5000; wins
   * over `timeout`). */
  busyTimeout?: number
  /** Remote databases: a request on which the server sends nothing for this many ms fails
   * (Prisma: P1008, SocketTimeout) and is not sent again (a write may still have been applied).
   * Default 300000 (what @libsql/client gets from Node's fetch); 0 = no deadline. The URL's
   * `?requestTimeout=<ms>` overrides it. */
  requestTimeout?: number
  /** Local files: PRAGMA synchronous (default 'full', like @libsql/client). */
  synchronous?: 'off' | 'normal' | 'full' | 'extra'
  /**
   * Local files: 'wal' (default) switches the file to WAL, where reads run concurrently with
   * writes on reader connections (the file stays in WAL mode); 'keep' leaves the file's mode
   * as it is ('delete' for a new file, as @libsql/client does), and a file that is not in WAL
   * mode then runs every statement on one connection, one at a time.
   */
  journalMode?: 'wal' | 'keep'
  /** Local files: reader connections serving reads concurrently (default 2). */
  readConnections?: number
  /** Local databases: a statement seen to run within this many microseconds (few rows) may run
   * on the JS thread afterwards, without a thread hop (default 60; 0 turns that path off). */
  inlineMaxTime?: number
  /** Embedded replica: after a forwarded write, wait until it is synced back (default true). */
  readYourWrites?: boolean
}

/** What a sync of an embedded replica applied. */
export type SyncResult = { frames_synced: number; frame_no?: number; revision: string }

export type PrismaLibSqlOptions = {
  timestampFormat?: 'iso8601' | 'unixepoch-ms'
}

/** Drop-in for `PrismaLibSql` of `@prisma/adapter-libsql`. */
export declare class PrismaLibSql implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider: 'sqlite'
  readonly adapterName: string
  constructor(config: Config, options?: PrismaLibSqlOptions)
  connect(): Promise<SqlDriverAdapter & { sync(): Promise<SyncResult> }>
  connectToShadowDb(): Promise<SqlDriverAdapter>
  /** Embedded replica ({ url: 'file:…', syncUrl }): syncs the adapters this factory connected. */
  sync(): Promise<SyncResult>
}

/**
 * The spelling of @prisma/adapter-libsql 5.4–6.19: `new PrismaLibSQL(config)` (6.6–6.19), or
 * `new PrismaLibSQL(client)` with a client of this package's `createClient` (the seed's form).
 * A factory in both forms (Prisma 6.6+ and 7), and also the 5.4–6.5 adapter (`queryRaw`,
 * `executeRaw`, `startTransaction`, `transactionContext`, `close`, with `{ ok, value }` results).
 */
export declare class PrismaLibSQL extends PrismaLibSql {
  constructor(configOrClient: Config | import('./client').Client, options?: PrismaLibSqlOptions)
}
