#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/url.hpp"
#include "remote/http_transport.hpp"
#include "replica/puller.hpp"

// libSQL replication as sqld serves it (docs/sync.md, "gRPC-web pull (sqld)"): the
// wal_log.ReplicationLog service (Hello, BatchLogEntries, Snapshot) over HTTP/1.1 gRPC-web,
// protobuf by hand, libSQL frames (24-byte little-endian header + 4096-byte page).

namespace libsql::detail {

namespace grpc_web {

/// gRPC status codes used here.
inline constexpr int kOk = 0;
inline constexpr int kPermissionDenied = 7;
inline constexpr int kFailedPrecondition = 9;
inline constexpr int kUnavailable = 14;
inline constexpr int kUnauthenticated = 16;

/// One gRPC message as a gRPC-web request body: flag 0, 4-byte big-endian length, message.
std::string frame_message(std::string_view message);

/// A decoded gRPC-web answer: its data messages (views into the body) and its status.
struct Reply {
  std::vector<std::string_view> messages{};
  int status = -1;         ///< grpc-status
  std::string message{};   ///< grpc-message, percent-decoded
};

/// Decodes a gRPC-web response body: data frames, then one trailer frame (flag 0x80) with
/// `grpc-status`/`grpc-message` lines; or, with an empty body, the status in the HTTP
/// headers ("trailers-only", how sqld answers errors). Strict: a truncated frame, a frame
/// after the trailer, a compressed frame, a missing or malformed status throw libsql::Error
/// (Protocol, SYNC_PROTOCOL_ERROR).
Reply decode_reply(std::string_view body, const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace grpc_web

/// HelloResponse (libsql-replication/proto/replication_log.proto).
struct HelloInfo {
  std::string generation_id{};
  std::string log_id{};
  std::string session_token{};
  std::optional<std::uint64_t> current_replication_index{};  ///< absent: the log is empty
};
/// Throws SYNC_PROTOCOL_ERROR for bad protobuf, a missing log_id or session token.
HelloInfo decode_hello(std::string_view message);

/// One libSQL frame: a 24-byte little-endian header (frame_no u64, checksum u64, page_no
/// u32, size_after u32; size_after != 0 marks a commit) and a 4096-byte page.
struct LibsqlFrame {
  std::uint64_t frame_no = 0;
  std::uint64_t checksum = 0;
  std::uint32_t page_no = 0;
  std::uint32_t size_after = 0;
  std::string_view page{};  ///< a view into the decoded message
};
inline constexpr std::size_t kLibsqlFrameHeaderSize = 24;
/// Throws SYNC_PROTOCOL_ERROR unless `data` is exactly header + page, page_no != 0.
LibsqlFrame decode_libsql_frame(std::string_view data);
/// The frames of a `Frames` message (BatchLogEntries), appended to `out` in order.
void decode_frames_message(std::string_view message, std::vector<LibsqlFrame>& out);
/// The frame of one `Frame` message (LogEntries / Snapshot streams).
LibsqlFrame decode_frame_message(std::string_view message);

/// Buffers frames (in frame_no order, no gaps) until commit frames arrive, and hands out
/// what is committed as one coalesced unit: pages deduplicated (the last wins), the size of
/// the last commit, revision = that commit's frame_no. Frames after the last commit wait.
class CommitAssembler {
 public:
  explicit CommitAssembler(std::uint64_t next_frame_no) : next_(next_frame_no) {}
  /// Throws SYNC_PROTOCOL_ERROR for a frame out of order.
  void add(const LibsqlFrame& frame);
  [[nodiscard]] std::uint64_t next_frame_no() const noexcept { return next_; }
  [[nodiscard]] bool has_committed() const noexcept { return committed_frames_ != 0; }
  /// Frames in the committed part (what take_committed() would hand out).
  [[nodiscard]] std::size_t committed_frames() const noexcept { return committed_frames_; }
  /// The committed unit (pages beyond its size dropped); empties the committed part.
  PullResult take_committed();

 private:
  std::uint64_t next_;
  std::vector<std::pair<std::uint32_t, std::string>> pending_;  // frames after the last commit
  std::map<std::uint32_t, std::string> committed_;
  std::size_t committed_frames_ = 0;
  std::uint32_t committed_size_ = 0;
  std::uint64_t committed_last_ = 0;
};

/// Builds one unit from a Snapshot stream: the latest page of every page changed in one of
/// sqld's snapshot files from the asked offset on (highest frame_no first); the frame that
/// carries a size (sqld 0.24: the last one) gives the database size, the highest frame_no
/// the revision. Throws SYNC_PROTOCOL_ERROR.
PullResult snapshot_unit(const std::vector<LibsqlFrame>& frames);

struct LibsqlGrpcOptions {
  std::string sync_url{};     ///< libsql://, https://, http:// (may carry ?authToken=)
  std::string auth_token{};   ///< sent as `x-authorization: Bearer`; the URL's authToken wins
  HttpOptions http{};         ///< used only when the puller creates its own transport
  /// How long a Snapshot answered UNAVAILABLE "snapshot not found" is asked again: sqld swaps
  /// in an empty log at once when it compacts, but writes the snapshot of the old one in the
  /// background (seconds per 100 MB), and until then it has no snapshot for those frames.
  std::chrono::milliseconds snapshot_wait{std::chrono::minutes(2)};
};

/// The gRPC-web replication client. pull() runs on one thread at a time (the sync thread).
/// Errors (libsql::Error): AUTH_FAILED (Auth) for HTTP 401/403 or gRPC UNAUTHENTICATED /
/// PERMISSION_DENIED; REPLICA_NAMESPACE_NOT_FOUND (Protocol); SERVER_ERROR (Protocol) for
/// other HTTP or gRPC failures; SYNC_PROTOCOL_ERROR (Protocol) for a bad answer; curl errors
/// (Network/Timeout); CLIENT_CLOSED. Messages never contain the token.
class LibsqlGrpcPuller final : public ReplicaPuller {
 public:
  explicit LibsqlGrpcPuller(const LibsqlGrpcOptions& options, std::shared_ptr<HttpTransport> http = nullptr);
  LibsqlGrpcPuller(const LibsqlGrpcPuller&) = delete;
  LibsqlGrpcPuller& operator=(const LibsqlGrpcPuller&) = delete;
  ~LibsqlGrpcPuller() override;

  [[nodiscard]] std::string_view protocol() const noexcept override { return kProtocolLibsqlGrpc; }
  /// Handshake, then BatchLogEntries from `from` + 1 until the Hello's replication index;
  /// NEED_SNAPSHOT → Snapshot from the committed frame + 1 (0 for a new replica), applied as
  /// one unit, then on from that snapshot's last frame (sqld keeps one snapshot file per
  /// compaction, so a far-behind replica goes through several); a snapshot sqld is still
  /// writing ("snapshot not found") is asked again until `snapshot_wait`; NO_HELLO → handshake
  /// again; a log_id other than `from`'s → one replace_base unit with the whole new database. Always delivers at least one unit
  /// (an empty one when nothing changed), so the caller learns the log_id.
  void pull(const ReplicaPosition& from, const std::function<void(PullResult&)>& apply) override;
  void close() override;

  /// One Hello call (also the protocol probe). Remembers the session token.
  HelloInfo hello();
  /// The raw answer of one call (tests, the probe). Throws for transport and HTTP errors only.
  grpc_web::Reply call(std::string_view method, std::string_view message, std::string& body_storage);

 private:
  void pull_image(const std::function<void(PullResult&)>& apply);
  void follow(HelloInfo hello, std::optional<std::uint64_t> committed,
              const std::function<void(PullResult&)>& apply);
  PullResult snapshot(std::uint64_t next_offset);
  void pause_before_retry(std::chrono::milliseconds pause);

  std::string base_;    // scheme://host[:port]/path, no trailing slash
  std::string token_;
  std::string namespace_;
  std::string session_token_;
  bool owns_http_ = false;
  std::chrono::milliseconds snapshot_wait_{};
  std::atomic<bool> closed_{false};
  std::shared_ptr<HttpTransport> http_;
};

/// The protocol a new replica of `sync_url` should speak, decided as the official client
/// does (docs/sync.md, "How the official client picks a protocol"): `GET /info` answering
/// 2xx → Turso Cloud's HTTP sync (turso-cloud-http);
/// 401/403 → AUTH_FAILED; otherwise a gRPC-web Hello that succeeds → libsql-grpc; a Hello
/// refused for its credentials → AUTH_FAILED; anything else → turso-sync.
std::string_view detect_sync_protocol(const std::string& sync_url, const std::string& auth_token,
                                      const std::shared_ptr<HttpTransport>& http);

}  // namespace libsql::detail
