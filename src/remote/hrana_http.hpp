#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/url.hpp"
#include "remote/hrana_stream.hpp"
#include "remote/http_transport.hpp"

namespace libsql::detail {

struct HttpHranaOptions {
  std::string base{};  ///< `https://h/db/`: endpoints resolve against it (`v2/pipeline`, ...)
  std::string auth_token{};
  std::string encryption_key{};  ///< sent as `x-turso-encryption-key`; never in a message
  HttpOptions http{};
  /// 2 or 3 to use that Hrana version without asking; 0 to ask the server once (`GET v3`:
  /// 2xx means Hrana 3, anything else Hrana 2), as @libsql/hrana-client does in v3 mode.
  int version = 0;
};

/// Hrana over HTTP: JSON pipelines (`v2/pipeline` or `v3/pipeline`) whose baton is the stream,
/// and on Hrana 3 `v3/cursor` for batches whose rows stream in. The version is asked once per
/// connection, at creation; requests made meanwhile wait for the answer. A server that answers
/// `GET v3` but has no `v3/cursor` (404) is remembered too: its batches go as pipelines.
class HttpHrana final : public HranaConnection, public std::enable_shared_from_this<HttpHrana> {
 public:
  static std::shared_ptr<HttpHrana> create(HttpHranaOptions options);
  ~HttpHrana() override;

  std::shared_ptr<HranaStream> open_stream() override;
  void at(std::chrono::steady_clock::time_point when, std::function<void()> fn) override;
  void close() override;
  [[nodiscard]] int version() const noexcept override { return version_.load(); }

 private:
  friend class HttpStream;
  explicit HttpHrana(HttpHranaOptions options);
  void probe();
  /// Runs `fn` with the version once it is known (at once when it is).
  void with_version(std::function<void(int)> fn);
  void post(HttpRequest request, Callback<HttpResponse> done);
  [[nodiscard]] Error http_error(const HttpResponse& r, bool in_stream) const;

  HttpHranaOptions options_;
  std::unique_ptr<HttpTransport> http_;
  std::atomic<int> version_{0};
  std::atomic<bool> no_cursor_{false};  // answered `GET v3` but not `v3/cursor`
  std::atomic<bool> no_close_{false};   // the server does not know the `close` request (tursodb)
  std::mutex mu_;
  bool probing_ = false;
  std::vector<std::function<void(int)>> waiting_;
};

/// `https://h/db` -> `https://h/`; `https://h/db/` -> `https://h/db/` (the base endpoints
/// resolve against, as @libsql/client resolves `v2/pipeline` relative to the URL).
std::string hrana_base_for(const ParsedUrl& url);

}  // namespace libsql::detail
