#include "remote/remote_engine.hpp"

#include <cstdlib>

#include "remote/hrana_http.hpp"
#include "remote/hrana_ws.hpp"

#include <algorithm>
#include <cctype>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "core/callback.hpp"
#include "core/error_codes.hpp"

namespace libsql::detail {
namespace {

using hrana::Condition;
using hrana::Request;
using hrana::Step;

const char* begin_sql(TransactionMode mode) {
  // Stock SQLite servers have no BEGIN READONLY; a read batch is a deferred transaction.
  return mode == TransactionMode::Write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED";
}

Step plain_step(std::string sql, std::optional<Condition> cond) {
  Step s;
  s.stmt = Statement(std::move(sql));
  s.want_rows = false;
  s.condition = std::move(cond);
  return s;
}

/// The outcome of a request list whose first request's result is all that matters.
Outcome<Done> done_of(const Outcome<StreamReply>& o) {
  if (auto* e = std::get_if<Error>(&o)) return *e;
  const auto& r = std::get<StreamReply>(o);
  if (r.results[0].error) return hrana::to_error(*r.results[0].error);
  return Done{};
}

/// "Run only while a transaction is open" (Hrana 3; always true on Hrana 2).
Condition in_transaction() { return Condition::negate(Condition::is_autocommit()); }

/// The server ended the transaction under us: what the caller gets (Prisma: P2028).
Error server_ended_error(const std::string& why) {
  return make_error(ErrorKind::Misuse, "TRANSACTION_CLOSED", "the server ended the transaction: " + why);
}

/// The first error among a batch's statement steps [first, last), or the TRANSACTION_CLOSED
/// error of a step that was skipped. Steps [stmt_first, stmt_first + stmt_count) are the
/// caller's statements: their errors carry the statement's index (Error::statement_index).
std::optional<Error> batch_error(const hrana::BatchResult& b, std::size_t first, std::size_t last,
                                 std::size_t stmt_first = 0, std::size_t stmt_count = 0) {
  auto indexed = [&](Error e, std::size_t i) {
    return i >= stmt_first && i - stmt_first < stmt_count ? e.at_statement(i - stmt_first) : e;
  };
  for (std::size_t i = first; i < last; ++i) {
    if (b.step_errors[i]) return indexed(hrana::to_error(*b.step_errors[i]), i);
    if (!b.step_results[i]) {
      return indexed(make_error(ErrorKind::Misuse, "TRANSACTION_CLOSED",
                                "the statement was not executed because the transaction ended"),
                     i);
    }
  }
  return std::nullopt;
}

std::vector<ResultSet> take_results(hrana::BatchResult& b, std::size_t first, std::size_t last) {
  std::vector<ResultSet> out;
  out.reserve(last - first);
  for (std::size_t i = first; i < last; ++i) out.push_back(std::move(*b.step_results[i]));
  return out;
}

/// A transaction that waited for the transaction lane longer than the busy timeout.
Error lane_busy_error(std::chrono::milliseconds waited) {
  return make_sqlite_error(5, "database is locked (another transaction of this client held it for " +
                                  std::to_string(waited.count()) + " ms, the busy timeout)");
}

}  // namespace

std::shared_ptr<RemoteEngine> RemoteEngine::open(const ParsedUrl& url, const Config& config, int hrana_version) {
  HttpHranaOptions options;
  options.http.concurrency = config.concurrency > 0 ? config.concurrency : 20;
  apply_request_timeout(options.http, url.request_timeout.value_or(config.timeout));
  options.auth_token = url.auth_token ? *url.auth_token : config.auth_token;
  options.encryption_key = config.remote_encryption_key;
  for (const std::string* header : {&options.auth_token, &options.encryption_key}) {
    if (header->find_first_of("\r\n") != std::string::npos) {
      throw make_error(ErrorKind::Misuse, "URL_INVALID",
                       "the auth token or the remote encryption key contains a line break");
    }
  }
  if (url.scheme == Scheme::Ws || url.scheme == Scheme::Wss || (url.scheme == Scheme::Libsql && config.websocket)) {
    WsHranaOptions ws = ws_options_for(url);
    ws.auth_token = options.auth_token;
    // As over HTTP: the request deadline (URL's requestTimeout, else Config::timeout), which
    // also bounds connecting, at most 10 s.
    const std::chrono::milliseconds deadline = url.request_timeout.value_or(config.timeout);
    if (deadline.count() > 0) {
      ws.connect_timeout = std::min(deadline, std::chrono::milliseconds(10000));
      ws.request_timeout = deadline;
    }
    return over(WsHrana::create(std::move(ws)), config.busy_timeout);
  }
  options.base = hrana_base_for(url);
  // A diagnostics switch (benchmarks, bug reports): LIBSQL_HRANA_VERSION=2 or 3 skips the probe.
  if (hrana_version == 0) {
    if (const char* forced = std::getenv("LIBSQL_HRANA_VERSION")) {
      if (std::string_view(forced) == "2") hrana_version = 2;
      if (std::string_view(forced) == "3") hrana_version = 3;
    }
  }
  options.version = hrana_version;
  return over(HttpHrana::create(std::move(options)), config.busy_timeout);
}

std::shared_ptr<RemoteEngine> RemoteEngine::over(std::shared_ptr<HranaConnection> connection,
                                                 std::chrono::milliseconds lane_wait) {
  return std::shared_ptr<RemoteEngine>(new RemoteEngine(std::move(connection), lane_wait));
}

RemoteEngine::RemoteEngine(std::shared_ptr<HranaConnection> connection, std::chrono::milliseconds lane_wait)
    : conn_(std::move(connection)), lane_wait_(lane_wait) {}

void RemoteEngine::acquire_txn_lane(std::function<void(std::optional<Error>)> granted) {
  std::optional<Error> refused;
  std::uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(lane_mu_);
    if (lane_closed_) {
      refused = client_closed_error();
    } else if (!lane_held_) {
      lane_held_ = true;
    } else if (lane_wait_.count() <= 0) {
      refused = lane_busy_error(lane_wait_);
    } else {
      id = ++lane_next_id_;
      lane_waiters_.push_back(LaneWaiter{id, std::move(granted)});
    }
  }
  if (id == 0) return granted(std::move(refused));  // never under the lock
  std::weak_ptr<RemoteEngine> weak = weak_from_this();
  conn_->at(std::chrono::steady_clock::now() + lane_wait_, [weak, id] {
    if (auto self = weak.lock()) self->lane_wait_expired(id);
  });
}

