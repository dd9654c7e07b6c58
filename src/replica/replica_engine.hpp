#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/engine.hpp"
#include "core/url.hpp"
#include "local/local_engine.hpp"
#include "remote/remote_engine.hpp"
#include "replica/replica_meta.hpp"
#include "replica/turso_sync.hpp"
#include "replica/wal_injector.hpp"

namespace libsql::detail {

/// Embedded replica (shared docs/sync.md): a local file kept in sync with a remote primary
/// through Turso Sync's `/pull-updates`. Plain reads run on the local file (the local engine's
/// readers, or inline); writes, scripts and transactions go to the primary over Hrana, and
/// with read-your-writes the call returns once the change has been pulled back. Pulled pages
/// are applied by WAL-frame injection on one sync thread: never two syncs at once.
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
  [[nodiscard]] int max_bind_values() const noexcept override { return local_->max_bind_values(); }

  /// After a forwarded write: sync first when read-your-writes is on, then report.
  template <class T>
  Callback<T> after_write(Callback<T> done);

 private:
  ReplicaEngine(std::string path, Config config, ReplicaLock lock, ReplicaMeta meta);
  SyncResult sync_now();  // sync thread only
  void run_sync_thread();

  std::string path_;
  Config config_;
  ReplicaLock lock_;
  ReplicaMeta meta_;  // sync thread only (after open)
  std::unique_ptr<TursoSyncClient> puller_;
  std::unique_ptr<WalInjector> injector_;
  std::shared_ptr<LocalEngine> local_;
  std::shared_ptr<RemoteEngine> remote_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Callback<SyncResult>> waiters_;
  bool stopping_ = false;
  std::atomic<bool> closed_{false};
  std::thread sync_thread_;
};

}  // namespace libsql::detail
