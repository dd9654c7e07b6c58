#include "remote/hrana_ws.hpp"

#include <openssl/rand.h>
#include <poll.h>
#include <simdjson.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <variant>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/callback.hpp"
#include "core/error_codes.hpp"
#include "core/json_writer.hpp"
#include "core/reaper.hpp"
#include "remote/ws_client.hpp"

namespace libsql::detail {
namespace {

using hrana::Request;
using Clock = std::chrono::steady_clock;
constexpr std::string_view kWsError = "HRANA_WEBSOCKET_ERROR";

/// What the server answered to one request: the `response` object's JSON, or its error.
struct Answer {
  bool ok = false;
  std::string response{};
  hrana::HranaError error{};
};
using AnswerHandler = std::function<void(Outcome<Answer>)>;

/// The server's reason for refusing `hello`, or "" when it could carry the token.
std::string safe_reason(std::string_view reason, const std::string& token) {
  if (reason.empty() || reason.size() > 300) return "";
  if (!token.empty() && reason.find(token) != std::string_view::npos) return "";
  if (token.size() > 16 && reason.find(token.substr(token.size() - 16)) != std::string_view::npos) return "";
  for (char c : reason) {
    if (static_cast<unsigned char>(c) < 0x20) return "";
  }
  return std::string(reason);
}

Error stream_lost_error() {
  return make_error(ErrorKind::Misuse, "TRANSACTION_CLOSED",
                    "the server ended the transaction: the WebSocket connection that carried its stream was lost "
                    "(the server rolled back what it had not committed)");
}

}  // namespace

/// The connection's I/O thread and everything only it touches: the sockets, the frames, the
/// requests in flight. Other threads reach it through `post` (tasks) and `at` (timers).
///
/// New streams go to the current socket. Once it is older than `max_socket_age`, the next new
/// stream opens a new socket (as @libsql/client's ws client does after 60 s); the old one
/// keeps serving the streams opened on it (a transaction in flight finishes there) and is
/// closed when the last of them closed and nothing waits on it.
class WsHrana::Core {
 public:
  explicit Core(WsHranaOptions options) : options_(std::move(options)) {
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) throw make_error(ErrorKind::Network, kWsError, "eventfd failed");
    thread_ = std::thread([this] { run(); });
  }
  ~Core() {
    close();
    if (thread_.joinable()) thread_.join();  // the owner never drops it on its own thread (see ~WsHrana)
    if (connector_.joinable()) connector_.join();  // at most the connect timeout
    ::close(wake_fd_);
  }
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  [[nodiscard]] bool on_io_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

