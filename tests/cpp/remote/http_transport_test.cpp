// HttpTransport (src/remote/http_transport.*) against a loopback HTTP/1.1 server run by the
// test itself: status codes and bodies, request headers, timeouts, dropped and refused
// connections, closing, timers and the bound on requests in flight. No timing decides a
// result: a server that never answers is what makes a timeout.
#include "remote/http_transport.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "core/reaper.hpp"
#include "support/ports.hpp"

namespace {

using libsql::Error;
using libsql::ErrorKind;
using libsql::Outcome;
using libsql::detail::HttpOptions;
using libsql::detail::HttpRequest;
using libsql::detail::HttpResponse;
using libsql::detail::HttpTransport;
using namespace std::chrono_literals;

/// What the server does with one request.
struct Reply {
  /// Trickle: the answer's body goes out in `chunks` pieces, `gap` apart.
  enum class Action { Answer, Drop, Hang, Trickle } action = Action::Answer;
  int status = 200;
  std::string body{};
  std::string content_type = "application/json";
  int chunks = 1;
  std::chrono::milliseconds gap{0};
};

/// A request as the server saw it: the head (request line and headers) and the body.
struct Seen {
  std::string head;
  std::string body;
};

/// An HTTP/1.1 server on 127.0.0.1 (free port), one thread per connection, keep-alive. Every
/// thread polls in short slices and ends when the server is destroyed: all loops are bounded.
class LoopbackServer {
 public:
  using Handler = std::function<Reply(const Seen&)>;

  explicit LoopbackServer(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listen_fd_, 64) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
    }
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accepter_ = std::thread([this] { accept_loop(); });
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  ~LoopbackServer() {
    stop_ = true;
    accepter_.join();
    std::vector<std::thread> conns;
    {
      std::lock_guard<std::mutex> lock(mu_);
      conns.swap(connections_);
    }
    for (auto& t : conns) t.join();
    close(listen_fd_);
  }

  [[nodiscard]] std::string url(const std::string& path = "/v2/pipeline") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  [[nodiscard]] std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  [[nodiscard]] int max_in_flight() const { return max_in_flight_.load(); }
  [[nodiscard]] int connections() const { return accepted_.load(); }

 private:
  /// Waits for `fd` to become readable, in slices, until the server stops.
  bool readable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  void accept_loop() {
    while (readable(listen_fd_)) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++accepted_;
      std::lock_guard<std::mutex> lock(mu_);
      connections_.emplace_back([this, fd] { serve(fd); });
    }
  }

  /// One request from `fd` into `out` (using `buffer` across keep-alive requests); false at
  /// end of stream or stop.
  bool read_request(int fd, std::string& buffer, Seen& out) {
    std::size_t head_end = std::string::npos;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!read_some(fd, buffer)) return false;
    }
    out.head = buffer.substr(0, head_end + 2);
    std::size_t length = 0;
    std::string lower = out.head;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (auto at = lower.find("content-length:"); at != std::string::npos) {
      length = static_cast<std::size_t>(std::stoul(lower.substr(at + 15)));
    }
    while (buffer.size() < head_end + 4 + length) {
      if (!read_some(fd, buffer)) return false;
    }
    out.body = buffer.substr(head_end + 4, length);
    buffer.erase(0, head_end + 4 + length);
    return true;
  }

  bool read_some(int fd, std::string& buffer) {
    if (!readable(fd)) return false;
    char chunk[65536];
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  void serve(int fd) {
    std::string buffer;
    Seen request;
    while (read_request(fd, buffer, request)) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.push_back(request);
      }
      const int now = ++in_flight_;
      int before = max_in_flight_.load();
      while (now > before && !max_in_flight_.compare_exchange_weak(before, now)) {
      }
      const Reply reply = handler_(request);
      if (reply.action == Reply::Action::Drop) {
        --in_flight_;
        break;
      }
      if (reply.action == Reply::Action::Hang) {
        while (read_some(fd, buffer)) {
        }
        --in_flight_;
        break;
      }
      const std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " Status\r\nContent-Type: " +
                              reply.content_type + "\r\nContent-Length: " + std::to_string(reply.body.size()) +
                              "\r\n\r\n" + reply.body;
      --in_flight_;
      const std::size_t head_size = out.size() - reply.body.size();
      const std::size_t pieces = reply.action == Reply::Action::Trickle ? static_cast<std::size_t>(std::max(1, reply.chunks)) : 1;
      const std::size_t piece = (reply.body.size() + pieces - 1) / std::max<std::size_t>(pieces, 1);
      std::size_t sent = 0;
      while (sent < out.size() && !stop_) {
        // The head at once, then the body one piece at a time (a whole piece per send).
        std::size_t until = out.size();
        if (pieces > 1) {
          until = sent < head_size ? head_size : std::min(out.size(), sent + std::max<std::size_t>(piece, 1));
          if (sent >= head_size) std::this_thread::sleep_for(reply.gap);
        }
        while (sent < until) {
          const ssize_t n = send(fd, out.data() + sent, until - sent, MSG_NOSIGNAL);
          if (n <= 0) {
            sent = out.size();
            break;
          }
          sent += static_cast<std::size_t>(n);
        }
      }
    }
    close(fd);
  }

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::vector<Seen> seen_;
  std::vector<std::thread> connections_;
  std::thread accepter_;
};

