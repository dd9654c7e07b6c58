#include "cli/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace libsql::cli {

std::string json_quote(std::string_view s) { return detail::json_string(s); }

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  std::string out(buf, res.ptr);
  return out;
}

std::string blob_literal(const Blob& b) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out = "X'";
  for (std::byte x : b.bytes) {
    const auto u = static_cast<unsigned>(x);
    out.push_back(kDigits[u >> 4]);
    out.push_back(kDigits[u & 0xf]);
  }
  out.push_back('\'');
  return out;
}

std::string json_value(const Value& v) {
  switch (type_of(v)) {
    case ValueType::Null: return "null";
    case ValueType::Integer: return std::to_string(std::get<std::int64_t>(v));
    case ValueType::Real: return json_number(std::get<double>(v));
    case ValueType::Text: return json_quote(std::get<std::string>(v));
    case ValueType::Blob: return json_quote(blob_literal(std::get<Blob>(v)));
  }
  return "null";
}

}  // namespace libsql::cli
