// Hrana over WebSocket (src/remote/hrana_ws.*, src/remote/ws_client.*): the frame codec, and
// the client against the real libSQL server (sqld, which takes WebSocket upgrades on its HTTP
// port): statements, batches and transactions, a socket lost mid-transaction, a server that is
// not a WebSocket server, a server that sends garbage frames, and JWT auth.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "core/fast_path.hpp"
#include "core/url.hpp"
#include "libsql/client.hpp"
#include "remote/hrana_ws.hpp"
#include "remote/remote_engine.hpp"
#include "remote/ws_client.hpp"
#include "support/expect_error.hpp"
#include "support/hrana_server.hpp"
#include "support/sqld.hpp"
#include "support/tcp_proxy.hpp"
#include "support/temp_db.hpp"

using libsql::Client;
using libsql::Error;
using libsql::ErrorKind;
using libsql::TransactionMode;
using libsql::Value;
using libsql::test::expect_error;
using libsql::test::Sqld;
using libsql::test::SqldJwt;
namespace ws = libsql::detail::ws;

namespace {

std::string ws_url(const Sqld& s) { return "ws://127.0.0.1:" + std::to_string(s.port()); }

// --- frames ---

TEST(WsFrames, TheAcceptKeyIsTheOneOfRfc6455) {
  EXPECT_EQ(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsFrames, ClientFramesAreMaskedAndCarryTheirLength) {
  const std::string f = ws::encode_frame(ws::Opcode::Text, "Hello", 0x37fa213d);
  // RFC 6455 §5.7: a masked "Hello".
  EXPECT_EQ(f, std::string("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11));
  const std::string big(70000, 'x');
  const std::string g = ws::encode_frame(ws::Opcode::Binary, big, 1);
  ASSERT_EQ(g.size(), 70000u + 14);
  EXPECT_EQ(static_cast<unsigned char>(g[1]), 0x80 | 127);
}

std::string server_frame(std::uint8_t first, std::string_view payload) {
  std::string f(1, static_cast<char>(first));
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(payload.size()));
  } else {
    f.push_back(126);
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xFF));
  }
  return f + std::string(payload);
}

TEST(WsFrames, FragmentedMessagesAreJoinedAndControlFramesPassBetweenThem) {
  ws::FrameReader reader(1 << 20);
  std::vector<ws::Message> out;
  std::string bytes = server_frame(0x01, "hel") + server_frame(0x89, "p") + server_frame(0x80, "lo") +
                      server_frame(0x81, std::string(300, 'y'));
  for (char c : bytes) reader.feed(std::string_view(&c, 1), out);  // one byte at a time
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].opcode, ws::Opcode::Ping);
  EXPECT_EQ(out[1].opcode, ws::Opcode::Text);
  EXPECT_EQ(out[1].payload, "hello");
  EXPECT_EQ(out[2].payload, std::string(300, 'y'));
}

TEST(WsFrames, WhatAServerMustNotSendIsAProtocolError) {
  struct Case {
    const char* name;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {"masked", std::string("\x81\x81\x00\x00\x00\x00x", 7)},
      {"reserved bits", server_frame(0xC1, "x")},
      {"unknown opcode", server_frame(0x83, "x")},
      {"fragmented ping", server_frame(0x09, "x")},
      {"continuation first", server_frame(0x80, "x")},
      {"text inside a fragmented text", server_frame(0x01, "a") + server_frame(0x81, "b")},
      {"too large", server_frame(0x81, std::string(200, 'z'))},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ws::FrameReader reader(100);
    std::vector<ws::Message> out;
    Error e = expect_error([&] { reader.feed(c.bytes, out); });
    EXPECT_EQ(e.kind(), ErrorKind::Protocol);
    EXPECT_EQ(e.code_name(), "HRANA_WEBSOCKET_ERROR");
  }
}

// --- against sqld ---

class SqldWs : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Sqld::available()) << Sqld::binary();
    sqld_ = std::make_unique<Sqld>();
  }
  std::unique_ptr<Sqld> sqld_;
};