/// Posts and waits for the callback (bounded by the transport's own timeouts).
Outcome<HttpResponse> post(HttpTransport& http, HttpRequest request) {
  std::promise<Outcome<HttpResponse>> promise;
  auto future = promise.get_future();
  http.post(std::move(request), [&promise](Outcome<HttpResponse> o) { promise.set_value(std::move(o)); });
  return future.get();
}

HttpRequest request_to(const std::string& url, std::string body = "{}") {
  HttpRequest r;
  r.url = url;
  r.body = std::move(body);
  return r;
}

const Error& error_of(const Outcome<HttpResponse>& o) {
  static const Error none(ErrorKind::Misuse, 0, "NONE", "NONE: the request succeeded");
  const auto* e = std::get_if<Error>(&o);
  EXPECT_NE(e, nullptr) << "expected an error";
  return e ? *e : none;
}

TEST(HttpTransport, StatusCodesBodiesAndContentTypesComeBackAsSent) {
  LoopbackServer server([](const Seen& s) {
    if (s.head.find("/missing") != std::string::npos) return Reply{Reply::Action::Answer, 404, "not here", "text/plain"};
    if (s.head.find("/broken") != std::string::npos) return Reply{Reply::Action::Answer, 500, "{\"error\":\"x\"}"};
    if (s.head.find("/auth") != std::string::npos) return Reply{Reply::Action::Answer, 401, ""};
    return Reply{Reply::Action::Answer, 200, "{\"ok\":" + s.body + "}"};
  });
  HttpTransport http(HttpOptions{});
  struct Case {
    std::string path;
    long status;
    std::string body;
    std::string content_type;
  };
  const Case cases[] = {
      {"/v2/pipeline", 200, "{\"ok\":{}}", "application/json"},
      {"/missing", 404, "not here", "text/plain"},
      {"/broken", 500, "{\"error\":\"x\"}", "application/json"},
      {"/auth", 401, "", "application/json"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    auto o = post(http, request_to(server.url(c.path)));
    ASSERT_TRUE(std::holds_alternative<HttpResponse>(o)) << std::get<Error>(o).what();
    const auto& r = std::get<HttpResponse>(o);
    EXPECT_EQ(r.status, c.status);
    EXPECT_EQ(r.body, c.body);
    EXPECT_EQ(r.content_type, c.content_type);
  }
  EXPECT_EQ(server.connections(), 1) << "one keep-alive connection for requests one after another";
}

TEST(HttpTransport, SendsTheBodyAndTheHeadersItShould) {
  LoopbackServer server([](const Seen&) { return Reply{}; });
  HttpTransport http(HttpOptions{});
  HttpRequest r = request_to(server.url(), std::string(300000, 'x') + "end");
  r.auth_token = "secret-token";
  r.encryption_key = "key-bytes";
  ASSERT_TRUE(std::holds_alternative<HttpResponse>(post(http, r)));
  HttpRequest plain = request_to(server.url(), "{\"a\":1}");
  plain.content_type = "application/x-protobuf";
  ASSERT_TRUE(std::holds_alternative<HttpResponse>(post(http, plain)));

  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].head.rfind("POST /v2/pipeline HTTP/1.1\r\n", 0), 0u) << seen[0].head;
  EXPECT_EQ(seen[0].body, r.body);
  EXPECT_NE(seen[0].head.find("Authorization: Bearer secret-token\r\n"), std::string::npos) << seen[0].head;
  EXPECT_NE(seen[0].head.find("x-turso-encryption-key: key-bytes\r\n"), std::string::npos) << seen[0].head;
  EXPECT_NE(seen[0].head.find("Content-Type: application/json\r\n"), std::string::npos) << seen[0].head;
  EXPECT_EQ(seen[0].head.find("Expect:"), std::string::npos) << "no 100-continue round trip";
  EXPECT_EQ(seen[1].body, "{\"a\":1}");
  EXPECT_NE(seen[1].head.find("Content-Type: application/x-protobuf\r\n"), std::string::npos) << seen[1].head;
  EXPECT_EQ(seen[1].head.find("Authorization"), std::string::npos) << "no token, no header";
  EXPECT_EQ(seen[1].head.find("x-turso-encryption-key"), std::string::npos);
}

