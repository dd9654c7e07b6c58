#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "libsql/config.hpp"
#include "libsql/error.hpp"
#include "libsql/result.hpp"
#include "libsql/value.hpp"

namespace libsql {

/// BEGIN IMMEDIATE (write), a read-only transaction (read), or BEGIN DEFERRED (deferred).
enum class TransactionMode { Write, Read, Deferred };

/// Options of an interactive transaction.
struct TransactionOptions {
  /// false: foreign key enforcement is off for the whole transaction (schema changes that
  /// rebuild a parent table, as Prisma's migrations do). SQLite ignores `PRAGMA foreign_keys`
  /// inside a transaction, so it is set on the transaction's own connection or stream before
  /// BEGIN, and turned back on when the transaction ends.
  bool foreign_keys = true;
};

/// What a sync of an embedded replica applied.
struct SyncResult {
  std::size_t frames_synced = 0;  ///< pages written into the replica by this sync
  std::string revision{};         ///< the server revision the replica is at now (opaque)
};

/// The result of an asynchronous call: a value or an Error.
template <class T>
using Outcome = std::variant<T, Error>;
/// Completion callback. Runs on one of the client's own threads: keep it short, never block.
template <class T>
using Callback = std::function<void(Outcome<T>)>;
struct Done {};

namespace detail {
class Engine;
class TxnSession;
struct FastPath;
}  // namespace detail

/// An interactive transaction. Owns its engine's lease (the writer connection) until it
/// ends; dropped without commit() it rolls back. Thread-safe; calls run in the order made.
class Transaction {
 public:
  Transaction(Transaction&&) noexcept;
  Transaction& operator=(Transaction&&) noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  /// Throws: libsql::Error; a failed statement leaves the transaction open.
  ResultSet execute(const Statement& stmt);
  /// Runs the statements in order, each on its own, stopping at the first error (the
  /// transaction stays open; unlike Client::batch, nothing is undone).
  std::vector<ResultSet> execute_sequence(const std::vector<Statement>& stmts);
  /// Runs a multi-statement script inside the transaction.
  void execute_script(std::string_view sql);
  void commit();
  void rollback();
  /// False after commit, rollback, or a failure that ended the transaction.
  [[nodiscard]] bool active() const noexcept;

  void execute_async(Statement stmt, Callback<ResultSet> done);
  void execute_sequence_async(std::vector<Statement> stmts, Callback<std::vector<ResultSet>> done);
  void commit_async(Callback<Done> done);
  void rollback_async(Callback<Done> done);

 private:
  friend class Client;
  friend struct detail::FastPath;
  explicit Transaction(std::shared_ptr<detail::TxnSession> session);
  std::shared_ptr<detail::TxnSession> session_;
};

/// A connection to one database: a local file, `:memory:`, a remote server, or an embedded
/// replica.
/// Cheap to copy (copies share one engine). Thread-safe: any number of threads may call
/// any method at once; reads outside transactions run concurrently on a file database.
class Client {
 public:
  /// Throws: libsql::Error (URL_INVALID, URL_SCHEME_NOT_SUPPORTED, SQLITE_CANTOPEN, ...).
  static Client open(const Config& config);

  /// One statement. Throws: libsql::Error.
  ResultSet execute(const Statement& stmt);
  ResultSet execute(std::string sql, std::vector<Value> args) {
    return execute(Statement(std::move(sql), std::move(args)));
  }
  /// All statements in one transaction, all or nothing.
  std::vector<ResultSet> batch(const std::vector<Statement>& stmts,
                               TransactionMode mode = TransactionMode::Deferred);
  /// Starts an interactive transaction.
  Transaction transaction(TransactionMode mode = TransactionMode::Deferred);
  Transaction transaction(TransactionMode mode, TransactionOptions options);
  /// Runs a multi-statement script as is (no implicit transaction), stopping at the first error.
  void execute_script(std::string_view sql);
  /// Runs the statements in order, each on its own (no implicit transaction), stopping at the
  /// first error; returns every result.
  std::vector<ResultSet> execute_sequence(const std::vector<Statement>& stmts);
  /// Embedded replica (Config::sync_url): pulls the primary's changes into the local file.
  /// Throws: libsql::Error (SYNC_NOT_SUPPORTED when the client is not a replica).
  SyncResult sync();
  void sync_async(Callback<SyncResult> done);

  /// Closes the engine. Idempotent. Later calls fail with CLIENT_CLOSED.
  void close();
  [[nodiscard]] bool closed() const noexcept;

  void execute_async(Statement stmt, Callback<ResultSet> done);
  void batch_async(std::vector<Statement> stmts, TransactionMode mode,
                   Callback<std::vector<ResultSet>> done);
  void transaction_async(TransactionMode mode, Callback<std::shared_ptr<Transaction>> done);
  void transaction_async(TransactionMode mode, TransactionOptions options,
                         Callback<std::shared_ptr<Transaction>> done);
  void execute_script_async(std::string sql, Callback<Done> done);
  void execute_sequence_async(std::vector<Statement> stmts, Callback<std::vector<ResultSet>> done);

  /// The engine's limit on bound parameters per statement.
  [[nodiscard]] int max_bind_values() const noexcept;

 private:
  friend struct detail::FastPath;
  explicit Client(std::shared_ptr<detail::Engine> engine);
  std::shared_ptr<detail::Engine> engine_;
};

/// Splits a script into its statements (SQLite's own notion of a complete statement, so
/// triggers with inner semicolons stay whole). Comments and blank pieces are dropped.
std::vector<std::string> split_statements(std::string_view sql);

}  // namespace libsql
