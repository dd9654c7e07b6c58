// encryptionKey on local files: libSQL's encryption at rest (SQLite3 Multiple Ciphers'
// aes256cbc). Compatibility with files of the official client: tests/node/encryption.test.mjs.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "libsql/client.hpp"
#include "support/crash_writer.hpp"
#include "support/temp_db.hpp"

#if LIBSQL_HAS_ENCRYPTION

using libsql::Client;
using libsql::Error;
using libsql::Value;

namespace {

constexpr const char* kKey = "correct horse battery staple";
constexpr const char* kMarker = "PLAINTEXT-MARKER-0123456789";

std::int64_t int_of(const libsql::ResultSet& rs) { return std::get<std::int64_t>(rs.rows.at(0).at(0)); }
std::string text_of(const libsql::ResultSet& rs) { return std::get<std::string>(rs.rows.at(0).at(0)); }

std::string file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// The error of opening `url` with `key` and running one query (nullopt: it worked).
std::optional<Error> open_and_read_error(const std::string& url, const std::string& key,
                                         const char* sql = "SELECT count(*) FROM sqlite_schema") {
  try {
    auto db = Client::open({.url = url, .encryption_key = key});
    db.execute(sql);
    db.close();
  } catch (const Error& e) {
    return e;
  }
  return std::nullopt;
}

void write_encrypted(const libsql::test::TempDb& tmp, const std::string& key) {
  auto db = Client::open({.url = tmp.url(), .encryption_key = key});
  db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)");
  db.execute({"INSERT INTO t (note) VALUES (?)", {Value(std::string(kMarker))}});
  db.close();
}

TEST(Encryption, RoundTripThroughEveryConnection) {
  libsql::test::TempDb tmp;
  write_encrypted(tmp, kKey);
  auto db = Client::open({.url = tmp.url(), .encryption_key = kKey});
  EXPECT_EQ(text_of(db.execute("PRAGMA journal_mode")), "wal");
  // Reads go to the reader connections and, once seen fast, to the inline one: all keyed.
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(text_of(db.execute("SELECT note FROM t WHERE id = 1")), kMarker);
  }
  auto tx = db.transaction(libsql::TransactionMode::Write);
  tx.execute({"INSERT INTO t (note) VALUES (?)", {Value(std::string("second"))}});
  tx.commit();
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM t")), 2);
  EXPECT_EQ(text_of(db.execute("PRAGMA integrity_check")), "ok");
  db.close();
}

TEST(Encryption, NothingReadableOnDiskWalIncluded) {
  libsql::test::TempDb tmp;
  auto db = Client::open({.url = tmp.url(), .encryption_key = kKey});
  db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)");
  for (int i = 0; i < 50; ++i) {
    db.execute({"INSERT INTO t (note) VALUES (?)", {Value(std::string(kMarker))}});
  }
  // While open, the rows are in the WAL (not yet checkpointed): it must be encrypted too.
  const std::string wal = file_bytes(tmp.path() + "-wal");
  ASSERT_GT(wal.size(), 32u);
  EXPECT_EQ(wal.find(kMarker), std::string::npos);
  EXPECT_EQ(wal.find("CREATE TABLE"), std::string::npos);
  db.execute("PRAGMA wal_checkpoint(TRUNCATE)");
  const std::string main = file_bytes(tmp.path());
  ASSERT_GE(main.size(), 4096u);
  EXPECT_EQ(main.find(kMarker), std::string::npos);
  EXPECT_EQ(main.find("CREATE TABLE"), std::string::npos);
  EXPECT_EQ(main.find("SQLite format 3"), std::string::npos);
  db.close();
  // The same bytes without a key: plaintext.
  libsql::test::TempDb plain;
  write_encrypted(plain, "");
  EXPECT_NE(file_bytes(plain.path()).find(kMarker), std::string::npos);
}

