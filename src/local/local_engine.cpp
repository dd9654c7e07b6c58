#include "local/local_engine.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <utility>

#include "core/callback.hpp"
#include "core/error_codes.hpp"
#include "core/spin.hpp"

namespace libsql::detail {
namespace {

/// Completions of a task that holds what the inline path needs (the `:memory:` connection's
/// gate, a transaction's connection) are handed over once the task has let go of it: the
/// caller, woken by its completion, then finds the connection free for its next statement
/// instead of racing the worker for it (and, losing, taking the slow path). While one of
/// these is alive on a thread, deliver_deferred() on that thread queues instead of calling; it
/// delivers when destroyed, or hands its queue to the enclosing one.
class DeferredDelivery {
 public:
  DeferredDelivery() : outer_(current_) { current_ = this; }
  DeferredDelivery(const DeferredDelivery&) = delete;
  DeferredDelivery& operator=(const DeferredDelivery&) = delete;
  ~DeferredDelivery() {
    current_ = outer_;
    if (outer_ != nullptr) {
      for (auto& f : queued_) outer_->queued_.push_back(std::move(f));
    } else {
      flush();
    }
  }
  /// Delivers what is queued now, in order.
  void flush() noexcept {
    auto queued = std::move(queued_);
    queued_.clear();
    for (auto& f : queued) f();
  }
  /// The innermost one alive on this thread, or null.
  static DeferredDelivery* current() noexcept { return current_; }
  void queue(std::function<void()> f) { queued_.push_back(std::move(f)); }

 private:
  static thread_local DeferredDelivery* current_;
  DeferredDelivery* outer_;
  std::vector<std::function<void()>> queued_;
};
thread_local DeferredDelivery* DeferredDelivery::current_ = nullptr;

/// Calls `done` (core/callback.hpp), or, while a DeferredDelivery is alive on this thread,
/// queues the call for when it ends.
template <class T>
void deliver_deferred(const Callback<T>& done, Outcome<T> outcome) noexcept {
  if (auto* deferred = DeferredDelivery::current()) {
    try {
      deferred->queue([done, outcome = std::move(outcome)]() mutable { detail::deliver(done, std::move(outcome)); });
      return;
    } catch (...) {
      // Out of memory queueing it: deliver it now (only later than ideal, never lost).
    }
  }
  detail::deliver(done, std::move(outcome));
}

/// Runs `body` and hands its value or its libsql::Error to `done`.
template <class T, class F>
void complete(const Callback<T>& done, F&& body) noexcept {
  Outcome<T> outcome = [&]() -> Outcome<T> {
    try {
      return body();
    } catch (const Error& e) {
      return e;
    } catch (const std::exception& e) {
      return make_error(ErrorKind::Misuse, "INTERNAL", e.what());
    }
  }();
  deliver_deferred(done, std::move(outcome));
}

/// Statement `i` of a batch or sequence; its error names it (Error::statement_index).
ResultSet execute_nth(Connection& c, const std::vector<Statement>& stmts, std::size_t i, bool read_only = false) {
  try {
    return c.execute(stmts[i], read_only);
  } catch (const Error& e) {
    throw e.at_statement(i);
  }
}

const char* begin_sql(TransactionMode mode) {
  return mode == TransactionMode::Write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED";
}

void rollback_quietly(Connection& c) noexcept {
  if (c.autocommit()) return;
  try {
    c.exec("ROLLBACK");
  } catch (...) {
  }
}

/// Statements outside transaction() must not leave the shared writer inside a transaction.
void refuse_open_transaction(Connection& c, const char* what) {
  if (c.autocommit()) return;
  rollback_quietly(c);
  throw make_error(ErrorKind::Misuse, "TRANSACTION_CONTROL",
                   std::string(what) + " left a transaction open; it was rolled back. Use transaction() or batch()");
}

std::vector<ResultSet> run_batch(Connection& c, const std::vector<Statement>& stmts,
                                 TransactionMode mode) {
  c.exec(begin_sql(mode));
  std::vector<ResultSet> results;
  results.reserve(stmts.size());
  try {
    for (std::size_t i = 0; i < stmts.size(); ++i) {
      results.push_back(execute_nth(c, stmts, i, mode == TransactionMode::Read));
      if (c.autocommit()) {
        throw make_error(ErrorKind::Misuse, "TRANSACTION_CONTROL",
                         "a statement in the batch ended its transaction")
            .at_statement(i);
      }
    }
    c.exec("COMMIT");
  } catch (...) {
    rollback_quietly(c);
    throw;
  }
  return results;
}

/// `PRAGMA journal_mode` of the connection's main database is "wal".
bool in_wal_mode(Connection& c) {
  ResultSet rs = c.execute(Statement("PRAGMA journal_mode"));
  if (rs.rows.empty() || rs.rows[0].empty()) return false;
  const auto* mode = std::get_if<std::string>(&rs.rows[0][0]);
  return mode != nullptr && (*mode == "wal" || *mode == "WAL");
}

}  // namespace

/// An interactive transaction: once a worker picks it up, that worker serves only this
/// transaction's calls, in order, until it ends (commit, rollback, abort).
class LocalTxn final : public TxnSession, public std::enable_shared_from_this<LocalTxn> {
 public:
  /// `memory`: on the `:memory:` connection (no lock, no disk: COMMIT may run inline).
  LocalTxn(TransactionMode mode, TransactionOptions options, std::shared_ptr<InlineClassifier> fast,
           Callback<std::shared_ptr<TxnSession>> on_begin, bool memory = false)
      : mode_(mode), options_(options), fast_(std::move(fast)), on_begin_(std::move(on_begin)), memory_(memory) {}

