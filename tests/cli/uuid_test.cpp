#include "cli/uuid.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace libsql::cli {
namespace {

TEST(Uuid, IsARandomVersion4UuidInLowerCase) {
  const std::regex v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    const std::string id = uuid_v4();
    ASSERT_TRUE(std::regex_match(id, v4)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 2000u);
}

TEST(Uuid, SetsTheVersionAndVariantBitsOfTheRandomBytes) {
  std::array<std::uint8_t, 16> ones{};
  ones.fill(0xff);
  EXPECT_EQ(uuid_v4_from(ones), "ffffffff-ffff-4fff-bfff-ffffffffffff");
  EXPECT_EQ(uuid_v4_from({}), "00000000-0000-4000-8000-000000000000");
}

}  // namespace
}  // namespace libsql::cli
