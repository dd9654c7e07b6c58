// Embedded replica reset (docs/sync.md, "Bootstrap and reset"): a pull that says `replace_base` makes the sync
// thread stop the world, re-bootstrap the file from the new image and reopen it. Against a
// canned server that serves images built with the system SQLite.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "libsql/client.hpp"
#include "replica/replica_meta.hpp"
#include "replica/turso_sync.hpp"
#include "support/pull_bodies.hpp"
#include "support/temp_db.hpp"

namespace {

using libsql::Client;
using libsql::Error;
namespace protobuf = libsql::detail::protobuf;

// ---- hand-built pull-updates bodies (as in turso_sync_test.cpp) ----------------------------

using namespace libsql::test::pull;  // header, page, body, ...

/// A database image: its 4096-byte pages, in order.
struct Image {
  std::vector<std::string> pages;
};

/// Builds a WAL-mode database with `sql` through the system SQLite and returns its pages
/// (after a TRUNCATE checkpoint, so the main file holds everything).
Image build_image(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("open image db");
  std::string script = "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; " + sql + "; PRAGMA wal_checkpoint(TRUNCATE);";
  char* err = nullptr;
  if (sqlite3_exec(db, script.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "?";
    sqlite3_free(err);
    sqlite3_close(db);
    throw std::runtime_error("build image: " + msg);
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  sqlite3_close(db);
  if (bytes.empty() || bytes.size() % 4096 != 0) throw std::runtime_error("image size");
  if (bytes[18] != 2 || bytes[19] != 2) throw std::runtime_error("image not in WAL mode");
  Image image;
  for (std::size_t off = 0; off < bytes.size(); off += 4096) image.pages.push_back(bytes.substr(off, 4096));
  return image;
}

std::string image_body(const std::string& revision, const Image& image, bool replace_base) {
  std::string h = header(revision, image.pages.size());
  if (replace_base) h += vfield(6, 1);  // apply_mode = REPLACE_BASE
  std::vector<std::string> pages;
  for (std::size_t i = 0; i < image.pages.size(); ++i) pages.push_back(page(i, image.pages[i]));
  return body(h, pages);
}

std::string http_response(int status, const std::string& body, const std::string& content_type) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

/// A tiny HTTP server: one request per connection, answered by `handler(path, body)`.
class CannedServer {
 public:
  using Handler = std::function<std::string(const std::string& path, const std::string& body)>;

  explicit CannedServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0) {
      throw std::runtime_error("CannedServer: cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  CannedServer(const CannedServer&) = delete;
  CannedServer& operator=(const CannedServer&) = delete;
  ~CannedServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }

  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> bodies(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& [p, b] : seen_) {
      if (p == path) out.push_back(b);
    }
    return out;
  }

 private:
  void run() {
    for (;;) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      std::string data;
      char buf[65536];
      std::size_t head_end = std::string::npos;
      std::size_t want = std::string::npos;
      while (want == std::string::npos || data.size() < want) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        data.append(buf, static_cast<std::size_t>(n));
        if (head_end == std::string::npos && (head_end = data.find("\r\n\r\n")) != std::string::npos) {
          std::string lower = data.substr(0, head_end);
          for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          std::size_t cl = lower.find("content-length:");
          want = head_end + 4 + (cl == std::string::npos ? 0 : std::stoul(lower.substr(cl + 15)));
        }
      }
      std::string path;
      if (std::size_t sp = data.find(' '); sp != std::string::npos) {
        path = data.substr(sp + 1, data.find(' ', sp + 1) - sp - 1);
      }
      std::string req_body = head_end == std::string::npos ? "" : data.substr(head_end + 4);
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.emplace_back(path, req_body);
      }
      std::string response = handler_(path, req_body);
      ::send(c, response.data(), response.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> seen_;
  std::thread thread_;
};

std::vector<std::string> rows(Client& db, const std::string& sql) {
  std::vector<std::string> out;
  for (const auto& row : db.execute(sql).rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i) line += '|';
      if (auto* n = std::get_if<std::int64_t>(&row[i])) line += std::to_string(*n);
      else if (auto* s = std::get_if<std::string>(&row[i])) line += *s;
      else line += "?";
    }
    out.push_back(line);
  }
  return out;
}