void RemoteEngine::lane_wait_expired(std::uint64_t id) {
  std::function<void(std::optional<Error>)> granted;
  {
    std::lock_guard<std::mutex> lock(lane_mu_);
    auto it = std::find_if(lane_waiters_.begin(), lane_waiters_.end(), [id](const LaneWaiter& w) { return w.id == id; });
    if (it == lane_waiters_.end()) return;  // granted (or refused) meanwhile
    granted = std::move(it->granted);
    lane_waiters_.erase(it);
  }
  granted(lane_busy_error(lane_wait_));
}

void RemoteEngine::release_txn_lane() {
  std::function<void(std::optional<Error>)> next;
  {
    std::lock_guard<std::mutex> lock(lane_mu_);
    if (lane_waiters_.empty()) {
      lane_held_ = false;
      return;
    }
    next = std::move(lane_waiters_.front().granted);  // the lane passes on, still held
    lane_waiters_.pop_front();
  }
  next(std::nullopt);
}

RemoteEngine::~RemoteEngine() { close(); }

void RemoteEngine::close() {
  if (closed_.exchange(true)) return;
  std::deque<LaneWaiter> waiting;
  {
    std::lock_guard<std::mutex> lock(lane_mu_);
    lane_closed_ = true;
    waiting.swap(lane_waiters_);
  }
  for (auto& w : waiting) w.granted(client_closed_error());
  conn_->close();
}

