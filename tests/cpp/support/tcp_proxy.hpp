#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace libsql::test {

/// A fault-injecting TCP proxy on 127.0.0.1 and a free port, in front of `target_port` (sqld):
/// it pipes every connection both ways, and on demand holds back what the server sends
/// (`stall`), or passes it on in small pieces with a gap between them (`trickle`). One thread
/// serves every connection; it is joined by the destructor.
class TcpProxy {
 public:
  explicit TcpProxy(int target_port) : target_port_(target_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || ::listen(listen_fd_, 16) != 0) {
      ::close(listen_fd_);
      throw std::runtime_error("the test proxy could not listen");
    }
    socklen_t len = sizeof(a);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;
  ~TcpProxy() {
    stop_ = true;
    thread_.join();
    for (auto& p : pairs_) {
      ::close(p.client);
      ::close(p.server);
    }
    ::close(listen_fd_);
  }

  [[nodiscard]] int port() const { return port_; }
  /// Holds back (true) or passes on (false) what the server sends.
  void stall(bool on) { stall_ = on; }
  /// Passes the server's bytes on `bytes` at a time, `gap` apart (0: at once).
  void trickle(std::size_t bytes, std::chrono::milliseconds gap) {
    trickle_gap_ms_ = static_cast<int>(gap.count());
    trickle_bytes_ = bytes;
  }
  /// Holds back what the server sends on connections accepted from now on (true), until
  /// called with false (which lets the held ones go on).
  void hold_new(bool on) { hold_new_ = on; }
  /// Connections accepted so far.
  [[nodiscard]] int accepted() const { return accepted_.load(); }
  /// Connections open now.
  [[nodiscard]] int open_connections() const { return open_.load(); }

 private:
  struct Pair {
    int client = -1;
    int server = -1;
    std::string to_client{};  // from the server, not yet passed on
    bool dead = false;
    bool held = false;        // accepted under hold_new
  };

  static int connect_to(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

  void run() {
    auto next_piece = std::chrono::steady_clock::now();
    while (!stop_) {  // bounded by the destructor
      std::vector<pollfd> fds;
      fds.push_back({listen_fd_, POLLIN, 0});
      for (auto& p : pairs_) {
        fds.push_back({p.client, POLLIN, 0});
        fds.push_back({p.server, POLLIN, 0});
      }
      ::poll(fds.data(), fds.size(), 10);
      if ((fds[0].revents & POLLIN) != 0) {
        int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          int s = connect_to(target_port_);
          if (s < 0) {
            ::close(c);
          } else {
            pairs_.push_back(Pair{c, s, {}, false, hold_new_.load()});
            ++accepted_;
          }
        }
      }
      char buf[65536];
      for (std::size_t i = 0; i < pairs_.size() && 1 + 2 * i + 1 < fds.size(); ++i) {
        Pair& p = pairs_[i];
        if ((fds[1 + 2 * i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
          ssize_t n = ::read(p.client, buf, sizeof buf);
          if (n <= 0 || ::send(p.server, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) p.dead = true;
        }
        if ((fds[2 + 2 * i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
          ssize_t n = ::read(p.server, buf, sizeof buf);
          if (n <= 0) p.dead = true;
          else p.to_client.append(buf, static_cast<std::size_t>(n));
        }
      }
      const auto now = std::chrono::steady_clock::now();
      const std::size_t piece = trickle_bytes_.load();
      const bool due = piece == 0 || now >= next_piece;
      for (auto& p : pairs_) {
        if (p.held && !hold_new_) p.held = false;
        if (stall_ || p.held || p.to_client.empty() || !due) continue;
        const std::size_t n = piece == 0 ? p.to_client.size() : std::min(piece, p.to_client.size());
        ssize_t w = ::send(p.client, p.to_client.data(), n, MSG_NOSIGNAL);
        if (w < 0) p.dead = true;
        else p.to_client.erase(0, static_cast<std::size_t>(w));
      }
      open_ = static_cast<int>(pairs_.size());
      if (piece != 0 && due) next_piece = now + std::chrono::milliseconds(trickle_gap_ms_.load());
      for (auto it = pairs_.begin(); it != pairs_.end();) {
        // A server gone is passed on once what it sent went out (or at once when stalled).
        if (it->dead && (it->to_client.empty() || stall_)) {
          ::close(it->client);
          ::close(it->server);
          it = pairs_.erase(it);
        } else {
          ++it;
        }
      }
    }
  }

  int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> stall_{false};
  std::atomic<bool> hold_new_{false};
  std::atomic<std::size_t> trickle_bytes_{0};
  std::atomic<int> trickle_gap_ms_{0};
  std::atomic<int> accepted_{0};
  std::atomic<int> open_{0};
  std::vector<Pair> pairs_;  // the proxy thread only
  std::thread thread_;
};

}  // namespace libsql::test
