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

TEST(LocalEngineBadInput, WebSocketUrlsAreRefusedWithAHint) {
  for (const char* url : {"ws://localhost:8080", "wss://db.example.com"}) {
    std::string err = open_error({.url = url});
    EXPECT_NE(err.find("URL_SCHEME_NOT_SUPPORTED"), std::string::npos) << err;
    EXPECT_NE(err.find("use libsql://"), std::string::npos) << err;
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

/// Runs a statement through `try_inline` when it can, otherwise through `on_worker` (which
/// re-measures it), up to 50 times: true once it ran inline. "Fast" is measured (tens of
/// microseconds), so a loaded or sanitized build may never qualify; the tests skip then. A
/// blocking call returns while its worker is still letting go of the connection (the inline
/// path then declines rather than wait): a few short pauses before going to the worker again.
template <class TryInline, class OnWorker>
bool ran_inline(TryInline try_inline, OnWorker on_worker) {
  for (int i = 0; i < 50; ++i) {
    for (int pause = 0; pause < 3; ++pause) {
      if (try_inline()) return true;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    on_worker();
  }
  return false;
}

TEST(LocalEngineInline, OnlyReadsSeenFastOnAWorkerRunInline) {
  libsql::test::TempDb tmp;
  auto db = Client::open({.url = tmp.url()});
  db.execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
                    "INSERT INTO t SELECT i, 'v' || i FROM n;");
  libsql::Statement point{"SELECT v FROM t WHERE id = ?", {Value(std::int64_t{7})}};
  libsql::ResultSet rs;
  EXPECT_FALSE(db.try_execute_inline(point, rs)) << "never seen: it goes to a worker first";
  // "Fast" is measured (tens of microseconds): on a loaded or sanitized build a run may not
  // qualify, so try a few times; each worker run re-measures.
  auto run_inline = [&](const libsql::Statement& s) {
    for (int i = 0; i < 50; ++i) {
      if (db.try_execute_inline(s, rs)) return true;
      db.execute(s);
    }
    return false;
  };
  if (!run_inline(point)) GTEST_SKIP() << "this build/machine never ran the point read within the fast limit";
  EXPECT_EQ(rs.rows.at(0).at(0), Value("v7"));
  // It sees committed writes at once.
  db.execute("UPDATE t SET v = 'new' WHERE id = 7");
  ASSERT_TRUE(run_inline(point));
  EXPECT_EQ(rs.rows.at(0).at(0), Value("new"));

  // Many rows: a worker runs it; if ever marked fast, the inline run gives up past the limit.
  libsql::Statement many{"SELECT v FROM t WHERE id > ?", {Value(std::int64_t{0})}};
  db.execute(many);
  EXPECT_FALSE(db.try_execute_inline(many, rs));
  // Writes on a file never run inline (the writer's, and they fsync).
  libsql::Statement write{"UPDATE t SET v = v WHERE id = 1"};
  db.execute(write);
  EXPECT_FALSE(db.try_execute_inline(write, rs));
  db.close();
  EXPECT_FALSE(db.try_execute_inline(point, rs)) << "closed";
}

TEST(LocalEngineInline, MemoryDatabasesRunFastReadsInlineOnlyBetweenTasks) {
  auto db = Client::open({.url = ":memory:"});
  db.execute("CREATE TABLE m (x)");
  db.execute("INSERT INTO m VALUES (1)");
  libsql::Statement s{"SELECT count(*) FROM m"};
  libsql::ResultSet rs;
  if (!ran_inline([&] { return db.try_execute_inline(s, rs); }, [&] { db.execute(s); })) GTEST_SKIP() << "this build/machine never ran the read within the fast limit";
  EXPECT_EQ(rs.rows.at(0).at(0), Value(std::int64_t{1}));
  // While a transaction holds the one connection, nothing runs inline (it would see the
  // transaction's uncommitted rows).
  auto tx = db.transaction(TransactionMode::Write);
  tx.execute("INSERT INTO m VALUES (2)");
  EXPECT_FALSE(db.try_execute_inline(s, rs));
  tx.rollback();
  db.close();
  EXPECT_FALSE(db.try_execute_inline(s, rs)) << "closed";
}

TEST(LocalEngineInline, MemoryDatabasesRunFastWritesInlineInCallOrder) {
  auto db = Client::open({.url = ":memory:"});
  db.execute("CREATE TABLE m (id INTEGER PRIMARY KEY, v TEXT UNIQUE)");
  int n = 0;  // rows inserted
  auto insert = [&] { return libsql::Statement{"INSERT INTO m (v) VALUES (?) RETURNING id", {Value("v" + std::to_string(n + 1))}}; };
  libsql::ResultSet rs;
  libsql::Statement first = insert();
  EXPECT_FALSE(db.try_execute_inline(first, rs)) << "never seen: it goes to the worker first";
  db.execute(first);
  ++n;
  if (!ran_inline([&] { return db.try_execute_inline(insert(), rs) && ++n; }, [&] { db.execute(insert()); ++n; })) {
    GTEST_SKIP() << "this build/machine never ran the insert within the fast limit";
  }
  // It ran, once: its row is there and RETURNING gave its id.
  const std::int64_t id = int_of(rs);
  EXPECT_EQ(rs.last_insert_rowid, id);
  EXPECT_EQ(rs.rows_affected, 1);
  EXPECT_EQ(int_of(db.execute(libsql::Statement{"SELECT count(*) FROM m WHERE id = ?", {Value(id)}})), 1);
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM m")), n);

  // Its error is the caller's (a write is not run twice): a UNIQUE violation, nothing inserted.
  libsql::Statement dup{"INSERT INTO m (v) VALUES (?) RETURNING id", {Value("v1")}};
  bool threw = false;
  for (int i = 0; i < 50 && !threw; ++i) {
    try {
      EXPECT_FALSE(db.try_execute_inline(dup, rs)) << "a duplicate was inserted";
      std::this_thread::sleep_for(std::chrono::microseconds(200));  // the worker letting go
    } catch (const Error& e) {
      threw = true;
      EXPECT_EQ(e.extended_code(), SQLITE_CONSTRAINT_UNIQUE) << e.what();
    }
  }
  EXPECT_TRUE(threw) << "the duplicate never ran inline";
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM m")), n);

  // A call made earlier and still queued is never overtaken: while the slow insert below is
  // pending, the inline path declines, and when it does run, the slow one has finished.
  std::atomic<bool> slow_done{false};
  db.execute_async(libsql::Statement{"INSERT INTO m (v) WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                                     "FROM k WHERE i < 200000) SELECT 'bulk' || i FROM k"},
                   [&](libsql::Outcome<libsql::ResultSet> o) {
                     EXPECT_TRUE(std::holds_alternative<libsql::ResultSet>(o));
                     slow_done = true;
                   });
  bool declined_while_pending = false;
  for (;;) {
    const bool was_done = slow_done.load();
    if (db.try_execute_inline(insert(), rs)) {
      EXPECT_TRUE(slow_done.load()) << "an inline write overtook a queued one";
      break;
    }
    if (!slow_done) declined_while_pending = true;
    if (was_done) break;  // done and still declined: it was re-measured as slow, fine
  }
  EXPECT_TRUE(declined_while_pending);
  EXPECT_GT(int_of(db.execute("SELECT max(id) FROM m")), 200000);
}

TEST(LocalEngineInline, TransactionStatementsRunInlineBetweenTheTransactionsCalls) {
  libsql::test::TempDb tmp;
  auto db = Client::open({.url = tmp.url()});
  db.execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER);"
                    "INSERT INTO t VALUES (1, 0), (2, 0);");
  libsql::Statement read{"SELECT v FROM t WHERE id = ?", {Value(std::int64_t{1})}};
  libsql::Statement bump{"UPDATE t SET v = v + 1 WHERE id = ? RETURNING v", {Value(std::int64_t{1})}};
  libsql::ResultSet rs;
  auto tx = db.transaction(TransactionMode::Deferred);
  EXPECT_FALSE(tx.try_execute_inline(read, rs)) << "never seen: it goes to the worker first";
  if (!ran_inline([&] { return tx.try_execute_inline(read, rs); }, [&] { tx.execute(read); })) {
    GTEST_SKIP() << "this build/machine never ran the read within the fast limit";
  }
  EXPECT_EQ(int_of(rs), 0);
  std::int64_t bumps = 0;
  if (!ran_inline([&] { return tx.try_execute_inline(bump, rs) && ++bumps; }, [&] { tx.execute(bump); ++bumps; })) {
    GTEST_SKIP() << "this build/machine never ran the update within the fast limit";
  }
  EXPECT_EQ(int_of(rs), bumps) << "the inline update ran once, in the transaction";
  ASSERT_TRUE(ran_inline([&] { return tx.try_execute_inline(read, rs); }, [&] { tx.execute(read); }));  // ran before
  EXPECT_EQ(int_of(rs), bumps) << "reads inside the transaction see its writes";
  EXPECT_EQ(int_of(db.execute(read)), 0) << "nobody else sees them before commit";
  tx.commit();
  EXPECT_EQ(int_of(db.execute(read)), bumps);
  EXPECT_FALSE(tx.try_execute_inline(read, rs)) << "ended";

  // A later transaction: a call still queued is never overtaken.
  auto tx2 = db.transaction(TransactionMode::Deferred);
  std::atomic<bool> slow_done{false};
  tx2.execute_async(libsql::Statement{"WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < "
                                      "300000) SELECT count(*) FROM k"},
                    [&](libsql::Outcome<libsql::ResultSet>) { slow_done = true; });
  bool declined_while_pending = false;
  for (;;) {
    const bool was_done = slow_done.load();
    if (tx2.try_execute_inline(read, rs)) {
      EXPECT_TRUE(slow_done.load()) << "an inline statement overtook a queued one";
      break;
    }
    if (!slow_done) declined_while_pending = true;
    if (was_done) {
      tx2.execute(read);  // re-measured on the worker
      if (!tx2.try_execute_inline(read, rs)) break;
    }
  }
  EXPECT_TRUE(declined_while_pending);
  tx2.rollback();
}

