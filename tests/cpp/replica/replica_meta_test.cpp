// The replica's sidecar files: <db>-replica.json (what the file is a copy of) and the
// advisory lock <db>-replica.lock (one syncing Client per replica file).
#include "replica/replica_meta.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "libsql/error.hpp"
#include "support/temp_db.hpp"

namespace {

using libsql::Error;
using libsql::ErrorKind;
using libsql::detail::check_replica_meta;
using libsql::detail::decode_replica_meta;
using libsql::detail::encode_replica_meta;
using libsql::detail::read_replica_meta;
using libsql::detail::ReplicaLock;
using libsql::detail::ReplicaMeta;
using libsql::detail::write_replica_meta;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code_name();
  }
  return "no error";
}

ReplicaMeta sample() {
  return ReplicaMeta{.sync_url = "https://db-org.turso.io", .server_revision = "370", .page_size = 4096};
}

TEST(ReplicaMeta, SidecarPathsSitBesideTheDatabase) {
  EXPECT_EQ(libsql::detail::replica_meta_path("/data/app.db"), "/data/app.db-replica.json");
  EXPECT_EQ(libsql::detail::replica_lock_path("app.db"), "app.db-replica.lock");
}

TEST(ReplicaMeta, WrittenFileIsDocumentedJsonAndReadsBack) {
  libsql::test::TempDb db;
  write_replica_meta(db.path(), sample());
  EXPECT_EQ(slurp(db.path() + "-replica.json"),
            "{\"format\":\"libsql-cpp-replica\",\"version\":1,\"protocol\":\"turso-sync\","
            "\"sync_url\":\"https://db-org.turso.io\",\"page_size\":4096,\"server_revision\":\"370\"}\n");
  auto back = read_replica_meta(db.path());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->sync_url, "https://db-org.turso.io");
  EXPECT_EQ(back->server_revision, "370");
  EXPECT_EQ(back->page_size, 4096u);
  EXPECT_FALSE(std::filesystem::exists(db.path() + "-replica.json.tmp"));
}

TEST(ReplicaMeta, MissingFileReadsAsNothing) {
  libsql::test::TempDb db;
  EXPECT_FALSE(read_replica_meta(db.path()).has_value());
}

TEST(ReplicaMeta, RewriteReplacesTheWholeFile) {
  libsql::test::TempDb db;
  ReplicaMeta m = sample();
  m.server_revision = std::string(1000, '9');
  write_replica_meta(db.path(), m);
  m.server_revision = "1";
  write_replica_meta(db.path(), m);
  EXPECT_EQ(read_replica_meta(db.path())->server_revision, "1");
  // A stale temp file from a crash before the rename is simply overwritten.
  spit(db.path() + "-replica.json.tmp", "garbage from a crash");
  m.server_revision = "2";
  write_replica_meta(db.path(), m);
  EXPECT_EQ(read_replica_meta(db.path())->server_revision, "2");
  EXPECT_FALSE(std::filesystem::exists(db.path() + "-replica.json.tmp"));
}

TEST(ReplicaMeta, OpaqueRevisionsRoundTripExactly) {
  for (const std::string& rev : std::vector<std::string>{"page:3", "a\"b\\c", std::string("tab\there\nnl\x01", 12), "ünïcødé ☃", "{\"json\":1}"}) {
    ReplicaMeta m = sample();
    m.server_revision = rev;
    EXPECT_EQ(decode_replica_meta(encode_replica_meta(m)).server_revision, rev) << rev;
  }
  ReplicaMeta bad = sample();
  bad.server_revision = "\xff";
  EXPECT_EQ(code_of([&] { (void)encode_replica_meta(bad); }), "ARGS_INVALID");
}

TEST(ReplicaMeta, UnknownKeysAreIgnored) {
  ReplicaMeta m = decode_replica_meta(
      R"({"format":"libsql-cpp-replica","version":1,"protocol":"turso-sync","sync_url":"https://h",)"
      R"("page_size":4096,"server_revision":"5","written_by":"a later minor version"})");
  EXPECT_EQ(m.server_revision, "5");
}

