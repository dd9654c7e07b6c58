// Hrana 3 over HTTP against the real server (sqld) and the others: the version asked once per
// client (sqld and the Python server: 3; tursodb: 2), cursors for reads over sqld's response
// limit (same results as Hrana 2), get_autocommit, the is_autocommit guard, and sqld's own limits on
// interactive transactions (stream expiry, transaction timeout): a clear TRANSACTION_CLOSED,
// nothing half-applied, the client still usable. docs/hrana.md, "What our client speaks".
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "core/fast_path.hpp"
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
  Client db = libsql::detail::FastPath::client(engine);
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

/// sqld refuses an answer over its response limit (10 MB by default; 1 MB here) with
/// RESPONSE_TOO_LARGE. On Hrana 3 such a read runs again through a cursor, in or out of a
/// transaction, and gives exactly what Hrana 2 gives under a limit large enough for it.
TEST(SqldCursor, AReadOverTheResponseLimitRunsAgainThroughACursorWithTheSameResults) {
  ASSERT_TRUE(Sqld::available()) << Sqld::binary();
  Sqld small({"--max-response-size", "1MB"});
  Sqld large({"--max-response-size", "1GB", "--max-total-response-size", "1GB"});
  const char* seed =
      "CREATE TABLE v (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB, n);"
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) "
      "INSERT INTO v (i, r, s, b, n) SELECT x * 9007199254740993, x / 7.0, 'row ' || x || ' \"q\" \\ é', "
      "zeroblob(x % 40), NULL FROM c;";
  for (Sqld* server : {&small, &large}) libsql::detail::FastPath::client(engine_for(server->url(), 2)).execute_script(seed);
  Client expected_db = libsql::detail::FastPath::client(engine_for(large.url(), 2));
  const auto expected = expected_db.execute("SELECT * FROM v ORDER BY id");
  ASSERT_EQ(expected.rows.size(), 20000u);
  auto same = [&](const libsql::ResultSet& rs) {
    ASSERT_EQ(rs.rows.size(), expected.rows.size());
    ASSERT_EQ(rs.columns.size(), expected.columns.size());
    for (std::size_t c = 0; c < rs.columns.size(); ++c) {
      EXPECT_EQ(rs.columns[c].name, expected.columns[c].name);
      EXPECT_EQ(rs.columns[c].decltype_, expected.columns[c].decltype_);
    }
    EXPECT_TRUE(rs.rows == expected.rows);
  };
  // Hrana 2 has no cursor: the limit is the answer.
  Client v2 = libsql::detail::FastPath::client(engine_for(small.url(), 2));
  EXPECT_NE(std::string(expect_error([&] { v2.execute("SELECT * FROM v ORDER BY id"); }).what()).find("RESPONSE_TOO_LARGE"),
            std::string::npos);
  Client v3 = libsql::detail::FastPath::client(engine_for(small.url(), 3));
  same(v3.execute("SELECT * FROM v ORDER BY id"));
  {
    auto tx = v3.transaction(TransactionMode::Read);  // the first call carries BEGIN
    same(tx.execute("SELECT * FROM v ORDER BY id"));
    EXPECT_EQ(tx.execute("SELECT count(*) FROM v").rows.at(0).at(0), Value(20000));
    tx.commit();
  }
  {
    auto tx = v3.transaction(TransactionMode::Write);  // a later call, and writes beside
    tx.execute("INSERT INTO v (s) VALUES ('in tx')");
    auto rs = tx.execute("SELECT * FROM v WHERE id <= 20000 ORDER BY id");
    same(rs);
    EXPECT_EQ(tx.execute("SELECT count(*) FROM v").rows.at(0).at(0), Value(20001));
    tx.rollback();
  }
  EXPECT_EQ(v3.execute("SELECT count(*) FROM v").rows.at(0).at(0), Value(20000));
}

TEST_F(SqldHrana3, AnErrorInAReadLeavesTheTransactionOpen) {
  Client db = libsql::detail::FastPath::client(engine_for(sqld_->url(), 3));
  db.execute_script("CREATE TABLE t (a); INSERT INTO t VALUES (1);");
  auto tx = db.transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t VALUES (2)");
  Error missing = expect_error([&] { tx.execute("SELECT nope FROM t"); });
  EXPECT_EQ(missing.kind(), ErrorKind::Sqlite);
  EXPECT_NE(std::string(missing.what()).find("no such column: nope"), std::string::npos) << missing.what();
  Error syntax = expect_error([&] { tx.execute("SELECT * FRM t"); });
  EXPECT_EQ(syntax.kind(), ErrorKind::Sqlite);
  EXPECT_TRUE(tx.active());
  tx.commit();
  EXPECT_EQ(db.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(2));
}

/// A ROLLBACK inside the transaction ends it on the server: on Hrana 3 what follows is not run
/// in autocommit (the is_autocommit guard) but refused with TRANSACTION_CLOSED.
TEST_F(SqldHrana3, AfterTheServerEndsTheTransactionNothingRunsInAutocommit) {
  Client db = libsql::detail::FastPath::client(engine_for(sqld_->url(), 3));
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
  Client db = libsql::detail::FastPath::client(engine_for(sqld_->url(), GetParam()));
  Client other = libsql::detail::FastPath::client(engine_for(sqld_->url(), GetParam()));
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
  Client db = libsql::detail::FastPath::client(engine_for(sqld_->url()));
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

TEST(Hrana3Negotiation, TheServerIsAskedOnceAndEveryRequestFollowsItsAnswer) {
  HranaServer server;
  auto engine = engine_for(server.url());
  Client db = libsql::detail::FastPath::client(engine);
  db.execute_script("CREATE TABLE t (a); INSERT INTO t VALUES (1), (2);");
  EXPECT_EQ(engine->hrana_version(), 3);  // it answers GET v3 and v3/pipeline
  for (int round = 0; round < 2; ++round) {
    auto tx = db.transaction(TransactionMode::Read);
    EXPECT_EQ(tx.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(2));
    tx.commit();
  }
  auto stats = server.stats();
  // One probe, then every request a v3 pipeline.
  EXPECT_NE(stats.find("\"GET /v3\":1"), std::string::npos) << stats;
  // (Not a bare "v2": the server's temporary db_path is random and may contain it.)
  EXPECT_EQ(stats.find("/v2"), std::string::npos) << stats;
  EXPECT_EQ(stats.find("\"v2\""), std::string::npos) << stats;
}

}  // namespace
