#include "replica/wal_injector.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "core/error_codes.hpp"
#include "libsql/error.hpp"
#include "local/connection.hpp"
#include "local/sqlite_handles.hpp"
#include "replica/durable_file.hpp"

// Everything below follows SQLite's documented formats: "WAL-mode File Format"
// (https://sqlite.org/walformat.html), the database file format (fileformat2.html) and the
// format comments at the top of SQLite's wal.c. The procedure is docs/sync.md, "The WAL injection procedure".

namespace libsql::detail {
namespace {

// ---- WAL file -------------------------------------------------------------------------------
constexpr std::uint32_t kWalMagic = 0x377f0682;  // checksums over little-endian words; with the low bit set (…83), big-endian
constexpr std::uint32_t kWalVersion = 3007000;   // also the wal-index version
constexpr std::size_t kWalHeaderSize = 32;
constexpr std::size_t kFrameHeaderSize = 24;
constexpr std::size_t kFrameSize = kFrameHeaderSize + kReplicaPageSize;
// The unix VFS writes at most 128 KiB - 1 per xWrite call (SQLite itself writes a page at a
// time); 31 frames are 127,720 bytes.
constexpr std::size_t kFramesPerWrite = 0x1ffff / kFrameSize;

// ---- wal-index (-shm) -----------------------------------------------------------------------
// 32 KiB regions. Region 0 starts with two copies of the 48-byte header and the 40-byte
// checkpoint info. Region i holds hash block i: an array of page numbers (one per frame; 4096,
// or 4062 in region 0 where the headers take the first 136 bytes) followed, at 16 KiB, by 8192
// u16 hash slots holding block-relative 1-based frame numbers.
constexpr int kShmRegionSize = 32768;
constexpr std::size_t kIndexHeaderSize = 48;
constexpr std::size_t kIndexPrefixSize = 2 * kIndexHeaderSize + 40;
constexpr std::uint32_t kHashNPage = 4096;
constexpr std::uint32_t kHashNPageOne =
    kHashNPage - static_cast<std::uint32_t>(kIndexPrefixSize / 4);
constexpr std::uint32_t kHashNSlot = 2 * kHashNPage;
constexpr std::uint32_t kHashMultiplier = 383;
constexpr std::size_t kHashSlotsOffset = kHashNPage * sizeof(std::uint32_t);
static_assert(kHashNPageOne == 4062);

constexpr bool kNativeBigEndian = std::endian::native == std::endian::big;

// The wal-index header, in the host's byte order (the wal-index is never shared across hosts).
struct IndexHeader {
  std::uint32_t version;
  std::uint32_t unused;
  std::uint32_t change;  // bumped by every commit
  std::uint8_t is_init;
  std::uint8_t big_end_cksum;                // the WAL's checksums are over big-endian words
  std::uint16_t page_size;                   // 65536 is stored as 1
  std::uint32_t max_frame;                   // last committed frame
  std::uint32_t n_page;                      // database size in pages after that commit
  std::array<std::uint32_t, 2> frame_cksum;  // running checksum of frame max_frame
  std::array<std::uint8_t, 8> salt;          // salt-1, salt-2 exactly as in the WAL file (BE)
  std::array<std::uint32_t, 2> cksum;        // over the 40 bytes above, native words
};
static_assert(sizeof(IndexHeader) == kIndexHeaderSize);
static_assert(offsetof(IndexHeader, max_frame) == 16 && offsetof(IndexHeader, salt) == 32 &&
              offsetof(IndexHeader, cksum) == 40);

std::atomic<InjectHook> g_test_hook{nullptr};

void hook(InjectPoint point, std::size_t frames) {
  if (InjectHook h = g_test_hook.load(std::memory_order_acquire)) h(point, frames);
}

// ---- errors ---------------------------------------------------------------------------------
Error misuse(const char* code, const std::string& message) {
  return make_error(ErrorKind::Misuse, code, message);
}
Error file_error(int sqlite_code, const char* code, const std::string& message) {
  return make_error(ErrorKind::Sqlite, code, message, sqlite_code);
}
// A VFS method failed: no message on the connection, only the code.
Error vfs_error(int rc, const std::string& what) {
  return make_sqlite_error(rc, what + ": " + sqlite3_errstr(rc));
}
Error io_error(const std::string& what) {
  return file_error(SQLITE_IOERR, "REPLICA_IO", what + ": " + std::strerror(errno));
}

// ---- bytes and checksums ---------------------------------------------------------------------
std::uint32_t get_be32(const unsigned char* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
std::uint32_t get_le32(const unsigned char* p) noexcept {
  return (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[1]} << 8) |
         std::uint32_t{p[0]};
}
void put_be32(unsigned char* p, std::uint32_t v) noexcept {
  p[0] = static_cast<unsigned char>(v >> 24);
  p[1] = static_cast<unsigned char>(v >> 16);
  p[2] = static_cast<unsigned char>(v >> 8);
  p[3] = static_cast<unsigned char>(v);
}

// SQLite's WAL checksum: the input is a sequence of 32-bit words x[0..n), taken in pairs:
//   s0 += x[i] + s1;  s1 += x[i+1] + s0;
// Words are big-endian when `big_endian_words`, little-endian otherwise. `n` is a multiple of 8.
struct Checksum {
  std::uint32_t s0 = 0;
  std::uint32_t s1 = 0;
};
template <bool kBig>
Checksum checksum_words(const unsigned char* p, std::size_t n, Checksum c) noexcept {
  for (std::size_t i = 0; i < n; i += 8) {
    c.s0 += (kBig ? get_be32(p + i) : get_le32(p + i)) + c.s1;
    c.s1 += (kBig ? get_be32(p + i + 4) : get_le32(p + i + 4)) + c.s0;
  }
  return c;
}
Checksum checksum(const unsigned char* p, std::size_t n, bool big_endian_words,
                  Checksum c) noexcept {
  return big_endian_words ? checksum_words<true>(p, n, c) : checksum_words<false>(p, n, c);
}

std::array<std::uint32_t, 2> index_header_checksum(const IndexHeader& h) noexcept {
  std::array<unsigned char, sizeof(IndexHeader)> bytes{};
  std::memcpy(bytes.data(), &h, sizeof h);
  Checksum c = checksum(bytes.data(), offsetof(IndexHeader, cksum), kNativeBigEndian, {});
  return {c.s0, c.s1};
}

const unsigned char* bytes_of(const PageImage& p) noexcept {
  return reinterpret_cast<const unsigned char*>(p.data.data());
}

// ---- page selection --------------------------------------------------------------------------
struct Frame {
  std::uint32_t page_no;
  const unsigned char* data;
};
struct Selection {
  std::vector<Frame> frames;              // ascending page numbers, like SQLite's dirty list
  std::vector<unsigned char> page_one{};  // page 1, normalised (frames point into it)
};

void check_page(const PageImage& p) {
  if (p.page_no == 0) throw misuse("REPLICA_INVALID_PAGES", "page number 0 (pages are 1-based)");
  if (p.data.size() != kReplicaPageSize) {
    throw misuse("REPLICA_INVALID_PAGES", "page " + std::to_string(p.page_no) + " has " +
                                              std::to_string(p.data.size()) + " bytes, not 4096");
  }
}

// Page 1 starts with the database header. Replicas need page size 4096 and no reserved bytes
// (docs/sync.md, "Rules that go with it"); a valid in-header size larger than the commit size would read as corrupt.
// The copy gets read/write versions 2 (WAL), so SQLite keeps opening the file in WAL mode.
std::vector<unsigned char> normalised_page_one(const unsigned char* p,
                                               std::uint32_t db_size_pages) {
  if (std::memcmp(p, "SQLite format 3", 16) != 0) {
    throw misuse("REPLICA_INVALID_PAGES", "page 1 does not start with the SQLite header string");
  }
  const std::uint32_t page_size = (std::uint32_t{p[16]} << 8) | (std::uint32_t{p[17]} << 16);
  if (page_size != kReplicaPageSize) {
    throw misuse("REPLICA_PAGE_SIZE", "page 1 says the page size is " + std::to_string(page_size) +
                                          "; replicas need 4096");
  }
  if (p[20] != 0) {
    throw misuse("REPLICA_PAGE_SIZE",
                 "page 1 reserves " + std::to_string(p[20]) + " bytes per page; replicas need 0");
  }
  const std::uint32_t in_header = get_be32(p + 28);
  const bool header_size_valid = in_header != 0 && std::memcmp(p + 24, p + 92, 4) == 0;
  if (header_size_valid && in_header > db_size_pages) {
    throw misuse("REPLICA_INVALID_PAGES",
                 "page 1 says the database has " + std::to_string(in_header) +
                     " pages, the commit says " + std::to_string(db_size_pages));
  }
  std::vector<unsigned char> copy(p, p + kReplicaPageSize);
  copy[18] = 2;
  copy[19] = 2;
  return copy;
}

// Last image of each page wins; pages beyond the new size are dropped (SQLite's commit drops
// them too); frames come out in ascending page order.
Selection select_pages(std::span<const PageImage> pages, std::uint32_t db_size_pages) {
  std::vector<std::size_t> order(pages.size());
  for (std::size_t i = 0; i < pages.size(); ++i) {
    check_page(pages[i]);
    order[i] = i;
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return pages[a].page_no < pages[b].page_no;
  });
  Selection s;
  s.frames.reserve(order.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    const PageImage& p = pages[order[k]];
    if (k + 1 < order.size() && pages[order[k + 1]].page_no == p.page_no) continue;
    if (p.page_no > db_size_pages) continue;
    if (p.page_no == 1) {
      s.page_one = normalised_page_one(bytes_of(p), db_size_pages);
      s.frames.push_back({1, s.page_one.data()});
    } else {
      s.frames.push_back({p.page_no, bytes_of(p)});
    }
  }
  return s;
}

// ---- SQLite plumbing -------------------------------------------------------------------------
void exec(sqlite3* db, const char* sql) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) throw sqlite_error(db, rc);
}

