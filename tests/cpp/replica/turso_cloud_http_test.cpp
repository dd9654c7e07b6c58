// Embedded replicas over Turso Cloud's HTTP sync (docs/sync.md, "Turso Cloud's HTTP sync"):
// the codec, then the replica against tests/replica/turso_cloud_fake.py, a fake server that
// serves a real SQLite database's WAL frames (validated against the official client in
// tests/node/replica.cloud.test.mjs, which also compares the two clients' replicas).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "libsql/client.hpp"
#include "replica/replica_meta.hpp"
#include "replica/turso_cloud_http.hpp"
#include "support/ports.hpp"
#include "support/temp_db.hpp"

using libsql::Client;
using libsql::Error;
using libsql::ErrorKind;
namespace d = libsql::detail;

namespace {

// ---------- the codec ----------

std::string frame_bytes(std::uint32_t page_no, std::uint32_t commit, char fill) {
  std::string f(d::kWalFrameSize, fill);
  for (int i = 0; i < 4; ++i) {
    f[static_cast<std::size_t>(i)] = static_cast<char>(page_no >> (24 - 8 * i));
    f[static_cast<std::size_t>(4 + i)] = static_cast<char>(commit >> (24 - 8 * i));
  }
  return f;
}

template <class F>
std::string error_code_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code_name();
  }
  return "no error";
}

TEST(TursoCloudHttpCodec, RevisionIsGenerationColonFrame) {
  EXPECT_EQ(d::format_cloud_revision({3, 120}), "3:120");
  auto p = d::parse_cloud_revision("3:120");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->generation, 3u);
  EXPECT_EQ(p->frame_no, 120u);
  for (const char* bad : {"", "3", "0:1", ":1", "1:", "1:x", "x:1", "1:2:3", "99999999999:1", "-1:2", "1: 2"}) {
    EXPECT_FALSE(d::parse_cloud_revision(bad)) << bad;
  }
}

TEST(TursoCloudHttpCodec, DecodesWalFramesStrictly) {
  std::string body = frame_bytes(2, 0, 'a') + frame_bytes(1, 5, 'b');
  auto frames = d::decode_wal_frames(body, 128);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].page_no, 2u);
  EXPECT_EQ(frames[0].commit_size, 0u);
  EXPECT_EQ(frames[1].page_no, 1u);
  EXPECT_EQ(frames[1].commit_size, 5u);
  EXPECT_EQ(frames[1].page.size(), 4096u);
  EXPECT_EQ(frames[1].page[0], 'b');
  EXPECT_EQ(error_code_of([] { d::decode_wal_frames("", 128); }), "SYNC_PROTOCOL_ERROR");
  EXPECT_EQ(error_code_of([&] { d::decode_wal_frames(std::string_view(body).substr(0, body.size() - 1), 128); }),
            "SYNC_PROTOCOL_ERROR");
  EXPECT_EQ(error_code_of([&] { d::decode_wal_frames(body, 1); }), "SYNC_PROTOCOL_ERROR");
  EXPECT_EQ(error_code_of([] { d::decode_wal_frames(frame_bytes(0, 1, 'c'), 128); }), "SYNC_PROTOCOL_ERROR");
}

TEST(TursoCloudHttpCodec, DecodesAnExportStrictly) {
  std::string file(3 * 4096, '\0');
  std::memcpy(file.data(), "SQLite format 3", 16);
  file[16] = 0x10;  // page size 4096, big-endian
  file[17] = 0x00;
  file[4096] = 'x';
  auto image = d::decode_export(file);
  EXPECT_EQ(image.db_size_pages, 3u);
  ASSERT_EQ(image.pages.size(), 3u);
  EXPECT_EQ(image.pages[1].page_no, 2u);
  EXPECT_EQ(static_cast<char>(image.pages[1].data[0]), 'x');
  EXPECT_EQ(d::decode_export("").db_size_pages, 0u);  // an empty database
  EXPECT_EQ(error_code_of([&] { d::decode_export(file.substr(0, 5000)); }), "SYNC_PROTOCOL_ERROR");
  std::string bad_magic = file;
  bad_magic[0] = 'X';
  EXPECT_EQ(error_code_of([&] { d::decode_export(bad_magic); }), "SYNC_PROTOCOL_ERROR");
  std::string small_pages = file;
  small_pages[16] = 0x04;  // 1024
  EXPECT_EQ(error_code_of([&] { d::decode_export(small_pages); }), "SYNC_PROTOCOL_ERROR");
  std::string reserved = file;
  reserved[20] = 8;
  EXPECT_EQ(error_code_of([&] { d::decode_export(reserved); }), "SYNC_PROTOCOL_ERROR");
}

