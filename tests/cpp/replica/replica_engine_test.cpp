// Embedded replicas end to end against `tursodb --sync-server` (Turso Sync /pull-updates for
// pages, Hrana /v2/pipeline for forwarded writes): bootstrap, read-your-writes, schema
// changes, many rows, snapshots across a sync, the owner lock, and a server that goes away.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "libsql/client.hpp"
#include "support/ports.hpp"
#include "support/temp_db.hpp"

using libsql::Client;
using libsql::Error;
using libsql::TransactionMode;
using libsql::Value;

namespace {

using libsql::test::accepts;
using libsql::test::free_port;

std::int64_t count(Client& db, const std::string& table) {
  return std::get<std::int64_t>(db.execute("SELECT count(*) FROM " + table).rows.at(0).at(0));
}

class Replica : public testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(LIBSQL_TURSODB)) GTEST_SKIP() << "tursodb not installed (npm ci)";
    start_server();
    auto primary = hrana();
    primary.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    primary.batch({"INSERT INTO t VALUES (1, 'one')", "INSERT INTO t VALUES (2, 'two')"}, TransactionMode::Write);
    primary.close();
  }
  void TearDown() override { stop_server(); }

  void start_server() {
    if (port_ == 0) port_ = free_port();
    std::string listen = "127.0.0.1:" + std::to_string(port_);
    std::string db = server_db_.path();
    pid_ = fork();
    if (pid_ == 0) {
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      dup2(devnull, 2);
      execl(LIBSQL_TURSODB, LIBSQL_TURSODB, db.c_str(), "--sync-server", listen.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 600 && !accepts(port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(accepts(port_)) << "tursodb did not start";
  }
  void stop_server() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  Client hrana() { return Client::open({.url = url(), .timeout = std::chrono::milliseconds(5000)}); }
  Client replica(libsql::Config extra = {}) {
    extra.url = replica_.url();
    extra.sync_url = url();
    extra.timeout = std::chrono::milliseconds(3000);
    return Client::open(extra);
  }

  libsql::test::TempDb server_db_;
  libsql::test::TempDb replica_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(Replica, BootstrapsThenReadsLocally) {
  auto db = replica();
  EXPECT_TRUE(std::filesystem::exists(replica_.path()));
  auto rs = db.execute("SELECT v FROM t ORDER BY id");
  ASSERT_EQ(rs.rows.size(), 2u);
  EXPECT_EQ(rs.rows[1][0], Value("two"));
  EXPECT_EQ(std::get<std::string>(db.execute("SELECT * FROM pragma_integrity_check").rows[0][0]), "ok");
  // Reads are local: they keep working with the server gone.
  stop_server();
  EXPECT_EQ(count(db, "t"), 2);
  db.close();
}

TEST_F(Replica, WritesGoToThePrimaryAndAreReadBackAtOnce) {
  auto db = replica();
  auto ins = db.execute({"INSERT INTO t VALUES (?, ?)", {Value(std::int64_t{3}), Value("three")}});
  (void)ins;
  EXPECT_EQ(count(db, "t"), 3) << "read-your-writes: the insert was pulled back before execute returned";
  // tursodb has no Hrana streams (one shared connection, batons echoed), so interactive
  // transactions need a sqld/Turso primary; a batch is one self-contained request.
  db.batch({"INSERT INTO t VALUES (4, 'four')", "UPDATE t SET v = 'ONE' WHERE id = 1"}, TransactionMode::Write);
  EXPECT_EQ(count(db, "t"), 4);
  EXPECT_EQ(db.execute("SELECT v FROM t WHERE id = 1").rows[0][0], Value("ONE"));
  // The primary has them too.
  auto primary = hrana();
  EXPECT_EQ(count(primary, "t"), 4);
  primary.close();
  db.close();
}

TEST_F(Replica, SchemaChangesAndThousandsOfRowsArrive) {
  auto db = replica();
  db.execute_script("CREATE TABLE big (id INTEGER PRIMARY KEY, payload TEXT)");
  std::vector<libsql::Statement> inserts;
  for (int i = 0; i < 3000; ++i) {
    inserts.push_back({"INSERT INTO big (payload) VALUES (?)", {Value("row " + std::to_string(i) + std::string(100, 'x'))}});
  }
  db.batch(inserts, TransactionMode::Write);
  db.execute("CREATE INDEX big_payload ON big (payload)");
  db.execute("ALTER TABLE t ADD COLUMN extra INTEGER DEFAULT 7");
  EXPECT_EQ(count(db, "big"), 3000);
  EXPECT_EQ(db.execute("SELECT extra FROM t WHERE id = 1").rows[0][0], Value(std::int64_t{7}));
  auto plan = db.execute("EXPLAIN QUERY PLAN SELECT * FROM big WHERE payload = 'x'");
  EXPECT_NE(std::get<std::string>(plan.rows.at(0).back()).find("big_payload"), std::string::npos);
  EXPECT_EQ(std::get<std::string>(db.execute("SELECT * FROM pragma_integrity_check").rows[0][0]), "ok");
  db.close();
}

TEST_F(Replica, SyncReportsWhatItAppliedAndAnOpenSnapshotSurvivesIt) {
  auto db = replica({.read_your_writes = false});
  auto nothing = db.sync();
  EXPECT_EQ(nothing.frames_synced, 0u);
  // A reader holding a read transaction on the replica file across a sync keeps its snapshot.
  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open(replica_.path().c_str(), &reader), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM t;", nullptr, nullptr, nullptr), SQLITE_OK);
  auto primary = hrana();
  primary.execute("INSERT INTO t VALUES (10, 'ten')");
  primary.close();
  EXPECT_EQ(count(db, "t"), 2) << "without read-your-writes and before a sync, the replica is behind";
  auto synced = db.sync();
  EXPECT_GT(synced.frames_synced, 0u);
  EXPECT_FALSE(synced.revision.empty());
  EXPECT_EQ(count(db, "t"), 3);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(reader, "SELECT count(*) FROM t", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 2) << "the open read transaction still sees its snapshot";
  sqlite3_finalize(st);
  sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(reader);
  db.close();
}

TEST_F(Replica, PeriodicSyncPullsInTheBackground) {
  auto db = replica({.sync_interval = std::chrono::seconds(1), .read_your_writes = false});
  auto primary = hrana();
  primary.execute("INSERT INTO t VALUES (20, 'twenty')");
  primary.close();
  // No sync() here: only the background one can bring the row. Waited for up to a minute (on
  // an idle machine it comes after about the 1 s interval).
  bool seen = false;
  for (int i = 0; i < 600 && !seen; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    seen = count(db, "t") == 3;
  }
  EXPECT_TRUE(seen) << "the background sync brought the row";
  db.close();
}

TEST_F(Replica, OneOwnerPerReplicaFile) {
  auto db = replica();
  try {
    auto second = replica();
    second.close();
    FAIL() << "a second opener must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "REPLICA_LOCKED") << e.what();
  }
  db.close();
  auto again = replica();  // released on close
  EXPECT_EQ(count(again, "t"), 2);
  again.close();
}

TEST_F(Replica, AServerThatIsDownGivesATypedErrorAndTheReplicaStaysReadable) {
  std::vector<std::string> reported;
  auto db = replica({.on_sync_error = [&](const Error& e) { reported.emplace_back(e.what()); }});
  stop_server();
  try {
    db.sync();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), libsql::ErrorKind::Network) << e.what();
  }
  EXPECT_EQ(count(db, "t"), 2);
  // A forwarded write fails with the network error; nothing changes locally.
  EXPECT_THROW(db.execute("INSERT INTO t VALUES (30, 'x')"), Error);
  EXPECT_EQ(count(db, "t"), 2);
  // The server comes back: sync works again.
  start_server();
  EXPECT_EQ(db.sync().frames_synced, 0u);
  db.close();
}

TEST_F(Replica, AFileThatIsNotAReplicaIsRefused) {
  {
    auto plain = Client::open({.url = replica_.url()});
    plain.execute("CREATE TABLE mine (x)");
    plain.close();
  }
  try {
    replica();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "REPLICA_NOT_CLEAN") << e.what();
  }
}

}  // namespace
