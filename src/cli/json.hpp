#pragma once

#include <string>
#include <string_view>

#include "core/json_writer.hpp"
#include "libsql/value.hpp"

namespace libsql::cli {

/// A JSON string literal (with its quotes). Control characters are escaped; bytes that are
/// not valid UTF-8 become U+FFFD, so the output is always valid JSON (core/json_writer.hpp).
[[nodiscard]] std::string json_quote(std::string_view s);

/// The shortest text that reads back as the same double; `null` for NaN and infinities.
[[nodiscard]] std::string json_number(double v);

/// NULL -> null, integers -> numbers (exact, even beyond 2^53), reals -> numbers, text ->
/// strings, blobs -> `X'hex'` strings.
[[nodiscard]] std::string json_value(const Value& v);

/// Blob bytes as SQLite's literal: X'00FF'.
[[nodiscard]] std::string blob_literal(const Blob& b);

/// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid.
using detail::utf8_sequence_length;

}  // namespace libsql::cli
