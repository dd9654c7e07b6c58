// Hrana 3 over HTTP against the real server (sqld) and the others: the version asked once per
// client (sqld and the Python server: 3; tursodb: 2), cursors for reads inside transactions
// (same results as Hrana 2), get_autocommit, the is_autocommit guard, and sqld's own limits on
// interactive transactions (stream expiry, transaction timeout): a clear TRANSACTION_CLOSED,
// nothing half-applied, the client still usable. docs/hrana.md, "What our client speaks".
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "core/url.hpp"
#include "libsql/client.hpp"
#include "remote/hrana_http.hpp"
#include "remote/remote_engine.hpp"
#include "support/expect_error.hpp"
#include "support/hrana_server.hpp"
#include "support/sqld.hpp"

using libsql::Client;
using libsql::Config;
using libsql::Error;
using libsql::ErrorKind;
using libsql::Statement;
using libsql::TransactionMode;
using libsql::Value;
using libsql::test::expect_error;
using libsql::test::HranaServer;
using libsql::test::Sqld;
namespace detail = libsql::detail;

namespace {

std::shared_ptr<detail::RemoteEngine> engine_for(const std::string& url, int version = 0) {
  Config config;
  config.url = url;
  return detail::RemoteEngine::open(detail::parse_url(url), config, version);
}

/// Sends `requests` on `stream` and waits for the answer.
detail::StreamReply send(detail::HranaStream& stream, std::vector<detail::hrana::Request> requests) {
  std::promise<libsql::Outcome<detail::StreamReply>> p;
  stream.send(std::move(requests), [&p](libsql::Outcome<detail::StreamReply> o) { p.set_value(std::move(o)); });
  auto o = p.get_future().get();
  if (auto* e = std::get_if<Error>(&o)) throw *e;
  return std::get<detail::StreamReply>(std::move(o));
}

class SqldHrana3 : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Sqld::available()) << Sqld::binary();
    sqld_ = std::make_unique<Sqld>();
  }
  std::unique_ptr<Sqld> sqld_;
};

TEST_F(SqldHrana3, TheClientAsksOnceAndSpeaksHrana3ToSqld) {
  auto engine = engine_for(sqld_->url());
  Client db(engine);
  db.execute("CREATE TABLE t (a)");
  EXPECT_EQ(engine->hrana_version(), 3);
  auto forced = engine_for(sqld_->url(), 2);
  EXPECT_EQ(forced->hrana_version(), 2);
  forced->close();
}

TEST_F(SqldHrana3, GetAutocommitTellsWhetherTheStreamIsInATransaction) {
  auto engine = engine_for(sqld_->url(), 3);
  auto stream = engine->open_stream();
  std::vector<detail::hrana::Request> reqs;
  reqs.push_back(detail::hrana::get_autocommit());
  reqs.push_back(detail::hrana::execute(Statement("BEGIN"), false));
  reqs.push_back(detail::hrana::get_autocommit());
  auto reply = send(*stream, std::move(reqs));
  ASSERT_EQ(reply.results.size(), 3u);
  EXPECT_TRUE(reply.results[0].is_autocommit);
  EXPECT_FALSE(reply.results[2].is_autocommit);
  EXPECT_FALSE(reply.closed);
  std::vector<detail::hrana::Request> close;
  close.push_back(detail::hrana::close());
  EXPECT_TRUE(send(*stream, std::move(close)).closed);
  // Hrana 2 has no get_autocommit: refused before anything is sent.
  auto v2 = engine_for(sqld_->url(), 2);
  std::vector<detail::hrana::Request> one;
  one.push_back(detail::hrana::get_autocommit());
  Error e = expect_error([&] { send(*v2->open_stream(), std::move(one)); });
  EXPECT_EQ(e.code_name(), "HRANA_PROTO_ERROR");
}

TEST_F(SqldHrana3, ReplicationIndexIsKeptFromSqldResults) {
  auto engine = engine_for(sqld_->url(), 3);
  auto stream = engine->open_stream();
  std::vector<detail::hrana::Request> reqs;
  reqs.push_back(detail::hrana::execute(Statement("CREATE TABLE r (a)")));
  reqs.push_back(detail::hrana::execute(Statement("INSERT INTO r VALUES (1)")));
  reqs.push_back(detail::hrana::close());
  auto reply = send(*stream, std::move(reqs));
  ASSERT_TRUE(reply.results[0].replication_index.has_value());
  ASSERT_TRUE(reply.results[1].replication_index.has_value());
  EXPECT_GT(*reply.results[1].replication_index, *reply.results[0].replication_index);
}

