// The adapter's decisions over a real local client (no Node): multi-statement queries,
// isolation levels, transactions, errors as MappedError, dispose.
#include "prisma/adapter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "support/temp_db.hpp"

namespace libsql::prisma {
namespace {

template <class T>
Result<T> wait(const std::function<void(Reply<T>)>& start) {
  auto p = std::make_shared<std::promise<Result<T>>>();
  auto f = p->get_future();
  start([p](Result<T> r) { p->set_value(std::move(r)); });
  return f.get();
}

Query q(std::string sql, std::vector<JsArg> args = {}, std::vector<ScalarType> types = {}) {
  return Query{std::move(sql), std::move(args), std::move(types)};
}

class AdapterTest : public testing::Test {
 protected:
  void SetUp() override {
    adapter_ = Adapter::open(Config{.url = tmp_.url()}, {});
    auto r = wait<Done>([&](Reply<Done> cb) {
      adapter_->execute_script(
          "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, big BIGINT);", cb);
    });
    ASSERT_TRUE(std::holds_alternative<Done>(r));
  }
  void TearDown() override { adapter_->dispose(); }
  /// The adapter keeps rows compact (Statement::compact): as Values here, for comparisons.
  static Result<PrismaResult> with_rows(Result<PrismaResult> r) {
    if (auto* pr = std::get_if<PrismaResult>(&r); pr && pr->compact) {
      pr->rows = libsql::to_rows(*pr->compact);
      pr->compact.reset();
    }
    return r;
  }
  Result<PrismaResult> query(Query query) {
    return with_rows(wait<PrismaResult>([&](Reply<PrismaResult> cb) { adapter_->query_raw(std::move(query), cb); }));
  }
  Result<std::int64_t> exec(Query query) {
    return wait<std::int64_t>([&](Reply<std::int64_t> cb) { adapter_->execute_raw(std::move(query), cb); });
  }
  libsql::test::TempDb tmp_;
  std::shared_ptr<Adapter> adapter_;
};

TEST_F(AdapterTest, ExecuteRawOfSeveralStatementsRunsAllAndSumsTheirCounts) {
  auto n = exec(q("INSERT INTO t (name) VALUES ('a'); INSERT INTO t (name) VALUES ('b'), ('c');"));
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(n));
  EXPECT_EQ(std::get<std::int64_t>(n), 3) << "the official adapter runs only the first statement";
  auto r = query(q("UPDATE t SET big = 1; SELECT name FROM t ORDER BY name"));
  ASSERT_TRUE(std::holds_alternative<PrismaResult>(r));
  EXPECT_EQ(std::get<PrismaResult>(r).rows.size(), 3u) << "queryRaw returns the last result";
}

TEST_F(AdapterTest, SeveralStatementsStopAtTheFirstErrorAndRefuseArguments) {
  auto n = exec(q("INSERT INTO t (name) VALUES ('x'); INSERT INTO t (name) VALUES ('x'); "
                  "INSERT INTO t (name) VALUES ('y')"));
  ASSERT_TRUE(std::holds_alternative<MappedError>(n));
  EXPECT_EQ(std::get<MappedError>(n).kind, "UniqueConstraintViolation");
  auto count = query(q("SELECT count(*) FROM t"));
  EXPECT_EQ(std::get<PrismaResult>(count).rows[0][0], Value(std::int64_t{1}));
  auto bad = exec(q("SELECT ?; SELECT 2", {JsArg(1.0)}, {ScalarType::Int}));
  ASSERT_TRUE(std::holds_alternative<MappedError>(bad));
  EXPECT_EQ(std::get<MappedError>(bad).kind, "InvalidInputValue");
}

TEST_F(AdapterTest, ArgumentsBindByArgTypeAndBigIntegersComeBackExact) {
  auto n = exec(q("INSERT INTO t (name, big) VALUES (?, ?)",
                  {JsArg(std::string("n")), JsArg(std::string("9223372036854775807"))},
                  {ScalarType::String, ScalarType::Bigint}));
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(n));
  auto r = query(q("SELECT big, typeof(big), ? AS i FROM t", {JsArg(5.0)}, {ScalarType::Int}));
  const auto& pr = std::get<PrismaResult>(r);
  EXPECT_EQ(pr.rows[0][0], Value(std::string("9223372036854775807")));
  EXPECT_EQ(pr.column_types[0], ColumnType::Int64);
  EXPECT_EQ(pr.rows[0][1], Value(std::string("integer")));
  EXPECT_EQ(pr.rows[0][2], Value(std::int64_t{5})) << "an int argument binds as INTEGER";
}

