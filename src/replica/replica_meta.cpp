#include "replica/replica_meta.hpp"

#include <fcntl.h>
#include <simdjson.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <utility>

#include "core/error_codes.hpp"
#include "core/json_writer.hpp"
#include "libsql/error.hpp"
#include "replica/durable_file.hpp"
#include "replica/turso_cloud_http.hpp"

namespace libsql::detail {
namespace {

constexpr std::string_view kFormat = "libsql-cpp-replica";
constexpr std::string_view kProtocolTurso = "turso-sync";
constexpr std::string_view kProtocolGrpc = "libsql-grpc";
constexpr std::string_view kProtocolCloudHttp = "turso-cloud-http";
constexpr std::int64_t kVersion = 1;
constexpr std::size_t kMaxMetaSize = std::size_t{64} * 1024;

[[noreturn]] void invalid(const std::string& what) {
  throw make_error(ErrorKind::Misuse, "REPLICA_META_INVALID", "" + what);
}

[[noreturn]] void os_error(int code, const std::string& what, int err) {
  throw make_sqlite_error(code, what + ": " + std::strerror(err));
}

void write_meta_string(std::string& out, std::string_view s) {
  if (!append_json_string(out, s, InvalidUtf8::Reject)) {
    throw make_error(ErrorKind::Misuse, "ARGS_INVALID", "replica metadata must be valid UTF-8");
  }
}

std::string required_string(simdjson::dom::object& o, const char* key) {
  std::string_view v;
  auto field = o[key];
  if (field.error() == simdjson::NO_SUCH_FIELD) invalid(std::string("missing \"") + key + "\"");
  if (field.get_string().get(v)) invalid(std::string("\"") + key + "\" is not a string");
  return std::string(v);
}

std::int64_t required_int(simdjson::dom::object& o, const char* key) {
  std::int64_t v = 0;
  auto field = o[key];
  if (field.error() == simdjson::NO_SUCH_FIELD) invalid(std::string("missing \"") + key + "\"");
  if (field.get_int64().get(v)) invalid(std::string("\"") + key + "\" is not an integer");
  return v;
}

void write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      os_error(SQLITE_IOERR, "cannot write " + path, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string replica_meta_path(const std::string& db_path) { return db_path + "-replica.json"; }
std::string replica_lock_path(const std::string& db_path) { return db_path + "-replica.lock"; }

std::string encode_replica_meta(const ReplicaMeta& meta) {
  std::string out = "{\"format\":";
  write_meta_string(out, kFormat);
  out += ",\"version\":" + std::to_string(kVersion) + ",\"protocol\":";
  write_meta_string(out, meta.protocol);
  out += ",\"sync_url\":";
  write_meta_string(out, meta.sync_url);
  out += ",\"page_size\":" + std::to_string(meta.page_size) + ",\"server_revision\":";
  write_meta_string(out, meta.server_revision);
  if (!meta.log_id.empty()) {
    out += ",\"log_id\":";
    write_meta_string(out, meta.log_id);
  }
  out += "}\n";
  return out;
}

ReplicaMeta decode_replica_meta(std::string_view text) {
  if (text.size() > kMaxMetaSize) invalid("the file is larger than " + std::to_string(kMaxMetaSize) + " bytes");
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::object o;
  if (parser.parse(padded).get_object().get(o)) invalid("not a JSON object");
  if (required_string(o, "format") != kFormat) invalid("\"format\" is not \"libsql-cpp-replica\"");
  std::int64_t version = required_int(o, "version");
  if (version > kVersion) {
    invalid("written by a newer libsql-cpp (format version " + std::to_string(version) + ")");
  }
  if (version != kVersion) invalid("unknown format version " + std::to_string(version));
  std::string protocol = required_string(o, "protocol");
  if (protocol != kProtocolTurso && protocol != kProtocolGrpc && protocol != kProtocolCloudHttp) {
    invalid("the replica uses an unknown sync protocol (\"" + protocol + "\")");
  }
  ReplicaMeta meta;
  meta.protocol = protocol;
  if (protocol == kProtocolGrpc) {
    meta.log_id = required_string(o, "log_id");
    if (meta.log_id.empty()) invalid("\"log_id\" is empty");
  }
  meta.sync_url = required_string(o, "sync_url");
  meta.server_revision = required_string(o, "server_revision");
  std::int64_t page_size = required_int(o, "page_size");
  if (meta.sync_url.empty()) invalid("\"sync_url\" is empty");
  if (meta.server_revision.empty() && protocol == kProtocolTurso) invalid("\"server_revision\" is empty");
  if (protocol == kProtocolGrpc && !meta.server_revision.empty() &&
      (meta.server_revision.size() > 19 ||
       meta.server_revision.find_first_not_of("0123456789") != std::string::npos)) {
    invalid("\"server_revision\" is not a frame number");
  }
  if (protocol == kProtocolCloudHttp && !parse_cloud_revision(meta.server_revision)) {
    invalid("\"server_revision\" is not generation:frame");
  }
  if (page_size < 512 || page_size > 65536 || (page_size & (page_size - 1)) != 0) {
    invalid("\"page_size\" " + std::to_string(page_size) + " is not a SQLite page size");
  }
  meta.page_size = static_cast<std::uint32_t>(page_size);
  return meta;
}

std::optional<ReplicaMeta> read_replica_meta(const std::string& db_path) {
  const std::string path = replica_meta_path(db_path);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    os_error(SQLITE_IOERR, "cannot open " + path, errno);
  }
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      os_error(SQLITE_IOERR, "cannot read " + path, err);
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxMetaSize) break;
  }
  ::close(fd);
  try {
    return decode_replica_meta(text);
  } catch (const Error& e) {
    throw Error(e.kind(), e.extended_code(), e.code_name(), std::string(e.what()) + " [" + path + "]");
  }
}

