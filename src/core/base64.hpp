#pragma once

// The one base64 codec: Hrana blobs (remote/hrana_json.cpp), Prisma's Bytes arguments
// (prisma/arg_mapping.cpp) and the WebSocket handshake key (remote/ws_client.cpp).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libsql/value.hpp"

namespace libsql::detail {

/// Standard alphabet, padded with '='.
[[nodiscard]] inline std::string base64_encode(const unsigned char* data, std::size_t n) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < n; i += 3) {
    const unsigned v = (unsigned{data[i]} << 16) | (unsigned{data[i + 1]} << 8) | unsigned{data[i + 2]};
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (i < n) {
    unsigned v = unsigned{data[i]} << 16;
    if (i + 1 < n) v |= unsigned{data[i + 1]} << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < n ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

[[nodiscard]] inline std::string base64_encode(const std::vector<std::byte>& bytes) {
  return base64_encode(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

/// Standard or URL-safe alphabet ('+' or '-', '/' or '_'), with or without padding; padded
/// text must be a whole number of 4-character groups ending in one or two '='. Anything else
/// (another character, misplaced padding, a length that cannot end on a whole byte) is
/// nullopt. Non-zero leftover bits ("AR" vs "AQ") are accepted, as Node's Buffer does.
[[nodiscard]] inline std::optional<Blob> base64_decode(std::string_view text) {
  auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string_view body = text;
  if (!body.empty() && body.back() == '=') {
    if (text.size() % 4 != 0) return std::nullopt;
    body.remove_suffix(1);
    if (!body.empty() && body.back() == '=') body.remove_suffix(1);
  }
  if (body.size() % 4 == 1) return std::nullopt;  // 6 bits cannot make a byte
  Blob out;
  out.bytes.reserve(body.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : body) {
    const int v = sextet(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.bytes.push_back(static_cast<std::byte>((acc >> bits) & 0xffU));
    }
  }
  return out;
}

}  // namespace libsql::detail
