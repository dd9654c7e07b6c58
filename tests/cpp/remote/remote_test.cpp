// Remote engine against the Hrana test server: round trips, parallelism, keep-alive, auth,
// and faults (each gives the right error kind within the timeout, and the client keeps working).
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "libsql/client.hpp"
#include "remote/hrana_json.hpp"
#include "support/hrana_server.hpp"
#include "support/expect_error.hpp"
#include "support/temp_db.hpp"

using libsql::Client;
using libsql::Error;
using libsql::test::expect_error;
using libsql::ErrorKind;
using libsql::TransactionMode;
using libsql::Value;
using libsql::test::HranaServer;

namespace {

long stat(const HranaServer& s, const std::string& key) {
  std::smatch m;
  std::string body = s.stats();
  if (!std::regex_search(body, m, std::regex("\"" + key + "\":(\\d+)"))) return -1;
  return std::stol(m[1]);
}

class Remote : public testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<Client>(Client::open({.url = server_.url(), .timeout = std::chrono::milliseconds(3000)}));
    db_->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
  }
  void TearDown() override { db_->close(); }
  Client& db() { return *db_; }
  void still_works() {
    server_.control(R"({"reset": true})");
    auto rs = db().execute({"SELECT ?", {Value("alive")}});
    EXPECT_EQ(rs.rows.at(0).at(0), Value("alive")) << "the client keeps working after the fault";
  }
  void fault(const std::string& name) {  // NOLINT(readability-make-member-function-const)
    ASSERT_EQ(server_.control(R"({"fault": ")" + name + R"(", "count": 1})"), 200);
  }

  libsql::test::TempDb tmp_;
  HranaServer server_{tmp_.path()};
  std::unique_ptr<Client> db_;
};

// --- round trips (what the closing note of the remote issue reports) ---

TEST_F(Remote, ExecuteBatchAndTransactionTakeOneRoundTripEachPlusCommit) {
  server_.control(R"({"reset_stats": true})");
  db().execute("INSERT INTO t (v) VALUES ('a')");
  EXPECT_EQ(stat(server_, "pipeline_requests"), 1);
  db().batch({"INSERT INTO t (v) VALUES ('b')", "INSERT INTO t (v) VALUES ('c')", "SELECT count(*) FROM t"},
             TransactionMode::Write);
  EXPECT_EQ(stat(server_, "pipeline_requests"), 2) << "a batch is one request";
  {
    auto tx = db().transaction(TransactionMode::Write);
    EXPECT_EQ(stat(server_, "pipeline_requests"), 2) << "starting a transaction sends nothing";
    tx.execute("INSERT INTO t (v) VALUES ('d')");
    tx.execute("UPDATE t SET v = 'e' WHERE v = 'd'");
    tx.execute("SELECT count(*) FROM t");
    tx.commit();
  }
  EXPECT_EQ(stat(server_, "pipeline_requests"), 6) << "3 statements + commit = 4 round trips (N+1)";
  EXPECT_EQ(std::get<std::int64_t>(db().execute("SELECT count(*) FROM t").rows[0][0]), 4);
}

TEST_F(Remote, ConnectionsAreKeptAlive) {
  server_.control(R"({"reset_stats": true})");
  const long before = stat(server_, "connections");
  for (int i = 0; i < 20; ++i) db().execute("SELECT 1");
  EXPECT_LE(stat(server_, "connections") - before, 1) << "20 sequential requests reuse one connection";
}

TEST_F(Remote, IndependentQueriesRunInParallel) {
  // With a delay per request, 16 queries issued at once finish together only if they were
  // sent in parallel: the last answer arrives while the first ones are still delayed.
  server_.control(R"({"delay_ms": 300})");
  std::vector<std::promise<libsql::Outcome<libsql::ResultSet>>> done(16);
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
  for (int i = 0; i < 16; ++i) {
    ++in_flight;
    db().execute_async({"SELECT ?", {Value(std::int64_t{i})}}, [&, i](libsql::Outcome<libsql::ResultSet> o) {
      int now = in_flight.load();
      int prev = max_in_flight.load();
      while (now > prev && !max_in_flight.compare_exchange_weak(prev, now)) {
      }
      --in_flight;
      done[static_cast<std::size_t>(i)].set_value(std::move(o));
    });
  }
  for (int i = 0; i < 16; ++i) {
    auto o = done[static_cast<std::size_t>(i)].get_future().get();
    ASSERT_TRUE(std::holds_alternative<libsql::ResultSet>(o));
    EXPECT_EQ(std::get<libsql::ResultSet>(o).rows[0][0], Value(std::int64_t{i}));
  }
  EXPECT_EQ(max_in_flight.load(), 16) << "the first answer came after all 16 were sent";
  EXPECT_GE(stat(server_, "streams_opened"), 16);
}