void RemoteEngine::one_shot(std::vector<Request> requests, Callback<StreamReply> done) {
  if (closed_) return deliver(done, Outcome<StreamReply>(client_closed_error()));
  conn_->open_stream()->send(std::move(requests), std::move(done));
}

void RemoteEngine::execute(Statement stmt, Callback<ResultSet> done) {
  // sqld refuses a result larger than its response limit (10 MB by default) in one body with
  // RESPONSE_TOO_LARGE; a read can then be run again through a cursor (Hrana 3), where the
  // rows stream in and the limit does not apply. The read changed nothing, so running it again
  // is safe; results that fit cost one request as before.
  std::optional<Statement> again;
  if (is_plain_read(stmt.sql)) again = stmt;
  std::vector<Request> reqs;
  reqs.push_back(hrana::execute(std::move(stmt)));
  reqs.push_back(hrana::close());
  std::weak_ptr<RemoteEngine> weak = weak_from_this();
  one_shot(std::move(reqs), [weak, done, again = std::move(again)](Outcome<StreamReply> o) mutable {
    if (auto* e = std::get_if<Error>(&o)) return deliver(done, Outcome<ResultSet>(*e));
    auto& r = std::get<StreamReply>(o);
    if (r.results[0].error) {
      auto self = weak.lock();
      if (self && again && r.results[0].error->code == "RESPONSE_TOO_LARGE" && self->hrana_version() >= 3) {
        return self->read_through_cursor(std::move(*again), std::move(done));
      }
      return deliver(done, Outcome<ResultSet>(hrana::to_error(*r.results[0].error)));
    }
    deliver(done, Outcome<ResultSet>(std::move(r.results[0].execute)));
  });
}

void RemoteEngine::read_through_cursor(Statement stmt, Callback<ResultSet> done) {
  if (closed_) return deliver(done, Outcome<ResultSet>(client_closed_error()));
  std::vector<Step> steps(1);
  steps[0].stmt = std::move(stmt);
  auto stream = conn_->open_stream();
  stream->cursor(std::move(steps), [stream, done](Outcome<StreamReply> o) {
    // The cursor leaves its stream open: close it (nothing to wait for).
    if (auto* r = std::get_if<StreamReply>(&o); r && !r->closed) stream->close();
    if (auto* e = std::get_if<Error>(&o)) return deliver(done, Outcome<ResultSet>(*e));
    auto& r = std::get<StreamReply>(o);
    if (r.results[0].error) return deliver(done, Outcome<ResultSet>(hrana::to_error(*r.results[0].error)));
    auto& b = r.results[0].batch;
    if (auto e = batch_error(b, 0, 1)) return deliver(done, Outcome<ResultSet>(*e));
    deliver(done, Outcome<ResultSet>(std::move(*b.step_results[0])));
  });
}

void RemoteEngine::batch(std::vector<Statement> stmts, TransactionMode mode,
                         Callback<std::vector<ResultSet>> done) {
  // One request, atomic through step conditions: BEGIN; each statement if the previous
  // step succeeded; COMMIT if the last one did; otherwise ROLLBACK.
  const std::size_t n = stmts.size();
  std::vector<Step> steps;
  steps.push_back(plain_step(begin_sql(mode), std::nullopt));
  for (std::size_t i = 0; i < n; ++i) {
    Step s;
    s.stmt = std::move(stmts[i]);
    // Hrana 3: and not in autocommit, so that a statement that ended the transaction (a
    // ROLLBACK in the batch) stops it, as @libsql/client does.
    s.condition = Condition::both(Condition::ok(static_cast<int>(i)), in_transaction());
    steps.push_back(std::move(s));
  }
  steps.push_back(plain_step("COMMIT", Condition::both(Condition::ok(static_cast<int>(n)), in_transaction())));
  steps.push_back(plain_step("ROLLBACK", Condition::negate(Condition::ok(static_cast<int>(n + 1)))));
  std::vector<Request> reqs;
  reqs.push_back(hrana::batch(std::move(steps)));
  reqs.push_back(hrana::close());
  one_shot(std::move(reqs), [done, n](Outcome<StreamReply> o) {
    using R = std::vector<ResultSet>;
    if (auto* e = std::get_if<Error>(&o)) return deliver(done, Outcome<R>(*e));
    auto& r = std::get<StreamReply>(o);
    if (r.results[0].error) return deliver(done, Outcome<R>(hrana::to_error(*r.results[0].error)));
    auto& b = r.results[0].batch;
    if (auto e = batch_error(b, 0, n + 2, 1, n)) return deliver(done, Outcome<R>(*e));
    deliver(done, Outcome<R>(take_results(b, 1, n + 1)));
  });
}

