#pragma once

#include <curl/curl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace libsql::test {

/// tests/hrana_server/server.py on 127.0.0.1 and a free port, for the life of the object.
class HranaServer {
 public:
  explicit HranaServer(const std::string& db = ":memory:", std::vector<std::string> extra = {}) {
    // Everything the child needs is built before fork(): the test process has client threads,
    // and a child that allocates after fork() can deadlock on a lock one of them held.
    std::vector<std::string> args = {"python3", LIBSQL_HRANA_SERVER, "--db", db, "--port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    int in[2];
    if (pipe(in) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {  // only async-signal-safe calls from here to exec
      dup2(out[1], STDOUT_FILENO);
      dup2(in[0], STDIN_FILENO);  // the server exits when this pipe closes (we die)
      close(out[0]);
      close(out[1]);
      close(in[0]);
      close(in[1]);
      execvp("python3", argv.data());
      _exit(127);
    }
    close(out[1]);
    close(in[0]);
    stdin_ = in[1];
    // The first line is "LISTENING <port>"; a server that says nothing within a minute failed.
    pollfd pfd{.fd = out[0], .events = POLLIN, .revents = 0};
    FILE* f = poll(&pfd, 1, 60'000) == 1 ? fdopen(out[0], "r") : nullptr;
    if (f == nullptr) close(out[0]);
    char line[128] = {};
    if (f == nullptr || std::fgets(line, sizeof line, f) == nullptr ||
        std::sscanf(line, "LISTENING %d", &port_) != 1) {
      if (f) std::fclose(f);
      stop();
      throw std::runtime_error("the Hrana test server did not start");
    }
    out_ = f;
  }
  HranaServer(const HranaServer&) = delete;
  HranaServer& operator=(const HranaServer&) = delete;
  ~HranaServer() { stop(); }

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  /// POST /_control with a JSON body; returns the HTTP status.
  long control(const std::string& json) const { return request("/_control", json, nullptr); }
  /// GET /_stats as JSON text.
  [[nodiscard]] std::string stats() const {
    std::string body;
    request("/_stats", "", &body);
    return body;
  }

  void stop() {
    if (pid_ > 0) {
      // SIGTERM lets the server close its streams; one that has not exited after 10 s is killed.
      kill(pid_, SIGTERM);
      int status = 0;
      bool gone = false;
      for (int i = 0; i < 1000 && !gone; ++i) {
        gone = waitpid(pid_, &status, WNOHANG) == pid_;
        if (!gone) usleep(10'000);
      }
      if (!gone) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
      }
      pid_ = -1;
    }
    if (stdin_ >= 0) {
      close(stdin_);
      stdin_ = -1;
    }
    if (out_ != nullptr) {
      std::fclose(out_);
      out_ = nullptr;
    }
  }

 private:
  long request(const std::string& path, const std::string& post, std::string* body) const {
    CURL* c = curl_easy_init();
    std::string url = this->url() + path;
    std::string sink;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    if (!post.empty()) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, post.c_str());
    }
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, +[](char* d, size_t s, size_t n, void* u) -> size_t {
      static_cast<std::string*>(u)->append(d, s * n);
      return s * n;
    });
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body ? body : &sink);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
  }

  pid_t pid_ = -1;
  int port_ = 0;
  int stdin_ = -1;
  FILE* out_ = nullptr;
};

}  // namespace libsql::test
