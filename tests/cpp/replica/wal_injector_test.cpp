#include "replica/wal_injector.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "libsql/error.hpp"
#include "local/connection.hpp"
#include "local/sqlite_handles.hpp"
#include "support/temp_db.hpp"

namespace {

namespace fs = std::filesystem;
using libsql::Error;
using libsql::ErrorKind;
using libsql::detail::ApplyStats;
using libsql::detail::InjectPoint;
using libsql::detail::PageImage;
using libsql::detail::WalInjector;
using libsql::detail::write_database_file;
using libsql::test::TempDb;
using Bytes = std::vector<unsigned char>;

constexpr std::size_t kPage = 4096;
constexpr std::size_t kFrame = 24 + kPage;

Bytes read_bytes(const fs::path& p) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  if (ec) return {};
  Bytes out(static_cast<std::size_t>(size));
  std::ifstream in(p, std::ios::binary);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()));
  return out;
}

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

PageImage page_image(std::uint32_t page_no, const unsigned char* data) {
  const auto* b = reinterpret_cast<const std::byte*>(data);
  return PageImage{.page_no = page_no, .data = std::vector<std::byte>(b, b + kPage)};
}

// `WITH RECURSIVE s(value)` over [from, to]: the library has no generate_series.
std::string series(int from, int to) {
  return "WITH RECURSIVE s(value) AS (SELECT " + std::to_string(from) +
         " UNION ALL SELECT value + 1 FROM s WHERE value < " + std::to_string(to) + ") ";
}

// A plain SQLite connection for the test side.
class Db {
 public:
  // With a `key`: libSQL's encryption at rest, as the engine applies it.
  explicit Db(const std::string& path, bool create = false, const std::string& key = {}) {
    sqlite3* raw = nullptr;
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    h_.reset(raw);
    if (rc != SQLITE_OK) throw std::runtime_error("open " + path + ": " + sqlite3_errstr(rc));
    if (!key.empty()) libsql::detail::apply_encryption_key(raw, key);
    sqlite3_busy_timeout(raw, 5000);
  }
  void exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(h_.get(), sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      throw std::runtime_error(sql + ": " + msg);
    }
  }
  std::vector<std::vector<std::string>> rows(const std::string& sql) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(h_.get(), sql.c_str(), -1, &raw, nullptr);
    libsql::detail::StmtHandle st(raw);
    if (rc != SQLITE_OK) throw std::runtime_error(sql + ": " + sqlite3_errmsg(h_.get()));
    std::vector<std::vector<std::string>> out;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(st.get()); ++i) {
        if (sqlite3_column_type(st.get(), i) == SQLITE_NULL) {
          row.emplace_back("NULL");
        } else {
          const auto* t = reinterpret_cast<const char*>(sqlite3_column_blob(st.get(), i));
          row.emplace_back(t ? t : "", static_cast<std::size_t>(sqlite3_column_bytes(st.get(), i)));
        }
      }
      out.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) throw std::runtime_error(sql + ": " + sqlite3_errmsg(h_.get()));
    return out;
  }
  std::string text(const std::string& sql) {
    auto r = rows(sql);
    if (r.empty() || r[0].empty()) throw std::runtime_error(sql + ": no row");
    return r[0][0];
  }
  std::int64_t integer(const std::string& sql) { return std::stoll(text(sql)); }
  // Schema and every row of every table: equal dumps = equal logical content.
  std::string dump() {
    std::string out;
    for (auto& r : rows("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name")) {
      for (auto& c : r) out += c + "|";
      out += "\n";
    }
    for (auto& t : rows("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")) {
      out += "== " + t[0] + "\n";
      std::vector<std::string> lines;
      for (auto& r : rows("SELECT * FROM \"" + t[0] + "\"")) {
        std::string line;
        for (auto& c : r) line += c + "|";
        lines.push_back(std::move(line));
      }
      std::sort(lines.begin(), lines.end());
      for (auto& l : lines) out += l + "\n";
    }
    return out;
  }
  std::string integrity() { return text("PRAGMA integrity_check"); }
  [[nodiscard]] sqlite3* get() const { return h_.get(); }

 private:
  libsql::detail::DbHandle h_;
};

// One state of a source database written by SQLite itself: its pages (after a checkpoint)
// and its logical content.
struct State {
  std::vector<PageImage> pages;
  std::uint32_t size = 0;
  Bytes file;
  std::string dump;
};

