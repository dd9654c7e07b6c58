#include "core/reaper.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace libsql::detail {
namespace {

class Reaper {
 public:
  Reaper() : thread_([this] { run(); }) {}
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;
  ~Reaper() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  void hand_over(std::shared_ptr<void> object) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(object));
    }
    cv_.notify_one();
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything dropped
      std::shared_ptr<void> object = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      object.reset();  // may block (joins the object's own threads): outside the lock
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<void>> queue_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the rest is ready
};

}  // namespace

void release_elsewhere(std::shared_ptr<void> object) noexcept {
  try {
    static Reaper reaper;
    reaper.hand_over(std::move(object));
  } catch (...) {
    // No thread or no memory: dropped here (the object's destructor copes as it did before).
  }
}

}  // namespace libsql::detail
