#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "libsql/result.hpp"

namespace libsql::cli {

/// How the shell prints a result set (`.mode`).
enum class OutputMode { Table, Csv, Json };

[[nodiscard]] std::optional<OutputMode> parse_output_mode(std::string_view name);
[[nodiscard]] const char* to_string(OutputMode mode) noexcept;

/// The text of a result set in the mode, ending with a newline; empty when the statement
/// returned no columns. Table and CSV print nothing for zero rows; JSON prints `[]`.
///  - table: ASCII box, header row, NULL shown as NULL, numbers right-aligned, control
///    characters shown escaped (`\n`).
///  - csv: RFC 4180 (header row, CRLF-free: lines end with \n), NULL as an empty field.
///  - json: an array of objects, one row per line; see json_value for the types.
[[nodiscard]] std::string format_result(const ResultSet& rs, OutputMode mode);

/// A value as table and CSV cells show it (text as is, blobs as X'..', NULL as "NULL").
[[nodiscard]] std::string display_text(const Value& v);

/// Display columns of UTF-8 text (one per code point; invalid bytes count one each).
[[nodiscard]] std::size_t display_width(std::string_view s) noexcept;

}  // namespace libsql::cli
