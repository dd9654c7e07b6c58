// The SQLite the engine is built with (cmake/sqlite.cmake): the features and limits chosen
// there, checked on the library itself, and through the engine where it matters.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "libsql/client.hpp"

namespace {

/// One raw connection to `:memory:`, closed at scope exit.
class RawDb {
 public:
  RawDb() { EXPECT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK); }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  [[nodiscard]] sqlite3* get() const { return db_; }
  /// sqlite3_exec's result code; the message in `err`.
  int exec(const std::string& sql, std::string* err = nullptr) {
    char* msg = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg);
    if (err) *err = msg ? msg : "";
    sqlite3_free(msg);
    return rc;
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST(SqliteBuild, FeaturesAndLimits) {
  RawDb db;
  EXPECT_EQ(db.exec("CREATE VIRTUAL TABLE f USING fts5(body)"), SQLITE_OK) << "FTS5";
  EXPECT_EQ(db.exec("CREATE VIRTUAL TABLE r USING rtree(id, x0, x1)"), SQLITE_OK) << "RTREE";
  EXPECT_EQ(db.exec("SELECT json_extract('{\"a\":1}', '$.a'), sqrt(2.0), ln(3.0)"), SQLITE_OK)
      << "JSON and math functions";
  EXPECT_GE(sqlite3_limit(db.get(), SQLITE_LIMIT_VARIABLE_NUMBER, -1), 250000);
  EXPECT_TRUE(sqlite3_threadsafe());
}

#if LIBSQL_HAS_ENCRYPTION  // the compiled-in SQLite3 Multiple Ciphers

TEST(SqliteBuild, CompiledInOptions) {
  EXPECT_GE(sqlite3_libversion_number(), 3053000);
  EXPECT_STREQ(sqlite3mc_cipher_name(sqlite3mc_cipher_index("aes256cbc")), "aes256cbc");
  EXPECT_TRUE(sqlite3_compileoption_used("OMIT_LOAD_EXTENSION"));
  EXPECT_TRUE(sqlite3_compileoption_used("ENABLE_QPSG"));
  RawDb db;
  std::string err;
  // Double-quoted strings are identifiers only (as in libSQL's build).
  EXPECT_NE(db.exec("SELECT \"not a column\"", &err), SQLITE_OK);
  EXPECT_NE(err.find("no such column"), std::string::npos) << err;
  // Temporary storage in memory: SQLite3MC does not encrypt temporary files.
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db.get(), "PRAGMA temp_store", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);  // default: the compile-time choice (memory)
  sqlite3_finalize(st);
  EXPECT_TRUE(sqlite3_compileoption_used("TEMP_STORE=2"));
}

// Prisma sends `LIMIT ? OFFSET ?` with each findUnique/findMany: re-binding those must not expire
// the cached statement (SQLite >= 3.47 reads LIMIT's bound value while planning, unless QPSG).
TEST(SqliteBuild, RebindingLimitDoesNotReprepare) {
  RawDb db;
  ASSERT_EQ(db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                    "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')"),
            SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v3(db.get(), "SELECT v FROM t WHERE id >= ? ORDER BY id LIMIT ? OFFSET ?", -1,
                               SQLITE_PREPARE_PERSISTENT, &st, nullptr),
            SQLITE_OK);
  for (int i = 0; i < 20; ++i) {
    sqlite3_bind_int(st, 1, 1 + i % 3);
    sqlite3_bind_int(st, 2, 1 + i % 2);
    sqlite3_bind_int(st, 3, 0);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    sqlite3_reset(st);
  }
  EXPECT_EQ(sqlite3_stmt_status(st, SQLITE_STMTSTATUS_REPREPARE, 0), 0);
  sqlite3_finalize(st);
}

#endif

}  // namespace