void write_replica_meta(const std::string& db_path, const ReplicaMeta& meta) {
  const std::string path = replica_meta_path(db_path);
  const std::string tmp = path + ".tmp";  // one writer: the holder of the replica lock
  const std::string bytes = encode_replica_meta(meta);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) os_error(SQLITE_CANTOPEN, "cannot create " + tmp, errno);
  try {
    write_all(fd, bytes, tmp);
    if (::fsync(fd) != 0) os_error(SQLITE_IOERR, "cannot sync " + tmp, errno);
    int fd_copy = fd;
    fd = -1;
    if (::close(fd_copy) != 0) os_error(SQLITE_IOERR, "cannot close " + tmp, errno);
    rename_durably(tmp, path);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
}

void check_replica_meta(const ReplicaMeta& meta, std::string_view sync_url_identity) {
  if (meta.sync_url != sync_url_identity) {
    throw make_error(ErrorKind::Misuse, "REPLICA_SYNC_URL_MISMATCH",
                     "the local replica was synced from " + meta.sync_url + ", not from " +
                         std::string(sync_url_identity) +
                         "; remove the local database and its -replica.json to start over");
  }
  if (meta.page_size != kReplicaPageSize) {
    invalid("page size " + std::to_string(meta.page_size) + ", but replicated pages are " +
            std::to_string(kReplicaPageSize) + " bytes");
  }
}

ReplicaLock ReplicaLock::acquire(const std::string& db_path) {
  const std::string path = replica_lock_path(db_path);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) os_error(SQLITE_CANTOPEN, "cannot open the replica lock " + path, errno);
  int rc = 0;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      throw make_error(ErrorKind::Misuse, "REPLICA_LOCKED",
                       "the embedded replica " + db_path +
                           " is already open for sync by another client (in this or another process); "
                           "only one may sync a replica file at a time");
    }
    os_error(SQLITE_IOERR, "cannot lock " + path, err);
  }
  return ReplicaLock(fd);
}

ReplicaLock::ReplicaLock(ReplicaLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

ReplicaLock& ReplicaLock::operator=(ReplicaLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

ReplicaLock::~ReplicaLock() { release(); }

void ReplicaLock::release() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);  // closing the last descriptor of the open file drops the flock
    fd_ = -1;
  }
}

}  // namespace libsql::detail