TEST(ReplicaMeta, InvalidFilesAreRefused) {
  const std::string ok_tail = R"("sync_url":"https://h","page_size":4096,"server_revision":"5"})";
  const std::string head = R"({"format":"libsql-cpp-replica","version":1,"protocol":"turso-sync",)";
  const std::pair<std::string, const char*> cases[] = {
      {"", "empty file"},
      {"not json", "not JSON"},
      {"[1,2]", "not an object"},
      {(head + ok_tail).substr(0, 60), "truncated"},
      {R"({"format":"other","version":1,"protocol":"turso-sync",)" + ok_tail, "another format"},
      {R"({"format":"libsql-cpp-replica","version":2,"protocol":"turso-sync",)" + ok_tail, "newer version"},
      {R"({"format":"libsql-cpp-replica","version":0,"protocol":"turso-sync",)" + ok_tail, "version 0"},
      {R"({"format":"libsql-cpp-replica","version":"1","protocol":"turso-sync",)" + ok_tail, "version as text"},
      {R"({"format":"libsql-cpp-replica","version":1,"protocol":"libsql-wal-log",)" + ok_tail, "another protocol"},
      {head + R"("page_size":4096,"server_revision":"5"})", "no sync_url"},
      {head + R"("sync_url":"https://h","page_size":4096})", "no server_revision"},
      {head + R"("sync_url":"https://h","server_revision":"5"})", "no page_size"},
      {head + R"("sync_url":"https://h","page_size":4096,"server_revision":""})", "empty revision"},
      {head + R"("sync_url":"","page_size":4096,"server_revision":"5"})", "empty sync_url"},
      {head + R"("sync_url":"https://h","page_size":4095,"server_revision":"5"})", "odd page size"},
      {head + R"("sync_url":"https://h","page_size":4096,"server_revision":5})", "revision as a number"},
      {head + ok_tail + std::string(70000, ' '), "oversized file"},
  };
  for (const auto& c : cases) {  // no structured bindings: Clang 14 cannot capture them
    EXPECT_EQ(code_of([&] { (void)decode_replica_meta(c.first); }), "REPLICA_META_INVALID") << c.second;
  }
  libsql::test::TempDb db;
  spit(db.path() + "-replica.json", "{\"format\":");
  try {
    (void)read_replica_meta(db.path());
    ADD_FAILURE() << "a corrupt file was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "REPLICA_META_INVALID");
    EXPECT_NE(std::string(e.what()).find("-replica.json"), std::string::npos) << e.what();
  }
}

TEST(ReplicaMeta, AnotherSyncUrlIsRefusedNotRebootstrapped) {
  ReplicaMeta m = sample();
  EXPECT_NO_THROW(check_replica_meta(m, "https://db-org.turso.io"));
  try {
    check_replica_meta(m, "https://other-org.turso.io");
    ADD_FAILURE() << "mismatch accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Misuse);
    EXPECT_EQ(e.code_name(), "REPLICA_SYNC_URL_MISMATCH");
    std::string msg = e.what();
    EXPECT_NE(msg.find("db-org"), std::string::npos) << msg;
    EXPECT_NE(msg.find("other-org"), std::string::npos) << msg;
  }
  m.page_size = 8192;
  EXPECT_EQ(code_of([&] { check_replica_meta(m, "https://db-org.turso.io"); }), "REPLICA_META_INVALID");
}

TEST(ReplicaMeta, WriteIntoAMissingDirectoryIsCantOpen) {
  libsql::test::TempDb db;
  try {
    write_replica_meta((db.dir() / "no-such-dir" / "x.db").string(), sample());
    ADD_FAILURE() << "write succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Sqlite);
    EXPECT_EQ(e.code_name(), "SQLITE_CANTOPEN");
  }
}

TEST(ReplicaLock, SecondOpenerInTheSameProcessIsRefused) {
  libsql::test::TempDb db;
  ReplicaLock first = ReplicaLock::acquire(db.path());
  EXPECT_TRUE(first.held());
  try {
    (void)ReplicaLock::acquire(db.path());
    ADD_FAILURE() << "second lock granted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Misuse);
    EXPECT_EQ(e.code_name(), "REPLICA_LOCKED");
    EXPECT_NE(std::string(e.what()).find(db.path()), std::string::npos) << e.what();
  }
  first.release();
  EXPECT_FALSE(first.held());
  EXPECT_TRUE(ReplicaLock::acquire(db.path()).held());
  EXPECT_TRUE(std::filesystem::exists(db.path() + "-replica.lock"));  // never deleted
}

TEST(ReplicaLock, MovingTransfersOwnershipAndDestructionReleases) {
  libsql::test::TempDb db;
  {
    ReplicaLock a = ReplicaLock::acquire(db.path());
    ReplicaLock b = std::move(a);
    EXPECT_FALSE(a.held());  // NOLINT(bugprone-use-after-move): the moved-from state is part of the contract
    EXPECT_TRUE(b.held());
    ReplicaLock c;
    c = std::move(b);
    EXPECT_TRUE(c.held());
    EXPECT_EQ(code_of([&] { (void)ReplicaLock::acquire(db.path()); }), "REPLICA_LOCKED");
  }
  EXPECT_TRUE(ReplicaLock::acquire(db.path()).held());
}

/// Runs `child` in a forked process and returns its exit status.
int in_child(const std::function<int()>& child) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 99;
    try {
      rc = child();
    } catch (...) {
    }
    ::_exit(rc);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(ReplicaLock, AnotherProcessIsRefusedWhileHeldAndGetsItAfterwards) {
  libsql::test::TempDb db;
  const std::string& path = db.path();
  auto try_lock = [path]() -> int {
    try {
      ReplicaLock l = ReplicaLock::acquire(path);
      return 0;
    } catch (const Error& e) {
      return e.code_name() == "REPLICA_LOCKED" ? 1 : 2;
    }
  };
  {
    ReplicaLock held = ReplicaLock::acquire(path);
    EXPECT_EQ(in_child(try_lock), 1);
  }
  EXPECT_EQ(in_child(try_lock), 0);
}

TEST(ReplicaLock, DyingHolderReleasesTheLock) {
  libsql::test::TempDb db;
  const std::string& path = db.path();
  // The child takes the lock and exits without releasing it: the kernel drops it.
  EXPECT_EQ(in_child([path] {
              static ReplicaLock leaked;
              leaked = ReplicaLock::acquire(path);
              ::_exit(0);
              return 0;
            }),
            0);
  EXPECT_TRUE(ReplicaLock::acquire(path).held());
}

TEST(ReplicaLock, UnwritableLocationIsCantOpen) {
  libsql::test::TempDb db;
  EXPECT_EQ(code_of([&] { (void)ReplicaLock::acquire((db.dir() / "missing" / "x.db").string()); }),
            "SQLITE_CANTOPEN");
}

}  // namespace