  /// Runs on the worker that took the transaction from its lane.
  void serve(Connection* conn) {
    auto self = shared_from_this();  // alive while served
    if (conn == nullptr) {
      ended_ = true;
      deliver_deferred(on_begin_, Outcome<std::shared_ptr<TxnSession>>(client_closed_error()));
      return;
    }
    // Foreign keys can only be switched outside a transaction: before BEGIN, on this
    // connection, and back on when the transaction has ended (whichever way).
    struct ForeignKeys {
      Connection* c;
      bool off;
      ~ForeignKeys() {
        if (!off) return;
        try {
          c->exec("PRAGMA foreign_keys=ON");
        } catch (...) {
        }
      }
    } foreign_keys{conn, !options_.foreign_keys};
    try {
      if (foreign_keys.off) conn->exec("PRAGMA foreign_keys=OFF");
      conn->exec(begin_sql(mode_));
    } catch (const Error& e) {
      ended_ = true;
      deliver_deferred(on_begin_, Outcome<std::shared_ptr<TxnSession>>(e));
      return;
    }
    {
      std::lock_guard<std::mutex> run(conn_mu_);
      conn_ = conn;  // from now on the inline path may use it between jobs
    }
    detail::deliver(on_begin_, Outcome<std::shared_ptr<TxnSession>>(self));
    on_begin_ = nullptr;
    bool aborted = false;
    for (;;) {
      // The next call of a transaction usually follows soon: wait awake for it a while
      // before sleeping, as the lanes do (spin.hpp).
      Spin::wait_nonzero(queued_);
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return !jobs_.empty() || aborted_; });
      }
      // Only this thread takes jobs: the one seen above is still there. Taken with the
      // connection held, so an inline statement never overtakes a job submitted before it;
      // the job's completion is delivered after the connection is let go.
      DeferredDelivery deferred;
      std::unique_lock<std::mutex> run(conn_mu_);
      std::function<void(Connection*)> job;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (aborted_) {
          aborted = true;
        } else {
          job = std::move(jobs_.front());
          jobs_.pop_front();
          queued_.store(jobs_.size(), std::memory_order_release);
        }
      }
      if (aborted) {
        conn_ = nullptr;
        break;
      }
      job(conn);
      if (ended_) {
        conn_ = nullptr;
        run.unlock();
        // Calls queued behind the end see ended_ and fail as TRANSACTION_CLOSED.
        std::deque<std::function<void(Connection*)>> rest;
        {
          std::lock_guard<std::mutex> lock(mu_);
          finished_ = true;
          rest.swap(jobs_);
        }
        for (auto& j : rest) j(conn);
        return;  // `deferred` delivers (on `:memory:`, once the gate is let go: post_writer)
      }
      run.unlock();
      deferred.flush();
    }
    // Aborted: the engine is closing.
    rollback_quietly(*conn);
    std::deque<std::function<void(Connection*)>> rest;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ended_ = true;
      finished_ = true;
      rest.swap(jobs_);
    }
    for (auto& j : rest) j(nullptr);
  }

  /// A statement of this transaction on the caller's thread, between jobs, when it ran fast
  /// here before; it never waits for a lock. Errors are the caller's (the statement ran).
  bool try_execute_inline(const Statement& stmt, ResultSet& out) override {
    if (ended_ || !fast_->contains(stmt.sql)) return false;
    std::unique_lock<std::mutex> run(conn_mu_, std::try_to_lock);
    if (!run.owns_lock() || conn_ == nullptr || ended_) return false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!jobs_.empty() || closing_ || aborted_ || finished_) return false;
    }
    Connection& c = *conn_;
    sqlite3_stmt* prepared = nullptr;
    try {
      prepared = c.prepare(stmt.sql);
    } catch (const Error&) {
      return false;  // nothing ran: the worker prepares it again and reports the error
    }
    const bool writes = !sqlite3_stmt_readonly(prepared);
    if (writes && mode_ == TransactionMode::Read) return false;  // the worker refuses it
    // The transaction's first write takes the write lock, which another process may hold:
    // tried here without waiting; when the lock is taken, nothing ran and the worker waits.
    const bool takes_lock = writes && sqlite3_txn_state(c.db(), "main") != SQLITE_TXN_WRITE;
    const auto start = fast_->start();
    if (takes_lock) c.wait_for_locks(false);
    try {
      out = c.run(prepared, stmt);
    } catch (const Error& e) {
      if (takes_lock) c.wait_for_locks(true);
      if (takes_lock && e.primary_code() == SQLITE_BUSY && !c.autocommit()) return false;
      end_if_ended_here(c);
      throw;
    }
    if (takes_lock) c.wait_for_locks(true);
    fast_->ran_inline(stmt.sql, out.row_count(), start);
    end_if_ended_here(c);
    return true;
  }

  /// COMMIT or ROLLBACK on the caller's thread, between jobs, on `:memory:` only (on a file
  /// COMMIT fsyncs, and the JS thread must not wait for the disk). What it does and delivers
  /// is what finish()'s job would: a failed COMMIT leaves the transaction open, a failed
  /// ROLLBACK still ends it. The serving worker is then woken to hand the connection back.
  bool try_finish_inline(bool commit, Outcome<Done>& out) override {
    if (!memory_ || ended_) return false;
    std::unique_lock<std::mutex> run(conn_mu_, std::try_to_lock);
    if (!run.owns_lock() || conn_ == nullptr || ended_) return false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!jobs_.empty() || closing_ || aborted_ || finished_) return false;
    }
    Connection& c = *conn_;
    out = Done{};
    try {
      if (!c.autocommit()) c.exec(commit ? "COMMIT" : "ROLLBACK");
    } catch (const Error& e) {
      out = e;
      if (!commit) rollback_quietly(c);
    }
    end_if_ended_here(c);
    return true;
  }

  void abort() {
    std::lock_guard<std::mutex> lock(mu_);
    aborted_ = true;
    cv_.notify_all();
  }

  void execute(Statement stmt, Callback<ResultSet> done) override {
    submit([this, stmt = std::move(stmt), done](Connection* c) {
      if (c == nullptr) return deliver_deferred(done, Outcome<ResultSet>(client_closed_error()));
      if (ended_) return deliver_deferred(done, Outcome<ResultSet>(transaction_closed_error()));
      complete<ResultSet>(done, [&] {
        const auto start = fast_->start();
        ResultSet rs = c->execute(stmt, mode_ == TransactionMode::Read);
        if (!c->autocommit() && !is_transaction_control(stmt.sql)) {
          fast_->ran_on_worker(stmt.sql, rs.row_count(), start);
        }
        return rs;
      });
      note_autocommit(*c);
    }, [done](const Error& e) { deliver_deferred(done, Outcome<ResultSet>(e)); });
  }

  void sequence(std::vector<Statement> stmts, Callback<std::vector<ResultSet>> done) override {
    submit([this, stmts = std::move(stmts), done](Connection* c) {
      if (c == nullptr) return deliver_deferred(done, Outcome<std::vector<ResultSet>>(client_closed_error()));
      if (ended_) return deliver_deferred(done, Outcome<std::vector<ResultSet>>(transaction_closed_error()));
      complete<std::vector<ResultSet>>(done, [&] {
        std::vector<ResultSet> out;
        out.reserve(stmts.size());
        for (std::size_t i = 0; i < stmts.size(); ++i) {
          out.push_back(execute_nth(*c, stmts, i, mode_ == TransactionMode::Read));
        }
        return out;
      });
      note_autocommit(*c);
    }, [done](const Error& e) { deliver_deferred(done, Outcome<std::vector<ResultSet>>(e)); });
  }

  void execute_script(std::string sql, Callback<Done> done) override {
    submit([this, sql = std::move(sql), done](Connection* c) {
      if (c == nullptr) return deliver_deferred(done, Outcome<Done>(client_closed_error()));
      if (ended_) return deliver_deferred(done, Outcome<Done>(transaction_closed_error()));
      complete<Done>(done, [&] {
        c->exec(sql);
        return Done{};
      });
      note_autocommit(*c);
    }, [done](const Error& e) { deliver_deferred(done, Outcome<Done>(e)); });
  }

  void commit(Callback<Done> done) override { finish("COMMIT", std::move(done)); }
  void rollback(Callback<Done> done) override { finish("ROLLBACK", std::move(done)); }
  [[nodiscard]] bool active() const noexcept override { return !ended_.load(); }

 private:
  void submit(std::function<void(Connection*)> job, const std::function<void(const Error&)>& reject) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!finished_ && !aborted_ && !closing_ && !ended_) {
        jobs_.push_back(std::move(job));
        queued_.store(jobs_.size(), std::memory_order_release);
        cv_.notify_one();
        return;
      }
    }
    reject(aborted_ ? client_closed_error() : transaction_closed_error());
  }

  void finish(const char* sql, Callback<Done> done) {
    std::string statement(sql);
    const bool is_commit = statement == "COMMIT";
    auto job = [this, statement, is_commit, done](Connection* c) {
      if (c == nullptr) return deliver_deferred(done, Outcome<Done>(client_closed_error()));
      if (ended_) return deliver_deferred(done, Outcome<Done>(transaction_closed_error()));
      Outcome<Done> outcome = Done{};
      try {
        if (!c->autocommit()) c->exec(statement);
      } catch (const Error& e) {
        outcome = e;
        if (!is_commit) rollback_quietly(*c);
      }
      // A failed COMMIT (deferred foreign keys, say) leaves the transaction open: the
      // caller may still roll back. Anything else ends it here.
      if (c->autocommit()) {
        ended_ = true;
      } else {
        std::lock_guard<std::mutex> lock(mu_);
        closing_ = false;
      }
      deliver_deferred(done, std::move(outcome));
    };
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!finished_ && !aborted_ && !closing_ && !ended_) {
        closing_ = true;  // calls made after commit()/rollback() are refused
        jobs_.push_back(std::move(job));
        queued_.store(jobs_.size(), std::memory_order_release);
        cv_.notify_one();
        return;
      }
    }
    deliver_deferred(done, Outcome<Done>(aborted_ ? client_closed_error() : transaction_closed_error()));
  }

  void note_autocommit(Connection& c) {
    // ROLLBACK/COMMIT issued as a statement, or an error that rolled back (SQLITE_FULL...).
    if (c.autocommit()) ended_ = true;
  }

  /// An inline statement whose error rolled the transaction back: ended, and the serving
  /// thread is woken (by an empty job) to hand the connection back.
  void end_if_ended_here(Connection& c) {
    if (!c.autocommit()) return;
    ended_ = true;
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back([](Connection*) {});
    queued_.store(jobs_.size(), std::memory_order_release);
    cv_.notify_one();
  }

  TransactionMode mode_;
  TransactionOptions options_;
  std::shared_ptr<InlineClassifier> fast_;
  Callback<std::shared_ptr<TxnSession>> on_begin_;
  bool memory_ = false;
  std::mutex conn_mu_;  // held by whoever runs something on the connection (order: conn_mu_, mu_)
  Connection* conn_ = nullptr;  // the serving worker's connection while the inline path may use it
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void(Connection*)>> jobs_;
  std::atomic<std::size_t> queued_{0};  // jobs_.size(), readable without the lock (spinning)
  std::atomic<bool> ended_{false};
  bool aborted_ = false;
  bool closing_ = false;
  bool finished_ = false;
};

