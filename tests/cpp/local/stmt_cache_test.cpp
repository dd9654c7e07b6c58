// StmtCache (local/stmt_cache.hpp) with a real SQLite connection: LRU capacity, hits, eviction
// finalizes, and statements found again start from a reset state (StmtReset, Connection::prepare).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "libsql/config.hpp"
#include "local/connection.hpp"
#include "local/sqlite_handles.hpp"
#include "local/stmt_cache.hpp"

using libsql::detail::DbHandle;
using libsql::detail::StmtCache;
using libsql::detail::StmtHandle;
using libsql::detail::StmtReset;

namespace {

DbHandle open_memory() {
  sqlite3* raw = nullptr;
  EXPECT_EQ(sqlite3_open(":memory:", &raw), SQLITE_OK);
  return DbHandle(raw);
}

StmtHandle prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  return StmtHandle(raw);
}

// Statements not yet finalized on `db`.
int live_statements(sqlite3* db) {
  int n = 0;
  for (sqlite3_stmt* s = sqlite3_next_stmt(db, nullptr); s != nullptr; s = sqlite3_next_stmt(db, s)) ++n;
  return n;
}

bool is_live(sqlite3* db, sqlite3_stmt* stmt) {
  for (sqlite3_stmt* s = sqlite3_next_stmt(db, nullptr); s != nullptr; s = sqlite3_next_stmt(db, s)) {
    if (s == stmt) return true;
  }
  return false;
}

std::string sql_n(int i) { return "SELECT " + std::to_string(i); }

TEST(StmtCache, MissThenHitReturnsTheSameStatement) {
  DbHandle db = open_memory();
  StmtCache cache(4);
  EXPECT_EQ(cache.find("SELECT 1"), nullptr);
  StmtHandle h = prepare(db.get(), "SELECT 1");
  sqlite3_stmt* raw = h.get();
  EXPECT_EQ(cache.insert("SELECT 1", std::move(h)), raw);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.find("SELECT 1"), raw);
  EXPECT_EQ(cache.find("SELECT 1"), raw);
  EXPECT_EQ(cache.size(), 1u);
  // The key is the exact text.
  EXPECT_EQ(cache.find("SELECT  1"), nullptr);
  EXPECT_EQ(cache.find("select 1"), nullptr);
  cache.clear();
}

TEST(StmtCache, KeyIsAnOwnedCopyOfTheSql) {
  DbHandle db = open_memory();
  StmtCache cache(2);
  sqlite3_stmt* raw = nullptr;
  {
    std::string sql = "SELECT 'a long enough string to live on the heap, not in SSO'";
    StmtHandle h = prepare(db.get(), sql);
    raw = cache.insert(sql, std::move(h));
    sql.assign(sql.size(), 'x');  // the caller's buffer changes and dies
  }
  EXPECT_EQ(cache.find("SELECT 'a long enough string to live on the heap, not in SSO'"), raw);
  cache.clear();
}

TEST(StmtCache, CapacityIsKeptAndLeastRecentlyUsedIsEvictedAndFinalized) {
  DbHandle db = open_memory();
  std::vector<sqlite3_stmt*> raw(5, nullptr);
  {
    StmtCache cache(3);
    for (int i = 0; i < 3; ++i) raw[static_cast<std::size_t>(i)] = cache.insert(sql_n(i), prepare(db.get(), sql_n(i)));
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_EQ(live_statements(db.get()), 3);

    // Touch 0: 1 becomes the least recently used.
    EXPECT_EQ(cache.find(sql_n(0)), raw[0]);
    raw[3] = cache.insert(sql_n(3), prepare(db.get(), sql_n(3)));
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_EQ(cache.find(sql_n(1)), nullptr);
    EXPECT_FALSE(is_live(db.get(), raw[1]));  // evicted => finalized
    EXPECT_EQ(live_statements(db.get()), 3);
    EXPECT_EQ(cache.find(sql_n(0)), raw[0]);
    EXPECT_EQ(cache.find(sql_n(2)), raw[2]);
    EXPECT_EQ(cache.find(sql_n(3)), raw[3]);

    // Order of use now: 3, 2, 0 (most recent first) => 0 goes next.
    EXPECT_EQ(cache.find(sql_n(3)), raw[3]);
    EXPECT_EQ(cache.find(sql_n(2)), raw[2]);
    raw[4] = cache.insert(sql_n(4), prepare(db.get(), sql_n(4)));
    EXPECT_EQ(cache.find(sql_n(0)), nullptr);
    EXPECT_FALSE(is_live(db.get(), raw[0]));
    EXPECT_TRUE(is_live(db.get(), raw[2]));
    EXPECT_TRUE(is_live(db.get(), raw[3]));
    EXPECT_TRUE(is_live(db.get(), raw[4]));
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_EQ(live_statements(db.get()), 3);
  }
  // The cache's destructor finalizes the rest, before the connection closes.
  EXPECT_EQ(live_statements(db.get()), 0);
}

TEST(StmtCache, InsertingCachedSqlReplacesTheEntryAndFinalizesTheOldStatement) {
  DbHandle db = open_memory();
  StmtCache cache(2);
  sqlite3_stmt* old_a = cache.insert(sql_n(0), prepare(db.get(), sql_n(0)));
  sqlite3_stmt* b = cache.insert(sql_n(1), prepare(db.get(), sql_n(1)));
  sqlite3_stmt* new_a = cache.insert(sql_n(0), prepare(db.get(), sql_n(0)));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(live_statements(db.get()), 2);  // the replaced statement is finalized, not leaked
  EXPECT_FALSE(is_live(db.get(), old_a));
  EXPECT_EQ(cache.find(sql_n(0)), new_a);
  // The replaced entry became the most recently used: 1 is evicted next, and the cache
  // still holds exactly as many statements as its index knows.
  EXPECT_EQ(cache.find(sql_n(0)), new_a);
  cache.insert(sql_n(2), prepare(db.get(), sql_n(2)));
  EXPECT_EQ(cache.find(sql_n(1)), nullptr);
  EXPECT_FALSE(is_live(db.get(), b));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(live_statements(db.get()), 2);
  cache.clear();
  EXPECT_EQ(live_statements(db.get()), 0);
}

