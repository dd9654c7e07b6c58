#include "remote/http_transport.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "core/engine.hpp"
#include "core/error_codes.hpp"
#include "remote/ca_bundle.hpp"
#include "remote/curl_handles.hpp"

namespace libsql::detail {

std::string redact(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (std::size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
    text.replace(pos, secret.size(), "<redacted>");
    pos += 10;
  }
  return text;
}

Error http_status_error(const HttpResponse& r, std::string_view who, std::string_view where,
                        const std::string& secret) {
  const std::string status = std::to_string(r.status);
  if (r.status == 401 || r.status == 403) {
    return make_error(ErrorKind::Auth, "AUTH_FAILED",
                      redact("the " + std::string(who) + " rejected the credentials (HTTP " + status + ")" +
                                 std::string(where),
                             secret));
  }
  std::string text = r.body.substr(0, 200);
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return make_error(
      ErrorKind::Protocol, "SERVER_ERROR",
      redact("Server returned HTTP status " + status + (text.empty() ? "" : ": " + text) + std::string(where),
             secret));
}

namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

void curl_global_once() {
  static CurlGlobal global;  // thread-safe static init; curl_global_init is not thread-safe
  (void)global;
}

std::string curl_code_name(int code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST: return "CURLE_COULDNT_RESOLVE_HOST";
    case CURLE_COULDNT_RESOLVE_PROXY: return "CURLE_COULDNT_RESOLVE_PROXY";
    case CURLE_COULDNT_CONNECT: return "CURLE_COULDNT_CONNECT";
    case CURLE_OPERATION_TIMEDOUT: return "CURLE_OPERATION_TIMEDOUT";
    case CURLE_GOT_NOTHING: return "CURLE_GOT_NOTHING";
    case CURLE_RECV_ERROR: return "CURLE_RECV_ERROR";
    case CURLE_SEND_ERROR: return "CURLE_SEND_ERROR";
    case CURLE_PARTIAL_FILE: return "CURLE_PARTIAL_FILE";
    case CURLE_HTTP2: return "CURLE_HTTP2";
    case CURLE_HTTP2_STREAM: return "CURLE_HTTP2_STREAM";
    case CURLE_SSL_CONNECT_ERROR: return "CURLE_SSL_CONNECT_ERROR";
    case CURLE_PEER_FAILED_VERIFICATION: return "CURLE_PEER_FAILED_VERIFICATION";
    case CURLE_SSL_CERTPROBLEM: return "CURLE_SSL_CERTPROBLEM";
    case CURLE_SSL_CIPHER: return "CURLE_SSL_CIPHER";
    case CURLE_SSL_CACERT_BADFILE: return "CURLE_SSL_CACERT_BADFILE";
    case CURLE_URL_MALFORMAT: return "CURLE_URL_MALFORMAT";
    case CURLE_OUT_OF_MEMORY: return "CURLE_OUT_OF_MEMORY";
    case CURLE_ABORTED_BY_CALLBACK: return "CURLE_ABORTED_BY_CALLBACK";
    case CURLE_SEND_FAIL_REWIND: return "CONNECTION_CLOSED";
    default: return "CURLE_" + std::to_string(code);
  }
}

}  // namespace

void apply_request_timeout(HttpOptions& options, std::chrono::milliseconds timeout) {
  options.request_timeout = std::max(timeout, std::chrono::milliseconds(0));
  if (timeout.count() > 0) options.connect_timeout = std::min(options.connect_timeout, timeout);
}

Error http_transport_error(int curl_code, const std::string& url, const std::string& detail) {
  std::string name = curl_code_name(curl_code);
  std::string text = curl_easy_strerror(static_cast<CURLcode>(curl_code));
  if (curl_code == CURLE_SEND_FAIL_REWIND) {
    text = "the connection closed before the server answered; the request was not sent again "
           "because the server may already have applied it";
  }
  if (!detail.empty() && detail != text) text += " (" + detail + ")";
  ErrorKind kind = curl_code == CURLE_OPERATION_TIMEDOUT ? ErrorKind::Timeout : ErrorKind::Network;
  return Error(kind, 0, name, name + ": " + text + " [" + url + "]");
}

struct HttpTransport::Transfer {
  HttpRequest request;
  std::size_t read_pos = 0;
  /// When the request times out unless the server sends something first (request_timeout).
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::chrono::milliseconds timeout{0};
  bool timed_out = false;
  void touch() {
    if (timeout.count() > 0) deadline = std::chrono::steady_clock::now() + timeout;
  }
  Callback<HttpResponse> done;
  HttpResponse response;
  EasyHandle easy;
  SlistHandle headers;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

HttpTransport::HttpTransport(HttpOptions options) : options_(options) {
  curl_global_once();
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) {
    throw make_error(ErrorKind::Network, "CURLE_OUT_OF_MEMORY", "curl_multi_init failed");
  }
  curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(options_.concurrency));
  // Keep as many idle connections as may run at once, so bursts reuse them instead of
  // opening new ones (libcurl's default cache is smaller).
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(options_.concurrency));
  multi_.reset(multi);
  io_ = std::thread([this] { run(); });
}

