// Spin::wait_nonzero: the wait-awake loop of the engine's workers and of the Node binding's JS
// thread. Its outcome is asserted, never its timing: windows are either zero (nothing to wait
// for) or an hour (the answer must come from the counter, long before the window ends).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/spin.hpp"

using libsql::detail::Spin;

namespace {

TEST(Spin, ReturnsAtOnceWhenTheCountIsAlreadyNonZero) {
  std::atomic<std::size_t> count{3};
  EXPECT_TRUE(Spin::wait_nonzero(count, std::chrono::hours(1)));
  EXPECT_TRUE(Spin::wait_nonzero(count, std::chrono::nanoseconds::zero()));
}

TEST(Spin, GivesUpWhenTheWindowIsOverAndNothingCame) {
  std::atomic<std::size_t> count{0};
  EXPECT_FALSE(Spin::wait_nonzero(count, std::chrono::nanoseconds::zero()));
  EXPECT_FALSE(Spin::wait_nonzero(count, std::chrono::microseconds(1)));
}

TEST(Spin, WakesWhenAnotherThreadMakesTheCountNonZero) {
  for (int round = 0; round < 20; ++round) {
    std::atomic<std::size_t> count{0};
    std::atomic<bool> waiting{false};
    std::thread producer([&] {
      while (!waiting.load()) std::this_thread::yield();
      count.store(1, std::memory_order_release);
    });
    waiting.store(true);
    EXPECT_TRUE(Spin::wait_nonzero(count, std::chrono::hours(1))) << round;
    producer.join();
  }
}

}  // namespace
