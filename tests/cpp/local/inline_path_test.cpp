// The inline path (docs/architecture.md, "The inline path"): statements seen fast on a worker
// run on the caller's thread afterwards. What counts as fast is measured with a clock; these
// tests inject one they control (InlineTiming), so they assert the behaviour — runs inline,
// in call order, once, errors reach the caller — the same way on any machine at any load.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "core/url.hpp"
#include "core/fast_path.hpp"
#include "libsql/client.hpp"
#include "local/inline_classifier.hpp"
#include "local/local_engine.hpp"
#include "support/temp_db.hpp"

using libsql::Client;
using libsql::Error;
using libsql::Statement;
using libsql::TransactionMode;
using libsql::Value;
using libsql::detail::InlineClassifier;
using libsql::detail::InlineTiming;

namespace {

std::int64_t int_of(const libsql::ResultSet& rs) { return std::get<std::int64_t>(rs.rows.at(0).at(0)); }

/// A clock the test sets: every reading advances it by the step. Step 0: a run takes no time
/// (every statement is fast); step 1 s: every run is slow.
class TestClock {
 public:
  void fast() { step_->store(0); }
  void slow() { step_->store(std::chrono::nanoseconds(std::chrono::seconds(1)).count()); }
  [[nodiscard]] InlineTiming timing() const {
    InlineTiming t;
    t.clock = [now = now_, step = step_] {
      return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(now->fetch_add(step->load())));
    };
    return t;
  }

 private:
  std::shared_ptr<std::atomic<std::int64_t>> now_ = std::make_shared<std::atomic<std::int64_t>>(0);
  std::shared_ptr<std::atomic<std::int64_t>> step_ = std::make_shared<std::atomic<std::int64_t>>(0);
};

/// A local client whose inline path measures with `clock`.
Client open_local(const std::string& url, const TestClock& clock, libsql::Config config = {}) {
  config.url = url;
  return libsql::detail::FastPath::client(
      libsql::detail::LocalEngine::open(libsql::detail::parse_url(url), config, clock.timing()));
}

/// Holds an engine thread inside a completion callback until released: calls made meanwhile
/// stay queued behind it, however fast or slow the machine is.
class Blocker {
 public:
  Blocker() : released_(release_.get_future().share()) {}
  /// A callback that signals it started, then waits for release().
  template <class T>
  libsql::Callback<T> callback() {
    return [this, released = released_](libsql::Outcome<T> o) {
      ok_ = std::holds_alternative<T>(o);
      started_.set_value();
      released.wait();
    };
  }
  void wait_started() { started_.get_future().wait(); }
  void release() { release_.set_value(); }
  [[nodiscard]] bool ok() const { return ok_; }

 private:
  std::promise<void> started_;
  std::promise<void> release_;
  std::shared_future<void> released_;
  std::atomic<bool> ok_{false};
};

/// Runs `start(callback)` and waits for its outcome; returns it.
template <class T, class Start>
libsql::Outcome<T> await_outcome(Start&& start) {
  auto p = std::make_shared<std::promise<libsql::Outcome<T>>>();
  auto f = p->get_future();
  start([p](libsql::Outcome<T> o) { p->set_value(std::move(o)); });
  return f.get();
}

// --- the classifier alone ---

TEST(InlineClassifier, RemembersStatementsThatRanFastWithFewRows) {
  TestClock clock;
  InlineClassifier c(clock.timing());
  EXPECT_FALSE(c.contains("SELECT 1"));
  c.ran_on_worker("SELECT 1", 1, c.start());
  EXPECT_TRUE(c.contains("SELECT 1"));
  c.ran_on_worker("SELECT many", InlineTiming::kMaxRows + 1, c.start());
  EXPECT_FALSE(c.contains("SELECT many")) << "too many rows";
  c.ran_on_worker("SELECT edge", InlineTiming::kMaxRows, c.start());
  EXPECT_TRUE(c.contains("SELECT edge"));
  clock.slow();
  c.ran_on_worker("SELECT slow", 1, c.start());
  EXPECT_FALSE(c.contains("SELECT slow")) << "slower than the limit";
}

