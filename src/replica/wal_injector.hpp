#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "local/sqlite_handles.hpp"
#include "replica/page_image.hpp"

namespace libsql::detail {

/// What one apply() wrote.
struct ApplyStats {
  std::size_t frames = 0;           ///< WAL frames appended (distinct pages); 0 = nothing to do
  std::uint32_t db_size_pages = 0;  ///< database size after the commit
};

/// Places inside apply() where a crash test can stop the process (see set_test_hook).
enum class InjectPoint {
  FrameWritten,         ///< after each frame is written, before the WAL sync (arg: frames so far)
  WalSynced,            ///< after the WAL fsync (the commit point), before the wal-index is touched
  IndexUpdated,         ///< after the hash entries, before the header is published
  SecondHeaderWritten,  ///< after wal-index header copy 2, before copy 1
  HeaderPublished,      ///< after both header copies, before COMMIT releases the write lock
};
using InjectHook = void (*)(InjectPoint point, std::size_t frames_written);

/// Applies pulled pages to a live WAL-mode replica file by appending them to its `-wal` as one
/// committed transaction and indexing them in the wal-index, as SQLite's own writer does
/// (docs/sync.md, "The WAL injection procedure" and "Rules that go with it"). Readers are never blocked; open read transactions keep their snapshot.
/// Owns the one dedicated injector connection of a replica file. Not thread-safe: one sync thread.
///
/// Errors (libsql::Error): SQLite failures carry SQLite's extended code (kind Sqlite). Our own
/// checks use these code names: REPLICA_PAGE_SIZE, REPLICA_NOT_WAL, REPLICA_NO_SHM,
/// REPLICA_INVALID_PAGES (kind Misuse); REPLICA_WAL_INDEX (SQLITE_PROTOCOL), REPLICA_WAL_MISMATCH
/// and REPLICA_VERIFY (SQLITE_CORRUPT), REPLICA_IO (SQLITE_IOERR) (kind Sqlite).
class WalInjector {
 public:
  /// Opens the existing WAL-mode file (locking_mode NORMAL). Throws Error when the file cannot
  /// be opened, is not in WAL mode, or its page size is not 4096 or it has reserved bytes.
  /// With an `encryption_key` (libSQL's encryption at rest, local/connection.hpp) the file is
  /// opened with the key (SQLITE_NOTADB when it is wrong or the file is not encrypted) and
  /// apply() writes through SQLite's pager instead (docs/sync.md, "Encrypted replicas").
  explicit WalInjector(const std::string& path,
                       std::chrono::milliseconds busy_timeout = std::chrono::seconds(5),
                       const std::string& encryption_key = {});
  WalInjector(const WalInjector&) = delete;
  WalInjector& operator=(const WalInjector&) = delete;
  WalInjector(WalInjector&&) noexcept = default;
  WalInjector& operator=(WalInjector&&) noexcept = default;
  ~WalInjector() = default;

  /// Writes `pages` as ONE committed transaction leaving the database `db_size_pages` long.
  /// Pages may come in any order and may repeat (the last one wins); pages beyond the new size
  /// are dropped, as SQLite's own commit does. Re-applying the same pages is harmless. Page 1
  /// must say page size 4096 and no reserved bytes; it is written with bytes 18/19 = 2 (WAL).
  /// Throws Error; on error nothing was committed unless the WAL sync had already happened.
  /// Keyed: the same transaction goes through the `sqlite_dbpage` virtual table on the keyed
  /// connection (SQLite encrypts, writes the frames and the wal-index); the InjectPoint hooks
  /// are not called then; page 1's change counter is the pager's, its in-header size the
  /// commit's (0 after a shrink, fixed by the next transaction).
  ApplyStats apply(std::span<const PageImage> pages, std::uint32_t db_size_pages);

  /// PASSIVE checkpoint (docs/sync.md, "Rules that go with it": our frames never trigger the auto-checkpoint).
  /// Returns the number of frames in the WAL that are now in the database file.
  int checkpoint_passive();
  /// TRUNCATE checkpoint when the -wal file is larger than `bytes`, waiting at most `timeout`
  /// for readers. True when the WAL was truncated, false when it was small enough or busy.
  bool truncate_if_larger(std::uintmax_t bytes,
                          std::chrono::milliseconds timeout = std::chrono::milliseconds(100));

  /// The injector connection (settings, tests). Never write through it.
  [[nodiscard]] sqlite3* db() const noexcept { return db_.get(); }

  /// Test only: called at each InjectPoint of every apply() in this process; nullptr = none.
  static void set_test_hook(InjectHook hook) noexcept;

 private:
  DbHandle db_;
  std::string path_;
  std::chrono::milliseconds busy_timeout_;
  bool keyed_ = false;
};

/// Bootstrap: writes a brand-new database file from a complete page set (every page from 1 to
/// `db_size_pages`) in WAL mode (header bytes 18/19 = 2). Writes a temp file in the same
/// directory, fsyncs it, removes any old -wal, -shm and -journal of `path`, renames it over
/// `path` and fsyncs the directory. No connection to `path` may be open; callers drop their
/// sync metadata first, so a crash half-way leads to a new bootstrap. Throws Error.
/// With an `encryption_key` the temp file is written by SQLite on a keyed connection (through
/// `sqlite_dbpage`), so every page on disk is encrypted as libSQL encrypts a local file.
void write_database_file(const std::string& path, std::span<const PageImage> pages,
                         std::uint32_t db_size_pages, const std::string& encryption_key = {});

}  // namespace libsql::detail
