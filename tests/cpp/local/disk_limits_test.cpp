// A write that runs out of room (RLIMIT_FSIZE stands in for a full disk: writes past it fail
// with EFBIG), a read-only database file and a read-only directory: a clear error of the right
// kind, no crash, everything committed before stays, and the client works again once the room
// is back. Each case runs in a child process (the limit and the user id are per process).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

#include "libsql/client.hpp"
#include "support/temp_db.hpp"

using libsql::Client;
using libsql::Error;

namespace {

std::int64_t int_of(const libsql::ResultSet& rs) { return std::get<std::int64_t>(rs.rows.at(0).at(0)); }

/// Runs `body` in a child process; its exit code (0 = every check passed) or -1 if it crashed.
/// Checks inside print what failed on stderr.
int in_child(const std::function<int()>& body) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return -2;
  if (pid == 0) {
    int code = 99;
    try {
      code = body();
    } catch (const Error& e) {
      std::fprintf(stderr, "child: unexpected %s\n", e.what());
    }
    std::fflush(nullptr);
    _exit(code);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define CHILD_EXPECT(cond, code)                                   \
  do {                                                             \
    if (!(cond)) {                                                 \
      std::fprintf(stderr, "child: failed: %s (line %d)\n", #cond, __LINE__); \
      return code;                                                 \
    }                                                              \
  } while (0)

TEST(DiskLimits, AFullDiskIsAClearErrorLosesNothingAndTheClientRecovers) {
  libsql::test::TempDb tmp;
  {
    auto db = Client::open({.url = tmp.url()});
    db.execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB); INSERT INTO t (b) VALUES (zeroblob(100));");
    db.close();
  }
  const std::string counts = (tmp.dir() / "acknowledged").string();
  const int code = in_child([&]() -> int {
    std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead of killing us
    auto db = Client::open({.url = tmp.url()});
    db.execute("SELECT count(*) FROM t");  // opened, WAL and -shm exist
    rlimit limit{};
    getrlimit(RLIMIT_FSIZE, &limit);
    const rlimit tight{static_cast<rlim_t>(std::filesystem::file_size(tmp.path()) + 256 * 1024), limit.rlim_max};
    CHILD_EXPECT(setrlimit(RLIMIT_FSIZE, &tight) == 0, 10);
    int acknowledged = 0;
    std::string failure;
    for (int i = 0; i < 1000 && failure.empty(); ++i) {
      try {
        db.execute(libsql::Statement{"INSERT INTO t (b) VALUES (zeroblob(16384))"});
        ++acknowledged;
      } catch (const Error& e) {
        failure = e.code_name();
        CHILD_EXPECT(e.kind() == libsql::ErrorKind::Sqlite, 11);
        CHILD_EXPECT(e.primary_code() == SQLITE_FULL || e.primary_code() == SQLITE_IOERR, 12);
      }
    }
    CHILD_EXPECT(!failure.empty(), 13);  // the limit was hit
    CHILD_EXPECT(acknowledged > 0, 14);
    // Reads go on; the room comes back; the same client writes again.
    CHILD_EXPECT(int_of(db.execute("SELECT count(*) FROM t")) == 1 + acknowledged, 15);
    CHILD_EXPECT(setrlimit(RLIMIT_FSIZE, &limit) == 0, 16);
    db.execute(libsql::Statement{"INSERT INTO t (b) VALUES (zeroblob(16384))"});
    ++acknowledged;
    db.close();
    FILE* f = std::fopen(counts.c_str(), "w");
    if (f == nullptr) return 17;
    std::fprintf(f, "%d %s", acknowledged, failure.c_str());
    std::fclose(f);
    return 0;
  });
  ASSERT_EQ(code, 0);
  int acknowledged = 0;
  char failure[64] = {0};
  FILE* f = std::fopen(counts.c_str(), "r");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fscanf(f, "%d %63s", &acknowledged, failure), 2);
  std::fclose(f);
  std::printf("[ disk     ] %d writes acknowledged, then %s\n", acknowledged, failure);
  auto db = Client::open({.url = tmp.url()});
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM t")), 1 + acknowledged) << "every acknowledged write is there";
  EXPECT_EQ(std::get<std::string>(db.execute("PRAGMA integrity_check").rows.at(0).at(0)), "ok");
  db.close();
}

/// Runs `body` as an unprivileged user (root ignores file permissions), in a child.
int as_nobody(const std::filesystem::path& dir, const std::function<int()>& body) {
  return in_child([&]() -> int {
    if (geteuid() == 0) {
      // The user must be able to reach the directory.
      for (auto p = dir; !p.empty() && p != p.root_path(); p = p.parent_path()) {
        struct stat st {};
        if (stat(p.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0) chmod(p.c_str(), st.st_mode | S_IXOTH);
      }
      if (setgid(65534) != 0 || setuid(65534) != 0) return 20;
    }
    return body();
  });
}

TEST(DiskLimits, AReadOnlyFileReadsAndRefusesWritesClearly) {
  libsql::test::TempDb tmp;
  {
    auto db = Client::open({.url = tmp.url()});
    db.execute_script("CREATE TABLE t (x); INSERT INTO t VALUES (1);");
    db.close();
  }
  // The directory is writable by everyone (so -wal/-shm can be made), the file by nobody.
  std::filesystem::permissions(tmp.dir(), std::filesystem::perms::all);
  std::filesystem::permissions(tmp.path(), std::filesystem::perms::owner_read | std::filesystem::perms::group_read |
                                               std::filesystem::perms::others_read);
  const int code = as_nobody(tmp.dir(), [&]() -> int {
    try {
      auto db = Client::open({.url = tmp.url()});
      try {
        db.execute("INSERT INTO t VALUES (2)");
        std::fprintf(stderr, "child: a write to a read-only file succeeded\n");
        return 30;
      } catch (const Error& e) {
        CHILD_EXPECT(e.primary_code() == SQLITE_READONLY || e.primary_code() == SQLITE_CANTOPEN, 31);
      }
      CHILD_EXPECT(int_of(db.execute("SELECT count(*) FROM t")) == 1, 32);
      db.close();
    } catch (const Error& e) {
      // Refusing to open it at all is clear too, if it says why.
      std::fprintf(stderr, "child: open refused: %s\n", e.what());
      CHILD_EXPECT(e.primary_code() == SQLITE_READONLY || e.primary_code() == SQLITE_CANTOPEN, 33);
    }
    return 0;
  });
  EXPECT_EQ(code, 0);
  std::filesystem::permissions(tmp.path(), std::filesystem::perms::owner_all);
  auto db = Client::open({.url = tmp.url()});
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM t")), 1);
  EXPECT_EQ(std::get<std::string>(db.execute("PRAGMA integrity_check").rows.at(0).at(0)), "ok");
  db.close();
}

TEST(DiskLimits, AReadOnlyDirectoryIsAClearErrorNotACrash) {
  libsql::test::TempDb tmp;
  // A new database in a directory where nothing can be created.
  const auto dir = tmp.dir() / "ro";
  std::filesystem::create_directory(dir);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec |
                                        std::filesystem::perms::others_read | std::filesystem::perms::others_exec);
  const std::string url = "file:" + (dir / "new.db").string();
  const int code = as_nobody(tmp.dir(), [&]() -> int {
    try {
      auto db = Client::open({.url = url});
      db.execute("CREATE TABLE t (x)");
      std::fprintf(stderr, "child: created a database in a read-only directory\n");
      return 40;
    } catch (const Error& e) {
      CHILD_EXPECT(e.kind() == libsql::ErrorKind::Sqlite, 41);
      CHILD_EXPECT(e.primary_code() == SQLITE_CANTOPEN || e.primary_code() == SQLITE_READONLY, 42);
    }
    return 0;
  });
  EXPECT_EQ(code, 0);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
}

}  // namespace
