// Smoke test against a real third-party Hrana server: `tursodb --sync-server` (npm
// @tursodatabase/cli-linux-x64-gnu). It serves plain execute/batch only (docs/hrana.md, "tursodb as a Hrana server": no
// `close`, no streams, no affected-row counts), so only those are checked here.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <limits>
#include <string>
#include <thread>

#include "libsql/client.hpp"
#include "support/ports.hpp"
#include "support/temp_db.hpp"

using libsql::Client;
using libsql::Value;

namespace {

using libsql::test::accepts;
using libsql::test::free_port;

class Tursodb : public testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(LIBSQL_TURSODB)) {
      GTEST_SKIP() << "tursodb not installed (npm ci installs @tursodatabase/cli-linux-x64-gnu)";
    }
    port_ = free_port();
    std::string listen = "127.0.0.1:" + std::to_string(port_);
    std::string db = tmp_.path();
    pid_ = fork();
    if (pid_ == 0) {
      execl(LIBSQL_TURSODB, LIBSQL_TURSODB, db.c_str(), "--sync-server", listen.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 600 && !accepts(port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(accepts(port_)) << "tursodb did not start";
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  libsql::test::TempDb tmp_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(Tursodb, ExecuteAndBatchRoundTripValues) {
  auto db = Client::open({.url = "http://127.0.0.1:" + std::to_string(port_),
                          .timeout = std::chrono::milliseconds(5000)});
  db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB)");
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  db.execute({"INSERT INTO t (id, i, r, s, b) VALUES (?, ?, ?, ?, ?)",
              {Value(std::int64_t{1}), Value(big), Value(2.5), Value("héllo"),
               Value(libsql::make_blob(std::string("\x00\xff", 2)))}});
  auto rs = db.execute({"SELECT i, r, s, b, typeof(b) FROM t WHERE id = ?", {Value(std::int64_t{1})}});
  ASSERT_EQ(rs.rows.size(), 1u);
  EXPECT_EQ(rs.rows[0][0], Value(big));
  EXPECT_EQ(rs.rows[0][1], Value(2.5));
  EXPECT_EQ(rs.rows[0][2], Value("héllo"));
  EXPECT_EQ(rs.rows[0][3], Value(libsql::make_blob(std::string("\x00\xff", 2))));
  EXPECT_EQ(rs.columns[0].decltype_, "INTEGER");

  auto results = db.batch({"INSERT INTO t (id, s) VALUES (2, 'two')", "SELECT count(*) FROM t"},
                          libsql::TransactionMode::Write);
  EXPECT_EQ(results[1].rows[0][0], Value(std::int64_t{2}));
  // All or nothing: the failing second insert takes the first one with it.
  EXPECT_THROW(db.batch({"INSERT INTO t (id, s) VALUES (3, 'three')", "INSERT INTO t (id, s) VALUES (2, 'dup')"},
                        libsql::TransactionMode::Write),
               libsql::Error);
  EXPECT_EQ(db.execute("SELECT count(*) FROM t").rows[0][0], Value(std::int64_t{2}));
  db.close();
}

}  // namespace
