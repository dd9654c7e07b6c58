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

/// The outcome of one statement. An immutable value, safe to share across threads.
struct ResultSet {
  std::vector<Column> columns{};
  std::vector<Row> rows{};
  std::int64_t rows_affected = 0;
  /// The connection's last insert rowid after the statement, when it inserted a row.
  std::optional<std::int64_t> last_insert_rowid{};
};

}  // namespace libsql