TEST(HttpTransport, AServerThatNeverAnswersIsATimeout) {
  LoopbackServer server([](const Seen&) { return Reply{Reply::Action::Hang}; });
  HttpOptions options;
  options.request_timeout = 300ms;
  HttpTransport http(options);
  HttpRequest r = request_to(server.url());
  r.auth_token = "secret-token";
  const auto o = post(http, r);
  const Error& e = error_of(o);
  EXPECT_EQ(e.kind(), ErrorKind::Timeout);
  EXPECT_EQ(e.code_name(), "CURLE_OPERATION_TIMEDOUT");
  const std::string what = e.what();
  EXPECT_EQ(what.rfind("CURLE_OPERATION_TIMEDOUT: ", 0), 0u) << what;
  EXPECT_NE(what.find("127.0.0.1"), std::string::npos) << "names the server: " << what;
  EXPECT_EQ(what.find("secret-token"), std::string::npos) << "never the token: " << what;
}

TEST(HttpTransport, TheRequestTimeoutCountsSilenceNotTheWholeAnswer) {
  // An answer that streams in for longer than the request timeout, in pieces far closer
  // together than it, arrives whole: the deadline restarts with every piece (as fetch's
  // bodyTimeout), so a long result is not cut. 40 pieces 50 ms apart against 1 s.
  std::string body(40 * 64, 'x');
  LoopbackServer server([&body](const Seen&) {
    Reply r{Reply::Action::Trickle, 200, body};
    r.chunks = 40;
    r.gap = 50ms;
    return r;
  });
  HttpOptions options;
  options.request_timeout = 1000ms;
  HttpTransport http(options);
  const auto o = post(http, request_to(server.url()));
  ASSERT_TRUE(std::holds_alternative<HttpResponse>(o)) << std::get<Error>(o).what();
  EXPECT_EQ(std::get<HttpResponse>(o).body, body);
}