void RemoteEngine::sequence(std::vector<Statement> stmts, Callback<std::vector<ResultSet>> done) {
  // Each statement on its own (no transaction), each only if the previous one succeeded.
  const std::size_t n = stmts.size();
  std::vector<Step> steps;
  for (std::size_t i = 0; i < n; ++i) {
    Step s;
    s.stmt = std::move(stmts[i]);
    if (i > 0) s.condition = Condition::ok(static_cast<int>(i - 1));
    steps.push_back(std::move(s));
  }
  std::vector<Request> reqs;
  reqs.push_back(hrana::batch(std::move(steps)));
  reqs.push_back(hrana::close());
  one_shot(std::move(reqs), [done, n](Outcome<StreamReply> o) {
    using R = std::vector<ResultSet>;
    if (auto* e = std::get_if<Error>(&o)) return deliver(done, Outcome<R>(*e));
    auto& r = std::get<StreamReply>(o);
    if (r.results[0].error) return deliver(done, Outcome<R>(hrana::to_error(*r.results[0].error)));
    auto& b = r.results[0].batch;
    if (auto e = batch_error(b, 0, n, 0, n)) return deliver(done, Outcome<R>(*e));
    deliver(done, Outcome<R>(take_results(b, 0, n)));
  });
}

void RemoteEngine::execute_script(std::string sql, Callback<Done> done) {
  auto as_steps = [](std::weak_ptr<RemoteEngine> weak, const std::string& script, const Callback<Done>& cb) {
    // A server without `sequence` (tursodb): the statements as batch steps, each run only
    // if the previous one succeeded — the same semantics.
    auto self = weak.lock();
    if (!self) return deliver(cb, Outcome<Done>(client_closed_error()));
    std::vector<Statement> parts;
    for (auto& part : split_statements(script)) parts.emplace_back(std::move(part));
    if (parts.empty()) return deliver(cb, Outcome<Done>(Done{}));
    self->sequence(std::move(parts), [cb](Outcome<std::vector<ResultSet>> o) {
      if (auto* e = std::get_if<Error>(&o)) return deliver(cb, Outcome<Done>(*e));
      deliver(cb, Outcome<Done>(Done{}));
    });
  };
  std::weak_ptr<RemoteEngine> weak = weak_from_this();
  if (no_sequence_.load()) return as_steps(weak, sql, done);
  std::vector<Request> reqs;
  reqs.push_back(hrana::sequence(sql));
  reqs.push_back(hrana::close());
  one_shot(std::move(reqs),
           [weak, sql, done, as_steps](Outcome<StreamReply> o) {
             if (auto* e = std::get_if<Error>(&o)) {
               auto self = weak.lock();
               // The server refused the whole request before running any of it.
               if (self && std::string_view(e->what()).find("unknown variant `sequence`") != std::string_view::npos) {
                 self->no_sequence_ = true;
                 return as_steps(weak, sql, done);
               }
               return deliver(done, Outcome<Done>(*e));
             }
             deliver(done, done_of(o));
           });
}

/// An interactive transaction: one Hrana stream. BEGIN travels with the first statement;
/// COMMIT / ROLLBACK travel with the stream's close. Calls run one at a time, in order.
class RemoteTxn final : public TxnSession, public std::enable_shared_from_this<RemoteTxn> {
 public:
  RemoteTxn(std::shared_ptr<RemoteEngine> engine, TransactionMode mode, TransactionOptions options, bool holds_lane)
      : engine_(std::move(engine)), mode_(mode), options_(options), stream_(engine_->open_stream()), holds_lane_(holds_lane) {}
  RemoteTxn(const RemoteTxn&) = delete;
  RemoteTxn& operator=(const RemoteTxn&) = delete;