StmtHandle prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  StmtHandle stmt(raw);
  if (rc != SQLITE_OK) throw sqlite_error(db, rc);
  return stmt;
}

std::int64_t query_int(sqlite3* db, const char* sql) {
  StmtHandle stmt = prepare(db, sql);
  int rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW) throw sqlite_error(db, rc == SQLITE_DONE ? SQLITE_ERROR : rc);
  return sqlite3_column_int64(stmt.get(), 0);
}

std::string query_text(sqlite3* db, const char* sql) {
  StmtHandle stmt = prepare(db, sql);
  int rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW) throw sqlite_error(db, rc == SQLITE_DONE ? SQLITE_ERROR : rc);
  const unsigned char* t = sqlite3_column_text(stmt.get(), 0);
  return t ? reinterpret_cast<const char*>(t) : "";
}

// ---- keyed replicas: pages through SQLite's pager -------------------------------------------
// With encryption at rest the pages on disk and in the WAL are SQLite3 Multiple Ciphers'
// ciphertext, computed in the pager (its codec is private to the amalgamation). So a keyed
// replica hands the plaintext pages to SQLite through the `sqlite_dbpage` virtual table
// (https://sqlite.org/dbpage.html) inside the caller's write transaction: SQLite encrypts them,
// appends the frames, checksums and indexes them, and commits as any writer does (docs/sync.md,
// "Encrypted replicas"). `current_pages` is the size before this transaction.
void put_pages_through_pager(sqlite3* db, Selection& sel, std::uint32_t db_size_pages,
                             std::int64_t current_pages) {
  const bool shrink = db_size_pages < current_pages;
  if (shrink && sel.page_one.empty()) {
    throw misuse("REPLICA_INVALID_PAGES", "the size shrinks to " + std::to_string(db_size_pages) +
                                              " pages without a new page 1");
  }
  // The pager rewrites page 1's change counter (bytes 24 and 92) on commit, which makes the
  // in-header size (bytes 28-31) count: it must be the commit's size, or 0 ("use the WAL's
  // size"). 0 when shrinking: the statement that writes page 1 and the shrink row ends with a
  // statement savepoint release, which re-reads the b-tree's page count from those bytes, and
  // the shrink happens at COMMIT only if that count is still larger than the new size. The
  // next transaction on this connection writes the right size back.
  if (!sel.page_one.empty()) put_be32(sel.page_one.data() + 28, shrink ? 0 : db_size_pages);
  // Page 1 goes last, in one statement with the shrink row. Each statement checks the schema
  // cookie when it starts, and a new cookie makes SQLite re-read the schema there and then,
  // through b-tree page headers cached before the pages were replaced (stale: it can read as
  // "orphan index"). Before page 1 the cookie is the old one; after it, nothing runs.
  std::uint32_t highest = 0;
  const Frame* one = nullptr;
  {
    StmtHandle put = prepare(db, "INSERT INTO sqlite_dbpage(pgno, data) VALUES (?1, ?2)");
    for (const Frame& f : sel.frames) {
      highest = std::max(highest, f.page_no);
      if (f.page_no == 1) {
        one = &f;
        continue;
      }
      sqlite3_bind_int64(put.get(), 1, f.page_no);
      sqlite3_bind_blob(put.get(), 2, f.data, static_cast<int>(kReplicaPageSize), SQLITE_STATIC);
      const int rc = sqlite3_step(put.get());
      sqlite3_reset(put.get());
      if (rc != SQLITE_DONE) throw sqlite_error(db, rc);
    }
  }
  // Shrink: "INSERT INTO sqlite_dbpage(pgno, data) VALUES (N, NULL)" drops page N and every
  // later page at COMMIT. It must be the transaction's last write (a later one cancels it).
  if (one || shrink) {
    StmtHandle last = prepare(db, one && shrink ? "INSERT INTO sqlite_dbpage(pgno, data) VALUES (1, ?1), (?2, NULL)"
                                  : one      ? "INSERT INTO sqlite_dbpage(pgno, data) VALUES (1, ?1)"
                                             : "INSERT INTO sqlite_dbpage(pgno, data) VALUES (?2, NULL)");
    if (one) sqlite3_bind_blob(last.get(), 1, one->data, static_cast<int>(kReplicaPageSize), SQLITE_STATIC);
    if (shrink) sqlite3_bind_int64(last.get(), 2, std::int64_t{db_size_pages} + 1);
    const int rc = sqlite3_step(last.get());
    if (rc != SQLITE_DONE) throw sqlite_error(db, rc);
  }
  if (db_size_pages >= current_pages && std::max<std::int64_t>(current_pages, highest) != db_size_pages) {
    // The pager grows the file only by the pages written: a growth needs its last page.
    throw misuse("REPLICA_INVALID_PAGES", "the size grows to " + std::to_string(db_size_pages) +
                                              " pages, but the last page written is " +
                                              std::to_string(std::max<std::int64_t>(current_pages, highest)));
  }
}

