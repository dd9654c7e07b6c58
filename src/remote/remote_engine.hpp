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
#include "remote/hrana_stream.hpp"

namespace libsql::detail {

/// SQL over Hrana, whatever carries it (a HranaConnection: HTTP today). Each call outside a
/// transaction is one request on a fresh stream, so independent calls run in parallel (up to
/// `concurrency`); a transaction is one stream whose requests run strictly in order. On Hrana 3
/// a transaction's statements run through cursors (rows stream in) and carry `is_autocommit`
/// guards: a statement never runs outside the transaction the server may have ended.
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
  /// `hrana_version`: 2 or 3 to use that version without asking the server, 0 to ask once.
  static std::shared_ptr<RemoteEngine> open(const ParsedUrl& url, const Config& config, int hrana_version = 0);
  /// Over a connection made elsewhere (tests, other transports).
  static std::shared_ptr<RemoteEngine> over(std::shared_ptr<HranaConnection> connection,
                                            std::chrono::milliseconds lane_wait);
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

  /// A new stream on the engine's connection.
  [[nodiscard]] std::shared_ptr<HranaStream> open_stream() { return conn_->open_stream(); }
  /// The Hrana version in use (0 while the server has not said).
  [[nodiscard]] int hrana_version() const noexcept { return conn_->version(); }

  /// Takes the transaction lane: `granted` gets nothing once this caller holds it, or the
  /// error (SQLITE_BUSY after `busy_timeout`, CLIENT_CLOSED) that ends the wait. Runs `granted`
  /// at once when the lane is free, else later on the I/O thread.
  void acquire_txn_lane(std::function<void(std::optional<Error>)> granted);
  /// Hands the lane to the next waiter (or frees it). Only its holder calls this, once.
  void release_txn_lane();

 private:
  RemoteEngine(std::shared_ptr<HranaConnection> connection, std::chrono::milliseconds lane_wait);
  void lane_wait_expired(std::uint64_t id);
  /// Sends `requests` on a fresh stream (they end with its `close`).
  void one_shot(std::vector<hrana::Request> requests, Callback<StreamReply> done);
  /// Runs one read on a fresh stream through a cursor, then closes the stream.
  void read_through_cursor(Statement stmt, Callback<ResultSet> done);
  std::shared_ptr<HranaConnection> conn_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> no_sequence_{false};  // the server does not know `sequence` (tursodb)

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


}  // namespace libsql::detail
