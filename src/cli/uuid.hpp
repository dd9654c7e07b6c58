#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace libsql::cli {

/// A random UUID version 4 (RFC 9562 §5.4), lower-case: "3f6cdb99-2a41-46cc-9aab-f5395afbb95b".
/// Throws std::runtime_error when the system has no source of randomness.
[[nodiscard]] std::string uuid_v4();

/// Formats 16 random bytes as a version 4, variant 10xx UUID (sets those bits).
[[nodiscard]] std::string uuid_v4_from(std::array<std::uint8_t, 16> random_bytes);

}  // namespace libsql::cli
