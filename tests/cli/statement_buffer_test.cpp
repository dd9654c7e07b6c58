#include "cli/statement_buffer.hpp"

#include <gtest/gtest.h>

namespace libsql::cli {
namespace {

std::vector<PendingStatement> feed(StatementBuffer& b, std::initializer_list<const char*> lines) {
  std::vector<PendingStatement> out;
  int n = 0;
  for (const char* l : lines) {
    for (auto& s : b.add_line(l, ++n)) out.push_back(std::move(s));
  }
  return out;
}

TEST(StatementBuffer, WaitsForTheSemicolonThatEndsTheStatement) {
  StatementBuffer b;
  auto out = feed(b, {"SELECT 'a;b',", "  \"c;\" -- d;", "FROM t /* ; */", ";"});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].sql, "SELECT 'a;b',\n  \"c;\" -- d;\nFROM t /* ; */\n;");
  EXPECT_EQ(out[0].line, 1);
  EXPECT_TRUE(b.empty());
}

TEST(StatementBuffer, SplitsSeveralStatementsOnALineAndKeepsTheirLines) {
  StatementBuffer b;
  auto out = feed(b, {"-- header", "", "SELECT 1; SELECT 2;", "SELECT", "3; SELECT 4"});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].sql, "SELECT 1;");
  EXPECT_EQ(out[0].line, 3);
  EXPECT_EQ(out[1].sql, "SELECT 2;");
  EXPECT_EQ(out[1].line, 3);
  EXPECT_EQ(out[2].sql, "SELECT\n3;");
  EXPECT_EQ(out[2].line, 4);
  EXPECT_FALSE(b.empty());
  auto last = b.finish();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->sql, "SELECT 4\n");
  EXPECT_EQ(last->line, 5);
  EXPECT_TRUE(b.empty());
}

TEST(StatementBuffer, KeepsATriggerBodyWhole) {
  StatementBuffer b;
  auto out = feed(b, {"CREATE TRIGGER t AFTER INSERT ON a BEGIN", "  INSERT INTO b VALUES (1);",
                      "  DELETE FROM c;", "END;"});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].line, 1);
  EXPECT_NE(out[0].sql.find("DELETE FROM c;\nEND;"), std::string::npos);
}

TEST(StatementBuffer, CommentsAloneAreNothing) {
  StatementBuffer b;
  EXPECT_TRUE(feed(b, {"-- only a comment", "/* and */ ;", "   "}).empty());
  EXPECT_TRUE(b.empty());
  EXPECT_FALSE(b.finish().has_value());
}

}  // namespace
}  // namespace libsql::cli