std::shared_ptr<LocalEngine> LocalEngine::open(const ParsedUrl& url, const Config& config,
                                               InlineTiming timing) {
  if (config.inline_max_time) timing.max_time = *config.inline_max_time;
  // encryptionKey: applied by Connection::open on every connection of a file (SQLite3 Multiple
  // Ciphers). A build on the system SQLite library has no encryption: refused, whatever the URL.
  if (!encryption_built_in() && !config.encryption_key.empty()) throw encryption_not_built_error();
  if (url.memory) {
    std::vector<std::unique_ptr<Connection>> one;
    one.push_back(Connection::open(":memory:", ConnectionRole::Memory, config));
    int limit = sqlite3_limit(one.front()->db(), SQLITE_LIMIT_VARIABLE_NUMBER, -1);
    Connection* conn = one.front().get();
    auto engine = std::shared_ptr<LocalEngine>(
        new LocalEngine(std::make_unique<Lane>(std::move(one)), nullptr, limit, timing));
    engine->gate_ = std::make_shared<Gate>();
    engine->memory_conn_ = conn;
    return engine;
  }
  std::vector<std::unique_ptr<Connection>> writer;
  writer.push_back(Connection::open(url.path, ConnectionRole::Writer, config));
  int limit = sqlite3_limit(writer.front()->db(), SQLITE_LIMIT_VARIABLE_NUMBER, -1);
  if (config.journal_mode == JournalMode::Keep && !in_wal_mode(*writer.front())) {
    // A rollback journal: readers would block the writer's commit (and a pending commit new
    // readers), so everything runs on the writer, in order; no inline path either.
    return std::shared_ptr<LocalEngine>(new LocalEngine(std::make_unique<Lane>(std::move(writer)), nullptr, limit, timing));
  }
  std::vector<std::unique_ptr<Connection>> readers;
  const int n = config.read_connections < 1 ? 1 : config.read_connections;
  readers.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    readers.push_back(Connection::open(url.path, ConnectionRole::Reader, config));
  }
  auto engine = std::shared_ptr<LocalEngine>(new LocalEngine(
      std::make_unique<Lane>(std::move(writer)), std::make_unique<Lane>(std::move(readers)), limit,
      timing));
  engine->inline_ = Connection::open(url.path, ConnectionRole::Inline, config);
  engine->ordered_ = config.ordered_calls;
  return engine;
}