TEST(TursoCloudHttpCodec, DecodesInfoAndEndOfGeneration) {
  EXPECT_EQ(d::decode_info(R"({"current_generation": 7})"), 7u);
  EXPECT_EQ(error_code_of([] { d::decode_info("{}"); }), "SYNC_PROTOCOL_ERROR");
  EXPECT_EQ(error_code_of([] { d::decode_info(R"({"current_generation": 0})"); }), "SYNC_PROTOCOL_ERROR");
  EXPECT_EQ(error_code_of([] { d::decode_info("not json"); }), "SYNC_PROTOCOL_ERROR");
  EXPECT_EQ(d::decode_end_of_generation(R"({"status":"checkpoint_needed","generation":2,"max_frame_no":9})"), 2u);
  EXPECT_FALSE(d::decode_end_of_generation("Internal Server Error"));
  EXPECT_FALSE(d::decode_end_of_generation(R"({"generation":"2"})"));
}

// ---------- the replica against the fake server ----------

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  pclose(p);
  return out;
}

/// tests/replica/turso_cloud_fake.py on a free port, serving a source database in `dir`.
class CloudFake {
 public:
  CloudFake(const std::filesystem::path& dir, std::string token = "") : dir_(dir), token_(std::move(token)) {
    source_ = (dir_ / "source.db").string();
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = libsql::test::free_port();
      const std::string port = std::to_string(port_);
      const pid_t parent = getpid();
      pid_ = fork();
      if (pid_ == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        if (token_.empty()) {
          execlp("python3", "python3", LIBSQL_CLOUD_FAKE, port.c_str(), source_.c_str(), static_cast<char*>(nullptr));
        } else {
          execlp("python3", "python3", LIBSQL_CLOUD_FAKE, port.c_str(), source_.c_str(), token_.c_str(),
                 static_cast<char*>(nullptr));
        }
        _exit(127);
      }
      for (int i = 0; i < 400 && !libsql::test::accepts(port_); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
      }
      if (libsql::test::accepts(port_)) return;
      stop();
    }
    throw std::runtime_error("the Turso Cloud fake did not start");
  }
  CloudFake(const CloudFake&) = delete;
  CloudFake& operator=(const CloudFake&) = delete;
  ~CloudFake() { stop(); }

  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// Runs an SQL script on the source in one transaction; returns the control answer.
  std::string exec(const std::string& sql) {
    const std::string file = (dir_ / "script.sql").string();
    std::ofstream(file) << sql;
    return control("/_ctl/exec", "--data-binary @" + file);
  }
  std::string new_generation() { return control("/_ctl/new_generation", "-X POST"); }
  std::string restart() { return control("/_ctl/restart", "-X POST"); }
  void fault(const std::string& mode, int after = 0) {
    control("/_ctl/fault?mode=" + mode + "&after=" + std::to_string(after), "-X POST");
  }
  /// A consistent copy of the source, opened as a plain local database.
  Client source_copy() {
    const std::string copy = (dir_ / ("copy" + std::to_string(copies_++) + ".db")).string();
    control("/_ctl/copy?to=" + copy, "-X POST");
    return Client::open({.url = "file:" + copy});
  }
  std::string stats() { return run("curl -s '" + url() + "/_ctl/stats'"); }
  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

 private:
  std::string control(const std::string& path, const std::string& args) {
    std::string out = run("curl -s -f " + args + " '" + url() + path + "'");
    EXPECT_FALSE(out.empty()) << path;
    return out;
  }
  std::filesystem::path dir_;
  std::string token_;
  std::string source_;
  pid_t pid_ = -1;
  int port_ = 0;
  int copies_ = 0;
};