TEST(InlineClassifier, ForgetsAStatementWhoseInlineRunWasSlowOrLarge) {
  TestClock clock;
  InlineClassifier c(clock.timing());
  c.ran_on_worker("a", 1, c.start());
  c.ran_on_worker("b", 1, c.start());
  c.ran_inline("a", 1, c.start());
  EXPECT_TRUE(c.contains("a")) << "fast inline run: kept";
  c.ran_inline("a", InlineTiming::kMaxRows + 1, c.start());
  EXPECT_FALSE(c.contains("a")) << "gave up past the row limit: forgotten";
  clock.slow();
  for (int i = 1; i < InlineTiming::kSlowInlineStrikes; ++i) {
    c.ran_inline("b", 1, c.start());
    EXPECT_TRUE(c.contains("b")) << "slow inline run " << i << ": tolerated (a preempted thread)";
  }
  clock.fast();
  c.ran_inline("b", 1, c.start());
  EXPECT_TRUE(c.contains("b")) << "a fast run clears the strikes";
  clock.slow();
  for (int i = 1; i < InlineTiming::kSlowInlineStrikes; ++i) c.ran_inline("b", 1, c.start());
  EXPECT_TRUE(c.contains("b")) << "strikes count from the last fast run";
  c.ran_inline("b", 1, c.start());
  EXPECT_FALSE(c.contains("b")) << "slow inline runs in a row: forgotten";
}

TEST(InlineClassifier, ToleratesAnInlineRunWithinItsSlack) {
  auto now = std::make_shared<std::int64_t>(0);
  InlineTiming t;
  t.clock = [now] { return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(*now)); };
  t.max_time = std::chrono::microseconds(10);
  InlineClassifier c(t);
  auto start = c.start();
  *now += std::chrono::nanoseconds(std::chrono::microseconds(10)).count();
  c.ran_on_worker("s", 1, start);
  EXPECT_TRUE(c.contains("s")) << "exactly the limit is fast";
  start = c.start();
  *now += std::chrono::nanoseconds(std::chrono::microseconds(10 * InlineTiming::kInlineSlack)).count();
  c.ran_inline("s", 1, start);
  EXPECT_TRUE(c.contains("s")) << "within the slack";
  for (int i = 0; i < InlineTiming::kSlowInlineStrikes; ++i) {
    EXPECT_TRUE(c.contains("s")) << "past the slack " << i << " times in a row";
    start = c.start();
    *now += std::chrono::nanoseconds(std::chrono::microseconds(10 * InlineTiming::kInlineSlack + 1)).count();
    c.ran_inline("s", 1, start);
  }
  EXPECT_FALSE(c.contains("s")) << "past the slack, every time";
  start = c.start();
  *now += std::chrono::nanoseconds(std::chrono::microseconds(11)).count();
  c.ran_on_worker("s", 1, start);
  EXPECT_FALSE(c.contains("s")) << "past the limit";
}

TEST(InlineClassifier, AZeroLimitTurnsTheInlinePathOff) {
  TestClock clock;
  InlineTiming t = clock.timing();
  t.max_time = std::chrono::nanoseconds::zero();
  InlineClassifier c(t);
  c.ran_on_worker("SELECT 1", 1, c.start());
  EXPECT_FALSE(c.contains("SELECT 1"));
}

TEST(InlineClassifier, KeepsAtMostItsCapacity) {
  TestClock clock;
  InlineClassifier c(clock.timing());
  for (std::size_t i = 0; i < InlineClassifier::kCapacity + 10; ++i) c.ran_on_worker(std::to_string(i), 1, c.start());
  EXPECT_TRUE(c.contains("0"));
  EXPECT_TRUE(c.contains(std::to_string(InlineClassifier::kCapacity - 1)));
  EXPECT_FALSE(c.contains(std::to_string(InlineClassifier::kCapacity)));
}

// --- the engine's inline path ---

