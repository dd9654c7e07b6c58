#pragma once

#include <atomic>
#include <chrono>
#include <unordered_set>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/engine.hpp"
#include "core/url.hpp"
#include "local/lane.hpp"

namespace libsql::detail {

class LocalTxn;

/// SQL texts of statements seen to run fast (few rows, microseconds) on a worker: the ones the
/// inline path may run on the caller's thread (architecture.md, "Latency budget").
class FastStatements {
 public:
  static constexpr std::size_t kMaxRows = 64;
#ifdef LIBSQL_INLINE_MAX_US
  static constexpr std::chrono::microseconds kMaxTime{LIBSQL_INLINE_MAX_US};  // sanitizer builds
#else
  static constexpr std::chrono::microseconds kMaxTime{60};
#endif
  static constexpr std::size_t kCapacity = 4096;

  [[nodiscard]] bool contains(const std::string& sql) {
    std::lock_guard<std::mutex> lock(mu_);
    return set_.count(sql) != 0;
  }
  void add(const std::string& sql) {
    std::lock_guard<std::mutex> lock(mu_);
    if (set_.size() < kCapacity) set_.insert(sql);
  }
  void remove(const std::string& sql) {
    std::lock_guard<std::mutex> lock(mu_);
    set_.erase(sql);
  }

 private:
  std::mutex mu_;
  std::unordered_set<std::string> set_;
};

/// SQLite engine. A file: one writer connection (writes, transactions, scripts; FIFO)
/// and a pool of reader connections serving read-only statements concurrently (WAL).
/// `:memory:`: one connection for everything.
class LocalEngine final : public Engine {
 public:
  static std::shared_ptr<LocalEngine> open(const ParsedUrl& url, const Config& config);
  ~LocalEngine() override;

  void execute(Statement stmt, Callback<ResultSet> done) override;
  void batch(std::vector<Statement> stmts, TransactionMode mode,
             Callback<std::vector<ResultSet>> done) override;
  void execute_script(std::string sql, Callback<Done> done) override;
  void sequence(std::vector<Statement> stmts, Callback<std::vector<ResultSet>> done) override;
  void begin(TransactionMode mode, TransactionOptions options,
             Callback<std::shared_ptr<TxnSession>> done) override;
  bool try_execute_inline(const Statement& stmt, ResultSet& out) override;
  void close() override;
  [[nodiscard]] bool closed() const noexcept override { return closed_.load(); }
  [[nodiscard]] int max_bind_values() const noexcept override { return max_bind_values_; }

 private:
  LocalEngine(std::unique_ptr<Lane> writer, std::unique_ptr<Lane> readers, int max_bind_values);
  /// Posts to the writer lane; for `:memory:` each task holds the connection's gate.
  void post_writer(LaneTask task);
  std::unique_ptr<Lane> writer_;
  std::unique_ptr<Lane> readers_;  // null for :memory:
  int max_bind_values_;
  std::atomic<bool> closed_{false};
  std::mutex sessions_mu_;
  std::vector<std::weak_ptr<LocalTxn>> sessions_;

  // The inline path (architecture.md, "Latency budget"): reads that ran fast on a reader
  // worker may then run on the caller's thread, on a connection of their own; on `:memory:`,
  // fast writes too (no I/O, no lock to wait for). Statements of interactive transactions
  // have their own set (LocalTxn::try_execute_inline).
  std::shared_ptr<FastStatements> fast_ = std::make_shared<FastStatements>();
  std::shared_ptr<FastStatements> fast_in_txn_ = std::make_shared<FastStatements>();
  std::mutex inline_mu_;
  std::unique_ptr<Connection> inline_;  // null for :memory: and after close
  // `:memory:` has one connection, owned by the writer lane: the inline path may use it only
  // between tasks (a transaction holds the gate for its whole life), and only when no task is
  // queued (it must not overtake one: calls run in the order made).
  struct Gate {
    std::recursive_mutex mu;  // recursive: a callback running inside a task may close the client
    std::atomic<std::size_t> pending{0};  // tasks posted and not finished
  };
  std::shared_ptr<Gate> gate_;  // null for files
  Connection* memory_conn_ = nullptr;   // guarded by *gate_; null after close
};

}  // namespace libsql::detail
