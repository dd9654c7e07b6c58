#include "replica/libsql_grpc.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <future>
#include <thread>

#include "core/base64.hpp"
#include "core/engine.hpp"
#include "core/error_codes.hpp"
#include "core/reaper.hpp"
#include "replica/turso_sync.hpp"  // protobuf::Reader, sync_url_identity

namespace libsql::detail {
namespace {

[[noreturn]] void corrupt(const std::string& what) {
  throw make_error(ErrorKind::Protocol, "SYNC_PROTOCOL_ERROR", "invalid libSQL replication answer: " + what);
}

std::uint64_t le(std::string_view s, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{static_cast<std::uint8_t>(s[at + i])} << (8 * i);
  return v;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

int parse_status(std::string_view text) {
  std::string t = trim(text);
  if (t.empty() || t.size() > 3 || t.find_first_not_of("0123456789") != std::string::npos) {
    corrupt("malformed grpc-status \"" + t.substr(0, 20) + "\"");
  }
  return std::stoi(t);
}

std::string offset_message(std::uint64_t next_offset) {
  std::string m;
  if (next_offset != 0) protobuf::append_varint_field(m, 1, next_offset);
  return m;
}

/// Thrown inside pull() for the two statuses that steer the flow.
struct NeedSnapshot {};
struct NoHello {};

/// The namespace the official client sends: the first DNS label of the host, or "default"
/// for an IP address or a single-label host.
std::string namespace_of(const std::string& host) {
  const bool ip = host.find_first_not_of("0123456789.") == std::string::npos || host.find(':') != std::string::npos;
  const auto dot = host.find('.');
  if (ip || dot == std::string::npos) return "default";
  return host.substr(0, dot);
}

}  // namespace

namespace grpc_web {

std::string frame_message(std::string_view message) {
  std::string out;
  out.reserve(5 + message.size());
  out.push_back('\0');
  const auto n = static_cast<std::uint32_t>(message.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(message);
  return out;
}

Reply decode_reply(std::string_view body, const std::vector<std::pair<std::string, std::string>>& headers) {
  Reply reply;
  std::optional<int> header_status;
  std::string header_message;
  for (const auto& [name, value] : headers) {
    if (name == "grpc-status") header_status = parse_status(value);
    if (name == "grpc-message") header_message = percent_decode(trim(value));
  }
  std::size_t pos = 0;
  bool trailer = false;
  while (pos < body.size()) {
    if (trailer) corrupt("data after the trailer frame");
    if (body.size() - pos < 5) corrupt("truncated gRPC-web frame header");
    const auto flag = static_cast<std::uint8_t>(body[pos]);
    std::uint32_t len = 0;
    for (int i = 1; i <= 4; ++i) len = (len << 8) | static_cast<std::uint8_t>(body[pos + i]);
    pos += 5;
    if (len > body.size() - pos) {
      corrupt("truncated gRPC-web frame: " + std::to_string(len) + " bytes announced, " +
              std::to_string(body.size() - pos) + " received");
    }
    std::string_view payload = body.substr(pos, len);
    pos += len;
    if ((flag & 0x01) != 0) corrupt("compressed gRPC-web frame (compression was not asked for)");
    if ((flag & 0x80) == 0) {
      reply.messages.push_back(payload);
      continue;
    }
    trailer = true;
    // Trailer: "name:value\r\n" lines.
    while (!payload.empty()) {
      auto eol = payload.find('\n');
      std::string_view line = payload.substr(0, eol);
      payload = eol == std::string_view::npos ? std::string_view{} : payload.substr(eol + 1);
      auto colon = line.find(':');
      if (colon == std::string_view::npos) {
        if (trim(line).empty()) continue;
        corrupt("malformed trailer line");
      }
      std::string name = trim(line.substr(0, colon));
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      if (name == "grpc-status") reply.status = parse_status(line.substr(colon + 1));
      else if (name == "grpc-message") reply.message = percent_decode(trim(line.substr(colon + 1)));
    }
  }
  if (reply.status < 0) {
    if (!trailer && header_status) {
      reply.status = *header_status;
      reply.message = header_message;
    } else if (trailer) {
      corrupt("the trailer has no grpc-status");
    } else {
      corrupt("the answer ended without a trailer (truncated?)");
    }
  }
  return reply;
}

}  // namespace grpc_web

HelloInfo decode_hello(std::string_view message) {
  HelloInfo h;
  protobuf::Reader r(message);
  while (r.next()) {
    const bool len = r.wire_type() == protobuf::WireType::Len;
    const bool varint = r.wire_type() == protobuf::WireType::Varint;
    switch (r.field()) {
      case 1:
        if (!len) corrupt("Hello generation_id is not a string");
        h.generation_id = std::string(r.bytes());
        break;
      case 3:
        if (!len) corrupt("Hello log_id is not a string");
        h.log_id = std::string(r.bytes());
        break;
      case 4:
        if (!len) corrupt("Hello session_token is not bytes");
        h.session_token = std::string(r.bytes());
        break;
      case 5:
        if (!varint) corrupt("Hello current_replication_index is not a varint");
        h.current_replication_index = r.varint();
        break;
      default: break;  // generation_start_index, config, newer fields
    }
  }
  auto printable = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  };
  if (h.log_id.empty() || h.log_id.size() > 64 || !printable(h.log_id)) corrupt("Hello without a valid log_id");
  if (h.session_token.empty() || h.session_token.size() > 256 || !printable(h.session_token)) {
    corrupt("Hello without a valid session token");
  }
  return h;
}

LibsqlFrame decode_libsql_frame(std::string_view data) {
  if (data.size() != kLibsqlFrameHeaderSize + kReplicaPageSize) {
    corrupt("a frame of " + std::to_string(data.size()) + " bytes, expected " +
            std::to_string(kLibsqlFrameHeaderSize + kReplicaPageSize));
  }
  LibsqlFrame f;
  f.frame_no = le(data, 0, 8);
  f.checksum = le(data, 8, 8);
  f.page_no = static_cast<std::uint32_t>(le(data, 16, 4));
  f.size_after = static_cast<std::uint32_t>(le(data, 20, 4));
  f.page = data.substr(kLibsqlFrameHeaderSize);
  if (f.page_no == 0) corrupt("frame " + std::to_string(f.frame_no) + " has page number 0");
  if (f.size_after != 0 && f.page_no > f.size_after) {
    corrupt("commit frame " + std::to_string(f.frame_no) + " writes page " + std::to_string(f.page_no) +
            " beyond its database size " + std::to_string(f.size_after));
  }
  return f;
}

LibsqlFrame decode_frame_message(std::string_view message) {
  protobuf::Reader r(message);
  std::optional<std::string_view> data;
  while (r.next()) {
    if (r.field() == 1) {
      if (r.wire_type() != protobuf::WireType::Len) corrupt("Frame.data is not bytes");
      data = r.bytes();
    }
  }
  if (!data) corrupt("a Frame without data");
  return decode_libsql_frame(*data);
}

void decode_frames_message(std::string_view message, std::vector<LibsqlFrame>& out) {
  protobuf::Reader r(message);
  while (r.next()) {
    if (r.field() != 1) continue;
    if (r.wire_type() != protobuf::WireType::Len) corrupt("Frames.frames is not a message");
    out.push_back(decode_frame_message(r.bytes()));
  }
}

void CommitAssembler::add(const LibsqlFrame& frame) {
  if (frame.frame_no != next_) {
    corrupt("frame " + std::to_string(frame.frame_no) + " arrived where frame " + std::to_string(next_) +
            " was expected");
  }
  ++next_;
  pending_.emplace_back(frame.page_no, std::string(frame.page));
  if (frame.size_after == 0) return;
  for (auto& [page_no, page] : pending_) committed_[page_no] = std::move(page);
  committed_frames_ += pending_.size();
  pending_.clear();
  committed_size_ = frame.size_after;
  committed_last_ = frame.frame_no;
}

PullResult CommitAssembler::take_committed() {
  PullResult unit;
  unit.server_revision = std::to_string(committed_last_);
  unit.db_size_pages = committed_size_;
  unit.frames = committed_frames_;
  unit.pages.reserve(committed_.size());
  for (auto& [page_no, page] : committed_) {
    if (page_no > committed_size_) continue;  // truncated by the last commit
    const auto* bytes = reinterpret_cast<const std::byte*>(page.data());
    unit.pages.push_back(PageImage{page_no, std::vector<std::byte>(bytes, bytes + page.size())});
  }
  committed_.clear();
  committed_frames_ = 0;
  return unit;
}

PullResult snapshot_unit(const std::vector<LibsqlFrame>& frames) {
  if (frames.empty()) corrupt("an empty snapshot");
  PullResult unit;
  std::uint64_t highest = 0;
  std::map<std::uint32_t, std::pair<std::uint64_t, std::string_view>> pages;  // newest frame wins
  for (const LibsqlFrame& f : frames) {
    highest = std::max(highest, f.frame_no);
    // sqld 0.24 marks the stream's last frame as the commit (it carries the size).
    if (f.size_after != 0) unit.db_size_pages = f.size_after;
    auto [it, inserted] = pages.try_emplace(f.page_no, f.frame_no, f.page);
    if (!inserted && f.frame_no > it->second.first) it->second = {f.frame_no, f.page};
  }
  if (unit.db_size_pages == 0) corrupt("no frame of the snapshot carries the database size");
  unit.server_revision = std::to_string(highest);
  unit.frames = frames.size();
  for (const auto& [page_no, entry] : pages) {
    if (page_no > unit.db_size_pages) continue;
    const auto* bytes = reinterpret_cast<const std::byte*>(entry.second.data());
    unit.pages.push_back(PageImage{page_no, std::vector<std::byte>(bytes, bytes + entry.second.size())});
  }
  return unit;
}

LibsqlGrpcPuller::LibsqlGrpcPuller(const LibsqlGrpcOptions& options, std::shared_ptr<HttpTransport> http)
    : http_(std::move(http)) {
  ParsedUrl url = parse_url(options.sync_url);
  base_ = sync_base_url(url);
  token_ = url.auth_token ? *url.auth_token : options.auth_token;
  snapshot_wait_ = options.snapshot_wait;
  namespace_ = namespace_of(url.host);
  if (!http_) {
    http_ = std::make_shared<HttpTransport>(options.http);
    owns_http_ = true;
  }
}

LibsqlGrpcPuller::~LibsqlGrpcPuller() {
  close();
  if (http_ && http_.use_count() == 1 && http_->on_io_thread()) release_elsewhere(std::move(http_));
}

void LibsqlGrpcPuller::close() {
  closed_ = true;
  if (owns_http_ && http_) http_->close();
}

grpc_web::Reply LibsqlGrpcPuller::call(std::string_view method, std::string_view message, std::string& body) {
  if (http_->on_io_thread()) {
    throw make_error(ErrorKind::Misuse, "MISUSE", "a blocking pull cannot run on the HTTP I/O thread");
  }
  const std::string url = base_ + "/wal_log.ReplicationLog/" + std::string(method);
  HttpRequest request{.url = url,
                      .body = grpc_web::frame_message(message),
                      .content_type = "application/grpc-web+proto",
                      .retry_safe = true};  // reads only: safe to resend
  // As the official client sends them (docs/sync.md, "gRPC-web pull (sqld)").
  request.headers.push_back("x-grpc-web: 1");
  request.headers.push_back("x-libsql-client-version: libsql-rpc-libsql-cpp");
  request.headers.push_back(
      "x-namespace-bin: " +
      base64_encode(reinterpret_cast<const unsigned char*>(namespace_.data()), namespace_.size()));
  if (!token_.empty()) request.headers.push_back("x-authorization: Bearer " + token_);
  if (!session_token_.empty()) request.headers.push_back("x-session-token: " + session_token_);
  request.keep_response_headers = true;
  auto promise = std::make_shared<std::promise<Outcome<HttpResponse>>>();
  auto future = promise->get_future();
  http_->post(std::move(request), [promise](Outcome<HttpResponse> o) { promise->set_value(std::move(o)); });
  Outcome<HttpResponse> o = future.get();
  if (auto* e = std::get_if<Error>(&o)) throw *e;
  HttpResponse& r = std::get<HttpResponse>(o);
  if (r.status != 200) {
    const std::string where = r.status == 401 || r.status == 403
                                  ? " [" + base_ + "]"
                                  : " (libSQL replication " + std::string(method) + ") [" + base_ + "]";
    throw http_status_error(r, "sync server", where, token_);
  }
  body = std::move(r.body);
  return grpc_web::decode_reply(body, r.headers);
}

namespace {

/// Throws for a status other than OK: the flow statuses as NeedSnapshot / NoHello.
void check_status(const grpc_web::Reply& reply, std::string_view method, const std::string& where,
                  const std::string& token) {
  if (reply.status == grpc_web::kOk) return;
  if (reply.status == grpc_web::kFailedPrecondition) {
    if (reply.message == "NEED_SNAPSHOT") throw NeedSnapshot{};
    if (reply.message == "NO_HELLO") throw NoHello{};
    if (reply.message == "NAMESPACE_DOESNT_EXIST") {
      throw make_error(ErrorKind::Protocol, "REPLICA_NAMESPACE_NOT_FOUND",
                       "the database does not exist on the primary" + where);
    }
  }
  if (reply.status == grpc_web::kUnauthenticated || reply.status == grpc_web::kPermissionDenied) {
    throw make_error(
        ErrorKind::Auth, "AUTH_FAILED",
        redact("the sync server rejected the credentials (gRPC status " + std::to_string(reply.status) +
                   ": " + reply.message.substr(0, 200) + ")" + where,
               token));
  }
  throw make_error(ErrorKind::Protocol, "SERVER_ERROR",
                   redact("libSQL replication " + std::string(method) + " failed with gRPC status " +
                              std::to_string(reply.status) + ": " + reply.message.substr(0, 200) + where,
                          token));
}

}  // namespace

HelloInfo LibsqlGrpcPuller::hello() {
  std::string hello_request;
  protobuf::append_varint_field(hello_request, 1, 1);  // handshake_version = 1
  std::string body;
  session_token_.clear();
  grpc_web::Reply reply = call("Hello", hello_request, body);
  try {
    check_status(reply, "Hello", " [" + base_ + "]", token_);
  } catch (const NeedSnapshot&) {
    corrupt("Hello answered NEED_SNAPSHOT");
  } catch (const NoHello&) {
    corrupt("Hello answered NO_HELLO");
  }
  if (reply.messages.size() != 1) corrupt("Hello answered " + std::to_string(reply.messages.size()) + " messages");
  HelloInfo h = decode_hello(reply.messages[0]);
  session_token_ = h.session_token;
  return h;
}

void LibsqlGrpcPuller::pause_before_retry(std::chrono::milliseconds pause) {
  // In short steps, so that close() does not wait for the whole pause.
  const auto until = std::chrono::steady_clock::now() + pause;
  while (std::chrono::steady_clock::now() < until) {
    if (closed_) throw make_error(ErrorKind::Misuse, "CLIENT_CLOSED", "the replica was closed during its sync");
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
  }
}

PullResult LibsqlGrpcPuller::snapshot(std::uint64_t next_offset) {
  // sqld compacts its log on the commit that makes it too large: it swaps in an empty log that
  // starts after the last frame (so BatchLogEntries answers NEED_SNAPSHOT for every earlier
  // offset at once) and writes the snapshot file of the old log in the background. Until that
  // file is there, Snapshot answers UNAVAILABLE "snapshot not found" for those offsets: the
  // frames exist only in the file being compacted, so the only way on is to ask again.
  const auto deadline = std::chrono::steady_clock::now() + snapshot_wait_;
  auto pause = std::chrono::milliseconds(100);
  for (;;) {
    std::string body;
    grpc_web::Reply reply = call("Snapshot", offset_message(next_offset), body);
    const bool not_ready = reply.status == grpc_web::kUnavailable && reply.message == "snapshot not found";
    if (not_ready) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        throw make_error(ErrorKind::Protocol, "SERVER_ERROR",
                         "the primary compacted its replication log, and its snapshot from frame " +
                             std::to_string(next_offset) + " was still not ready after " +
                             std::to_string(snapshot_wait_.count()) + " ms (\"snapshot not found\"); " +
                             "retry the sync [" + base_ + "]");
      }
      pause_before_retry(std::min<std::chrono::milliseconds>(
          pause, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) + std::chrono::milliseconds(1)));
      pause = std::min(pause * 2, std::chrono::milliseconds(1000));
      continue;
    }
    check_status(reply, "Snapshot", " [" + base_ + "]", token_);
    std::vector<LibsqlFrame> frames;
    frames.reserve(reply.messages.size());
    for (std::string_view m : reply.messages) frames.push_back(decode_frame_message(m));
    return snapshot_unit(frames);
  }
}

