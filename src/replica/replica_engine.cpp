#include "replica/replica_engine.hpp"

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <utility>

#include "core/callback.hpp"
#include "core/error_codes.hpp"
#include "local/connection.hpp"
#include "local/sqlite_handles.hpp"
#include "replica/durable_file.hpp"
#include "replica/libsql_grpc.hpp"
#include "replica/turso_cloud_http.hpp"

namespace libsql::detail {
namespace {

/// An empty replica (the primary has no pages yet): a WAL-mode file with 4096-byte pages;
/// the first pull brings every page, page 1 included.
void create_empty_database(const std::string& path, const std::string& encryption_key) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  DbHandle db(raw);
  if (rc == SQLITE_OK && !encryption_key.empty()) apply_encryption_key(db.get(), encryption_key);
  if (rc == SQLITE_OK) {
    // No VACUUM: it would bump the schema cookie to 1, the value the primary's first CREATE
    // TABLE also gives, and connections would keep the empty schema after that page arrives.
    rc = sqlite3_exec(db.get(), "PRAGMA page_size=4096; PRAGMA journal_mode=WAL;", nullptr, nullptr, nullptr);
  }
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc);
    throw make_sqlite_error(rc, msg + " (creating replica " + path + ")");
  }
}

/// Writes a complete image (every page 1..db_size, or none: an empty database) to `path`
/// through a temp file and a durable rename (durable_file.hpp); old -wal/-shm go. No
/// connection to `path` may be open.
void write_image(const std::string& path, const PullResult& image, const std::string& encryption_key) {
  if (image.db_size_pages != 0) {
    return write_database_file(path, image.pages, image.db_size_pages, encryption_key);
  }
  const std::string tmp = path + ".empty-tmp";
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(tmp + suffix, ec);
  create_empty_database(tmp, encryption_key);
  sync_file(tmp);
  for (const char* suffix : {"-wal", "-shm", "-journal"}) std::filesystem::remove(path + suffix, ec);
  rename_durably(tmp, path);
}

Error replica_unavailable_error() {
  return make_error(ErrorKind::Protocol, "REPLICA_RESET",
                    "the replica could not be reopened after the server replaced it; "
                    "the next sync retries");
}

/// The primary's replication index after a forwarded write, when the server sent one.
std::optional<std::uint64_t> replication_index_of(const ResultSet& r) { return r.replication_index; }
std::optional<std::uint64_t> replication_index_of(const std::vector<ResultSet>& rs) {
  std::optional<std::uint64_t> highest;
  for (const ResultSet& r : rs) {
    if (r.replication_index && (!highest || *r.replication_index > *highest)) highest = r.replication_index;
  }
  return highest;
}
std::optional<std::uint64_t> replication_index_of(const Done&) { return std::nullopt; }

void default_sync_error(const Error& e) {
  std::fprintf(stderr, "libsql-cpp: background sync failed (will retry): %s\n", e.what());
}

/// A transaction on the primary; with read-your-writes, commit returns once the change is
/// pulled back into the replica.
class ReplicaTxn final : public TxnSession {
 public:
  ReplicaTxn(std::shared_ptr<TxnSession> inner, std::shared_ptr<ReplicaEngine> engine)
      : inner_(std::move(inner)), engine_(std::move(engine)) {}
  void execute(Statement stmt, Callback<ResultSet> done) override { inner_->execute(std::move(stmt), std::move(done)); }
  void sequence(std::vector<Statement> stmts, Callback<std::vector<ResultSet>> done) override {
    inner_->sequence(std::move(stmts), std::move(done));
  }
  void execute_script(std::string sql, Callback<Done> done) override {
    inner_->execute_script(std::move(sql), std::move(done));
  }
  void commit(Callback<Done> done) override { inner_->commit(engine_->after_write(std::move(done))); }
  void rollback(Callback<Done> done) override { inner_->rollback(std::move(done)); }
  [[nodiscard]] bool active() const noexcept override { return inner_->active(); }

 private:
  std::shared_ptr<TxnSession> inner_;
  std::shared_ptr<ReplicaEngine> engine_;
};

}  // namespace