/// A read transaction's reads go through cursors on Hrana 3: the same rows, types, columns and
/// counts as the Hrana 2 pipeline gives, for every value kind and a result of many chunks.
TEST_F(SqldHrana3, CursorReadsGiveTheSameResultsAsHrana2) {
  Client setup(engine_for(sqld_->url(), 2));
  setup.execute_script(
      "CREATE TABLE v (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB, n);"
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) "
      "INSERT INTO v (i, r, s, b, n) SELECT x * 9007199254740993, x / 7.0, 'row ' || x || ' \"q\" \\ é', "
      "randomblob(x % 40), NULL FROM c;");
  auto read = [&](int version) {
    auto engine = engine_for(sqld_->url(), version);
    Client db(engine);
    auto tx = db.transaction(TransactionMode::Read);
    auto all = tx.execute("SELECT * FROM v ORDER BY id");
    auto two = tx.execute_sequence({Statement("SELECT count(*) AS n FROM v"), Statement("SELECT s FROM v WHERE id = ?", {Value(7)})});
    tx.commit();
    EXPECT_EQ(engine->hrana_version(), version);
    return std::make_pair(std::move(all), std::move(two));
  };
  auto v2 = read(2);
  auto v3 = read(3);
  ASSERT_EQ(v3.first.rows.size(), 20000u);
  ASSERT_EQ(v2.first.columns.size(), v3.first.columns.size());
  for (std::size_t c = 0; c < v2.first.columns.size(); ++c) {
    EXPECT_EQ(v2.first.columns[c].name, v3.first.columns[c].name);
    EXPECT_EQ(v2.first.columns[c].decltype_, v3.first.columns[c].decltype_);
  }
  EXPECT_TRUE(v2.first.rows == v3.first.rows);
  ASSERT_EQ(v3.second.size(), 2u);
  EXPECT_EQ(v3.second[0].rows.at(0).at(0), Value(20000));
  EXPECT_TRUE(v2.second[1].rows == v3.second[1].rows);
  EXPECT_EQ(v2.first.rows_affected, v3.first.rows_affected);
  EXPECT_EQ(v2.first.last_insert_rowid, v3.first.last_insert_rowid);
}

TEST_F(SqldHrana3, AnErrorInACursorReadIsTheStatementsErrorAndASyntaxErrorEndsTheTransaction) {
  Client db(engine_for(sqld_->url(), 3));
  db.execute_script("CREATE TABLE t (a); INSERT INTO t VALUES (1);");
  auto tx = db.transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t VALUES (2)");
  // A run-time error in a read leaves the transaction open, as locally.
  Error missing = expect_error([&] { tx.execute("SELECT nope FROM t"); });
  EXPECT_EQ(missing.kind(), ErrorKind::Sqlite);
  EXPECT_NE(std::string(missing.what()).find("no such column: nope"), std::string::npos) << missing.what();
  EXPECT_TRUE(tx.active());
  // sqld refuses a cursor whose SQL does not parse with HTTP 500 and drops the stream: the
  // caller gets the syntax error, then TRANSACTION_CLOSED; the transaction was rolled back.
  Error syntax = expect_error([&] { tx.execute("SELECT * FRM t"); });
  EXPECT_EQ(syntax.kind(), ErrorKind::Sqlite);
  EXPECT_NE(std::string(syntax.what()).find("syntax error"), std::string::npos) << syntax.what();
  Error closed = expect_error([&] { tx.commit(); });
  EXPECT_EQ(closed.code_name(), "TRANSACTION_CLOSED");
  EXPECT_EQ(db.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(1));
}

/// A ROLLBACK inside the transaction ends it on the server: on Hrana 3 what follows is not run
/// in autocommit (the is_autocommit guard) but refused with TRANSACTION_CLOSED.
TEST_F(SqldHrana3, AfterTheServerEndsTheTransactionNothingRunsInAutocommit) {
  Client db(engine_for(sqld_->url(), 3));
  db.execute("CREATE TABLE t (a)");
  auto tx = db.transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t VALUES (1)");
  tx.execute("ROLLBACK");
  Error e = expect_error([&] { tx.execute("INSERT INTO t VALUES (2)"); });
  EXPECT_EQ(e.code_name(), "TRANSACTION_CLOSED");
  EXPECT_FALSE(tx.active());
  EXPECT_EQ(db.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(0));
  // The client goes on: the next transaction takes the lane.
  auto next = db.transaction(TransactionMode::Write);
  next.execute("INSERT INTO t VALUES (3)");
  next.commit();
  EXPECT_EQ(db.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(1));
}

