#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace libsql::detail {

/// What "fast" means for the inline path, and the clock it is measured with. The engine uses
/// the steady clock and the limit below; tests inject a clock they control, so what they
/// assert (runs inline, in call order, once) does not depend on the machine's speed.
struct InlineTiming {
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
#ifdef LIBSQL_INLINE_MAX_US
  static constexpr std::chrono::microseconds kDefaultMaxTime{LIBSQL_INLINE_MAX_US};  // sanitizers
#else
  static constexpr std::chrono::microseconds kDefaultMaxTime{60};
#endif
  /// Results with more rows than this never run inline (materialising them is the slow part).
  static constexpr std::size_t kMaxRows = 64;
  /// An inline run may take this many times the limit before it counts as slow.
  static constexpr int kInlineSlack = 4;
  /// Slow inline runs in a row before the statement goes back to the workers. On a busy
  /// machine the caller's thread is often preempted in the middle of a fast statement; one
  /// slow run is then no sign of a slow statement, and sending it back to the workers costs a
  /// thread hop per call until a worker sees it fast again (bench/profile/inline-count.mjs,
  /// Prisma level, include 1:n on a file, load average ~10: 23 % of its 10-row reads went to
  /// the workers with one strike). A statement that is slow every time is still forgotten
  /// after this many runs; one that gives up past kMaxRows is forgotten at once.
  static constexpr int kSlowInlineStrikes = 3;

  Clock clock{};  ///< empty: std::chrono::steady_clock::now
  std::chrono::nanoseconds max_time{kDefaultMaxTime};

  [[nodiscard]] std::chrono::steady_clock::time_point now() const {
    return clock ? clock() : std::chrono::steady_clock::now();
  }
};

/// The statements (by SQL text) seen to run fast on a worker: the ones the inline path may
/// run on the caller's thread (docs/architecture.md, "The inline path"). A worker run that was
/// fast adds its statement; kSlowInlineStrikes slow inline runs in a row (or one past
/// kMaxRows) remove it. Thread-safe.
class InlineClassifier {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  static constexpr std::size_t kCapacity = 4096;

  explicit InlineClassifier(InlineTiming timing = {}) : timing_(std::move(timing)) {}

  /// Starts a measurement.
  [[nodiscard]] TimePoint start() const { return timing_.now(); }

  [[nodiscard]] bool contains(const std::string& sql) {
    std::lock_guard<std::mutex> lock(mu_);
    return set_.count(sql) != 0;
  }
  /// After a worker ran `sql` (eligible: not transaction control, and whatever else the
  /// caller requires): remembered when it was fast.
  void ran_on_worker(const std::string& sql, std::size_t rows, TimePoint started) {
    if (timing_.max_time <= std::chrono::nanoseconds::zero()) return;  // the inline path is off
    if (rows > InlineTiming::kMaxRows || timing_.now() - started > timing_.max_time) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (set_.size() < kCapacity) set_.try_emplace(sql, 0);
  }
  /// After an inline run (`rows` beyond kMaxRows: it gave up): forgotten when it gave up, or
  /// when it was the kSlowInlineStrikes-th slow run in a row.
  void ran_inline(const std::string& sql, std::size_t rows, TimePoint started) {
    if (rows > InlineTiming::kMaxRows) return forget(sql);
    if (timing_.now() - started <= InlineTiming::kInlineSlack * timing_.max_time) {
      // Fast: clears the statement's strikes (the lookup only while some statement has any).
      if (struck_.load(std::memory_order_relaxed) == 0) return;
      std::lock_guard<std::mutex> lock(mu_);
      auto it = set_.find(sql);
      if (it != set_.end() && it->second != 0) {
        it->second = 0;
        struck_.fetch_sub(1, std::memory_order_relaxed);
      }
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto it = set_.find(sql);
    if (it == set_.end()) return;
    if (it->second == 0) struck_.fetch_add(1, std::memory_order_relaxed);
    if (++it->second >= InlineTiming::kSlowInlineStrikes) erase(it);
  }
  /// From now on `sql` goes to the workers (until a worker sees it fast again).
  void forget(const std::string& sql) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = set_.find(sql);
    if (it != set_.end()) erase(it);
  }

 private:
  using Map = std::unordered_map<std::string, std::uint8_t>;  // SQL -> slow inline runs in a row
  void erase(Map::iterator it) {
    if (it->second != 0) struck_.fetch_sub(1, std::memory_order_relaxed);
    set_.erase(it);
  }

  InlineTiming timing_;
  std::mutex mu_;
  Map set_;
  std::atomic<std::size_t> struck_{0};  // statements in set_ with strikes
};

}  // namespace libsql::detail