HttpTransport::~HttpTransport() { close(); }

void HttpTransport::post(HttpRequest request, Callback<HttpResponse> done) {
  auto t = std::make_unique<Transfer>();
  t->request = std::move(request);
  t->done = std::move(done);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(t));
      curl_multi_wakeup(multi_.get());
      return;
    }
  }
  t->done(client_closed_error());
}

void HttpTransport::at(std::chrono::steady_clock::time_point when, std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  timers_.emplace(when, std::move(fn));
  curl_multi_wakeup(multi_.get());
}

bool HttpTransport::on_io_thread() const noexcept { return io_.get_id() == std::this_thread::get_id(); }

void HttpTransport::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    curl_multi_wakeup(multi_.get());
  }
  // From a callback (the I/O thread itself) the loop just ends after it returns; the owner
  // joins the thread when it destroys the transport (never on the I/O thread).
  if (io_.joinable() && !on_io_thread()) io_.join();
}

void HttpTransport::start_transfer(std::unique_ptr<Transfer> t) {
  CURL* easy = curl_easy_init();
  if (easy == nullptr) {
    t->done(http_transport_error(CURLE_OUT_OF_MEMORY, t->request.url, "curl_easy_init failed"));
    return;
  }
  t->easy.reset(easy);
  std::string ct = "Content-Type: " + t->request.content_type;
  curl_slist* h = curl_slist_append(nullptr, ct.c_str());
  h = curl_slist_append(h, "Expect:");  // no 100-continue round trip for larger bodies
  if (!t->request.auth_token.empty()) {
    std::string auth = "Authorization: Bearer " + t->request.auth_token;
    h = curl_slist_append(h, auth.c_str());
  }
  if (!t->request.encryption_key.empty()) {
    std::string key = "x-turso-encryption-key: " + t->request.encryption_key;
    h = curl_slist_append(h, key.c_str());
  }
  for (const std::string& line : t->request.headers) h = curl_slist_append(h, line.c_str());
  t->headers.reset(h);
  curl_easy_setopt(easy, CURLOPT_URL, t->request.url.c_str());
  if (t->request.method == "GET") curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  else curl_easy_setopt(easy, CURLOPT_POST, 1L);
  // The body goes through a read callback (not POSTFIELDS) so that a resend needs our seek
  // callback: libcurl resends a request when a reused connection dies before the answer, and
  // for a write outside a transaction that would apply it twice if the server had run it.
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->request.body.size()));
  curl_easy_setopt(easy, CURLOPT_READFUNCTION,
                   +[](char* buffer, size_t size, size_t n, void* user) -> size_t {
                     auto* tr = static_cast<Transfer*>(user);
                     const std::string& body = tr->request.body;
                     size_t len = std::min(size * n, body.size() - tr->read_pos);
                     std::memcpy(buffer, body.data() + tr->read_pos, len);
                     tr->read_pos += len;
                     if (len > 0) tr->touch();
                     return len;
                   });
  curl_easy_setopt(easy, CURLOPT_READDATA, t.get());
  curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION,
                   +[](void* user, curl_off_t offset, int origin) -> int {
                     auto* tr = static_cast<Transfer*>(user);
                     if (origin != SEEK_SET || offset != 0) return CURL_SEEKFUNC_CANTSEEK;
                     if (tr->read_pos != 0 && !tr->request.retry_safe) return CURL_SEEKFUNC_FAIL;
                     tr->read_pos = 0;
                     return CURL_SEEKFUNC_OK;
                   });
  curl_easy_setopt(easy, CURLOPT_SEEKDATA, t.get());
  // Connections idle longer than this are not reused (servers and proxies drop idle ones).
  curl_easy_setopt(easy, CURLOPT_MAXAGE_CONN, 30L);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers.get());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  set_ca_bundle(easy);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  // The request deadline is ours (expire_transfers), not CURLOPT_TIMEOUT_MS: libcurl's bounds
  // the whole transfer, which would cut a long answer that keeps streaming in.
  t->timeout = options_.request_timeout;
  t->touch();
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->error_buffer);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION,
                   +[](char* data, size_t size, size_t n, void* user) -> size_t {
                     auto* tr = static_cast<Transfer*>(user);
                     tr->touch();
                     if (tr->request.on_body) {
                       long status = 0;
                       curl_easy_getinfo(tr->easy.get(), CURLINFO_RESPONSE_CODE, &status);
                       if (status >= 200 && status < 300) {
                         return tr->request.on_body(std::string_view(data, size * n)) ? size * n : 0;
                       }
                     }
                     tr->response.body.append(data, size * n);
                     return size * n;
                   });
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, t.get());
  Transfer* raw = t.release();
  curl_easy_setopt(easy, CURLOPT_PRIVATE, raw);
  CURLMcode mc = curl_multi_add_handle(multi_.get(), easy);
  if (mc != CURLM_OK) {
    std::unique_ptr<Transfer> back(raw);
    back->done(make_error(ErrorKind::Network, "CURLM_ERROR", curl_multi_strerror(mc)));
    return;
  }
  ++active_;
  in_flight_.insert(raw);
}