// BEGIN IMMEDIATE takes SQLite's WAL write lock and checks that this connection's snapshot is
// the newest; the transaction stays empty, so COMMIT only releases the lock.
class WriteTransaction {
 public:
  explicit WriteTransaction(sqlite3* db) : db_(db) { exec(db, "BEGIN IMMEDIATE"); }
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  ~WriteTransaction() {
    if (db_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    exec(db_, "COMMIT");
    db_ = nullptr;
  }

 private:
  sqlite3* db_;
};

sqlite3_file* file_pointer(sqlite3* db, int op, const char* what) {
  sqlite3_file* f = nullptr;
  int rc = sqlite3_file_control(db, "main", op, &f);
  if (rc != SQLITE_OK) throw vfs_error(rc, std::string("getting the ") + what + " file handle");
  if (!f || !f->pMethods) {
    throw file_error(SQLITE_PROTOCOL, "REPLICA_WAL_INDEX",
                     std::string("the ") + what + " file is not open");
  }
  return f;
}

void write_at(sqlite3_file* f, const unsigned char* data, std::size_t n, std::uint64_t offset) {
  int rc = f->pMethods->xWrite(f, data, static_cast<int>(n), static_cast<sqlite3_int64>(offset));
  if (rc != SQLITE_OK) throw vfs_error(rc, "writing the WAL");
}

void sync_file(sqlite3_file* f) {
  int rc = f->pMethods->xSync(f, SQLITE_SYNC_FULL);
  if (rc != SQLITE_OK) throw vfs_error(rc, "syncing the WAL");
}

// The wal-index, mapped through the database file's own xShmMap: the same shared memory every
// other connection of this file uses.
class WalIndex {
 public:
  explicit WalIndex(sqlite3_file* db_file) : file_(db_file) {
    if (file_->pMethods->iVersion < 2 || !file_->pMethods->xShmMap ||
        !file_->pMethods->xShmBarrier) {
      throw misuse("REPLICA_NO_SHM", "the VFS has no shared-memory wal-index");
    }
  }
  unsigned char* region(std::uint32_t i, bool extend) {
    if (i < regions_.size() && regions_[i]) return regions_[i];
    void volatile* p = nullptr;
    int rc =
        file_->pMethods->xShmMap(file_, static_cast<int>(i), kShmRegionSize, extend ? 1 : 0, &p);
    if (rc != SQLITE_OK) throw vfs_error(rc, "mapping the wal-index");
    if (!p) {
      throw file_error(SQLITE_PROTOCOL, "REPLICA_WAL_INDEX",
                       "wal-index region " + std::to_string(i) + " does not exist");
    }
    if (regions_.size() <= i) regions_.resize(i + 1, nullptr);
    // We hold the write lock: nobody else writes the parts we touch (readers only read them).
    regions_[i] = static_cast<unsigned char*>(const_cast<void*>(p));
    return regions_[i];
  }
  void barrier() { file_->pMethods->xShmBarrier(file_); }

