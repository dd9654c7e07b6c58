#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error_codes.hpp"
#include "core/sql_text.hpp"  // is_plain_read
#include "libsql/client.hpp"

namespace libsql::detail {

/// An open transaction inside an engine. Calls are queued and run in order.
/// Every callback is invoked exactly once, on one of the engine's threads.
class TxnSession {
 public:
  virtual ~TxnSession() = default;
  virtual void execute(Statement stmt, Callback<ResultSet> done) = 0;
  /// Statements in order inside the transaction, stopping at the first error (which leaves
  /// the transaction open).
  virtual void sequence(std::vector<Statement> stmts, Callback<std::vector<ResultSet>> done) = 0;
  virtual void execute_script(std::string sql, Callback<Done> done) = 0;
  virtual void commit(Callback<Done> done) = 0;
  virtual void rollback(Callback<Done> done) = 0;
  [[nodiscard]] virtual bool active() const noexcept = 0;
  /// As Engine::try_execute_inline, for a statement of this transaction.
  virtual bool try_execute_inline(const Statement& /*stmt*/, ResultSet& /*out*/) { return false; }
  /// COMMIT (`commit`) or ROLLBACK on the calling thread, when that cannot wait on a lock or
  /// the disk and no call of the transaction is queued. True: it ran, and `out` holds the
  /// outcome that commit()/rollback() would have delivered. False: nothing ran.
  virtual bool try_finish_inline(bool /*commit*/, Outcome<Done>& /*out*/) { return false; }
};

/// What a Client runs on: LocalEngine, later RemoteEngine and ReplicaEngine.
/// Thread-safe. Every callback is invoked exactly once, on one of the engine's threads.
class Engine {
 public:
  virtual ~Engine() = default;
  virtual void execute(Statement stmt, Callback<ResultSet> done) = 0;
  virtual void batch(std::vector<Statement> stmts, TransactionMode mode,
                     Callback<std::vector<ResultSet>> done) = 0;
  virtual void execute_script(std::string sql, Callback<Done> done) = 0;
  /// Statements in order, each on its own (no implicit transaction), stopping at the first error.
  virtual void sequence(std::vector<Statement> stmts, Callback<std::vector<ResultSet>> done) = 0;
  virtual void begin(TransactionMode mode, TransactionOptions options,
                     Callback<std::shared_ptr<TxnSession>> done) = 0;
  /// Runs a statement on the calling thread when the engine knows it to be fast and free of
  /// waits; false (nothing ran, `out` untouched) means: use execute(). Throws the statement's
  /// libsql::Error when it ran and failed.
  virtual bool try_execute_inline(const Statement& /*stmt*/, ResultSet& /*out*/) { return false; }
  /// Embedded replicas pull the primary's changes; other engines refuse.
  virtual void sync(Callback<SyncResult> done) {
    done(make_error(ErrorKind::Misuse, "SYNC_NOT_SUPPORTED",
                    "sync() needs an embedded replica (a file: url with a syncUrl)"));
  }
  virtual void close() = 0;
  [[nodiscard]] virtual bool closed() const noexcept = 0;
  [[nodiscard]] virtual int max_bind_values() const noexcept = 0;
};

}  // namespace libsql::detail