std::shared_ptr<ReplicaEngine> ReplicaEngine::open(const ParsedUrl& url, const Config& config) {
  const std::string& path = url.path;
  // One owner per replica file (docs/sync.md, "Rules that go with it"): a second syncer could regress the first.
  ReplicaLock lock = ReplicaLock::acquire(path);
  const std::string identity = sync_url_identity(config.sync_url);
  std::optional<ReplicaMeta> meta = read_replica_meta(path);
  const bool exists = std::filesystem::exists(path);
  if (exists && !meta) {
    throw make_error(ErrorKind::Misuse, "REPLICA_NOT_CLEAN",
                     "" + path + " exists but is not an embedded replica (no " + replica_meta_path(path) +
                         "); use a new path for the replica");
  }
  if (meta) check_replica_meta(*meta, identity);

  Config local_config = config;
  local_config.sync_url.clear();
  HttpOptions http_options;
  apply_request_timeout(http_options, config.timeout);
  auto sync_http = std::make_shared<HttpTransport>(http_options);
  std::unique_ptr<ReplicaPuller> puller;
  bool bootstrapped = false;
  try {
    // The protocol: the one in the metadata, or, for a new replica, the one the server speaks
    // (probed as the official client does, docs/sync.md, "How the official client picks a protocol").
    const std::string protocol =
        meta ? meta->protocol : std::string(detect_sync_protocol(config.sync_url, config.auth_token, sync_http));
    if (protocol == kProtocolLibsqlGrpc) {
      LibsqlGrpcOptions options{.sync_url = config.sync_url, .auth_token = config.auth_token, .http = http_options};
      puller = std::make_unique<LibsqlGrpcPuller>(options, sync_http);
    } else if (protocol == kProtocolTursoCloudHttp) {
      if (!config.encryption_key.empty()) {
        // The official client silently drops encryptionKey here and writes a plaintext
        // replica; we refuse instead (docs/sync.md, "Turso Cloud's HTTP sync").
        throw make_error(ErrorKind::Misuse, "ENCRYPTION_NOT_SUPPORTED",
                         "encryptionKey is not supported for replicas synced over Turso Cloud's HTTP sync "
                         "(the server answered GET /info); leave it out, or use a local database");
      }
      TursoCloudHttpOptions options{.sync_url = config.sync_url,
                                    .auth_token = config.auth_token,
                                    .remote_encryption_key = config.remote_encryption_key,
                                    .http = http_options};
      puller = std::make_unique<TursoCloudHttpPuller>(options, sync_http);
    } else {
      TursoSyncOptions options;
      options.sync_url = config.sync_url;
      options.auth_token = config.auth_token;
      options.http = http_options;
      puller = std::make_unique<TursoSyncPuller>(options, sync_http);
    }
    if (!exists) {
      // Bootstrap: the whole database, collected from the puller's units, written next to the
      // path and renamed into place before any connection opens it (as a reset, reset_now()).
      PullResult image;
      puller->pull(ReplicaPosition{}, [&](PullResult& unit) { merge_unit(image, std::move(unit)); });
      check_complete_image(image);
      write_image(path, image, config.encryption_key);
      meta = ReplicaMeta{};
      meta->sync_url = identity;
      meta->server_revision = image.server_revision;
      meta->protocol = protocol;
      meta->log_id = image.log_id;
      write_replica_meta(path, *meta);
      bootstrapped = true;
    }
  } catch (...) {
    sync_http->close();
    throw;
  }

  auto engine = std::shared_ptr<ReplicaEngine>(new ReplicaEngine(url, config, std::move(lock), *meta));
  engine->local_config_ = local_config;
  engine->sync_http_ = std::move(sync_http);
  engine->puller_ = std::move(puller);
  engine->protocol_ = engine->meta_.protocol;
  engine->note_position();
  try {
    engine->open_local();
  } catch (...) {
    engine->close();
    throw;
  }
  engine->remote_ = RemoteEngine::open(parse_url(config.sync_url, config.tls), config);
  if (!bootstrapped) {
    // Catch up once at open; offline is fine: reads serve the last synced state.
    try {
      engine->sync_now();
    } catch (const Error& e) {
      (config.on_sync_error ? config.on_sync_error : default_sync_error)(e);
    }
  }
  engine->sync_thread_ = std::thread([raw = engine.get()] { raw->run_sync_thread(); });
  return engine;
}