 private:
  sqlite3_file* file_;
  std::vector<unsigned char*> regions_{};
};

// Hash block b covers frames (zero, zero + capacity].
struct HashBlock {
  std::uint32_t* page_no;  // page_no[k - 1] = page of block-relative frame k
  std::uint16_t* slots;
  std::uint32_t zero;
  std::uint32_t capacity;
};

std::uint32_t block_of(std::uint32_t frame) noexcept {
  return (frame + kHashNPage - kHashNPageOne - 1) / kHashNPage;
}

HashBlock hash_block(WalIndex& index, std::uint32_t block, bool extend) {
  unsigned char* r = index.region(block, extend);
  return HashBlock{
      .page_no = reinterpret_cast<std::uint32_t*>(r + (block == 0 ? kIndexPrefixSize : 0)),
      .slots = reinterpret_cast<std::uint16_t*>(r + kHashSlotsOffset),
      .zero = block == 0 ? 0 : kHashNPageOne + (block - 1) * kHashNPage,
      .capacity = block == 0 ? kHashNPageOne : kHashNPage,
  };
}

// Removes index entries for frames after `max_frame` in its block: leftovers of a writer that
// never published its header. Later blocks are zeroed when their first frame is indexed.
// Entries that stay were inserted before every removed one, so no probe chain is cut.
void clear_after(WalIndex& index, std::uint32_t max_frame) {
  if (max_frame == 0) return;
  HashBlock b = hash_block(index, block_of(max_frame), false);
  const std::uint32_t keep = max_frame - b.zero;
  for (std::uint32_t s = 0; s < kHashNSlot; ++s) {
    if (b.slots[s] > keep) b.slots[s] = 0;
  }
  std::fill(b.page_no + keep, b.page_no + b.capacity, 0U);
}

void index_frame(WalIndex& index, std::uint32_t frame, std::uint32_t page_no) {
  HashBlock b = hash_block(index, block_of(frame), true);
  const std::uint32_t k = frame - b.zero;
  if (k == 1) {
    std::fill(b.page_no, b.page_no + b.capacity, 0U);
    std::fill(b.slots, b.slots + kHashNSlot, std::uint16_t{0});
  } else if (b.page_no[k - 1] != 0) {
    clear_after(index, frame - 1);
  }
  std::uint32_t slot = (page_no * kHashMultiplier) & (kHashNSlot - 1);
  for (std::uint32_t probes = 0; b.slots[slot] != 0; slot = (slot + 1) & (kHashNSlot - 1)) {
    if (++probes > kHashNSlot) {
      throw file_error(SQLITE_CORRUPT, "REPLICA_WAL_INDEX", "wal-index hash block is full");
    }
  }
  b.page_no[k - 1] = page_no;
  // A reader may be probing this table: it must never see the slot before the page number.
  std::atomic_ref<std::uint16_t>(b.slots[slot])
      .store(static_cast<std::uint16_t>(k), std::memory_order_release);
}

IndexHeader read_index_header(const unsigned char* r0) {
  IndexHeader h1{};
  IndexHeader h2{};
  std::memcpy(&h1, r0, sizeof h1);
  std::memcpy(&h2, r0 + kIndexHeaderSize, sizeof h2);
  auto bad = [](const std::string& why) {
    return file_error(SQLITE_PROTOCOL, "REPLICA_WAL_INDEX", "wal-index header " + why);
  };
  if (std::memcmp(&h1, &h2, sizeof h1) != 0) throw bad("copies differ");
  if (h1.is_init != 1) throw bad("is not initialised");
  if (h1.version != kWalVersion) throw bad("version is " + std::to_string(h1.version));
  if (h1.cksum != index_header_checksum(h1)) throw bad("checksum does not match");
  // An empty WAL leaves the page size 0 until its first frame.
  if (h1.max_frame > 0 && h1.page_size != kReplicaPageSize) {
    throw bad("page size is " + std::to_string(h1.page_size));
  }
  return h1;
}

}  // namespace