// --- faults ---

TEST_F(Remote, Http500IsAServerErrorAndTheClientRecovers) {
  fault("http_500");
  auto e = expect_error([&] { db().execute("SELECT 1"); });
  EXPECT_EQ(e.kind(), ErrorKind::Protocol);
  EXPECT_EQ(e.code_name(), "SERVER_ERROR");
  EXPECT_NE(std::string(e.what()).find("HTTP status 500"), std::string::npos) << e.what();
  still_works();
}

TEST_F(Remote, TruncatedAndGarbageBodiesAreProtocolErrors) {
  for (const char* f : {"truncated_json", "garbage_body"}) {
    SCOPED_TRACE(f);
    fault(f);
    auto e = expect_error([&] { db().execute("SELECT 1"); });
    EXPECT_EQ(e.kind(), ErrorKind::Protocol);
    EXPECT_EQ(e.code_name(), "HRANA_PROTO_ERROR") << e.what();
    still_works();
  }
}

TEST_F(Remote, DroppedOrResetConnectionsAreNetworkErrors) {
  for (const char* f : {"drop_connection", "reset", "truncated_body"}) {
    SCOPED_TRACE(f);
    // Twice: libcurl resends a request once when a reused keep-alive connection dies before
    // any byte of the answer (the usual stale-connection case), so one fault alone is healed.
    ASSERT_EQ(server_.control(R"({"fault": ")" + std::string(f) + R"(", "count": 2})"), 200);
    auto e = expect_error([&] { db().execute("SELECT 1"); });
    EXPECT_EQ(e.kind(), ErrorKind::Network) << e.what();
    still_works();
  }
}

TEST_F(Remote, AWriteWhoseAnswerIsLostIsNeverSentTwice) {
  db().execute("SELECT 1");  // a keep-alive connection to reuse
  // The server runs the INSERT, then drops the connection without answering.
  ASSERT_EQ(server_.control(R"({"fault": "drop_connection", "when": "after", "count": 1})"), 200);
  auto e = expect_error([&] { db().execute("INSERT INTO t (v) VALUES ('once')"); });
  EXPECT_EQ(e.kind(), ErrorKind::Network);
  EXPECT_EQ(e.code_name(), "CONNECTION_CLOSED") << e.what();
  EXPECT_EQ(std::get<std::int64_t>(db().execute("SELECT count(*) FROM t").rows[0][0]), 1)
      << "applied once, not resent";
  // A read in the same situation is simply resent on a fresh connection.
  ASSERT_EQ(server_.control(R"({"fault": "drop_connection", "when": "after", "count": 1})"), 200);
  EXPECT_EQ(db().execute("SELECT v FROM t").rows.at(0).at(0), Value("once"));
}

TEST_F(Remote, AServerSlowerThanTheTimeoutIsATimeout) {
  auto quick = Client::open({.url = server_.url(), .timeout = std::chrono::milliseconds(300)});
  // The server answers after 60 s (or never): an error long before that came from our timeout.
  for (const char* control : {R"({"delay_ms": 60000})", R"({"fault": "hang", "count": 1})"}) {
    SCOPED_TRACE(control);
    server_.control(control);
    auto start = std::chrono::steady_clock::now();
    auto e = expect_error([&] { quick.execute("SELECT 1"); });
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(e.kind(), ErrorKind::Timeout) << e.what();
    EXPECT_LT(took, std::chrono::seconds(30)) << "the error comes from the timeout, not after the server";
    server_.control(R"({"reset": true})");
    EXPECT_EQ(quick.execute("SELECT 2").rows[0][0], Value(std::int64_t{2}));
  }
  quick.close();
}

