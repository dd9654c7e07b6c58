#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/engine.hpp"
#include "core/url.hpp"
#include "local/local_engine.hpp"
#include "remote/remote_engine.hpp"
#include "replica/puller.hpp"
#include "replica/replica_meta.hpp"
#include "replica/turso_sync.hpp"
#include "replica/wal_injector.hpp"

namespace libsql::detail {

/// Embedded replica (docs/sync.md): a local file kept in sync with a remote primary
/// through a ReplicaPuller (puller.hpp): libSQL's gRPC-web replication (sqld) or Turso Sync's
/// `/pull-updates`, chosen at bootstrap as the official client chooses and kept in the metadata. Plain reads run on the local file (the local engine's
/// readers, or inline); writes, scripts and transactions go to the primary over Hrana, and
/// with read-your-writes the call returns once the change has been pulled back. Pulled pages
/// are applied by WAL-frame injection on one sync thread: never two syncs at once.
///
/// Reset (docs/sync.md, "Bootstrap and reset"): when a pull says `replace_base`, the sync thread stops the world:
/// it marks a reset under `local_mu_` (exclusive, briefly), closes the local engine and the
/// injector, writes the new image through a temp file and rename (old -wal/-shm removed),
/// reopens both (the local writer with `query_only`), stores the new revision, and then runs
/// the calls that arrived meanwhile. Calls arriving during the reset are queued, not blocked
/// (a callback running on a local lane thread may issue the next read, and closing the old
/// engine waits for that thread), and run on the new image afterwards; an inline read during
/// a reset declines, so the caller takes the queued path. Reads already handed to the old
/// local engine when the reset starts either finish on the old image (those already running
/// on a connection: close waits for them) or fail with CLIENT_CLOSED (those still queued in
/// its lanes). Writes, scripts and transactions go to the primary and are not affected.
/// Known limit: closing the client from inside a read callback while a reset is closing the
/// old engine deadlocks (close joins the sync thread, which waits for that callback).
class ReplicaEngine final : public Engine, public std::enable_shared_from_this<ReplicaEngine> {
 public:
  static std::shared_ptr<ReplicaEngine> open(const ParsedUrl& url, const Config& config);
  ~ReplicaEngine() override;

  void execute(Statement stmt, Callback<ResultSet> done) override;
  void batch(std::vector<Statement> stmts, TransactionMode mode,
             Callback<std::vector<ResultSet>> done) override;
  void execute_script(std::string sql, Callback<Done> done) override;
  void sequence(std::vector<Statement> stmts, Callback<std::vector<ResultSet>> done) override;
  void begin(TransactionMode mode, TransactionOptions options,
             Callback<std::shared_ptr<TxnSession>> done) override;
  bool try_execute_inline(const Statement& stmt, ResultSet& out) override;
  void sync(Callback<SyncResult> done) override;
  void close() override;
  [[nodiscard]] bool closed() const noexcept override { return closed_.load(); }
  [[nodiscard]] int max_bind_values() const noexcept override { return max_bind_values_; }

  /// After a forwarded write: sync first when read-your-writes is on, then report. When the
  /// result carries the primary's replication index (sqld), the sync is skipped if the replica
  /// has already reached it.
  template <class T>
  Callback<T> after_write(Callback<T> done);
  /// The protocol this replica speaks (puller.hpp names).
  [[nodiscard]] std::string protocol() const { return protocol_; }

 private:
  ReplicaEngine(ParsedUrl url, Config config, ReplicaLock lock, ReplicaMeta meta);
  SyncResult sync_now();  // sync thread only
  /// Stop-the-world replacement of the whole replica by `image` (sync thread only).
  SyncResult reset_now(const PullResult& image);
  /// Applies one unit from the puller and stores its position (sync thread only).
  void apply_unit(PullResult& unit, SyncResult& result);
  /// Publishes meta_'s frame number to applied_index_ (sync thread, or open()).
  void note_position();
  /// Opens the injector and a local engine on path_ (writer `query_only`) and publishes the
  /// engine as local_. Then checks that the schema is readable: REPLICA_SCHEMA_UNREADABLE
  /// (local_ stays set). Sync thread only (or open(), before anyone else sees the engine).
  void open_local();
  /// The current local engine, copied under local_mu_ (shared). During a reset, queues the
  /// function `make_retry()` returns (it re-issues the call) and returns false.
  template <class MakeRetry>
  bool local_or_defer(std::shared_ptr<LocalEngine>& out, MakeRetry&& make_retry);
  void run_sync_thread();

  ParsedUrl url_;
  std::string path_;
  Config config_;
  Config local_config_;  // config_ without sync_url: for the LocalEngine
  ReplicaLock lock_;
  ReplicaMeta meta_;  // sync thread only (after open)
  std::shared_ptr<HttpTransport> sync_http_;  // the puller's transport (owned here)
  std::unique_ptr<ReplicaPuller> puller_;
  std::string protocol_;
  /// The last frame number applied (libsql-grpc), or -1: read-your-writes compares with it.
  std::atomic<std::int64_t> applied_index_{-1};
  std::unique_ptr<WalInjector> injector_;  // sync thread only (after open)
  // Swapped by a reset; entry points copy the pointer under a shared lock.
  mutable std::shared_mutex local_mu_;
  std::shared_ptr<LocalEngine> local_;  // null only if reopening after a reset failed
  bool resetting_ = false;                        // guarded by local_mu_
  std::vector<std::function<void()>> deferred_;   // guarded by local_mu_: calls made during a reset
  int max_bind_values_ = 0;
  std::shared_ptr<RemoteEngine> remote_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Callback<SyncResult>> waiters_;
  bool stopping_ = false;
  std::atomic<bool> closed_{false};
  std::thread sync_thread_;
};

}  // namespace libsql::detail
