// A lock held elsewhere past the busy timeout: the caller gets SQLITE_BUSY, and the client is
// not poisoned — the transaction can be rolled back, nothing of ours stays open on the file (no
// read snapshot, no unfinished statement), and the very next transaction succeeds. (The
// official client has a known failure where one SQLITE_BUSY wedges it until restart.)
// The other writer is a plain sqlite3 connection: SQLite's locks between connections of one
// process behave as between processes.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <array>
#include <chrono>
#include <string>

#include "libsql/client.hpp"
#include "support/temp_db.hpp"

using libsql::Client;
using libsql::Error;
using libsql::TransactionMode;

namespace {

std::int64_t int_of(const libsql::ResultSet& rs) { return std::get<std::int64_t>(rs.rows.at(0).at(0)); }

/// Another writer on the same file.
class OtherWriter {
 public:
  explicit OtherWriter(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) ADD_FAILURE() << "cannot open " << path;
  }
  OtherWriter(const OtherWriter&) = delete;
  OtherWriter& operator=(const OtherWriter&) = delete;
  ~OtherWriter() { sqlite3_close_v2(db_); }
  int exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }
  /// PRAGMA wal_checkpoint(TRUNCATE): {busy, log frames, checkpointed frames}. busy == 0 and
  /// log == 0 only when no other connection holds a read snapshot or the write lock.
  std::array<int, 3> checkpoint_truncate() {
    std::array<int, 3> out{-1, -1, -1};
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      for (int i = 0; i < 3; ++i) out[static_cast<std::size_t>(i)] = sqlite3_column_int(st, i);
    }
    sqlite3_finalize(st);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

libsql::Config config_for(const libsql::test::TempDb& tmp) {
  libsql::Config c;
  c.url = tmp.url();
  c.busy_timeout = std::chrono::milliseconds(50);
  return c;
}

TEST(Busy, AtTheFirstWriteOfATransactionItIsTheCallersAndTheNextTransactionSucceeds) {
  libsql::test::TempDb tmp;
  auto db = Client::open(config_for(tmp));
  db.execute("CREATE TABLE t (x)");
  db.execute("INSERT INTO t VALUES (1)");
  OtherWriter other(tmp.path());
  ASSERT_EQ(other.exec("BEGIN IMMEDIATE; INSERT INTO t VALUES ('other')"), SQLITE_OK);

  auto tx = db.transaction(TransactionMode::Deferred);
  EXPECT_EQ(int_of(tx.execute("SELECT count(*) FROM t")), 1);
  try {
    tx.execute("INSERT INTO t VALUES (2)");
    ADD_FAILURE() << "expected SQLITE_BUSY";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), SQLITE_BUSY) << e.what();
  }
  tx.rollback();  // what Prisma does with a failed transaction
  EXPECT_FALSE(tx.active());

  ASSERT_EQ(other.exec("COMMIT"), SQLITE_OK);
  // Nothing of ours holds the file: a TRUNCATE checkpoint needs every snapshot gone.
  EXPECT_EQ(other.checkpoint_truncate(), (std::array<int, 3>{0, 0, 0}));

  auto next = db.transaction(TransactionMode::Deferred);
  next.execute("INSERT INTO t VALUES (3)");
  next.commit();
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM t")), 3);  // 1, 'other', 3
  db.close();
}

TEST(Busy, AtBeginImmediateItIsTheCallersAndTheClientKeepsWorking) {
  libsql::test::TempDb tmp;
  auto db = Client::open(config_for(tmp));
  db.execute("CREATE TABLE t (x)");
  OtherWriter other(tmp.path());
  ASSERT_EQ(other.exec("BEGIN IMMEDIATE"), SQLITE_OK);
  for (int attempt = 0; attempt < 3; ++attempt) {
    try {
      auto tx = db.transaction(TransactionMode::Write);
      ADD_FAILURE() << "expected SQLITE_BUSY at BEGIN IMMEDIATE";
    } catch (const Error& e) {
      EXPECT_EQ(e.primary_code(), SQLITE_BUSY) << e.what();
    }
    try {
      db.execute("INSERT INTO t VALUES (0)");
      ADD_FAILURE() << "expected SQLITE_BUSY outside a transaction too";
    } catch (const Error& e) {
      EXPECT_EQ(e.primary_code(), SQLITE_BUSY) << e.what();
    }
    EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM t")), 0) << "reads go on meanwhile";
  }
  ASSERT_EQ(other.exec("ROLLBACK"), SQLITE_OK);
  EXPECT_EQ(other.checkpoint_truncate(), (std::array<int, 3>{0, 0, 0}));
  auto tx = db.transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t VALUES (1)");
  tx.commit();
  db.execute("INSERT INTO t VALUES (2)");
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM t")), 2);
  db.close();
}

TEST(Busy, ABatchThatMeetsALockedFileIsRolledBackWhole) {
  libsql::test::TempDb tmp;
  auto db = Client::open(config_for(tmp));
  db.execute("CREATE TABLE t (x)");
  OtherWriter other(tmp.path());
  ASSERT_EQ(other.exec("BEGIN IMMEDIATE"), SQLITE_OK);
  try {
    db.batch({"INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)"}, TransactionMode::Deferred);
    ADD_FAILURE() << "expected SQLITE_BUSY";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), SQLITE_BUSY) << e.what();
  }
  ASSERT_EQ(other.exec("ROLLBACK"), SQLITE_OK);
  EXPECT_EQ(other.checkpoint_truncate(), (std::array<int, 3>{0, 0, 0}));
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM t")), 0) << "all or nothing";
  db.batch({"INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)"}, TransactionMode::Deferred);
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM t")), 2);
  db.close();
}

}  // namespace