TEST_F(Remote, ATimedOutWriteIsAppliedAtMostOnceAndNeverResent) {
  // The server runs the INSERT and then never answers ("after"), or never runs it ("before"):
  // either way the caller gets a Timeout, the request reached the server once, and the row is
  // there exactly as often as the server ran it.
  auto quick = Client::open({.url = server_.url(), .timeout = std::chrono::milliseconds(500)});
  int expected_rows = 0;
  for (const char* when : {"after", "before"}) {
    SCOPED_TRACE(when);
    server_.control(R"({"reset_stats": true})");
    ASSERT_EQ(server_.control(std::string(R"({"fault": "hang", "count": 1, "when": ")") + when + R"("})"), 200);
    auto e = expect_error([&] { quick.execute({"INSERT INTO t (v) VALUES (?)", {Value(when)}}); });
    EXPECT_EQ(e.kind(), ErrorKind::Timeout) << e.what();
    EXPECT_EQ(e.code_name(), "CURLE_OPERATION_TIMEDOUT") << e.what();
    EXPECT_EQ(stat(server_, "pipeline_requests"), 1) << "sent once, not again";
    server_.control(R"({"reset": true})");
    if (std::string(when) == "after") ++expected_rows;
    EXPECT_EQ(std::get<std::int64_t>(quick.execute("SELECT count(*) FROM t").rows[0][0]), expected_rows);
  }
  quick.close();
}

TEST_F(Remote, AStatementTimedOutInATransactionEndsItAndTheNextOneWorks) {
  auto quick = Client::open({.url = server_.url(), .timeout = std::chrono::milliseconds(500)});
  {
    auto tx = quick.transaction(TransactionMode::Write);
    tx.execute("INSERT INTO t (v) VALUES ('in tx')");
    fault("hang");
    auto e = expect_error([&] { tx.execute("INSERT INTO t (v) VALUES ('stalled')"); });
    EXPECT_EQ(e.kind(), ErrorKind::Timeout) << e.what();
    EXPECT_FALSE(tx.active());
    server_.control(R"({"reset": true})");
  }
  // The server rolls the abandoned stream back when it expires; meanwhile it holds the write
  // lock, so the next write transaction waits for it (bounded by the server's busy timeout).
  server_.control(R"({"expire_streams": true})");
  auto tx = quick.transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t (v) VALUES ('next')");
  tx.commit();
  auto rows = quick.execute("SELECT v FROM t ORDER BY id").rows;
  ASSERT_EQ(rows.size(), 1u) << "only the next transaction's row";
  EXPECT_EQ(rows[0][0], Value("next"));
  quick.close();
}

TEST(RemoteConfig, TheRequestTimeoutHasAGenerousDefaultAndAUrlOverride) {
  EXPECT_EQ(libsql::Config{}.timeout, std::chrono::milliseconds(300000));
  libsql::test::TempDb tmp;
  HranaServer server(tmp.path());
  // The URL's requestTimeout wins over the config's (default) timeout.
  auto db = Client::open({.url = server.url() + "?requestTimeout=300"});
  db.execute("SELECT 1");
  ASSERT_EQ(server.control(R"({"fault": "hang", "count": 1})"), 200);
  auto e = expect_error([&] { db.execute("SELECT 1"); });
  EXPECT_EQ(e.kind(), ErrorKind::Timeout) << e.what();
  EXPECT_NE(std::string(e.what()).find("300 ms"), std::string::npos) << e.what();
  server.control(R"({"reset": true})");
  EXPECT_EQ(db.execute("SELECT 2").rows[0][0], Value(std::int64_t{2}));
  db.close();
}

TEST_F(Remote, Http401IsAnAuthError) {
  fault("http_401");
  auto e = expect_error([&] { db().execute("SELECT 1"); });
  EXPECT_EQ(e.kind(), ErrorKind::Auth);
  still_works();
}

TEST_F(Remote, AnExpiredBatonEndsTheTransactionWithAClearError) {
  auto tx = db().transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t (v) VALUES ('in tx')");
  fault("expire_baton");
  auto e = expect_error([&] { tx.execute("SELECT 1"); });
  EXPECT_EQ(e.code_name(), "TRANSACTION_CLOSED");
  EXPECT_NE(std::string(e.what()).find("server ended the transaction"), std::string::npos) << e.what();
  EXPECT_FALSE(tx.active());
  EXPECT_EQ(expect_error([&] { tx.commit(); }).code_name(), "TRANSACTION_CLOSED");
  EXPECT_EQ(std::get<std::int64_t>(db().execute("SELECT count(*) FROM t").rows[0][0]), 0)
      << "the server rolled the transaction back";
  still_works();
}

TEST_F(Remote, ServerKilledMidTransaction) {
  auto tx = db().transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t (v) VALUES ('lost')");
  const int port = server_.port();
  server_.stop();
  auto e = expect_error([&] { tx.execute("SELECT 1"); });
  EXPECT_EQ(e.kind(), ErrorKind::Network) << e.what();
  EXPECT_FALSE(tx.active());
  // The server comes back on the same port: the client works again, nothing was committed.
  HranaServer again(tmp_.path(), {"--port", std::to_string(port)});
  ASSERT_EQ(again.port(), port);
  EXPECT_EQ(std::get<std::int64_t>(db().execute("SELECT count(*) FROM t").rows[0][0]), 0);
}

TEST(RemoteConnect, RefusedConnectionIsNetworkAndTlsIsVerified) {
  // A port nobody listens on.
  auto db = Client::open({.url = "http://127.0.0.1:9", .timeout = std::chrono::milliseconds(2000)});
  auto e = expect_error([&] { db.execute("SELECT 1"); });
  EXPECT_EQ(e.kind(), ErrorKind::Network);
  EXPECT_EQ(e.code_name(), "CURLE_COULDNT_CONNECT") << e.what();
  db.close();
  // https:// to a plain-HTTP server: the TLS handshake fails; never downgraded.
  HranaServer server;
  auto tls = Client::open({.url = "https://127.0.0.1:" + std::to_string(server.port()),
                           .timeout = std::chrono::milliseconds(2000)});
  e = expect_error([&] { tls.execute("SELECT 1"); });
  EXPECT_EQ(e.kind(), ErrorKind::Network);
  EXPECT_NE(e.code_name().find("SSL"), std::string::npos) << e.code_name() << ": " << e.what();
  tls.close();
}

TEST(RemoteAuth, TokenTravelsAsBearerAndNeverAppearsInErrors) {
  const std::string token = "s3cr3t-t0ken-value";
  HranaServer server(":memory:", {"--auth-token", token});
  auto anonymous = Client::open({.url = server.url()});
  auto e = expect_error([&] { anonymous.execute("SELECT 1"); });
  EXPECT_EQ(e.kind(), ErrorKind::Auth);
  auto wrong = Client::open({.url = server.url(), .auth_token = "wrong-" + token});
  e = expect_error([&] { wrong.execute("SELECT 1"); });
  EXPECT_EQ(e.kind(), ErrorKind::Auth);
  EXPECT_EQ(std::string(e.what()).find(token), std::string::npos) << e.what();
  auto ok = Client::open({.url = server.url(), .auth_token = token});
  EXPECT_EQ(ok.execute("SELECT 1").rows[0][0], Value(std::int64_t{1}));
  EXPECT_NE(server.stats().find("\"authorization\":\"Bearer " + token + "\""), std::string::npos)
      << server.stats();
  // The token in the URL (?authToken=) overrides the config, as in @libsql/client.
  auto via_url = Client::open({.url = server.url() + "?authToken=" + token, .auth_token = "ignored"});
  EXPECT_EQ(via_url.execute("SELECT 2").rows[0][0], Value(std::int64_t{2}));
  for (auto* c : {&anonymous, &wrong, &ok, &via_url}) c->close();
}

TEST(RemoteUrl, PipelineUrlIsResolvedRelativeToTheBase) {
  HranaServer server;
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  // `http://h/db` resolves v2/pipeline against `/` (last segment replaced): it works.
  auto db = Client::open({.url = base + "/db"});
  EXPECT_EQ(db.execute("SELECT 1").rows[0][0], Value(std::int64_t{1}));
  db.close();
  // `libsql://` + tls=0 is plain HTTP.
  auto plain = Client::open({.url = "libsql://127.0.0.1:" + std::to_string(server.port()) + "?tls=0"});
  EXPECT_EQ(plain.execute("SELECT 3").rows[0][0], Value(std::int64_t{3}));
  plain.close();
}

// --- the decoder on its own ---

TEST(HranaDecode, RejectsMismatchedOrMalformedResponses) {
  using namespace libsql::detail::hrana;
  std::vector<Request> reqs{execute(libsql::Statement("SELECT 1")), close()};
  const char* bad[] = {
      "", "{", "[]", R"({"baton":null})", R"({"baton":null,"results":[]})",
      R"({"baton":null,"results":[{"type":"ok","response":{"type":"batch","result":{}}},{"type":"ok","response":{"type":"close"}}]})",
      R"({"baton":null,"results":[{"type":"ok","response":{"type":"execute","result":{"cols":[],"rows":[[{"type":"integer","value":"12x"}]]}}},{"type":"ok","response":{"type":"close"}}]})",
      R"({"baton":null,"results":[{"type":"ok","response":{"type":"execute","result":{"cols":[{"name":"a"}],"rows":[[{"type":"blob","base64":"!!"}]]}}},{"type":"ok","response":{"type":"close"}}]})",
  };
  for (const char* body : bad) {
    SCOPED_TRACE(body);
    try {
      decode_pipeline(body, reqs);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code_name(), "HRANA_PROTO_ERROR");
    }
  }
  auto ok = decode_pipeline(
      R"({"baton":"b1","base_url":null,"extra":1,"results":[{"type":"ok","response":{"type":"execute","result":{"cols":[{"name":"a","decltype":null}],"rows":[[{"type":"integer","value":"-9223372036854775808"}]],"affected_row_count":0,"last_insert_rowid":null,"rows_read":1}}},{"type":"ok","response":{"type":"close"}}]})",
      reqs);
  EXPECT_EQ(ok.baton, "b1");
  EXPECT_EQ(ok.results[0].execute.rows[0][0], Value(std::numeric_limits<std::int64_t>::min()));
}