TEST(HttpTransport, ATimedOutRequestIsNotSentAgainAndTheTransportGoesOn) {
  // The first request hangs (times out), the second is answered: the hung one reached the
  // server once, and its connection is not reused for the next one.
  std::atomic<int> count{0};
  LoopbackServer server([&count](const Seen&) { return ++count == 1 ? Reply{Reply::Action::Hang} : Reply{}; });
  HttpOptions options;
  options.request_timeout = 300ms;
  HttpTransport http(options);
  HttpRequest first = request_to(server.url(), "{\"write\":1}");
  first.retry_safe = true;  // even a request that could be resent is not: a timeout is not a dead connection
  const auto timed_out = post(http, first);
  const Error& e = error_of(timed_out);
  EXPECT_EQ(e.kind(), ErrorKind::Timeout) << e.what();
  EXPECT_NE(std::string(e.what()).find("300 ms"), std::string::npos) << "says which timeout: " << e.what();
  EXPECT_NE(std::string(e.what()).find("not sent again"), std::string::npos) << e.what();
  const auto o = post(http, request_to(server.url(), "{\"read\":1}"));
  ASSERT_TRUE(std::holds_alternative<HttpResponse>(o)) << std::get<Error>(o).what();
  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].body, "{\"write\":1}");
  EXPECT_EQ(seen[1].body, "{\"read\":1}");
  EXPECT_EQ(server.connections(), 2) << "the timed-out request's connection is not reused";
}

TEST(HttpTransport, AConnectionDroppedBeforeTheAnswerIsANetworkError) {
  LoopbackServer server([](const Seen&) { return Reply{Reply::Action::Drop}; });
  HttpTransport http(HttpOptions{});
  const auto o = post(http, request_to(server.url()));
  const Error& e = error_of(o);
  EXPECT_EQ(e.kind(), ErrorKind::Network);
  EXPECT_EQ(e.code_name(), "CURLE_GOT_NOTHING") << e.what();
}

TEST(HttpTransport, ARequestDroppedOnAReusedConnectionIsResentOnlyWhenSafe) {
  // The first request opens a connection and is answered; the second is dropped on that
  // connection after its body arrived. libcurl would resend it on a fresh connection, which
  // could apply a write twice: only a request marked retry_safe is resent.
  for (const bool safe : {false, true}) {
    SCOPED_TRACE(safe ? "retry_safe" : "not retry_safe");
    std::atomic<int> count{0};
    LoopbackServer server([&count](const Seen&) { return ++count == 2 ? Reply{Reply::Action::Drop} : Reply{}; });
    HttpTransport http(HttpOptions{});
    ASSERT_TRUE(std::holds_alternative<HttpResponse>(post(http, request_to(server.url()))));
    HttpRequest second = request_to(server.url());
    second.retry_safe = safe;
    const auto o = post(http, second);
    if (safe) {
      ASSERT_TRUE(std::holds_alternative<HttpResponse>(o)) << std::get<Error>(o).what();
      EXPECT_EQ(count.load(), 3) << "sent again on a fresh connection";
    } else {
      const Error& e = error_of(o);
      EXPECT_EQ(e.kind(), ErrorKind::Network) << e.what();
      EXPECT_EQ(e.code_name(), "CONNECTION_CLOSED") << e.what();
      EXPECT_EQ(count.load(), 2) << "sent once, not again";
    }
  }
}

TEST(HttpTransport, NobodyListeningIsANetworkError) {
  const int port = libsql::test::free_port();
  HttpTransport http(HttpOptions{});
  const auto o = post(http, request_to("http://127.0.0.1:" + std::to_string(port) + "/v2/pipeline"));
  const Error& e = error_of(o);
  EXPECT_EQ(e.kind(), ErrorKind::Network);
  EXPECT_EQ(e.code_name(), "CURLE_COULDNT_CONNECT") << e.what();
}

