#include "cli/checksum.hpp"

#include <array>

#include "cli/sha256.hpp"

namespace libsql::cli {
namespace {

std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size() + s.size() / 16);
  std::size_t pos = 0;
  for (;;) {
    const std::size_t hit = s.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(s.substr(pos));
  return out;
}

constexpr std::size_t kChecksumLength = 64;

}  // namespace

std::string migration_checksum(std::string_view script) { return sha256_hex(script); }

bool checksum_matches(std::string_view script, std::string_view recorded) {
  // Prisma's rule (prisma-engines, migration-connector checksum.rs): a recorded checksum of
  // another length than 64 was written unpadded (issue 1887), so compare in that form.
  const bool padded = recorded.empty() || recorded.size() == kChecksumLength;
  auto matches = [&](std::string_view candidate) {
    return to_hex(sha256(candidate), padded) == recorded;
  };
  if (matches(script)) return true;
  // The line-ending variants (the plain replacement Prisma does, not a normalisation).
  if (script.find("\r\n") != std::string_view::npos && matches(replace_all(script, "\r\n", "\n"))) {
    return true;
  }
  return script.find('\n') != std::string_view::npos && matches(replace_all(script, "\n", "\r\n"));
}

}  // namespace libsql::cli