TEST_F(AdapterTest, OnlySerializableIsolationIsAccepted) {
  auto r = wait<std::shared_ptr<AdapterTransaction>>([&](auto cb) {
    adapter_->start_transaction(std::string("READ COMMITTED"), cb);
  });
  ASSERT_TRUE(std::holds_alternative<MappedError>(r));
  EXPECT_EQ(std::get<MappedError>(r).kind, "InvalidIsolationLevel");
  EXPECT_EQ(std::get<MappedError>(r).level, "READ COMMITTED");
  auto ok = wait<std::shared_ptr<AdapterTransaction>>([&](auto cb) {
    adapter_->start_transaction(std::string("SERIALIZABLE"), cb);
  });
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<AdapterTransaction>>(ok));
  auto tx = std::get<std::shared_ptr<AdapterTransaction>>(ok);
  wait<Done>([&](Reply<Done> cb) { tx->rollback(cb); });
}

TEST_F(AdapterTest, TransactionCommitsAndRollbackNeverFails) {
  auto tx = std::get<std::shared_ptr<AdapterTransaction>>(
      wait<std::shared_ptr<AdapterTransaction>>([&](auto cb) { adapter_->start_transaction({}, cb); }));
  auto n = wait<std::int64_t>([&](Reply<std::int64_t> cb) {
    tx->execute_raw(q("INSERT INTO t (name) VALUES ('tx'); INSERT INTO t (name) VALUES ('tx2')"), cb);
  });
  EXPECT_EQ(std::get<std::int64_t>(n), 2);
  auto outside = query(q("SELECT count(*) FROM t"));
  EXPECT_EQ(std::get<PrismaResult>(outside).rows[0][0], Value(std::int64_t{0})) << "uncommitted";
  EXPECT_TRUE(std::holds_alternative<Done>(wait<Done>([&](Reply<Done> cb) { tx->commit(cb); })));
  EXPECT_EQ(std::get<PrismaResult>(query(q("SELECT count(*) FROM t"))).rows[0][0], Value(std::int64_t{2}));
  auto again = wait<Done>([&](Reply<Done> cb) { tx->commit(cb); });
  ASSERT_TRUE(std::holds_alternative<MappedError>(again));
  EXPECT_EQ(std::get<MappedError>(again).kind, "TransactionAlreadyClosed");
  EXPECT_TRUE(std::holds_alternative<Done>(wait<Done>([&](Reply<Done> cb) { tx->rollback(cb); })))
      << "like the official adapter, rollback of a finished transaction is not an error";
}

