#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/engine.hpp"
#include "core/url.hpp"
#include "remote/hrana_json.hpp"
#include "remote/http_transport.hpp"

namespace libsql::detail {

/// Hrana 2 over HTTP (JSON `POST v2/pipeline`). Each call outside a transaction is one
/// request on a fresh stream, so independent calls run in parallel (up to `concurrency`);
/// a transaction is one stream whose requests carry its baton, strictly in order.
///
/// Interactive transactions that may write (Deferred, Write) run one at a time per client,
/// in the order they were asked for (the transaction lane), as they do locally and with the
/// official adapter: two deferred transactions that both read and then write the same data
/// cannot both commit on SQLite (the second one's snapshot is stale: SQLITE_BUSY), so running
/// them at once only makes all but one fail. Read transactions and calls outside a
/// transaction do not wait for the lane. A transaction waits for the lane at most
/// `busy_timeout`, then fails with SQLITE_BUSY.
class RemoteEngine final : public Engine, public std::enable_shared_from_this<RemoteEngine> {
 public:
  static std::shared_ptr<RemoteEngine> open(const ParsedUrl& url, const Config& config);
  ~RemoteEngine() override;

  void execute(Statement stmt, Callback<ResultSet> done) override;
  void batch(std::vector<Statement> stmts, TransactionMode mode,
             Callback<std::vector<ResultSet>> done) override;
  void execute_script(std::string sql, Callback<Done> done) override;
  void sequence(std::vector<Statement> stmts, Callback<std::vector<ResultSet>> done) override;
  void begin(TransactionMode mode, TransactionOptions options,
             Callback<std::shared_ptr<TxnSession>> done) override;
  void close() override;
  [[nodiscard]] bool closed() const noexcept override { return closed_.load(); }
  [[nodiscard]] int max_bind_values() const noexcept override { return 32766; }

  /// Sends one pipeline; `done` gets the decoded response or the transport/HTTP error.
  void pipeline(const std::string& url, std::optional<std::string> baton,
                std::vector<hrana::Request> requests, Callback<hrana::PipelineResponse> done);
  [[nodiscard]] const std::string& pipeline_url() const noexcept { return pipeline_url_; }

  /// Takes the transaction lane: `granted` gets nothing once this caller holds it, or the
  /// error (SQLITE_BUSY after `busy_timeout`, CLIENT_CLOSED) that ends the wait. Runs `granted`
  /// at once when the lane is free, else later on the I/O thread.
  void acquire_txn_lane(std::function<void(std::optional<Error>)> granted);
  /// Hands the lane to the next waiter (or frees it). Only its holder calls this, once.
  void release_txn_lane();

 private:
  RemoteEngine(std::string pipeline_url, std::string auth_token, std::string encryption_key, HttpOptions options,
               std::chrono::milliseconds lane_wait);
  void lane_wait_expired(std::uint64_t id);
  std::string pipeline_url_;
  std::string auth_token_;
  std::string encryption_key_;  ///< sent as `x-turso-encryption-key`; never in a message
  std::unique_ptr<HttpTransport> http_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> no_close_{false};     // the server does not know the `close` request
  std::atomic<bool> no_sequence_{false};  // ... nor `sequence` (tursodb)

  struct LaneWaiter {
    std::uint64_t id;
    std::function<void(std::optional<Error>)> granted;
  };
  std::chrono::milliseconds lane_wait_;
  std::mutex lane_mu_;
  bool lane_held_ = false;
  bool lane_closed_ = false;
  std::uint64_t lane_next_id_ = 0;
  std::deque<LaneWaiter> lane_waiters_;
};

/// `https://h/db` -> `https://h/v2/pipeline`; `https://h/db/` -> `https://h/db/v2/pipeline`
/// (resolved relative to the base, as @libsql/client does).
std::string pipeline_url_for(const ParsedUrl& url);

}  // namespace libsql::detail
