#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>

#include <sched.h>

namespace libsql::detail {

/// How a worker waits for its next task before it sleeps on its condition variable
/// (docs/architecture.md, "Waiting awake"): waking a sleeping thread costs 30-100 µs on these
/// machines, more than a statement, and Prisma runs 50-500 µs of its own JavaScript between
/// two calls of one operation. So a worker that just finished a task stays awake for up to
/// kWindow, checking its queue and yielding the CPU every few microseconds (a waiting worker
/// does not hold a core that a thread with work needs). Measured with bench/bench.mjs,
/// Prisma level, `:memory:` (50 µs without yielding → 500 µs yielding): insert p50
/// 258 → 180 µs, interactive transaction of 5 statements 1.65 → 1.07 ms. The Node binding's
/// JS thread waits the same way (with its own window) before its event loop would sleep.
struct Spin {
  static constexpr std::chrono::microseconds kWindow{500};

  /// Returns once `count` is non-zero (true) or `window` has passed (false).
  static bool wait_nonzero(const std::atomic<std::size_t>& count,
                           std::chrono::steady_clock::duration window = kWindow) {
    if (count.load(std::memory_order_acquire) != 0) return true;
    const auto until = std::chrono::steady_clock::now() + window;
    for (unsigned i = 1; count.load(std::memory_order_acquire) == 0; ++i) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      if ((i & 31) == 0) {
        if (std::chrono::steady_clock::now() >= until) return false;
        sched_yield();
      }
    }
    return true;
  }
};

}  // namespace libsql::detail