// Locally a transaction begins IMMEDIATE: a transaction that reads and then writes waits for
// another connection's write lock (as another process's would be) at its start, within the busy
// timeout, then sees that writer's commit. Begun DEFERRED, it started at once, read the old
// snapshot, and its write failed with SQLITE_BUSY at once: SQLite calls no busy handler when a
// read transaction upgrades.
TEST_F(AdapterTest, ALocalTransactionTakesTheWriteLockAtBeginSoReadThenWriteWaitsForOtherWriters) {
  auto other = Client::open(Config{.url = tmp_.url()});
  auto holder = other.transaction(TransactionMode::Write);
  holder.execute("INSERT INTO t (name) VALUES ('other')");

  auto started = std::make_shared<std::promise<Result<std::shared_ptr<AdapterTransaction>>>>();
  auto begun = started->get_future();
  adapter_->start_transaction({}, [started](Result<std::shared_ptr<AdapterTransaction>> r) { started->set_value(std::move(r)); });
  // It cannot have begun while the other connection holds the write lock.
  EXPECT_EQ(begun.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  holder.commit();

  auto r = begun.get();
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<AdapterTransaction>>(r))
      << std::get<MappedError>(r).original_message.value_or("");
  auto tx = std::get<std::shared_ptr<AdapterTransaction>>(r);
  auto seen = with_rows(wait<PrismaResult>([&](Reply<PrismaResult> cb) { tx->query_raw(q("SELECT count(*) FROM t"), cb); }));
  ASSERT_TRUE(std::holds_alternative<PrismaResult>(seen));
  EXPECT_EQ(std::get<PrismaResult>(seen).rows[0][0], Value(std::int64_t{1})) << "the other writer's commit";
  auto n = wait<std::int64_t>([&](Reply<std::int64_t> cb) { tx->execute_raw(q("INSERT INTO t (name) VALUES ('mine')"), cb); });
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(n)) << std::get<MappedError>(n).original_message.value_or("");
  EXPECT_TRUE(std::holds_alternative<Done>(wait<Done>([&](Reply<Done> cb) { tx->commit(cb); })));
  EXPECT_EQ(std::get<PrismaResult>(query(q("SELECT count(*) FROM t"))).rows[0][0], Value(std::int64_t{2}));
  other.close();
}

TEST_F(AdapterTest, ErrorsArriveMapped) {
  auto r = query(q("SELECT * FROM missing"));
  ASSERT_TRUE(std::holds_alternative<MappedError>(r));
  EXPECT_EQ(std::get<MappedError>(r).kind, "TableDoesNotExist");
  EXPECT_EQ(std::get<MappedError>(r).table, "missing");
  auto empty = query(q("   "));
  ASSERT_TRUE(std::holds_alternative<MappedError>(empty));
  EXPECT_EQ(std::get<MappedError>(empty).kind, "InvalidInputValue");
}

TEST_F(AdapterTest, DisposedAdapterFailsWithConnectionClosed) {
  adapter_->dispose();
  EXPECT_TRUE(adapter_->disposed());
  auto r = query(q("SELECT 1"));
  ASSERT_TRUE(std::holds_alternative<MappedError>(r));
  EXPECT_EQ(std::get<MappedError>(r).kind, "ConnectionClosed");
}

// Config errors pass through unmapped (the binding makes them LibsqlErrors, which Prisma
// reports by code, as it does the official adapter's); failures to open are MappedErrors.
TEST(AdapterOpen, BadUrlsAreConfigErrorsAndOtherFailuresAreMapped) {
  for (const auto& [url, code] : std::vector<std::pair<std::string, std::string>>{
           {"nope://x", "URL_SCHEME_NOT_SUPPORTED"}, {"http://[::1", "URL_INVALID"}}) {
    SCOPED_TRACE("input: " + url);
    try {
      Adapter::open(Config{.url = url}, {});
      ADD_FAILURE() << "opened";
    } catch (const Error& e) {
      EXPECT_TRUE(is_config_error(e));
      EXPECT_EQ(e.code_name(), code);
    }
  }
  try {
    Adapter::open(Config{.url = "file:/nonexistent-dir-for-libsql-cpp/x.db"}, {});
    ADD_FAILURE() << "opened";
  } catch (const MappedError& e) {
    EXPECT_EQ(e.kind, "sqlite");
    EXPECT_EQ(e.extended_code, 14);
  }
}

