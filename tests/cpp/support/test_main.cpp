// main() of every C++ test binary: googletest plus a hang reporter.
//
// A test that hangs is killed by ctest's timeout with nothing to show where it stopped. The
// reporter arms an alarm when a test starts; a test still running after LIBSQL_TEST_HANG_SECONDS
// (240 by default, under ctest's 300) gets every thread's stack printed to stderr by gdb, when
// gdb is installed, and the binary aborts. It never decides a result by speed: a test that gets
// there would have been killed as a timeout anyway, and this only says where it was.
//
// An alarm, not a watching thread: several tests fork() and run code in the child, which a
// sanitizer refuses in a process that has started threads (TSan: "starting new threads after
// multi-threaded fork is not supported"). Alarms are not inherited by forked children.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// Everything the signal handler reads is prepared outside it.
unsigned g_hang_seconds = 240;
char g_pid_text[24];
char g_test_name[512];
std::size_t g_test_name_length = 0;

void write_text(const char* text, std::size_t length) { (void)!write(STDERR_FILENO, text, length); }

extern "C" void on_hang(int /*signal*/) {
  static const char kHead[] = "\n*** still running after LIBSQL_TEST_HANG_SECONDS: ";
  static const char kTail[] = " is stuck. The stacks of its threads:\n";
  write_text(kHead, sizeof kHead - 1);
  write_text(g_test_name, g_test_name_length);
  write_text(kTail, sizeof kTail - 1);
  char gdb[] = "gdb";
  char batch[] = "-batch";
  char nx[] = "-nx";
  char p[] = "-p";
  char ex[] = "-ex";
  char bt[] = "thread apply all bt";
  char* argv[] = {gdb, batch, nx, p, g_pid_text, ex, bt, nullptr};
  const pid_t child = fork();
  if (child == 0) {
    dup2(STDERR_FILENO, STDOUT_FILENO);
    execvp("gdb", argv);
    static const char kNoGdb[] = "(gdb is not installed: no stacks)\n";
    write_text(kNoGdb, sizeof kNoGdb - 1);
    _exit(127);
  }
  if (child > 0) waitpid(child, nullptr, 0);
  signal(SIGABRT, SIG_DFL);
  abort();
}

class HangReporter : public testing::EmptyTestEventListener {
 public:
  void OnTestStart(const testing::TestInfo& info) override {
    const std::string name = std::string(info.test_suite_name()) + "." + info.name();
    g_test_name_length = std::min(name.size(), sizeof g_test_name - 1);
    std::memcpy(g_test_name, name.data(), g_test_name_length);
    alarm(g_hang_seconds);
  }
  void OnTestEnd(const testing::TestInfo&) override { alarm(0); }
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (const char* s = std::getenv("LIBSQL_TEST_HANG_SECONDS"); s != nullptr && std::atol(s) > 0) {
    g_hang_seconds = static_cast<unsigned>(std::atol(s));
  }
  const std::string pid = std::to_string(getpid());
  std::memcpy(g_pid_text, pid.c_str(), pid.size() + 1);
  prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);  // gdb, our child, may attach to us
  struct sigaction action {};
  action.sa_handler = on_hang;
  sigemptyset(&action.sa_mask);
  sigaction(SIGALRM, &action, nullptr);
  // googletest owns and deletes the listener.
  testing::UnitTest::GetInstance()->listeners().Append(new HangReporter);
  return RUN_ALL_TESTS();
}
