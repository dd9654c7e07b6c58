#include "replica/durable_file.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error_codes.hpp"
#include "libsql/error.hpp"

namespace libsql::detail {
namespace {

/// "SQLITE_IOERR: <what> <path>: <OS reason>" (built by appending: GCC 12 reports a false
/// -Wrestrict on `"literal" + std::string` chains).
[[noreturn]] void io_error(const char* what, const std::string& path, int err) {
  std::string message(what);
  message.append(" ").append(path).append(": ").append(std::strerror(err));
  throw make_sqlite_error(SQLITE_IOERR, message);
}

/// fsync of an open descriptor, closed afterwards; `tolerate_einval` for directories on file
/// systems that cannot sync them.
void sync_and_close(int fd, const std::string& path, bool tolerate_einval) {
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0 && !(tolerate_einval && err == EINVAL)) io_error("cannot sync", path, err);
}

}  // namespace

void sync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) io_error("cannot open", path, errno);
  sync_and_close(fd, path, false);
}

void sync_parent_directory(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = std::filesystem::path(".");
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) io_error("cannot open directory", dir.string(), errno);
  sync_and_close(fd, dir.string(), true);
}

void rename_durably(const std::string& tmp, const std::string& path) {
  if (::rename(tmp.c_str(), path.c_str()) != 0) io_error("cannot rename onto", path, errno);
  sync_parent_directory(path);
}

}  // namespace libsql::detail