/// Every row of every table (sorted) and the schema, as text.
std::string dump(Client& db) {
  std::ostringstream out;
  auto tables = db.execute("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name");
  for (const auto& t : tables.rows) {
    const auto& type = std::get<std::string>(t.at(0));
    const auto& name = std::get<std::string>(t.at(1));
    out << "## " << type << " " << name << " "
        << (std::holds_alternative<std::string>(t.at(2)) ? std::get<std::string>(t.at(2)) : "") << "\n";
    if (type != "table") continue;
    std::vector<std::string> lines;
    for (const auto& r : db.execute("SELECT * FROM \"" + name + "\"").rows) {
      std::ostringstream line;
      for (const auto& v : r) {
        if (std::holds_alternative<std::int64_t>(v)) line << std::get<std::int64_t>(v);
        else if (std::holds_alternative<double>(v)) line << std::get<double>(v);
        else if (std::holds_alternative<std::string>(v)) line << '"' << std::get<std::string>(v) << '"';
        else if (std::holds_alternative<std::monostate>(v)) line << "NULL";
        else line << "<blob>";
        line << '|';
      }
      lines.push_back(line.str());
    }
    std::sort(lines.begin(), lines.end());
    for (const auto& line : lines) out << line << '\n';
  }
  return out.str();
}

std::int64_t count(Client& db, const std::string& table) {
  return std::get<std::int64_t>(db.execute("SELECT count(*) FROM " + table).rows.at(0).at(0));
}

/// The "frames" number of a control answer ({"generation": G, "frames": n}).
std::string frames_of(const std::string& answer) {
  auto at = answer.find("\"frames\": ");
  if (at == std::string::npos) return "?";
  at += 10;
  return answer.substr(at, answer.find_first_not_of("0123456789", at) - at);
}

class CloudReplica : public testing::Test {
 protected:
  void SetUp() override { fake_ = std::make_unique<CloudFake>(dir_.dir()); }
  Client replica(libsql::Config extra = {}) {
    extra.url = replica_.url();
    if (extra.sync_url.empty()) extra.sync_url = fake_->url();
    extra.timeout = std::chrono::milliseconds(10000);
    extra.read_your_writes = false;
    return Client::open(extra);
  }
  d::ReplicaMeta meta() { return *d::read_replica_meta(replica_.path()); }
  void expect_same_as_source(Client& r) {
    auto truth = fake_->source_copy();
    EXPECT_EQ(dump(r), dump(truth));
    // A SELECT, so it runs on the replica (PRAGMA statements are forwarded to the primary).
    EXPECT_EQ(std::get<std::string>(r.execute("SELECT * FROM pragma_integrity_check").rows.at(0).at(0)), "ok");
  }

  libsql::test::TempDb dir_;  // the fake's files
  libsql::test::TempDb replica_;
  std::unique_ptr<CloudFake> fake_;
};

TEST_F(CloudReplica, BootstrapsThenFollowsInsertsUpdatesSchemaAndManyRows) {
  const std::string first = fake_->exec(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
      "INSERT INTO t (v) VALUES ('one'), ('two'), ('three');");
  auto r = replica();
  EXPECT_EQ(meta().protocol, "turso-cloud-http");
  EXPECT_EQ(meta().server_revision, "1:" + frames_of(first));
  EXPECT_EQ(count(r, "t"), 3);
  expect_same_as_source(r);

  // Nothing new: nothing applied, same position.
  auto s = r.sync();
  EXPECT_EQ(s.frames_synced, 0u);
  EXPECT_EQ(s.revision, "1:" + frames_of(first));

  fake_->exec("UPDATE t SET v = upper(v) WHERE id != 2; DELETE FROM t WHERE id = 3;");
  fake_->exec("CREATE TABLE u (k TEXT PRIMARY KEY, n INTEGER); CREATE INDEX t_v ON t (v);"
              "ALTER TABLE t ADD COLUMN extra INTEGER DEFAULT 7;");
  const std::string last = fake_->exec(
      "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20000) "
      "INSERT INTO u SELECT 'key-' || i || '-' || hex(randomblob(16)), i FROM c;");
  s = r.sync();
  EXPECT_EQ(s.revision, "1:" + frames_of(last));
  EXPECT_EQ(s.frames_synced, std::stoull(frames_of(last)) - std::stoull(frames_of(first)));
  EXPECT_GT(s.frames_synced, 2u * d::kCloudPullBatch);  // several requests
  EXPECT_EQ(count(r, "u"), 20000);
  expect_same_as_source(r);
  EXPECT_EQ(meta().server_revision, s.revision);
}