class ReplicaReset : public testing::Test {
 protected:
  void SetUp() override {
    // Image A: 300 rows of 300 bytes (a few dozen pages). Image B: other rows, another table,
    // fewer pages.
    old_ = build_image((images_.dir() / "a.db").string(),
                       "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) "
                       "INSERT INTO t SELECT i, 'old-' || i || printf('%.280c', 'x') FROM n");
    new_ = build_image((images_.dir() / "b.db").string(),
                       "CREATE TABLE extra (x); INSERT INTO extra VALUES (42);"
                       "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                       "INSERT INTO t VALUES (1, 'new-1'), (2, 'new-2')");
    ASSERT_GT(old_.pages.size(), 10u);
    ASSERT_LT(new_.pages.size(), old_.pages.size());
    server_ = std::make_unique<CannedServer>([this](const std::string& path, const std::string& req) {
      // Neither Turso Cloud's /info nor gRPC-web: the protocol probe picks Turso Sync.
      if (path == "/info" || path.rfind("/wal_log.", 0) == 0) return http_response(404, "", "text/plain");
      if (path != "/pull-updates") return http_response(200, R"({"baton":null,"base_url":null,"results":[]})", "application/json");
      if (req.empty()) return http_response(200, image_body("r1", old_, false), "application/protobuf");
      if (req.find("r1") != std::string::npos) return http_response(200, image_body("r2", new_, true), "application/protobuf");
      return http_response(200, body(header("r2", new_.pages.size())), "application/protobuf");
    });
  }

  Client open_replica() {
    libsql::Config config{.url = "file:" + replica_.path(), .sync_url = server_->url(), .read_your_writes = false};
    config.inline_max_time = std::chrono::hours(1);  // every point read counts as fast: the inline path is taken
    return Client::open(config);
  }

  libsql::test::TempDb images_;
  libsql::test::TempDb replica_;
  Image old_;
  Image new_;
  std::unique_ptr<CannedServer> server_;
};

TEST_F(ReplicaReset, ReplaceBaseReBootstrapsAndEarlierClientsSeeTheNewImage) {
  Client db = open_replica();
  Client earlier = db;  // a copy made before the reset shares the engine
  EXPECT_EQ(rows(db, "SELECT count(*), min(id), max(id) FROM t"), std::vector<std::string>{"300|1|300"});
  (void)rows(earlier, "SELECT v FROM t WHERE id = 7");  // seen fast: the inline path may run it
  libsql::ResultSet inline_out;
  ASSERT_TRUE(earlier.try_execute_inline(libsql::Statement("SELECT v FROM t WHERE id = 7"), inline_out));
  EXPECT_EQ(inline_out.rows.size(), 1u);
  EXPECT_EQ(libsql::detail::read_replica_meta(replica_.path())->server_revision, "r1");

  libsql::SyncResult r = db.sync();
  EXPECT_EQ(r.revision, "r2");
  EXPECT_EQ(r.frames_synced, new_.pages.size());

  EXPECT_EQ(rows(db, "SELECT id, v FROM t ORDER BY id"), (std::vector<std::string>{"1|new-1", "2|new-2"}));
  EXPECT_EQ(rows(db, "SELECT x FROM extra"), std::vector<std::string>{"42"});
  EXPECT_EQ(rows(db, "SELECT * FROM pragma_integrity_check"), std::vector<std::string>{"ok"});
  EXPECT_EQ(rows(earlier, "SELECT v FROM t WHERE id = 1"), std::vector<std::string>{"new-1"});
  EXPECT_EQ(rows(earlier, "SELECT v FROM t WHERE id = 7"), std::vector<std::string>{});
  ASSERT_TRUE(earlier.try_execute_inline(libsql::Statement("SELECT v FROM t WHERE id = 7"), inline_out));
  EXPECT_TRUE(inline_out.rows.empty()) << "the inline path reads the new image, not the old one";
  EXPECT_EQ(libsql::detail::read_replica_meta(replica_.path())->server_revision, "r2");
  EXPECT_EQ(std::filesystem::file_size(replica_.path()), new_.pages.size() * 4096);

  // The next pull is an ordinary one from the new revision.
  r = db.sync();
  EXPECT_EQ(r.revision, "r2");
  EXPECT_EQ(r.frames_synced, 0u);
  auto pulls = server_->bodies("/pull-updates");
  ASSERT_EQ(pulls.size(), 3u);
  EXPECT_EQ(pulls[0], "");
  EXPECT_NE(pulls[1].find("r1"), std::string::npos);
  EXPECT_NE(pulls[2].find("r2"), std::string::npos);
  db.close();

  // Reopened from disk: the new image and revision persist.
  Client again = open_replica();
  EXPECT_EQ(rows(again, "SELECT count(*) FROM t"), std::vector<std::string>{"2"});
  EXPECT_EQ(rows(again, "SELECT * FROM pragma_integrity_check"), std::vector<std::string>{"ok"});
  again.close();
}

TEST_F(ReplicaReset, ReadsDuringTheResetSeeOneImageOrTheOther) {
  Client db = open_replica();
  std::atomic<bool> stop{false};
  std::atomic<int> old_seen{0}, new_seen{0}, closed_seen{0}, other{0};
  std::vector<std::string> unexpected;
  std::mutex unexpected_mu;
  std::vector<std::thread> readers;
  for (int k = 0; k < 3; ++k) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        try {
          auto got = rows(db, "SELECT count(*) FROM t");
          if (got == std::vector<std::string>{"300"}) ++old_seen;
          else if (got == std::vector<std::string>{"2"}) ++new_seen;
          else {
            ++other;
            std::lock_guard<std::mutex> lock(unexpected_mu);
            unexpected.push_back(got.empty() ? "(no rows)" : got[0]);
          }
        } catch (const Error& e) {
          if (e.code_name() == "CLIENT_CLOSED") {
            ++closed_seen;  // queued on the old engine when it closed (documented)
          } else {
            ++other;
            std::lock_guard<std::mutex> lock(unexpected_mu);
            unexpected.push_back(e.what());
          }
        }
      }
    });
  }
  while (old_seen.load() < 50) std::this_thread::yield();
  EXPECT_EQ(db.sync().revision, "r2");
  int after = new_seen.load();
  while (new_seen.load() < after + 50) std::this_thread::yield();
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(other.load(), 0) << (unexpected.empty() ? "" : unexpected[0]);
  EXPECT_GT(new_seen.load(), 0);
  EXPECT_EQ(rows(db, "SELECT * FROM pragma_integrity_check"), std::vector<std::string>{"ok"});
  db.close();
}

}  // namespace
