#include "remote/hrana_http.hpp"

#include <simdjson.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "core/callback.hpp"
#include "core/error_codes.hpp"
#include "core/reaper.hpp"

namespace libsql::detail {
namespace {

using hrana::Request;

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

/// A pipeline may be resent after a dead connection when a replay cannot apply anything
/// twice: on a stream, the server refuses a used baton; without one, only plain reads.
bool retry_safe(const std::optional<std::string>& baton, const std::vector<Request>& requests) {
  if (baton) return true;
  for (const auto& r : requests) {
    switch (r.type) {
      case Request::Type::Close:
      case Request::Type::GetAutocommit: break;
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

bool ok_status(long status) { return status >= 200 && status < 300; }

}  // namespace

std::string hrana_base_for(const ParsedUrl& url) {
  std::string base = url.tls ? "https://" : "http://";
  base += url.host;
  if (url.port) base += ":" + std::to_string(*url.port);
  std::string path = url.path.empty() ? "/" : url.path;
  std::size_t slash = path.rfind('/');
  return base + path.substr(0, slash + 1);  // the base's "directory", as URL resolution does
}

/// One stream over HTTP: the baton is the stream. `base_url` in an answer moves the stream's
/// later requests there.
class HttpStream final : public HranaStream, public std::enable_shared_from_this<HttpStream> {
 public:
  HttpStream(std::weak_ptr<HttpHrana> conn, std::string base) : conn_(std::move(conn)), base_(std::move(base)) {}

  void send(std::vector<Request> requests, Callback<StreamReply> done) override {
    auto self = shared_from_this();
    auto conn = conn_.lock();
    if (!conn) return deliver(done, Outcome<StreamReply>(client_closed_error()));
    conn->with_version([self, requests = std::move(requests), done](int version) mutable {
      self->send_pipeline(version, std::move(requests), std::move(done));
    });
  }

  void cursor(std::vector<hrana::Step> steps, Callback<StreamReply> done) override {
    auto self = shared_from_this();
    auto conn = conn_.lock();
    if (!conn) return deliver(done, Outcome<StreamReply>(client_closed_error()));
    conn->with_version([self, steps = std::move(steps), done](int version) mutable {
      auto c = self->conn_.lock();
      if (version < 3 || !c || c->no_cursor_.load()) {
        std::vector<Request> reqs;
        reqs.push_back(hrana::batch(std::move(steps)));
        return self->send_pipeline(version, std::move(reqs), std::move(done));
      }
      self->send_cursor(std::move(steps), std::move(done));
    });
  }

  void close() override {
    std::optional<std::string> baton;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      closed_ = true;
      baton = baton_;
    }
    if (!baton) return;  // nothing was opened on the server
    auto conn = conn_.lock();
    if (!conn) return;
    std::vector<Request> reqs;
    reqs.push_back(hrana::close());
    const int version = std::max(conn->version(), 2);
    std::string body = hrana::encode_pipeline(baton, reqs, version);
    conn->post(HttpRequest{.url = url_for(version == 3 ? "v3/pipeline" : "v2/pipeline"), .body = std::move(body),
                           .retry_safe = true},
               [](Outcome<HttpResponse>) {});
  }

 private:
  std::string url_for(const char* endpoint) {
    std::lock_guard<std::mutex> lock(mu_);
    return base_ + endpoint;
  }

  /// Takes the answer's baton and base_url: no baton back means the server closed the stream.
  bool track(const std::optional<std::string>& baton, const std::optional<std::string>& base_url) {
    std::lock_guard<std::mutex> lock(mu_);
    baton_ = baton;
    if (base_url && !base_url->empty()) base_ = *base_url + (base_url->back() == '/' ? "" : "/");
    if (!baton) closed_ = true;
    return closed_;
  }

  void kill() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;  // any HTTP failure kills the stream
    baton_.reset();
  }

  std::optional<std::string> current_baton() {
    std::lock_guard<std::mutex> lock(mu_);
    return baton_;
  }

  void send_pipeline(int version, std::vector<Request> requests, Callback<StreamReply> done) {
    auto conn = conn_.lock();
    if (!conn) return deliver(done, Outcome<StreamReply>(client_closed_error()));
    // A server without `close` (tursodb): its results are answered locally.
    std::vector<bool> dropped_close;
    if (conn->no_close_.load()) {
      for (const auto& r : requests) dropped_close.push_back(r.type == Request::Type::Close);
      std::erase_if(requests, [](const Request& r) { return r.type == Request::Type::Close; });
    }
    const std::optional<std::string> baton = current_baton();
    std::string body;
    try {
      body = hrana::encode_pipeline(baton, requests, version);
    } catch (const Error& e) {
      return deliver(done, Outcome<StreamReply>(e));
    }
    const bool in_stream = baton.has_value();
    const bool safe = retry_safe(baton, requests);
    auto self = shared_from_this();
    conn->post(
        HttpRequest{.url = url_for(version == 3 ? "v3/pipeline" : "v2/pipeline"), .body = std::move(body), .retry_safe = safe},
        [self, version, requests = std::move(requests), dropped_close, done, in_stream](Outcome<HttpResponse> outcome) mutable {
          if (auto* e = std::get_if<Error>(&outcome)) {
            self->kill();
            return deliver(done, Outcome<StreamReply>(*e));
          }
          auto& r = std::get<HttpResponse>(outcome);
          auto live = self->conn_.lock();
          if (!ok_status(r.status)) {
            // A server without `close` (tursodb) refuses the whole request before running any
            // of it: from now on, send no `close`, and resend this one without it.
            if (live && r.status >= 500 && r.body.find("unknown variant `close`") != std::string::npos &&
                !live->no_close_.exchange(true)) {
              // Nothing was dropped from this one (no_close_ was off): it is the caller's list.
              return self->send_pipeline(version, std::move(requests), std::move(done));
            }
            self->kill();
            if (!live) return deliver(done, Outcome<StreamReply>(client_closed_error()));
            return deliver(done, Outcome<StreamReply>(live->http_error(r, in_stream)));
          }
          try {
            hrana::PipelineResponse p = hrana::decode_pipeline(r.body, requests);
            StreamReply reply;
            reply.closed = self->track(p.baton, p.base_url);
            reply.results = restore_closes(std::move(p.results), dropped_close);
            if (!dropped_close.empty() && std::find(dropped_close.begin(), dropped_close.end(), true) != dropped_close.end()) {
              reply.closed = true;  // it asked for a close: no stream is left to use
            }
            deliver(done, Outcome<StreamReply>(std::move(reply)));
          } catch (const Error& e) {
            self->kill();
            deliver(done, Outcome<StreamReply>(e));
          }
        });
  }

  /// The results with one empty `close` result put back where a dropped `close` was.
  static std::vector<hrana::StreamResult> restore_closes(std::vector<hrana::StreamResult> results,
                                                          const std::vector<bool>& dropped) {
    if (dropped.empty()) return results;
    std::vector<hrana::StreamResult> out;
    out.reserve(dropped.size());
    std::size_t j = 0;
    for (bool was_close : dropped) {
      if (was_close) out.emplace_back();
      else if (j < results.size()) out.push_back(std::move(results[j++]));
    }
    return out;
  }

  void send_cursor(std::vector<hrana::Step> steps, Callback<StreamReply> done) {
    auto conn = conn_.lock();
    if (!conn) return deliver(done, Outcome<StreamReply>(client_closed_error()));
    const std::optional<std::string> baton = current_baton();
    std::string body;
    try {
      body = hrana::encode_cursor(baton, steps);
    } catch (const Error& e) {
      return deliver(done, Outcome<StreamReply>(e));
    }
    struct Sink {
      explicit Sink(std::size_t n) : decoder(n) {}
      hrana::CursorDecoder decoder;
      std::optional<Error> failed{};
    };
    auto sink = std::make_shared<Sink>(steps.size());
    std::vector<Request> as_batch;
    as_batch.push_back(hrana::batch(std::move(steps)));
    const bool in_stream = baton.has_value();
    const bool safe = retry_safe(baton, as_batch);
    auto self = shared_from_this();
    HttpRequest request{.url = url_for("v3/cursor"), .body = std::move(body), .retry_safe = safe};
    request.on_body = [sink](std::string_view chunk) {
      if (sink->failed) return false;
      try {
        sink->decoder.feed(chunk);
        return true;
      } catch (const Error& e) {
        sink->failed = e;
        return false;
      }
    };
    conn->post(std::move(request), [self, sink, as_batch = std::move(as_batch), done, in_stream](Outcome<HttpResponse> outcome) mutable {
      if (sink->failed) {
        self->kill();
        return deliver(done, Outcome<StreamReply>(*sink->failed));
      }
      if (auto* e = std::get_if<Error>(&outcome)) {
        self->kill();
        return deliver(done, Outcome<StreamReply>(*e));
      }
      auto& r = std::get<HttpResponse>(outcome);
      auto live = self->conn_.lock();
      if (!ok_status(r.status)) {
        if (live && r.status == 404) {
          // No cursors here (the server did not run it): batches go as pipelines from now on.
          live->no_cursor_ = true;
          return self->send_pipeline(3, std::move(as_batch), std::move(done));
        }
        self->kill();
        if (!live) return deliver(done, Outcome<StreamReply>(client_closed_error()));
        if (r.status == 500) {
          // sqld parses a cursor's statements before it runs any, and answers a syntax error
          // with HTTP 500 (`{"error": "Internal Error: `SQL string could not be parsed: ..."}`),
          // which also ends the stream: the caller gets the syntax error.
          const std::string_view marker = "SQL string could not be parsed: ";
          if (std::size_t at = r.body.find(marker); at != std::string::npos) {
            std::string message = r.body.substr(at + marker.size(), 300);
            if (std::size_t end = message.find("`\"}"); end != std::string::npos) message.erase(end);
            return deliver(done, Outcome<StreamReply>(hrana::to_error(hrana::HranaError{message, "SQL_PARSE_ERROR"})));
          }
        }
        return deliver(done, Outcome<StreamReply>(live->http_error(r, in_stream)));
      }
      try {
        hrana::PipelineResponse p = sink->decoder.finish();
        StreamReply reply;
        reply.closed = self->track(p.baton, p.base_url);
        reply.results = std::move(p.results);
        deliver(done, Outcome<StreamReply>(std::move(reply)));
      } catch (const Error& e) {
        self->kill();
        deliver(done, Outcome<StreamReply>(e));
      }
    });
  }

  std::weak_ptr<HttpHrana> conn_;
  std::mutex mu_;
  std::string base_;
  std::optional<std::string> baton_;
  bool closed_ = false;
};

std::shared_ptr<HttpHrana> HttpHrana::create(HttpHranaOptions options) {
  auto conn = std::shared_ptr<HttpHrana>(new HttpHrana(std::move(options)));
  if (conn->version_.load() == 0) conn->probe();
  return conn;
}

HttpHrana::HttpHrana(HttpHranaOptions options)
    : options_(std::move(options)), http_(std::make_unique<HttpTransport>(options_.http)) {
  if (options_.version == 2 || options_.version == 3) version_ = options_.version;
}

HttpHrana::~HttpHrana() {
  close();
  // The last reference may go away inside a callback, on the I/O thread, which cannot join
  // itself: the reaper thread (core/reaper.hpp) waits for the loop to end and frees the transport.
  if (http_ && http_->on_io_thread()) release_elsewhere(std::move(http_));
}

std::shared_ptr<HranaStream> HttpHrana::open_stream() {
  return std::make_shared<HttpStream>(weak_from_this(), options_.base);
}

void HttpHrana::at(std::chrono::steady_clock::time_point when, std::function<void()> fn) {
  http_->at(when, std::move(fn));
}

void HttpHrana::close() {
  std::vector<std::function<void(int)>> waiting;
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiting.swap(waiting_);
  }
  http_->close();
  // Whatever waited for the version now fails in the closed transport.
  for (auto& fn : waiting) fn(2);
}

void HttpHrana::post(HttpRequest request, Callback<HttpResponse> done) {
  request.auth_token = options_.auth_token;
  request.encryption_key = options_.encryption_key;
  http_->post(std::move(request), std::move(done));
}

void HttpHrana::with_version(std::function<void(int)> fn) {
  int v = version_.load();
  if (v == 0) {
    bool start = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      v = version_.load();
      if (v == 0) {
        waiting_.push_back(std::move(fn));
        if (!probing_) probing_ = start = true;
      }
    }
    if (start) probe();
    if (v == 0) return;
  }
  fn(v);
}

