#pragma once

// The one JSON string writer: Hrana requests (remote/hrana_json.cpp), replica metadata
// (replica/replica_meta.cpp), mapped Prisma errors (prisma/error_mapping.cpp) and the CLI's
// JSON output (cli/json.cpp) all escape the same way.

#include <cstddef>
#include <string>
#include <string_view>

namespace libsql::detail {

/// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid there
/// (a stray continuation byte, a truncated sequence, an overlong form, a surrogate, or a code
/// point beyond U+10FFFF).
[[nodiscard]] inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  std::size_t len = 0;
  unsigned cp = 0;
  if ((b0 & 0xe0) == 0xc0) {
    len = 2;
    cp = b0 & 0x1fu;
  } else if ((b0 & 0xf0) == 0xe0) {
    len = 3;
    cp = b0 & 0x0fu;
  } else if ((b0 & 0xf8) == 0xf0) {
    len = 4;
    cp = b0 & 0x07u;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3fu);
  }
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
      (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
    return 0;
  }
  return len;
}

[[nodiscard]] inline bool is_valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t len = utf8_sequence_length(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

/// What the writer does with bytes that are not valid UTF-8 (JSON text is UTF-8).
enum class InvalidUtf8 {
  /// Each invalid byte becomes U+FFFD: the output is always valid JSON (messages, CLI output).
  Replace,
  /// Stop and return false: the caller refuses the input (data that must arrive unchanged).
  Reject,
};

/// Appends `s` as a JSON string literal, quotes included. `"` and `\` are escaped; control
/// characters U+0000-U+001F and U+007F as \b \f \n \r \t or \u00XX; everything else (valid
/// UTF-8 included) is copied as is. Returns false only with InvalidUtf8::Reject on a byte that
/// is not valid UTF-8; `out` then holds part of the literal and the caller discards it.
inline bool append_json_string(std::string& out, std::string_view s,
                               InvalidUtf8 on_invalid = InvalidUtf8::Replace) {
  constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t len = utf8_sequence_length(s, i);
      if (len == 0) {
        if (on_invalid == InvalidUtf8::Reject) return false;
        out += "\xef\xbf\xbd";  // U+FFFD
        ++i;
      } else {
        out.append(s.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
  return true;
}

/// `s` as a JSON string literal (InvalidUtf8::Replace).
[[nodiscard]] inline std::string json_string(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  append_json_string(out, s);
  return out;
}

}  // namespace libsql::detail
