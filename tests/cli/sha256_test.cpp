#include "cli/sha256.hpp"

#include <gtest/gtest.h>

#include <string>

namespace libsql::cli {
namespace {

struct Vector {
  std::string input;
  const char* digest;
};

// FIPS 180-4 / NIST CSRC example vectors, plus block-boundary lengths.
TEST(Sha256, MatchesTheNistVectors) {
  const std::vector<Vector> cases = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
      {std::string(1000000, 'a'), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
      {"hello", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(sha256_hex(c.input), c.digest) << "input of " << c.input.size() << " bytes";
  }
}

TEST(Sha256, IncrementalUpdatesGiveTheOneShotDigest) {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>(i * 7));
  for (std::size_t len : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 119u, 120u, 128u, 300u}) {
    const std::string part = data.substr(0, len);
    for (std::size_t split : {std::size_t{0}, std::size_t{1}, len / 3, len / 2, len}) {
      if (split > len) continue;
      Sha256 h;
      h.update(std::string_view(part).substr(0, split));
      h.update(std::string_view(part).substr(split));
      EXPECT_EQ(to_hex(h.finish()), sha256_hex(part)) << "len " << len << " split " << split;
    }
  }
}

TEST(Sha256, HexIsLowerCaseAndPaddedUnlessAskedForPrismasOldForm) {
  const std::vector<std::uint8_t> bytes = {0x00, 0x0a, 0xab, 0xf0};
  EXPECT_EQ(to_hex(bytes), "000aabf0");
  EXPECT_EQ(to_hex(bytes, false), "0aabf0");
}

}  // namespace
}  // namespace libsql::cli
