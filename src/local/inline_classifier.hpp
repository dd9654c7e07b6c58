#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_set>
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
  /// An inline run may take this many times the limit before its statement goes back to the
  /// workers (one slow run on the caller's thread is tolerated; a habit is not).
  static constexpr int kInlineSlack = 4;

  Clock clock{};  ///< empty: std::chrono::steady_clock::now
  std::chrono::nanoseconds max_time{kDefaultMaxTime};

  [[nodiscard]] std::chrono::steady_clock::time_point now() const {
    return clock ? clock() : std::chrono::steady_clock::now();
  }
};

/// The statements (by SQL text) seen to run fast on a worker: the ones the inline path may
/// run on the caller's thread (docs/architecture.md, "The inline path"). A worker run that was
/// fast adds its statement; an inline run that was not removes it. Thread-safe.
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
    if (set_.size() < kCapacity) set_.insert(sql);
  }
  /// After an inline run (`rows` beyond kMaxRows: it gave up): forgotten when it was not fast.
  void ran_inline(const std::string& sql, std::size_t rows, TimePoint started) {
    if (rows <= InlineTiming::kMaxRows &&
        timing_.now() - started <= InlineTiming::kInlineSlack * timing_.max_time) {
      return;
    }
    forget(sql);
  }
  /// From now on `sql` goes to the workers (until a worker sees it fast again).
  void forget(const std::string& sql) {
    std::lock_guard<std::mutex> lock(mu_);
    set_.erase(sql);
  }

 private:
  InlineTiming timing_;
  std::mutex mu_;
  std::unordered_set<std::string> set_;
};

}  // namespace libsql::detail