void WalInjector::set_test_hook(InjectHook h) noexcept {
  g_test_hook.store(h, std::memory_order_release);
}

WalInjector::WalInjector(const std::string& path, std::chrono::milliseconds busy_timeout,
                         const std::string& encryption_key)
    : path_(path), busy_timeout_(busy_timeout), keyed_(!encryption_key.empty()) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK) throw sqlite_error(raw, rc);
  sqlite3* db = db_.get();
  if (keyed_) apply_encryption_key(db, encryption_key);  // before anything reads the file
  sqlite3_busy_timeout(db, static_cast<int>(busy_timeout.count()));
  // In exclusive locking mode the wal-index lives in heap memory, invisible to other connections.
  exec(db, "PRAGMA locking_mode=NORMAL");
  // Our commits never run the auto-checkpoint (docs/sync.md, "Rules that go with it").
  exec(db, "PRAGMA wal_autocheckpoint=0");
  // Reading the schema loads page 1, so the checks below see the file's real settings.
  try {
    query_int(db, "SELECT count(*) FROM sqlite_schema");
  } catch (const Error& e) {
    if (keyed_ || e.primary_code() != SQLITE_NOTADB) throw with_key_hint(e, keyed_);
    throw Error(e.kind(), e.extended_code(), e.code_name(),
                std::string(e.what()) + " (" + path + " is not a database, or it is encrypted: "
                                                      "open it with its encryptionKey)");
  }
  const auto page_size = query_int(db, "PRAGMA page_size");
  if (page_size != static_cast<std::int64_t>(kReplicaPageSize)) {
    throw misuse("REPLICA_PAGE_SIZE",
                 path + " has " + std::to_string(page_size) + "-byte pages; replicas need 4096");
  }
  int reserved = -1;  // negative: query only
  rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserved);
  if (rc != SQLITE_OK) throw vfs_error(rc, "reading the reserved bytes per page");
  if (reserved != 0) {
    throw misuse("REPLICA_PAGE_SIZE", path + " reserves " + std::to_string(reserved) +
                                          " bytes per page; replicas need 0");
  }
  const std::string mode = query_text(db, "PRAGMA journal_mode");
  if (mode != "wal") {
    throw misuse("REPLICA_NOT_WAL", path + " is in journal mode '" + mode + "'; replicas use WAL");
  }
}

