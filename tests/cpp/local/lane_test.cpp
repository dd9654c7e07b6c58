// Lane and LaneQueue (local/lane.hpp): FIFO order, stop() semantics, one connection per thread.
// Synchronised with promises and latches only: nothing here depends on timing.
#include <gtest/gtest.h>

#include <future>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "libsql/config.hpp"
#include "local/connection.hpp"
#include "local/lane.hpp"

using libsql::detail::Connection;
using libsql::detail::ConnectionRole;
using libsql::detail::Lane;
using libsql::detail::LaneQueue;
using libsql::detail::LaneTask;

namespace {

std::vector<std::unique_ptr<Connection>> connections(int n, std::vector<Connection*>& raw) {
  std::vector<std::unique_ptr<Connection>> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(Connection::open(":memory:", ConnectionRole::Memory, libsql::Config{}));
    raw.push_back(out.back().get());
  }
  return out;
}

TEST(Lane, OneConnectionRunsTasksInPostOrder) {
  std::vector<Connection*> raw;
  Lane lane(connections(1, raw));
  constexpr int kTasks = 200;
  std::vector<int> order;  // touched only by the lane's single thread until `done`
  std::vector<Connection*> seen;
  std::promise<void> done;
  for (int i = 0; i < kTasks; ++i) {
    lane.post([&, i](Connection* c) {
      order.push_back(i);
      seen.push_back(c);
      if (i == kTasks - 1) done.set_value();
    });
  }
  done.get_future().wait();
  ASSERT_EQ(order.size(), static_cast<std::size_t>(kTasks));
  for (int i = 0; i < kTasks; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
  for (Connection* c : seen) EXPECT_EQ(c, raw[0]);
  lane.stop();
}

TEST(Lane, TasksGetAWorkingConnection) {
  std::vector<Connection*> raw;
  Lane lane(connections(1, raw));
  std::promise<std::int64_t> result;
  lane.post([&](Connection* c) {
    if (c == nullptr) {
      result.set_value(-1);
      return;
    }
    auto rs = c->execute(libsql::Statement("SELECT 40 + 2"));
    result.set_value(std::get<std::int64_t>(rs.rows.at(0).at(0)));
  });
  EXPECT_EQ(result.get_future().get(), 42);
  lane.stop();  // joins the thread before the promise goes away
}

TEST(Lane, StopRunsQueuedTasksWithNullptrAndLetsTheRunningOneFinish) {
  std::vector<Connection*> raw;
  Lane lane(connections(1, raw));
  std::promise<void> started, release;
  std::shared_future<void> release_f = release.get_future().share();
  std::promise<Connection*> running_conn;
  lane.post([&](Connection* c) {
    started.set_value();
    release_f.wait();  // holds the lane's only thread until the queued tasks are cancelled
    running_conn.set_value(c);
  });
  started.get_future().wait();

  constexpr int kQueued = 5;
  std::vector<std::promise<Connection*>> got(kQueued);
  std::vector<int> cancel_order;  // written by the stopping thread only
  for (int i = 0; i < kQueued; ++i) {
    lane.post([&, i](Connection* c) {
      cancel_order.push_back(i);
      got[static_cast<std::size_t>(i)].set_value(c);
    });
  }

  std::thread stopper([&] { lane.stop(); });
  // The queued tasks are cancelled while the running one still holds the thread.
  for (auto& p : got) EXPECT_EQ(p.get_future().get(), nullptr);
  release.set_value();
  stopper.join();
  EXPECT_EQ(running_conn.get_future().get(), raw[0]);  // the running task finished normally
  ASSERT_EQ(cancel_order.size(), static_cast<std::size_t>(kQueued));
  for (int i = 0; i < kQueued; ++i) EXPECT_EQ(cancel_order[static_cast<std::size_t>(i)], i);
}

TEST(Lane, PostAfterStopRunsAtOnceOnTheCallerWithNullptr) {
  std::vector<Connection*> raw;
  Lane lane(connections(2, raw));
  lane.stop();
  bool ran = false;
  Connection* seen = raw[0];
  std::thread::id where;
  lane.post([&](Connection* c) {
    ran = true;
    seen = c;
    where = std::this_thread::get_id();
  });
  EXPECT_TRUE(ran);  // before post() returned
  EXPECT_EQ(seen, nullptr);
  EXPECT_EQ(where, std::this_thread::get_id());
  lane.stop();  // a second stop is harmless
}

TEST(Lane, QueueOutlivesTheLane) {
  std::shared_ptr<LaneQueue> queue;
  {
    std::vector<Connection*> raw;
    Lane lane(connections(1, raw));
    queue = lane.queue();
  }
  bool ran = false;
  Connection* seen = reinterpret_cast<Connection*>(&ran);
  queue->post([&](Connection* c) {
    ran = true;
    seen = c;
  });
  EXPECT_TRUE(ran);
  EXPECT_EQ(seen, nullptr);
}

TEST(Lane, EachThreadOwnsOneConnection) {
  constexpr int kThreads = 3;
  std::vector<Connection*> raw;
  Lane lane(connections(kThreads, raw));

  // kThreads tasks that wait for each other: they can only all finish if each runs on its own
  // thread at the same time.
  std::latch together(kThreads);
  std::mutex mu;
  std::map<std::thread::id, std::set<Connection*>> by_thread;
  std::promise<void> all_done;
  int finished = 0;
  auto record = [&](Connection* c) {
    std::lock_guard<std::mutex> lock(mu);
    by_thread[std::this_thread::get_id()].insert(c);
  };
  for (int i = 0; i < kThreads; ++i) {
    lane.post([&](Connection* c) {
      record(c);
      together.arrive_and_wait();
      std::lock_guard<std::mutex> lock(mu);
      if (++finished == kThreads) all_done.set_value();
    });
  }
  all_done.get_future().wait();
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_EQ(by_thread.size(), static_cast<std::size_t>(kThreads));
  }

  // Many more tasks: whichever thread runs a task, it always passes its own connection.
  constexpr int kMore = 300;
  std::latch more(kMore);
  for (int i = 0; i < kMore; ++i) {
    lane.post([&](Connection* c) {
      record(c);
      more.count_down();
    });
  }
  more.wait();
  lane.stop();

  std::set<Connection*> all;
  ASSERT_EQ(by_thread.size(), static_cast<std::size_t>(kThreads));  // no new threads appeared
  for (const auto& [id, conns] : by_thread) {
    EXPECT_EQ(conns.size(), 1u) << "a thread used more than one connection";
    all.insert(conns.begin(), conns.end());
  }
  EXPECT_EQ(all, std::set<Connection*>(raw.begin(), raw.end()));
}