LocalEngine::LocalEngine(std::unique_ptr<Lane> writer, std::unique_ptr<Lane> readers,
                         int max_bind_values, const InlineTiming& timing)
    : writer_(std::move(writer)),
      readers_(std::move(readers)),
      max_bind_values_(max_bind_values),
      fast_(std::make_shared<InlineClassifier>(timing)),
      fast_in_txn_(std::make_shared<InlineClassifier>(timing)) {}

LocalEngine::~LocalEngine() { close(); }

void LocalEngine::execute(Statement stmt, Callback<ResultSet> done) {
  if (closed_) return deliver_deferred(done, Outcome<ResultSet>(client_closed_error()));
  auto on_writer = [stmt, done, fast = gate_ ? fast_ : nullptr](Connection* c) {
    if (c == nullptr) return deliver_deferred(done, Outcome<ResultSet>(client_closed_error()));
    complete<ResultSet>(done, [&] {
      const auto start = fast ? fast->start() : InlineClassifier::TimePoint{};
      ResultSet rs = c->execute(stmt);
      refuse_open_transaction(*c, "the statement");
      // `:memory:`: statements seen fast here may run inline between tasks.
      if (fast && !is_transaction_control(stmt.sql)) fast->ran_on_worker(stmt.sql, rs.row_count(), start);
      return rs;
    });
  };
  if (!readers_ || !may_be_read(stmt.sql) || behind_write()) return post_writer(std::move(on_writer));
  // A reader prepares it; sqlite3_stmt_readonly decides. A statement that writes after all
  // (WITH ... DELETE, a SELECT calling a writing function) goes on to the writer.
  readers_->post([writer = writer_->queue(), writes = writes_, fast = fast_, stmt = std::move(stmt), done,
                  on_writer = std::move(on_writer)](Connection* c) mutable {
    if (c == nullptr) return deliver_deferred(done, Outcome<ResultSet>(client_closed_error()));
    sqlite3_stmt* prepared = nullptr;
    try {
      prepared = c->prepare(stmt.sql);
    } catch (const Error& e) {
      return deliver_deferred(done, Outcome<ResultSet>(e));
    }
    if (!sqlite3_stmt_readonly(prepared) || is_transaction_control(stmt.sql)) {
      writes->fetch_add(1, std::memory_order_acq_rel);  // files only: no gate
      return writer->post([writes, on_writer = std::move(on_writer)](Connection* w) {
        DeferredDelivery deferred;  // destroyed last: the caller hears of it once it is counted out
        on_writer(w);
        writes->fetch_sub(1, std::memory_order_acq_rel);
      });
    }
    complete<ResultSet>(done, [&] {
      const auto start = fast->start();
      ResultSet rs = c->run(prepared, stmt);
      fast->ran_on_worker(stmt.sql, rs.row_count(), start);
      return rs;
    });
  });
}