ApplyStats WalInjector::apply(std::span<const PageImage> pages, std::uint32_t db_size_pages) {
  if (db_size_pages == 0) throw misuse("REPLICA_INVALID_PAGES", "the database size is 0 pages");
  Selection sel = select_pages(pages, db_size_pages);
  sqlite3* db = db_.get();

  WriteTransaction txn(db);  // step 1: the WAL write lock
  if (keyed_ && !sel.frames.empty()) {
    put_pages_through_pager(db, sel, db_size_pages, query_int(db, "PRAGMA page_count"));
    txn.commit();
    // This connection's cached b-tree page headers describe the pages before they were
    // replaced: drop its page cache, so it reads the new pages as any other connection does.
    sqlite3_db_release_memory(db);
    const auto seen = query_int(db, "PRAGMA page_count");
    if (seen != db_size_pages) {
      throw file_error(SQLITE_CORRUPT, "REPLICA_VERIFY",
                       "after the apply the database has " + std::to_string(seen) + " pages, not " +
                           std::to_string(db_size_pages));
    }
    return {.frames = sel.frames.size(), .db_size_pages = db_size_pages};
  }
  if (sel.frames.empty()) {
    // Every commit needs a frame; a size change always rewrites page 1, so none means no change.
    const auto current = query_int(db, "PRAGMA page_count");
    if (current != db_size_pages) {
      throw misuse("REPLICA_INVALID_PAGES", "no pages, but the size changes from " +
                                                std::to_string(current) + " to " +
                                                std::to_string(db_size_pages) + " pages");
    }
    txn.commit();
    return {.frames = 0, .db_size_pages = db_size_pages};
  }

  // Step 2: the file handles, the wal-index header.
  sqlite3_file* db_file = file_pointer(db, SQLITE_FCNTL_FILE_POINTER, "database");
  sqlite3_file* wal = file_pointer(db, SQLITE_FCNTL_JOURNAL_POINTER, "WAL");
  WalIndex index(db_file);
  unsigned char* region0 = index.region(0, false);
  const IndexHeader old = read_index_header(region0);
  const std::uint32_t start = old.max_frame;

  // Step 3: the WAL header.
  std::array<std::uint8_t, 8> salt = old.salt;
  bool big_words = old.big_end_cksum != 0;
  Checksum running{old.frame_cksum[0], old.frame_cksum[1]};
  std::array<unsigned char, kWalHeaderSize> wal_header{};
  sqlite3_int64 wal_size = 0;
  int rc = wal->pMethods->xFileSize(wal, &wal_size);
  if (rc != SQLITE_OK) throw vfs_error(rc, "reading the WAL size");
  bool have_header = false;
  if (wal_size >= static_cast<sqlite3_int64>(kWalHeaderSize)) {
    rc = wal->pMethods->xRead(wal, wal_header.data(), static_cast<int>(kWalHeaderSize), 0);
    if (rc != SQLITE_OK) throw vfs_error(rc, "reading the WAL header");
    have_header = (get_be32(wal_header.data()) & ~1U) == kWalMagic;
  }
  if (start == 0) {
    // A fresh (or reset) WAL: new header, new salts, so leftover frames can never be valid again.
    const std::uint32_t seq = have_header ? get_be32(wal_header.data() + 12) + 1 : 0;
    std::uint32_t salt2 = 0;
    sqlite3_randomness(sizeof salt2, &salt2);
    big_words = kNativeBigEndian;
    put_be32(wal_header.data(), kWalMagic | (big_words ? 1U : 0U));
    put_be32(wal_header.data() + 4, kWalVersion);
    put_be32(wal_header.data() + 8, static_cast<std::uint32_t>(kReplicaPageSize));
    put_be32(wal_header.data() + 12, seq);
    put_be32(wal_header.data() + 16, get_be32(salt.data()) + 1);
    put_be32(wal_header.data() + 20, salt2);
    running = checksum(wal_header.data(), 24, big_words, {});
    put_be32(wal_header.data() + 24, running.s0);
    put_be32(wal_header.data() + 28, running.s1);
    std::memcpy(salt.data(), wal_header.data() + 16, salt.size());
    write_at(wal, wal_header.data(), wal_header.size(), 0);
    sync_file(wal);  // as SQLite does: the header is durable before any frame can count
  } else {
    auto mismatch = [](const std::string& why) {
      return file_error(SQLITE_CORRUPT, "REPLICA_WAL_MISMATCH", "WAL header " + why);
    };
    if (!have_header) throw mismatch("is missing, but the wal-index has frames");
    if ((get_be32(wal_header.data()) & 1U) != old.big_end_cksum)
      throw mismatch("byte order differs");
    if (get_be32(wal_header.data() + 8) != kReplicaPageSize) throw mismatch("page size differs");
    if (std::memcmp(wal_header.data() + 16, salt.data(), salt.size()) != 0)
      throw mismatch("salts differ");
    // Step 4: index entries past mxFrame are leftovers of a writer that never committed.
    clear_after(index, start);
  }

  // Step 5: the frames, then the sync that makes them committed.
  const std::size_t n = sel.frames.size();
  const std::size_t per_write = g_test_hook.load(std::memory_order_acquire) ? 1 : kFramesPerWrite;
  std::vector<unsigned char> buf(std::min(n, per_write) * kFrameSize);
  for (std::size_t i = 0; i < n;) {
    const std::size_t m = std::min(per_write, n - i);
    for (std::size_t j = 0; j < m; ++j) {
      const Frame& f = sel.frames[i + j];
      unsigned char* h = buf.data() + j * kFrameSize;
      put_be32(h, f.page_no);
      put_be32(h + 4, i + j + 1 == n ? db_size_pages : 0);  // commit frame: the new size
      std::memcpy(h + 8, salt.data(), salt.size());
      running = checksum(h, 8, big_words, running);
      running = checksum(f.data, kReplicaPageSize, big_words, running);
      put_be32(h + 16, running.s0);
      put_be32(h + 20, running.s1);
      std::memcpy(h + kFrameHeaderSize, f.data, kReplicaPageSize);
    }
    write_at(wal, buf.data(), m * kFrameSize,
             kWalHeaderSize + (std::uint64_t{start} + i) * kFrameSize);
    i += m;
    hook(InjectPoint::FrameWritten, i);
  }
  sync_file(wal);
  hook(InjectPoint::WalSynced, n);

  // Step 6: index every frame.
  for (std::size_t i = 0; i < n; ++i) {
    index_frame(index, start + static_cast<std::uint32_t>(i) + 1, sel.frames[i].page_no);
  }
  hook(InjectPoint::IndexUpdated, n);

  // Step 7: publish. Readers take copy 1 first and retry unless copy 2 agrees.
  IndexHeader next = old;
  next.version = kWalVersion;
  next.change = old.change + 1;
  next.is_init = 1;
  next.big_end_cksum = big_words ? 1 : 0;
  next.page_size = static_cast<std::uint16_t>(kReplicaPageSize);
  next.max_frame = start + static_cast<std::uint32_t>(n);
  next.n_page = db_size_pages;
  next.frame_cksum = {running.s0, running.s1};
  next.salt = salt;
  next.cksum = index_header_checksum(next);
  index.barrier();
  std::memcpy(region0 + kIndexHeaderSize, &next, sizeof next);
  index.barrier();
  hook(InjectPoint::SecondHeaderWritten, n);
  std::memcpy(region0, &next, sizeof next);
  index.barrier();
  hook(InjectPoint::HeaderPublished, n);

  // Step 8: release the lock. Then read the new snapshot back as any reader would.
  txn.commit();
  const auto seen = query_int(db, "PRAGMA page_count");
  if (seen != db_size_pages) {
    throw file_error(SQLITE_CORRUPT, "REPLICA_VERIFY",
                     "after the apply the database has " + std::to_string(seen) + " pages, not " +
                         std::to_string(db_size_pages));
  }
  return {.frames = n, .db_size_pages = db_size_pages};
}

