#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace libsql {

class Error;

/// How integers are handed to a binding that cannot hold 64 bits exactly (mirrors intMode).
enum class IntMode { Number, Bigint, String };

/// A local file's journal mode. Wal: switched to WAL on open (it stays so), and reads run on a
/// pool of reader connections concurrently with the writer. Keep: left as the file has it (a
/// new file: SQLite's default, `delete`, as @libsql/client leaves it); a file that is not in
/// WAL mode then runs every statement on the writer connection, one at a time (in a rollback
/// journal a reader would block the writer's commit, and a pending commit new readers).
enum class JournalMode { Wal, Keep };

/// SQLite's `PRAGMA synchronous` levels; Full is @libsql/client's default.
enum class Synchronous { Off, Normal, Full, Extra };

/// Client configuration. Field names mirror @libsql/client's config.
struct Config {
  std::string url{};                          ///< file:, :memory:, libsql:, https:, http:, ws:, wss:
  std::string auth_token{};                   ///< Bearer token for remote databases
  std::string sync_url{};                     ///< non-empty => embedded replica at `url`
  std::chrono::seconds sync_interval{0};      ///< periodic sync of an embedded replica; 0 = off
  bool read_your_writes = true;               ///< replica: a write returns after it synced back
  std::string encryption_key{};               ///< file: databases and embedded replicas' local
                                              ///< files, encrypted as libSQL does (SQLite3MC aes256cbc)
  std::string remote_encryption_key{};        ///< remote: sent as `x-turso-encryption-key` (client 0.17's remoteEncryptionKey)
  std::optional<bool> tls{};                  ///< overrides the scheme's TLS choice (as `?tls=`)
  IntMode int_mode = IntMode::Number;         ///< for bindings; the C++ API always has int64
  int concurrency = 20;                       ///< max parallel remote requests
  /// Remote databases (and an embedded replica's syncs): the request deadline. A request on
  /// which the server sends nothing for this long fails with ErrorKind::Timeout (code
  /// CURLE_OPERATION_TIMEDOUT) instead of waiting forever; it is never sent again (a write may
  /// still have been applied). Every chunk of an answer restarts the wait, so a long answer
  /// that streams in is not cut. Default 300 s: what @libsql/client gets on Node from fetch
  /// (undici's headersTimeout and bodyTimeout); 0 = no deadline. A remote URL's
  /// `?requestTimeout=<ms>` overrides it. Also bounds connecting (at most 10 s).
  /// Not @libsql/client's `timeout` (there: the busy timeout of local files; see busy_timeout).
  std::chrono::milliseconds timeout{300000};
  /// Hrana over WebSocket for libsql: URLs (wss:, or ws: with ?tls=0), as importing
  /// `@libsql/client/ws` does; http:, https: and file: URLs are then refused. Off: libsql: goes
  /// over HTTP (as `@libsql/client`'s default entry). ws: and wss: URLs use WebSocket either way.
  bool websocket = false;

  // Local engine settings (not in @libsql/client).
  std::chrono::milliseconds busy_timeout{5000};  ///< how long a write waits for a lock (remote:
                                                 ///< a transaction for the client's previous one)
  Synchronous synchronous = Synchronous::Full;   ///< durability of a local file
  int read_connections = 2;                      ///< reader pool size for a file (>= 1)
  int statement_cache_size = 128;                ///< prepared statements kept per connection
  /// Local engine: a statement that ran within this time (and returned few rows) may run on
  /// the caller's thread afterwards instead of on a worker (the Node binding's inline path, docs/architecture.md "The inline path").
  /// Unset: the build's default (60 µs). Zero: never.
  std::optional<std::chrono::microseconds> inline_max_time{};
  JournalMode journal_mode = JournalMode::Wal;   ///< a file's journal mode (see JournalMode)
  /// Local file: a read made while an earlier write of this client has not finished runs after
  /// it, so calls take effect in the order they were made (as @libsql/client's do; the Node
  /// `createClient` sets it). Off (the default, and the Prisma adapter's choice): reads run on
  /// the reader pool beside pending writes and see the last committed state.
  bool ordered_calls = false;

  /// Embedded replica: told about every failed background sync (it is retried with backoff).
  /// Runs on the sync thread. Default: a line on stderr.
  std::function<void(const Error&)> on_sync_error{};
};

}  // namespace libsql