TEST(Encryption, WrongKeyIsNotADbWithoutTheKeyInTheMessage) {
  libsql::test::TempDb tmp;
  write_encrypted(tmp, kKey);
  const std::string wrong = "wrong-key-9f8e7d6c5b4a";
  auto e = open_and_read_error(tmp.url(), wrong);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->primary_code(), SQLITE_NOTADB) << e->what();
  EXPECT_EQ(e->code_name(), "SQLITE_NOTADB");
  const std::string msg = e->what();
  EXPECT_EQ(msg.rfind("SQLITE_NOTADB: file is not a database", 0), 0u) << msg;
  EXPECT_NE(msg.find("the key is wrong"), std::string::npos) << msg;
  EXPECT_EQ(msg.find(wrong), std::string::npos) << msg;
  EXPECT_EQ(msg.find(kKey), std::string::npos) << msg;
  // The file is untouched: the right key still opens it.
  EXPECT_FALSE(open_and_read_error(tmp.url(), kKey).has_value());
}

TEST(Encryption, MissingKeyOnAnEncryptedFileIsNotADb) {
  libsql::test::TempDb tmp;
  write_encrypted(tmp, kKey);
  auto e = open_and_read_error(tmp.url(), "");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->primary_code(), SQLITE_NOTADB) << e->what();
  EXPECT_FALSE(open_and_read_error(tmp.url(), kKey).has_value());
}

TEST(Encryption, PlaintextFileOpenedWithAKeyIsNotADbAndStaysIntact) {
  libsql::test::TempDb tmp;
  write_encrypted(tmp, "");
  const std::string before = file_bytes(tmp.path());
  auto e = open_and_read_error(tmp.url(), kKey);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->primary_code(), SQLITE_NOTADB) << e->what();
  EXPECT_EQ(std::string(e->what()).find(kKey), std::string::npos);
  EXPECT_EQ(file_bytes(tmp.path()), before);
  auto db = Client::open({.url = tmp.url()});
  EXPECT_EQ(text_of(db.execute("SELECT note FROM t")), kMarker);
  db.close();
}

// libSQL's key derivation pads or cuts the passphrase to 32 bytes: keys equal in their first 32
// bytes open the same file (as with the official client), a key differing in byte 32 does not.
TEST(Encryption, KeyDerivationUsesTheFirst32Bytes) {
  libsql::test::TempDb tmp;
  const std::string base(32, 'k');
  write_encrypted(tmp, base + "tail-one");
  EXPECT_FALSE(open_and_read_error(tmp.url(), base + "another-tail").has_value());
  EXPECT_FALSE(open_and_read_error(tmp.url(), base).has_value());
  auto e = open_and_read_error(tmp.url(), std::string(31, 'k') + "x");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->primary_code(), SQLITE_NOTADB);
}