void HttpTransport::finish_transfer(Transfer* raw, int code) {
  std::unique_ptr<Transfer> t(raw);
  curl_multi_remove_handle(multi_.get(), t->easy.get());
  in_flight_.erase(raw);
  --active_;
  if (t->timed_out) {
    t->done(http_transport_error(
        CURLE_OPERATION_TIMEDOUT, t->request.url,
        "the server sent nothing for " + std::to_string(t->timeout.count()) +
            " ms, the request timeout; the request was not sent again, and the server may still apply it"));
    return;
  }
  if (code != CURLE_OK) {
    t->done(http_transport_error(code, t->request.url, t->error_buffer));
    return;
  }
  curl_easy_getinfo(t->easy.get(), CURLINFO_RESPONSE_CODE, &t->response.status);
  char* ct = nullptr;
  curl_easy_getinfo(t->easy.get(), CURLINFO_CONTENT_TYPE, &ct);
  if (ct != nullptr) t->response.content_type = ct;
  if (t->request.keep_response_headers) {
    for (curl_header* h = curl_easy_nextheader(t->easy.get(), CURLH_HEADER, -1, nullptr); h != nullptr;
         h = curl_easy_nextheader(t->easy.get(), CURLH_HEADER, -1, h)) {
      std::string name = h->name;
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      t->response.headers.emplace_back(std::move(name), h->value);
    }
  }
  t->done(std::move(t->response));
}

std::chrono::milliseconds HttpTransport::expire_transfers(std::chrono::milliseconds cap) {
  if (options_.request_timeout.count() <= 0 || in_flight_.empty()) return cap;
  const auto now = std::chrono::steady_clock::now();
  std::vector<Transfer*> late;
  auto next = now + cap;
  for (Transfer* t : in_flight_) {
    if (t->deadline <= now) late.push_back(t);
    else next = std::min(next, t->deadline);
  }
  for (Transfer* t : late) {
    t->timed_out = true;
    finish_transfer(t, CURLE_OPERATION_TIMEDOUT);  // removes it from the multi handle: nothing is resent
  }
  return std::chrono::ceil<std::chrono::milliseconds>(next - now);
}

void HttpTransport::run() {
  CURLM* multi = multi_.get();
  for (;;) {
    std::deque<std::unique_ptr<Transfer>> starting;
    std::vector<std::function<void()>> due;
    int wait_ms = 1000;
    bool stopping = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping = stopping_;
      const auto now = std::chrono::steady_clock::now();
      while (!stopping && !timers_.empty() && timers_.begin()->first <= now) {
        due.push_back(std::move(timers_.begin()->second));
        timers_.erase(timers_.begin());
      }
      if (!timers_.empty()) {
        auto until = std::chrono::ceil<std::chrono::milliseconds>(timers_.begin()->first - now).count();
        wait_ms = static_cast<int>(std::clamp<long long>(until, 0, wait_ms));
      }
      while (!stopping && !queue_.empty() &&
             active_ + static_cast<int>(starting.size()) < options_.concurrency) {
        starting.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (stopping) break;
    for (auto& t : starting) start_transfer(std::move(t));
    for (auto& fn : due) fn();  // what they post wakes the poll below
    due.clear();
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
      finish_transfer(t, msg->data.result);
    }
    wait_ms = static_cast<int>(expire_transfers(std::chrono::milliseconds(wait_ms)).count());
    curl_multi_poll(multi, nullptr, 0, wait_ms, nullptr);
  }
  // Stopping: fail everything still queued or in flight.
  std::deque<std::unique_ptr<Transfer>> rest;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rest.swap(queue_);
    dropped.swap(timers_);  // destroyed outside the lock
  }
  dropped.clear();
  for (auto& t : rest) t->done(client_closed_error());
  for (Transfer* t : in_flight_) {
    curl_multi_remove_handle(multi, t->easy.get());
    std::unique_ptr<Transfer> owned(t);
    owned->done(client_closed_error());
  }
  in_flight_.clear();
}

}  // namespace libsql::detail
