#include "local/lane.hpp"

#include <chrono>
#include <utility>

#include "core/spin.hpp"

namespace libsql::detail {

void LaneQueue::post(LaneTask task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      tasks_.push_back(std::move(task));
      size_.store(tasks_.size(), std::memory_order_release);
      cv_.notify_one();
      return;
    }
  }
  task(nullptr);
}

LaneTask LaneQueue::take() {
  // Wait awake for a while before sleeping (spin.hpp); one thread of the lane at a time, the
  // others sleep until post() wakes them.
  if (!spinning_.exchange(true, std::memory_order_acq_rel)) {
    Spin::wait_nonzero(size_);
    spinning_.store(false, std::memory_order_release);
  }
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !tasks_.empty() || stopping_; });
  if (tasks_.empty()) return {};
  LaneTask task = std::move(tasks_.front());
  tasks_.pop_front();
  size_.store(tasks_.size(), std::memory_order_release);
  return task;
}

std::deque<LaneTask> LaneQueue::stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stopping_ = true;
  cv_.notify_all();
  size_.store(0, std::memory_order_release);
  return std::exchange(tasks_, {});
}

Lane::Lane(std::vector<std::unique_ptr<Connection>> connections) {
  threads_.reserve(connections.size());
  for (auto& conn : connections) {
    threads_.emplace_back([queue = queue_, conn = std::move(conn)]() mutable {
      while (LaneTask task = queue->take()) task(conn.get());
      conn.reset();  // the thread that used the connection closes it
    });
  }
}

Lane::~Lane() { stop(); }

void Lane::stop() {
  for (auto& task : queue_->stop()) task(nullptr);
  const auto self = std::this_thread::get_id();
  for (auto& t : threads_) {
    if (!t.joinable()) continue;
    // Stopping from inside a task (a callback that closes the client): that thread
    // finishes its task and exits on its own; it only touches the shared queue.
    if (t.get_id() == self) t.detach();
    else t.join();
  }
}

}  // namespace libsql::detail