// Embedded replicas take a key (tests/cpp/replica: sqld_replica_test, wal_injector_test); an
// unreachable primary at bootstrap is a connection error that names no key, and leaves no file.
TEST(Encryption, AnEmbeddedReplicaTakesAKeyAndItsErrorsNameNoKey) {
  libsql::test::TempDb tmp;
  try {
    Client::open({.url = tmp.url(), .sync_url = "http://127.0.0.1:9", .encryption_key = kKey}).close();
    FAIL() << "a replica bootstrapped from a closed port";
  } catch (const Error& e) {
    EXPECT_NE(e.code_name(), "ENCRYPTION_NOT_SUPPORTED") << e.what();
    EXPECT_EQ(std::string(e.what()).find(kKey), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(tmp.path()));
}

TEST(Encryption, MemoryDatabaseAcceptsAKey) {
  auto db = Client::open({.url = ":memory:", .encryption_key = kKey});
  db.execute("CREATE TABLE m (x)");
  db.execute("INSERT INTO m VALUES (1)");
  EXPECT_EQ(int_of(db.execute("SELECT count(*) FROM m")), 1);
  db.close();
}

// Fuzz-ish: random keys, truncated and damaged files. Every outcome is an Error or a result,
// never a crash, and no message carries a key.
TEST(Encryption, RandomKeysAndDamagedFilesGiveErrorsNotCrashes) {
  libsql::test::TempDb tmp;
  {
    auto db = Client::open({.url = tmp.url(), .encryption_key = kKey});
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)");
    for (int i = 0; i < 200; ++i) {
      db.execute({"INSERT INTO t (note) VALUES (?)", {Value(std::string(100, static_cast<char>('a' + i % 26)))}});
    }
    db.close();
  }
  const std::string good = file_bytes(tmp.path());
  ASSERT_GT(good.size(), 4u * 4096u);
  std::mt19937 rng(12345);
  for (int i = 0; i < 12; ++i) {
    std::string key;
    const auto len = 1 + rng() % 64;
    for (std::size_t j = 0; j < len; ++j) key.push_back(static_cast<char>(1 + rng() % 255));
    auto e = open_and_read_error(tmp.url(), key);
    ASSERT_TRUE(e.has_value()) << "a random key opened the file";
    EXPECT_EQ(e->primary_code(), SQLITE_NOTADB) << e->what();
    EXPECT_EQ(std::string(e->what()).find(key), std::string::npos);
  }
  libsql::test::TempDb damaged;
  const std::size_t cuts[] = {0, 1, 15, 16, 100, 4095, 4096, 4097, 2 * 4096 + 7, good.size() - 1};
  for (std::size_t cut : cuts) {
    SCOPED_TRACE(cut);
    {
      std::ofstream f(damaged.path(), std::ios::binary | std::ios::trunc);
      f.write(good.data(), static_cast<std::streamsize>(cut));
    }
    auto e = open_and_read_error(damaged.url(), kKey, "SELECT count(*), max(note) FROM t");
    if (cut == 0) {
      // An empty file is a new, empty database: the table is missing.
      ASSERT_TRUE(e.has_value());
      EXPECT_NE(std::string(e->what()).find("no such table"), std::string::npos) << e->what();
    } else if (e) {
      EXPECT_EQ(std::string(e->what()).find(kKey), std::string::npos) << e->what();
    }
    std::filesystem::remove(damaged.path());
  }
  // Bytes flipped inside a data page: decryption yields garbage there; SQLite reports
  // corruption (or the page was not needed); never a crash.
  for (std::size_t offset : {4096u + 200u, 2u * 4096u + 1000u, 3u * 4096u + 17u}) {
    SCOPED_TRACE(offset);
    std::string bad = good;
    bad[offset] = static_cast<char>(bad[offset] ^ 0x5a);
    {
      std::ofstream f(damaged.path(), std::ios::binary | std::ios::trunc);
      f.write(bad.data(), static_cast<std::streamsize>(bad.size()));
    }
    auto e = open_and_read_error(damaged.url(), kKey, "PRAGMA integrity_check");
    if (e) {
      EXPECT_EQ(std::string(e->what()).find(kKey), std::string::npos) << e->what();
    }
    std::filesystem::remove(damaged.path());
  }
}

// A writer killed with SIGKILL mid-loop on an encrypted file: the file and its WAL open with
// the key, pass integrity_check, and hold every transaction reported committed.
TEST(Encryption, KilledWriterLeavesAnEncryptedFileThatOpens) {
  libsql::test::TempDb tmp;
  const long long target = 40;
  const long long last = libsql::test::run_crash_writer_until_killed(tmp.path(), kKey, target);
  ASSERT_GE(last, target);
  ASSERT_TRUE(std::filesystem::exists(tmp.path() + "-wal"));

  auto e = open_and_read_error(tmp.url(), "");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->primary_code(), SQLITE_NOTADB);

  auto db = Client::open({.url = tmp.url(), .encryption_key = kKey});
  EXPECT_EQ(text_of(db.execute("PRAGMA integrity_check")), "ok");
  auto rs = db.execute("SELECT count(DISTINCT txn), max(txn), count(*) FROM t");
  const auto distinct = std::get<std::int64_t>(rs.rows[0][0]);
  const auto max_txn = std::get<std::int64_t>(rs.rows[0][1]);
  const auto rows = std::get<std::int64_t>(rs.rows[0][2]);
  EXPECT_TRUE(max_txn == last || max_txn == last + 1) << "reported " << last << ", found " << max_txn;
  EXPECT_EQ(distinct, max_txn);
  EXPECT_EQ(rows, 3 * max_txn);
  db.close();
}

}  // namespace

#else  // a build on the system SQLite library

namespace {

TEST(Encryption, RefusedClearlyWithoutSqlite3MultipleCiphers) {
  libsql::test::TempDb tmp;
  try {
    libsql::Client::open({.url = tmp.url(), .encryption_key = "k"}).close();
    FAIL() << "encryptionKey was accepted by a build without encryption";
  } catch (const libsql::Error& e) {
    EXPECT_NE(std::string(e.what()).find("ENCRYPTION_NOT_SUPPORTED"), std::string::npos) << e.what();
  }
}

}  // namespace

#endif
