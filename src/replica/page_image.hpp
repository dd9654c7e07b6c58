#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace libsql::detail {

/// Both sync protocols fix the page size at 4096 (docs/sync.md, "Page size").
inline constexpr std::size_t kReplicaPageSize = 4096;

/// One database page as the server sent it.
struct PageImage {
  std::uint32_t page_no = 0;      ///< 1-based SQLite page number
  std::vector<std::byte> data{};  ///< exactly kReplicaPageSize bytes
};

}  // namespace libsql::detail
