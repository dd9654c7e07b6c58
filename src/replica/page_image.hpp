#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace libsql::detail {

/// Both sync protocols fix the page size at 4096 (docs/sync.md, "Page size").
inline constexpr std::size_t kReplicaPageSize = 4096;

/// One database page as the server sent it.
struct PageImage {
  std::uint32_t page_no = 0;      ///< 1-based SQLite page number
  std::vector<std::byte> data{};  ///< exactly kReplicaPageSize bytes
};

/// One unit a puller delivers (docs/sync.md, "The puller seam"): a page set to apply as one
/// commit, then `server_revision` (and `log_id`) to store as the replica's new position.
struct PullResult {
  std::string server_revision{};       ///< opaque to the engine; compared only for equality
  std::uint32_t db_size_pages = 0;     ///< database size after applying, in pages
  std::vector<PageImage> pages{};      ///< ascending page_no, no duplicates
  /// Replace the local database with these pages (a whole image) instead of patching it:
  /// Turso Sync's apply_mode = REPLACE_BASE, or a libSQL log whose log_id changed.
  bool replace_base = false;
  /// libSQL replication only: the id of the server's log the revision belongs to.
  std::string log_id{};
  /// Protocol frames this unit stands for (what sync() reports as frames_synced); for Turso
  /// Sync the pages.
  std::size_t frames = 0;
};

}  // namespace libsql::detail
