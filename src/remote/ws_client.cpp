#include "remote/ws_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "core/base64.hpp"
#include "core/error_codes.hpp"
#include "remote/ca_bundle.hpp"

namespace libsql::detail::ws {
namespace {

constexpr std::string_view kCode = "HRANA_WEBSOCKET_ERROR";

[[noreturn]] void protocol_error(const std::string& what) {
  throw make_error(ErrorKind::Protocol, kCode, "the WebSocket server broke the protocol: " + what);
}

[[noreturn]] void network_error(const std::string& what) {
  throw make_error(ErrorKind::Network, kCode, what);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

std::string openssl_reason() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "";
  std::array<char, 256> buf{};
  ERR_error_string_n(e, buf.data(), buf.size());
  return buf.data();
}

/// Waits until `fd` is readable (or writable); false when `deadline` passed first.
bool wait_fd(int fd, bool for_write, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) network_error(std::string("poll failed: ") + std::strerror(errno));
  }
}

[[noreturn]] void timeout_error(const ConnectOptions& o, const char* stage) {
  throw make_error(ErrorKind::Timeout, kCode,
                   std::string("the WebSocket connection to ") + o.host + ":" + std::to_string(o.port) + " timed out (" +
                       stage + ", " + std::to_string(o.timeout.count()) + " ms)");
}

int connect_tcp(const ConnectOptions& o, Clock::time_point deadline) {
  std::string host = o.host;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(o.port);
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    network_error("could not resolve host " + host + ": " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, &freeaddrinfo);
  std::string last = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int r = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (r < 0 && errno == EINPROGRESS) {
      if (!wait_fd(fd, true, deadline)) {
        ::close(fd);
        timeout_error(o, "connecting");
      }
      int err = 0;
      socklen_t len = sizeof(err);
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      r = err == 0 ? 0 : -1;
      errno = err;
    }
    if (r == 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      return fd;
    }
    last = std::strerror(errno);
    ::close(fd);
  }
  network_error("could not connect to " + host + ":" + port + ": " + last);
}

SSL_CTX* client_context() {
  static SSL_CTX* ctx = [] {
    SSL_CTX* c = SSL_CTX_new(TLS_client_method());
    if (c == nullptr) return c;
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
    std::string file, dir;
    ca_bundle_paths(file, dir);
    if (file.empty() && dir.empty()) {
      SSL_CTX_set_default_verify_paths(c);
    } else {
      SSL_CTX_load_verify_locations(c, file.empty() ? nullptr : file.c_str(), dir.empty() ? nullptr : dir.c_str());
    }
    SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    ERR_clear_error();
    return c;
  }();  // shared by every connection for the life of the process (never freed: see style.md)
  if (ctx == nullptr) network_error("could not set up TLS: " + openssl_reason());
  return ctx;
}

}  // namespace

struct Socket::Tls {
  SSL* ssl = nullptr;
  ~Tls() {
    if (ssl != nullptr) SSL_free(ssl);
  }
};

std::string encode_frame(Opcode opcode, std::string_view payload, std::uint32_t mask) {
  std::string out;
  out.reserve(payload.size() + 14);
  out.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(opcode)));
  const std::size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>((n >> 8) & 0xFF));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> shift) & 0xFF));
  }
  const std::array<char, 4> key = {static_cast<char>(mask >> 24), static_cast<char>((mask >> 16) & 0xFF),
                                   static_cast<char>((mask >> 8) & 0xFF), static_cast<char>(mask & 0xFF)};
  out.append(key.data(), key.size());
  const std::size_t start = out.size();
  out.append(payload);
  for (std::size_t i = 0; i < n; ++i) out[start + i] = static_cast<char>(out[start + i] ^ key[i & 3]);
  return out;
}