ReplicaEngine::ReplicaEngine(ParsedUrl url, Config config, ReplicaLock lock, ReplicaMeta meta)
    : url_(std::move(url)), path_(url_.path), config_(std::move(config)), lock_(std::move(lock)),
      meta_(std::move(meta)) {}

void ReplicaEngine::open_local() {
  injector_ = std::make_unique<WalInjector>(path_, config_.busy_timeout, config_.encryption_key);
  auto local = LocalEngine::open(url_, local_config_);
  {
    std::unique_lock<std::shared_mutex> lock(local_mu_);
    local_ = local;
    max_bind_values_ = local->max_bind_values();
  }
  // Nobody writes to the replica but the injector: the local writer connection is read-only.
  wait_for<Done>([&](Callback<Done> cb) { local->execute_script("PRAGMA query_only=ON", std::move(cb)); });
  try {
    wait_for<ResultSet>([&](Callback<ResultSet> cb) {
      local->execute(Statement("SELECT count(*) FROM sqlite_schema"), std::move(cb));
    });
  } catch (const Error& e) {
    throw make_error(ErrorKind::Sqlite, "REPLICA_SCHEMA_UNREADABLE",
                     std::string("the primary's schema cannot be read by this SQLite "
                                 "(libSQL/Turso-only syntax?): ") +
                         e.what(),
                     e.extended_code());
  }
}

template <class MakeRetry>
bool ReplicaEngine::local_or_defer(std::shared_ptr<LocalEngine>& out, MakeRetry&& make_retry) {
  {
    std::shared_lock<std::shared_mutex> lock(local_mu_);
    if (!resetting_) {
      out = local_;
      return true;
    }
  }
  std::unique_lock<std::shared_mutex> lock(local_mu_);
  if (!resetting_) {
    out = local_;
    return true;
  }
  deferred_.push_back(make_retry());
  return false;
}

ReplicaEngine::~ReplicaEngine() { close(); }

void ReplicaEngine::close() {
  if (closed_.exchange(true)) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (sync_thread_.joinable()) {
    if (sync_thread_.get_id() == std::this_thread::get_id()) sync_thread_.detach();
    else sync_thread_.join();
  }
  if (remote_) remote_->close();
  std::shared_ptr<LocalEngine> local;
  {
    std::unique_lock<std::shared_mutex> lock(local_mu_);
    local = local_;
  }
  if (local) local->close();
  if (puller_) puller_->close();
  if (sync_http_) sync_http_->close();
  injector_.reset();
  lock_.release();
}

SyncResult ReplicaEngine::sync_now() {
  bool broken = !injector_;
  if (!broken) {
    std::shared_lock<std::shared_mutex> lock(local_mu_);
    broken = !local_;
  }
  if (broken) {
    // A reset could not reopen the file last time: try again before applying anything.
    std::shared_ptr<LocalEngine> stale;
    {
      std::unique_lock<std::shared_mutex> lock(local_mu_);
      stale = std::exchange(local_, nullptr);
    }
    if (stale) stale->close();
    injector_.reset();
    open_local();
  }
  SyncResult result;
  puller_->pull(ReplicaPosition{meta_.server_revision, meta_.log_id},
                [&](PullResult& unit) { apply_unit(unit, result); });
  result.revision = meta_.server_revision;
  return result;
}

void ReplicaEngine::apply_unit(PullResult& unit, SyncResult& result) {
  if (unit.replace_base) {
    SyncResult reset = reset_now(unit);
    result.frames_synced += reset.frames_synced;
    return;
  }
  if (!unit.pages.empty()) {
    injector_->apply(unit.pages, unit.db_size_pages);
    injector_->checkpoint_passive();
    injector_->truncate_if_larger(std::uintmax_t{64} << 20);
  }
  result.frames_synced += unit.frames;
  // Only now, with the pages durable: re-applying after a crash here is harmless.
  const bool moved = (!unit.server_revision.empty() && unit.server_revision != meta_.server_revision) ||
                     (!unit.log_id.empty() && unit.log_id != meta_.log_id);
  if (moved) {
    if (!unit.server_revision.empty()) meta_.server_revision = unit.server_revision;
    if (!unit.log_id.empty()) meta_.log_id = unit.log_id;
    write_replica_meta(path_, meta_);
    note_position();
  }
}