  /// Runs `task` on the I/O thread. After the thread stopped it runs here at once: tasks see
  /// `closing()` and only fail their callbacks.
  void post(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!stopped_) {
        tasks_.push_back(std::move(task));
        wake();
        return;
      }
    }
    task();
  }

  void at(Clock::time_point when, std::function<void()> fn) {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return;
    timers_.emplace(when, std::move(fn));
    wake();
  }

  /// Stops the thread: what is queued or in flight fails with CLIENT_CLOSED. Joins it unless
  /// called on it.
  void close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
      timers_.clear();
      wake();
    }
    if (!on_io_thread() && thread_.joinable()) thread_.join();
  }

  [[nodiscard]] bool closing() {
    std::lock_guard<std::mutex> lock(mu_);
    return closing_;
  }

  std::atomic<int> version{0};
  std::atomic<int> next_stream_id{1};
  std::atomic<int> sockets_opened{0};
  std::atomic<int> sql_stored{0};
  std::int64_t next_cursor_id = 1;  // I/O thread only

  // --- I/O thread only ---

  /// The socket a new stream goes to: its number (each socket has a new one), the error that
  /// kept one from opening, or nothing yet (`when_socket` then runs the caller again once a
  /// socket opened or failed). A socket is opened on a connector thread, so that this thread
  /// goes on serving the other sockets, timers and tasks meanwhile (TCP, TLS and the upgrade
  /// take up to the connect timeout). When the current socket is older than the maximum age,
  /// a new one is opened, and new streams keep going to the old one until it is ready, as
  /// @libsql/client's ws client does.
  std::variant<std::uint64_t, Error, std::monostate> socket_for_new_stream() {
    if (closing()) return client_closed_error();
    if (failing_) return *failing_;
    const bool old = current_ && options_.max_socket_age.count() > 0 && Clock::now() - current_->opened >= options_.max_socket_age;
    if (current_ && !old) return current_->gen;
    if (!connecting_) start_connect();
    if (current_) return current_->gen;
    return std::monostate{};
  }

  /// Runs `fn` on this thread once the socket being opened is open, or failed.
  void when_socket(std::function<void()> fn) { waiting_for_socket_.push_back(std::move(fn)); }

  /// True while socket `gen` lives.
  [[nodiscard]] bool alive(std::uint64_t gen) const { return find(gen) != nullptr; }

  /// Sends one request (its JSON object) on socket `gen`; `done` gets the answer or the error
  /// that ended the socket. False (nothing sent) when that socket is gone.
  bool request(std::uint64_t gen, std::string body, AnswerHandler done) {
    Link* link = find(gen);
    if (link == nullptr) return false;
    const std::uint64_t id = next_request_id_++;
    std::string msg = R"({"type":"request","request_id":)" + std::to_string(id) + R"(,"request":)";
    msg += body;
    msg += "}";
    queue_frame(*link, ws::Opcode::Text, msg);
    link->pending.emplace(id, Pending{std::move(done), Clock::now()});
    return true;
  }

  /// The stored SQL texts (`store_sql`) for the statements `texts` on socket `gen`, as
  /// @libsql/client's SqlCache: per socket, least recently used first out (`close_sql`), never
  /// one these statements use, texts of 5,000 bytes or more never stored. What is new is
  /// stored now, pipelined before the requests that refer to it.
  hrana::SqlIds sql_ids_for(std::uint64_t gen, const std::vector<const std::string*>& texts) {
    hrana::SqlIds ids;
    Link* link = find(gen);
    if (link == nullptr || options_.sql_cache_capacity == 0) return ids;
    SqlCache& cache = link->sql;
    for (const std::string* text : texts) {
      if (text->empty() || text->size() >= 5000 || ids.contains(*text)) continue;
      if (auto it = cache.by_text.find(*text); it != cache.by_text.end()) {
        cache.lru.splice(cache.lru.end(), cache.lru, it->second.second);  // most recently used
        ids.emplace(*text, it->second.first);
        continue;
      }
      while (cache.by_text.size() >= options_.sql_cache_capacity) {
        const std::string& oldest = cache.lru.front();
        if (ids.contains(oldest)) break;  // used by these statements: keep it
        auto victim = cache.by_text.find(oldest);
        request(gen, R"({"type":"close_sql","sql_id":)" + std::to_string(victim->second.first) + "}", [](Outcome<Answer>) {});
        cache.by_text.erase(victim);
        cache.lru.pop_front();
      }
      if (cache.by_text.size() >= options_.sql_cache_capacity) continue;
      std::string body = R"({"type":"store_sql","sql_id":)";
      const std::int32_t id = cache.next_id++;
      body += std::to_string(id);
      body += R"(,"sql":)";
      if (!append_json_string(body, *text, InvalidUtf8::Reject)) continue;  // refused when encoded
      body += "}";
      request(gen, std::move(body), [](Outcome<Answer>) {});
      ++sql_stored;
      cache.lru.push_back(*text);
      cache.by_text.emplace(*text, std::make_pair(id, std::prev(cache.lru.end())));
      ids.emplace(*text, id);
    }
    return ids;
  }

  /// A stream opened on (closed on) socket `gen`: an old socket is kept while it has any.
  void stream_opened(std::uint64_t gen, int id) {
    if (Link* link = find(gen)) link->streams.insert(id);
  }
  void stream_closed(std::uint64_t gen, int id) {
    if (Link* link = find(gen)) link->streams.erase(id);
  }

  /// Ends the current socket as a failure would: what is in flight gets `error`.
  void drop_current(const Error& error) {
    if (current_) drop(*current_, error);
    sweep();
  }

 private:
  struct Pending {
    AnswerHandler done;
    Clock::time_point sent;
  };

  void start_connect() {
    if (connector_.joinable()) connector_.join();  // the last one, finished
    connecting_ = true;
    ws::ConnectOptions o{.host = options_.host,
                         .port = options_.port,
                         .tls = options_.tls,
                         .path = options_.path,
                         .protocols = options_.max_version >= 3 ? std::vector<std::string>{"hrana3", "hrana2"}
                                                                : std::vector<std::string>{"hrana2"},
                         .timeout = options_.connect_timeout};
    connector_ = std::thread([this, o = std::move(o)] {
      auto sock = std::make_shared<std::unique_ptr<ws::Socket>>();
      std::optional<Error> failed;
      try {
        *sock = ws::Socket::connect(o);
      } catch (const Error& e) {
        failed = e;
      }
      post([this, sock, failed] { connected(std::move(*sock), failed); });
    });
  }

  /// The connector thread's result, on this thread (or, once the thread stopped, on the
  /// connector's: then it is dropped).
  void connected(std::unique_ptr<ws::Socket> sock, const std::optional<Error>& failed) {
    if (closing()) return;
    connecting_ = false;
    auto waiting = std::move(waiting_for_socket_);
    waiting_for_socket_.clear();
    if (failed) {
      // The waiting calls fail with it; a failed renewal leaves the old socket in use.
      failing_ = *failed;
      for (auto& fn : waiting) fn();
      failing_.reset();
      return;
    }
    auto link = std::make_unique<Link>(options_.max_message);
    link->sock = std::move(sock);
    link->gen = ++generation_;
    link->opened = Clock::now();
    ++sockets_opened;
    version = link->sock->protocol() == "hrana3" ? 3 : 2;
    std::string hello = R"({"type":"hello","jwt":)";
    if (options_.auth_token.empty()) {
      hello += "null";
    } else {
      append_json_string(hello, options_.auth_token);
    }
    hello += "}";
    queue_frame(*link, ws::Opcode::Text, hello);
    link->early = link->sock->take_early_bytes();
    if (current_) retired_.push_back(std::move(current_));  // closed once its streams are done
    current_ = std::move(link);
    for (auto& fn : waiting) fn();
  }

  /// The SQL texts stored on one socket (`store_sql` is scoped to the connection).
  struct SqlCache {
    std::list<std::string> lru{};  // least recently used first
    std::unordered_map<std::string, std::pair<std::int32_t, std::list<std::string>::iterator>> by_text{};
    std::int32_t next_id = 1;
  };

  /// One socket and what only it carries.
  struct Link {
    explicit Link(std::size_t max_message) : reader(max_message) {}
    std::unique_ptr<ws::Socket> sock;  // null once dropped (then swept)
    std::uint64_t gen = 0;
    Clock::time_point opened{};
    ws::FrameReader reader;
    std::string out{};
    std::string early{};
    bool write_blocked_on_read = false;
    std::unordered_map<std::uint64_t, Pending> pending{};
    Clock::time_point last_received{};  // the last byte read
    std::set<int> streams{};           // streams opened here and not closed yet
    SqlCache sql{};
  };

  [[nodiscard]] Link* find(std::uint64_t gen) const {
    if (gen == 0) return nullptr;
    if (current_ && current_->gen == gen && current_->sock) return current_.get();
    for (const auto& l : retired_) {
      if (l->gen == gen && l->sock) return l.get();
    }
    return nullptr;
  }

  template <typename F>
  void each_link(F&& f) {
    if (current_) f(*current_);
    for (auto& l : retired_) f(*l);
  }

  /// Ends a socket: what is in flight on it gets `error`; `sweep` frees it.
  void drop(Link& link, const Error& error) {
    link.sock.reset();
    link.out.clear();
    link.early.clear();
    link.streams.clear();
    auto pending = std::move(link.pending);
    link.pending.clear();
    for (auto& [id, p] : pending) deliver(p.done, Outcome<Answer>(error));
  }

  /// Frees dropped sockets, and old ones whose streams are all closed with nothing waiting.
  void sweep() {
    if (current_ && !current_->sock) current_.reset();
    std::erase_if(retired_, [](const std::unique_ptr<Link>& l) {
      if (!l->sock) return true;
      if (!l->streams.empty() || !l->pending.empty()) return false;
      // Done: what is queued goes first (a close_stream), at most one try.
      if (!l->out.empty()) {
        std::size_t written = 0;
        try {
          l->sock->write(l->out, written);
        } catch (const Error&) {
        }
      }
      return true;
    });
  }

  /// The request deadline, as over HTTP: a request fails once the server has sent nothing on
  /// its socket for `request_timeout` while it waited (every byte received restarts the wait,
  /// so a long answer that streams in, or a socket busy with other answers, is not cut).
  /// `max()` when nothing waits or there is no timeout.
  [[nodiscard]] Clock::time_point deadline(const Link& link) const {
    if (options_.request_timeout.count() <= 0 || link.pending.empty()) return Clock::time_point::max();
    Clock::time_point oldest = Clock::time_point::max();
    for (const auto& [id, p] : link.pending) oldest = std::min(oldest, p.sent);
    return std::max(oldest, link.last_received) + options_.request_timeout;
  }

  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  }

  static void queue_frame(Link& link, ws::Opcode opcode, std::string_view payload) {
    std::uint32_t mask = 0;
    RAND_bytes(reinterpret_cast<unsigned char*>(&mask), sizeof(mask));
    link.out += ws::encode_frame(opcode, payload, mask);
  }

  void run() {
    for (;;) {
      std::deque<std::function<void()>> tasks;
      std::vector<std::function<void()>> due;
      bool closing = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        tasks.swap(tasks_);
        closing = closing_;
        const auto now = Clock::now();
        while (!timers_.empty() && timers_.begin()->first <= now) {
          due.push_back(std::move(timers_.begin()->second));
          timers_.erase(timers_.begin());
        }
      }
      if (closing) {
        // Calls waiting for a socket fail (CLIENT_CLOSED).
        auto waiting = std::move(waiting_for_socket_);
        waiting_for_socket_.clear();
        for (auto& fn : waiting) fn();
        each_link([](Link& l) { l.streams.clear(); });
        each_link([this](Link& l) { drop(l, client_closed_error()); });
        sweep();
        for (auto& t : tasks) t();
        std::deque<std::function<void()>> late;
        {
          std::lock_guard<std::mutex> lock(mu_);
          stopped_ = true;
          late.swap(tasks_);
        }
        for (auto& t : late) t();
        return;
      }
      for (auto& t : tasks) t();
      for (auto& fn : due) fn();
      step();
    }
  }

  /// One round of socket I/O: flush, wait (for the sockets, a task or a timer), read.
  void step() {
    each_link([this](Link& l) {
      if (l.sock && !l.early.empty()) {
        std::string bytes = std::move(l.early);
        l.early.clear();
        consume(l, bytes);
      }
      if (l.sock) flush(l);
    });
    sweep();
    Clock::time_point until = Clock::now() + std::chrono::seconds(5);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!tasks_.empty() || closing_) until = Clock::now();
      if (!timers_.empty()) until = std::min(until, timers_.begin()->first);
    }
    std::vector<pollfd> fds;
    std::vector<Link*> links;
    fds.push_back({wake_fd_, POLLIN, 0});
    each_link([&](Link& l) {
      until = std::min(until, deadline(l));
      if (l.sock->pending()) until = Clock::now();
      short events = POLLIN;
      if (!l.out.empty() && (l.sock->wants_write() || !l.write_blocked_on_read)) events |= POLLOUT;
      fds.push_back({l.sock->fd(), events, 0});
      links.push_back(&l);
    });
    auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (wait_ms < 0) wait_ms = 0;
    int r = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(wait_ms, 5000)));
    if (r < 0) return;  // EINTR: go round again
    if ((fds[0].revents & POLLIN) != 0) {
      std::uint64_t v = 0;
      [[maybe_unused]] ssize_t got = ::read(wake_fd_, &v, sizeof(v));
    }
    for (std::size_t i = 0; i < links.size(); ++i) {
      Link& l = *links[i];
      const bool readable = (fds[i + 1].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
      if (l.sock && (readable || l.sock->pending())) read_socket(l);
      if (l.sock && deadline(l) <= Clock::now()) {
        drop(l, make_error(ErrorKind::Timeout, kWsError,
                           "the server sent nothing for " + std::to_string(options_.request_timeout.count()) +
                               " ms while a request waited (the timeout); the WebSocket connection was closed"));
      }
    }
    sweep();
  }

  /// Writes what is queued; false when the socket died.
  bool flush(Link& l) {
    l.write_blocked_on_read = false;
    try {
      while (!l.out.empty()) {
        std::size_t written = 0;
        ws::Socket::Io io = l.sock->write(l.out, written);
        l.out.erase(0, written);
        if (io == ws::Socket::Io::Closed) {
          drop(l, make_error(ErrorKind::Network, kWsError, "the server closed the WebSocket connection"));
          return false;
        }
        if (io == ws::Socket::Io::WouldBlock) {
          l.write_blocked_on_read = !l.sock->wants_write();
          break;
        }
      }
    } catch (const Error& e) {
      drop(l, e);
      return false;
    }
    return true;
  }

  void read_socket(Link& l) {
    std::string bytes;
    try {
      for (int i = 0; i < 64 && l.sock; ++i) {  // bounded: then poll again
        const std::size_t before = bytes.size();
        ws::Socket::Io io = l.sock->read(bytes);
        if (bytes.size() != before) l.last_received = Clock::now();  // restarts the request deadline
        if (io == ws::Socket::Io::WouldBlock) break;
        if (io == ws::Socket::Io::Closed) {
          if (!bytes.empty() && !consume(l, bytes)) return;
          drop(l, make_error(ErrorKind::Network, kWsError, "the server closed the WebSocket connection"));
          return;
        }
        if (bytes.size() > (1u << 20)) {
          if (!consume(l, bytes)) return;
          bytes.clear();
        }
      }
    } catch (const Error& e) {
      drop(l, e);
      return;
    }
    if (!bytes.empty()) consume(l, bytes);
  }

  /// Parses frames and answers them; false when the socket died.
  bool consume(Link& l, std::string_view bytes) {
    std::vector<ws::Message> messages;
    try {
      l.reader.feed(bytes, messages);
    } catch (const Error& e) {
      // What the frames said before the bad one still counts.
      for (auto& m : messages) {
        if (!on_message(l, m)) return false;
      }
      drop(l, e);
      return false;
    }
    for (auto& m : messages) {
      if (!on_message(l, m)) return false;
    }
    return true;
  }

  bool on_message(Link& l, ws::Message& m) {
    switch (m.opcode) {
      case ws::Opcode::Ping: queue_frame(l, ws::Opcode::Pong, m.payload); return true;
      case ws::Opcode::Pong: return true;
      case ws::Opcode::Close: {
        std::string code_text = m.close_code == 0 ? "" : " (close code " + std::to_string(m.close_code) +
                                                             (m.payload.empty() ? "" : ": " + safe_reason(m.payload, options_.auth_token)) + ")";
        queue_frame(l, ws::Opcode::Close, m.payload.empty() && m.close_code == 0 ? std::string_view{} : std::string_view("\x03\xe8", 2));
        flush(l);
        if (l.sock) drop(l, make_error(ErrorKind::Network, kWsError, "the server closed the WebSocket connection" + code_text));
        return false;
      }
      case ws::Opcode::Binary:
        drop(l, make_error(ErrorKind::Protocol, kWsError, "the server sent a binary message on a JSON (hrana3/hrana2) socket"));
        return false;
      case ws::Opcode::Text: return on_text(l, m.payload);
      case ws::Opcode::Continuation: return true;
    }
    return true;
  }

  bool on_text(Link& l, const std::string& text) {
    auto proto = [&](const std::string& what) {
      drop(l, make_error(ErrorKind::Protocol, "HRANA_PROTO_ERROR", "the server sent an invalid Hrana message: " + what));
      return false;
    };
    simdjson::dom::object o;
    if (parser_.parse(text.data(), text.size()).get_object().get(o)) return proto("not a JSON object");
    std::string_view type;
    if (o["type"].get_string().get(type)) return proto("no \"type\"");
    auto read_error = [](simdjson::dom::object& parent) {
      hrana::HranaError e;
      simdjson::dom::object eo;
      if (!parent["error"].get_object().get(eo)) {
        std::string_view s;
        if (!eo["message"].get_string().get(s)) e.message = std::string(s);
        if (!eo["code"].get_string().get(s)) e.code = std::string(s);
      }
      return e;
    };
    if (type == "hello_ok") return true;
    if (type == "hello_error") {
      hrana::HranaError e = read_error(o);
      const std::string reason = safe_reason(e.message, options_.auth_token);
      drop(l, make_error(ErrorKind::Auth, "AUTH_FAILED",
                         "the server rejected the credentials (WebSocket hello)" + (reason.empty() ? "" : ": " + reason)));
      return false;
    }
    if (type != "response_ok" && type != "response_error") return proto("unknown message type");
    std::uint64_t id = 0;
    if (o["request_id"].get_uint64().get(id)) return proto("a response without a request_id");
    auto it = l.pending.find(id);
    if (it == l.pending.end()) return proto("a response to an unknown request_id " + std::to_string(id));
    AnswerHandler done = std::move(it->second.done);
    l.pending.erase(it);
    Answer a;
    if (type == "response_ok") {
      simdjson::dom::element resp;
      if (o["response"].get(resp)) {
        deliver(done, Outcome<Answer>(make_error(ErrorKind::Protocol, "HRANA_PROTO_ERROR", "a response_ok without a response")));
        return true;
      }
      a.ok = true;
      a.response = simdjson::minify(resp);
    } else {
      a.error = read_error(o);
    }
    deliver(done, Outcome<Answer>(std::move(a)));
    return l.sock != nullptr;
  }

  WsHranaOptions options_;
  int wake_fd_ = -1;
  std::thread thread_;

  std::mutex mu_;
  bool closing_ = false;
  bool stopped_ = false;
  std::deque<std::function<void()>> tasks_;
  std::multimap<Clock::time_point, std::function<void()>> timers_;

  // I/O thread only.
  std::unique_ptr<Link> current_;                 // where new streams go
  std::vector<std::unique_ptr<Link>> retired_;    // older sockets, until their streams end
  std::uint64_t generation_ = 0;
  std::uint64_t next_request_id_ = 1;
  bool connecting_ = false;                                 // a connector thread is at work
  std::vector<std::function<void()>> waiting_for_socket_;   // calls to run again once it is done
  std::optional<Error> failing_;                            // while they run after a failure
  std::thread connector_;                                   // joined by the next one, or ~Core
  simdjson::dom::parser parser_;
};