TEST(LocalEngineInline, OnlyReadsSeenFastOnAWorkerRunInline) {
  libsql::test::TempDb tmp;
  TestClock clock;
  auto db = open_local(tmp.url(), clock);
  db.execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
                    "INSERT INTO t SELECT i, 'v' || i FROM n;");
  Statement point{"SELECT v FROM t WHERE id = ?", {Value(std::int64_t{7})}};
  libsql::ResultSet rs;
  EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(db, point, rs)) << "never seen: it goes to a worker first";
  db.execute(point);
  ASSERT_TRUE(libsql::detail::FastPath::try_execute_inline(db, point, rs));
  EXPECT_EQ(rs.rows.at(0).at(0), Value("v7"));
  // It sees committed writes at once.
  db.execute("UPDATE t SET v = 'new' WHERE id = 7");
  ASSERT_TRUE(libsql::detail::FastPath::try_execute_inline(db, point, rs));
  EXPECT_EQ(rs.rows.at(0).at(0), Value("new"));

  // Many rows: a worker runs it and never marks it fast.
  Statement many{"SELECT v FROM t WHERE id > ?", {Value(std::int64_t{0})}};
  EXPECT_EQ(db.execute(many).rows.size(), 500u);
  EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(db, many, rs));
  // Writes on a file never run inline (the writer's, and they fsync).
  Statement write{"UPDATE t SET v = v WHERE id = 1"};
  db.execute(write);
  EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(db, write, rs));

  // Slow inline every time: it goes back to the workers, which re-measure it.
  clock.slow();
  for (int i = 0; i < InlineTiming::kSlowInlineStrikes; ++i) {
    ASSERT_TRUE(libsql::detail::FastPath::try_execute_inline(db, point, rs)) << "still marked fast: it runs, and is found slow";
  }
  EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(db, point, rs));
  db.execute(point);
  EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(db, point, rs)) << "slow on the worker too";
  clock.fast();
  db.execute(point);
  EXPECT_TRUE(libsql::detail::FastPath::try_execute_inline(db, point, rs)) << "fast again";
  db.close();
  EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(db, point, rs)) << "closed";
}

TEST(LocalEngineInline, AReadMarkedFastThatGrewLargeGoesBackToTheWorkers) {
  libsql::test::TempDb tmp;
  TestClock clock;
  auto db = open_local(tmp.url(), clock);
  db.execute("CREATE TABLE t (x)");
  Statement all{"SELECT x FROM t"};
  db.execute(all);  // no rows yet: fast
  libsql::ResultSet rs;
  ASSERT_TRUE(libsql::detail::FastPath::try_execute_inline(db, all, rs));
  db.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) INSERT INTO t SELECT i FROM n");
  EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(db, all, rs)) << "past the row limit: nothing returned inline";
  EXPECT_EQ(db.execute(all).rows.size(), 100u) << "the worker returns all of it";
  EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(db, all, rs)) << "and does not mark it fast again";
}

TEST(LocalEngineInline, TheLimitIsConfigurableAndZeroTurnsTheInlinePathOff) {
  libsql::test::TempDb tmp;
  TestClock clock;
  libsql::Config off;
  off.inline_max_time = std::chrono::microseconds(0);
  for (const std::string& url : {tmp.url(), std::string(":memory:")}) {
    SCOPED_TRACE(url);
    auto db = open_local(url, clock, off);
    db.execute("CREATE TABLE IF NOT EXISTS t (x)");
    Statement read{"SELECT count(*) FROM t"};
    libsql::ResultSet rs;
    for (int i = 0; i < 3; ++i) db.execute(read);
    EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(db, read, rs));
    db.close();
  }
  // Through Client::open (the steady clock): an hour is more than any point read takes.
  libsql::Config hour;
  hour.url = ":memory:";
  hour.inline_max_time = std::chrono::hours(1);
  auto db = Client::open(hour);
  db.execute("CREATE TABLE t (x)");
  Statement read{"SELECT count(*) FROM t"};
  db.execute(read);
  libsql::ResultSet rs;
  EXPECT_TRUE(libsql::detail::FastPath::try_execute_inline(db, read, rs));
}

