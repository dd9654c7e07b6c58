#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libsql/value.hpp"

namespace libsql {

/// A result column: its name and declared type (empty when the column is an expression).
struct Column {
  std::string name{};
  std::string decltype_{};
  friend bool operator==(const Column&, const Column&) = default;
};

using Row = std::vector<Value>;

namespace detail {
struct CompactRows;
struct FastPath;
/// Internal: where a local engine keeps a result's rows in bulk form for the Node binding
/// (src/core/fast_path.hpp). Always empty for C++ callers. Copies copy the rows.
class CompactSlot {
 public:
  CompactSlot() noexcept;
  CompactSlot(const CompactSlot& other);
  CompactSlot(CompactSlot&& other) noexcept;
  CompactSlot& operator=(const CompactSlot& other);
  CompactSlot& operator=(CompactSlot&& other) noexcept;
  ~CompactSlot();

 private:
  friend struct FastPath;
  std::unique_ptr<CompactRows> rows_;
};
}  // namespace detail

/// The outcome of one statement. An immutable value, safe to share across threads.
struct ResultSet {
  std::vector<Column> columns{};
  std::vector<Row> rows{};
  std::int64_t rows_affected = 0;
  /// The connection's last insert rowid after the statement, when it inserted a row.
  std::optional<std::int64_t> last_insert_rowid{};
  /// sqld's replication index (the primary's last frame number) after the statement, when
  /// the server sends one: an embedded replica syncs until it has reached it.
  std::optional<std::uint64_t> replication_index{};

  /// Internal (the Node binding's bulk rows); never set for C++ callers.
  detail::CompactSlot compact_rows{};

  /// Number of rows.
  [[nodiscard]] std::size_t row_count() const noexcept;
};

}  // namespace libsql
