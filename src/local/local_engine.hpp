#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/engine.hpp"
#include "core/url.hpp"
#include "local/lane.hpp"

namespace libsql::detail {

class LocalTxn;

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
  void begin(TransactionMode mode, Callback<std::shared_ptr<TxnSession>> done) override;
  void close() override;
  [[nodiscard]] bool closed() const noexcept override { return closed_.load(); }
  [[nodiscard]] int max_bind_values() const noexcept override { return max_bind_values_; }

 private:
  LocalEngine(std::unique_ptr<Lane> writer, std::unique_ptr<Lane> readers, int max_bind_values);
  std::unique_ptr<Lane> writer_;
  std::unique_ptr<Lane> readers_;  // null for :memory:
  int max_bind_values_;
  std::atomic<bool> closed_{false};
  std::mutex sessions_mu_;
  std::vector<std::weak_ptr<LocalTxn>> sessions_;
};

}  // namespace libsql::detail
