#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "core/engine.hpp"
#include "remote/hrana_json.hpp"

// The seam between the remote engine and the wire: a Hrana stream (one SQLite connection on
// the server) that takes requests in order, whatever carries them (HTTP pipelines with a
// baton, or a WebSocket with a stream id). See docs/hrana.md, "What our client speaks".
namespace libsql::detail {

/// What a stream answers to a list of requests: one result per request, and whether the
/// stream is gone afterwards (it was closed by a `close` request, or by the server).
struct StreamReply {
  std::vector<hrana::StreamResult> results{};
  bool closed = false;
};

/// One Hrana stream. Callers send one request list at a time (the next once the previous one
/// answered): requests on a stream run in order. Callbacks run on the connection's I/O thread
/// (or at once, on the caller's thread, for an error found before sending).
class HranaStream {
 public:
  HranaStream() = default;
  HranaStream(const HranaStream&) = delete;
  HranaStream& operator=(const HranaStream&) = delete;
  virtual ~HranaStream() = default;

  /// Sends `requests`; `done` gets one result per request, or the error that ended the stream
  /// (transport, HTTP status, protocol): after an error the stream is gone.
  virtual void send(std::vector<hrana::Request> requests, Callback<StreamReply> done) = 0;
  /// Runs one batch whose rows stream in as they are produced (a Hrana 3 cursor) when the
  /// server offers cursors, else as a `batch` request: `done` gets one result either way, as
  /// for `send({batch(steps)})`. Same rules as `send`.
  virtual void cursor(std::vector<hrana::Step> steps, Callback<StreamReply> done) = 0;
  /// Ends the stream without waiting (the server rolls back what is left open). Idempotent;
  /// never call it while a send is in flight.
  virtual void close() = 0;
};

/// A client's connection to one server (HTTP or WebSocket). Thread-safe.
class HranaConnection {
 public:
  HranaConnection() = default;
  HranaConnection(const HranaConnection&) = delete;
  HranaConnection& operator=(const HranaConnection&) = delete;
  virtual ~HranaConnection() = default;

  /// A new stream; nothing is sent until its first request.
  virtual std::shared_ptr<HranaStream> open_stream() = 0;
  /// Runs `fn` on the I/O thread at `when` (or soon after); dropped, never run, once closed.
  virtual void at(std::chrono::steady_clock::time_point when, std::function<void()> fn) = 0;
  /// Fails what is queued or in flight with CLIENT_CLOSED and stops the I/O thread.
  virtual void close() = 0;
  /// The Hrana version in use: 2 or 3, or 0 while it is not known yet.
  [[nodiscard]] virtual int version() const noexcept = 0;
};

}  // namespace libsql::detail
