#pragma once

// Hand-built Turso Sync `/pull-updates` bodies (varint-delimited protobuf), for the replica tests.
#include <cstdint>
#include <string>
#include <vector>

#include "replica/turso_sync.hpp"

namespace libsql::test::pull {

inline std::string varint(std::uint64_t v) {
  std::string s;
  libsql::detail::protobuf::append_varint(s, v);
  return s;
}
inline std::string key(std::uint32_t field, int wire_type) {
  return varint((std::uint64_t{field} << 3) | static_cast<std::uint64_t>(wire_type));
}
inline std::string vfield(std::uint32_t field, std::uint64_t v) { return key(field, 0) + varint(v); }
inline std::string lfield(std::uint32_t field, const std::string& bytes) {
  return key(field, 2) + varint(bytes.size()) + bytes;
}
inline std::string delimited(const std::string& message) { return varint(message.size()) + message; }

/// The response header: revision, database size (pages; 0 = omitted), raw encoding.
inline std::string header(const std::string& revision, std::uint64_t db_size, bool raw = true) {
  std::string m = lfield(1, revision);
  if (db_size != 0) m += vfield(2, db_size);
  if (raw) m += lfield(3, "");
  return m;
}
/// One PageData message (0-based page id).
inline std::string page(std::uint64_t id, const std::string& data) { return vfield(1, id) + lfield(2, data); }
inline std::string body(const std::string& header_message, const std::vector<std::string>& pages = {}) {
  std::string b = delimited(header_message);
  for (const auto& p : pages) b += delimited(p);
  return b;
}

}  // namespace libsql::test::pull
