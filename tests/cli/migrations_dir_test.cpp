#include "cli/migrations_dir.hpp"

#include <gtest/gtest.h>

#include "cli/cli_error.hpp"
#include "cli_test_support.hpp"

namespace libsql::cli {
namespace {

std::string code_of(const std::filesystem::path& dir) {
  try {
    (void)read_migrations_folder(dir);
  } catch (const CliError& e) {
    return e.code();
  }
  return "(no error)";
}

TEST(MigrationsDir, ReadsPrismasFolderInNameOrder) {
  test::Project p;
  p.write("20200101000000_older", "SELECT 1;\n");
  std::filesystem::create_directories(p.migrations() / ".hidden");
  const MigrationsFolder f = read_migrations_folder(p.migrations());
  ASSERT_EQ(f.migrations.size(), 5u);
  EXPECT_EQ(f.migrations[0].name, "20200101000000_older");
  EXPECT_EQ(f.migrations[1].name, test::kInit);
  EXPECT_EQ(f.migrations[4].name, test::kTags);
  EXPECT_EQ(f.lock_provider, "sqlite");
  EXPECT_EQ(f.migrations[1].checksum, "9c27da510e25272e11dcfb38c074109da4302a4e77fed733fcc08e734ab84619");
}

TEST(MigrationsDir, ReportsWhatPrismaReports) {
  test::Project p;
  EXPECT_EQ(code_of(p.db().dir() / "nope"), "MIGRATIONS_DIR_NOT_FOUND");
  std::filesystem::create_directories(p.migrations() / "20270101000000_empty");
  EXPECT_EQ(code_of(p.migrations()), "P3015");
  std::filesystem::remove_all(p.migrations() / "20270101000000_empty");
  test::write_text(p.migrations() / "migration_lock.toml", "provider = \"postgresql\"\n");
  EXPECT_EQ(code_of(p.migrations()), "P3019");
}

TEST(MigrationsDir, ReadsTheProviderOfTheLockFile) {
  EXPECT_EQ(parse_lock_provider("# Please do not edit\nprovider = \"sqlite\"\n"), "sqlite");
  EXPECT_EQ(parse_lock_provider("provider='mysql'"), "mysql");
  EXPECT_EQ(parse_lock_provider("# provider = \"x\"\n"), std::nullopt);
  EXPECT_EQ(parse_lock_provider(""), std::nullopt);
}

TEST(MigrationsDir, FindsPrismasRedefineTablesSteps) {
  auto script = [](const char* n) { return test::read_text(test::kBlogMigrations / n / "migration.sql"); };
  EXPECT_FALSE(script_disables_foreign_keys(script(test::kInit)));
  EXPECT_TRUE(script_disables_foreign_keys(script(test::kProfile)));
  EXPECT_TRUE(script_disables_foreign_keys(script(test::kUserName)));
  EXPECT_FALSE(script_disables_foreign_keys(script(test::kTags)));
  EXPECT_TRUE(script_disables_foreign_keys("pragma Foreign_Keys = 0;"));
  EXPECT_TRUE(script_disables_foreign_keys("PRAGMA main.foreign_keys=false"));
  EXPECT_FALSE(script_disables_foreign_keys("PRAGMA defer_foreign_keys=OFF;"));
  EXPECT_FALSE(script_disables_foreign_keys("INSERT INTO t VALUES ('PRAGMA foreign_keys=OFF');"));
}

TEST(MigrationsDir, FindsTransactionControlButNotSavepoints) {
  EXPECT_EQ(find_transaction_control("BEGIN;\nCREATE TABLE a (x);\nCOMMIT;"), "BEGIN");
  EXPECT_EQ(find_transaction_control("-- c\nbegin immediate transaction;"), "BEGIN IMMEDIATE TRANSACTION");
  EXPECT_EQ(find_transaction_control("CREATE TABLE a (x); END TRANSACTION;"), "END TRANSACTION");
  EXPECT_EQ(find_transaction_control("ROLLBACK;"), "ROLLBACK");
  EXPECT_EQ(find_transaction_control("SAVEPOINT s; ROLLBACK TO s; ROLLBACK TRANSACTION TO SAVEPOINT s; RELEASE s;"),
            std::nullopt);
  EXPECT_EQ(find_transaction_control(
                "CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM b; END;\nSELECT 'BEGIN;';"),
            std::nullopt);
}

}  // namespace
}  // namespace libsql::cli