int WalInjector::checkpoint_passive() {
  int log = 0;
  int done = 0;
  int rc = sqlite3_wal_checkpoint_v2(db_.get(), "main", SQLITE_CHECKPOINT_PASSIVE, &log, &done);
  if (rc == SQLITE_BUSY) return 0;  // another connection is checkpointing
  if (rc != SQLITE_OK) throw sqlite_error(db_.get(), rc);
  return done;
}

bool WalInjector::truncate_if_larger(std::uintmax_t bytes, std::chrono::milliseconds timeout) {
  const char* wal_name = sqlite3_filename_wal(sqlite3_db_filename(db_.get(), "main"));
  std::error_code ec;
  const std::uintmax_t size = wal_name ? std::filesystem::file_size(wal_name, ec) : 0;
  if (ec || size <= bytes) return false;
  sqlite3_busy_timeout(db_.get(), static_cast<int>(timeout.count()));
  int rc =
      sqlite3_wal_checkpoint_v2(db_.get(), "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  sqlite3_busy_timeout(db_.get(), static_cast<int>(busy_timeout_.count()));
  if (rc == SQLITE_BUSY) return false;  // readers still use the WAL; try again after a later sync
  if (rc != SQLITE_OK) throw sqlite_error(db_.get(), rc);
  return true;
}

// ---- bootstrap --------------------------------------------------------------------------------
namespace {

class UniqueFd {
 public:
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Removes the temp file unless it was renamed into place.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  void keep() noexcept { path_.clear(); }

 private:
  std::string path_;
};

void write_all(int fd, const unsigned char* data, std::size_t n, off_t offset,
               const std::string& path) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, data, n, offset);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw io_error("writing " + path);
    }
    data += w;
    n -= static_cast<std::size_t>(w);
    offset += w;
  }
}