TEST(LocalEngineInline, MemoryDatabasesRunFastReadsInlineOnlyBetweenTasks) {
  TestClock clock;
  auto db = open_local(":memory:", clock);
  db.execute("CREATE TABLE m (x)");
  db.execute("INSERT INTO m VALUES (1)");
  Statement s{"SELECT count(*) FROM m"};
  libsql::ResultSet rs;
  db.execute(s);
  // The completion of the blocking call arrives once the worker has let go of the connection:
  // the very next call finds it free.
  ASSERT_TRUE(libsql::detail::FastPath::try_execute_inline(db, s, rs));
  EXPECT_EQ(int_of(rs), 1);
  // While a transaction holds the one connection, nothing runs inline (it would see the
  // transaction's uncommitted rows).
  auto tx = db.transaction(TransactionMode::Write);
  tx.execute("INSERT INTO m VALUES (2)");
  EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(db, s, rs));
  tx.rollback();
  ASSERT_TRUE(libsql::detail::FastPath::try_execute_inline(db, s, rs)) << "free again once the transaction has ended";
  EXPECT_EQ(int_of(rs), 1);
  db.close();
  EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(db, s, rs)) << "closed";
}

TEST(LocalEngineInline, MemoryDatabasesRunFastWritesInlineOnceInCallOrder) {
  TestClock clock;
  auto db = open_local(":memory:", clock);
  db.execute("CREATE TABLE m (id INTEGER PRIMARY KEY, v TEXT UNIQUE)");
  auto insert = [](const std::string& v) {
    return Statement{"INSERT INTO m (v) VALUES (?) RETURNING id", {Value(v)}};
  };
  libsql::ResultSet rs;
  EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(db, insert("v1"), rs)) << "never seen: it goes to the worker first";
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM m")), 0) << "and nothing ran";
  db.execute(insert("v1"));
  ASSERT_TRUE(libsql::detail::FastPath::try_execute_inline(db, insert("v2"), rs));
  // It ran, once: its row is there and RETURNING gave its id.
  const std::int64_t id = int_of(rs);
  EXPECT_EQ(rs.last_insert_rowid, id);
  EXPECT_EQ(rs.rows_affected, 1);
  EXPECT_EQ(int_of(db.execute(Statement{"SELECT count(*) FROM m WHERE v = 'v2' AND id = ?", {Value(id)}})), 1);
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM m")), 2);

  // Its error is the caller's (a write is not run twice): a UNIQUE violation, nothing inserted.
  try {
    libsql::detail::FastPath::try_execute_inline(db, insert("v1"), rs);
    ADD_FAILURE() << "expected the UNIQUE violation from the inline run";
  } catch (const Error& e) {
    EXPECT_EQ(e.extended_code(), SQLITE_CONSTRAINT_UNIQUE) << e.what();
  }
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM m")), 2);
  ASSERT_TRUE(libsql::detail::FastPath::try_execute_inline(db, insert("v3"), rs)) << "the failure did not change what is fast";

  // A call made earlier and still queued is never overtaken: the worker is held inside the
  // completion of one call, so the next one (an insert) stays queued; the inline path declines
  // until it has run, and then runs after it.
  Blocker blocker;
  db.execute_async(Statement{"SELECT 1"}, blocker.callback<libsql::ResultSet>());
  blocker.wait_started();
  std::promise<std::int64_t> queued_id;
  db.execute_async(insert("queued"), [&](libsql::Outcome<libsql::ResultSet> o) {
    queued_id.set_value(std::holds_alternative<libsql::ResultSet>(o) ? int_of(std::get<libsql::ResultSet>(o)) : -1);
  });
  EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(db, insert("v4"), rs)) << "an inline write would overtake the queued one";
  blocker.release();
  const std::int64_t queued = queued_id.get_future().get();
  EXPECT_TRUE(blocker.ok());
  ASSERT_GT(queued, 0);
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM m WHERE v = 'v4'")), 0) << "declined: nothing ran";
  ASSERT_TRUE(libsql::detail::FastPath::try_execute_inline(db, insert("v4"), rs));
  EXPECT_GT(int_of(rs), queued) << "it ran after the call made before it";
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM m")), 5);
}