// The oracle: a database SQLite writes, page size 4096, WAL, never auto-checkpointed.
class Source {
 public:
  explicit Source(const fs::path& dir) : path_(in_new_dir(dir)), db_(path_, true) {
    db_.exec(
        "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
        "PRAGMA cache_size=-65536");
  }
  Db& db() { return db_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  static std::string in_new_dir(const fs::path& dir) {
    fs::create_directories(dir);
    return (dir / "source.db").string();
  }
  State state() {
    auto ck = db_.rows("PRAGMA wal_checkpoint(TRUNCATE)");
    if (ck.at(0).at(0) != "0") throw std::runtime_error("source checkpoint was busy");
    State s;
    s.file = read_bytes(path_);
    s.size = static_cast<std::uint32_t>(s.file.size() / kPage);
    for (std::uint32_t i = 0; i < s.size; ++i)
      s.pages.push_back(page_image(i + 1, s.file.data() + i * kPage));
    s.dump = db_.dump();
    return s;
  }

 private:
  std::string path_;
  Db db_;
};

// The pages of `to` that differ from `from`: what a pull would bring.
std::vector<PageImage> delta(const State& from, const State& to) {
  std::vector<PageImage> out;
  for (std::uint32_t i = 0; i < to.size; ++i) {
    if (i >= from.size || from.pages[i].data != to.pages[i].data) out.push_back(to.pages[i]);
  }
  return out;
}

// Reads back a replica after a TRUNCATE checkpoint: the bytes SQLite put into the file.
Bytes checkpointed_file(const std::string& path) {
  Db db(path);
  auto ck = db.rows("PRAGMA wal_checkpoint(TRUNCATE)");
  EXPECT_EQ(ck.at(0).at(0), "0") << "checkpoint busy";
  return read_bytes(path);
}

// Copies the database and its WAL without the -shm: opening the copy makes SQLite rebuild the
// wal-index from the WAL alone, which accepts only frames with valid salts and checksums.
std::string recovered_copy(const std::string& path, const fs::path& dir) {
  fs::create_directories(dir);
  const fs::path copy = dir / "copy.db";
  fs::remove(copy);
  fs::remove(copy.string() + "-wal");
  fs::remove(copy.string() + "-shm");
  fs::copy_file(path, copy);
  if (fs::exists(path + "-wal")) fs::copy_file(path + "-wal", copy.string() + "-wal");
  return copy.string();
}

// Source states exercising growth, updates, deletes, DDL and a shrinking VACUUM.
std::vector<State> scenario(Source& src) {
  std::vector<State> states;
  Db& db = src.db();
  db.exec(
      "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v BLOB);"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) "
      "INSERT INTO t SELECT i, 'name-' || i, randomblob(300) FROM n;");
  states.push_back(src.state());
  db.exec(
      "WITH RECURSIVE n(i) AS (SELECT 201 UNION ALL SELECT i + 1 FROM n WHERE i < 900) "
      "INSERT INTO t SELECT i, 'name-' || i, randomblob(500) FROM n;");
  states.push_back(src.state());
  db.exec(
      "BEGIN; UPDATE t SET name = 'renamed-' || id WHERE id % 3 = 0;"
      "DELETE FROM t WHERE id % 5 = 0; UPDATE t SET v = randomblob(1500) WHERE id % 11 = 0; "
      "COMMIT;");
  states.push_back(src.state());
  db.exec(
      "BEGIN; CREATE TABLE u(k TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;"
      "INSERT INTO u SELECT 'k' || id, id FROM t WHERE id < 300;"
      "CREATE INDEX t_name ON t(name); ALTER TABLE t ADD COLUMN extra TEXT DEFAULT 'dflt';"
      "UPDATE t SET extra = 'x' || id WHERE id % 7 = 0; COMMIT;");
  states.push_back(src.state());
  db.exec("DELETE FROM t WHERE id > 150; DELETE FROM u WHERE n > 50; VACUUM;");
  states.push_back(src.state());
  return states;
}

void expect_state(const std::string& path, const State& want, const char* what) {
  Db db(path);
  EXPECT_EQ(db.integrity(), "ok") << what;
  EXPECT_EQ(db.dump(), want.dump) << what;
  EXPECT_EQ(db.integer("PRAGMA page_count"), want.size) << what;
}

// ---- bootstrap and refusals -----------------------------------------------------------------

TEST(WriteDatabaseFile, BootstrapsAFileSqliteOpensInWalMode) {
  TempDb tmp;
  Source src(tmp.dir() / "src");
  auto states = scenario(src);
  const std::string path = (tmp.dir() / "replica.db").string();
  // Leftovers of an older replica must not be replayed onto the new file.
  std::ofstream(path + "-wal") << "stale wal";
  std::ofstream(path + "-journal") << "stale journal";
  write_database_file(path, states[3].pages, states[3].size);
  EXPECT_FALSE(fs::exists(path + "-wal"));
  EXPECT_FALSE(fs::exists(path + "-journal"));
  EXPECT_EQ(read_bytes(path), states[3].file);
  for (auto& e : fs::directory_iterator(tmp.dir())) {
    EXPECT_EQ(e.path().filename().string().find(".bootstrap-"), std::string::npos) << e.path();
  }
  Db db(path);
  EXPECT_EQ(db.text("PRAGMA journal_mode"), "wal");
  expect_state(path, states[3], "bootstrap");
}

TEST(WriteDatabaseFile, RefusesAnIncompletePageSet) {
  TempDb tmp;
  Source src(tmp.dir() / "src");
  auto s = scenario(src)[0];
  auto pages = s.pages;
  pages.erase(pages.begin() + 2);
  try {
    write_database_file(tmp.path(), pages, s.size);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "REPLICA_INVALID_PAGES");
    EXPECT_EQ(e.kind(), ErrorKind::Misuse);
  }
  EXPECT_FALSE(fs::exists(tmp.path()));
}

TEST(WalInjector, RefusesA1024BytePageFile) {
  TempDb tmp;
  {
    Db db(tmp.path(), true);
    db.exec(
        "PRAGMA page_size=1024; PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES "
        "(1)");
  }
  try {
    WalInjector inj(tmp.path());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "REPLICA_PAGE_SIZE");
    EXPECT_NE(std::string(e.what()).find("1024-byte pages; replicas need 4096"), std::string::npos)
        << e.what();
  }
}

TEST(WalInjector, RefusesReservedBytesAndRollbackJournalFiles) {
  TempDb tmp;
  const std::string reserved = (tmp.dir() / "reserved.db").string();
  {
    Db db(reserved, true);
    int n = 8;
    ASSERT_EQ(sqlite3_file_control(db.get(), "main", SQLITE_FCNTL_RESERVE_BYTES, &n), SQLITE_OK);
    db.exec("PRAGMA journal_mode=WAL; CREATE TABLE t(x)");
  }
  try {
    WalInjector inj(reserved);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "REPLICA_PAGE_SIZE") << e.what();
  }
  {
    Db db(tmp.path(), true);
    db.exec("CREATE TABLE t(x)");
  }
  try {
    WalInjector inj(tmp.path());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "REPLICA_NOT_WAL") << e.what();
  }
  try {
    WalInjector inj((tmp.dir() / "missing.db").string());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Sqlite);
    EXPECT_EQ(e.primary_code(), SQLITE_CANTOPEN);
  }
}