TEST(StmtCache, ClearFinalizesEverything) {
  DbHandle db = open_memory();
  StmtCache cache(8);
  for (int i = 0; i < 5; ++i) cache.insert(sql_n(i), prepare(db.get(), sql_n(i)));
  EXPECT_EQ(live_statements(db.get()), 5);
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(live_statements(db.get()), 0);
  EXPECT_EQ(cache.find(sql_n(0)), nullptr);
  // Usable again after clear.
  sqlite3_stmt* raw = cache.insert(sql_n(9), prepare(db.get(), sql_n(9)));
  EXPECT_EQ(cache.find(sql_n(9)), raw);
  cache.clear();
}

TEST(StmtCache, CapacityOneKeepsOnlyTheLast) {
  DbHandle db = open_memory();
  StmtCache cache(1);
  sqlite3_stmt* a = cache.insert("SELECT 1", prepare(db.get(), "SELECT 1"));
  sqlite3_stmt* b = cache.insert("SELECT 2", prepare(db.get(), "SELECT 2"));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.find("SELECT 1"), nullptr);
  EXPECT_EQ(cache.find("SELECT 2"), b);
  EXPECT_FALSE(is_live(db.get(), a));
  EXPECT_EQ(live_statements(db.get()), 1);
  cache.clear();
}

TEST(StmtCache, CapacityZeroCachesNothingButKeepsTheStatementUntilTheNextInsert) {
  DbHandle db = open_memory();
  StmtCache cache(0);
  sqlite3_stmt* a = cache.insert("SELECT 1", prepare(db.get(), "SELECT 1"));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.find("SELECT 1"), nullptr);
  // Still usable by the caller.
  ASSERT_EQ(sqlite3_step(a), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(a, 0), 1);
  sqlite3_reset(a);
  EXPECT_TRUE(is_live(db.get(), a));
  sqlite3_stmt* b = cache.insert("SELECT 2", prepare(db.get(), "SELECT 2"));
  EXPECT_FALSE(is_live(db.get(), a));
  EXPECT_TRUE(is_live(db.get(), b));
  EXPECT_EQ(live_statements(db.get()), 1);
  cache.clear();
  EXPECT_EQ(live_statements(db.get()), 0);
}

TEST(StmtCache, StmtResetRewindsAndClearsBindingsForTheNextUser) {
  DbHandle db = open_memory();
  ASSERT_EQ(sqlite3_exec(db.get(), "CREATE TABLE t(x); INSERT INTO t VALUES (1),(2),(3);", nullptr, nullptr, nullptr),
            SQLITE_OK);
  StmtCache cache(4);
  const std::string sql = "SELECT x, ? FROM t ORDER BY x";
  sqlite3_stmt* s = cache.insert(sql, prepare(db.get(), sql));
  {
    StmtReset reset(s);
    ASSERT_EQ(sqlite3_bind_int64(s, 1, 99), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int64(s, 0), 1);
    EXPECT_EQ(sqlite3_column_int64(s, 1), 99);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);  // stopped mid-result (an error path, say)
  }
  ASSERT_EQ(cache.find(sql), s);
  EXPECT_EQ(sqlite3_stmt_busy(s), 0);
  {
    StmtReset reset(s);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int64(s, 0), 1);  // from the first row again
    EXPECT_EQ(sqlite3_column_type(s, 1), SQLITE_NULL);  // the old binding is gone
  }
  cache.clear();
}

TEST(StmtCache, ConnectionReusesCachedStatementsAndResetsThem) {
  libsql::Config config;
  config.statement_cache_size = 2;
  auto conn = libsql::detail::Connection::open(":memory:", libsql::detail::ConnectionRole::Memory, config);
  conn->exec("CREATE TABLE t(x); INSERT INTO t VALUES (1),(2),(3);");
  const int base = live_statements(conn->db());

  sqlite3_stmt* a = conn->prepare("SELECT x FROM t WHERE x >= ? ORDER BY x");
  EXPECT_EQ(conn->prepare("SELECT x FROM t WHERE x >= ? ORDER BY x"), a);
  EXPECT_EQ(live_statements(conn->db()), base + 1);

  for (int round = 0; round < 3; ++round) {
    auto rs = conn->execute(libsql::Statement("SELECT x FROM t WHERE x >= ? ORDER BY x", {libsql::Value(std::int64_t{2})}));
    ASSERT_EQ(rs.row_count(), 2u);
    EXPECT_EQ(std::get<std::int64_t>(rs.rows.at(0).at(0)), 2);
    EXPECT_EQ(std::get<std::int64_t>(rs.rows.at(1).at(0)), 3);
    EXPECT_EQ(sqlite3_stmt_busy(a), 0);
  }
  EXPECT_EQ(conn->prepare("SELECT x FROM t WHERE x >= ? ORDER BY x"), a);

  // Two more distinct statements with a capacity of 2 evict the first.
  (void)conn->execute(libsql::Statement("SELECT 1"));
  (void)conn->execute(libsql::Statement("SELECT 2"));
  EXPECT_FALSE(is_live(conn->db(), a));
  EXPECT_EQ(live_statements(conn->db()), base + 2);
}

}  // namespace