void remove_if_exists(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw io_error("removing " + path);
}

// Fills the empty file at `tmp` with the pages, encrypted by SQLite on a keyed connection. No
// journal: a crash leaves only a temp file, which is never renamed into place. The caller
// fsyncs the file.
void write_encrypted_pages(const std::string& tmp, Selection& sel, std::uint32_t db_size_pages,
                           const std::string& key) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(tmp.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) throw sqlite_error(raw, rc);
  apply_encryption_key(db.get(), key);
  exec(db.get(), "PRAGMA page_size=4096; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF");
  exec(db.get(), "BEGIN IMMEDIATE");
  try {
    put_pages_through_pager(db.get(), sel, db_size_pages, 0);
    exec(db.get(), "COMMIT");
  } catch (...) {
    sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  rc = sqlite3_close(db.release());
  if (rc != SQLITE_OK) throw make_sqlite_error(rc, std::string("closing ") + tmp + ": " + sqlite3_errstr(rc));
}

}  // namespace

void write_database_file(const std::string& path, std::span<const PageImage> pages,
                         std::uint32_t db_size_pages, const std::string& encryption_key) {
  if (db_size_pages == 0) throw misuse("REPLICA_INVALID_PAGES", "the database size is 0 pages");
  Selection sel = select_pages(pages, db_size_pages);
  if (sel.frames.size() != db_size_pages) {
    throw misuse("REPLICA_INVALID_PAGES", "a bootstrap needs all " + std::to_string(db_size_pages) +
                                              " pages, got " + std::to_string(sel.frames.size()));
  }
  // select_pages dedups and sorts, so exactly db_size_pages frames means pages 1..db_size_pages.

  std::string tmpl = path + ".bootstrap-XXXXXX";
  UniqueFd fd(::mkostemp(tmpl.data(), O_CLOEXEC));
  if (fd.get() < 0) throw io_error("creating a temp file next to " + path);
  TempFile tmp(tmpl);
  if (!encryption_key.empty()) {
    write_encrypted_pages(tmp.path(), sel, db_size_pages, encryption_key);
  } else {
    for (const Frame& f : sel.frames) {
      write_all(fd.get(), f.data, kReplicaPageSize,
                static_cast<off_t>(std::uint64_t{f.page_no - 1} * kReplicaPageSize), tmp.path());
    }
  }
  if (::fchmod(fd.get(), 0644) != 0) throw io_error("chmod " + tmp.path());
  if (::fsync(fd.get()) != 0) throw io_error("syncing " + tmp.path());
  if (::close(fd.release()) != 0) throw io_error("closing " + tmp.path());

  // A leftover WAL or hot journal of an older file would be replayed onto the new one.
  remove_if_exists(path + "-wal");
  remove_if_exists(path + "-shm");
  remove_if_exists(path + "-journal");
  rename_durably(tmp.path(), path);
  tmp.keep();
}

}  // namespace libsql::detail
