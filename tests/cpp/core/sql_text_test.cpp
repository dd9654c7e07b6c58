// The one SQL text scanner (src/core/sql_text.hpp). Each table row is {input, expected}.
#include "core/sql_text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace libsql::detail;

TEST(SqlText, SkipsWhitespaceAndComments) {
  struct Case {
    std::string sql;
    bool semicolons;
    std::size_t expected;
  };
  const Case cases[] = {
      {"", false, 0},
      {"SELECT", false, 0},
      {"  \t\r\n\f\vX", false, 7},
      {"-- line\nX", false, 8},
      {"-- to the end", false, 13},
      {"/* block */X", false, 11},
      {"/* unterminated", false, 15},
      {"/**/X", false, 4},
      {"/*/ still open", false, 14},
      {" -- a\n /* b */ -- c\n X", false, 21},
      {"- X", false, 0},
      {"/ X", false, 0},
      {";;X", false, 0},
      {" ; ;X", true, 4},
      {";-- c\n;/* d */X", true, 14},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.sql);
    EXPECT_EQ(skip_space_and_comments(c.sql, 0, c.semicolons), c.expected);
  }
  EXPECT_EQ(skip_space_and_comments("X  Y", 1), 3u) << "from a position";
}

TEST(SqlText, OnlySpaceAndComments) {
  for (const char* yes : {"", "  ", ";", " ; ;; ", "-- x", "/* x */", "/* open", "-- a\n;/* b */\n"}) {
    EXPECT_TRUE(only_space_and_comments(yes)) << yes;
  }
  for (const char* no : {"x", " ; SELECT", "-- a\nb", "/* a */ b", "'--'"}) {
    EXPECT_FALSE(only_space_and_comments(no)) << no;
  }
}

TEST(SqlText, FirstKeyword) {
  struct Case {
    std::string sql;
    std::string expected;
  };
  const Case cases[] = {
      {"", ""},
      {"SELECT 1", "SELECT"},
      {"select*from t", "select"},
      {"  -- c\n /* d */ Insert INTO t", "Insert"},
      {"((SELECT 1))", "SELECT"},
      {"( /* c */ ( values (1)", "values"},
      {"_under_score x", "_under_score"},
      {"SELECT1", "SELECT1"},
      {"1 + 1", ""},
      {"'SELECT'", ""},
      {"-- only a comment", ""},
      {"/* open SELECT", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.sql);
    EXPECT_EQ(first_keyword(c.sql), c.expected);
  }
}

TEST(SqlText, LeadingWords) {
  EXPECT_EQ(leading_words("create  unique /* x */ index i ON t", 3),
            (std::vector<std::string>{"CREATE", "UNIQUE", "INDEX"}));
  EXPECT_EQ(leading_words("-- c\nPRAGMA foreign_keys=OFF", 3), (std::vector<std::string>{"PRAGMA", "FOREIGN_KEYS"}));
  EXPECT_EQ(leading_words("BEGIN;", 5), (std::vector<std::string>{"BEGIN"}));
  EXPECT_EQ(leading_words("(SELECT 1)", 2), std::vector<std::string>{}) << "no parenthesis skipping here";
  EXPECT_EQ(leading_words("a b c d", 2), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(leading_words("", 2), std::vector<std::string>{});
}

TEST(SqlText, KeywordIsCaseInsensitive) {
  EXPECT_TRUE(keyword_is("select", "SELECT"));
  EXPECT_TRUE(keyword_is("SeLeCt", "SELECT"));
  EXPECT_FALSE(keyword_is("selects", "SELECT"));
  EXPECT_FALSE(keyword_is("", "SELECT"));
}

TEST(SqlText, ReadClassifiersDifferOnlyOnWith) {
  struct Case {
    std::string sql;
    bool may_be_read;
    bool plain_read;
    bool transaction_control;
  };
  const Case cases[] = {
      {"SELECT 1", true, true, false},
      {"  select * from t", true, true, false},
      {"(SELECT 1) UNION SELECT 2", true, true, false},
      {"/* c */ VALUES (1)", true, true, false},
      {"EXPLAIN QUERY PLAN SELECT 1", true, true, false},
      {"WITH x AS (SELECT 1) SELECT * FROM x", true, false, false},
      {"WITH x AS (SELECT 1) DELETE FROM t", true, false, false},
      {"INSERT INTO t VALUES (1)", false, false, false},
      {"SELECTED", false, false, false},
      {"-- SELECT\nUPDATE t SET a = 1", false, false, false},
      {"BEGIN IMMEDIATE", false, false, true},
      {"commit", false, false, true},
      {"END TRANSACTION", false, false, true},
      {"ROLLBACK TO s", false, false, true},
      {"SAVEPOINT s", false, false, true},
      {"release s", false, false, true},
      {"", false, false, false},
      {"-- SELECT", false, false, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.sql);
    EXPECT_EQ(may_be_read(c.sql), c.may_be_read);
    EXPECT_EQ(is_plain_read(c.sql), c.plain_read);
    EXPECT_EQ(is_transaction_control(c.sql), c.transaction_control);
  }
}

}  // namespace
