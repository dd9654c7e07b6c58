#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/sql_text.hpp"  // may_be_read, is_transaction_control
#include "libsql/config.hpp"
#include "libsql/error.hpp"
#include "libsql/result.hpp"
#include "libsql/value.hpp"
#include "local/sqlite_handles.hpp"
#include "local/stmt_cache.hpp"

namespace libsql::detail {

/// The error SQLite reports on `db` right now (extended code, official message format).
Error sqlite_error(sqlite3* db, int rc);

/// libSQL's encryption at rest (SQLite3 Multiple Ciphers' aes256cbc, non-legacy) on a
/// connection that has not read its file yet; the key goes through sqlite3_key_v2, never into
/// SQL text or a message. Throws Error (ENCRYPTION_NOT_SUPPORTED on a system-SQLite build).
void apply_encryption_key(sqlite3* db, const std::string& key);
/// True when this build can encrypt (SQLite3 Multiple Ciphers, not the system SQLite library).
[[nodiscard]] constexpr bool encryption_built_in() noexcept {
#if defined(LIBSQL_HAS_ENCRYPTION) && LIBSQL_HAS_ENCRYPTION
  return true;
#else
  return false;
#endif
}
/// ENCRYPTION_NOT_SUPPORTED: an encryptionKey given to a build on the system SQLite library.
Error encryption_not_built_error();
/// `e` with a hint when it is SQLITE_NOTADB on a file opened with a key (names no key byte).
Error with_key_hint(const Error& e, bool has_key);

enum class ConnectionRole { Writer, Reader, Memory, Inline };

/// One SQLite connection with its statement cache. Used by one thread at a time.
class Connection {
 public:
  /// Opens and configures (encryption key, WAL, busy timeout, foreign keys, synchronous).
  /// Throws Error.
  static std::unique_ptr<Connection> open(const std::string& path, ConnectionRole role,
                                          const Config& config);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  /// A prepared statement for exactly one SQL statement, from the cache when possible.
  /// Throws Error for invalid SQL, empty SQL or several statements.
  sqlite3_stmt* prepare(std::string_view sql);
  /// Binds the statement's arguments, steps it to the end, and collects the result.
  ResultSet run(sqlite3_stmt* stmt, const Statement& s);
  /// run() that gives up (nullopt, statement reset) past `max_rows` rows: for reads that
  /// must stay short.
  std::optional<ResultSet> run_limited(sqlite3_stmt* stmt, const Statement& s, std::size_t max_rows);
  /// prepare + run; with `readonly_only`, a statement that writes is refused (SQLITE_READONLY).
  ResultSet execute(const Statement& s, bool readonly_only = false);
  /// Runs a multi-statement script (sqlite3_exec). Throws Error.
  void exec(const std::string& sql);
  [[nodiscard]] bool autocommit() const noexcept;
  /// Whether a statement waits (up to the configured busy timeout) for a lock another
  /// connection holds, or fails with SQLITE_BUSY at once.
  void wait_for_locks(bool wait) noexcept;
  [[nodiscard]] sqlite3* db() const noexcept { return db_.get(); }
  [[nodiscard]] ConnectionRole role() const noexcept { return role_; }

 private:
  Connection(DbHandle db, ConnectionRole role, std::size_t cache_size, int busy_timeout_ms);
  /// The pragmas of open(): WAL (writer), synchronous, foreign keys, query_only (readers).
  void configure(ConnectionRole role, const Config& config);
  bool run_into(sqlite3_stmt* stmt, const Statement& s, std::size_t max_rows, ResultSet& rs);
  DbHandle db_;       // declared first => destroyed last,
  StmtCache cache_;   // so cached statements are finalized before the db closes
  ConnectionRole role_;
  int busy_timeout_ms_;
};

}  // namespace libsql::detail
