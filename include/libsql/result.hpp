#pragma once

#include <cstdint>
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

/// Rows kept in a few flat arrays instead of one Value per cell (no allocation per cell): what a
/// Statement with `compact` set gets from the local engines. Cells are in row-major order; each
/// kind of cell takes the next entry of its own array.
struct CompactRows {
  /// The cell's kind; the same numbering as Value's alternatives.
  enum Tag : std::uint8_t { kNull = 0, kInteger = 1, kReal = 2, kText = 3, kBlob = 4 };
  std::size_t row_count = 0;
  std::size_t column_count = 0;
  std::vector<std::uint8_t> tags{};        ///< row_count * column_count
  std::vector<std::int64_t> integers{};    ///< kInteger cells
  std::vector<double> reals{};             ///< kReal cells
  std::string text{};                      ///< kText cells, concatenated (bytes as stored)
  std::vector<std::uint32_t> text_ends{};  ///< each kText cell's end offset in `text`
  std::vector<std::uint8_t> blobs{};       ///< kBlob cells, concatenated
  std::vector<std::uint32_t> blob_ends{};  ///< each kBlob cell's end offset in `blobs`
};

/// The same rows as Values.
[[nodiscard]] std::vector<Row> to_rows(const CompactRows& compact);
/// The same rows in compact form (`column_count` cells per row). Text or blob bytes beyond the
/// 32-bit offsets are not representable: the caller keeps such rows as Values.
[[nodiscard]] CompactRows to_compact(const std::vector<Row>& rows, std::size_t column_count);

/// The outcome of one statement. An immutable value, safe to share across threads.
struct ResultSet {
  std::vector<Column> columns{};
  /// The rows, unless they are in `compact` (see Statement::compact).
  std::vector<Row> rows{};
  /// Set instead of `rows` when the statement asked for compact rows and the engine kept them
  /// that way (see Statement::compact).
  std::optional<CompactRows> compact{};
  std::int64_t rows_affected = 0;
  /// The connection's last insert rowid after the statement, when it inserted a row.
  std::optional<std::int64_t> last_insert_rowid{};
  /// sqld's replication index (the primary's last frame number) after the statement, when
  /// the server sends one: an embedded replica syncs until it has reached it.
  std::optional<std::uint64_t> replication_index{};

  /// Number of rows, in either form.
  [[nodiscard]] std::size_t row_count() const noexcept { return compact ? compact->row_count : rows.size(); }
};

}  // namespace libsql