void LibsqlGrpcPuller::pull(const ReplicaPosition& from, const std::function<void(PullResult&)>& apply) {
  HelloInfo h = hello();
  if (!from.log_id.empty() && h.log_id != from.log_id) {
    // Another log (the primary was recreated): the replica is rebuilt from the new one.
    PullResult image;
    image.replace_base = true;
    follow(h, std::nullopt, [&](PullResult& unit) { merge_unit(image, std::move(unit)); });
    image.replace_base = true;
    image.log_id = h.log_id;
    apply(image);
    return;
  }
  std::optional<std::uint64_t> committed;
  if (!from.revision.empty()) committed = std::stoull(from.revision);
  follow(std::move(h), committed, apply);
}

void LibsqlGrpcPuller::follow(HelloInfo h, std::optional<std::uint64_t> committed,
                              const std::function<void(PullResult&)>& apply) {
  const std::string where = " [" + base_ + "]";
  bool delivered = false;
  auto deliver_unit = [&](PullResult& unit) {
    unit.log_id = h.log_id;
    const std::uint64_t revision = std::stoull(unit.server_revision);  // apply may move from unit
    apply(unit);
    delivered = true;
    committed = revision;
  };
  int hellos = 0;
  int empty_batches = 0;
  if (h.current_replication_index) {
    const std::uint64_t target = *h.current_replication_index;
    CommitAssembler frames(committed ? *committed + 1 : 0);
    while (!committed || *committed < target) {
      std::string body;
      grpc_web::Reply reply = call("BatchLogEntries", offset_message(frames.next_frame_no()), body);
      try {
        check_status(reply, "BatchLogEntries", where, token_);
      } catch (const NoHello&) {
        // The server restarted (new session): handshake again; a new log means a reset.
        if (++hellos > 3) corrupt("the server keeps answering NO_HELLO");
        HelloInfo again = hello();
        if (again.log_id != h.log_id) {
          throw make_error(ErrorKind::Protocol, "REPLICA_LOG_CHANGED",
                           "the primary's log changed during the sync; the next sync rebuilds "
                           "the replica" +
                               where);
        }
        continue;
      } catch (const NeedSnapshot&) {
        // The log before this offset was compacted: the snapshot brings the pages instead.
        PullResult unit = snapshot(committed ? *committed + 1 : 0);
        if (committed && std::stoull(unit.server_revision) <= *committed) {
          corrupt("the snapshot is older than the replica");
        }
        deliver_unit(unit);
        frames = CommitAssembler(*committed + 1);
        continue;
      }
      std::vector<LibsqlFrame> batch;
      for (std::string_view m : reply.messages) decode_frames_message(m, batch);
      if (batch.empty()) {
        // Nothing yet at this offset (the Hello's index is ahead of what the log serves).
        if (++empty_batches > 2) break;
        continue;
      }
      empty_batches = 0;
      for (const LibsqlFrame& f : batch) frames.add(f);
      if (frames.has_committed()) {
        PullResult unit = frames.take_committed();
        deliver_unit(unit);
      }
    }
  }
  if (!delivered) {
    PullResult none;
    none.server_revision = committed ? std::to_string(*committed) : "";
    none.log_id = h.log_id;
    apply(none);
  }
}