TEST_F(CloudReplica, FollowsIntoANewGenerationAndBootstrapsFromOne) {
  fake_->exec("CREATE TABLE g (gen INTEGER, v TEXT); INSERT INTO g VALUES (1, 'a');");
  auto r = replica();
  fake_->exec("INSERT INTO g VALUES (1, 'b');");
  fake_->new_generation();  // the source is checkpointed: generation 2 starts from it
  const std::string gen2 = fake_->exec("INSERT INTO g VALUES (2, 'c'); UPDATE g SET v = v || '!' WHERE gen = 1;");
  auto s = r.sync();
  EXPECT_EQ(s.revision, "2:" + frames_of(gen2));
  EXPECT_EQ(count(r, "g"), 3);
  expect_same_as_source(r);
  fake_->new_generation();
  fake_->new_generation();  // an empty generation 3, then 4
  const std::string gen4 = fake_->exec("INSERT INTO g VALUES (4, 'd');");
  s = r.sync();
  EXPECT_EQ(s.revision, "4:" + frames_of(gen4));
  expect_same_as_source(r);

  // A new replica bootstraps from generation 4's export plus its frames.
  libsql::test::TempDb other;
  auto r2 = Client::open({.url = other.url(), .sync_url = fake_->url(), .read_your_writes = false});
  EXPECT_EQ(dump(r2), dump(r));
  EXPECT_EQ(d::read_replica_meta(other.path())->server_revision, "4:" + frames_of(gen4));
}

TEST_F(CloudReplica, AServerBackInAnEarlierGenerationRebuildsTheReplica) {
  fake_->exec("CREATE TABLE t (x); INSERT INTO t VALUES (1);");
  fake_->new_generation();
  fake_->new_generation();
  fake_->exec("INSERT INTO t VALUES (2);");
  auto r = replica();
  EXPECT_EQ(meta().server_revision.rfind("3:", 0), 0u) << meta().server_revision;
  fake_->restart();  // generation 1 again: a restored database
  fake_->exec("DELETE FROM t WHERE x = 1; CREATE TABLE after_restore (y);");
  auto s = r.sync();
  EXPECT_EQ(s.revision.rfind("1:", 0), 0u) << s.revision;
  EXPECT_EQ(count(r, "t"), 1);
  EXPECT_EQ(count(r, "after_restore"), 0);
  expect_same_as_source(r);
}

TEST_F(CloudReplica, AnEmptySourceBootstrapsAndFollows) {
  auto r = replica();
  EXPECT_EQ(meta().server_revision, "1:0");
  EXPECT_EQ(count(r, "sqlite_schema"), 0);
  fake_->exec("CREATE TABLE e (x); INSERT INTO e VALUES (42);");
  auto s = r.sync();
  EXPECT_GT(s.frames_synced, 0u);
  EXPECT_EQ(count(r, "e"), 1);
  expect_same_as_source(r);
}

TEST_F(CloudReplica, AReopenedReplicaKeepsItsProtocolAndPosition) {
  fake_->exec("CREATE TABLE t (x); INSERT INTO t VALUES (1);");
  { auto r = replica(); }
  fake_->exec("INSERT INTO t VALUES (2);");
  auto r = replica();  // catches up at open
  EXPECT_EQ(meta().protocol, "turso-cloud-http");
  EXPECT_EQ(count(r, "t"), 2);
  expect_same_as_source(r);
}

TEST_F(CloudReplica, ServerDownMidSyncIsATypedErrorAndTheReplicaStaysReadable) {
  fake_->exec("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB); INSERT INTO t VALUES (1, x'00');");
  auto r = replica();
  // ~600 frames: served 128 at a time; the server goes down after the second answer.
  fake_->exec(
      "WITH RECURSIVE c(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM c WHERE i < 600) "
      "INSERT INTO t SELECT i, randomblob(3000) FROM c;");
  fake_->fault("down", 2);
  try {
    r.sync();
    ADD_FAILURE() << "sync succeeded with the server down";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Network) << e.what();
  }
  // One transaction, not committed by the frames pulled so far: nothing of it applied.
  EXPECT_EQ(count(r, "t"), 1);
  EXPECT_EQ(std::get<std::string>(r.execute("SELECT * FROM pragma_integrity_check").rows.at(0).at(0)), "ok");
  fake_->fault("none");
  auto s = r.sync();
  EXPECT_EQ(count(r, "t"), 600);
  expect_same_as_source(r);
  EXPECT_GT(s.frames_synced, 2u * d::kCloudPullBatch);
}

