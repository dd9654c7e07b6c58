#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "libsql/client.hpp"
#include "support/temp_db.hpp"

using libsql::Client;
using libsql::Error;
using libsql::TransactionMode;
using libsql::Value;

namespace {

std::int64_t int_of(const libsql::ResultSet& rs) { return std::get<std::int64_t>(rs.rows.at(0).at(0)); }
std::string text_of(const libsql::ResultSet& rs) { return std::get<std::string>(rs.rows.at(0).at(0)); }

std::string open_error(const libsql::Config& config) {
  try {
    Client::open(config).close();
  } catch (const Error& e) {
    return e.code_name() + " | " + e.what();
  }
  return "no error";
}

TEST(LocalEngine, FileIsInWalModeWithForeignKeysAndFullSync) {
  libsql::test::TempDb tmp;
  auto db = Client::open({.url = tmp.url()});
  EXPECT_EQ(text_of(db.execute("PRAGMA journal_mode")), "wal");
  EXPECT_EQ(int_of(db.execute("PRAGMA foreign_keys")), 1);
  EXPECT_EQ(int_of(db.execute("PRAGMA synchronous")), 2);  // FULL, like @libsql/client
  EXPECT_EQ(int_of(db.execute("PRAGMA busy_timeout")), 5000);
  db.close();
}

TEST(LocalEngine, DurabilityAndBusyTimeoutAreConfigurable) {
  libsql::test::TempDb tmp;
  auto db = Client::open({.url = tmp.url(),
                          .busy_timeout = std::chrono::milliseconds(1234),
                          .synchronous = libsql::Synchronous::Normal});
  EXPECT_EQ(int_of(db.execute("PRAGMA synchronous")), 1);
  EXPECT_EQ(int_of(db.execute("PRAGMA busy_timeout")), 1234);
  db.close();
}

TEST(LocalEngine, MemoryDatabaseSurvivesTransactionsOnOneConnection) {
  auto db = Client::open({.url = ":memory:"});
  db.execute("CREATE TABLE m (x)");
  {
    auto tx = db.transaction(TransactionMode::Write);
    tx.execute("INSERT INTO m VALUES (1)");
    tx.commit();
  }
  db.batch({"INSERT INTO m VALUES (2)"}, TransactionMode::Write);
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM m")), 2)
      << "the official client opens a new, empty :memory: database per transaction";
  db.close();
}

TEST(LocalEngine, ReadsOutsideATransactionDoNotSeeItsUncommittedWrites) {
  libsql::test::TempDb tmp;
  auto db = Client::open({.url = tmp.url()});
  db.execute("CREATE TABLE t (x)");
  auto tx = db.transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t VALUES (1)");
  // A read beside the open transaction runs on a reader and sees the committed state.
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM t")), 0);
  EXPECT_EQ(int_of(tx.execute("SELECT count(*) FROM t")), 1);
  tx.commit();
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM t")), 1);
  db.close();
}

TEST(LocalEngine, WritesOutsideATransactionWaitForIt) {
  libsql::test::TempDb tmp;
  auto db = Client::open({.url = tmp.url()});
  db.execute("CREATE TABLE t (x)");
  auto tx = db.transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t VALUES ('tx')");
  std::atomic<bool> write_done{false};
  std::thread writer([&] {
    db.execute("INSERT INTO t VALUES ('outside')");
    write_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(write_done.load()) << "the write queues behind the transaction";
  tx.rollback();
  writer.join();
  auto rs = db.execute("SELECT x FROM t");
  ASSERT_EQ(rs.rows.size(), 1u);
  EXPECT_EQ(rs.rows[0][0], Value("outside")) << "the queued write is not part of the rollback";
  db.close();
}

TEST(LocalEngine, WritingCteOnReaderPathIsForwardedToTheWriter) {
  libsql::test::TempDb tmp;
  auto db = Client::open({.url = tmp.url()});
  db.execute("CREATE TABLE t (x)");
  db.execute("INSERT INTO t VALUES (1), (2)");
  auto rs = db.execute("WITH doomed AS (SELECT 1) DELETE FROM t WHERE x = 1 RETURNING x");
  EXPECT_EQ(rs.rows_affected, 1);
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM t")), 1);
  db.close();
}

TEST(LocalEngine, SchemaChangesAreSeenByCachedReaderStatements) {
  libsql::test::TempDb tmp;
  auto db = Client::open({.url = tmp.url()});
  db.execute("CREATE TABLE t (x)");
  db.execute("INSERT INTO t VALUES (1)");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(db.execute("SELECT * FROM t").columns.size(), 1u);
  db.execute("ALTER TABLE t ADD COLUMN y DEFAULT 7");
  for (int i = 0; i < 4; ++i) {
    auto rs = db.execute("SELECT * FROM t");
    ASSERT_EQ(rs.columns.size(), 2u);
    EXPECT_EQ(rs.rows[0][1], Value(std::int64_t{7}));
  }
  db.close();
}

TEST(LocalEngine, ABusyDatabaseIsWaitedForUpToTheBusyTimeout) {
  libsql::test::TempDb tmp;
  auto db = Client::open({.url = tmp.url(), .busy_timeout = std::chrono::milliseconds(5000)});
  db.execute("CREATE TABLE t (x)");
  // Another process (here: another connection) holds the write lock for a while.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(tmp.path().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE; INSERT INTO t VALUES ('other')", nullptr, nullptr, nullptr), SQLITE_OK);
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  });
  db.execute("INSERT INTO t VALUES ('ours')");  // waits instead of failing with SQLITE_BUSY
  releaser.join();
  sqlite3_close(other);
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM t")), 2);

  auto impatient = Client::open({.url = tmp.url(), .busy_timeout = std::chrono::milliseconds(0)});
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(tmp.path().c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  try {
    impatient.execute("INSERT INTO t VALUES ('x')");
    ADD_FAILURE() << "expected SQLITE_BUSY";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), SQLITE_BUSY) << e.what();
  }
  sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(holder);
  impatient.close();
  db.close();
}

