// main() of every C++ test binary: googletest plus a hang reporter.
//
// A test that hangs is killed by ctest's timeout with nothing to show where it stopped. The
// reporter watches the running test; one still running after LIBSQL_TEST_HANG_SECONDS (240 by
// default, under ctest's 300) gets every thread's stack printed to stderr by gdb, when gdb is
// installed, and the binary aborts. It never decides a result by speed: a test that gets there
// would have been killed as a timeout anyway, and this only says where it was.
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace {

class HangReporter : public testing::EmptyTestEventListener {
 public:
  explicit HangReporter(std::chrono::seconds limit) : limit_(limit) {
    watcher_ = std::thread([this] { watch(); });
  }
  HangReporter(const HangReporter&) = delete;
  HangReporter& operator=(const HangReporter&) = delete;
  ~HangReporter() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    watcher_.join();
  }

  void OnTestStart(const testing::TestInfo& info) override {
    std::lock_guard<std::mutex> lock(mu_);
    name_ = std::string(info.test_suite_name()) + "." + info.name();
    started_ = std::chrono::steady_clock::now();
    running_ = true;
  }
  void OnTestEnd(const testing::TestInfo&) override {
    std::lock_guard<std::mutex> lock(mu_);
    running_ = false;
  }

 private:
  void watch() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      cv_.wait_for(lock, std::chrono::seconds(1));
      if (stopping_ || !running_ || std::chrono::steady_clock::now() - started_ < limit_) continue;
      const std::string name = name_;
      lock.unlock();
      report(name);
      std::abort();
    }
  }

  void report(const std::string& name) const {
    std::fprintf(stderr, "\n*** %s has run for %lld s: it is stuck. The stacks of its threads:\n", name.c_str(),
                 static_cast<long long>(limit_.count()));
    std::fflush(stderr);
    const std::string pid = std::to_string(getpid());
    const char* argv[] = {"gdb", "-batch", "-nx", "-p", pid.c_str(), "-ex", "thread apply all bt", nullptr};
    prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
    const pid_t child = fork();
    if (child == 0) {
      dup2(STDERR_FILENO, STDOUT_FILENO);
      execvp("gdb", const_cast<char* const*>(argv));
      static const char kNoGdb[] = "(gdb is not installed: no stacks)\n";
      (void)!write(STDERR_FILENO, kNoGdb, sizeof kNoGdb - 1);
      _exit(127);
    }
    if (child > 0) waitpid(child, nullptr, 0);
  }

  const std::chrono::seconds limit_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool running_ = false;
  std::string name_;
  std::chrono::steady_clock::time_point started_;
  std::thread watcher_;
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  long seconds = 240;
  if (const char* s = std::getenv("LIBSQL_TEST_HANG_SECONDS"); s != nullptr && std::atol(s) > 0) {
    seconds = std::atol(s);
  }
  // googletest owns and deletes the listener; it is released before main returns so that its
  // thread is joined while everything it uses is alive.
  auto* reporter = new HangReporter(std::chrono::seconds(seconds));
  testing::UnitTest::GetInstance()->listeners().Append(reporter);
  const int rc = RUN_ALL_TESTS();
  delete testing::UnitTest::GetInstance()->listeners().Release(reporter);
  return rc;
}