TEST(LocalEngineInline, MemoryWritesFoundSlowGoBackToTheWorker) {
  TestClock clock;
  auto db = open_local(":memory:", clock);
  db.execute("CREATE TABLE m (v)");
  Statement insert{"INSERT INTO m VALUES (1)"};
  db.execute(insert);
  libsql::ResultSet rs;
  clock.slow();
  for (int i = 0; i < InlineTiming::kSlowInlineStrikes; ++i) {
    ASSERT_TRUE(libsql::detail::FastPath::try_execute_inline(db, insert, rs)) << "still marked fast: it runs, and is found slow";
  }
  EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(db, insert, rs)) << "from now on the worker runs it";
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM m")), 1 + InlineTiming::kSlowInlineStrikes) << "each ran exactly once";
}

TEST(LocalEngineInline, MemoryTransactionsCommitAndRollBackInlineBetweenTheirCalls) {
  TestClock clock;
  auto db = open_local(":memory:", clock);
  db.execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER);"
                    "INSERT INTO t VALUES (1, 0);");
  Statement read{"SELECT v FROM t WHERE id = 1"};
  Statement bump{"UPDATE t SET v = v + 1 WHERE id = 1"};
  libsql::Outcome<libsql::Done> done = libsql::Done{};

  auto tx = db.transaction(TransactionMode::Write);
  tx.execute(bump);
  ASSERT_TRUE(libsql::detail::FastPath::try_finish_inline(tx, true, done)) << "nothing queued: commit runs here";
  EXPECT_TRUE(std::holds_alternative<libsql::Done>(done));
  EXPECT_FALSE(tx.active());
  EXPECT_FALSE(libsql::detail::FastPath::try_finish_inline(tx, true, done)) << "ended";
  EXPECT_EQ(int_of(db.execute(read)), 1) << "committed; the connection was handed back";

  // A call still queued is never overtaken by the commit.
  auto tx2 = db.transaction(TransactionMode::Write);
  Blocker blocker;
  tx2.execute_async(read, blocker.callback<libsql::ResultSet>());
  blocker.wait_started();
  std::promise<void> bumped;
  tx2.execute_async(bump, [&](libsql::Outcome<libsql::ResultSet>) { bumped.set_value(); });
  EXPECT_FALSE(libsql::detail::FastPath::try_finish_inline(tx2, false, done)) << "the queued update must run first";
  blocker.release();
  bumped.get_future().get();
  ASSERT_TRUE(libsql::detail::FastPath::try_finish_inline(tx2, false, done));
  EXPECT_TRUE(std::holds_alternative<libsql::Done>(done));
  EXPECT_FALSE(tx2.active());
  EXPECT_EQ(int_of(db.execute(read)), 1) << "rolled back";
  EXPECT_THROW(tx2.execute(bump), libsql::Error) << "ended";

  // A COMMIT that fails (a deferred foreign key) leaves the transaction open, as on the worker.
  db.execute_script("CREATE TABLE p (id INTEGER PRIMARY KEY);"
                    "CREATE TABLE c (p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED);");
  auto tx3 = db.transaction(TransactionMode::Write);
  tx3.execute(Statement("INSERT INTO c VALUES (7)"));
  ASSERT_TRUE(libsql::detail::FastPath::try_finish_inline(tx3, true, done));
  EXPECT_TRUE(std::holds_alternative<libsql::Error>(done)) << "FOREIGN KEY constraint failed";
  EXPECT_TRUE(tx3.active());
  tx3.execute(Statement("INSERT INTO p VALUES (7)"));
  ASSERT_TRUE(libsql::detail::FastPath::try_finish_inline(tx3, true, done));
  EXPECT_TRUE(std::holds_alternative<libsql::Done>(done));
  EXPECT_EQ(int_of(db.execute(Statement("SELECT count(*) FROM c"))), 1);
}