TEST_F(CloudReplica, CommittedUnitsSurviveAFailureLaterInTheSameSync) {
  fake_->exec("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB);");
  auto r = replica();
  // Many small transactions: the first answers hold whole commits, applied before the failure.
  for (int i = 0; i < 300; i += 30) {
    std::string chunk;
    for (int j = i; j < i + 30; ++j) chunk += "INSERT INTO t VALUES (" + std::to_string(j) + ", randomblob(5000));";
    fake_->exec(chunk);
  }
  fake_->fault("down", 3);
  try {
    r.sync();
    ADD_FAILURE() << "sync succeeded with the server down";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Network) << e.what();
  }
  const auto partial = count(r, "t");
  EXPECT_GT(partial, 0);  // the commits pulled before the failure are applied
  EXPECT_LT(partial, 300);
  EXPECT_EQ(std::get<std::string>(r.execute("SELECT * FROM pragma_integrity_check").rows.at(0).at(0)), "ok");
  fake_->fault("none");
  r.sync();
  EXPECT_EQ(count(r, "t"), 300);
  expect_same_as_source(r);
}

TEST_F(CloudReplica, ATruncatedOrFailedAnswerAppliesNothing) {
  fake_->exec("CREATE TABLE t (x); INSERT INTO t VALUES (1);");
  auto r = replica();
  const std::string before = meta().server_revision;
  fake_->exec("INSERT INTO t VALUES (2);");
  fake_->fault("truncate");
  try {
    r.sync();
    ADD_FAILURE() << "a truncated answer was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "SYNC_PROTOCOL_ERROR") << e.what();
    EXPECT_EQ(e.kind(), ErrorKind::Protocol);
  }
  EXPECT_EQ(count(r, "t"), 1);
  EXPECT_EQ(meta().server_revision, before);
  fake_->fault("error500");
  try {
    r.sync();
    ADD_FAILURE() << "a 500 without a generation was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "SERVER_ERROR") << e.what();
  }
  fake_->fault("none");
  r.sync();
  EXPECT_EQ(count(r, "t"), 2);
  expect_same_as_source(r);
}

TEST_F(CloudReplica, ATruncatedExportFailsTheBootstrapAndLeavesNoFile) {
  fake_->exec("CREATE TABLE t (x); INSERT INTO t VALUES (1);");
  fake_->new_generation();
  fake_->fault("truncate");
  try {
    replica();
    ADD_FAILURE() << "bootstrapped from a truncated export";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "SYNC_PROTOCOL_ERROR") << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(replica_.path()));
  EXPECT_FALSE(d::read_replica_meta(replica_.path()));
  fake_->fault("none");
  auto r = replica();
  expect_same_as_source(r);
}

TEST(CloudReplicaAuth, AWrongTokenIsAnAuthErrorWithoutTheToken) {
  libsql::test::TempDb dir, replica;
  CloudFake fake(dir.dir(), "right-token-123");
  fake.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1);");
  try {
    Client::open({.url = replica.url(), .auth_token = "wrong-token-456", .sync_url = fake.url()});
    ADD_FAILURE() << "opened with a wrong token";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Auth) << e.what();
    EXPECT_EQ(e.code_name(), "AUTH_FAILED");
    EXPECT_EQ(std::string(e.what()).find("wrong-token-456"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("right-token-123"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(replica.path()));
  auto r = Client::open({.url = replica.url(), .auth_token = "right-token-123", .sync_url = fake.url()});
  EXPECT_EQ(count(r, "t"), 1);
  EXPECT_EQ(d::read_replica_meta(replica.path())->protocol, "turso-cloud-http");
}

TEST(CloudReplicaEncryption, AnEncryptionKeyIsRefusedNotDropped) {
  libsql::test::TempDb dir, replica;
  CloudFake fake(dir.dir());
  fake.exec("CREATE TABLE t (x);");
  try {
    Client::open({.url = replica.url(), .sync_url = fake.url(), .encryption_key = "k"});
    ADD_FAILURE() << "an encryption key was accepted (a plaintext replica would be written)";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "ENCRYPTION_NOT_SUPPORTED") << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(replica.path()));
}

}  // namespace
