#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/url.hpp"
#include "libsql/client.hpp"
#include "remote/http_transport.hpp"
#include "replica/page_image.hpp"
#include "replica/puller.hpp"

// Turso Sync pull client (docs/sync.md, "Turso Sync"): `POST <syncUrl>/pull-updates` with a
// protobuf request, answered by a stream of varint-length-delimited protobuf messages.

namespace libsql::detail {

/// Just enough protobuf (proto3 wire format) for the pull-updates messages.
namespace protobuf {

enum class WireType : std::uint8_t { Varint = 0, Fixed64 = 1, Len = 2, StartGroup = 3, EndGroup = 4, Fixed32 = 5 };

void append_varint(std::string& out, std::uint64_t value);
void append_varint_field(std::string& out, std::uint32_t field, std::uint64_t value);
void append_bytes_field(std::string& out, std::uint32_t field, std::string_view bytes);

/// Reads the fields of one message in order. Throws libsql::Error (Protocol,
/// SYNC_PROTOCOL_ERROR) on a bad varint, a length past the end, an invalid wire type or
/// field number, or an unbalanced group. Not thread-safe; cheap to create.
class Reader {
 public:
  explicit Reader(std::string_view data) noexcept : data_(data) {}
  /// Moves to the next field; false at the end of the message.
  bool next();
  [[nodiscard]] std::uint32_t field() const noexcept { return field_; }
  [[nodiscard]] WireType wire_type() const noexcept { return wire_type_; }
  /// The value of a Varint field (also the raw bits of Fixed32/Fixed64).
  [[nodiscard]] std::uint64_t varint() const noexcept { return varint_; }
  /// The payload of a Len field (a view into the input).
  [[nodiscard]] std::string_view bytes() const noexcept { return bytes_; }

  /// Reads a varint at `pos`, advancing it. Throws on truncation or more than 64 bits.
  static std::uint64_t read_varint(std::string_view data, std::size_t& pos);

 private:
  void skip_group(std::uint32_t field, int depth);

  std::string_view data_;
  std::size_t pos_ = 0;
  std::uint32_t field_ = 0;
  WireType wire_type_ = WireType::Varint;
  std::uint64_t varint_ = 0;
  std::string_view bytes_{};
};

}  // namespace protobuf

/// `PullUpdatesReqProtoBody`. The encoding is always raw (0): tursodb and the reference
/// client have no zstd support (docs/sync.md, "Turso Sync: the pull").
struct PullRequest {
  std::string server_revision{};      ///< empty = the server's latest
  std::string client_revision{};      ///< the revision we have; empty = everything (bootstrap)
  std::uint32_t long_poll_timeout_ms = 0;
};

/// The protobuf body of a pull request; fields at their default value are left out.
std::string encode_pull_request(const PullRequest& request);


/// Decodes a whole pull-updates response body. Strict: any truncation inside a message,
/// bad varint, length past the end, missing header, empty or non-UTF-8 revision, page that
/// is not 4096 bytes or lies beyond db_size, zstd encoding, MVCC log stream or unknown apply
/// mode throws libsql::Error (Protocol, SYNC_PROTOCOL_ERROR), so nothing is applied. A body
/// cut exactly between two messages cannot be told apart from a shorter answer; HTTP
/// framing (Content-Length, chunked) catches that below us. Duplicate pages: the last wins.
PullResult decode_pull_response(std::string_view body);

/// Throws libsql::Error (Protocol, SYNC_PROTOCOL_ERROR) unless `result` holds every page
/// 1..db_size, as a bootstrap (a pull from revision "") must. tursodb serves a database that
/// was checkpointed before it started as if those pages did not exist (docs/sync.md, "Turso Sync: tursodb's quirks").
void check_complete_image(const PullResult& result);

/// `https://host[:port]/path/pull-updates` for a syncUrl (libsql: → https, or http with
/// ?tls=0; ws/wss like http/https). Trailing slashes of the path are dropped.
/// Throws libsql::Error (Misuse) for a file: or :memory: URL.
std::string pull_updates_url(const ParsedUrl& sync_url);

/// What identifies the server a replica was bootstrapped from: the base URL we talk to
/// (scheme by TLS, lower-case host, port unless the default, path without trailing slash),
/// never the token. `libsql://h` and `https://h:443/` are the same server.
/// Throws libsql::Error (Misuse) like parse_url, or for a local URL.
std::string sync_url_identity(std::string_view sync_url);

struct TursoSyncOptions {
  std::string sync_url{};     ///< libsql://, https://, http:// (may carry ?authToken=)
  std::string auth_token{};   ///< sent as `Authorization: Bearer`; the URL's authToken wins
  std::uint32_t long_poll_timeout_ms = 0;
  HttpOptions http{};         ///< used only when the client creates its own transport
};

/// Pulls from one Turso Sync server. Thread-safe; pulls may overlap (the caller serialises
/// them if it applies them). Messages never contain the token.
class TursoSyncClient {
 public:
  /// `http` may be shared with a RemoteEngine; without one the client creates its own.
  /// Throws libsql::Error (Misuse) for a bad sync URL.
  explicit TursoSyncClient(const TursoSyncOptions& options, std::shared_ptr<HttpTransport> http = nullptr);
  TursoSyncClient(const TursoSyncClient&) = delete;
  TursoSyncClient& operator=(const TursoSyncClient&) = delete;
  ~TursoSyncClient();

  /// Asks for every page changed after `client_revision` ("" = bootstrap, checked with
  /// check_complete_image()). `done` runs on the transport's I/O thread with the decoded
  /// result or an Error: AUTH_FAILED (Auth) for HTTP 401/403, SERVER_ERROR (Protocol) for
  /// other HTTP errors, SYNC_PROTOCOL_ERROR (Protocol) for a bad body, curl errors
  /// (Network/Timeout), CLIENT_CLOSED. The whole body is held in memory (no chunked
  /// bootstrap yet). With long_poll_timeout_ms, keep the transport's request timeout longer.
  void pull(const std::string& client_revision, Callback<PullResult> done);
  /// Blocking pull. Throws libsql::Error as above; Misuse if called on the I/O thread.
  PullResult pull(const std::string& client_revision);

  /// The endpoint, for messages and logs (it never holds the token).
  [[nodiscard]] const std::string& url() const noexcept { return url_; }
  /// Closes an owned transport (pending pulls fail with CLIENT_CLOSED). Idempotent.
  void close();

 private:
  std::string url_;
  std::string auth_token_;
  std::uint32_t long_poll_timeout_ms_ = 0;
  bool owns_http_ = false;
  std::shared_ptr<HttpTransport> http_;
};

/// Turso Sync behind the puller seam: one pull is one unit.
class TursoSyncPuller final : public ReplicaPuller {
 public:
  explicit TursoSyncPuller(const TursoSyncOptions& options, std::shared_ptr<HttpTransport> http = nullptr)
      : client_(options, std::move(http)) {}
  [[nodiscard]] std::string_view protocol() const noexcept override { return kProtocolTursoSync; }
  void pull(const ReplicaPosition& from, const std::function<void(PullResult&)>& apply) override {
    PullResult r = client_.pull(from.revision);
    r.frames = r.pages.size();
    apply(r);
  }
  void close() override { client_.close(); }

 private:
  TursoSyncClient client_;
};

}  // namespace libsql::detail