TEST(LocalEngineInline, AFileTransactionNeverCommitsInline) {
  libsql::test::TempDb tmp;
  TestClock clock;
  auto db = open_local(tmp.url(), clock);
  db.execute_script("CREATE TABLE t (v INTEGER)");
  auto tx = db.transaction(TransactionMode::Write);
  tx.execute(Statement("INSERT INTO t VALUES (1)"));
  libsql::Outcome<libsql::Done> done = libsql::Done{};
  EXPECT_FALSE(libsql::detail::FastPath::try_finish_inline(tx, true, done)) << "COMMIT fsyncs: the worker's";
  EXPECT_FALSE(libsql::detail::FastPath::try_finish_inline(tx, false, done));
  EXPECT_TRUE(tx.active());
  tx.commit();
  EXPECT_EQ(int_of(db.execute(Statement("SELECT count(*) FROM t"))), 1);
}

TEST(LocalEngineInline, TransactionStatementsRunInlineBetweenTheTransactionsCalls) {
  libsql::test::TempDb tmp;
  TestClock clock;
  auto db = open_local(tmp.url(), clock);
  db.execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER);"
                    "INSERT INTO t VALUES (1, 0), (2, 0);");
  Statement read{"SELECT v FROM t WHERE id = ?", {Value(std::int64_t{1})}};
  Statement bump{"UPDATE t SET v = v + 1 WHERE id = ? RETURNING v", {Value(std::int64_t{1})}};
  libsql::ResultSet rs;
  auto tx = db.transaction(TransactionMode::Deferred);
  EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(tx, read, rs)) << "never seen: it goes to the worker first";
  EXPECT_EQ(int_of(tx.execute(read)), 0);
  ASSERT_TRUE(libsql::detail::FastPath::try_execute_inline(tx, read, rs));
  EXPECT_EQ(int_of(rs), 0);
  EXPECT_EQ(int_of(tx.execute(bump)), 1);
  ASSERT_TRUE(libsql::detail::FastPath::try_execute_inline(tx, bump, rs));
  EXPECT_EQ(int_of(rs), 2) << "the inline update ran once, in the transaction";
  ASSERT_TRUE(libsql::detail::FastPath::try_execute_inline(tx, read, rs));
  EXPECT_EQ(int_of(rs), 2) << "reads inside the transaction see its writes";
  EXPECT_EQ(int_of(db.execute(read)), 0) << "nobody else sees them before commit";
  tx.commit();
  EXPECT_EQ(int_of(db.execute(read)), 2);
  EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(tx, read, rs)) << "ended";

  // A later transaction: a call still queued is never overtaken.
  auto tx2 = db.transaction(TransactionMode::Deferred);
  EXPECT_EQ(int_of(tx2.execute(read)), 2);
  ASSERT_TRUE(libsql::detail::FastPath::try_execute_inline(tx2, read, rs)) << "statements seen fast in one transaction are fast in the next";
  Blocker blocker;
  tx2.execute_async(read, blocker.callback<libsql::ResultSet>());
  blocker.wait_started();
  std::promise<void> bumped;
  tx2.execute_async(bump, [&](libsql::Outcome<libsql::ResultSet>) { bumped.set_value(); });
  EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(tx2, read, rs)) << "the queued update must run first";
  blocker.release();
  bumped.get_future().get();
  ASSERT_TRUE(libsql::detail::FastPath::try_execute_inline(tx2, read, rs));
  EXPECT_EQ(int_of(rs), 3) << "it sees the update queued before it";
  tx2.rollback();
  EXPECT_EQ(int_of(db.execute(read)), 2);
}

TEST(LocalEngineInline, TransactionControlIsNeverMarkedFast) {
  TestClock clock;
  for (const std::string& url : {std::string(":memory:"), std::string("file")}) {
    SCOPED_TRACE(url);
    libsql::test::TempDb tmp;
    auto db = open_local(url == "file" ? tmp.url() : url, clock);
    db.execute("CREATE TABLE t (x)");
    auto tx = db.transaction(TransactionMode::Write);
    tx.execute("SAVEPOINT s");
    tx.execute("RELEASE s");
    libsql::ResultSet rs;
    EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(tx, Statement{"SAVEPOINT s"}, rs));
    tx.rollback();
    Statement begin{"BEGIN"};
    try {
      db.execute(begin);
    } catch (const Error&) {
      // refused (TRANSACTION_CONTROL): a BEGIN outside transaction() must not stay open
    }
    EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(db, begin, rs));
  }
}