TEST(WalInjector, RefusesBadPageImagesWithoutTouchingTheFile) {
  TempDb tmp;
  Source src(tmp.dir() / "src");
  auto states = scenario(src);
  write_database_file(tmp.path(), states[0].pages, states[0].size);
  WalInjector inj(tmp.path());
  auto expect_refused = [&](std::vector<PageImage> pages, std::uint32_t size, const char* code) {
    try {
      inj.apply(pages, size);
      ADD_FAILURE() << "expected " << code;
    } catch (const Error& e) {
      EXPECT_EQ(e.code_name(), code) << e.what();
    }
  };
  auto pages = delta(states[0], states[1]);
  auto short_page = pages;
  short_page[0].data.resize(100);
  expect_refused(short_page, states[1].size, "REPLICA_INVALID_PAGES");
  auto zero = pages;
  zero[0].page_no = 0;
  expect_refused(zero, states[1].size, "REPLICA_INVALID_PAGES");
  auto small_pages = pages;
  ASSERT_EQ(small_pages[0].page_no, 1u);
  small_pages[0].data[16] = std::byte{4};  // page size 1024
  small_pages[0].data[17] = std::byte{0};
  expect_refused(small_pages, states[1].size, "REPLICA_PAGE_SIZE");
  expect_refused({}, states[1].size, "REPLICA_INVALID_PAGES");  // size change without pages
  expect_refused(pages, 0, "REPLICA_INVALID_PAGES");
  // Nothing to do is fine.
  EXPECT_EQ(inj.apply({}, states[0].size).frames, 0u);
  expect_state(tmp.path(), states[0], "after refusals");
}

// ---- differential against SQLite --------------------------------------------------------------

// Every state of the scenario, applied as deltas onto a bootstrapped copy of the first: same
// logical content, integrity ok, frames SQLite's recovery accepts, and after a checkpoint the
// very same file SQLite wrote.
TEST(WalInjector, AppliedStatesMatchSqliteByteForByte) {
  TempDb tmp;
  Source src(tmp.dir() / "src");
  auto states = scenario(src);
  write_database_file(tmp.path(), states[0].pages, states[0].size);
  WalInjector inj(tmp.path());
  for (std::size_t i = 1; i < states.size(); ++i) {
    SCOPED_TRACE(i);
    auto pages = delta(states[i - 1], states[i]);
    ApplyStats st = inj.apply(pages, states[i].size);
    EXPECT_EQ(st.frames, pages.size());
    EXPECT_EQ(st.db_size_pages, states[i].size);
    expect_state(tmp.path(), states[i], "replica");
    expect_state(recovered_copy(tmp.path(), tmp.dir() / "recovered"), states[i], "recovered copy");
    if (i == 2) {
      EXPECT_EQ(checkpointed_file(tmp.path()), states[i].file);  // next apply: fresh WAL
    }
  }
  EXPECT_EQ(checkpointed_file(tmp.path()), states.back().file);
}

// The frames we append are byte for byte the frames SQLite appends for the same transaction:
// a replica that shares the source's WAL (same salts, same running checksum) gets the same file.
TEST(WalInjector, FramesAreByteIdenticalToSqlitesOwnWal) {
  TempDb tmp;
  Source src(tmp.dir() / "src");
  Db& db = src.db();
  db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);" + series(1, 300) +
          "INSERT INTO t SELECT value, printf('%0300d', value) FROM s");
  src.state();  // checkpoint: the database file is not empty, or SQLite would drop the WAL
  db.exec(series(301, 400) + "INSERT INTO t SELECT value, printf('%0500d', value) FROM s");
  fs::copy_file(src.path(), tmp.path());
  fs::copy_file(src.path() + "-wal", tmp.path() + "-wal");
  const std::size_t frames_before = (read_bytes(src.path() + "-wal").size() - 32) / kFrame;
  ASSERT_GT(frames_before, 0u);

  WalInjector inj(tmp.path());  // SQLite recovers the copied WAL into a new wal-index
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    db.exec("BEGIN; UPDATE t SET v = v || 'x' WHERE id % 4 = " + std::to_string(round) +
            "; INSERT INTO t(v) VALUES ('new row'); DELETE FROM t WHERE id = " +
            std::to_string(10 + round) +
            "; CREATE TABLE IF NOT EXISTS w(a); INSERT INTO w VALUES (" + std::to_string(round) +
            "); COMMIT");
    const Bytes src_wal = read_bytes(src.path() + "-wal");
    const std::size_t start = (read_bytes(tmp.path() + "-wal").size() - 32) / kFrame;
    const std::size_t end = (src_wal.size() - 32) / kFrame;
    ASSERT_GT(end, start);
    std::vector<PageImage> pages;
    std::uint32_t commit_size = 0;
    for (std::size_t f = start; f < end; ++f) {
      const unsigned char* fh = src_wal.data() + 32 + f * kFrame;
      pages.push_back(page_image(be32(fh), fh + 24));
      commit_size = be32(fh + 4);
    }
    ASSERT_NE(commit_size, 0u);
    std::reverse(pages.begin(), pages.end());  // order does not matter: frames go out sorted
    EXPECT_EQ(inj.apply(pages, commit_size).frames, end - start);
    EXPECT_EQ(read_bytes(tmp.path() + "-wal"), src_wal);
  }
  Db replica(tmp.path());
  EXPECT_EQ(replica.dump(), db.dump());
  EXPECT_EQ(replica.integrity(), "ok");
}

// ---- the wal-index ------------------------------------------------------------------------------

