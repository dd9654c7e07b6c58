#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "core/url.hpp"
#include "remote/hrana_stream.hpp"

namespace libsql::detail {

struct WsHranaOptions {
  std::string host{};
  int port = 0;
  bool tls = true;
  std::string path = "/";
  std::string auth_token{};  ///< sent in `hello`; never in a message
  std::chrono::milliseconds connect_timeout{10000};  ///< TCP + TLS + the WebSocket handshake (connector thread)
  std::chrono::milliseconds request_timeout{0};  ///< 0 = none; past it the socket is dropped
  std::size_t max_message = std::size_t{256} << 20;  ///< a larger server message ends the socket
  int max_version = 3;  ///< 2: offer only `hrana2` (tests: a server without cursors)
  /// Once the socket is this old, the next new stream opens a new one (as @libsql/client's
  /// ws client, after 60 s); the streams in flight finish on the old one. 0 = never.
  std::chrono::milliseconds max_socket_age{60000};
  /// SQL texts stored per socket (`store_sql`), as @libsql/client's ws client (100). 0 = none.
  std::size_t sql_cache_capacity = 100;
};

/// Hrana over WebSocket (JSON, subprotocols `hrana3` then `hrana2`), as @libsql/client's ws
/// client speaks it: one socket carries every stream (`open_stream` / `close_stream` with ids
/// the client picks; `execute`, `batch`, `sequence`, `get_autocommit` by `request_id` and
/// `stream_id`); `hello` carries the JWT. The socket is opened on first use, on a
/// connector thread (the connection's I/O thread goes on meanwhile); when it dies (server gone, close frame, protocol error,
/// timeout), what was in flight fails (HRANA_WEBSOCKET_ERROR), the streams it carried are gone
/// (their next request fails with TRANSACTION_CLOSED: the server rolled back), and the next new
/// stream opens a new socket. A socket older than `max_socket_age` is renewed the same way for
/// new streams, while the streams opened on it finish there. On hrana3 a stream's `cursor` runs as a Hrana 3 cursor
/// (`open_cursor`, pipelined `fetch_cursor`s, `close_cursor`), so a result over the server's
/// response limit streams in; on hrana2 it goes as a `batch` request.
class WsHrana final : public HranaConnection, public std::enable_shared_from_this<WsHrana> {
 public:
  static std::shared_ptr<WsHrana> create(WsHranaOptions options);
  ~WsHrana() override;

  std::shared_ptr<HranaStream> open_stream() override;
  void at(std::chrono::steady_clock::time_point when, std::function<void()> fn) override;
  void close() override;
  [[nodiscard]] int version() const noexcept override;

  /// Tests: drops the current socket as a network failure would (nothing is sent).
  void drop_socket_for_test();
  /// How many sockets were opened so far.
  [[nodiscard]] int sockets_opened() const noexcept;
  /// How many SQL texts were stored on the server (`store_sql`) so far.
  [[nodiscard]] int sql_stored() const noexcept;

  class Core;

 private:
  explicit WsHrana(WsHranaOptions options);
  friend class WsStream;
  std::unique_ptr<Core> core_;
};

/// The WebSocket connection options for a ws:, wss: (or libsql: asked as WebSocket) URL.
WsHranaOptions ws_options_for(const ParsedUrl& url);

}  // namespace libsql::detail
