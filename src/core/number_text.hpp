#pragma once

#include <charconv>
#include <string>

namespace libsql::detail {

/// A double as the shortest decimal text that reads back as the same double (std::to_chars:
/// "0.1", "123467.769", "1e+21"), as JavaScript and JSON writers print numbers. "%.17g" would
/// print 123467.769 as "123467.76900000001": the same double, but a reader that parses floats
/// only approximately (serde_json's default, in sqld) may then land on a neighbouring double.
/// Non-finite values come out as "inf", "-inf", "nan".
[[nodiscard]] inline std::string shortest_text(double d) {
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, result.ptr);
}

}  // namespace libsql::detail