/// One Hrana stream on the connection's current socket; its state lives on the I/O thread.
class WsStream final : public HranaStream, public std::enable_shared_from_this<WsStream> {
 public:
  WsStream(std::weak_ptr<WsHrana> conn, int id) : conn_(std::move(conn)), id_(id) {}

  void send(std::vector<Request> requests, Callback<StreamReply> done) override {
    auto conn = conn_.lock();
    if (!conn) return deliver(done, Outcome<StreamReply>(client_closed_error()));
    WsHrana::Core* core = conn->core_.get();
    auto self = shared_from_this();
    core->post([self, core, requests = std::move(requests), done = std::move(done)]() mutable {
      self->run(*core, std::move(requests), std::move(done));
    });
  }

  void cursor(std::vector<hrana::Step> steps, Callback<StreamReply> done) override {
    auto conn = conn_.lock();
    if (!conn) return deliver(done, Outcome<StreamReply>(client_closed_error()));
    WsHrana::Core* core = conn->core_.get();
    auto self = shared_from_this();
    core->post([self, core, steps = std::move(steps), done = std::move(done)]() mutable {
      self->run_cursor(*core, std::move(steps), std::move(done));
    });
  }

  void close() override {
    auto conn = conn_.lock();
    if (!conn) return;
    WsHrana::Core* core = conn->core_.get();
    auto self = shared_from_this();
    core->post([self, core] {
      if (self->closed_) return;
      self->closed_ = true;
      if (self->gen_ == 0 || !core->alive(self->gen_) || core->closing()) return;
      core->request(self->gen_, close_body(self->id_), [](Outcome<Answer>) {});
      core->stream_closed(self->gen_, self->id_);
    });
  }