TEST(Lane, StopFromInsideATaskDoesNotDeadlock) {
  std::vector<Connection*> raw;
  auto lane = std::make_unique<Lane>(connections(1, raw));
  // Shared: the detached thread may still be leaving set_value() when the test ends.
  auto stopped = std::make_shared<std::promise<void>>();
  std::future<void> stopped_f = stopped->get_future();
  std::promise<Connection*> late;
  Lane* l = lane.get();
  lane->post([l, stopped](Connection*) {
    l->stop();  // from the lane's own thread: it detaches itself
    stopped->set_value();
  });
  stopped_f.wait();
  // The lane is stopped: a post now runs at once with nullptr.
  lane->post([&](Connection* c) { late.set_value(c); });
  EXPECT_EQ(late.get_future().get(), nullptr);
  lane.reset();  // the destructor's stop() is harmless too
}

TEST(LaneQueue, StopReturnsPendingTasksInOrderAndTakeThenReturnsEmpty) {
  LaneQueue queue;
  std::vector<int> ran;
  for (int i = 0; i < 4; ++i) queue.post([&ran, i](Connection*) { ran.push_back(i); });
  LaneTask first = queue.take();
  ASSERT_TRUE(first);
  first(nullptr);
  auto pending = queue.stop();
  ASSERT_EQ(pending.size(), 3u);
  for (auto& t : pending) t(nullptr);
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_FALSE(queue.take());  // stopped and empty: no blocking
  EXPECT_TRUE(queue.stop().empty());
  bool now = false;
  queue.post([&](Connection* c) { now = (c == nullptr); });
  EXPECT_TRUE(now);
}

TEST(LaneQueue, TakeWakesUpForAPostFromAnotherThread) {
  LaneQueue queue;
  std::promise<int> got;
  std::thread taker([&] {
    LaneTask t = queue.take();
    got.set_value(t ? 1 : 0);
    if (t) t(nullptr);
  });
  std::promise<void> ran;
  queue.post([&](Connection*) { ran.set_value(); });
  EXPECT_EQ(got.get_future().get(), 1);
  ran.get_future().wait();
  taker.join();
}

TEST(LaneQueue, StopWakesABlockedTake) {
  LaneQueue queue;
  std::promise<bool> got;
  std::thread taker([&] { got.set_value(static_cast<bool>(queue.take())); });
  (void)queue.stop();
  EXPECT_FALSE(got.get_future().get());
  taker.join();
}

}  // namespace