TEST(HttpTransport, RequestsInFlightNeverExceedTheConcurrency) {
  // Each answer waits until 4 requests have arrived or 8 were seen in all: with a bound of 2,
  // at most 2 are ever held at once, and every request still gets its answer.
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  LoopbackServer server([&](const Seen&) {
    std::unique_lock<std::mutex> lock(mu);
    ++arrived;
    cv.notify_all();
    cv.wait_for(lock, 50ms, [&] { return arrived >= 4; });
    return Reply{};
  });
  HttpOptions options;
  options.concurrency = 2;
  HttpTransport http(options);
  std::vector<std::future<Outcome<HttpResponse>>> futures;
  std::vector<std::shared_ptr<std::promise<Outcome<HttpResponse>>>> promises;
  for (int i = 0; i < 8; ++i) {
    auto p = std::make_shared<std::promise<Outcome<HttpResponse>>>();
    futures.push_back(p->get_future());
    http.post(request_to(server.url()), [p](Outcome<HttpResponse> o) { p->set_value(std::move(o)); });
    promises.push_back(std::move(p));
  }
  for (auto& f : futures) {
    auto o = f.get();
    ASSERT_TRUE(std::holds_alternative<HttpResponse>(o)) << std::get<Error>(o).what();
    EXPECT_EQ(std::get<HttpResponse>(o).status, 200);
  }
  EXPECT_LE(server.max_in_flight(), 2);
  EXPECT_LE(server.connections(), 2);
}

TEST(HttpTransport, CloseFailsWhatIsInFlightAndWhatComesAfter) {
  std::promise<void> arrived;
  std::atomic<bool> once{false};
  LoopbackServer server([&](const Seen&) {
    if (!once.exchange(true)) arrived.set_value();
    return Reply{Reply::Action::Hang};
  });
  auto http = std::make_unique<HttpTransport>(HttpOptions{});
  std::promise<Outcome<HttpResponse>> in_flight;
  http->post(request_to(server.url()), [&](Outcome<HttpResponse> o) { in_flight.set_value(std::move(o)); });
  arrived.get_future().wait();  // the server holds it: in flight
  http->close();
  const auto o = in_flight.get_future().get();
  EXPECT_EQ(error_of(o).code_name(), "CLIENT_CLOSED");
  const auto after = post(*http, request_to(server.url()));
  EXPECT_EQ(error_of(after).code_name(), "CLIENT_CLOSED") << "after close: at once";
  http->close();  // idempotent
  http.reset();
}

TEST(HttpTransport, TimersRunInOrderOnTheIoThreadAndAreDroppedOnClose) {
  HttpTransport http(HttpOptions{});
  std::mutex mu;
  std::vector<int> order;
  std::promise<void> last;
  std::atomic<bool> on_io{true};
  const auto now = std::chrono::steady_clock::now();
  http.at(now + 30ms, [&] {
    if (!http.on_io_thread()) on_io = false;
    std::lock_guard<std::mutex> lock(mu);
    order.push_back(2);
    last.set_value();
  });
  http.at(now, [&] {
    if (!http.on_io_thread()) on_io = false;
    std::lock_guard<std::mutex> lock(mu);
    order.push_back(1);
  });
  last.get_future().wait();
  EXPECT_TRUE(on_io.load());
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
  }
  EXPECT_FALSE(http.on_io_thread());
  auto never = std::make_shared<std::atomic<bool>>(false);
  http.at(now + 1h, [never] { *never = true; });
  http.close();
  http.at(now, [never] { *never = true; });  // after close: dropped
  EXPECT_FALSE(never->load());
}

TEST(HttpTransport, ACallbackMayDropTheLastReferenceToItsOwner) {
  // What RemoteEngine and TursoSyncClient do when their last reference goes away inside a
  // callback: the transport is handed to the reaper thread, which joins its I/O thread.
  LoopbackServer server([](const Seen&) { return Reply{}; });
  auto http = std::make_shared<HttpTransport>(HttpOptions{});
  std::promise<void> done;
  auto* raw = http.get();
  raw->post(request_to(server.url()), [http = std::move(http), &done](Outcome<HttpResponse>) mutable {
    EXPECT_TRUE(http->on_io_thread());
    libsql::detail::release_elsewhere(std::move(http));
    done.set_value();
  });
  done.get_future().wait();
}

}  // namespace