 private:
  static std::string close_body(int id) { return R"({"type":"close_stream","stream_id":)" + std::to_string(id) + "}"; }

  struct Collect {
    std::vector<hrana::StreamResult> results;
    std::size_t remaining = 0;
    std::optional<Error> failed;
    bool closed = false;
    Callback<StreamReply> done;
  };

  static void finish_one(const std::shared_ptr<Collect>& c) {
    if (--c->remaining != 0) return;
    if (c->failed) return deliver(c->done, Outcome<StreamReply>(*c->failed));
    StreamReply reply;
    reply.results = std::move(c->results);
    reply.closed = c->closed;
    deliver(c->done, Outcome<StreamReply>(std::move(reply)));
  }

  void run(WsHrana::Core& core, std::vector<Request> requests, Callback<StreamReply> done) {
    if (core.closing()) return deliver(done, Outcome<StreamReply>(client_closed_error()));
    if (gen_ != 0 && !core.alive(gen_)) {
      closed_ = true;
      return deliver(done, Outcome<StreamReply>(stream_lost_error()));
    }
    if (closed_) return deliver(done, Outcome<StreamReply>(transaction_closed_error()));
    bool only_close = !requests.empty();
    for (const auto& r : requests) only_close = only_close && r.type == Request::Type::Close;
    if (gen_ == 0 && only_close) {  // nothing was opened on the server: nothing to close
      closed_ = true;
      StreamReply reply;
      reply.results.resize(requests.size());
      reply.closed = true;
      return deliver(done, Outcome<StreamReply>(std::move(reply)));
    }
    const auto socket = socket_of_stream(core, done, [&] {
      return [self = shared_from_this(), core_ptr = &core, requests = std::move(requests),
              done = std::move(done)]() mutable { self->run(*core_ptr, std::move(requests), std::move(done)); };
    });
    if (!socket) return;
    const std::uint64_t gen = *socket;
    // Statements whose text is stored on the socket go by `sql_id`.
    std::vector<const std::string*> texts;
    for (const auto& r : requests) {
      if (r.type == Request::Type::Execute) texts.push_back(&r.stmt.sql);
      if (r.type == Request::Type::Batch) {
        for (const auto& step : r.steps) texts.push_back(&step.stmt.sql);
      }
    }
    const hrana::SqlIds ids = core.sql_ids_for(gen, texts);
    // Encode everything first: a value JSON cannot carry fails the call before anything is sent.
    const int version = core.version.load();
    std::vector<std::string> bodies;
    const std::string id_field = R"("stream_id":)" + std::to_string(id_) + ",";
    try {
      for (const auto& r : requests) {
        if (r.type == Request::Type::Close) {
          bodies.push_back(close_body(id_));
          continue;
        }
        std::string body;
        hrana::encode_request(body, r, version, &ids);
        body.insert(1, id_field);  // `{"stream_id":N,"type":...}`
        bodies.push_back(std::move(body));
      }
    } catch (const Error& e) {
      return deliver(done, Outcome<StreamReply>(e));
    }
    if (gen_ == 0) {
      gen_ = gen;
      core.request(gen_, R"({"type":"open_stream","stream_id":)" + std::to_string(id_) + "}", [](Outcome<Answer>) {});
      core.stream_opened(gen_, id_);
    }
    auto c = std::make_shared<Collect>();
    c->results.resize(requests.size());
    c->remaining = requests.size();
    c->done = std::move(done);
    if (requests.empty()) {
      return deliver(c->done, Outcome<StreamReply>(StreamReply{}));
    }
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const bool is_close = requests[i].type == Request::Type::Close;
      if (is_close) {
        c->closed = true;
        closed_ = true;
      }
      auto request = std::make_shared<Request>(std::move(requests[i]));
      core.request(gen_, std::move(bodies[i]), [c, i, request, is_close](Outcome<Answer> o) {
        if (auto* e = std::get_if<Error>(&o)) {
          if (!c->failed) c->failed = *e;
        } else if (!c->failed) {
          auto& a = std::get<Answer>(o);
          if (!a.ok) {
            c->results[i].error = std::move(a.error);
          } else if (!is_close) {
            try {
              c->results[i] = hrana::decode_response(a.response, *request);
            } catch (const Error& bad) {
              c->failed = bad;
            }
          }
        }
        finish_one(c);
      });
    }
    if (closed_) core.stream_closed(gen_, id_);
  }

  /// A Hrana 3 cursor (`open_cursor`, then `fetch_cursor`s until one says done, then
  /// `close_cursor`), as @libsql/hrana-client's ws cursor: up to kFetchWindow fetches of
  /// kFetchCount entries in flight, their answers read in the order they were asked (the
  /// server may answer out of order). The rows are decoded as the answers arrive, so no answer
  /// holds more than kFetchCount entries: sqld's response limit does not apply.
  static constexpr int kFetchWindow = 10;
  static constexpr int kFetchCount = 1000;

  struct CursorRun {
    explicit CursorRun(std::size_t steps) : decoder(steps, false) {}
    hrana::CursorDecoder decoder;
    std::int64_t cursor_id = 0;
    std::uint64_t next_seq = 1;   // the next fetch's number (0 is open_cursor)
    std::uint64_t applied = 0;    // answers read so far, in order
    std::map<std::uint64_t, Outcome<Answer>> early;  // answers that came before their turn
    bool done = false;            // the cursor said done (or failed): no more fetches
    bool finished = false;        // the caller has its answer
    Callback<StreamReply> callback;
  };

  /// The socket generation this stream runs on; a new stream takes the current socket. Empty
  /// when the call cannot go on now: the error was delivered to `done`, or a socket is being
  /// opened and `again()` (which builds the retry, moving the call's state) runs once it is.
  template <class Again>
  std::optional<std::uint64_t> socket_of_stream(WsHrana::Core& core, const Callback<StreamReply>& done, Again&& again) {
    if (gen_ != 0) return gen_;
    auto s = core.socket_for_new_stream();
    if (auto* e = std::get_if<Error>(&s)) {
      closed_ = true;
      deliver(done, Outcome<StreamReply>(*e));
      return std::nullopt;
    }
    if (std::holds_alternative<std::monostate>(s)) {
      core.when_socket(std::forward<Again>(again)());
      return std::nullopt;
    }
    return std::get<std::uint64_t>(s);
  }

  void run_cursor(WsHrana::Core& core, std::vector<hrana::Step> steps, Callback<StreamReply> done) {
    if (core.closing()) return deliver(done, Outcome<StreamReply>(client_closed_error()));
    if (gen_ != 0 && !core.alive(gen_)) {
      closed_ = true;
      return deliver(done, Outcome<StreamReply>(stream_lost_error()));
    }
    if (closed_) return deliver(done, Outcome<StreamReply>(transaction_closed_error()));
    const auto socket = socket_of_stream(core, done, [&] {
      return [self = shared_from_this(), core_ptr = &core, steps = std::move(steps),
              done = std::move(done)]() mutable { self->run_cursor(*core_ptr, std::move(steps), std::move(done)); };
    });
    if (!socket) return;
    const std::uint64_t gen = *socket;
    if (core.version.load() < 3) {
      // hrana2 has no cursors: the batch goes whole, and sqld's response limit stands.
      std::vector<Request> reqs;
      reqs.push_back(hrana::batch(std::move(steps)));
      return run(core, std::move(reqs), std::move(done));
    }
    auto c = std::make_shared<CursorRun>(steps.size());
    c->cursor_id = core.next_cursor_id++;
    std::vector<const std::string*> texts;
    for (const auto& step : steps) texts.push_back(&step.stmt.sql);
    const hrana::SqlIds ids = core.sql_ids_for(gen, texts);
    std::string open;
    try {
      hrana::encode_open_cursor(open, id_, c->cursor_id, steps, &ids);
    } catch (const Error& e) {
      return deliver(done, Outcome<StreamReply>(e));
    }
    c->callback = std::move(done);
    if (gen_ == 0) {
      gen_ = gen;
      core.request(gen_, R"({"type":"open_stream","stream_id":)" + std::to_string(id_) + "}", [](Outcome<Answer>) {});
      core.stream_opened(gen_, id_);
    }
    auto self = shared_from_this();
    WsHrana::Core* core_ptr = &core;
    core.request(gen_, std::move(open), [self, core_ptr, c](Outcome<Answer> o) { self->cursor_answer(*core_ptr, c, 0, std::move(o)); });
    for (int i = 0; i < kFetchWindow; ++i) fetch_more(core, c);
  }

  void fetch_more(WsHrana::Core& core, const std::shared_ptr<CursorRun>& c) {
    if (c->done) return;
    const std::uint64_t seq = c->next_seq++;
    auto self = shared_from_this();
    WsHrana::Core* core_ptr = &core;
    core.request(gen_, R"({"type":"fetch_cursor","cursor_id":)" + std::to_string(c->cursor_id) + R"(,"max_count":)" +
                     std::to_string(kFetchCount) + "}",
                 [self, core_ptr, c, seq](Outcome<Answer> o) { self->cursor_answer(*core_ptr, c, seq, std::move(o)); });
  }

  /// Answer `seq` of a cursor (0: open_cursor, then the fetches): read in order.
  void cursor_answer(WsHrana::Core& core, const std::shared_ptr<CursorRun>& c, std::uint64_t seq, Outcome<Answer> o) {
    if (c->finished) return;
    if (std::holds_alternative<Error>(o)) {  // the socket died: nothing more will come
      closed_ = true;
      return finish_cursor(core, c, std::get<Error>(std::move(o)));
    }
    if (seq != c->applied) {
      c->early.emplace(seq, std::move(o));
      return;
    }
    for (;;) {
      auto& a = std::get<Answer>(o);
      ++c->applied;
      if (!a.ok) {
        // open_cursor refused (its error comes first), or a fetch failed: the cursor is over.
        c->done = true;
        c->decoder.fail(std::move(a.error));
        return finish_cursor(core, c, std::nullopt);
      }
      if (seq > 0) {
        try {
          if (c->decoder.fetch_response(a.response)) {
            c->done = true;
            return finish_cursor(core, c, std::nullopt);
          }
        } catch (const Error& bad) {
          c->done = true;
          return finish_cursor(core, c, bad);
        }
        fetch_more(core, c);
      }
      auto next = c->early.find(c->applied);
      if (next == c->early.end()) return;
      seq = next->first;
      o = std::move(next->second);
      c->early.erase(next);
      if (std::holds_alternative<Error>(o)) {
        closed_ = true;
        return finish_cursor(core, c, std::get<Error>(std::move(o)));
      }
    }
  }

  void finish_cursor(WsHrana::Core& core, const std::shared_ptr<CursorRun>& c, std::optional<Error> failed) {
    c->finished = true;
    c->done = true;
    c->early.clear();
    // Closed before the caller hears back, so that its next request on the stream follows it.
    if (!closed_ && core.alive(gen_) && !core.closing()) {
      core.request(gen_, R"({"type":"close_cursor","cursor_id":)" + std::to_string(c->cursor_id) + "}", [](Outcome<Answer>) {});
    }
    if (failed) return deliver(c->callback, Outcome<StreamReply>(std::move(*failed)));
    StreamReply reply;
    try {
      hrana::PipelineResponse p = c->decoder.finish();
      reply.results = std::move(p.results);
    } catch (const Error& bad) {
      return deliver(c->callback, Outcome<StreamReply>(bad));
    }
    deliver(c->callback, Outcome<StreamReply>(std::move(reply)));
  }

  std::weak_ptr<WsHrana> conn_;
  const int id_;
  // I/O thread only.
  std::uint64_t gen_ = 0;  // the socket the stream was opened on; 0: not opened yet
  bool closed_ = false;
};