// Our wal-index equals the one SQLite rebuilds from the same WAL: header fields (but iChange and
// the header checksum, which depend on history), page arrays and hash tables of every block.
void expect_index_matches_recovery(const std::string& path, const fs::path& dir) {
  const std::string copy = recovered_copy(path, dir);
  Db reader(copy);
  reader.integer("SELECT count(*) FROM sqlite_schema");  // runs the recovery; keeps the -shm
  const Bytes ours = read_bytes(path + "-shm");
  const Bytes theirs = read_bytes(copy + "-shm");
  ASSERT_GE(ours.size(), 32768u);
  ASSERT_GE(theirs.size(), 32768u);
  std::uint32_t max_frame = 0;
  std::memcpy(&max_frame, ours.data() + 16, 4);
  EXPECT_TRUE(std::equal(ours.begin() + 12, ours.begin() + 40, theirs.begin() + 12))
      << "header fields";
  const std::size_t blocks = (max_frame + 4096 - 4062 - 1) / 4096 + 1;
  ASSERT_GE(ours.size(), blocks * 32768);
  ASSERT_GE(theirs.size(), blocks * 32768);
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::size_t from = b * 32768 + (b == 0 ? 136 : 0);
    const std::size_t to = (b + 1) * 32768;
    EXPECT_TRUE(std::equal(ours.begin() + static_cast<std::ptrdiff_t>(from),
                           ours.begin() + static_cast<std::ptrdiff_t>(to),
                           theirs.begin() + static_cast<std::ptrdiff_t>(from)))
        << "hash block " << b << " (mxFrame " << max_frame << ")";
  }
}

// Two states ~450 pages apart, applied alternately: > 8158 frames = three hash blocks. Every
// apply is visible whole to old and new connections; the index equals SQLite's; PASSIVE and
// TRUNCATE checkpoints take all of it; a fresh WAL after the truncate works too.
TEST(WalInjector, ManyAppliesSpanThreeHashBlocksAndCheckpointsAcceptThem) {
  TempDb tmp;
  Source src(tmp.dir() / "src");
  Db& db = src.db();
  db.exec("CREATE TABLE p(id INTEGER PRIMARY KEY, n INTEGER, v BLOB);" + series(1, 450) +
          "INSERT INTO p SELECT value, 10, randomblob(3000) FROM s");
  const State a = src.state();
  db.exec("UPDATE p SET n = 20");
  const State b = src.state();
  const auto a_to_b = delta(a, b);
  const auto b_to_a = delta(b, a);
  ASSERT_GT(a_to_b.size(), 440u);

  write_database_file(tmp.path(), a.pages, a.size);
  WalInjector inj(tmp.path());
  Db old_reader(tmp.path());
  EXPECT_EQ(old_reader.text("SELECT min(n) || '/' || max(n) || '/' || count(*) FROM p"),
            "10/10/450");
  std::size_t frames = 0;
  std::vector<double> ms;
  for (int i = 0; i < 20; ++i) {
    const bool to_b = i % 2 == 0;
    const auto t0 = std::chrono::steady_clock::now();
    frames += inj.apply(to_b ? a_to_b : b_to_a, to_b ? b.size : a.size).frames;
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    const std::string want = to_b ? "20/20/450" : "10/10/450";
    EXPECT_EQ(old_reader.text("SELECT min(n) || '/' || max(n) || '/' || count(*) FROM p"), want)
        << i;
    Db fresh(tmp.path());
    EXPECT_EQ(fresh.text("SELECT min(n) || '/' || max(n) || '/' || count(*) FROM p"), want) << i;
  }
  ASSERT_GT(frames, 8158u);
  std::sort(ms.begin(), ms.end());
  std::cout << "[ timing   ] apply of " << a_to_b.size() << " pages: median " << ms[ms.size() / 2]
            << " ms, min " << ms.front() << " ms, max " << ms.back() << " ms (incl. WAL fsync)\n";
  EXPECT_EQ(old_reader.integrity(), "ok");
  expect_index_matches_recovery(tmp.path(), tmp.dir() / "recovered");
  expect_state(recovered_copy(tmp.path(), tmp.dir() / "recovered2"), a, "recovered copy");

  int log = -1;
  int done = -1;
  ASSERT_EQ(
      sqlite3_wal_checkpoint_v2(old_reader.get(), "main", SQLITE_CHECKPOINT_PASSIVE, &log, &done),
      SQLITE_OK);
  EXPECT_EQ(log, static_cast<int>(frames));
  EXPECT_EQ(done, log);
  EXPECT_FALSE(inj.truncate_if_larger(std::uintmax_t{1} << 40));
  EXPECT_TRUE(inj.truncate_if_larger(0));
  EXPECT_EQ(fs::file_size(tmp.path() + "-wal"), 0u);
  EXPECT_EQ(read_bytes(tmp.path()), a.file);

  EXPECT_EQ(inj.apply(a_to_b, b.size).frames, a_to_b.size());  // new WAL header after the truncate
  EXPECT_EQ(inj.checkpoint_passive(), static_cast<int>(a_to_b.size()));
  EXPECT_EQ(read_bytes(tmp.path()), b.file);
  expect_state(tmp.path(), b, "after truncate and apply");
}

// ---- readers
// -------------------------------------------------------------------------------------

