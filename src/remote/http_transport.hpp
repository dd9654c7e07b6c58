#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "libsql/client.hpp"
#include "remote/curl_handles.hpp"

namespace libsql::detail {

struct HttpRequest {
  std::string url{};
  std::string body{};
  std::string auth_token{};  ///< sent as `Authorization: Bearer`; never logged
  std::string encryption_key{};  ///< sent as `x-turso-encryption-key`; never logged
  std::string content_type = "application/json";
  /// May libcurl resend the request when a reused connection dies before any byte of the
  /// answer? Only when running it twice cannot change the database (see remote_engine.cpp).
  bool retry_safe = false;
  /// Extra request header lines, "Name: value" (the replica's gRPC-web metadata). Never logged.
  std::vector<std::string> headers{};
  /// "POST" (the default, with `body`) or "GET" (no body).
  std::string method = "POST";
  /// Fill HttpResponse::headers (gRPC-web answers errors in the headers).
  bool keep_response_headers = false;
  /// When set, a 2xx answer's body goes here as it arrives (not into HttpResponse::body);
  /// returning false aborts the transfer. Runs on the I/O thread.
  std::function<bool(std::string_view)> on_body{};
};

struct HttpResponse {
  long status = 0;
  std::string body{};
  std::string content_type{};
  /// Response headers (names lower-cased), only when the request asked for them.
  std::vector<std::pair<std::string, std::string>> headers{};
};

/// `text` with every occurrence of `secret` (a token, a key) replaced by "<redacted>".
[[nodiscard]] std::string redact(std::string text, const std::string& secret);

/// The error for an HTTP answer that is not a success, the one shape every client of the
/// transport uses: 401/403 -> AUTH_FAILED "the <who> rejected the credentials (HTTP n)<where>";
/// anything else -> SERVER_ERROR "Server returned HTTP status n: <first 200 bytes of the body,
/// on one line><where>". `secret` never appears in the message.
[[nodiscard]] Error http_status_error(const HttpResponse& r, std::string_view who, std::string_view where,
                                      const std::string& secret);

struct HttpOptions {
  int concurrency = 20;                               ///< requests in flight at once
  std::chrono::milliseconds connect_timeout{10000};
  /// The request deadline: a request fails with a Timeout error (CURLE_OPERATION_TIMEDOUT)
  /// when the server sends nothing for this long, from the moment the request starts (its
  /// connection and sending included) until its answer is complete; every chunk of the answer
  /// that arrives starts the wait again (as Node's fetch: undici's headersTimeout and
  /// bodyTimeout). A timed-out request is never sent again. 0 = none.
  std::chrono::milliseconds request_timeout{0};
};

/// libcurl's multi interface on one I/O thread: keep-alive connections, HTTP/2 when the
/// server offers it (multiplexed), TLS always verified, bounded parallelism. Thread-safe.
/// Callbacks run on the I/O thread: keep them short, never block.
class HttpTransport {
 public:
  explicit HttpTransport(HttpOptions options);
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;
  ~HttpTransport();

  void post(HttpRequest request, Callback<HttpResponse> done);
  /// Runs `fn` on the I/O thread at `when` (or soon after); dropped, never run, once the
  /// transport closes.
  void at(std::chrono::steady_clock::time_point when, std::function<void()> fn);
  /// Fails queued and in-flight requests with CLIENT_CLOSED and stops the I/O thread.
  void close();
  /// True on the I/O thread (where callbacks run): the transport must not be destroyed there.
  [[nodiscard]] bool on_io_thread() const noexcept;

 private:
  struct Transfer;
  void run();
  void start_transfer(std::unique_ptr<Transfer> t);
  void finish_transfer(Transfer* t, int curl_code);
  /// Fails the transfers whose deadline passed; returns how long until the next one is due
  /// (capped at `cap`).
  std::chrono::milliseconds expire_transfers(std::chrono::milliseconds cap);

  HttpOptions options_;
  MultiHandle multi_;  // used by the I/O thread (and curl_multi_wakeup); freed after it is joined
  std::mutex mu_;
  std::deque<std::unique_ptr<Transfer>> queue_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> timers_;
  bool stopping_ = false;
  int active_ = 0;                           // I/O thread only
  std::unordered_set<Transfer*> in_flight_;  // I/O thread only
  std::thread io_;
};

/// Puts a Config's `timeout` into transport options: the request deadline, and the connect
/// timeout bounded by it (at most 10 s). 0 = no request deadline.
void apply_request_timeout(HttpOptions& options, std::chrono::milliseconds timeout);

/// `libsql::Error` for a failed transfer (curl code) — never contains the token.
Error http_transport_error(int curl_code, const std::string& url, const std::string& detail);

}  // namespace libsql::detail
