#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "libsql/client.hpp"

namespace {

struct SplitCase {
  std::string sql;
  std::vector<std::string> expected;
};

TEST(SplitStatements, FollowsSqliteStatementBoundaries) {
  const SplitCase cases[] = {
      {"", {}},
      {"  ;; -- nothing\n", {}},
      {"SELECT 1", {"SELECT 1"}},
      {"SELECT 1;", {"SELECT 1;"}},
      {"SELECT 1; SELECT 2;", {"SELECT 1;", " SELECT 2;"}},
      {"SELECT 'a;b'; SELECT \"x;y\" FROM t", {"SELECT 'a;b';", " SELECT \"x;y\" FROM t"}},
      {"SELECT 1 /* ; */; -- ;\nSELECT 2", {"SELECT 1 /* ; */;", " -- ;\nSELECT 2"}},
      {"CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET x = 1; DELETE FROM u; END; SELECT 3;",
       {"CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET x = 1; DELETE FROM u; END;", " SELECT 3;"}},
      {"-- migration\nCREATE TABLE a (x);\n\n-- end\n", {"-- migration\nCREATE TABLE a (x);"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.sql);
    EXPECT_EQ(libsql::split_statements(c.sql), c.expected);
  }
}

}  // namespace