TEST(WalInjector, OpenReadTransactionKeepsItsSnapshot) {
  TempDb tmp;
  Source src(tmp.dir() / "src");
  auto states = scenario(src);
  write_database_file(tmp.path(), states[0].pages, states[0].size);
  WalInjector inj(tmp.path());
  Db reader(tmp.path());
  reader.exec("BEGIN");
  EXPECT_EQ(reader.integer("SELECT count(*) FROM t"), 200);
  // Not blocked by the open reader (had it waited for it, it would wait forever: the reader
  // ends below, on this thread).
  inj.apply(delta(states[0], states[1]), states[1].size);
  EXPECT_EQ(reader.integer("SELECT count(*) FROM t"), 200);
  EXPECT_EQ(Db(tmp.path()).integer("SELECT count(*) FROM t"), 900);
  // A checkpoint must not pull the new pages under the open snapshot.
  inj.checkpoint_passive();
  EXPECT_FALSE(inj.truncate_if_larger(0, std::chrono::milliseconds(20)));
  EXPECT_EQ(reader.integer("SELECT count(*) FROM t"), 200);
  EXPECT_EQ(reader.integrity(), "ok");
  reader.exec("COMMIT");
  EXPECT_EQ(reader.integer("SELECT count(*) FROM t"), 900);
  EXPECT_TRUE(inj.truncate_if_larger(0, std::chrono::milliseconds(20)));
  expect_state(tmp.path(), states[1], "after the reader ended");
}

TEST(WalInjector, StatementPreparedBeforeTheApplySeesNewData) {
  TempDb tmp;
  Source src(tmp.dir() / "src");
  auto states = scenario(src);
  write_database_file(tmp.path(), states[0].pages, states[0].size);
  WalInjector inj(tmp.path());
  Db reader(tmp.path());
  sqlite3_stmt* raw = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(reader.get(), "SELECT count(*) FROM t", -1, &raw, nullptr),
            SQLITE_OK);
  libsql::detail::StmtHandle stmt(raw);
  ASSERT_EQ(sqlite3_step(stmt.get()), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(stmt.get(), 0), 200);
  sqlite3_reset(stmt.get());
  inj.apply(delta(states[0], states[1]), states[1].size);
  ASSERT_EQ(sqlite3_step(stmt.get()), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(stmt.get(), 0), 900);
  sqlite3_reset(stmt.get());
}

TEST(WalInjector, SchemaChangesAreVisibleToConnectionsOpenedBefore) {
  TempDb tmp;
  Source src(tmp.dir() / "src");
  auto states = scenario(src);
  write_database_file(tmp.path(), states[2].pages, states[2].size);
  WalInjector inj(tmp.path());
  Db reader(tmp.path());
  EXPECT_EQ(reader.integer("SELECT count(*) FROM t"), 720);
  EXPECT_THROW(reader.rows("SELECT count(*) FROM u"), std::runtime_error);
  inj.apply(delta(states[2], states[3]), states[3].size);
  EXPECT_EQ(reader.integer("SELECT count(*) FROM u"), 240);
  EXPECT_EQ(reader.text("SELECT extra FROM t WHERE id = 7"), "x7");
  EXPECT_EQ(reader.text("SELECT extra FROM t WHERE id = 8"), "dflt");
  EXPECT_EQ(reader.integer("SELECT count(*) FROM t INDEXED BY t_name WHERE name > 'renamed-'"),
            240);
  EXPECT_EQ(reader.dump(), states[3].dump);
  inj.apply(delta(states[3], states[4]), states[4].size);  // VACUUM: smaller file, new root pages
  EXPECT_EQ(reader.dump(), states[4].dump);
  EXPECT_EQ(reader.integrity(), "ok");
}

// One read of the query loops below: every state i has 3 * (i + 1) rows, all with a = i, and
// states only move forward. Returns what was wrong, or "".
std::string read_whole_state(Db& reader, int& last) {
  auto r = reader.rows("SELECT count(*), min(a), max(a) FROM c");
  const int count = std::stoi(r[0][0]);
  const int lo = std::stoi(r[0][1]);
  const int hi = std::stoi(r[0][2]);
  std::string problem;
  if (lo != hi || count != 3 * (lo + 1) || lo < last) {
    problem = "saw count " + r[0][0] + " a " + r[0][1] + ".." + r[0][2] + " after state " +
              std::to_string(last);
  }
  last = lo;
  return problem;
}