void HttpHrana::probe() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    probing_ = true;
  }
  std::weak_ptr<HttpHrana> weak = weak_from_this();
  post(HttpRequest{.url = options_.base + "v3", .retry_safe = true, .method = "GET"}, [weak](Outcome<HttpResponse> o) {
    auto self = weak.lock();
    if (!self) return;
    int v = 2;
    bool known = false;
    if (auto* r = std::get_if<HttpResponse>(&o)) {
      // 401/403: the credentials, not the version; ask again next time.
      known = r->status != 401 && r->status != 403 && r->status < 500;
      v = ok_status(r->status) ? 3 : 2;
    }
    std::vector<std::function<void(int)>> waiting;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      if (known) self->version_ = v;
      self->probing_ = false;
      waiting.swap(self->waiting_);
    }
    // Unknown (no answer): these go as Hrana 2, which every server speaks, and the next
    // request asks again.
    for (auto& fn : waiting) fn(v);
  });
}

Error HttpHrana::http_error(const HttpResponse& r, bool in_stream) const {
  const std::vector<std::string> secrets = {options_.auth_token, options_.encryption_key};
  const std::string status = std::to_string(r.status);
  if (r.status == 401 || r.status == 403) {
    std::string reason = auth_reason(r.body, secrets);
    return make_error(
        ErrorKind::Auth, "AUTH_FAILED",
        "the server rejected the credentials (HTTP " + status + ")" + (reason.empty() ? "" : ": " + reason));
  }
  auto json = json_error_body(r.body);
  if (json && json->code == "STREAM_EXPIRED") {
    return make_error(ErrorKind::Misuse, "TRANSACTION_CLOSED",
                      "the server ended the transaction: its stream expired (" + json->message + ")");
  }
  if (in_stream && r.status == 400 && r.body.find("baton") != std::string::npos) {
    return make_error(ErrorKind::Misuse, "TRANSACTION_CLOSED",
                      "the server ended the transaction: " + r.body.substr(0, 200));
  }
  if (json) {
    return make_error(
        ErrorKind::Protocol, "SERVER_ERROR",
        (json->code.empty() ? "" : json->code + ": ") + json->message + " (HTTP " + status + ")");
  }
  return http_status_error(r, "server", "", options_.auth_token);
}

}  // namespace libsql::detail