TEST_F(SqldWs, StatementsBatchesAndTransactionsRunOverOneSocket) {
  auto db = Client::open({.url = ws_url(*sqld_), .timeout = std::chrono::milliseconds(10000)});
  db.execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE); INSERT INTO t (v) VALUES ('a');");
  auto rs = db.execute({"SELECT id, v, ?, ? FROM t", {Value(std::int64_t{9007199254740993}), Value(1.5)}});
  ASSERT_EQ(rs.rows.size(), 1u);
  EXPECT_EQ(rs.rows[0][1], Value("a"));
  EXPECT_EQ(rs.rows[0][2], Value(std::int64_t{9007199254740993}));
  EXPECT_EQ(rs.columns.at(1).name, "v");

  auto results = db.batch({{"INSERT INTO t (v) VALUES ('b')"}, {"SELECT count(*) FROM t"}}, TransactionMode::Write);
  EXPECT_EQ(results.at(1).rows.at(0).at(0), Value(std::int64_t{2}));
  // A failing batch applies nothing.
  Error e = expect_error([&] { db.batch({{"INSERT INTO t (v) VALUES ('c')"}, {"INSERT INTO t (v) VALUES ('a')"}}, TransactionMode::Write); });
  EXPECT_EQ(e.code_name(), "SQLITE_CONSTRAINT_UNIQUE") << e.what();
  EXPECT_EQ(db.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(std::int64_t{2}));

  {
    auto tx = db.transaction(TransactionMode::Write);
    tx.execute("INSERT INTO t (v) VALUES ('d')");
    EXPECT_EQ(tx.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(std::int64_t{3}));
    tx.rollback();
  }
  {
    auto tx = db.transaction(TransactionMode::Deferred);
    tx.execute("INSERT INTO t (v) VALUES ('e')");
    tx.commit();
  }
  EXPECT_EQ(db.execute("SELECT group_concat(v) FROM t").rows.at(0).at(0), Value("a,b,e"));
  // Many calls at once share the socket.
  std::vector<std::future<libsql::ResultSet>> many;
  for (int i = 0; i < 20; ++i) {
    many.push_back(std::async(std::launch::async, [&db, i] { return db.execute({"SELECT ?", {Value(std::int64_t{i})}}); }));
  }
  for (int i = 0; i < 20; ++i) EXPECT_EQ(many[static_cast<std::size_t>(i)].get().rows.at(0).at(0), Value(std::int64_t{i}));
}

TEST_F(SqldWs, ASocketLostMidTransactionFailsItTypedAndTheNextCallsOpenANewOne) {
  libsql::detail::WsHranaOptions o;
  o.host = "127.0.0.1";
  o.port = sqld_->port();
  o.tls = false;
  auto conn = libsql::detail::WsHrana::create(o);
  Client db = libsql::detail::FastPath::client(libsql::detail::RemoteEngine::over(conn, std::chrono::milliseconds(5000)));
  db.execute("CREATE TABLE t (a)");
  EXPECT_EQ(conn->version(), 3) << "sqld picks hrana3";
  auto tx = db.transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t VALUES (1)");
  conn->drop_socket_for_test();
  Error e = expect_error([&] { tx.execute("INSERT INTO t VALUES (2)"); });
  EXPECT_EQ(e.code_name(), "TRANSACTION_CLOSED") << e.what();
  EXPECT_NE(std::string(e.what()).find("WebSocket"), std::string::npos) << e.what();
  EXPECT_THROW(tx.commit(), Error);
  // The server rolled the transaction back when its socket went; new calls use a new socket.
  EXPECT_EQ(db.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(std::int64_t{0}));
  db.execute("INSERT INTO t VALUES (3)");
  EXPECT_EQ(db.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(std::int64_t{1}));
}