TEST(AdapterOpen, JournalModeKeepLeavesARollbackJournalFileAsItIs) {
  for (const auto& [mode, expected] : std::vector<std::pair<JournalMode, std::string>>{
           {JournalMode::Wal, "wal"}, {JournalMode::Keep, "delete"}}) {
    libsql::test::TempDb tmp;
    auto adapter = Adapter::open(Config{.url = tmp.url(), .journal_mode = mode}, {});
    auto w = wait<std::int64_t>([&](Reply<std::int64_t> cb) { adapter->execute_raw(q("CREATE TABLE k (x)"), cb); });
    ASSERT_TRUE(std::holds_alternative<std::int64_t>(w));
    auto r = wait<PrismaResult>([&](Reply<PrismaResult> cb) { adapter->query_raw(q("PRAGMA journal_mode"), cb); });
    ASSERT_TRUE(std::holds_alternative<PrismaResult>(r));
    const auto& pr = std::get<PrismaResult>(r);
    const std::vector<Row> rows = pr.compact ? to_rows(*pr.compact) : pr.rows;
    ASSERT_EQ(rows.size(), 1U);
    EXPECT_EQ(rows[0][0], Value(expected));
    adapter->dispose();
  }
}

TEST(AdapterOpen, IntModeComesFromTheConfig) {
  libsql::test::TempDb tmp;
  for (const auto& [mode, expected] : std::vector<std::pair<IntMode, Value>>{
           {IntMode::Number, Value(std::int64_t{1})}, {IntMode::Bigint, Value(std::string("1"))},
           {IntMode::String, Value(std::string("1"))}}) {
    auto adapter = Adapter::open(Config{.url = tmp.url(), .int_mode = mode}, {});
    auto r = wait<PrismaResult>([&](Reply<PrismaResult> cb) { adapter->query_raw(q("SELECT 1"), cb); });
    ASSERT_TRUE(std::holds_alternative<PrismaResult>(r));
    const auto& pr = std::get<PrismaResult>(r);
    const std::vector<Row> rows = pr.compact ? to_rows(*pr.compact) : pr.rows;
    ASSERT_EQ(rows.size(), 1U);
    EXPECT_EQ(rows[0][0], expected);
    EXPECT_EQ(pr.column_types[0], mode == IntMode::Bigint   ? ColumnType::Int64
                                  : mode == IntMode::String ? ColumnType::Text
                                                            : ColumnType::UnknownNumber);
    adapter->dispose();
  }
}

}  // namespace
}  // namespace libsql::prisma

namespace libsql::prisma {
namespace {

TEST_F(AdapterTest, PrismasExclusiveLockingPragmaIsNotApplied) {
  for (const char* sql : {"PRAGMA main.locking_mode=EXCLUSIVE", "pragma locking_mode = exclusive;"}) {
    SCOPED_TRACE(sql);
    auto n = exec(q(sql));
    ASSERT_TRUE(std::holds_alternative<std::int64_t>(n));
    EXPECT_EQ(std::get<std::int64_t>(n), 0);
  }
  // The writer can still write while reader connections are open.
  auto w = exec(q("INSERT INTO t (name) VALUES ('after pragma')"));
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(w)) << std::get<MappedError>(w).message.value_or("");
  auto mode = query(q("PRAGMA locking_mode"));
  EXPECT_EQ(std::get<PrismaResult>(mode).rows.at(0).at(0), Value(std::string("normal")));
}

TEST_F(AdapterTest, AMissingMigrationHistoryTableReadsAsEmpty) {
  auto r = query(q("SELECT `id`, `checksum`, `finished_at`, `migration_name`, `logs`, `rolled_back_at`, "
                   "`started_at`, `applied_steps_count` FROM `_prisma_migrations` ORDER BY `started_at` ASC"));
  ASSERT_TRUE(std::holds_alternative<PrismaResult>(r));
  const auto& pr = std::get<PrismaResult>(r);
  EXPECT_TRUE(pr.rows.empty());
  EXPECT_EQ(pr.column_names.size(), 8u);
  // Any other missing table is still TableDoesNotExist.
  auto other = query(q("SELECT * FROM `_prisma_other`"));
  ASSERT_TRUE(std::holds_alternative<MappedError>(other));
  EXPECT_EQ(std::get<MappedError>(other).kind, "TableDoesNotExist");
}

}  // namespace
}  // namespace libsql::prisma
