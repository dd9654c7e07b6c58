#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libsql/error.hpp"

// A small RFC 6455 (WebSocket) client: TCP, TLS through the static OpenSSL the build already
// links for libcurl, the opening handshake, and the framing. Hrana over WebSocket
// (remote/hrana_ws.*) drives it from its own I/O thread.
//
// Why our own: libcurl 7.88 (Debian 12, and the one built here) has no WebSocket support; the
// libraries Debian ships (libwebsockets, websocketpp/asio) each bring an event loop and build
// options of their own to link statically into the Node addon, while the client side of
// RFC 6455 that Hrana needs is small: one handshake, masked text frames out, text/binary,
// ping/pong, close and continuation frames in. No extensions (permessage-deflate) are offered.
namespace libsql::detail::ws {

using Clock = std::chrono::steady_clock;

/// A frame opcode (RFC 6455 §5.2).
enum class Opcode : std::uint8_t { Continuation = 0x0, Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA };

/// One client frame: FIN set, masked with `mask` (clients always mask, §5.3).
std::string encode_frame(Opcode opcode, std::string_view payload, std::uint32_t mask);

/// A whole message or control frame read from the server.
struct Message {
  Opcode opcode = Opcode::Text;  ///< Text, Binary, Close, Ping or Pong (never Continuation)
  std::string payload{};
  std::uint16_t close_code = 0;  ///< Close only: 0 when the frame carried none
};

/// Reads server frames as bytes arrive, joining fragmented messages. Throws Error (Protocol,
/// HRANA_WEBSOCKET_ERROR) on what RFC 6455 forbids of a server (a masked frame, reserved bits,
/// an unknown opcode, a fragmented or oversized control frame, a continuation without a start)
/// and on a message larger than `max_message`.
class FrameReader {
 public:
  explicit FrameReader(std::size_t max_message) : max_message_(max_message) {}
  /// Appends what `data` completes to `out`.
  void feed(std::string_view data, std::vector<Message>& out);

 private:
  std::size_t max_message_;
  std::string buf_{};           // bytes not yet parsed
  bool in_message_ = false;     // a fragmented data message has started
  Opcode message_opcode_ = Opcode::Text;
  std::string message_{};
};

struct ConnectOptions {
  std::string host{};
  int port = 0;
  bool tls = false;
  std::string path = "/";  ///< request target, with its leading slash
  std::vector<std::string> protocols{};  ///< offered in Sec-WebSocket-Protocol, in order
  std::chrono::milliseconds timeout{10000};  ///< for the TCP connect, TLS and the handshake
};

/// An open WebSocket after a successful handshake: a non-blocking socket (and its TLS session),
/// closed by the destructor.
class Socket {
 public:
  /// Connects and shakes hands (blocking, at most `options.timeout`). Throws Error: Network for
  /// a connection or TLS failure (certificates are always verified), Timeout, Auth for HTTP
  /// 401/403, Protocol for a server that does not answer as a WebSocket server should, or
  /// picks none of the offered subprotocols.
  static std::unique_ptr<Socket> connect(const ConnectOptions& options);
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  [[nodiscard]] int fd() const noexcept { return fd_; }
  /// The subprotocol the server chose.
  [[nodiscard]] const std::string& protocol() const noexcept { return protocol_; }
  /// Bytes that arrived with the handshake's answer (the start of the first frames).
  std::string take_early_bytes() { return std::move(early_); }

  enum class Io { Ok, WouldBlock, Closed };
  /// Reads what is available into `out` (appending). Throws Error (Network) on a failure.
  Io read(std::string& out);
  /// Writes from `data`; `written` gets how much went. WouldBlock: wait for `wants_write()`
  /// (POLLOUT) or, with TLS, possibly for input. Throws Error (Network) on a failure.
  Io write(std::string_view data, std::size_t& written);
  /// With TLS, the last read or write needs the socket writable (rather than readable).
  [[nodiscard]] bool wants_write() const noexcept { return wants_write_; }
  /// TLS bytes already decrypted and waiting (poll would not show them).
  [[nodiscard]] bool pending() const noexcept;

 private:
  Socket() = default;
  struct Tls;
  int fd_ = -1;
  std::unique_ptr<Tls> tls_;
  std::string protocol_{};
  std::string early_{};
  bool wants_write_ = false;
};

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (§4.2.2): base64(SHA-1(key + GUID)).
std::string accept_key(std::string_view key);

}  // namespace libsql::detail::ws