  ~RemoteTxn() override {
    // Dropped while its stream is open (nobody committed or rolled back): close the stream,
    // which makes the server roll back, instead of leaving it to hold locks until it expires.
    bool open = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      open = !ended_;
    }
    if (open && !engine_->closed()) stream_->close();
    release_lane();
  }

  void execute(Statement stmt, Callback<ResultSet> done) override {
    std::vector<Statement> one;
    one.push_back(std::move(stmt));
    run_statements(std::move(one), [done](Outcome<std::vector<ResultSet>> o) {
      if (auto* e = std::get_if<Error>(&o)) return deliver(done, Outcome<ResultSet>(*e));
      deliver(done, Outcome<ResultSet>(std::move(std::get<std::vector<ResultSet>>(o).front())));
    });
  }

  void sequence(std::vector<Statement> stmts, Callback<std::vector<ResultSet>> done) override {
    run_statements(std::move(stmts), std::move(done));
  }

  void execute_script(std::string sql, Callback<Done> done) override {
    enqueue([this, sql = std::move(sql), done](Finish finish) mutable {
      if (!begun_) {
        // The server runs every request of a pipeline: the script must not run if BEGIN
        // failed, so BEGIN goes first in a request of its own.
        begin_then([this, sql = std::move(sql), done, finish]() mutable {
          send_sequence(std::move(sql), done, finish);
        }, [done, finish](const Error& e) {
          deliver(done, Outcome<Done>(e));
          finish();
        });
        return;
      }
      send_sequence(std::move(sql), done, finish);
    }, [done](const Error& e) { deliver(done, Outcome<Done>(e)); });
  }

  void commit(Callback<Done> done) override { finish_with("COMMIT", std::move(done)); }
  void rollback(Callback<Done> done) override { finish_with("ROLLBACK", std::move(done)); }
  [[nodiscard]] bool active() const noexcept override {
    std::lock_guard<std::mutex> lock(mu_);
    return !ended_ && !engine_->closed();
  }

 private:
  using Finish = std::function<void()>;
  using Op = std::function<void(Finish)>;

  struct Queued {
    Op run;
    std::function<void(const Error&)> reject;
  };

  void enqueue(Op op, std::function<void(const Error&)> reject) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!ended_ && !closing_) {
        queue_.push_back(Queued{std::move(op), std::move(reject)});
        if (busy_) return;
        busy_ = true;
        reject = nullptr;
      }
    }
    if (reject) return reject_now(reject);  // callbacks never run under the lock
    next();
  }

  void reject_now(const std::function<void(const Error&)>& reject) {
    reject(engine_->closed() ? client_closed_error() : transaction_closed_error());
  }

  /// Runs the next queued call, if any. Only one runs at a time (batons are single-use).
  void next() {
    Queued q;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.empty()) {
        busy_ = false;
        return;
      }
      q = std::move(queue_.front());
      queue_.pop_front();
      if (ended_) {
        // Ended by an earlier call's failure: fail the rest.
        std::deque<Queued> rest;
        rest.swap(queue_);
        busy_ = false;
        lockless_reject(q, rest);
        return;
      }
    }
    auto self = shared_from_this();
    q.run([self] { self->next(); });
  }

  void lockless_reject(Queued& q, std::deque<Queued>& rest) {
    reject_now(q.reject);
    for (auto& r : rest) reject_now(r.reject);
  }

  /// Sends `requests` (or, with `cursor`, the one batch in them) on this transaction's stream;
  /// the transaction ends with the stream.
  void send(std::vector<Request> requests, Callback<StreamReply> done, bool closing, bool cursor = false) {
    auto self = shared_from_this();
    auto on_reply = [self, done, closing](Outcome<StreamReply> o) {
      bool ended = false;
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        if (auto* r = std::get_if<StreamReply>(&o)) {
          if (r->closed) self->ended_ = true;  // the server closed the stream, and the transaction with it
        } else {
          self->ended_ = true;  // any transport or HTTP failure kills the stream
        }
        if (closing) self->ended_ = true;
        ended = self->ended_;
      }
      if (ended) self->release_lane();
      done(std::move(o));
    };
    if (cursor) return stream_->cursor(std::move(requests.front().steps), std::move(on_reply));
    stream_->send(std::move(requests), std::move(on_reply));
  }

  /// The server ended the transaction while the stream lives on (sqld's transaction timeout,
  /// or a statement that rolled it back): close the stream and refuse what follows.
  void end_on_server() {
    bool was_open = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      was_open = !ended_;
      ended_ = true;
    }
    if (was_open) stream_->close();
    release_lane();
  }

  /// The steps that open the transaction: BEGIN, preceded by `PRAGMA foreign_keys=OFF` when
  /// the options ask for it (SQLite only takes it outside a transaction).
  std::vector<Step> opening_steps() const {
    std::vector<Step> steps;
    if (!options_.foreign_keys) steps.push_back(plain_step("PRAGMA foreign_keys=OFF", std::nullopt));
    std::optional<Condition> after;
    if (!steps.empty()) after = Condition::ok(0);
    steps.push_back(plain_step(begin_sql(mode_), after));
    return steps;
  }

  void begin_then(std::function<void()> then, std::function<void(const Error&)> fail) {
    std::vector<Request> reqs;
    const std::size_t n = opening_steps().size();
    reqs.push_back(hrana::batch(opening_steps()));
    send(std::move(reqs), [this, n, then = std::move(then), fail = std::move(fail)](Outcome<StreamReply> o) {
      if (auto* e = std::get_if<Error>(&o)) return fail(*e);
      auto& r = std::get<StreamReply>(o);
      if (r.results[0].error) {
        mark_ended();
        return fail(hrana::to_error(*r.results[0].error));
      }
      if (auto e = batch_error(r.results[0].batch, 0, n)) {
        mark_ended();
        return fail(*e);
      }
      begun_ = true;
      then();
    }, false);
  }

  void send_sequence(std::string sql, const Callback<Done>& done, const Finish& finish) {
    std::vector<Request> reqs;
    reqs.push_back(hrana::sequence(std::move(sql)));
    send(std::move(reqs), [done, finish](Outcome<StreamReply> o) {
      deliver(done, done_of(o));
      finish();
    }, false);
  }

  void mark_ended() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ended_ = true;
    }
    release_lane();
  }

  /// The transaction is over: the next one of this client may start.
  void release_lane() {
    if (holds_lane_.exchange(false)) engine_->release_txn_lane();
  }

  /// Statements as one batch request; the first call of the transaction carries BEGIN as step 0
  /// and runs its statements only if BEGIN succeeded.
  /// A call's statements as batch steps; the first call of the transaction opens it first.
  /// `guarded_begin`: BEGIN runs only if no transaction is open (Hrana 3), for a call sent again.
  std::vector<Step> statement_steps(std::vector<Statement> stmts, bool with_begin, bool guarded_begin, std::size_t& first) const {
    std::vector<Step> steps;
    if (with_begin) {
      if (guarded_begin) steps.push_back(plain_step(begin_sql(mode_), Condition::is_autocommit()));
      else steps = opening_steps();
    }
    first = steps.size();
    for (std::size_t i = 0; i < stmts.size(); ++i) {
      Step s;
      s.stmt = std::move(stmts[i]);
      // Each statement only if the previous one succeeded and (Hrana 3) the transaction is
      // still open on the server: never in autocommit after the server ended it.
      if (i > 0) s.condition = Condition::both(Condition::ok(static_cast<int>(first + i - 1)), in_transaction());
      else if (first > 0 && !guarded_begin) s.condition = Condition::both(Condition::ok(static_cast<int>(first - 1)), in_transaction());
      else s.condition = in_transaction();
      steps.push_back(std::move(s));
    }
    return steps;
  }

  struct Call {
    Callback<std::vector<ResultSet>> done;
    Finish finish;
    bool with_begin = false;
    bool guarded_begin = false;
    std::size_t first = 0;
    std::size_t n = 0;
    /// The statements, kept to run them again through a cursor when the result is over the
    /// server's response limit (reads only, Hrana 3).
    std::optional<std::vector<Statement>> again{};
  };

  /// Statements as one batch request; the first call of the transaction carries BEGIN and runs
  /// its statements only if BEGIN succeeded. A pipeline answers small results fastest (sqld's
  /// cursors cost it a few ms more); a read whose result sqld refuses as RESPONSE_TOO_LARGE (over
  /// 10 MB) runs again through a cursor, where the rows stream in (docs/hrana.md).
  void run_statements(std::vector<Statement> stmts, Callback<std::vector<ResultSet>> done) {
    using R = std::vector<ResultSet>;
    enqueue([this, stmts = std::move(stmts), done](Finish finish) mutable {
      Call call;
      call.done = done;
      call.finish = finish;
      call.with_begin = !begun_;
      call.n = stmts.size();
      const bool all_reads = std::all_of(stmts.begin(), stmts.end(), [](const Statement& st) { return is_plain_read(st.sql); });
      if (all_reads && engine_->hrana_version() >= 3 && options_.foreign_keys) call.again = stmts;
      std::vector<Request> reqs;
      reqs.push_back(hrana::batch(statement_steps(std::move(stmts), call.with_begin, false, call.first)));
      send(std::move(reqs), [this, call = std::move(call)](Outcome<StreamReply> o) mutable {
        on_statements(std::move(o), std::move(call));
      }, false);
    }, [done](const Error& e) { deliver(done, Outcome<R>(e)); });
  }

  static bool too_large(const hrana::StreamResult& r) {
    if (r.error) return r.error->code == "RESPONSE_TOO_LARGE";
    return std::any_of(r.batch.step_errors.begin(), r.batch.step_errors.end(),
                       [](const auto& e) { return e && e->code == "RESPONSE_TOO_LARGE"; });
  }

  void on_statements(Outcome<StreamReply> o, Call call) {
    using R = std::vector<ResultSet>;
    const auto& done = call.done;
    const auto& finish = call.finish;
    if (auto* e = std::get_if<Error>(&o)) {
      deliver(done, Outcome<R>(*e));
      return finish();
    }
    auto& r = std::get<StreamReply>(o);
    if (call.again && !r.closed && too_large(r.results[0])) {
      // Again through a cursor. The reads changed nothing; whether the BEGIN sent with them ran
      // is not known (the whole answer was refused), so the BEGIN is guarded this time.
      std::vector<Statement> stmts = std::move(*call.again);
      call.again.reset();
      call.guarded_begin = call.with_begin;
      std::vector<Request> reqs;
      reqs.push_back(hrana::batch(statement_steps(std::move(stmts), call.with_begin, true, call.first)));
      return send(std::move(reqs), [this, call = std::move(call)](Outcome<StreamReply> o2) mutable {
        on_statements(std::move(o2), std::move(call));
      }, false, true);
    }
    if (r.results[0].error) {
      deliver(done, Outcome<R>(hrana::to_error(*r.results[0].error)));
      return finish();
    }
    auto& b = r.results[0].batch;
    const std::size_t first = call.first;
    const std::size_t n = call.n;
    if (call.with_begin) {
      // A guarded BEGIN skipped (null result, no error) means the transaction was open already.
      std::optional<Error> e;
      if (call.guarded_begin) {
        if (b.step_errors[0]) e = hrana::to_error(*b.step_errors[0]);
      } else {
        e = batch_error(b, 0, first);
      }
      if (e) {
        mark_ended();  // BEGIN failed: there is no transaction
        deliver(done, Outcome<R>(*e));
        return finish();
      }
      begun_ = true;
    }
    for (std::size_t i = first; i < first + n; ++i) {
      if (b.step_errors[i] && b.step_errors[i]->code == "TRANSACTION_TIMEOUT") {
        // sqld rolled the transaction back (it held the write lock past the server's
        // transaction timeout) and would run what follows in autocommit: end it here.
        end_on_server();
        deliver(done, Outcome<R>(server_ended_error("it held the write lock longer than the server's transaction timeout (" +
                                                   b.step_errors[i]->message + ")")));
        return finish();
      }
      if (b.step_errors[i]) break;
      if (!b.step_results[i]) {
        // Skipped with no error before it: the transaction was no longer open (Hrana 3).
        end_on_server();
        deliver(done, Outcome<R>(server_ended_error("it was no longer open when the statement arrived")));
        return finish();
      }
    }
    if (auto e = batch_error(b, first, first + n, first, n)) {
      // A failed statement leaves the transaction open (as locally).
      deliver(done, Outcome<R>(*e));
      return finish();
    }
    deliver(done, Outcome<R>(take_results(b, first, first + n)));
    finish();
  }

  void finish_with(const char* sql, Callback<Done> done) {
    std::string statement(sql);
    Op op = [this, statement, done](Finish finish) {
      if (!begun_) {
        // Nothing was sent: there is nothing to end on the server.
        mark_ended();
        deliver(done, Outcome<Done>(Done{}));
        return finish();
      }
      std::vector<Request> reqs;
      reqs.push_back(hrana::execute(Statement(statement), false));
      // Back on for whoever uses the server's connection next (closing the stream ends it).
      if (!options_.foreign_keys) reqs.push_back(hrana::execute(Statement("PRAGMA foreign_keys=ON"), false));
      reqs.push_back(hrana::close());
      send(std::move(reqs), [done, finish](Outcome<StreamReply> o) {
        deliver(done, done_of(o));
        finish();
      }, true);
    };
    bool refused = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (ended_ || closing_) {
        refused = true;
      } else {
        closing_ = true;  // calls made after commit()/rollback() are refused
        queue_.push_back(Queued{std::move(op), [done](const Error& e) { deliver(done, Outcome<Done>(e)); }});
        if (busy_) return;
        busy_ = true;
      }
    }
    if (refused) return reject_now([done](const Error& e) { deliver(done, Outcome<Done>(e)); });
    next();
  }

  std::shared_ptr<RemoteEngine> engine_;
  TransactionMode mode_;
  TransactionOptions options_;
  std::shared_ptr<HranaStream> stream_;
  mutable std::mutex mu_;
  std::deque<Queued> queue_;
  bool busy_ = false;
  bool ended_ = false;
  bool closing_ = false;
  bool begun_ = false;  // touched only by the call that is running
  std::atomic<bool> holds_lane_;  // the engine's transaction lane, until the transaction ends
};

void RemoteEngine::begin(TransactionMode mode, TransactionOptions options,
                         Callback<std::shared_ptr<TxnSession>> done) {
  using R = std::shared_ptr<TxnSession>;
  if (closed_) return deliver(done, Outcome<R>(client_closed_error()));
  // Nothing is sent yet: BEGIN travels with the first statement.
  if (mode == TransactionMode::Read) {
    return deliver(done, Outcome<R>(std::static_pointer_cast<TxnSession>(
                             std::make_shared<RemoteTxn>(shared_from_this(), mode, options, false))));
  }
  std::weak_ptr<RemoteEngine> weak = weak_from_this();
  acquire_txn_lane([weak, mode, options, done](std::optional<Error> refused) {
    if (refused) return deliver(done, Outcome<R>(std::move(*refused)));
    auto self = weak.lock();
    if (!self) return deliver(done, Outcome<R>(client_closed_error()));
    // If nobody takes the transaction, dropping it releases the lane.
    deliver(done, Outcome<R>(std::static_pointer_cast<TxnSession>(std::make_shared<RemoteTxn>(self, mode, options, true))));
  });
}

}  // namespace libsql::detail