TEST_F(SqldWs, AServerKilledMidTransactionIsATypedErrorAndTheClientWorksAfterItsRestart) {
  const int port = sqld_->port();
  auto db = Client::open({.url = ws_url(*sqld_), .timeout = std::chrono::milliseconds(5000)});
  db.execute("CREATE TABLE t (a)");
  auto tx = db.transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t VALUES (1)");
  sqld_.reset();  // SIGKILL
  Error e = expect_error([&] { tx.execute("INSERT INTO t VALUES (2)"); });
  EXPECT_TRUE(e.code_name() == "TRANSACTION_CLOSED" || e.code_name() == "HRANA_WEBSOCKET_ERROR") << e.what();
  Error down = expect_error([&] { db.execute("SELECT 1"); });
  EXPECT_EQ(down.kind(), ErrorKind::Network) << down.what();
  sqld_ = std::make_unique<Sqld>(std::vector<std::string>{}, port);
  EXPECT_EQ(db.execute("SELECT 41 + 1").rows.at(0).at(0), Value(std::int64_t{42}));
}

/// sqld refuses an answer over its response limit (10 MB by default) with RESPONSE_TOO_LARGE.
/// Over hrana3 such a read runs again through a WebSocket cursor (open_cursor, fetch_cursor,
/// close_cursor), in or out of a transaction, and gives exactly what the HTTP read gives; over
/// hrana2 (no cursors) the limit is the answer.
TEST(SqldWsCursor, AReadOverTheResponseLimitStreamsThroughACursorAndEqualsTheHttpRead) {
  ASSERT_TRUE(Sqld::available()) << Sqld::binary();
  Sqld sqld;  // the default limit: 10 MB
  const auto timeout = std::chrono::milliseconds(60000);
  auto http = Client::open({.url = sqld.url(), .timeout = timeout});
  // ~12 MB of JSON: 6,000 rows of ~2 KB, every value type.
  http.execute_script(
      "CREATE TABLE v (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB, n);"
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 6000) "
      "INSERT INTO v (i, r, s, b, n) SELECT x * 9007199254740993, x / 7.0, 'row ' || x || ' \"q\" \\ é ' || "
      "hex(zeroblob(750)), zeroblob(x % 40), NULL FROM c;");
  const char* query = "SELECT * FROM v ORDER BY id";
  const auto expected = http.execute(query);  // over HTTP, through v3/cursor
  ASSERT_EQ(expected.rows.size(), 6000u);
  auto same = [&](const libsql::ResultSet& rs) {
    ASSERT_EQ(rs.rows.size(), expected.rows.size());
    ASSERT_EQ(rs.columns.size(), expected.columns.size());
    for (std::size_t c = 0; c < rs.columns.size(); ++c) {
      EXPECT_EQ(rs.columns[c].name, expected.columns[c].name);
      EXPECT_EQ(rs.columns[c].decltype_, expected.columns[c].decltype_);
    }
    EXPECT_TRUE(rs.rows == expected.rows);
  };

  libsql::detail::WsHranaOptions o = libsql::detail::ws_options_for(libsql::detail::parse_url(ws_url(sqld)));
  o.request_timeout = timeout;
  auto conn = libsql::detail::WsHrana::create(o);
  Client ws = libsql::detail::FastPath::client(libsql::detail::RemoteEngine::over(conn, std::chrono::milliseconds(5000)));
  // A plain pipeline is refused by the limit (what a cursor-less client gets) ...
  {
    auto stream = conn->open_stream();
    std::promise<libsql::Outcome<libsql::detail::StreamReply>> p;
    std::vector<libsql::detail::hrana::Request> reqs;
    reqs.push_back(libsql::detail::hrana::execute({query}));
    reqs.push_back(libsql::detail::hrana::close());
    stream->send(std::move(reqs), [&p](libsql::Outcome<libsql::detail::StreamReply> r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    ASSERT_TRUE(std::holds_alternative<libsql::detail::StreamReply>(r)) << std::get<Error>(r).what();
    ASSERT_TRUE(std::get<libsql::detail::StreamReply>(r).results.at(0).error.has_value());
    EXPECT_EQ(std::get<libsql::detail::StreamReply>(r).results.at(0).error->code, "RESPONSE_TOO_LARGE");
  }
  // ... the client reads it through a cursor.
  same(ws.execute(query));
  EXPECT_EQ(conn->version(), 3);
  {
    auto tx = ws.transaction(TransactionMode::Write);  // the first call carries BEGIN
    same(tx.execute(query));
    tx.execute("INSERT INTO v (s) VALUES ('in tx')");  // the stream goes on after the cursor
    EXPECT_EQ(tx.execute("SELECT count(*) FROM v").rows.at(0).at(0), Value(6001));
    tx.rollback();
  }
  EXPECT_EQ(ws.execute("SELECT count(*) FROM v").rows.at(0).at(0), Value(6000));
  // A cursor whose statement fails gives the statement's error, and the socket goes on.
  {
    auto stream = conn->open_stream();
    std::promise<libsql::Outcome<libsql::detail::StreamReply>> p;
    std::vector<libsql::detail::hrana::Step> steps(2);
    steps[0].stmt = {"SELECT 7"};
    steps[1].stmt = {"SELECT nope FROM v"};
    stream->cursor(std::move(steps), [&p](libsql::Outcome<libsql::detail::StreamReply> r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    stream->close();
    ASSERT_TRUE(std::holds_alternative<libsql::detail::StreamReply>(r)) << std::get<Error>(r).what();
    const auto& result = std::get<libsql::detail::StreamReply>(r).results.at(0);
    if (result.error) {
      EXPECT_NE(result.error->message.find("nope"), std::string::npos) << result.error->message;
    } else {
      ASSERT_TRUE(result.batch.step_results.at(0).has_value());
      EXPECT_EQ(result.batch.step_results[0]->rows.at(0).at(0), Value(7));
      ASSERT_TRUE(result.batch.step_errors.at(1).has_value());
      EXPECT_NE(result.batch.step_errors[1]->message.find("nope"), std::string::npos) << result.batch.step_errors[1]->message;
    }
  }
  EXPECT_EQ(ws.execute("SELECT 1").rows.at(0).at(0), Value(1));

  // hrana2 has no cursors: the limit is the answer, clearly.
  o.max_version = 2;
  auto v2conn = libsql::detail::WsHrana::create(o);
  Client v2 = libsql::detail::FastPath::client(libsql::detail::RemoteEngine::over(v2conn, std::chrono::milliseconds(5000)));
  Error too_large = expect_error([&] { v2.execute(query); });
  EXPECT_NE(std::string(too_large.what()).find("RESPONSE_TOO_LARGE"), std::string::npos) << too_large.what();
  EXPECT_EQ(v2conn->version(), 2);
  EXPECT_EQ(v2.execute("SELECT count(*) FROM v").rows.at(0).at(0), Value(6000));
}

/// The request deadline over WebSocket is HTTP's: the time since the last byte received on the
/// socket while a request waits (Config::timeout). Through a proxy in front of sqld: an answer
/// that trickles in for longer than the timeout, in pieces far closer together than it, arrives
/// whole (40 pieces 50 ms apart against 1 s); a server that goes silent is a Timeout, and the
/// next call opens a new socket.
TEST(SqldWsDeadline, TheTimeoutCountsSilenceNotTheWholeAnswer) {
  ASSERT_TRUE(Sqld::available()) << Sqld::binary();
  Sqld sqld;
  libsql::test::TcpProxy proxy(sqld.port());
  auto db = Client::open({.url = "ws://127.0.0.1:" + std::to_string(proxy.port()), .timeout = std::chrono::milliseconds(1000)});
  EXPECT_EQ(db.execute("SELECT 1").rows.at(0).at(0), Value(1));
  proxy.trickle(64, std::chrono::milliseconds(50));
  const auto rs = db.execute("SELECT hex(zeroblob(1200))");  // ~2.5 KB of answer: ~40 pieces
  EXPECT_EQ(rs.rows.at(0).at(0), Value(std::string(2400, '0')));
  proxy.trickle(0, std::chrono::milliseconds(0));
  proxy.stall(true);
  Error e = expect_error([&] { db.execute("SELECT 2"); });
  EXPECT_EQ(e.kind(), ErrorKind::Timeout) << e.what();
  EXPECT_EQ(e.code_name(), "HRANA_WEBSOCKET_ERROR");
  EXPECT_NE(std::string(e.what()).find("sent nothing"), std::string::npos) << e.what();
  proxy.stall(false);
  EXPECT_EQ(db.execute("SELECT 3").rows.at(0).at(0), Value(3));
  EXPECT_EQ(proxy.accepted(), 2) << "the silent socket was dropped and a new one opened";
}

/// Socket renewal, as @libsql/client's ws client (after 60 s; 300 ms here): once the socket is
/// older than the maximum age, new streams go to a new socket, while a transaction opened on
/// the old one finishes there; the old socket is closed once its last stream closed.
TEST(SqldWsRenewal, NewStreamsGoToANewSocketAndStreamsInFlightFinishOnTheOld) {
  ASSERT_TRUE(Sqld::available()) << Sqld::binary();
  Sqld sqld;
  libsql::test::TcpProxy proxy(sqld.port());
  libsql::detail::WsHranaOptions o =
      libsql::detail::ws_options_for(libsql::detail::parse_url("ws://127.0.0.1:" + std::to_string(proxy.port())));
  o.max_socket_age = std::chrono::milliseconds(300);
  o.request_timeout = std::chrono::milliseconds(10000);
  auto conn = libsql::detail::WsHrana::create(o);
  Client db = libsql::detail::FastPath::client(libsql::detail::RemoteEngine::over(conn, std::chrono::milliseconds(5000)));
  db.execute("CREATE TABLE t (a)");
  auto tx = db.transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t VALUES (1)");  // a stream on socket n (1, or 2 on a slow machine)
  const int n = conn->sockets_opened();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // socket n is now older than the maximum
  // A new stream opens socket n + 1 (on a connector thread: the stream may still go to the old
  // socket until the new one is ready). The transaction holds the write lock: only a read.
  EXPECT_EQ(db.execute("SELECT 41 + 1").rows.at(0).at(0), Value(42));
  for (int i = 0; i < 400 && conn->sockets_opened() == n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  EXPECT_EQ(conn->sockets_opened(), n + 1);
  EXPECT_EQ(proxy.accepted(), n + 1);
  EXPECT_EQ(db.execute("SELECT 43").rows.at(0).at(0), Value(43));  // on the new socket
  // The transaction goes on, and commits, on socket 1.
  tx.execute("INSERT INTO t VALUES (2)");
  EXPECT_EQ(tx.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(2));
  tx.commit();
  EXPECT_EQ(db.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(2));
  // The old sockets had no stream left: they were closed (bounded wait for the proxy to see it).
  for (int i = 0; i < 200 && proxy.open_connections() > 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  EXPECT_EQ(proxy.open_connections(), 1);
}

/// The SQL cache, as @libsql/client's ws client: each text is stored on the socket once
/// (`store_sql`) and then sent by `sql_id`; past the capacity the least recently used text is
/// dropped (`close_sql`). sqld refuses an unknown `sql_id`, so right answers mean right ids.
TEST_F(SqldWs, StatementsAreStoredOnceAndSentByIdPastTheCapacityToo) {
  libsql::detail::WsHranaOptions o = libsql::detail::ws_options_for(libsql::detail::parse_url(ws_url(*sqld_)));
  o.sql_cache_capacity = 10;
  o.request_timeout = std::chrono::milliseconds(10000);
  auto conn = libsql::detail::WsHrana::create(o);
  Client db = libsql::detail::FastPath::client(libsql::detail::RemoteEngine::over(conn, std::chrono::milliseconds(5000)));
  db.execute("CREATE TABLE t (a)");
  const int base = conn->sql_stored();
  for (int i = 0; i < 5; ++i) db.execute({"INSERT INTO t VALUES (?)", {Value(i)}});
  EXPECT_EQ(conn->sql_stored(), base + 1) << "one text, stored once";
  // 25 distinct texts through a cache of 10, twice over: evicted ones are stored again.
  for (int round = 0; round < 2; ++round) {
    for (int k = 0; k < 25; ++k) {
      EXPECT_EQ(db.execute({"SELECT ? + " + std::to_string(k), {Value(round)}}).rows.at(0).at(0), Value(k + round));
    }
  }
  EXPECT_EQ(conn->sql_stored(), base + 1 + 50);
  // Batches and transactions refer to stored texts too.
  auto results = db.batch({{"INSERT INTO t VALUES (?)", {Value(7)}}, {"SELECT count(*) FROM t"}}, TransactionMode::Write);
  EXPECT_EQ(results.at(1).rows.at(0).at(0), Value(6));
  auto tx = db.transaction(TransactionMode::Write);
  for (int i = 0; i < 3; ++i) tx.execute({"INSERT INTO t VALUES (?)", {Value(100 + i)}});
  EXPECT_EQ(tx.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(9));
  tx.commit();
  EXPECT_EQ(db.execute("SELECT sum(a) FROM t").rows.at(0).at(0), Value(0 + 1 + 2 + 3 + 4 + 7 + 100 + 101 + 102));
  // A text of 5,000 bytes or more is never stored (sqld's limit): it goes as text.
  const int before = conn->sql_stored();
  const std::string long_sql = "SELECT '" + std::string(6000, 'x') + "'";
  EXPECT_EQ(db.execute(long_sql).rows.at(0).at(0), Value(std::string(6000, 'x')));
  EXPECT_EQ(conn->sql_stored(), before);
}

/// Opening a socket does not block the connection's I/O thread: while a renewal's handshake
/// hangs (the proxy holds the new connection's answer), the old socket serves the transaction
/// opened on it and new calls too (as the official client, until the new one is ready), and
/// timers fire; once the handshake completes, new streams go to the new socket.
TEST(SqldWsConnect, ARenewalWhoseHandshakeHangsBlocksNothing) {
  ASSERT_TRUE(Sqld::available()) << Sqld::binary();
  Sqld sqld;
  libsql::test::TcpProxy proxy(sqld.port());
  libsql::detail::WsHranaOptions o =
      libsql::detail::ws_options_for(libsql::detail::parse_url("ws://127.0.0.1:" + std::to_string(proxy.port())));
  o.max_socket_age = std::chrono::milliseconds(300);
  o.request_timeout = std::chrono::milliseconds(20000);
  o.connect_timeout = std::chrono::milliseconds(20000);
  auto conn = libsql::detail::WsHrana::create(o);
  Client db = libsql::detail::FastPath::client(libsql::detail::RemoteEngine::over(conn, std::chrono::milliseconds(5000)));
  db.execute("CREATE TABLE t (a)");
  auto tx = db.transaction(TransactionMode::Write);
  tx.execute("INSERT INTO t VALUES (1)");
  const int n = conn->sockets_opened();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // the socket is now older than the maximum
  proxy.hold_new(true);
  // A new stream starts the renewal (its handshake hangs) and runs on the old socket meanwhile.
  EXPECT_EQ(db.execute("SELECT 41 + 1").rows.at(0).at(0), Value(42));
  tx.execute("INSERT INTO t VALUES (2)");
  std::promise<void> timer;
  conn->at(std::chrono::steady_clock::now(), [&timer] { timer.set_value(); });
  EXPECT_EQ(timer.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  tx.commit();
  EXPECT_EQ(db.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(2));
  EXPECT_EQ(conn->sockets_opened(), n) << "the new socket is not open yet";
  EXPECT_EQ(proxy.accepted(), n + 1) << "but it is being opened";
  proxy.hold_new(false);
  // Bounded: new streams go to the new socket once its handshake is done.
  for (int i = 0; i < 400 && conn->sockets_opened() == n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  EXPECT_EQ(conn->sockets_opened(), n + 1);
  EXPECT_EQ(db.execute("SELECT 7").rows.at(0).at(0), Value(7));
}

/// The first socket's handshake hanging holds the calls that need it, not the I/O thread; a
/// handshake that fails fails them, typed.
TEST(SqldWsConnect, CallsWaitForTheFirstSocketAndFailWithItsError) {
  ASSERT_TRUE(Sqld::available()) << Sqld::binary();
  Sqld sqld;
  libsql::test::TcpProxy proxy(sqld.port());
  proxy.hold_new(true);
  libsql::detail::WsHranaOptions o =
      libsql::detail::ws_options_for(libsql::detail::parse_url("ws://127.0.0.1:" + std::to_string(proxy.port())));
  o.connect_timeout = std::chrono::milliseconds(20000);
  auto conn = libsql::detail::WsHrana::create(o);
  Client db = libsql::detail::FastPath::client(libsql::detail::RemoteEngine::over(conn, std::chrono::milliseconds(5000)));
  auto call = std::async(std::launch::async, [&db] { return db.execute("SELECT 5"); });
  std::promise<void> timer;
  conn->at(std::chrono::steady_clock::now(), [&timer] { timer.set_value(); });
  EXPECT_EQ(timer.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready) << "timers fire meanwhile";
  EXPECT_EQ(conn->sockets_opened(), 0);
  proxy.hold_new(false);
  EXPECT_EQ(call.get().rows.at(0).at(0), Value(5));
  // Nobody listening: the waiting call fails with the connect error.
  libsql::detail::WsHranaOptions none = o;
  none.port = libsql::test::free_port();
  auto dead = libsql::detail::WsHrana::create(none);
  Client nowhere = libsql::detail::FastPath::client(libsql::detail::RemoteEngine::over(dead, std::chrono::milliseconds(5000)));
  Error e = expect_error([&] { nowhere.execute("SELECT 1"); });
  EXPECT_EQ(e.kind(), ErrorKind::Network) << e.what();
  EXPECT_EQ(e.code_name(), "HRANA_WEBSOCKET_ERROR");
}

TEST(WsServers, AnHttpOnlyServerIsAClearProtocolError) {
  libsql::test::HranaServer server;
  const std::string url = "ws" + server.url().substr(4);
  auto db = Client::open({.url = url, .timeout = std::chrono::milliseconds(5000)});
  Error e = expect_error([&] { db.execute("SELECT 1"); });
  EXPECT_EQ(e.kind(), ErrorKind::Protocol) << e.what();
  EXPECT_EQ(e.code_name(), "HRANA_WEBSOCKET_ERROR");
  EXPECT_NE(std::string(e.what()).find("did not accept a WebSocket"), std::string::npos) << e.what();
}

TEST(WsServers, WssToAServerWithoutTlsFailsInTheTlsHandshakeClearly) {
  ASSERT_TRUE(Sqld::available()) << Sqld::binary();
  Sqld sqld;
  auto db = Client::open({.url = "wss://127.0.0.1:" + std::to_string(sqld.port()), .timeout = std::chrono::milliseconds(5000)});
  Error e = expect_error([&] { db.execute("SELECT 1"); });
  EXPECT_EQ(e.kind(), ErrorKind::Network) << e.what();
  EXPECT_EQ(e.code_name(), "HRANA_WEBSOCKET_ERROR");
  EXPECT_NE(std::string(e.what()).find("TLS handshake"), std::string::npos) << e.what();
}

/// A one-connection server that completes the WebSocket handshake, then sends `after`.
class RawWsServer {
 public:
  explicit RawWsServer(std::string after) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 4);
    thread_ = std::thread([this, after = std::move(after)] {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0) return;  // bounded
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 10000) <= 0) break;
        ssize_t n = ::read(c, buf, sizeof(buf));
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
      }
      std::size_t k = req.find("Sec-WebSocket-Key: ");
      std::string key = k == std::string::npos ? "" : req.substr(k + 19, req.find("\r\n", k) - k - 19);
      std::string answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Protocol: hrana3\r\nSec-WebSocket-Accept: " + ws::accept_key(key) + "\r\n\r\n" + after;
      [[maybe_unused]] ssize_t w = ::write(c, answer.data(), answer.size());
      pollfd q{c, POLLIN, 0};
      while (::poll(&q, 1, 3000) > 0 && ::read(c, buf, sizeof(buf)) > 0) {
      }
      ::close(c);
    });
  }
  ~RawWsServer() {
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  [[nodiscard]] std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST(WsServers, GarbageFramesEndTheSocketWithAProtocolErrorAndNothingHangs) {
  for (const std::string& garbage : {std::string("\xff\xff\xff\xff\xff\xff", 6), server_frame(0x81, "not json"),
                                     server_frame(0x82, "binary"), server_frame(0x81, R"({"type":"response_ok","request_id":999,"response":{}})")}) {
    RawWsServer server(garbage);
    auto db = Client::open({.url = server.url(), .timeout = std::chrono::milliseconds(5000)});
    Error e = expect_error([&] { db.execute("SELECT 1"); });
    EXPECT_EQ(e.kind(), ErrorKind::Protocol) << e.what();
    db.close();
  }
}

TEST(WsAuth, AValidJwtWorksAMissingOrForeignOneIsAnAuthErrorWithoutTheToken) {
  ASSERT_TRUE(Sqld::available()) << Sqld::binary();
  libsql::test::TempDb tmp;
  const SqldJwt jwt = SqldJwt::make(tmp.dir());
  Sqld sqld({"--auth-jwt-key-file", jwt.key_file});
  const auto timeout = std::chrono::milliseconds(5000);
  auto ok = Client::open({.url = ws_url(sqld), .auth_token = jwt.valid, .timeout = timeout});
  ok.execute("CREATE TABLE t (a)");
  for (const std::string& token : {std::string(), jwt.expired, jwt.wrong_key, std::string("not.a.jwt")}) {
    SCOPED_TRACE(token.empty() ? "missing" : token.substr(0, 12));
    auto db = Client::open({.url = ws_url(sqld), .auth_token = token, .timeout = timeout});
    Error e = expect_error([&] { db.execute("SELECT 1"); });
    EXPECT_EQ(e.kind(), ErrorKind::Auth) << e.what();
    EXPECT_EQ(e.code_name(), "AUTH_FAILED");
    EXPECT_NE(std::string(e.what()).find(token.empty() ? "none given" : token == jwt.expired ? "expired" : "invalid"),
              std::string::npos) << e.what();
    if (!token.empty()) {
      EXPECT_EQ(std::string(e.what()).find(token), std::string::npos) << "the token never appears";
      EXPECT_EQ(std::string(e.what()).find(token.substr(token.size() - 8)), std::string::npos);
    }
  }
  EXPECT_EQ(ok.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(std::int64_t{0}));
}

TEST(WsUrls, LibsqlUrlsGoOverWebSocketWhenAskedAsClientWsDoesAndHttpUrlsAreThenRefused) {
  ASSERT_TRUE(Sqld::available()) << Sqld::binary();
  Sqld sqld;
  auto db = Client::open({.url = "libsql://127.0.0.1:" + std::to_string(sqld.port()) + "?tls=0", .websocket = true});
  EXPECT_EQ(db.execute("SELECT 1").rows.at(0).at(0), Value(std::int64_t{1}));
  Error e = expect_error([&] { Client::open({.url = sqld.url(), .websocket = true}); });
  EXPECT_EQ(e.code_name(), "URL_SCHEME_NOT_SUPPORTED");
  // Proof that it went over WebSocket: an HTTP-only server refuses the same URL form.
  libsql::test::HranaServer http_only;
  const std::string port = http_only.url().substr(http_only.url().rfind(':') + 1);
  auto ws_only = Client::open({.url = "libsql://127.0.0.1:" + port + "?tls=0", .websocket = true});
  Error refused = expect_error([&] { ws_only.execute("SELECT 1"); });
  EXPECT_EQ(refused.code_name(), "HRANA_WEBSOCKET_ERROR") << refused.what();
  auto over_http = Client::open({.url = "libsql://127.0.0.1:" + port + "?tls=0"});
  EXPECT_EQ(over_http.execute("SELECT 1").rows.at(0).at(0), Value(std::int64_t{1})) << "libsql: is HTTP by default";
}

}  // namespace
