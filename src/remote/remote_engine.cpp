#include "remote/remote_engine.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace libsql::detail {
namespace {

using hrana::Condition;
using hrana::PipelineResponse;
using hrana::Request;
using hrana::Step;

template <class T>
void deliver(const Callback<T>& done, Outcome<T> outcome) noexcept {
  try {
    done(std::move(outcome));
  } catch (...) {
  }
}

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

/// The outcome of a pipeline whose first request's result is all that matters.
Outcome<Done> done_of(const Outcome<PipelineResponse>& o) {
  if (auto* e = std::get_if<Error>(&o)) return *e;
  const auto& r = std::get<PipelineResponse>(o);
  if (r.results[0].error) return hrana::to_error(*r.results[0].error);
  return Done{};
}

/// A JSON `{"message", "code"}` body, as sqld sends for some HTTP errors.
std::optional<hrana::HranaError> json_error_body(const std::string& body) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(body.data(), body.size()).get_object().get(o)) return std::nullopt;
  std::string_view message;
  if (o["message"].get_string().get(message)) return std::nullopt;
  hrana::HranaError e;
  e.message = std::string(message);
  std::string_view code;
  if (!o["code"].get_string().get(code)) e.code = std::string(code);
  return e;
}

/// The reason in an auth failure's body (sqld: `{"error": "Unauthorized: `The JWT has
/// expired`"}`), or "" when there is none, or when it could carry a secret we sent.
std::string auth_reason(const std::string& body, const std::vector<std::string>& secrets) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(body.data(), body.size()).get_object().get(o)) return "";
  std::string_view reason;
  if (o["error"].get_string().get(reason) || reason.empty() || reason.size() > 300) return "";
  for (const auto& secret : secrets) {
    if (!secret.empty() && reason.find(secret) != std::string_view::npos) return "";
  }
  for (char c : reason) {
    if (static_cast<unsigned char>(c) < 0x20) return "";
  }
  return std::string(reason);
}

/// An HTTP answer that is not a pipeline response: the error the caller gets. `secrets` (the
/// token, the encryption key) never appear in it.
Error http_error(const HttpResponse& r, bool in_stream, const std::vector<std::string>& secrets) {
  const std::string status = std::to_string(r.status);
  if (r.status == 401 || r.status == 403) {
    std::string reason = auth_reason(r.body, secrets);
    return Error(ErrorKind::Auth, 0, "AUTH_FAILED",
                 "AUTH_FAILED: the server rejected the credentials (HTTP " + status + ")" +
                     (reason.empty() ? "" : ": " + reason));
  }
  auto json = json_error_body(r.body);
  if (json && json->code == "STREAM_EXPIRED") {
    return Error(ErrorKind::Misuse, 0, "TRANSACTION_CLOSED",
                 "TRANSACTION_CLOSED: the server ended the transaction: its stream expired (" +
                     json->message + ")");
  }
  if (in_stream && r.status == 400 && r.body.find("baton") != std::string::npos) {
    return Error(ErrorKind::Misuse, 0, "TRANSACTION_CLOSED",
                 "TRANSACTION_CLOSED: the server ended the transaction: " + r.body.substr(0, 200));
  }
  if (json) {
    return Error(ErrorKind::Protocol, 0, "SERVER_ERROR",
                 "SERVER_ERROR: " + (json->code.empty() ? "" : json->code + ": ") + json->message +
                     " (HTTP " + status + ")");
  }
  std::string text = r.body.substr(0, 200);
  return Error(ErrorKind::Protocol, 0, "SERVER_ERROR",
               "SERVER_ERROR: Server returned HTTP status " + status + (text.empty() ? "" : ": " + text));
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
      return indexed(Error(ErrorKind::Misuse, 0, "TRANSACTION_CLOSED",
                           "TRANSACTION_CLOSED: the statement was not executed because the transaction ended"),
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
  return Error(ErrorKind::Sqlite, 5, "SQLITE_BUSY",
               "SQLITE_BUSY: database is locked (another transaction of this client held it for " +
                   std::to_string(waited.count()) + " ms, the busy timeout)");
}

/// A pipeline may be resent after a dead connection when a replay cannot apply anything
/// twice: on a stream, the server refuses a used baton; without one, only plain reads.
bool retry_safe(const std::optional<std::string>& baton, const std::vector<Request>& requests) {
  if (baton) return true;
  for (const auto& r : requests) {
    switch (r.type) {
      case Request::Type::Close: break;
      case Request::Type::Execute:
        if (!is_plain_read(r.stmt.sql)) return false;
        break;
      case Request::Type::Batch:
        for (const auto& step : r.steps) {
          if (!is_plain_read(step.stmt.sql)) return false;
        }
        break;
      case Request::Type::Sequence: return false;
    }
  }
  return true;
}

}  // namespace