// A query loop in another thread and one in another process, during many applies and
// checkpoints, see only whole states, in order, and never an error.
TEST(WalInjector, QueryLoopsSeeOnlyWholeStatesAndNoErrors) {
  TempDb tmp;
  Source src(tmp.dir() / "src");
  Db& db = src.db();
  db.exec("CREATE TABLE c(id INTEGER PRIMARY KEY, a INTEGER, pad TEXT)");
  std::vector<State> states;
  for (int i = 0; i < 25; ++i) {
    db.exec("BEGIN; UPDATE c SET a = " + std::to_string(i) + ", pad = pad || 'y';" + series(1, 3) +
            "INSERT INTO c(a, pad) SELECT " + std::to_string(i) +
            ", printf('%0400d', value) FROM s;" + "COMMIT");
    states.push_back(src.state());
  }
  write_database_file(tmp.path(), states[0].pages, states[0].size);

  // The process: forked before this process opens the replica; exit code 0 = all reads fine.
  int stop_pipe[2];
  ASSERT_EQ(::pipe(stop_pipe), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(stop_pipe[1]);
    int code = 0;
    try {
      Db reader(tmp.path());
      int last = 0;
      int n = 0;
      pollfd pfd{.fd = stop_pipe[0], .events = POLLIN, .revents = 0};
      while (::poll(&pfd, 1, 0) == 0) {
        if (!read_whole_state(reader, last).empty()) code = 1;
        ++n;
      }
      if (n < 20) code = 3;
    } catch (...) {
      code = 2;
    }
    ::_exit(code);
  }
  ::close(stop_pipe[0]);

  WalInjector inj(tmp.path());
  std::atomic<int> reads{0};
  std::vector<std::string> problems;
  std::jthread loop([&](std::stop_token stop) {
    try {
      Db reader(tmp.path());
      int last = 0;
      while (!stop.stop_requested()) {
        if (auto p = read_whole_state(reader, last); !p.empty()) problems.push_back(p);
        ++reads;
      }
    } catch (const std::exception& e) {
      problems.push_back(e.what());
    }
  });
  for (std::size_t i = 1; i < states.size(); ++i) {
    inj.apply(delta(states[i - 1], states[i]), states[i].size);
    inj.checkpoint_passive();
    if (i % 8 == 0) inj.truncate_if_larger(0, std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  loop.request_stop();
  loop.join();
  ::close(stop_pipe[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "reader process: 1 = torn or backward state, 2 = error, 3 = too few reads; status "
      << status;
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_GT(reads.load(), 20);
  expect_state(tmp.path(), states.back(), "after the loop");
}

TEST(WalInjector, ReapplyingAndRepeatedPagesAreHarmless) {
  TempDb tmp;
  Source src(tmp.dir() / "src");
  auto states = scenario(src);
  write_database_file(tmp.path(), states[0].pages, states[0].size);
  WalInjector inj(tmp.path());
  auto pages = delta(states[0], states[1]);
  // An older image of some pages first, then the right one: the last one wins.
  std::vector<PageImage> with_repeats;
  for (std::size_t i = 0; i < pages.size(); i += 3) {
    PageImage stale = pages[i];
    stale.data.assign(kPage, std::byte{0x5a});
    with_repeats.push_back(stale);
  }
  with_repeats.insert(with_repeats.end(), pages.begin(), pages.end());
  std::shuffle(with_repeats.begin() + static_cast<std::ptrdiff_t>(pages.size() / 3 + 1),
               with_repeats.end(), std::mt19937(7));
  // ...and a page past the new end, which a commit drops.
  with_repeats.push_back(page_image(states[1].size + 5, states[1].file.data()));
  EXPECT_EQ(inj.apply(with_repeats, states[1].size).frames, pages.size());
  expect_state(tmp.path(), states[1], "first apply");
  EXPECT_EQ(inj.apply(pages, states[1].size).frames, pages.size());
  expect_state(tmp.path(), states[1], "second apply");
  EXPECT_EQ(checkpointed_file(tmp.path()), states[1].file);
}

// ---- crashes
// ---------------------------------------------------------------------------------------

InjectPoint g_crash_point = InjectPoint::FrameWritten;
std::size_t g_crash_after_frames = 0;

void crash_hook(InjectPoint point, std::size_t frames) {
  if (point == g_crash_point &&
      (point != InjectPoint::FrameWritten || frames == g_crash_after_frames)) {
    ::raise(SIGKILL);
  }
}

// Applies in a forked child that SIGKILLs itself at the crash point. The parent holds no SQLite
// connection across fork().
void apply_and_crash(const std::string& path, const std::vector<PageImage>& pages,
                     std::uint32_t size, InjectPoint point, std::size_t after_frames) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    g_crash_point = point;
    g_crash_after_frames = after_frames;
    WalInjector::set_test_hook(&crash_hook);
    try {
      WalInjector inj(path);
      inj.apply(pages, size);
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
}

// Another process with the replica open: the wal-index survives the crash, so there is no
// recovery and only what the header says counts.
class HolderProcess {
 public:
  explicit HolderProcess(const std::string& path) {
    int ready[2];
    int done[2];
    if (::pipe(ready) != 0 || ::pipe(done) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      ::close(done[1]);
      char c = 0;
      {
        Db db(path);
        db.integer("SELECT count(*) FROM sqlite_schema");
        if (::write(ready[1], "r", 1) != 1) ::_exit(2);
        while (::read(done[0], &c, 1) < 0 && errno == EINTR) {
        }
      }
      ::_exit(0);
    }
    ::close(ready[1]);
    ::close(done[0]);
    done_ = done[1];
    char c = 0;
    if (::read(ready[0], &c, 1) != 1) throw std::runtime_error("holder did not start");
    ::close(ready[0]);
  }
  HolderProcess(const HolderProcess&) = delete;
  HolderProcess& operator=(const HolderProcess&) = delete;
  ~HolderProcess() {
    ::close(done_);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }

 private:
  pid_t pid_ = -1;
  int done_ = -1;
};

struct CrashCase {
  InjectPoint point;
  bool all_frames;      // FrameWritten: after the commit frame (else half-way)
  bool holder;          // another process keeps the wal-index
  bool wal_has_frames;  // the apply appends (else it starts a fresh WAL)
  int expect;           // 0 = old state, 1 = new state, 2 = either
};

std::string name_of(const CrashCase& c) {
  const char* names[] = {"FrameWritten", "WalSynced", "IndexUpdated", "SecondHeaderWritten",
                         "HeaderPublished"};
  return std::string(names[static_cast<int>(c.point)]) +
         (c.point == InjectPoint::FrameWritten ? (c.all_frames ? "(all)" : "(half)") : "") +
         (c.holder ? " with holder" : " alone") +
         (c.wal_has_frames ? ", appending" : ", fresh WAL");
}

// Killed between frames, after the WAL sync, between the header copies, after the publish:
// integrity_check ok, old or new state (new once the WAL sync happened and SQLite recovers, per
// docs/sync.md, "Evidence"), and re-applying afterwards gives exactly the new state.
TEST(WalInjector, CrashAtEveryPointLeavesOldOrNewStateAndReapplyWorks) {
  TempDb tmp;
  Source src(tmp.dir() / "src");
  auto states = scenario(src);
  const State& base = states[0];
  const State& from = states[1];
  const State& to = states[2];
  const auto base_to_from = delta(base, from);
  const auto pages = delta(from, to);
  ASSERT_GT(pages.size(), 4u);
  std::vector<CrashCase> cases;
  for (bool holder : {false, true}) {
    for (bool appending : {false, true}) {
      cases.push_back({InjectPoint::FrameWritten, false, holder, appending, 0});
      cases.push_back({InjectPoint::FrameWritten, true, holder, appending, holder ? 0 : 2});
      cases.push_back({InjectPoint::WalSynced, false, holder, appending, holder ? 0 : 1});
      cases.push_back({InjectPoint::IndexUpdated, false, holder, appending, holder ? 0 : 1});
      cases.push_back({InjectPoint::SecondHeaderWritten, false, holder, appending, 1});
      cases.push_back({InjectPoint::HeaderPublished, false, holder, appending, 1});
    }
  }
  int n = 0;
  for (const CrashCase& c : cases) {
    SCOPED_TRACE(name_of(c));
    const std::string path = (tmp.dir() / ("crash" + std::to_string(n++) + ".db")).string();
    if (c.wal_has_frames) {
      write_database_file(path, base.pages, base.size);
      WalInjector inj(path);
      inj.apply(base_to_from, from.size);
      // Keep the frames in the WAL when the injector closes (it would checkpoint them away).
      int on = 0;
      sqlite3_db_config(inj.db(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, &on);
    } else {
      write_database_file(path, from.pages, from.size);
    }
    {
      std::optional<HolderProcess> holder;
      if (c.holder) holder.emplace(path);
      apply_and_crash(path, pages, to.size, c.point,
                      c.all_frames ? pages.size() : pages.size() / 2);
      Db db(path);
      EXPECT_EQ(db.integrity(), "ok");
      const std::string dump = db.dump();
      const bool is_old = dump == from.dump;
      const bool is_new = dump == to.dump;
      EXPECT_TRUE(is_old || is_new) << "neither the old nor the new state";
      if (c.expect == 0) {
        EXPECT_TRUE(is_old) << "expected the old state";
      }
      if (c.expect == 1) {
        EXPECT_TRUE(is_new) << "expected the new state";
      }
      WalInjector again(path);
      again.apply(pages, to.size);
      EXPECT_EQ(db.dump(), to.dump) << "after re-apply";
      EXPECT_EQ(db.integrity(), "ok");
      // Leftover index entries of the crashed apply were cleared, not duplicated.
      expect_index_matches_recovery(path, tmp.dir() / "recovered");
    }
    EXPECT_EQ(checkpointed_file(path), to.file);
    expect_state(path, to, "reopened");
  }
}


// ---- keyed replicas (encryption at rest): pages go through SQLite's pager ---------------------

constexpr const char* kKey = "injector-test-key";

bool contains(const Bytes& haystack, const std::string& needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

// No page of the replica, in the file or its WAL, holds the source's plaintext.
void expect_no_plaintext(const std::string& path, const char* what) {
  for (const std::string& file : {path, path + "-wal"}) {
    const Bytes bytes = read_bytes(file);
    EXPECT_FALSE(contains(bytes, "name-1")) << what << ": row text in " << file;
    EXPECT_FALSE(contains(bytes, "CREATE TABLE")) << what << ": schema text in " << file;
    EXPECT_FALSE(contains(bytes, "SQLite format 3")) << what << ": plain header in " << file;
  }
}

void expect_keyed_state(const std::string& path, const State& want, const char* what) {
  Db db(path, false, kKey);
  EXPECT_EQ(db.integrity(), "ok") << what;
  EXPECT_EQ(db.dump(), want.dump) << what;
  EXPECT_EQ(db.integer("PRAGMA page_count"), want.size) << what;
}

TEST(KeyedWalInjector, BootstrapAndAppliesFollowTheSourceEncrypted) {
  TempDb tmp;
  Source src(tmp.dir() / "src");
  auto states = scenario(src);  // growth, updates, DDL, and a shrinking VACUUM
  ASSERT_LT(states[4].size, states[3].size);
  ASSERT_TRUE(contains(states[0].file, "name-1"));  // the marker is there in plaintext
  write_database_file(tmp.path(), states[0].pages, states[0].size, kKey);
  expect_no_plaintext(tmp.path(), "bootstrap");
  expect_keyed_state(tmp.path(), states[0], "bootstrap");
  EXPECT_EQ(Db(tmp.path(), false, kKey).text("PRAGMA journal_mode"), "wal");
  {
    WalInjector inj(tmp.path(), std::chrono::seconds(5), kKey);
    for (std::size_t i = 1; i < states.size(); ++i) {
      const auto pages = delta(states[i - 1], states[i]);
      const ApplyStats st = inj.apply(pages, states[i].size);
      EXPECT_EQ(st.db_size_pages, states[i].size);
      EXPECT_GT(st.frames, 0U);
      expect_no_plaintext(tmp.path(), "after an apply");
      expect_keyed_state(tmp.path(), states[i], "after an apply");
      // Re-applying the same pages is harmless.
      inj.apply(pages, states[i].size);
      expect_keyed_state(tmp.path(), states[i], "after a re-apply");
    }
    // Nothing to do: no frame, same size.
    EXPECT_EQ(inj.apply({}, states.back().size).frames, 0U);
    inj.checkpoint_passive();
    EXPECT_TRUE(inj.truncate_if_larger(0, std::chrono::milliseconds(20)));
  }
  expect_no_plaintext(tmp.path(), "after the checkpoint");
  expect_keyed_state(tmp.path(), states.back(), "after the checkpoint");
  Db(tmp.path(), false, kKey).rows("PRAGMA wal_checkpoint(TRUNCATE)");
  EXPECT_EQ(read_bytes(tmp.path()).size(), states.back().file.size());
  expect_no_plaintext(tmp.path(), "after the truncating checkpoint");
}

TEST(KeyedWalInjector, AGrowthWithoutItsLastPageIsRefusedAndNothingChanges) {
  TempDb tmp;
  Source src(tmp.dir() / "src");
  auto states = scenario(src);
  write_database_file(tmp.path(), states[0].pages, states[0].size, kKey);
  WalInjector inj(tmp.path(), std::chrono::seconds(5), kKey);
  auto pages = delta(states[0], states[1]);
  pages.erase(std::remove_if(pages.begin(), pages.end(),
                             [&](const PageImage& p) { return p.page_no == states[1].size; }),
              pages.end());
  try {
    inj.apply(pages, states[1].size);
    FAIL() << "a growth without its last page was applied";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "REPLICA_INVALID_PAGES") << e.what();
  }
  expect_keyed_state(tmp.path(), states[0], "after the refusal");
  inj.apply(delta(states[0], states[1]), states[1].size);
  expect_keyed_state(tmp.path(), states[1], "after the whole delta");
}

TEST(KeyedWalInjector, WrongOrMissingKeyIsNotADatabaseAndNamesNoKey) {
  TempDb tmp;
  Source src(tmp.dir() / "src");
  auto states = scenario(src);
  write_database_file(tmp.path(), states[0].pages, states[0].size, kKey);
  for (const std::string& key : {std::string(), std::string("not-the-key")}) {
    try {
      WalInjector inj(tmp.path(), std::chrono::seconds(5), key);
      FAIL() << "opened with key '" << key << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.primary_code(), SQLITE_NOTADB) << e.what();
      EXPECT_NE(std::string(e.what()).find("encrypt"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find(kKey), std::string::npos) << e.what();
      if (!key.empty()) {
        EXPECT_EQ(std::string(e.what()).find(key), std::string::npos) << e.what();
      }
    }
  }
  // An unencrypted replica opened with a key: the same kind of error.
  const std::string plain = (tmp.dir() / "plain.db").string();
  write_database_file(plain, states[0].pages, states[0].size);
  try {
    WalInjector inj(plain, std::chrono::seconds(5), kKey);
    FAIL() << "an unencrypted file opened with a key";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary_code(), SQLITE_NOTADB) << e.what();
    EXPECT_EQ(std::string(e.what()).find(kKey), std::string::npos) << e.what();
  }
}

TEST(KeyedWalInjector, ReadersKeepTheirSnapshotAndSeeSchemaChanges) {
  TempDb tmp;
  Source src(tmp.dir() / "src");
  auto states = scenario(src);
  write_database_file(tmp.path(), states[2].pages, states[2].size, kKey);
  WalInjector inj(tmp.path(), std::chrono::seconds(5), kKey);
  Db reader(tmp.path(), false, kKey);
  Db snapshot(tmp.path(), false, kKey);
  EXPECT_EQ(reader.integer("SELECT count(*) FROM t"), 720);
  EXPECT_THROW(reader.rows("SELECT count(*) FROM u"), std::runtime_error);
  snapshot.exec("BEGIN");
  EXPECT_EQ(snapshot.integer("SELECT count(*) FROM t"), 720);
  // Not blocked by the open read transaction (it ends below, on this thread).
  inj.apply(delta(states[2], states[3]), states[3].size);
  EXPECT_EQ(snapshot.integer("SELECT count(*) FROM t"), 720);
  EXPECT_EQ(reader.integer("SELECT count(*) FROM u"), 240);
  EXPECT_EQ(reader.dump(), states[3].dump);
  inj.apply(delta(states[3], states[4]), states[4].size);  // VACUUM: smaller file, new roots
  inj.checkpoint_passive();
  EXPECT_EQ(snapshot.integer("SELECT count(*) FROM t"), 720);
  EXPECT_EQ(snapshot.integrity(), "ok");
  snapshot.exec("COMMIT");
  EXPECT_EQ(snapshot.dump(), states[4].dump);
  EXPECT_EQ(reader.dump(), states[4].dump);
  EXPECT_EQ(reader.integrity(), "ok");
}

// A query loop in another thread sees only whole states, in order, never an error, while a
// keyed injector applies and checkpoints.
TEST(KeyedWalInjector, AQueryLoopSeesOnlyWholeStates) {
  TempDb tmp;
  Source src(tmp.dir() / "src");
  Db& db = src.db();
  db.exec("CREATE TABLE c(id INTEGER PRIMARY KEY, a INTEGER, pad TEXT)");
  std::vector<State> states;
  for (int i = 0; i < 25; ++i) {
    db.exec("BEGIN; UPDATE c SET a = " + std::to_string(i) + ", pad = pad || 'y';" + series(1, 3) +
            "INSERT INTO c(a, pad) SELECT " + std::to_string(i) +
            ", printf('%0400d', value) FROM s;" + "COMMIT");
    states.push_back(src.state());
  }
  write_database_file(tmp.path(), states[0].pages, states[0].size, kKey);
  WalInjector inj(tmp.path(), std::chrono::seconds(5), kKey);
  std::atomic<int> reads{0};
  std::vector<std::string> problems;
  std::jthread loop([&](std::stop_token stop) {
    try {
      Db reader(tmp.path(), false, kKey);
      int last = 0;
      while (!stop.stop_requested()) {
        if (auto p = read_whole_state(reader, last); !p.empty()) problems.push_back(p);
        ++reads;
      }
    } catch (const std::exception& e) {
      problems.push_back(e.what());
    }
  });
  for (std::size_t i = 1; i < states.size(); ++i) {
    inj.apply(delta(states[i - 1], states[i]), states[i].size);
    inj.checkpoint_passive();
    if (i % 8 == 0) inj.truncate_if_larger(0, std::chrono::milliseconds(5));
    // Let the loop read (bounded: 2 s per state at most; it normally takes a few ms).
    const int before = reads.load();
    for (int w = 0; w < 1000 && reads.load() < before + 2; ++w) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  loop.request_stop();
  loop.join();
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_GT(reads.load(), 20);
  expect_keyed_state(tmp.path(), states.back(), "after the loop");
}

}  // namespace