TEST(LocalEngineInline, TheFirstWriteOfATransactionNeverWaitsInlineForALockHeldElsewhere) {
  libsql::test::TempDb tmp;
  auto db = Client::open({.url = tmp.url(), .busy_timeout = std::chrono::milliseconds(3000)});
  auto other = Client::open({.url = tmp.url()});
  db.execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 0);");
  libsql::Statement bump{"UPDATE t SET v = v + 1 WHERE id = 1"};
  libsql::ResultSet rs;
  {
    // Seen fast as a transaction's first write (a new transaction each time: its first write).
    bool ran = false;
    for (int i = 0; i < 50 && !ran; ++i) {
      auto tx = db.transaction(TransactionMode::Deferred);
      ran = tx.try_execute_inline(bump, rs);
      if (!ran) tx.execute(bump);
      tx.commit();
    }
    if (!ran) GTEST_SKIP() << "this build/machine never ran the update within the fast limit";
  }
  const std::int64_t before = int_of(db.execute("SELECT v FROM t"));
  auto holder = other.transaction(TransactionMode::Write);  // holds the write lock
  auto tx = db.transaction(TransactionMode::Deferred);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(tx.try_execute_inline(bump, rs)) << "the lock is taken: nothing ran";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500)) << "it did not wait";
  // The worker waits for the lock (within the busy timeout) and runs it once.
  std::atomic<bool> done{false};
  tx.execute_async(bump, [&](libsql::Outcome<libsql::ResultSet> o) {
    EXPECT_TRUE(std::holds_alternative<libsql::ResultSet>(o));
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(done.load()) << "waiting for the other transaction";
  holder.rollback();
  tx.commit();
  EXPECT_TRUE(done.load());
  EXPECT_EQ(int_of(db.execute("SELECT v FROM t")), before + 1);
}

TEST(LocalEngineInline, AnInlineStatementThatRollsTheTransactionBackEndsIt) {
  for (const char* url : {":memory:", "file"}) {
    SCOPED_TRACE(url);
    libsql::test::TempDb tmp;
    auto db = Client::open({.url = std::string(url) == "file" ? tmp.url() : std::string(url)});
    db.execute_script(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER);"
        "CREATE TRIGGER no_negative BEFORE INSERT ON t WHEN NEW.v < 0 BEGIN SELECT RAISE(ROLLBACK, 'negative'); END;");
    auto tx = db.transaction(TransactionMode::Write);
    std::int64_t v = 0;
    auto insert = [&](std::int64_t x) { return libsql::Statement{"INSERT INTO t (v) VALUES (?)", {Value(x)}}; };
    libsql::ResultSet rs;
    if (!ran_inline([&] { return tx.try_execute_inline(insert(++v), rs); }, [&] { tx.execute(insert(++v)); })) {
      GTEST_SKIP() << "this build/machine never ran the insert within the fast limit";
    }
    try {
      tx.try_execute_inline(insert(-1), rs);
      ADD_FAILURE() << "expected the trigger's RAISE(ROLLBACK)";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("negative"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(tx.active());
    try {
      tx.commit();
      ADD_FAILURE() << "expected TRANSACTION_CLOSED";
    } catch (const Error& e) {
      EXPECT_EQ(e.code_name(), "TRANSACTION_CLOSED");
    }
    // The connection went back to the engine: other calls run, nothing of the transaction stayed.
    EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM t")), 0);
    db.execute("INSERT INTO t (v) VALUES (5)");
    EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM t")), 1);
  }
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
