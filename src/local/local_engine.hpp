#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/engine.hpp"
#include "core/url.hpp"
#include "local/inline_classifier.hpp"
#include "local/lane.hpp"

namespace libsql::detail {

class LocalTxn;

/// SQLite engine. A file: one writer connection (writes, transactions, scripts; FIFO)
/// and a pool of reader connections serving read-only statements concurrently (WAL).
/// `:memory:`: one connection for everything.
class LocalEngine final : public Engine {
 public:
  /// `timing`: what the inline path counts as fast (tests inject a clock; see InlineClassifier).
  static std::shared_ptr<LocalEngine> open(const ParsedUrl& url, const Config& config,
                                           InlineTiming timing = {});
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
  LocalEngine(std::unique_ptr<Lane> writer, std::unique_ptr<Lane> readers, int max_bind_values,
              const InlineTiming& timing);
  /// Posts to the writer lane; for `:memory:` each task holds the connection's gate. On a
  /// file, a task that may write counts in `writes_` until it has finished (`counted`; an
  /// interactive transaction does not count: it may stay open while the caller reads).
  void post_writer(LaneTask task, bool counted = true);
  /// A read that must not overtake a write posted before it: false when no write is pending.
  [[nodiscard]] bool behind_write() const noexcept;
  std::unique_ptr<Lane> writer_;
  std::unique_ptr<Lane> readers_;  // null for :memory:
  // Files: writes posted to the writer lane and not finished. With ordered_calls, while one is pending, reads go to
  // the writer lane behind it (and skip the inline path), so a read made after a write sees it
  // even when the caller did not wait for the write (calls run in the order made).
  std::shared_ptr<std::atomic<std::size_t>> writes_ = std::make_shared<std::atomic<std::size_t>>(0);
  bool ordered_ = false;  // Config::ordered_calls: reads wait for `writes_` (set once, at open)
  int max_bind_values_;
  std::atomic<bool> closed_{false};
  std::mutex sessions_mu_;
  std::vector<std::weak_ptr<LocalTxn>> sessions_;

  // The inline path (docs/architecture.md, "The inline path"): reads that ran fast on a reader
  // worker may then run on the caller's thread, on a connection of their own; on `:memory:`,
  // fast writes too (no I/O, no lock to wait for). Statements of interactive transactions
  // have their own set (LocalTxn::try_execute_inline).
  std::shared_ptr<InlineClassifier> fast_;
  std::shared_ptr<InlineClassifier> fast_in_txn_;
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