void LocalEngine::post_writer(LaneTask task, bool counted) {
  if (!gate_ && !counted) return writer_->post(std::move(task));
  if (!gate_) {
    writes_->fetch_add(1, std::memory_order_acq_rel);
    return writer_->post([writes = writes_, task = std::move(task)](Connection* c) {
      // Destroyed last: the caller hears of the write once it is counted out (a read it makes
      // next need not queue behind it). Tasks deliver through noexcept paths (complete/deliver):
      // the count always comes down.
      DeferredDelivery deferred;
      task(c);
      writes->fetch_sub(1, std::memory_order_acq_rel);
    });
  }
  gate_->pending.fetch_add(1, std::memory_order_acq_rel);
  writer_->post([gate = gate_, task = std::move(task)](Connection* c) {
    DeferredDelivery deferred;  // destroyed last: completions go out once the gate is free
    std::lock_guard<std::recursive_mutex> hold(gate->mu);
    task(c);
    gate->pending.fetch_sub(1, std::memory_order_acq_rel);
  });
}

bool LocalEngine::behind_write() const noexcept {
  return ordered_ && writes_->load(std::memory_order_acquire) != 0;
}

bool LocalEngine::try_execute_inline(const Statement& stmt, ResultSet& out) {
  if (closed_ || !fast_->contains(stmt.sql)) return false;
  if (!gate_ && behind_write()) return false;  // a file: a write made earlier has not finished
  std::unique_lock<std::mutex> file_lock;
  std::unique_lock<std::recursive_mutex> memory_lock;
  if (gate_) {
    memory_lock = std::unique_lock<std::recursive_mutex>(gate_->mu, std::try_to_lock);
    if (!memory_lock.owns_lock()) return false;  // busy: the worker is using the connection
    // A task posted before this call has not finished (it may not even have started): this
    // call must not overtake it.
    if (gate_->pending.load(std::memory_order_acquire) != 0) return false;
  } else {
    file_lock = std::unique_lock<std::mutex>(inline_mu_, std::try_to_lock);
    if (!file_lock.owns_lock()) return false;
  }
  Connection* conn = gate_ ? memory_conn_ : inline_.get();
  if (conn == nullptr || !conn->autocommit()) return false;
  const auto start = fast_->start();
  sqlite3_stmt* prepared = nullptr;
  try {
    prepared = conn->prepare(stmt.sql);
  } catch (const Error&) {
    return false;  // nothing ran: a worker prepares it again and reports the error
  }
  if (!sqlite3_stmt_readonly(prepared)) {
    // A write: on a file it needs the writer (and may wait for the lock and fsync); on
    // `:memory:` it runs here, to the end, and its error is the caller's (a write is not
    // run twice).
    if (!gate_) {
      fast_->forget(stmt.sql);
      return false;
    }
    try {
      out = conn->run(prepared, stmt);
    } catch (...) {
      rollback_quietly(*conn);
      throw;
    }
    refuse_open_transaction(*conn, "the statement");
    fast_->ran_inline(stmt.sql, out.row_count(), start);
    return true;
  }
  try {
    auto rs = conn->run_limited(prepared, stmt, InlineTiming::kMaxRows);
    // Too many rows, or slower than it used to be: from now on it goes to the workers.
    fast_->ran_inline(stmt.sql, rs ? rs->row_count() : InlineTiming::kMaxRows + 1, start);
    if (!rs) return false;
    out = std::move(*rs);
    return true;
  } catch (const Error&) {
    // A read is safe to repeat: let a worker run it again and report its error (or wait for
    // the lock this connection does not wait for).
    return false;
  }
}