std::string pipeline_url_for(const ParsedUrl& url) {
  std::string base = url.tls ? "https://" : "http://";
  base += url.host;
  if (url.port) base += ":" + std::to_string(*url.port);
  std::string path = url.path.empty() ? "/" : url.path;
  std::size_t slash = path.rfind('/');
  path = path.substr(0, slash + 1);  // the base's "directory", as URL resolution does
  return base + path + "v2/pipeline";
}

std::shared_ptr<RemoteEngine> RemoteEngine::open(const ParsedUrl& url, const Config& config) {
  HttpOptions options;
  options.concurrency = config.concurrency > 0 ? config.concurrency : 20;
  if (config.timeout.count() > 0) {
    options.request_timeout = config.timeout;
    options.connect_timeout = config.timeout;
  }
  std::string token = url.auth_token ? *url.auth_token : config.auth_token;
  for (const std::string* header : {static_cast<const std::string*>(&token), &config.remote_encryption_key}) {
    if (header->find_first_of("\r\n") != std::string::npos) {
      throw Error(ErrorKind::Misuse, 0, "URL_INVALID",
                  "URL_INVALID: the auth token or the remote encryption key contains a line break");
    }
  }
  return std::shared_ptr<RemoteEngine>(new RemoteEngine(pipeline_url_for(url), std::move(token),
                                                        config.remote_encryption_key, options, config.busy_timeout));
}

