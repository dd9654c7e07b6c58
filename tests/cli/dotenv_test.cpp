#include "cli/dotenv.hpp"

#include <gtest/gtest.h>

namespace libsql::cli {
namespace {

TEST(Dotenv, ParsesTheFormsDotenvAccepts) {
  const EnvMap env = parse_dotenv(
      "# a comment\n"
      "LIBSQL_URL=file:dev.db\n"
      "export TURSO_DATABASE_URL = libsql://db-org.turso.io  \n"
      "SINGLE='a # not a comment'\n"
      "DOUBLE=\"line1\\nline2 \\\"q\\\"\"\n"
      "BACK=`x'y\"z`\n"
      "TRAILING=value # comment\n"
      "HASH=abc#def\n"
      "EMPTY=\n"
      "SPACED =  spaced out  \n"
      "MULTI=\"first\n"
      "second\"\n"
      "CRLF=dos\r\n"
      "not a pair\n"
      "=novalue\n"
      "DUP=1\n"
      "DUP=2\n");
  auto get = [&](const char* k) -> std::string {
    auto it = env.find(k);
    return it == env.end() ? "<missing>" : it->second;
  };
  EXPECT_EQ(get("LIBSQL_URL"), "file:dev.db");
  EXPECT_EQ(get("TURSO_DATABASE_URL"), "libsql://db-org.turso.io");
  EXPECT_EQ(get("SINGLE"), "a # not a comment");
  EXPECT_EQ(get("DOUBLE"), "line1\nline2 \\\"q\\\"");
  EXPECT_EQ(get("BACK"), "x'y\"z");
  EXPECT_EQ(get("TRAILING"), "value");
  EXPECT_EQ(get("HASH"), "abc");
  EXPECT_EQ(get("EMPTY"), "");
  EXPECT_EQ(get("SPACED"), "spaced out");
  EXPECT_EQ(get("MULTI"), "first\nsecond");
  EXPECT_EQ(get("CRLF"), "dos");
  EXPECT_EQ(get("DUP"), "2");
  EXPECT_EQ(env.size(), 12u);
}

TEST(Dotenv, AMissingFileIsNotAnError) {
  EXPECT_EQ(load_dotenv_file("/nonexistent/dir/.env"), std::nullopt);
}

}  // namespace
}  // namespace libsql::cli