void LocalEngine::batch(std::vector<Statement> stmts, TransactionMode mode,
                        Callback<std::vector<ResultSet>> done) {
  if (closed_) return deliver_deferred(done, Outcome<std::vector<ResultSet>>(client_closed_error()));
  LaneTask task = [stmts = std::move(stmts), mode, done](Connection* c) {
    if (c == nullptr) return deliver_deferred(done, Outcome<std::vector<ResultSet>>(client_closed_error()));
    complete<std::vector<ResultSet>>(done, [&] { return run_batch(*c, stmts, mode); });
  };
  if (mode == TransactionMode::Read && readers_ && !behind_write()) return readers_->post(std::move(task));
  post_writer(std::move(task));
}

void LocalEngine::execute_script(std::string sql, Callback<Done> done) {
  if (closed_) return deliver_deferred(done, Outcome<Done>(client_closed_error()));
  post_writer([sql = std::move(sql), done](Connection* c) {
    if (c == nullptr) return deliver_deferred(done, Outcome<Done>(client_closed_error()));
    complete<Done>(done, [&] {
      c->exec(sql);
      refuse_open_transaction(*c, "the script");
      return Done{};
    });
  });
}

void LocalEngine::sequence(std::vector<Statement> stmts, Callback<std::vector<ResultSet>> done) {
  if (closed_) return deliver_deferred(done, Outcome<std::vector<ResultSet>>(client_closed_error()));
  post_writer([stmts = std::move(stmts), done](Connection* c) {
    if (c == nullptr) return deliver_deferred(done, Outcome<std::vector<ResultSet>>(client_closed_error()));
    complete<std::vector<ResultSet>>(done, [&] {
      std::vector<ResultSet> out;
      out.reserve(stmts.size());
      try {
        for (std::size_t i = 0; i < stmts.size(); ++i) out.push_back(execute_nth(*c, stmts, i));
      } catch (...) {
        rollback_quietly(*c);
        throw;
      }
      refuse_open_transaction(*c, "the statements");
      return out;
    });
  });
}