// --- bad input ---

TEST(LocalEngineBadInput, PathInAMissingDirectoryIsCantOpen) {
  libsql::test::TempDb tmp;
  std::string err = open_error({.url = "file:" + (tmp.dir() / "no/such/dir/x.db").string()});
  EXPECT_EQ(err.rfind("SQLITE_CANTOPEN | SQLITE_CANTOPEN: unable to open database file", 0), 0u) << err;
}

TEST(LocalEngineBadInput, AFileThatIsNotADatabaseIsNotADb) {
  libsql::test::TempDb tmp;
  {
    std::ofstream f(tmp.path(), std::ios::binary);
    f << std::string(4096, 'j') << "this is not a database";
  }
  std::string err = open_error({.url = tmp.url()});
  EXPECT_EQ(err, "SQLITE_NOTADB | SQLITE_NOTADB: file is not a database") << err;
}

TEST(LocalEngineBadInput, WebSocketUrlsOpenLazilyAndTheWebSocketClientRefusesOtherSchemes) {
  // ws:/wss: speak Hrana over WebSocket (tests/cpp/remote/ws_test.cpp); the socket opens on
  // first use, so opening a client for a server that is not there does not fail.
  for (const char* url : {"ws://localhost:8080", "wss://db.example.com"}) {
    EXPECT_EQ(open_error({.url = url}), "no error") << url;
  }
  // websocket = true is @libsql/client/ws's createClient: libsql:, ws: and wss: only.
  for (const char* url : {"https://h", "http://h:8080", ":memory:"}) {
    EXPECT_NE(open_error({.url = url, .websocket = true}).find("URL_SCHEME_NOT_SUPPORTED"), std::string::npos) << url;
  }
  EXPECT_NE(open_error({.url = "libsql://h?tls=0"}).find("URL_INVALID"), std::string::npos);
}

TEST(LocalEngineBadInput, UnsupportedOptionsAreRefusedClearly) {
#if !LIBSQL_HAS_ENCRYPTION  // with SQLite3 Multiple Ciphers: tests/cpp/local/encryption_test.cpp
  EXPECT_NE(open_error({.url = ":memory:", .encryption_key = "k"}).find("ENCRYPTION_NOT_SUPPORTED"),
            std::string::npos);
#endif
  EXPECT_NE(open_error({.url = ":memory:", .sync_url = "libsql://h"}).find("URL_INVALID"),
            std::string::npos);
  EXPECT_NE(open_error({.url = "ftp://x"}).find("URL_SCHEME_NOT_SUPPORTED"), std::string::npos);
  EXPECT_NE(open_error({.url = "not a url"}).find("URL_INVALID"), std::string::npos);
}

}  // namespace

namespace {

TEST(LocalEngineOpen, ProcessesOpeningANewFileAtOnceAllSucceed) {
  // Each switches the new file to WAL: SQLite may answer one of them SQLITE_BUSY at once
  // (deadlock avoidance) instead of waiting; open() retries within the busy timeout.
  // (Separate processes, as with two `libsql-cpp migrate deploy` runs: POSIX locks are
  // per process.)
  for (int round = 0; round < 10; ++round) {
    libsql::test::TempDb tmp;
    std::vector<pid_t> children;
    for (int i = 0; i < 3; ++i) {
      pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        int code = 0;
        try {
          auto db = Client::open({.url = tmp.url()});
          db.execute("CREATE TABLE IF NOT EXISTS t (x)");
          db.close();
        } catch (const Error& e) {
          std::fprintf(stderr, "child: %s\n", e.what());
          code = 1;
        }
        _exit(code);
      }
      children.push_back(pid);
    }
    for (pid_t pid : children) {
      int status = 0;
      waitpid(pid, &status, 0);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "round " << round;
    }
  }
}

}  // namespace
