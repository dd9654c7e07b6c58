#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "remote/http_transport.hpp"
#include "replica/puller.hpp"

// Turso Cloud's HTTP sync, the pull half (docs/sync.md, "Turso Cloud's HTTP sync"): GET /info
// ({"current_generation"}), GET /export/{gen} (the database file a generation starts from),
// GET /sync/{gen}/{start}/{end} (standard SQLite WAL frames, [start, end), 1-based); a 400 or
// 500 with JSON {"generation"} ends a generation. Pushing local frames (the official client's
// `offline: true`) is not implemented: writes go to the primary over Hrana.

namespace libsql::detail {

/// Where a replica of this protocol is: a generation (>= 1) and the last applied frame of it
/// (0 = none yet). Stored as the revision "G:F".
struct CloudPosition {
  std::uint32_t generation = 0;
  std::uint32_t frame_no = 0;
};
[[nodiscard]] std::string format_cloud_revision(CloudPosition position);
/// "G:F" with G >= 1, both decimal u32; nullopt otherwise.
[[nodiscard]] std::optional<CloudPosition> parse_cloud_revision(std::string_view revision);

inline constexpr std::size_t kWalFrameHeaderSize = 24;
inline constexpr std::size_t kWalFrameSize = kWalFrameHeaderSize + 4096;
/// Frames asked per request, as the official client asks ([start, start + 128)).
inline constexpr std::uint32_t kCloudPullBatch = 128;

/// One SQLite WAL frame as the server sends it: page number and commit size (big-endian, the
/// database size in pages on a commit frame, else 0), salts and checksums (ignored: the
/// injector writes frames of its own), then the page.
struct WalFrame {
  std::uint32_t page_no = 0;
  std::uint32_t commit_size = 0;
  std::string_view page{};  ///< a view into the body
};
/// The frames of a /sync answer. Throws libsql::Error (Protocol, SYNC_PROTOCOL_ERROR) for an
/// empty body, a length that is not a whole number of frames (a truncated answer), more than
/// `max_frames` frames, or a page number 0.
std::vector<WalFrame> decode_wal_frames(std::string_view body, std::size_t max_frames);

/// A /export body (a whole database file) as one unit: every page, the size from the file
/// length. An empty body is an empty database. Throws SYNC_PROTOCOL_ERROR unless the file is
/// a whole number of 4096-byte pages whose header says SQLite, page size 4096, no reserved bytes.
PullResult decode_export(std::string_view file);

/// The generation of an end-of-generation answer ({"generation": N, ...}); nullopt if the
/// body is not such JSON.
std::optional<std::uint32_t> decode_end_of_generation(std::string_view body);
/// The current generation of a /info answer. Throws SYNC_PROTOCOL_ERROR.
std::uint32_t decode_info(std::string_view body);

struct TursoCloudHttpOptions {
  std::string sync_url{};     ///< libsql://, https://, http:// (may carry ?authToken=)
  std::string auth_token{};   ///< sent as `Authorization: Bearer`; the URL's authToken wins
  /// Sent as `x-turso-encryption-key`, as the official client does (an encrypted Turso Cloud
  /// database); the replica file itself stays plaintext.
  std::string remote_encryption_key{};
  HttpOptions http{};         ///< used only when the puller creates its own transport
  /// Committed frames gathered into one unit before it is applied (one local commit).
  std::size_t frames_per_unit = 1024;
};

/// The puller. pull() runs on one thread at a time (the sync thread).
/// Errors (libsql::Error): AUTH_FAILED (Auth) for HTTP 401/403; SERVER_ERROR (Protocol) for
/// other HTTP failures; SYNC_PROTOCOL_ERROR (Protocol) for a bad answer; curl errors
/// (Network/Timeout); CLIENT_CLOSED. Messages never contain the token.
class TursoCloudHttpPuller final : public ReplicaPuller {
 public:
  explicit TursoCloudHttpPuller(const TursoCloudHttpOptions& options, std::shared_ptr<HttpTransport> http = nullptr);
  TursoCloudHttpPuller(const TursoCloudHttpPuller&) = delete;
  TursoCloudHttpPuller& operator=(const TursoCloudHttpPuller&) = delete;
  ~TursoCloudHttpPuller() override;

  [[nodiscard]] std::string_view protocol() const noexcept override { return kProtocolTursoCloudHttp; }
  /// From an empty position: /info, then /export of the current generation as one unit
  /// (revision "G:0"), then frames as below. From "G:F": /sync from frame F + 1 in batches of
  /// 128 until the server says the generation ended; committed frames are applied in units
  /// of up to `frames_per_unit` frames (frames after the last commit wait for it, and are
  /// pulled again by the next pull if this one fails; when a request fails, the commits
  /// already received are applied before the error is thrown); when the server is in a later
  /// generation, the next one is followed from frame 1 ("G+1:0" is stored first), as the
  /// official client does. Ends when the server's generation is reached. A server in an
  /// earlier generation than the replica (recreated, restored) rebuilds it: the export and
  /// frames of its current generation, as one replace_base unit then units (a reset).
  void pull(const ReplicaPosition& from, const std::function<void(PullResult&)>& apply) override;
  void close() override;

  /// GET {base}{path}: the raw answer. Throws for transport errors only.
  HttpResponse get(const std::string& path);

 private:
  void follow(CloudPosition position, const std::function<void(PullResult&)>& apply, bool may_reset);
  /// /info, /export of the current generation (replace_base = `replace`), then follow it.
  void bootstrap(bool replace, const std::function<void(PullResult&)>& apply);

  std::string base_;    // scheme://host[:port]/path, no trailing slash
  std::string token_;
  std::string remote_encryption_key_;
  std::size_t frames_per_unit_;
  bool owns_http_ = false;
  std::shared_ptr<HttpTransport> http_;
};

}  // namespace libsql::detail
