#include "replica/turso_cloud_http.hpp"

#include <simdjson.h>

#include <charconv>
#include <cstring>
#include <future>
#include <limits>
#include <utility>

#include "core/error_codes.hpp"
#include "core/reaper.hpp"
#include "core/url.hpp"
#include "replica/libsql_grpc.hpp"  // CommitAssembler

namespace libsql::detail {
namespace {

[[noreturn]] void corrupt(const std::string& what) {
  throw make_error(ErrorKind::Protocol, "SYNC_PROTOCOL_ERROR", "invalid Turso Cloud sync answer: " + what);
}

std::uint32_t be32(std::string_view s, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(s[at + i]);
  return v;
}

std::optional<std::uint32_t> parse_u32(std::string_view s) {
  std::uint32_t v = 0;
  if (s.empty() || s.size() > 10) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

/// `key` of a JSON object body as a u32; nullopt if the body is not such an object.
std::optional<std::uint32_t> json_u32(std::string_view body, const char* key) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::object o;
  if (parser.parse(padded).get_object().get(o)) return std::nullopt;
  std::uint64_t v = 0;
  if (o[key].get_uint64().get(v) || v > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

}  // namespace

std::string format_cloud_revision(CloudPosition position) {
  return std::to_string(position.generation) + ":" + std::to_string(position.frame_no);
}

std::optional<CloudPosition> parse_cloud_revision(std::string_view revision) {
  const auto colon = revision.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto generation = parse_u32(revision.substr(0, colon));
  auto frame = parse_u32(revision.substr(colon + 1));
  if (!generation || !frame || *generation == 0) return std::nullopt;
  return CloudPosition{*generation, *frame};
}

std::vector<WalFrame> decode_wal_frames(std::string_view body, std::size_t max_frames) {
  if (body.empty()) corrupt("a frames answer with an empty body");
  if (body.size() % kWalFrameSize != 0) {
    corrupt("a frames answer of " + std::to_string(body.size()) + " bytes is not a whole number of " +
            std::to_string(kWalFrameSize) + "-byte frames (truncated?)");
  }
  const std::size_t n = body.size() / kWalFrameSize;
  if (n > max_frames) {
    corrupt(std::to_string(n) + " frames where at most " + std::to_string(max_frames) + " were asked for");
  }
  std::vector<WalFrame> frames;
  frames.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::string_view f = body.substr(i * kWalFrameSize, kWalFrameSize);
    WalFrame frame{.page_no = be32(f, 0), .commit_size = be32(f, 4), .page = f.substr(kWalFrameHeaderSize)};
    if (frame.page_no == 0) corrupt("a frame for page 0");
    frames.push_back(frame);
  }
  return frames;
}

PullResult decode_export(std::string_view file) {
  PullResult image;
  if (file.empty()) return image;  // an empty database
  if (file.size() % kReplicaPageSize != 0) {
    corrupt("the exported database has " + std::to_string(file.size()) +
            " bytes, not a whole number of 4096-byte pages (truncated?)");
  }
  static constexpr char kMagic[] = "SQLite format 3";  // 16 bytes with its NUL
  if (std::memcmp(file.data(), kMagic, sizeof kMagic) != 0) corrupt("the export is not an SQLite database file");
  const auto page_size = static_cast<std::uint32_t>((static_cast<std::uint8_t>(file[16]) << 8) |
                                                    static_cast<std::uint8_t>(file[17]));
  if (page_size != kReplicaPageSize || file[20] != 0) {
    corrupt("the exported database does not have 4096-byte pages without reserved bytes");
  }
  const std::size_t pages = file.size() / kReplicaPageSize;
  if (pages > std::numeric_limits<std::uint32_t>::max()) corrupt("the exported database is too large");
  image.db_size_pages = static_cast<std::uint32_t>(pages);
  image.pages.reserve(pages);
  for (std::size_t i = 0; i < pages; ++i) {
    const auto* bytes = reinterpret_cast<const std::byte*>(file.data() + i * kReplicaPageSize);
    image.pages.push_back(
        PageImage{static_cast<std::uint32_t>(i + 1), std::vector<std::byte>(bytes, bytes + kReplicaPageSize)});
  }
  return image;
}

std::optional<std::uint32_t> decode_end_of_generation(std::string_view body) {
  return json_u32(body, "generation");
}

std::uint32_t decode_info(std::string_view body) {
  auto generation = json_u32(body, "current_generation");
  if (!generation || *generation == 0) {
    corrupt("GET /info did not answer {\"current_generation\": N} with N >= 1");
  }
  return *generation;
}

TursoCloudHttpPuller::TursoCloudHttpPuller(const TursoCloudHttpOptions& options, std::shared_ptr<HttpTransport> http)
    : frames_per_unit_(options.frames_per_unit == 0 ? 1 : options.frames_per_unit), http_(std::move(http)) {
  ParsedUrl url = parse_url(options.sync_url);
  base_ = sync_base_url(url);
  token_ = url.auth_token ? *url.auth_token : options.auth_token;
  remote_encryption_key_ = options.remote_encryption_key;
  if (!http_) {
    http_ = std::make_shared<HttpTransport>(options.http);
    owns_http_ = true;
  }
}

TursoCloudHttpPuller::~TursoCloudHttpPuller() {
  close();
  if (http_ && http_.use_count() == 1 && http_->on_io_thread()) release_elsewhere(std::move(http_));
}

void TursoCloudHttpPuller::close() {
  if (owns_http_ && http_) http_->close();
}

HttpResponse TursoCloudHttpPuller::get(const std::string& path) {
  if (http_->on_io_thread()) {
    throw make_error(ErrorKind::Misuse, "MISUSE", "a blocking pull cannot run on the HTTP I/O thread");
  }
  // Reads only: libcurl may resend them on a dead reused connection.
  HttpRequest request{.url = base_ + path, .auth_token = token_, .retry_safe = true};
  request.method = "GET";
  request.encryption_key = remote_encryption_key_;
  auto promise = std::make_shared<std::promise<Outcome<HttpResponse>>>();
  auto future = promise->get_future();
  http_->post(std::move(request), [promise](Outcome<HttpResponse> o) { promise->set_value(std::move(o)); });
  Outcome<HttpResponse> o = future.get();
  if (auto* e = std::get_if<Error>(&o)) throw *e;
  return std::move(std::get<HttpResponse>(o));
}

void TursoCloudHttpPuller::pull(const ReplicaPosition& from, const std::function<void(PullResult&)>& apply) {
  if (!from.revision.empty()) {
    auto position = parse_cloud_revision(from.revision);
    if (!position) corrupt("the replica's position \"" + from.revision.substr(0, 40) + "\" is not generation:frame");
    return follow(*position, apply, true);
  }
  bootstrap(false, apply);
}

void TursoCloudHttpPuller::bootstrap(bool replace, const std::function<void(PullResult&)>& apply) {
  const std::string where = " [" + base_ + "]";
  // The file the current generation starts from, then its frames.
  HttpResponse info = get("/info");
  if (info.status < 200 || info.status > 299) {
    throw http_status_error(info, "sync server", " (GET /info)" + where, token_);
  }
  const std::uint32_t generation = decode_info(info.body);
  HttpResponse exported = get("/export/" + std::to_string(generation));
  if (exported.status != 200) {
    throw http_status_error(exported, "sync server", " (GET /export)" + where, token_);
  }
  PullResult image = decode_export(exported.body);
  exported.body.clear();
  exported.body.shrink_to_fit();
  image.server_revision = format_cloud_revision({generation, 0});
  image.replace_base = replace;
  apply(image);
  follow({generation, 0}, apply, false);
}

void TursoCloudHttpPuller::follow(CloudPosition position, const std::function<void(PullResult&)>& apply,
                                  bool may_reset) {
  const std::string where = " (GET /sync)" + std::string(" [") + base_ + "]";
  CommitAssembler frames(std::uint64_t{position.frame_no} + 1);
  std::uint64_t committed = position.frame_no;
  auto flush = [&] {
    if (!frames.has_committed()) return;
    PullResult unit = frames.take_committed();
    committed = std::stoull(unit.server_revision);
    unit.server_revision = format_cloud_revision({position.generation, static_cast<std::uint32_t>(committed)});
    apply(unit);
  };
  // Bounded: every turn moves the frame number (u32) or the generation (u32) forward, or ends.
  for (;;) {
    const std::uint64_t start = frames.next_frame_no();
    const std::uint64_t end = start + kCloudPullBatch;
    if (end > std::numeric_limits<std::uint32_t>::max()) corrupt("frame numbers beyond 32 bits");
    HttpResponse r;
    try {
      r = get("/sync/" + std::to_string(position.generation) + "/" + std::to_string(start) + "/" +
              std::to_string(end));
      if (r.status == 200) {
        std::vector<WalFrame> batch = decode_wal_frames(r.body, kCloudPullBatch);
        std::uint64_t no = start;
        for (const WalFrame& f : batch) {
          frames.add(LibsqlFrame{.frame_no = no++, .page_no = f.page_no, .size_after = f.commit_size, .page = f.page});
        }
      }
    } catch (const Error&) {
      // What is committed so far is good: apply it, so a flaky network still makes progress.
      flush();
      throw;
    }
    if (r.status == 200) {
      if (frames.committed_frames() >= frames_per_unit_) flush();
      continue;
    }
    std::optional<std::uint32_t> server_generation;
    if (r.status == 400 || r.status == 500) server_generation = decode_end_of_generation(r.body);
    if (!server_generation) {
      flush();
      if (may_reset && r.status != 401 && r.status != 403 && frames.next_frame_no() == committed + 1) {
        // A server that no longer knows this generation (recreated or restored) may say so
        // only by failing: if /info is behind the replica, rebuild it as below.
        std::optional<std::uint32_t> current;
        try {
          HttpResponse info = get("/info");
          if (info.status >= 200 && info.status < 300) current = decode_info(info.body);
        } catch (const Error&) {
        }
        if (current && *current < position.generation) return bootstrap(true, apply);
      }
      throw http_status_error(r, "sync server", where, token_);
    }
    // The end of this generation (for now, if it is the server's current one).
    flush();
    if (frames.next_frame_no() != committed + 1) {
      corrupt("generation " + std::to_string(position.generation) + " ended after frame " +
              std::to_string(frames.next_frame_no() - 1) + ", which is not a commit");
    }
    if (position.generation == *server_generation) return;
    if (position.generation > *server_generation) {
      // The server went back to an earlier generation: the database was recreated or
      // restored. As a libSQL log_id change: rebuild the replica from the server's export
      // (once per pull: a server whose /info and /sync disagree is an error, not a loop).
      if (!may_reset) {
        corrupt("the server's /sync says generation " + std::to_string(*server_generation) + ", behind " +
                std::to_string(position.generation) + ", right after a bootstrap");
      }
      return bootstrap(true, apply);
    }
    if (position.generation == std::numeric_limits<std::uint32_t>::max()) corrupt("generation beyond 32 bits");
    // The next generation starts from this one's last state: follow it from frame 1. Store
    // the move first (a unit without pages), so a failure later resumes there.
    position = CloudPosition{position.generation + 1, 0};
    PullResult moved;
    moved.server_revision = format_cloud_revision(position);
    apply(moved);
    frames = CommitAssembler(1);
    committed = 0;
  }
}

}  // namespace libsql::detail