std::string_view detect_sync_protocol(const std::string& sync_url, const std::string& auth_token,
                                      const std::shared_ptr<HttpTransport>& http) {
  ParsedUrl url = parse_url(sync_url);
  const std::string token = url.auth_token ? *url.auth_token : auth_token;
  std::string base = url.tls ? "https://" : "http://";
  base += url.host;
  if (url.port) base += ":" + std::to_string(*url.port);
  std::string path = url.path;
  while (!path.empty() && path.back() == '/') path.pop_back();
  base += path;
  // 1. GET /info, as the official client probes for Turso Cloud's HTTP sync.
  {
    auto promise = std::make_shared<std::promise<Outcome<HttpResponse>>>();
    auto future = promise->get_future();
    HttpRequest info{.url = base + "/info", .auth_token = token, .retry_safe = true};
    info.method = "GET";
    http->post(std::move(info), [promise](Outcome<HttpResponse> o) { promise->set_value(std::move(o)); });
    Outcome<HttpResponse> o = future.get();
    if (auto* e = std::get_if<Error>(&o)) throw *e;
    const long status = std::get<HttpResponse>(o).status;
    if (status == 401 || status == 403) {
      throw make_error(
          ErrorKind::Auth, "AUTH_FAILED",
          "the sync server rejected the credentials (HTTP " + std::to_string(status) + ") [" + base + "]");
    }
    if (status >= 200 && status < 300) return kProtocolTursoCloudHttp;
  }
  // 2. A gRPC-web Hello.
  LibsqlGrpcOptions options;
  options.sync_url = sync_url;
  options.auth_token = auth_token;
  LibsqlGrpcPuller probe(options, http);
  try {
    probe.hello();
    return kProtocolLibsqlGrpc;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Auth) throw;
    if (e.kind() == ErrorKind::Network || e.kind() == ErrorKind::Timeout) throw;
    return kProtocolTursoSync;
  }
}

}  // namespace libsql::detail
