#include "cli/checksum.hpp"

#include <gtest/gtest.h>

#include "cli/sha256.hpp"
#include "cli_test_support.hpp"

namespace libsql::cli {
namespace {

std::string crlf(std::string_view lf) {
  std::string out;
  for (char c : lf) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

TEST(Checksum, IsWhatPrismaRecordedForTheFixtureMigrations) {
  // tests/cli/fixtures/prisma619-history.sql: the checksums Prisma 6.19 wrote.
  const std::vector<std::pair<const char*, const char*>> recorded = {
      {test::kInit, "9c27da510e25272e11dcfb38c074109da4302a4e77fed733fcc08e734ab84619"},
      {test::kProfile, "88f2b9e77100493a32461fdfa8eb336dba0a8f9b270b3cdec6fc9945bcb6a72a"},
      {test::kUserName, "929f854355244a5e7a870aac7858d20d58aec1652bd22d0122c9867197986bd5"},
      {test::kTags, "b47c4fa92063e161bac0a133c7cea9eb759d41ccc188e80fbf1d150849f0580c"},
  };
  for (const auto& [name, checksum] : recorded) {
    const std::string script = test::read_text(test::kBlogMigrations / name / "migration.sql");
    EXPECT_EQ(migration_checksum(script), checksum) << name;
    EXPECT_TRUE(checksum_matches(script, checksum)) << name;
    EXPECT_TRUE(checksum_matches(crlf(script), checksum)) << name << " with CRLF line endings";
  }
}

TEST(Checksum, AcceptsTheOtherLineEndingStyleEitherWay) {
  const std::string lf = "CREATE TABLE a (x);\nCREATE TABLE b (y);\n";
  EXPECT_TRUE(checksum_matches(lf, migration_checksum(crlf(lf))));  // applied from a CRLF checkout
  EXPECT_TRUE(checksum_matches(crlf(lf), migration_checksum(lf)));
  // Prisma's own test: a lone CR stays as it is.
  EXPECT_TRUE(checksum_matches("ab\r\ncd\r\nef\r\ngh\rab\r\n", migration_checksum("ab\ncd\nef\ngh\rab\n")));
}

TEST(Checksum, RejectsAnyOtherChange) {
  EXPECT_FALSE(checksum_matches("abc", migration_checksum("abcd")));
  EXPECT_FALSE(checksum_matches("abc\n", migration_checksum("abc")));  // Prisma's negative case
  EXPECT_FALSE(checksum_matches("abc", ""));
  EXPECT_FALSE(checksum_matches("abc", "not a checksum"));
}

TEST(Checksum, AcceptsTheUnpaddedChecksumsOfEarlyPrismaVersions) {
  // prisma-engines issue 1887: bytes below 0x10 lost their leading zero.
  std::string script = "x";
  std::string padded, unpadded;
  for (int i = 0; i < 1000; ++i) {
    script = "SELECT " + std::to_string(i) + ";\n";
    padded = migration_checksum(script);
    unpadded = to_hex(sha256(script), false);
    if (unpadded.size() != padded.size()) break;
  }
  ASSERT_NE(unpadded.size(), padded.size());
  EXPECT_TRUE(checksum_matches(script, unpadded));
  EXPECT_TRUE(checksum_matches(crlf(script), unpadded));
}

}  // namespace
}  // namespace libsql::cli