RemoteEngine::RemoteEngine(std::string pipeline_url, std::string auth_token, std::string encryption_key,
                           HttpOptions options, std::chrono::milliseconds lane_wait)
    : pipeline_url_(std::move(pipeline_url)),
      auth_token_(std::move(auth_token)),
      encryption_key_(std::move(encryption_key)),
      http_(std::make_unique<HttpTransport>(options)),
      lane_wait_(lane_wait) {}

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
  http_->at(std::chrono::steady_clock::now() + lane_wait_, [weak, id] {
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

RemoteEngine::~RemoteEngine() {
  close();
  // The last reference may go away inside a callback, on the I/O thread, which cannot join
  // itself: let another thread wait for the loop to end and free the transport.
  if (http_ && http_->on_io_thread()) {
    std::thread([http = std::move(http_)]() mutable { http.reset(); }).detach();
  }
}

void RemoteEngine::close() {
  if (closed_.exchange(true)) return;
  std::deque<LaneWaiter> waiting;
  {
    std::lock_guard<std::mutex> lock(lane_mu_);
    lane_closed_ = true;
    waiting.swap(lane_waiters_);
  }
  for (auto& w : waiting) w.granted(client_closed_error());
  http_->close();
}

void RemoteEngine::pipeline(const std::string& url, std::optional<std::string> baton,
                            std::vector<Request> requests, Callback<PipelineResponse> done) {
  if (closed_) return deliver(done, Outcome<PipelineResponse>(client_closed_error()));
  if (no_close_.load()) {
    std::erase_if(requests, [](const Request& r) { return r.type == Request::Type::Close; });
  }
  std::string body;
  try {
    body = hrana::encode_pipeline(baton, requests);
  } catch (const Error& e) {
    return deliver(done, Outcome<PipelineResponse>(e));
  }
  const bool in_stream = baton.has_value();
  const bool safe = retry_safe(baton, requests);
  // A weak reference: a pending request must not keep the engine alive.
  std::weak_ptr<RemoteEngine> weak = weak_from_this();
  http_->post(HttpRequest{.url = url, .body = std::move(body), .auth_token = auth_token_, .encryption_key = encryption_key_, .content_type = "application/json", .retry_safe = safe},
              [weak, url, baton, requests = std::move(requests), done, in_stream](Outcome<HttpResponse> outcome) mutable {
                if (auto* e = std::get_if<Error>(&outcome)) return deliver(done, Outcome<PipelineResponse>(*e));
                auto& r = std::get<HttpResponse>(outcome);
                if (r.status < 200 || r.status >= 300) {
                  // A server without `close` (tursodb) refuses the whole request before running
                  // any of it: from now on, send no `close`, and resend this one without it.
                  auto self = weak.lock();
                  if (self && r.status >= 500 && r.body.find("unknown variant `close`") != std::string::npos &&
                      !self->no_close_.exchange(true)) {
                    return self->pipeline(url, std::move(baton), std::move(requests), std::move(done));
                  }
                  std::vector<std::string> secrets;
                  if (self) secrets = {self->auth_token_, self->encryption_key_};
                  return deliver(done, Outcome<PipelineResponse>(http_error(r, in_stream, secrets)));
                }
                try {
                  deliver(done, Outcome<PipelineResponse>(hrana::decode_pipeline(r.body, requests)));
                } catch (const Error& e) {
                  deliver(done, Outcome<PipelineResponse>(e));
                }
              });
}

void RemoteEngine::execute(Statement stmt, Callback<ResultSet> done) {
  std::vector<Request> reqs;
  reqs.push_back(hrana::execute(std::move(stmt)));
  reqs.push_back(hrana::close());
  pipeline(pipeline_url_, std::nullopt, std::move(reqs), [done](Outcome<PipelineResponse> o) {
    if (auto* e = std::get_if<Error>(&o)) return deliver(done, Outcome<ResultSet>(*e));
    auto& r = std::get<PipelineResponse>(o);
    if (r.results[0].error) return deliver(done, Outcome<ResultSet>(hrana::to_error(*r.results[0].error)));
    deliver(done, Outcome<ResultSet>(std::move(r.results[0].execute)));
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
    s.condition = Condition::ok(static_cast<int>(i));
    steps.push_back(std::move(s));
  }
  steps.push_back(plain_step("COMMIT", Condition::ok(static_cast<int>(n))));
  steps.push_back(plain_step("ROLLBACK", Condition::negate(Condition::ok(static_cast<int>(n + 1)))));
  std::vector<Request> reqs;
  reqs.push_back(hrana::batch(std::move(steps)));
  reqs.push_back(hrana::close());
  pipeline(pipeline_url_, std::nullopt, std::move(reqs), [done, n](Outcome<PipelineResponse> o) {
    using R = std::vector<ResultSet>;
    if (auto* e = std::get_if<Error>(&o)) return deliver(done, Outcome<R>(*e));
    auto& r = std::get<PipelineResponse>(o);
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
  pipeline(pipeline_url_, std::nullopt, std::move(reqs), [done, n](Outcome<PipelineResponse> o) {
    using R = std::vector<ResultSet>;
    if (auto* e = std::get_if<Error>(&o)) return deliver(done, Outcome<R>(*e));
    auto& r = std::get<PipelineResponse>(o);
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
  pipeline(pipeline_url_, std::nullopt, std::move(reqs),
           [weak, sql, done, as_steps](Outcome<PipelineResponse> o) {
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
      : engine_(std::move(engine)), mode_(mode), options_(options), url_(engine_->pipeline_url()), holds_lane_(holds_lane) {}
  RemoteTxn(const RemoteTxn&) = delete;
  RemoteTxn& operator=(const RemoteTxn&) = delete;

  ~RemoteTxn() override {
    // Dropped while its stream is open (nobody committed or rolled back): close the stream,
    // which makes the server roll back, instead of leaving it to hold locks until it expires.
    std::optional<std::string> baton;
    std::string url;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!ended_) baton = baton_;
      url = url_;
    }
    if (baton && !engine_->closed()) {
      std::vector<Request> reqs;
      reqs.push_back(hrana::close());
      engine_->pipeline(url, std::move(baton), std::move(reqs), [](Outcome<PipelineResponse>) {});
    }
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

  /// Sends `requests` on this stream and tracks the baton; `done` gets the response.
  void send(std::vector<Request> requests, Callback<PipelineResponse> done, bool closing) {
    auto self = shared_from_this();
    std::optional<std::string> baton;
    std::string url;
    {
      std::lock_guard<std::mutex> lock(mu_);
      baton = baton_;
      url = url_;
    }
    engine_->pipeline(url, baton, std::move(requests), [self, done, closing](Outcome<PipelineResponse> o) {
      bool ended = false;
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        if (auto* r = std::get_if<PipelineResponse>(&o)) {
          self->baton_ = r->baton;
          if (r->base_url) self->url_ = *r->base_url + (r->base_url->back() == '/' ? "" : "/") + "v2/pipeline";
          // No baton back: the server closed the stream, and the transaction with it.
          if (!r->baton) self->ended_ = true;
        } else {
          self->ended_ = true;  // any HTTP failure kills the stream
        }
        if (closing) self->ended_ = true;
        ended = self->ended_;
      }
      if (ended) self->release_lane();
      done(std::move(o));
    });
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
    send(std::move(reqs), [this, n, then = std::move(then), fail = std::move(fail)](Outcome<PipelineResponse> o) {
      if (auto* e = std::get_if<Error>(&o)) return fail(*e);
      auto& r = std::get<PipelineResponse>(o);
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
    send(std::move(reqs), [done, finish](Outcome<PipelineResponse> o) {
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
  void run_statements(std::vector<Statement> stmts, Callback<std::vector<ResultSet>> done) {
    using R = std::vector<ResultSet>;
    enqueue([this, stmts = std::move(stmts), done](Finish finish) mutable {
      const bool with_begin = !begun_;
      std::vector<Step> steps;
      if (with_begin) steps = opening_steps();
      const std::size_t first = steps.size();
      const std::size_t n = stmts.size();
      for (std::size_t i = 0; i < n; ++i) {
        Step s;
        s.stmt = std::move(stmts[i]);
        if (i + first > 0) s.condition = Condition::ok(static_cast<int>(i + first - 1));
        steps.push_back(std::move(s));
      }
      std::vector<Request> reqs;
      reqs.push_back(hrana::batch(std::move(steps)));
      send(std::move(reqs), [this, done, finish, with_begin, first, n](Outcome<PipelineResponse> o) {
        if (auto* e = std::get_if<Error>(&o)) {
          deliver(done, Outcome<R>(*e));
          return finish();
        }
        auto& r = std::get<PipelineResponse>(o);
        if (r.results[0].error) {
          deliver(done, Outcome<R>(hrana::to_error(*r.results[0].error)));
          return finish();
        }
        auto& b = r.results[0].batch;
        if (with_begin) {
          if (auto e = batch_error(b, 0, first)) {
            mark_ended();  // BEGIN failed: there is no transaction
            deliver(done, Outcome<R>(*e));
            return finish();
          }
          begun_ = true;
        }
        if (auto e = batch_error(b, first, first + n, first, n)) {
          // A failed statement leaves the transaction open (as locally).
          deliver(done, Outcome<R>(*e));
          return finish();
        }
        deliver(done, Outcome<R>(take_results(b, first, first + n)));
        finish();
      }, false);
    }, [done](const Error& e) { deliver(done, Outcome<R>(e)); });
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
      send(std::move(reqs), [done, finish](Outcome<PipelineResponse> o) {
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
  mutable std::mutex mu_;
  std::string url_;
  std::optional<std::string> baton_;
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