TEST(LocalEngineInline, TheFirstWriteOfATransactionNeverWaitsInlineForALockHeldElsewhere) {
  libsql::test::TempDb tmp;
  TestClock clock;
  // A busy timeout far beyond anything else here: had the inline run waited for the lock, it
  // would have returned only after it (the holder below is this very thread).
  const auto busy_timeout = std::chrono::milliseconds(60'000);
  libsql::Config config;
  config.busy_timeout = busy_timeout;
  auto db = open_local(tmp.url(), clock, config);
  auto other = Client::open({.url = tmp.url()});
  db.execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 0);");
  Statement bump{"UPDATE t SET v = v + 1 WHERE id = 1"};
  libsql::ResultSet rs;
  {
    // Seen fast as a transaction's first write.
    auto tx = db.transaction(TransactionMode::Deferred);
    tx.execute(bump);
    tx.commit();
  }
  {
    auto tx = db.transaction(TransactionMode::Deferred);
    ASSERT_TRUE(libsql::detail::FastPath::try_execute_inline(tx, bump, rs)) << "the lock is free: it runs inline";
    tx.commit();
  }
  const std::int64_t before = int_of(db.execute("SELECT v FROM t"));
  EXPECT_EQ(before, 2);
  auto holder = other.transaction(TransactionMode::Write);  // holds the write lock
  auto tx = db.transaction(TransactionMode::Deferred);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(libsql::detail::FastPath::try_execute_inline(tx, bump, rs)) << "the lock is taken: nothing ran";
  EXPECT_LT(std::chrono::steady_clock::now() - start, busy_timeout) << "it did not wait for the lock";
  EXPECT_TRUE(tx.active()) << "the transaction is still usable";
  // The worker waits for the lock (within the busy timeout) and runs it once.
  std::promise<bool> done;
  tx.execute_async(bump, [&](libsql::Outcome<libsql::ResultSet> o) { done.set_value(std::holds_alternative<libsql::ResultSet>(o)); });
  holder.rollback();
  EXPECT_TRUE(done.get_future().get());
  tx.commit();
  EXPECT_EQ(int_of(db.execute("SELECT v FROM t")), before + 1);
}

TEST(LocalEngineInline, AnInlineStatementThatRollsTheTransactionBackEndsIt) {
  TestClock clock;
  for (const char* url : {":memory:", "file"}) {
    SCOPED_TRACE(url);
    libsql::test::TempDb tmp;
    auto db = open_local(std::string(url) == "file" ? tmp.url() : std::string(url), clock);
    db.execute_script(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER);"
        "CREATE TRIGGER no_negative BEFORE INSERT ON t WHEN NEW.v < 0 BEGIN SELECT RAISE(ROLLBACK, 'negative'); END;");
    auto tx = db.transaction(TransactionMode::Write);
    auto insert = [&](std::int64_t x) { return Statement{"INSERT INTO t (v) VALUES (?)", {Value(x)}}; };
    libsql::ResultSet rs;
    tx.execute(insert(1));
    ASSERT_TRUE(libsql::detail::FastPath::try_execute_inline(tx, insert(2), rs));
    try {
      libsql::detail::FastPath::try_execute_inline(tx, insert(-1), rs);
      ADD_FAILURE() << "expected the trigger's RAISE(ROLLBACK)";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("negative"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(tx.active());
    try {
      tx.commit();
      ADD_FAILURE() << "expected TRANSACTION_CLOSED";
    } catch (const Error& e) {
      EXPECT_EQ(e.code_name(), "TRANSACTION_CLOSED");
    }
    // The connection went back to the engine: other calls run, nothing of the transaction stayed.
    EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM t")), 0);
    db.execute("INSERT INTO t (v) VALUES (5)");
    EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM t")), 1);
  }
}

}  // namespace
