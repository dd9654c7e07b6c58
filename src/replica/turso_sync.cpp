#include "replica/turso_sync.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <future>
#include <limits>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/callback.hpp"
#include "core/engine.hpp"
#include "core/error_codes.hpp"
#include "core/reaper.hpp"

namespace libsql::detail {
namespace {

[[noreturn]] void corrupt(const std::string& what) {
  throw make_error(ErrorKind::Protocol, "SYNC_PROTOCOL_ERROR", "invalid pull-updates response: " + what);
}

const char* wire_type_name(protobuf::WireType t) {
  switch (t) {
    case protobuf::WireType::Varint: return "varint";
    case protobuf::WireType::Fixed64: return "fixed64";
    case protobuf::WireType::Len: return "length-delimited";
    case protobuf::WireType::StartGroup: return "group";
    case protobuf::WireType::EndGroup: return "end-group";
    case protobuf::WireType::Fixed32: return "fixed32";
  }
  return "?";
}

void expect_wire_type(const protobuf::Reader& r, protobuf::WireType want, const char* message) {
  if (r.wire_type() != want) {
    corrupt(std::string(message) + " field " + std::to_string(r.field()) + " is " +
            wire_type_name(r.wire_type()) + ", expected " + wire_type_name(want));
  }
}

/// Checks that an embedded message is well-formed protobuf (its fields are not needed).
void check_message(std::string_view bytes) {
  protobuf::Reader r(bytes);
  while (r.next()) {
  }
}

// Field numbers: sync/engine/src/server_proto.rs in tursodatabase/turso.
namespace req {
constexpr std::uint32_t kServerRevision = 2;
constexpr std::uint32_t kClientRevision = 3;
constexpr std::uint32_t kLongPollTimeoutMs = 4;
}  // namespace req
namespace hdr {
constexpr std::uint32_t kServerRevision = 1;
constexpr std::uint32_t kDbSize = 2;
constexpr std::uint32_t kRawEncoding = 3;
constexpr std::uint32_t kZstdEncoding = 4;
constexpr std::uint32_t kStreamKind = 5;  // 0 pages, 1 MVCC logical log
constexpr std::uint32_t kApplyMode = 6;   // 0 incremental, 1 replace base
}  // namespace hdr
namespace page {
constexpr std::uint32_t kPageId = 1;
constexpr std::uint32_t kEncodedPage = 2;
}  // namespace page

struct Header {
  std::string server_revision;
  std::uint64_t db_size = 0;
  bool raw = false;
  bool zstd = false;
  bool replace_base = false;
};

Header decode_header(std::string_view message) {
  Header h;
  protobuf::Reader r(message);
  while (r.next()) {
    switch (r.field()) {
      case hdr::kServerRevision:
        expect_wire_type(r, protobuf::WireType::Len, "header");
        h.server_revision = std::string(r.bytes());  // proto3: the last occurrence wins
        break;
      case hdr::kDbSize:
        expect_wire_type(r, protobuf::WireType::Varint, "header");
        h.db_size = r.varint();
        break;
      case hdr::kRawEncoding:
        expect_wire_type(r, protobuf::WireType::Len, "header");
        check_message(r.bytes());
        h.raw = true;
        break;
      case hdr::kZstdEncoding:
        expect_wire_type(r, protobuf::WireType::Len, "header");
        check_message(r.bytes());
        h.zstd = true;
        break;
      case hdr::kStreamKind:
        expect_wire_type(r, protobuf::WireType::Varint, "header");
        // An MVCC logical-log stream is not made of pages; reading it as pages would apply
        // garbage. We never ask for one (request field 8 stays at its default, pages).
        if (r.varint() != 0) corrupt("the server sent an MVCC logical-log stream, not pages");
        break;
      case hdr::kApplyMode:
        expect_wire_type(r, protobuf::WireType::Varint, "header");
        if (r.varint() > 1) corrupt("unknown apply mode " + std::to_string(r.varint()));
        h.replace_base = r.varint() == 1;
        break;
      default:
        break;  // newer fields (mvcc_log, protocol, ...): already skipped
    }
  }
  if (h.server_revision.empty()) corrupt("the header has no server revision");
  if (!simdjson::validate_utf8(h.server_revision.data(), h.server_revision.size())) {
    corrupt("the server revision is not valid UTF-8");
  }
  if (h.db_size > std::numeric_limits<std::uint32_t>::max()) {
    corrupt("database size " + std::to_string(h.db_size) + " pages is beyond SQLite's limit");
  }
  if (h.raw && h.zstd) corrupt("the header sets both raw and zstd encoding");
  if (h.zstd) corrupt("zstd-encoded pages are not supported (the client asks for raw pages)");
  return h;
}

/// An HTTP answer other than 200.
Error pull_http_error(const HttpResponse& r, const std::string& url, const std::string& token) {
  const std::string hint = r.status == 404 ? " (is this a Turso Sync server? it has no /pull-updates)" : "";
  return http_status_error(r, "sync server", hint + " [" + url + "]", token);
}

std::string strip_trailing_slashes(std::string path) {
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}


}  // namespace

void check_complete_image(const PullResult& result) {
  // decode_pull_response() left no duplicates and nothing beyond db_size, so the count says it.
  if (result.pages.size() != result.db_size_pages) {
    throw make_error(ErrorKind::Protocol, "SYNC_PROTOCOL_ERROR",
                     "incomplete bootstrap: the server sent " + std::to_string(result.pages.size()) +
                         " of the database's " + std::to_string(result.db_size_pages) +
                         " pages (tursodb serves only pages still in its WAL: was the database checkpointed "
                         "before the server started?)");
  }
}

namespace protobuf {

void append_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void append_varint_field(std::string& out, std::uint32_t field, std::uint64_t value) {
  append_varint(out, (std::uint64_t{field} << 3) | static_cast<std::uint64_t>(WireType::Varint));
  append_varint(out, value);
}

void append_bytes_field(std::string& out, std::uint32_t field, std::string_view bytes) {
  append_varint(out, (std::uint64_t{field} << 3) | static_cast<std::uint64_t>(WireType::Len));
  append_varint(out, bytes.size());
  out.append(bytes);
}

std::uint64_t Reader::read_varint(std::string_view data, std::size_t& pos) {
  std::uint64_t value = 0;
  for (int i = 0; i < 10; ++i) {
    if (pos >= data.size()) corrupt("truncated varint");
    auto byte = static_cast<std::uint8_t>(data[pos++]);
    // The tenth byte holds bit 63 only: anything more overflows 64 bits.
    if (i == 9 && byte > 1) corrupt("varint longer than 64 bits");
    value |= std::uint64_t{byte & 0x7fu} << (7 * i);
    if ((byte & 0x80) == 0) return value;
  }
  corrupt("varint longer than 10 bytes");
}

bool Reader::next() {
  if (pos_ >= data_.size()) return false;
  std::uint64_t key = read_varint(data_, pos_);
  std::uint64_t field = key >> 3;
  auto type = static_cast<std::uint8_t>(key & 7);
  if (field == 0 || field > (1u << 29) - 1) corrupt("invalid field number " + std::to_string(field));
  if (type > 5) corrupt("invalid wire type " + std::to_string(type));
  field_ = static_cast<std::uint32_t>(field);
  wire_type_ = static_cast<WireType>(type);
  varint_ = 0;
  bytes_ = {};
  auto fixed = [this](std::size_t n) {
    if (data_.size() - pos_ < n) corrupt("truncated fixed-size field");
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{static_cast<std::uint8_t>(data_[pos_ + i])} << (8 * i);
    pos_ += n;
    return v;
  };
  switch (wire_type_) {
    case WireType::Varint: varint_ = read_varint(data_, pos_); break;
    case WireType::Fixed64: varint_ = fixed(8); break;
    case WireType::Fixed32: varint_ = fixed(4); break;
    case WireType::Len: {
      std::uint64_t len = read_varint(data_, pos_);
      if (len > data_.size() - pos_) {
        corrupt("field " + std::to_string(field) + " claims " + std::to_string(len) + " bytes, only " +
                std::to_string(data_.size() - pos_) + " left");
      }
      bytes_ = data_.substr(pos_, static_cast<std::size_t>(len));
      pos_ += static_cast<std::size_t>(len);
      break;
    }
    case WireType::StartGroup: {
      const std::uint32_t group = field_;
      skip_group(group, 1);  // reads the inner fields through next(): restore our state
      field_ = group;
      wire_type_ = WireType::StartGroup;
      varint_ = 0;
      bytes_ = {};
      break;
    }
    case WireType::EndGroup: corrupt("end-group without a start-group");
  }
  return true;
}

void Reader::skip_group(std::uint32_t field, int depth) {
  if (depth > 64) corrupt("groups nested too deeply");
  for (;;) {
    if (pos_ >= data_.size()) corrupt("unterminated group " + std::to_string(field));
    std::size_t at = pos_;
    std::uint64_t key = read_varint(data_, pos_);
    if ((key & 7) == static_cast<std::uint64_t>(WireType::EndGroup)) {
      if ((key >> 3) != field) corrupt("group " + std::to_string(field) + " closed by another field number");
      return;
    }
    if ((key & 7) == static_cast<std::uint64_t>(WireType::StartGroup)) {
      if ((key >> 3) == 0 || (key >> 3) > (1u << 29) - 1) corrupt("invalid field number in group");
      skip_group(static_cast<std::uint32_t>(key >> 3), depth + 1);
      continue;
    }
    // Any other field: let next() read (and check) it from the key on.
    pos_ = at;
    next();
  }
}

}  // namespace protobuf

std::string encode_pull_request(const PullRequest& request) {
  std::string out;
  // encoding (1) = 0 (raw) is the default and so not written, as prost does.
  if (!request.server_revision.empty()) protobuf::append_bytes_field(out, req::kServerRevision, request.server_revision);
  if (!request.client_revision.empty()) protobuf::append_bytes_field(out, req::kClientRevision, request.client_revision);
  if (request.long_poll_timeout_ms != 0) {
    protobuf::append_varint_field(out, req::kLongPollTimeoutMs, request.long_poll_timeout_ms);
  }
  return out;
}

PullResult decode_pull_response(std::string_view body) {
  if (body.empty()) corrupt("empty body: no header");
  std::size_t pos = 0;
  auto next_message = [&]() {
    std::uint64_t len = protobuf::Reader::read_varint(body, pos);
    if (len > body.size() - pos) {
      corrupt("message at byte " + std::to_string(pos) + " claims " + std::to_string(len) + " bytes, only " +
              std::to_string(body.size() - pos) + " left");
    }
    std::string_view m = body.substr(pos, static_cast<std::size_t>(len));
    pos += static_cast<std::size_t>(len);
    return m;
  };
  Header h = decode_header(next_message());

  PullResult result;
  result.server_revision = std::move(h.server_revision);
  result.db_size_pages = static_cast<std::uint32_t>(h.db_size);
  result.replace_base = h.replace_base;
  std::unordered_map<std::uint32_t, std::size_t> index;  // page_no -> position in pages
  while (pos < body.size()) {
    protobuf::Reader r(next_message());
    std::uint64_t page_id = 0;
    std::string_view data;
    bool has_data = false;
    while (r.next()) {
      if (r.field() == page::kPageId) {
        expect_wire_type(r, protobuf::WireType::Varint, "page");
        page_id = r.varint();
      } else if (r.field() == page::kEncodedPage) {
        expect_wire_type(r, protobuf::WireType::Len, "page");
        data = r.bytes();
        has_data = true;
      }
    }
    if (!h.raw) corrupt("pages without a raw encoding in the header");
    if (page_id >= h.db_size) {
      corrupt("page id " + std::to_string(page_id) + " is beyond the database size of " + std::to_string(h.db_size) +
              " pages");
    }
    if (!has_data || data.size() != kReplicaPageSize) {
      corrupt("page id " + std::to_string(page_id) + " has " + std::to_string(data.size()) + " bytes, expected " +
              std::to_string(kReplicaPageSize));
    }
    auto page_no = static_cast<std::uint32_t>(page_id + 1);  // page_id < db_size <= UINT32_MAX
    const auto* bytes = reinterpret_cast<const std::byte*>(data.data());
    auto [it, inserted] = index.try_emplace(page_no, result.pages.size());
    if (inserted) {
      result.pages.push_back(PageImage{page_no, std::vector<std::byte>(bytes, bytes + data.size())});
    } else {
      std::memcpy(result.pages[it->second].data.data(), bytes, data.size());  // the last one wins
    }
  }
  std::sort(result.pages.begin(), result.pages.end(),
            [](const PageImage& a, const PageImage& b) { return a.page_no < b.page_no; });
  return result;
}

std::string pull_updates_url(const ParsedUrl& url) {
  // The reference client appends "/pull-updates" to the URL as given (a trailing slash gives
  // it "//pull-updates", a 404 on tursodb); sync_base_url drops trailing slashes first.
  return sync_base_url(url) + "/pull-updates";
}

std::string sync_url_identity(std::string_view sync_url) {
  ParsedUrl url = parse_url(sync_url);
  require_remote_sync_url(url);
  std::string host = url.host;
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string out = url.tls ? "https://" : "http://";
  out += host;
  if (url.port && *url.port != (url.tls ? 443 : 80)) out += ":" + std::to_string(*url.port);
  return out + strip_trailing_slashes(url.path);
}

TursoSyncClient::TursoSyncClient(const TursoSyncOptions& options, std::shared_ptr<HttpTransport> http)
    : long_poll_timeout_ms_(options.long_poll_timeout_ms), http_(std::move(http)) {
  ParsedUrl url = parse_url(options.sync_url);
  url_ = pull_updates_url(url);
  auth_token_ = url.auth_token ? *url.auth_token : options.auth_token;
  if (!http_) {
    http_ = std::make_shared<HttpTransport>(options.http);
    owns_http_ = true;
  }
}

TursoSyncClient::~TursoSyncClient() {
  close();
  // Destroyed from a callback (on the I/O thread), the transport cannot join its own thread:
  // the reaper thread frees it, as for RemoteEngine.
  if (http_ && http_.use_count() == 1 && http_->on_io_thread()) release_elsewhere(std::move(http_));
}

void TursoSyncClient::close() {
  if (owns_http_ && http_) http_->close();
}

void TursoSyncClient::pull(const std::string& client_revision, Callback<PullResult> done) {
  PullRequest request;
  request.client_revision = client_revision;
  request.long_poll_timeout_ms = long_poll_timeout_ms_;
  // A pull changes nothing on the server: libcurl may resend it on a dead reused connection.
  http_->post(HttpRequest{.url = url_,
                          .body = encode_pull_request(request),
                          .auth_token = auth_token_,
                          .content_type = "application/protobuf",
                          .retry_safe = true},
              [done = std::move(done), url = url_, token = auth_token_,
               bootstrap = client_revision.empty()](Outcome<HttpResponse> outcome) {
                if (auto* e = std::get_if<Error>(&outcome)) return deliver(done, Outcome<PullResult>(*e));
                auto& r = std::get<HttpResponse>(outcome);
                if (r.status != 200) return deliver(done, Outcome<PullResult>(pull_http_error(r, url, token)));
                try {
                  PullResult result = decode_pull_response(r.body);
                  if (bootstrap) check_complete_image(result);
                  deliver(done, Outcome<PullResult>(std::move(result)));
                } catch (const Error& e) {
                  deliver(done, Outcome<PullResult>(e));
                } catch (const std::bad_alloc&) {
                  deliver(done, Outcome<PullResult>(make_error(ErrorKind::Protocol, "SYNC_PROTOCOL_ERROR",
                                                               "out of memory decoding the pull")));
                }
              });
}

PullResult TursoSyncClient::pull(const std::string& client_revision) {
  if (http_->on_io_thread()) {
    throw make_error(ErrorKind::Misuse, "MISUSE",
                     "a blocking pull cannot run on the HTTP I/O thread (inside a completion callback)");
  }
  return wait_for<PullResult>([&](Callback<PullResult> cb) { pull(client_revision, std::move(cb)); });
}

}  // namespace libsql::detail