void FrameReader::feed(std::string_view data, std::vector<Message>& out) {
  buf_.append(data);
  std::size_t pos = 0;
  for (;;) {
    const std::size_t avail = buf_.size() - pos;
    if (avail < 2) break;
    const auto* p = reinterpret_cast<const unsigned char*>(buf_.data() + pos);
    const bool fin = (p[0] & 0x80) != 0;
    if ((p[0] & 0x70) != 0) protocol_error("a frame has reserved bits set (no extension was agreed)");
    const auto op = static_cast<std::uint8_t>(p[0] & 0x0F);
    if ((p[1] & 0x80) != 0) protocol_error("a server frame is masked");
    std::uint64_t len = p[1] & 0x7F;
    std::size_t header = 2;
    if (len == 126) {
      if (avail < 4) break;
      len = (std::uint64_t{p[2]} << 8) | p[3];
      header = 4;
    } else if (len == 127) {
      if (avail < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
      if ((len >> 63) != 0) protocol_error("a frame length has its top bit set");
      header = 10;
    }
    const bool control = op >= 0x8;
    if (control && (!fin || len > 125)) protocol_error("a control frame is fragmented or longer than 125 bytes");
    if (op != 0x0 && op != 0x1 && op != 0x2 && op != 0x8 && op != 0x9 && op != 0xA) {
      protocol_error("unknown frame opcode " + std::to_string(op));
    }
    const std::size_t so_far = control ? 0 : message_.size();
    if (len > max_message_ || so_far + len > max_message_) {
      throw make_error(ErrorKind::Protocol, kCode,
                       "a WebSocket message from the server is larger than " + std::to_string(max_message_) + " bytes");
    }
    if (avail < header + len) break;
    std::string_view payload(buf_.data() + pos + header, static_cast<std::size_t>(len));
    pos += header + static_cast<std::size_t>(len);
    switch (static_cast<Opcode>(op)) {
      case Opcode::Continuation:
        if (!in_message_) protocol_error("a continuation frame without a message to continue");
        message_.append(payload);
        if (fin) {
          out.push_back(Message{message_opcode_, std::move(message_), 0});
          message_.clear();
          in_message_ = false;
        }
        break;
      case Opcode::Text:
      case Opcode::Binary:
        if (in_message_) protocol_error("a new message started before the last one ended");
        if (fin) {
          out.push_back(Message{static_cast<Opcode>(op), std::string(payload), 0});
        } else {
          in_message_ = true;
          message_opcode_ = static_cast<Opcode>(op);
          message_.assign(payload);
        }
        break;
      case Opcode::Close: {
        if (payload.size() == 1) protocol_error("a close frame with a one-byte body");
        Message m{Opcode::Close, {}, 0};
        if (payload.size() >= 2) {
          m.close_code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                                    static_cast<unsigned char>(payload[1]));
          m.payload.assign(payload.substr(2));
        }
        out.push_back(std::move(m));
        break;
      }
      case Opcode::Ping:
      case Opcode::Pong: out.push_back(Message{static_cast<Opcode>(op), std::string(payload), 0}); break;
    }
  }
  buf_.erase(0, pos);
}

std::string accept_key(std::string_view key) {
  std::string text(key);
  text += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int n = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &n, EVP_sha1(), nullptr);
  return base64_encode(digest.data(), n);
}

std::unique_ptr<Socket> Socket::connect(const ConnectOptions& o) {
  const Clock::time_point deadline = Clock::now() + o.timeout;
  std::unique_ptr<Socket> s(new Socket());
  s->fd_ = connect_tcp(o, deadline);
  std::string host = o.host;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);

  if (o.tls) {
    s->tls_ = std::make_unique<Tls>();
    s->tls_->ssl = SSL_new(client_context());
    SSL* ssl = s->tls_->ssl;
    if (ssl == nullptr) network_error("could not set up TLS: " + openssl_reason());
    SSL_set_fd(ssl, s->fd_);
    in6_addr ip{};
    const bool is_ip = ::inet_pton(AF_INET, host.c_str(), &ip) == 1 || ::inet_pton(AF_INET6, host.c_str(), &ip) == 1;
    if (is_ip) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
    } else {
      SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str()));  // SNI
      SSL_set1_host(ssl, host.c_str());
    }
    for (;;) {
      ERR_clear_error();
      int r = SSL_connect(ssl);
      if (r == 1) break;
      int err = SSL_get_error(ssl, r);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        if (!wait_fd(s->fd_, err == SSL_ERROR_WANT_WRITE, deadline)) timeout_error(o, "TLS handshake");
        continue;
      }
      std::string why = openssl_reason();
      long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK) why = std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
      network_error("TLS handshake with " + host + ":" + std::to_string(o.port) + " failed" +
                    (why.empty() ? "" : ": " + why));
    }
  }

  // The opening handshake (§4.1).
  std::array<unsigned char, 16> nonce{};
  RAND_bytes(nonce.data(), static_cast<int>(nonce.size()));
  const std::string key = base64_encode(nonce.data(), nonce.size());
  std::string protocols;
  for (const auto& p : o.protocols) protocols += (protocols.empty() ? "" : ", ") + p;
  std::string host_header = o.host;
  if (o.port != (o.tls ? 443 : 80)) host_header += ":" + std::to_string(o.port);
  std::string request = "GET " + (o.path.empty() ? std::string("/") : o.path) + " HTTP/1.1\r\nHost: " + host_header +
                        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                        "\r\nSec-WebSocket-Version: 13\r\n";
  if (!protocols.empty()) request += "Sec-WebSocket-Protocol: " + protocols + "\r\n";
  request += "\r\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    std::size_t n = 0;
    Io io = s->write(std::string_view(request).substr(sent), n);
    sent += n;
    if (io == Io::Closed) network_error("the server closed the connection during the WebSocket handshake");
    if (io == Io::WouldBlock && !wait_fd(s->fd_, s->wants_write_ || !s->tls_, deadline)) timeout_error(o, "handshake");
  }
  std::string answer;
  std::size_t end = std::string::npos;
  while ((end = answer.find("\r\n\r\n")) == std::string::npos) {
    if (answer.size() > 16384) protocol_error("the handshake answer's headers are longer than 16 KiB");
    if (s->pending()) {
      s->read(answer);
      continue;
    }
    Io io = s->read(answer);
    if (io == Io::Closed) {
      if (answer.empty()) network_error("the server closed the connection during the WebSocket handshake");
      break;
    }
    if (io == Io::WouldBlock && !wait_fd(s->fd_, s->wants_write_, deadline)) timeout_error(o, "handshake");
  }
  const std::string head = answer.substr(0, end);
  if (end != std::string::npos) s->early_ = answer.substr(end + 4);

  const std::size_t eol = head.find("\r\n");
  const std::string status_line = head.substr(0, eol);
  int status = 0;
  if (status_line.rfind("HTTP/1.", 0) == 0 && status_line.size() >= 12) {
    for (std::size_t i = 9; i < 12 && std::isdigit(static_cast<unsigned char>(status_line[i])); ++i) {
      status = status * 10 + (status_line[i] - '0');
    }
  }
  if (status == 0) {
    protocol_error("the server did not answer the WebSocket handshake with HTTP (it is not a WebSocket server)");
  }
  if (status == 401 || status == 403) {
    throw make_error(ErrorKind::Auth, "AUTH_FAILED",
                     "the server rejected the credentials (HTTP " + std::to_string(status) + ", WebSocket handshake)");
  }
  if (status != 101) {
    throw make_error(ErrorKind::Protocol, kCode,
                     "the server did not accept a WebSocket connection: it answered HTTP " + std::to_string(status) +
                         " to the upgrade request (is this a Hrana server that speaks WebSocket? use http:// "
                         "or https:// for Hrana over HTTP)");
  }
  std::string upgrade, connection, accept, protocol;
  for (std::size_t at = eol; at != std::string::npos && at < head.size();) {
    std::size_t next = head.find("\r\n", at + 2);
    std::string_view line = std::string_view(head).substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
    at = next;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string name = lower(trim(line.substr(0, colon)));
    const std::string value = trim(line.substr(colon + 1));
    if (name == "upgrade") upgrade = lower(value);
    else if (name == "connection") connection = lower(value);
    else if (name == "sec-websocket-accept") accept = value;
    else if (name == "sec-websocket-protocol") protocol = value;
  }
  if (upgrade != "websocket" || connection.find("upgrade") == std::string::npos) {
    protocol_error("the handshake answer lacks Upgrade: websocket / Connection: Upgrade");
  }
  if (accept != accept_key(key)) protocol_error("the handshake answer has a wrong Sec-WebSocket-Accept");
  if (!o.protocols.empty()) {
    if (std::find(o.protocols.begin(), o.protocols.end(), protocol) == o.protocols.end()) {
      protocol_error(protocol.empty() ? "the server chose no subprotocol (offered: " + protocols + ")"
                                      : "the server chose a subprotocol that was not offered (" + protocol + ")");
    }
  }
  s->protocol_ = protocol;
  return s;
}

