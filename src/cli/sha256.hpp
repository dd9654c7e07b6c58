#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace libsql::cli {

/// SHA-256 (FIPS 180-4), incremental. Not thread-safe; cheap to create.
class Sha256 {
 public:
  using Digest = std::array<std::uint8_t, 32>;

  Sha256() noexcept;
  void update(std::string_view bytes) noexcept;
  /// Finishes the hash; the object must not be updated afterwards.
  [[nodiscard]] Digest finish() noexcept;

 private:
  void compress(const std::uint8_t* block) noexcept;

  std::array<std::uint32_t, 8> state_{};
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

[[nodiscard]] Sha256::Digest sha256(std::string_view bytes) noexcept;

/// Lower-case hex, two digits per byte ("0a"), or Prisma's old unpadded form ("a") when
/// `zero_pad` is false (prisma-engines issue 1887: early checksums dropped leading zeros).
[[nodiscard]] std::string to_hex(std::span<const std::uint8_t> bytes, bool zero_pad = true);

/// sha256(bytes) as 64 lower-case hex digits.
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

}  // namespace libsql::cli