void ReplicaEngine::note_position() {
  std::int64_t index = -1;
  if (meta_.protocol == kProtocolLibsqlGrpc && !meta_.server_revision.empty()) {
    index = static_cast<std::int64_t>(std::stoull(meta_.server_revision));
  }
  applied_index_.store(index);
}

SyncResult ReplicaEngine::reset_now(const PullResult& image) {
  // Validate before stopping anything: a replacement must be a whole database.
  check_complete_image(image);
  std::shared_ptr<LocalEngine> old;
  {
    std::unique_lock<std::shared_mutex> lock(local_mu_);
    resetting_ = true;
    old = std::exchange(local_, nullptr);
  }
  // Whatever happens below, end the reset and run the calls queued meanwhile (outside the
  // lock: they re-enter the entry points).
  auto finish = [this] {
    std::vector<std::function<void()>> deferred;
    {
      std::unique_lock<std::shared_mutex> lock(local_mu_);
      resetting_ = false;
      deferred.swap(deferred_);
    }
    for (auto& call : deferred) call();
  };
  try {
    // Stop the world: every connection to the file closes (the last one checkpoints its WAL).
    // Without the lock: a callback on a lane thread may call back into us, and close waits.
    if (old) old->close();
    old.reset();
    injector_.reset();
    try {
      write_image(path_, image, config_.encryption_key);  // the rename is its last step: on error the old file stands
    } catch (...) {
      try {
        open_local();
      } catch (...) {
      }
      throw;
    }
    // The pages are durable: the revision may follow (before reopening, so an unreadable
    // schema does not make every later sync reset again).
    meta_.server_revision = image.server_revision;
    if (!image.log_id.empty()) meta_.log_id = image.log_id;
    write_replica_meta(path_, meta_);
    note_position();
    open_local();
  } catch (...) {
    finish();
    throw;
  }
  finish();
  SyncResult result;
  result.frames_synced = image.frames != 0 ? image.frames : image.pages.size();
  result.revision = meta_.server_revision;
  return result;
}

void ReplicaEngine::run_sync_thread() {
  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::duration_cast<Clock::duration>(config_.sync_interval);
  auto next_due = Clock::now() + interval;
  std::chrono::seconds backoff{1};
  for (;;) {
    std::deque<Callback<SyncResult>> callers;
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto ready = [&] { return stopping_ || !waiters_.empty(); };
      if (interval.count() > 0) cv_.wait_until(lock, next_due, ready);
      else cv_.wait(lock, ready);
      if (stopping_) {
        callers.swap(waiters_);
        lock.unlock();
        for (auto& c : callers) deliver(c, Outcome<SyncResult>(client_closed_error()));
        return;
      }
      callers.swap(waiters_);
    }
    const bool periodic = callers.empty();
    if (periodic && Clock::now() < next_due) continue;
    try {
      SyncResult r = sync_now();
      for (auto& c : callers) deliver(c, Outcome<SyncResult>(r));
      backoff = std::chrono::seconds(1);
      next_due = Clock::now() + interval;
    } catch (const Error& e) {
      for (auto& c : callers) deliver(c, Outcome<SyncResult>(e));
      if (periodic) {
        try {
          (config_.on_sync_error ? config_.on_sync_error : default_sync_error)(e);
        } catch (...) {
        }
        // Retry sooner than the interval, backing off: 1 s, 2 s, 4 s, ... up to the interval.
        auto wait = std::min<Clock::duration>(backoff, interval);
        next_due = Clock::now() + wait;
        backoff = std::min(backoff * 2, std::chrono::duration_cast<std::chrono::seconds>(config_.sync_interval));
      }
    }
  }
}

void ReplicaEngine::sync(Callback<SyncResult> done) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) {
    deliver(done, Outcome<SyncResult>(client_closed_error()));
    return;
  }
  // Callers waiting together share the next sync: it starts after they asked.
  waiters_.push_back(std::move(done));
  cv_.notify_all();
}