void LocalEngine::begin(TransactionMode mode, TransactionOptions options,
                        Callback<std::shared_ptr<TxnSession>> done) {
  if (closed_) return deliver_deferred(done, Outcome<std::shared_ptr<TxnSession>>(client_closed_error()));
  auto txn = std::make_shared<LocalTxn>(mode, options, fast_in_txn_, std::move(done), gate_ != nullptr);
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
    sessions_.push_back(txn);
  }
  if (mode == TransactionMode::Read && readers_) {
    if (!behind_write()) return readers_->post([txn](Connection* c) { txn->serve(c); });
    // After the writes made before it: a hop through the writer lane, then a reader.
    return post_writer([readers = readers_->queue(), txn](Connection* c) {
      if (c == nullptr) return txn->serve(nullptr);
      readers->post([txn](Connection* r) { txn->serve(r); });
    }, false);
  }
  post_writer([txn](Connection* c) { txn->serve(c); }, false);
}

void LocalEngine::close() {
  if (closed_.exchange(true)) return;
  std::vector<std::shared_ptr<LocalTxn>> live;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    for (auto& w : sessions_) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
    sessions_.clear();
  }
  for (auto& s : live) s->abort();
  if (gate_) {
    // Wait out an inline read in progress; afterwards none can start.
    std::lock_guard<std::recursive_mutex> hold(gate_->mu);
    memory_conn_ = nullptr;
  }
  if (readers_) readers_->stop();
  writer_->stop();
  std::lock_guard<std::mutex> lock(inline_mu_);
  inline_.reset();
}

}  // namespace libsql::detail