std::shared_ptr<WsHrana> WsHrana::create(WsHranaOptions options) {
  return std::shared_ptr<WsHrana>(new WsHrana(std::move(options)));
}

WsHrana::WsHrana(WsHranaOptions options) : core_(std::make_unique<Core>(std::move(options))) {}

WsHrana::~WsHrana() {
  if (!core_) return;
  core_->close();
  // The last reference may go away inside a callback, on the I/O thread, which cannot join
  // itself: the reaper thread (core/reaper.hpp) waits for the loop to end and frees it.
  if (core_->on_io_thread()) release_elsewhere(std::shared_ptr<Core>(std::move(core_)));
}

std::shared_ptr<HranaStream> WsHrana::open_stream() {
  return std::make_shared<WsStream>(weak_from_this(), core_->next_stream_id.fetch_add(1));
}

void WsHrana::at(std::chrono::steady_clock::time_point when, std::function<void()> fn) {
  core_->at(when, std::move(fn));
}

void WsHrana::close() { core_->close(); }

int WsHrana::version() const noexcept { return core_->version.load(); }

int WsHrana::sockets_opened() const noexcept { return core_->sockets_opened.load(); }

int WsHrana::sql_stored() const noexcept { return core_->sql_stored.load(); }

void WsHrana::drop_socket_for_test() {
  Core* core = core_.get();
  core->post([core] {
    core->drop_current(make_error(ErrorKind::Network, kWsError, "the WebSocket connection was lost (dropped by a test)"));
  });
}

WsHranaOptions ws_options_for(const ParsedUrl& url) {
  WsHranaOptions o;
  o.host = url.host;
  o.tls = url.tls;
  o.port = url.port ? *url.port : (url.tls ? 443 : 80);
  o.path = url.path.empty() ? "/" : url.path;
  return o;
}

}  // namespace libsql::detail