template <class T>
Callback<T> ReplicaEngine::after_write(Callback<T> done) {
  if (!config_.read_your_writes) return done;
  std::weak_ptr<ReplicaEngine> weak = weak_from_this();
  return [weak, done = std::move(done)](Outcome<T> outcome) {
    auto self = weak.lock();
    if (!self || std::holds_alternative<Error>(outcome)) return deliver(done, std::move(outcome));
    if (auto index = replication_index_of(std::get<T>(outcome))) {
      // sqld said where the write landed: the replica may already be there.
      if (self->applied_index_.load() >= static_cast<std::int64_t>(*index)) return deliver(done, std::move(outcome));
    }
    auto kept = std::make_shared<Outcome<T>>(std::move(outcome));
    auto on_error = self->config_.on_sync_error ? self->config_.on_sync_error : default_sync_error;
    self->sync([done, kept, on_error](Outcome<SyncResult> synced) {
      // The write is done on the primary either way: report it, and the failed sync apart
      // (an error here would invite the caller to write again).
      if (auto* e = std::get_if<Error>(&synced)) {
        try {
          on_error(*e);
        } catch (...) {
        }
      }
      deliver(done, std::move(*kept));
    });
  };
}

void ReplicaEngine::execute(Statement stmt, Callback<ResultSet> done) {
  if (closed_) return deliver(done, Outcome<ResultSet>(client_closed_error()));
  if (is_plain_read(stmt.sql)) {
    std::shared_ptr<LocalEngine> local;
    if (!local_or_defer(local, [&] {
          return std::function<void()>([this, s = std::move(stmt), d = std::move(done)]() mutable {
            execute(std::move(s), std::move(d));
          });
        })) {
      return;
    }
    if (!local) return deliver(done, Outcome<ResultSet>(replica_unavailable_error()));
    return local->execute(std::move(stmt), std::move(done));
  }
  remote_->execute(std::move(stmt), after_write(std::move(done)));
}

void ReplicaEngine::batch(std::vector<Statement> stmts, TransactionMode mode,
                          Callback<std::vector<ResultSet>> done) {
  if (closed_) return deliver(done, Outcome<std::vector<ResultSet>>(client_closed_error()));
  if (mode == TransactionMode::Read) {
    std::shared_ptr<LocalEngine> local;
    if (!local_or_defer(local, [&] {
          return std::function<void()>([this, s = std::move(stmts), mode, d = std::move(done)]() mutable {
            batch(std::move(s), mode, std::move(d));
          });
        })) {
      return;
    }
    if (!local) return deliver(done, Outcome<std::vector<ResultSet>>(replica_unavailable_error()));
    return local->batch(std::move(stmts), mode, std::move(done));
  }
  remote_->batch(std::move(stmts), mode, after_write(std::move(done)));
}

void ReplicaEngine::execute_script(std::string sql, Callback<Done> done) {
  if (closed_) return deliver(done, Outcome<Done>(client_closed_error()));
  remote_->execute_script(std::move(sql), after_write(std::move(done)));
}

void ReplicaEngine::sequence(std::vector<Statement> stmts, Callback<std::vector<ResultSet>> done) {
  if (closed_) return deliver(done, Outcome<std::vector<ResultSet>>(client_closed_error()));
  remote_->sequence(std::move(stmts), after_write(std::move(done)));
}

void ReplicaEngine::begin(TransactionMode mode, TransactionOptions options,
                          Callback<std::shared_ptr<TxnSession>> done) {
  if (closed_) return deliver(done, Outcome<std::shared_ptr<TxnSession>>(client_closed_error()));
  auto self = shared_from_this();
  remote_->begin(mode, options, [self, done](Outcome<std::shared_ptr<TxnSession>> o) {
    if (auto* e = std::get_if<Error>(&o)) return deliver(done, Outcome<std::shared_ptr<TxnSession>>(*e));
    deliver(done, Outcome<std::shared_ptr<TxnSession>>(std::static_pointer_cast<TxnSession>(
                      std::make_shared<ReplicaTxn>(std::move(std::get<std::shared_ptr<TxnSession>>(o)), self))));
  });
}

bool ReplicaEngine::try_execute_inline(const Statement& stmt, ResultSet& out) {
  if (closed_ || !is_plain_read(stmt.sql)) return false;
  std::shared_ptr<LocalEngine> local;
  {
    std::shared_lock<std::shared_mutex> lock(local_mu_);
    if (resetting_) return false;  // the caller falls back to execute(), which queues
    local = local_;
  }
  return local && local->try_execute_inline(stmt, out);
}

}  // namespace libsql::detail