TEST(HranaErrors, ServerCodesMapToTheLocalKindsAndExtendedCodes) {
  using libsql::detail::hrana::HranaError;
  using libsql::detail::hrana::to_error;
  struct Row {
    HranaError in;
    int code;
    std::string what;
  };
  const Row rows[] = {
      {{"SQLite error: UNIQUE constraint failed: t.a", "SQLITE_CONSTRAINT"}, 2067, "SQLITE_CONSTRAINT: UNIQUE constraint failed: t.a"},
      {{"SQLite error: NOT NULL constraint failed: t.b", "SQLITE_CONSTRAINT"}, 1299, "SQLITE_CONSTRAINT: NOT NULL constraint failed: t.b"},
      {{"SQLite error: FOREIGN KEY constraint failed", "SQLITE_CONSTRAINT"}, 787, "SQLITE_CONSTRAINT: FOREIGN KEY constraint failed"},
      {{"SQLite error: no such table: x", "SQLITE_UNKNOWN"}, 1, "SQLITE_ERROR: no such table: x"},
      {{"SQL input error: no such column: y (at offset 7)", "SQL_INPUT_ERROR"}, 1, "SQLITE_ERROR: no such column: y"},
      {{"UNIQUE constraint failed: t.a", "SQLITE_CONSTRAINT_UNIQUE"}, 2067, "SQLITE_CONSTRAINT: UNIQUE constraint failed: t.a"},
      {{"database is locked", "SQLITE_BUSY"}, 5, "SQLITE_BUSY: database is locked"},
      {{"Transaction timed out", "TRANSACTION_TIMEOUT"}, 5, "SQLITE_BUSY: Transaction timed out"},
      {{"UNIQUE constraint failed: t.a", "EXECUTE_ERROR"}, 2067, "SQLITE_CONSTRAINT: UNIQUE constraint failed: t.a"},
      // sqld's base code plus a message that is none of SQLite's constraint texts: a trigger's RAISE.
      {{"SQLite error: refused by trigger", "SQLITE_CONSTRAINT"}, 1811, "SQLITE_CONSTRAINT: refused by trigger"},
      {{"SQLite error: cannot store TEXT value in INTEGER column t.a", "SQLITE_CONSTRAINT"}, 3091,
       "SQLITE_CONSTRAINT: cannot store TEXT value in INTEGER column t.a"},
      {{"SQLite error: constraint failed", "SQLITE_CONSTRAINT"}, 19, "SQLITE_CONSTRAINT: constraint failed"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.in.code + " " + r.in.message);
    Error e = to_error(r.in);
    EXPECT_EQ(e.kind(), ErrorKind::Sqlite);
    EXPECT_EQ(e.extended_code(), r.code);
    EXPECT_EQ(std::string(e.what()), r.what);
  }
  EXPECT_EQ(to_error({"x", "ARGS_INVALID"}).code_name(), "ARGS_INVALID");
  EXPECT_EQ(to_error({"x", "SQL_MANY_STATEMENTS"}).code_name(), "SQL_MANY_STATEMENTS");
  EXPECT_EQ(to_error({"gone", "STREAM_EXPIRED"}).code_name(), "TRANSACTION_CLOSED");
}

}  // namespace
