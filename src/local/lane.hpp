#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "local/connection.hpp"

namespace libsql::detail {

/// A task for a lane. Called with the worker's connection, or with nullptr when the
/// engine closed before the task ran. Must not throw.
using LaneTask = std::function<void(Connection*)>;

/// The queue of a lane. Shared by the lane's threads and by anyone who posts to it, so
/// a task that outlives the engine object (re-routed from a reader, say) stays safe.
class LaneQueue {
 public:

  /// Queues a task; when the lane has stopped, runs task(nullptr) at once instead.
  void post(LaneTask task);
  /// Blocks until a task is available (returns it) or the lane stops (returns empty).
  LaneTask take();
  /// Marks the lane stopped and returns the tasks that never ran.
  std::deque<LaneTask> stop();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<LaneTask> tasks_;
  bool stopping_ = false;
  std::atomic<std::size_t> size_{0};  // tasks_.size(), readable without the lock (spinning)
  std::atomic<bool> spinning_{false};  // a thread of the lane is waiting awake
};

/// Worker threads, each owning one connection, serving one FIFO queue.
class Lane {
 public:
  explicit Lane(std::vector<std::unique_ptr<Connection>> connections);
  Lane(const Lane&) = delete;
  Lane& operator=(const Lane&) = delete;
  ~Lane();

  void post(LaneTask task) { queue_->post(std::move(task)); }
  [[nodiscard]] const std::shared_ptr<LaneQueue>& queue() const noexcept { return queue_; }
  /// Cancels queued tasks (task(nullptr)), lets running ones finish, joins the threads.
  /// Each thread closes its own connection. Safe to call from a lane thread and twice.
  void stop();

 private:
  std::shared_ptr<LaneQueue> queue_ = std::make_shared<LaneQueue>();
  std::vector<std::thread> threads_;
};

}  // namespace libsql::detail
