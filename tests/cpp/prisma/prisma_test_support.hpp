#pragma once

// Helpers shared by the prisma-layer tests: readable values in failure messages.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>

#include "libsql/value.hpp"

namespace libsql::prisma::test {

inline Blob bytes(std::initializer_list<int> values) {
  Blob b;
  for (const int v : values) b.bytes.push_back(static_cast<std::byte>(v));
  return b;
}

inline std::string quote_text(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

/// "NULL", "INTEGER 3", "REAL -0", "TEXT \"a\"", "BLOB [1,2]".
inline std::string describe(const Value& v) {
  switch (type_of(v)) {
    case ValueType::Null:
      return "NULL";
    case ValueType::Integer:
      return "INTEGER " + std::to_string(std::get<std::int64_t>(v));
    case ValueType::Real: {
      const double d = std::get<double>(v);
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", d);
      return std::string("REAL ") + (d == 0 && std::signbit(d) ? "-" : "") + buf;
    }
    case ValueType::Text:
      return "TEXT " + quote_text(std::get<std::string>(v));
    case ValueType::Blob: {
      std::string out = "BLOB [";
      const auto& b = std::get<Blob>(v).bytes;
      for (std::size_t i = 0; i < b.size(); ++i) {
        if (i > 0) out += ',';
        out += std::to_string(static_cast<int>(b[i]));
      }
      return out + "]";
    }
  }
  return "?";
}

/// Same storage class and same value; reals compare bit-exactly enough to tell -0.0 from 0.0.
inline bool same(const Value& a, const Value& b) {
  if (a.index() != b.index()) return false;
  if (const auto* x = std::get_if<double>(&a)) {
    const double y = std::get<double>(b);
    if (std::isnan(*x) || std::isnan(y)) return std::isnan(*x) && std::isnan(y);
    return *x == y && std::signbit(*x) == std::signbit(y);
  }
  return a == b;
}

}  // namespace libsql::prisma::test

namespace libsql {
// GoogleTest prints values through these.
inline void PrintTo(const Value& v, std::ostream* os) { *os << prisma::test::describe(v); }
inline void PrintTo(const Blob& b, std::ostream* os) { *os << prisma::test::describe(Value(b)); }
}  // namespace libsql
