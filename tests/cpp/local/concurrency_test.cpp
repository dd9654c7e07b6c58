#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "libsql/client.hpp"
#include "support/temp_db.hpp"

using libsql::Client;
using libsql::Error;
using libsql::TransactionMode;
using libsql::Value;

namespace {

// 8 readers while 1 writer commits transactions that each move 10 units between two rows
// and append a ledger row. Every read must see a committed state: the sum is constant and
// the ledger length matches the version. No SQLITE_BUSY may reach a caller.
TEST(Concurrency, ReadersSeeOnlyCommittedStatesWhileAWriterCommits) {
  libsql::test::TempDb tmp;
  auto db = Client::open({.url = tmp.url()});
  db.execute_script(
      "CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL);"
      "INSERT INTO account VALUES (1, 1000), (2, 1000);"
      "CREATE TABLE meta (version INTEGER NOT NULL); INSERT INTO meta VALUES (0);"
      "CREATE TABLE ledger (version INTEGER PRIMARY KEY);");
  constexpr int kCommits = 300;
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::atomic<int> failures{0};
  std::vector<std::string> errors;
  std::mutex errors_mu;

  std::thread writer([&] {
    try {
      for (int i = 1; i <= kCommits; ++i) {
        auto tx = db.transaction(TransactionMode::Write);
        tx.execute("UPDATE account SET balance = balance - 10 WHERE id = 1");
        tx.execute("UPDATE account SET balance = balance + 10 WHERE id = 2");
        tx.execute({"UPDATE meta SET version = ?", {Value(std::int64_t{i})}});
        tx.execute({"INSERT INTO ledger VALUES (?)", {Value(std::int64_t{i})}});
        if (i % 3 == 0) {
          tx.rollback();  // some transactions never become visible
          db.execute("UPDATE meta SET version = version");
          auto again = db.transaction(TransactionMode::Write);
          again.execute("UPDATE account SET balance = balance - 10 WHERE id = 1");
          again.execute("UPDATE account SET balance = balance + 10 WHERE id = 2");
          again.execute({"UPDATE meta SET version = ?", {Value(std::int64_t{i})}});
          again.execute({"INSERT INTO ledger VALUES (?)", {Value(std::int64_t{i})}});
          again.commit();
        } else {
          tx.commit();
        }
      }
    } catch (const Error& e) {
      std::lock_guard<std::mutex> lock(errors_mu);
      errors.push_back(std::string("writer: ") + e.what());
    }
    done = true;
  });

  std::vector<std::thread> readers;
  for (int r = 0; r < 8; ++r) {
    readers.emplace_back([&] {
      while (!done) {
        try {
          auto rs = db.execute(
              "SELECT (SELECT sum(balance) FROM account), (SELECT version FROM meta), "
              "(SELECT count(*) FROM ledger)");
          auto sum = std::get<std::int64_t>(rs.rows[0][0]);
          auto version = std::get<std::int64_t>(rs.rows[0][1]);
          auto ledger = std::get<std::int64_t>(rs.rows[0][2]);
          if (sum != 2000 || version != ledger) ++failures;
          ++reads;
        } catch (const Error& e) {
          std::lock_guard<std::mutex> lock(errors_mu);
          errors.push_back(std::string("reader: ") + e.what());
          return;
        }
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(reads.load(), 0);
  auto final_state = db.execute("SELECT (SELECT balance FROM account WHERE id = 1), (SELECT count(*) FROM ledger)");
  EXPECT_EQ(final_state.rows[0][0], Value(std::int64_t{1000 - 10 * kCommits}));
  EXPECT_EQ(final_state.rows[0][1], Value(std::int64_t{kCommits}));
  db.close();
}

TEST(Concurrency, ManyThreadsWritingAtOnceAllSucceedInSomeSerialOrder) {
  libsql::test::TempDb tmp;
  auto db = Client::open({.url = tmp.url()});
  db.execute("CREATE TABLE t (thread INTEGER, i INTEGER, UNIQUE (thread, i))");
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int th = 0; th < 6; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < 50; ++i) {
        try {
          if (i % 2 == 0) {
            db.execute({"INSERT INTO t VALUES (?, ?)", {Value(std::int64_t{th}), Value(std::int64_t{i})}});
          } else {
            db.batch({{"INSERT INTO t VALUES (?, ?)", {Value(std::int64_t{th}), Value(std::int64_t{i})}},
                      "SELECT count(*) FROM t"},
                     TransactionMode::Write);
          }
        } catch (const Error&) {
          ++errors;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(std::get<std::int64_t>(db.execute("SELECT count(*) FROM t").rows[0][0]), 300);
  db.close();
}

TEST(Concurrency, TwoClientsOnOneFileDoNotSeeBusyUnderTheDefaultTimeout) {
  libsql::test::TempDb tmp;
  auto a = Client::open({.url = tmp.url()});
  a.execute("CREATE TABLE t (x)");
  auto b = Client::open({.url = tmp.url()});
  std::atomic<int> errors{0};
  auto work = [&](Client& c) {
    for (int i = 0; i < 100; ++i) {
      try {
        auto tx = c.transaction(TransactionMode::Write);
        tx.execute({"INSERT INTO t VALUES (?)", {Value(std::int64_t{i})}});
        tx.commit();
        c.execute("SELECT count(*) FROM t");
      } catch (const Error&) {
        ++errors;
      }
    }
  };
  std::thread ta([&] { work(a); });
  std::thread tb([&] { work(b); });
  ta.join();
  tb.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(std::get<std::int64_t>(a.execute("SELECT count(*) FROM t").rows[0][0]), 200);
  a.close();
  b.close();
}

}  // namespace
