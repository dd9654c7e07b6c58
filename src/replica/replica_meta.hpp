#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "replica/page_image.hpp"

// The replica's sidecar files, beside the database `<db>`:
//
//   <db>-replica.json   what the local file is a copy of. One JSON object, e.g.
//     {"format":"libsql-cpp-replica","version":1,"protocol":"turso-sync",
//      "sync_url":"https://db-org.turso.io","page_size":4096,"server_revision":"370"}
//     - sync_url: sync_url_identity() of the syncUrl it was bootstrapped from (never a token).
//     - server_revision: the Turso Sync revision the pages are at (opaque, compared for
//       equality only); "" never occurs (a pull always returns one).
//     - protocol: "turso-sync", "libsql-grpc" (then also "log_id", and server_revision
//       is the last applied frame_no in decimal, "" before the first frame), or
//       "turso-cloud-http" (server_revision is "generation:frame", e.g. "3:120").
//     Unknown keys are ignored; a higher `version` or an unknown `protocol` is refused.
//     Written atomically (temp file, fsync, rename, fsync of the directory) and only AFTER
//     the pulled pages are durable (the WAL sync): a crash may leave the pages ahead of the
//     revision, which is harmless (the next pull returns whole pages again, docs/sync.md, "Rules that go with it"),
//     never the revision ahead of the pages.
//   <db>-replica.lock   empty; flock(LOCK_EX) held by the one Client syncing the replica.
//     Never deleted (deleting would let two openers lock two different inodes).
//
// Policy (the replica engine applies it at open):
//   - database file present but no metadata: refuse (we cannot know what it is a copy of;
//     the same rule as libSQL's "requires clean database").
//   - metadata names another sync URL: refuse with REPLICA_SYNC_URL_MISMATCH, never
//     re-bootstrap silently: the configured URL may be a typo and the file may be the only
//     copy of something. The user removes the files to start over.
//   - metadata unreadable: REPLICA_META_INVALID; same remedy.

namespace libsql::detail {

struct ReplicaMeta {
  std::string sync_url{};          ///< sync_url_identity() of the syncUrl
  std::string server_revision{};   ///< opaque; "" only for libsql-grpc (no frame yet)
  /// The sync protocol the replica was bootstrapped with (puller.hpp: "turso-sync",
  /// "libsql-grpc", "turso-cloud-http"); a replica never changes it.
  std::string protocol = "turso-sync";
  std::string log_id{};            ///< libsql-grpc: the server log's id (UUID)
  std::uint32_t page_size = static_cast<std::uint32_t>(kReplicaPageSize);
};

/// `<db>-replica.json`
std::string replica_meta_path(const std::string& db_path);
/// `<db>-replica.lock`
std::string replica_lock_path(const std::string& db_path);

/// The file's bytes (one line of JSON, newline-terminated).
/// Throws libsql::Error (Misuse, ARGS_INVALID) if a string is not valid UTF-8.
std::string encode_replica_meta(const ReplicaMeta& meta);
/// Throws libsql::Error (Misuse, REPLICA_META_INVALID) for anything but a valid file.
ReplicaMeta decode_replica_meta(std::string_view text);

/// nullopt when the file does not exist. Throws libsql::Error: REPLICA_META_INVALID, or
/// SQLITE_IOERR (Sqlite) when it cannot be read.
std::optional<ReplicaMeta> read_replica_meta(const std::string& db_path);
/// Replaces the file atomically and durably. Call only once the pages it describes are
/// durable. Throws libsql::Error (Sqlite: SQLITE_CANTOPEN / SQLITE_IOERR).
void write_replica_meta(const std::string& db_path, const ReplicaMeta& meta);

/// Throws libsql::Error (Misuse) unless the replica described by `meta` may be synced from
/// `sync_url_identity`: REPLICA_SYNC_URL_MISMATCH, or REPLICA_META_INVALID for a page size
/// other than 4096 (Turso Sync pages are 4096 bytes).
void check_replica_meta(const ReplicaMeta& meta, std::string_view sync_url_identity);

/// Exclusive advisory lock on `<db>-replica.lock` (flock: per open file, so a second Client
/// in the same process is refused like another process). Released by the destructor or by
/// process exit. Not inherited across exec (O_CLOEXEC); a fork()ed child shares it.
/// Move-only; not thread-safe (one owner).
class ReplicaLock {
 public:
  /// Throws libsql::Error: REPLICA_LOCKED (Misuse) when another holder has it;
  /// SQLITE_CANTOPEN (Sqlite) when the lock file cannot be created.
  static ReplicaLock acquire(const std::string& db_path);

  ReplicaLock() = default;
  ReplicaLock(ReplicaLock&& other) noexcept;
  ReplicaLock& operator=(ReplicaLock&& other) noexcept;
  ReplicaLock(const ReplicaLock&) = delete;
  ReplicaLock& operator=(const ReplicaLock&) = delete;
  ~ReplicaLock();

  [[nodiscard]] bool held() const noexcept { return fd_ >= 0; }
  void release() noexcept;

 private:
  explicit ReplicaLock(int fd) noexcept : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace libsql::detail