/// sqld rolls back a transaction that holds the write lock past its transaction timeout (5 s)
/// while another connection waits for it, and would run that stream's next statements in
/// autocommit: the transaction ends with TRANSACTION_CLOSED, nothing of it is applied.
class SqldTransactionTimeout : public SqldHrana3, public testing::WithParamInterface<int> {};

TEST_P(SqldTransactionTimeout, HoldingTheWriteLockPastTheServersTimeoutEndsTheTransaction) {
  Client db(engine_for(sqld_->url(), GetParam()));
  Client other(engine_for(sqld_->url(), GetParam()));
  db.execute("CREATE TABLE t (a)");
  auto tx = db.transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t VALUES ('tx 1')");
  // Another client's write waits for the lock; sqld steals it from the transaction after 5 s.
  auto waiting = std::async(std::launch::async, [&] { other.execute("INSERT INTO t VALUES ('other')"); });
  waiting.get();  // returns once sqld timed the transaction out
  Error e = expect_error([&] { tx.execute("INSERT INTO t VALUES ('tx 2')"); });
  EXPECT_EQ(e.code_name(), "TRANSACTION_CLOSED");
  EXPECT_NE(std::string(e.what()).find("transaction timeout"), std::string::npos) << e.what();
  EXPECT_FALSE(tx.active());
  Error commit = expect_error([&] { tx.commit(); });
  EXPECT_EQ(commit.code_name(), "TRANSACTION_CLOSED");
  auto rs = db.execute("SELECT a FROM t ORDER BY a");
  ASSERT_EQ(rs.rows.size(), 1u);
  EXPECT_EQ(rs.rows[0][0], Value("other"));
  auto next = db.transaction(TransactionMode::Write);
  next.execute("INSERT INTO t VALUES ('next')");
  next.commit();
  EXPECT_EQ(db.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(2));
}

INSTANTIATE_TEST_SUITE_P(Hrana, SqldTransactionTimeout, testing::Values(2, 3),
                         [](const testing::TestParamInfo<int>& p) { return "V" + std::to_string(p.param); });

/// sqld drops a stream after 10 s without a request: the transaction's next call is
/// TRANSACTION_CLOSED (the server rolled it back), and the client goes on.
TEST_F(SqldHrana3, ATransactionIdleLongerThanTheStreamExpiryEndsWithTransactionClosed) {
  Client db(engine_for(sqld_->url()));
  db.execute("CREATE TABLE t (a)");
  auto tx = db.transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t VALUES (1)");
  std::this_thread::sleep_for(std::chrono::milliseconds(11500));  // the server's expiry: 10 s
  Error e = expect_error([&] { tx.execute("INSERT INTO t VALUES (2)"); });
  EXPECT_EQ(e.code_name(), "TRANSACTION_CLOSED");
  EXPECT_NE(std::string(e.what()).find("expired"), std::string::npos) << e.what();
  EXPECT_FALSE(tx.active());
  EXPECT_EQ(expect_error([&] { tx.commit(); }).code_name(), "TRANSACTION_CLOSED");
  EXPECT_EQ(db.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(0));
  auto next = db.transaction(TransactionMode::Write);
  next.execute("INSERT INTO t VALUES (3)");
  next.commit();
  EXPECT_EQ(db.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(1));
}

TEST(Hrana3Negotiation, AServerWithoutCursorsIsAskedOnceAndItsBatchesGoAsPipelines) {
  HranaServer server;
  auto engine = engine_for(server.url());
  Client db(engine);
  db.execute_script("CREATE TABLE t (a); INSERT INTO t VALUES (1), (2);");
  EXPECT_EQ(engine->hrana_version(), 3);  // it answers GET v3 and v3/pipeline...
  for (int round = 0; round < 2; ++round) {  // ...but not v3/cursor (404): batches go as pipelines
    auto tx = db.transaction(TransactionMode::Read);
    EXPECT_EQ(tx.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(2));
    tx.commit();
  }
  auto stats = server.stats();
  // One probe, one cursor refused (404), then every request a v3 pipeline.
  EXPECT_NE(stats.find("\"GET /v3\":1"), std::string::npos) << stats;
  EXPECT_NE(stats.find("\"POST /v3/cursor\":1"), std::string::npos) << stats;
  EXPECT_EQ(stats.find("v2"), std::string::npos) << stats;
}

}  // namespace
