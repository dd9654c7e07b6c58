#pragma once

// Owner of the threads the addon starts for calls that must not run on the JS thread (open,
// dispose, close: they read files, wait on locks, or wait for running statements). Every such
// thread is joined: by a later spawn once it has finished, or by join_all() at environment
// cleanup (process exit, worker termination), so none outlives the environment that started
// it (docs/style.md, "Threads have owners").

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace libsql::node {

class ThreadOwner {
 public:
  ThreadOwner() = default;
  ThreadOwner(const ThreadOwner&) = delete;
  ThreadOwner& operator=(const ThreadOwner&) = delete;
  ~ThreadOwner() { join_all(); }

  /// Runs `fn` on a new thread. `fn` must not throw (an exception is caught and dropped).
  void spawn(std::function<void()> fn) {
    auto finished = std::make_shared<std::atomic<bool>>(false);
    std::lock_guard<std::mutex> lock(mu_);
    join_finished_locked();
    threads_.push_back(Entry{std::thread([fn = std::move(fn), finished] {
                               try {
                                 fn();
                               } catch (...) {
                               }
                               finished->store(true, std::memory_order_release);
                             }),
                             finished});
  }

  /// Waits for every thread started so far (environment cleanup).
  void join_all() {
    std::vector<Entry> all;
    {
      std::lock_guard<std::mutex> lock(mu_);
      all.swap(threads_);
    }
    for (Entry& e : all) {
      if (e.thread.joinable()) e.thread.join();
    }
  }

  /// Threads started and not joined yet (tests).
  [[nodiscard]] std::size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return threads_.size();
  }

 private:
  struct Entry {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> finished;
  };
  // Joining a finished thread does not wait: only its last instructions after `finished`.
  void join_finished_locked() {
    std::erase_if(threads_, [](Entry& e) {
      if (!e.finished->load(std::memory_order_acquire)) return false;
      e.thread.join();
      return true;
    });
  }

  std::mutex mu_;
  std::vector<Entry> threads_;
};

}  // namespace libsql::node