Socket::~Socket() {
  if (tls_ && tls_->ssl != nullptr) {
    SSL_set_quiet_shutdown(tls_->ssl, 1);  // no close_notify round trip on a dying socket
  }
  tls_.reset();
  if (fd_ >= 0) ::close(fd_);
}

bool Socket::pending() const noexcept { return tls_ && SSL_pending(tls_->ssl) > 0; }

Socket::Io Socket::read(std::string& out) {
  std::array<char, 65536> buf{};
  if (!tls_) {
    for (;;) {
      ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
      if (n > 0) {
        out.append(buf.data(), static_cast<std::size_t>(n));
        return Io::Ok;
      }
      if (n == 0) return Io::Closed;
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::WouldBlock;
      if (errno == ECONNRESET) return Io::Closed;
      network_error(std::string("reading from the WebSocket failed: ") + std::strerror(errno));
    }
  }
  ERR_clear_error();
  int n = SSL_read(tls_->ssl, buf.data(), static_cast<int>(buf.size()));
  if (n > 0) {
    wants_write_ = false;
    out.append(buf.data(), static_cast<std::size_t>(n));
    return Io::Ok;
  }
  int err = SSL_get_error(tls_->ssl, n);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    wants_write_ = err == SSL_ERROR_WANT_WRITE;
    return Io::WouldBlock;
  }
  if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) return Io::Closed;
  network_error("reading from the WebSocket failed: " + openssl_reason());
}

Socket::Io Socket::write(std::string_view data, std::size_t& written) {
  written = 0;
  if (data.empty()) return Io::Ok;
  if (!tls_) {
    for (;;) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n >= 0) {
        written = static_cast<std::size_t>(n);
        return Io::Ok;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wants_write_ = true;
        return Io::WouldBlock;
      }
      if (errno == EPIPE || errno == ECONNRESET) return Io::Closed;
      network_error(std::string("writing to the WebSocket failed: ") + std::strerror(errno));
    }
  }
  ERR_clear_error();
  int n = SSL_write(tls_->ssl, data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 20)));
  if (n > 0) {
    wants_write_ = false;
    written = static_cast<std::size_t>(n);
    return Io::Ok;
  }
  int err = SSL_get_error(tls_->ssl, n);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    wants_write_ = err == SSL_ERROR_WANT_WRITE;
    return Io::WouldBlock;
  }
  if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) return Io::Closed;
  network_error("writing to the WebSocket failed: " + openssl_reason());
}

}  // namespace libsql::detail::ws
