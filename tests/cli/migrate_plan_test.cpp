#include "cli/migrate_plan.hpp"

#include <gtest/gtest.h>

#include "cli/checksum.hpp"

namespace libsql::cli {
namespace {

LocalMigration local(const std::string& name, const std::string& sql = "SELECT 1;\n") {
  return {name, {}, sql, migration_checksum(sql)};
}

HistoryRow applied(const std::string& name, const std::string& started,
                   const std::string& sql = "SELECT 1;\n") {
  HistoryRow r;
  r.id = "id-" + name;
  r.checksum = migration_checksum(sql);
  r.migration_name = name;
  r.started_at = Value(started);
  r.finished_at = Value(started);
  r.applied_steps_count = 1;
  return r;
}

HistoryRow failed(const std::string& name, const std::string& started, const std::string& logs) {
  HistoryRow r = applied(name, started);
  r.finished_at = Value();
  r.logs = logs;
  r.applied_steps_count = 0;
  return r;
}

TEST(MigratePlan, PendingAreTheLocalMigrationsWithoutALiveRow) {
  const auto d = diagnose({local("1_a"), local("2_b"), local("3_c")},
                          {applied("1_a", "2026-01-01 00:00:00")});
  EXPECT_EQ(d.pending, (std::vector<std::string>{"2_b", "3_c"}));
  EXPECT_EQ(d.applied.size(), 1u);
  EXPECT_FALSE(d.up_to_date());
  EXPECT_EQ(deploy_blocker(d, "m"), std::nullopt);
}

TEST(MigratePlan, RolledBackRowsAreIgnored) {
  HistoryRow rb = failed("2_b", "2026-01-02 00:00:00", "boom");
  rb.rolled_back_at = Value(std::string("2026-01-03 00:00:00"));
  const auto d = diagnose({local("1_a"), local("2_b")}, {applied("1_a", "2026-01-01 00:00:00"), rb});
  EXPECT_EQ(d.pending, std::vector<std::string>{"2_b"});
  EXPECT_TRUE(d.failed.empty());
}

TEST(MigratePlan, AFailedMigrationBlocksWithP3009AndSaysHowToResolve) {
  const auto d = diagnose({local("1_a"), local("2_b"), local("3_c")},
                          {applied("1_a", "2026-01-01 00:00:00"),
                           failed("2_b", "2026-01-02T03:04:05.000Z", "SQLITE_ERROR: boom")});
  EXPECT_EQ(d.pending, std::vector<std::string>{"3_c"});  // a failed one is not pending
  ASSERT_EQ(d.failed.size(), 1u);
  const auto e = deploy_blocker(d, "m");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code(), "P3009");
  const std::string msg = e->what();
  EXPECT_NE(msg.find("The `2_b` migration started at 2026-01-02 03:04:05 UTC failed with the "
                     "following logs:\nSQLITE_ERROR: boom"),
            std::string::npos) << msg;
  EXPECT_NE(msg.find("migrate resolve --rolled-back \"2_b\""), std::string::npos);
  EXPECT_NE(msg.find("migrate resolve --applied \"2_b\""), std::string::npos);
}

TEST(MigratePlan, ModifiedAndMissingBlockInThatOrder) {
  auto d = diagnose({local("1_a", "SELECT 2;\n")},
                    {applied("1_a", "2026-01-01 00:00:00"), applied("0_gone", "2025-01-01 00:00:00")});
  EXPECT_EQ(d.modified, std::vector<std::string>{"1_a"});
  EXPECT_EQ(d.missing, std::vector<std::string>{"0_gone"});
  EXPECT_EQ(deploy_blocker(d, "m")->code(), "MIGRATION_MODIFIED");
  d.modified.clear();
  const auto e = deploy_blocker(d, "prisma/migrations");
  EXPECT_EQ(e->code(), "MIGRATIONS_MISSING_LOCALLY");
  EXPECT_NE(std::string(e->what()).find("prisma/migrations:\n  - 0_gone"), std::string::npos);
}

TEST(MigratePlan, OrdersTheHistoryByTimeWhateverTheFormat) {
  HistoryRow a = applied("1_a", "");
  a.started_at = Value(std::int64_t{1767225600000});  // 2026-01-01T00:00:00Z as milliseconds
  HistoryRow b = applied("2_b", "2026-01-01 00:00:01");
  HistoryRow c = applied("3_c", "2025-12-31T23:59:59.999+00:00");
  HistoryRow unreadable = applied("4_d", "garbage");
  const auto d = diagnose({local("1_a"), local("2_b"), local("3_c"), local("4_d")}, {unreadable, b, a, c});
  ASSERT_EQ(d.applied.size(), 4u);
  EXPECT_EQ(d.applied[0].name, "3_c");
  EXPECT_EQ(d.applied[1].name, "1_a");
  EXPECT_EQ(d.applied[2].name, "2_b");
  EXPECT_EQ(d.applied[3].name, "4_d");
  EXPECT_TRUE(d.up_to_date());
}

TEST(MigratePlan, TheFailureErrorIsPrismasP3018WithTheWayOut) {
  const CliError e = migration_failed_error("2_b", 1, "SQLITE_ERROR: no such table: x");
  EXPECT_EQ(e.code(), "P3018");
  const std::string msg = e.what();
  EXPECT_EQ(msg.rfind("A migration failed to apply. New migrations cannot be applied before the "
                      "error is recovered from.", 0), 0u);
  EXPECT_NE(msg.find("Migration name: 2_b\n\nDatabase error code: 1\n\nDatabase error:\n"
                     "SQLITE_ERROR: no such table: x"),
            std::string::npos);
  EXPECT_NE(msg.find("resolve --rolled-back \"2_b\""), std::string::npos);
}

}  // namespace
}  // namespace libsql::cli
