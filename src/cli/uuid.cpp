#include "cli/uuid.hpp"

#include <sys/random.h>

#include <cerrno>
#include <stdexcept>

#include "cli/sha256.hpp"

namespace libsql::cli {

std::string uuid_v4_from(std::array<std::uint8_t, 16> b) {
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // variant 10xx
  const std::string hex = to_hex(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

std::string uuid_v4() {
  std::array<std::uint8_t, 16> bytes{};
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("getrandom() failed: no source of randomness for UUIDs");
    }
    got += static_cast<std::size_t>(n);
  }
  return uuid_v4_from(bytes);
}

}  // namespace libsql::cli
