#include <gtest/gtest.h>

#include "libsql/error.hpp"

namespace {

TEST(ErrorCodes, ExtendedCodesHaveTheirSqliteNames) {
  struct Row {
    int code;
    const char* name;
  };
  const Row rows[] = {{0, "SQLITE_OK"},
                      {1, "SQLITE_ERROR"},
                      {5, "SQLITE_BUSY"},
                      {19, "SQLITE_CONSTRAINT"},
                      {787, "SQLITE_CONSTRAINT_FOREIGNKEY"},
                      {1299, "SQLITE_CONSTRAINT_NOTNULL"},
                      {1555, "SQLITE_CONSTRAINT_PRIMARYKEY"},
                      {1811, "SQLITE_CONSTRAINT_TRIGGER"},
                      {2067, "SQLITE_CONSTRAINT_UNIQUE"},
                      {26, "SQLITE_NOTADB"},
                      {14, "SQLITE_CANTOPEN"},
                      {517, "SQLITE_BUSY_SNAPSHOT"}};
  for (const auto& r : rows) {
    SCOPED_TRACE(r.code);
    EXPECT_EQ(libsql::sqlite_code_name(r.code), r.name);
    EXPECT_EQ(libsql::sqlite_code_from_name(r.name), r.code);
  }
  EXPECT_EQ(libsql::sqlite_code_name(12345), "SQLITE_UNKNOWN_12345");
  EXPECT_EQ(libsql::sqlite_code_from_name("NOPE"), -1);
}

TEST(ErrorCodes, ErrorCarriesKindCodeAndPrimaryCode) {
  libsql::Error e(libsql::ErrorKind::Sqlite, 2067, "SQLITE_CONSTRAINT_UNIQUE",
                  "SQLITE_CONSTRAINT: UNIQUE constraint failed: t.a");
  EXPECT_EQ(e.kind(), libsql::ErrorKind::Sqlite);
  EXPECT_EQ(e.extended_code(), 2067);
  EXPECT_EQ(e.primary_code(), 19);
  EXPECT_EQ(e.code_name(), "SQLITE_CONSTRAINT_UNIQUE");
  EXPECT_STREQ(libsql::to_string(e.kind()), "sqlite");
}

}  // namespace
