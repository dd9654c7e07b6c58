#include "cli/migrate.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "cli/checksum.hpp"
#include "cli_test_support.hpp"

namespace libsql::cli {
namespace {

using test::kInit;
using test::kProfile;
using test::kTags;
using test::kUserName;
using test::Project;

/// A Migrator over its own client (its own connections: like another process).
struct Deployer {
  Client client;
  std::ostringstream out;
  Migrator migrator;
  explicit Deployer(const Project& p, std::chrono::milliseconds lock_timeout = std::chrono::seconds(10))
      : client(Client::open({.url = p.url(), .busy_timeout = lock_timeout})),
        migrator(client, MigrateOptions{p.migrations(), p.url(), lock_timeout}, out) {}
  Deployer(const Deployer&) = delete;
  Deployer& operator=(const Deployer&) = delete;
  ~Deployer() { client.close(); }
  int status(bool json = false) {
    out.str("");
    return migrator.status(json);
  }
};

std::vector<HistoryRow> history(Client& c) {
  Transaction tx = c.transaction(TransactionMode::Read);
  auto rows = tx.execute("SELECT 1 FROM sqlite_master WHERE name = '_prisma_migrations'").rows.empty()
                  ? std::vector<HistoryRow>{}
                  : read_history(tx);
  tx.commit();
  return rows;
}

std::int64_t count(Client& c, const std::string& sql) {
  return std::get<std::int64_t>(c.execute(sql, {}).rows.at(0).at(0));
}

bool table_exists(Client& c, const std::string& name) {
  return count(c, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '" + name +
                      "'") == 1;
}

bool column_exists(Client& c, const std::string& table, const std::string& column) {
  return count(c, "SELECT count(*) FROM pragma_table_info('" + table + "') WHERE name = '" +
                      column + "'") == 1;
}

/// The CliError code `f` throws, and its message in `message`.
std::string error_code(const std::function<void()>& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const CliError& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return "(no error)";
}

const HistoryRow* row_named(const std::vector<HistoryRow>& rows, const std::string& name,
                            bool live_only = true) {
  for (const auto& r : rows) {
    if (r.migration_name == name && (!live_only || !r.rolled_back())) return &r;
  }
  return nullptr;
}

TEST(Migrate, CreatesThePrismaHistoryTableAndAppliesEveryMigrationOnce) {
  Project p;
  Deployer r(p);
  EXPECT_EQ(r.migrator.deploy(), 4);
  // SQLite keeps the CREATE statement as written, minus its semicolon.
  EXPECT_EQ(std::get<std::string>(
                r.client.execute("SELECT sql FROM sqlite_master WHERE name = '_prisma_migrations'", {})
                    .rows.at(0).at(0)),
            kCreateHistoryTable.substr(0, kCreateHistoryTable.size() - 1));
  for (const char* t : {"User", "Post", "Profile", "Tag", "_PostToTag"}) {
    EXPECT_TRUE(table_exists(r.client, t)) << t;
  }
  const auto rows = history(r.client);
  ASSERT_EQ(rows.size(), 4u);
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00)");
  std::set<std::string> ids;
  for (const auto& row : rows) {
    EXPECT_TRUE(std::regex_match(row.id, uuid)) << row.id;
    ids.insert(row.id);
    EXPECT_EQ(row.checksum, migration_checksum(test::read_text(p.script(row.migration_name))));
    EXPECT_TRUE(std::regex_match(std::get<std::string>(row.started_at), iso));
    EXPECT_TRUE(std::regex_match(std::get<std::string>(row.finished_at), iso));
    EXPECT_TRUE(is_null(row.rolled_back_at));
    EXPECT_FALSE(row.logs.has_value());
    EXPECT_EQ(row.applied_steps_count, 1);
  }
  EXPECT_EQ(ids.size(), 4u);
  const std::string out = r.out.str();
  EXPECT_NE(out.find("4 migrations found in "), std::string::npos) << out;
  EXPECT_NE(out.find("Applying migration `" + std::string(kTags) + "` ... done in "),
            std::string::npos) << out;

  EXPECT_EQ(r.migrator.deploy(), 0);
  EXPECT_EQ(history(r.client).size(), 4u);
  EXPECT_NE(r.out.str().find("No pending migrations to apply."), std::string::npos);
  EXPECT_EQ(r.status(), kExitOk);
  EXPECT_NE(r.out.str().find("Database schema is up to date!"), std::string::npos);
}

TEST(Migrate, RedefiningAParentTableKeepsItsChildRows) {
  // Migration 3 redefines "User" (CREATE new_User, copy, DROP TABLE "User", RENAME) while
  // "Post" and "Profile" reference it ON DELETE CASCADE. Inside a transaction Prisma's
  // PRAGMA foreign_keys=OFF is a no-op: with foreign keys on, the DROP would delete every
  // post and profile.
  Project p({kInit, kProfile});
  Deployer r(p);
  ASSERT_EQ(r.migrator.deploy(), 2);
  r.client.execute_script(
      "INSERT INTO User (id, email, name) VALUES (1, 'a@x', NULL), (2, 'b@x', 'Bea');"
      "INSERT INTO Post (title, authorId) VALUES ('p1', 1), ('p2', 1), ('p3', 2);"
      "INSERT INTO Profile (bio, userId) VALUES ('hi', 2);");
  p.add(kUserName);
  p.add(kTags);
  EXPECT_EQ(r.migrator.deploy(), 2);
  EXPECT_EQ(count(r.client, "SELECT count(*) FROM Post"), 3);
  EXPECT_EQ(count(r.client, "SELECT count(*) FROM Profile"), 1);
  EXPECT_EQ(count(r.client, "SELECT count(*) FROM User WHERE id = 1 AND name = ''"), 1);
  EXPECT_EQ(count(r.client, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
  // Foreign keys are on again for the client's next user.
  EXPECT_THROW(r.client.execute("INSERT INTO Post (title, authorId) VALUES ('x', 99)", {}), Error);
}

TEST(Migrate, ARedefinitionThatOrphansRowsFailsAndIsRolledBack) {
  Project p({kInit});
  Deployer r(p);
  ASSERT_EQ(r.migrator.deploy(), 1);
  r.client.execute_script(
      "INSERT INTO User (id, email) VALUES (1, 'a@x'); INSERT INTO Post (title, authorId) VALUES ('p', 1);");
  p.add(kProfile);
  // Copy posts to authors that do not exist: with foreign keys off nothing stops it, so the
  // deployer's foreign_key_check before commit must.
  std::string sql = test::read_text(p.script(kProfile));
  const std::string from = "SELECT \"authorId\", \"body\"";
  ASSERT_NE(sql.find(from), std::string::npos);
  sql.replace(sql.find(from), from.size(), "SELECT \"authorId\" + 100, \"body\"");
  test::write_text(p.script(kProfile), sql);

  std::string message;
  EXPECT_EQ(error_code([&] { r.migrator.deploy(); }, &message), "P3018");
  EXPECT_NE(message.find("FOREIGN KEY constraint failed"), std::string::npos) << message;
  EXPECT_NE(message.find("`Post` -> `User`"), std::string::npos) << message;
  EXPECT_FALSE(table_exists(r.client, "Profile"));
  EXPECT_FALSE(column_exists(r.client, "Post", "published"));
  EXPECT_EQ(count(r.client, "SELECT authorId FROM Post"), 1);
  const auto rows = history(r.client);
  const HistoryRow* failed = row_named(rows, kProfile);
  ASSERT_NE(failed, nullptr);
  EXPECT_TRUE(failed->failed());
  EXPECT_NE(failed->logs.value_or("").find("FOREIGN KEY"), std::string::npos);
}

TEST(Migrate, AFailingSecondMigrationLeavesSchemaAndHistoryConsistentUntilResolved) {
  Project p;
  const std::string good = test::read_text(p.script(kProfile));
  // Fails after its CREATE TABLE and its table redefinition have run.
  test::write_text(p.script(kProfile), good + "\nINSERT INTO \"NoSuchTable\" VALUES (1);\n");
  Deployer r(p);
  std::string message;
  EXPECT_EQ(error_code([&] { r.migrator.deploy(); }, &message), "P3018");
  EXPECT_NE(message.find("Migration name: " + std::string(kProfile)), std::string::npos);
  EXPECT_NE(message.find("no such table: NoSuchTable"), std::string::npos) << message;
  EXPECT_NE(message.find("Database error code: 1"), std::string::npos) << message;
  EXPECT_NE(message.find("migrate resolve --rolled-back \"" + std::string(kProfile) + "\""),
            std::string::npos);
  EXPECT_NE(r.out.str().find("Applying migration `" + std::string(kProfile) + "` ... failed after"),
            std::string::npos) << r.out.str();

  // Schema: the first migration only. History: the first applied, the second failed.
  EXPECT_TRUE(table_exists(r.client, "User"));
  EXPECT_FALSE(table_exists(r.client, "Profile"));
  EXPECT_FALSE(table_exists(r.client, "new_Post"));
  EXPECT_FALSE(column_exists(r.client, "Post", "published"));
  auto rows = history(r.client);
  ASSERT_EQ(rows.size(), 2u);
  ASSERT_NE(row_named(rows, kInit), nullptr);
  EXPECT_TRUE(row_named(rows, kInit)->finished());
  const HistoryRow* failed = row_named(rows, kProfile);
  ASSERT_NE(failed, nullptr);
  EXPECT_TRUE(failed->failed());
  EXPECT_EQ(failed->applied_steps_count, 0);
  EXPECT_NE(failed->logs.value_or("").find("no such table: NoSuchTable"), std::string::npos);

  // Blocked until resolved.
  EXPECT_EQ(error_code([&] { r.migrator.deploy(); }, &message), "P3009");
  EXPECT_NE(message.find("The `" + std::string(kProfile) + "` migration started at "),
            std::string::npos) << message;
  EXPECT_EQ(r.status(), kExitFailure);
  EXPECT_NE(r.out.str().find("Failed (1):"), std::string::npos) << r.out.str();

  // Fix, resolve, deploy.
  test::write_text(p.script(kProfile), good);
  r.migrator.resolve_rolled_back(kProfile);
  EXPECT_EQ(r.migrator.deploy(), 3);
  EXPECT_TRUE(table_exists(r.client, "Profile"));
  EXPECT_TRUE(column_exists(r.client, "Post", "published"));
  rows = history(r.client);
  EXPECT_EQ(rows.size(), 5u);
  EXPECT_EQ(std::count_if(rows.begin(), rows.end(), [](const HistoryRow& h) { return h.rolled_back(); }), 1);
  EXPECT_EQ(r.status(), kExitOk);
}

TEST(Migrate, ResolveAppliedMarksTheFailedAttemptRolledBackAndRecordsTheMigration) {
  Project p({kInit, kProfile});
  test::write_text(p.script(kProfile), "CREATE TABLE \"Half\" (a);\nSELECT * FROM nope;\n");
  Deployer r(p);
  EXPECT_EQ(error_code([&] { r.migrator.deploy(); }), "P3018");
  EXPECT_FALSE(table_exists(r.client, "Half"));
  r.migrator.resolve_applied(kProfile);
  const auto rows = history(r.client);
  ASSERT_EQ(rows.size(), 3u);
  const HistoryRow* applied = row_named(rows, kProfile);
  ASSERT_NE(applied, nullptr);
  EXPECT_TRUE(applied->finished());
  EXPECT_EQ(applied->applied_steps_count, 0);
  EXPECT_EQ(std::count_if(rows.begin(), rows.end(), [](const HistoryRow& h) { return h.rolled_back(); }), 1);
  EXPECT_EQ(r.migrator.deploy(), 0);
  EXPECT_EQ(error_code([&] { r.migrator.resolve_applied(kProfile); }), "P3008");
}

TEST(Migrate, ResolveRefusesWhatPrismaRefuses) {
  Project p({kInit});
  Deployer r(p);
  EXPECT_EQ(error_code([&] { r.migrator.resolve_rolled_back(kInit); }), "P3011");  // no table yet
  r.migrator.deploy();
  EXPECT_EQ(error_code([&] { r.migrator.resolve_applied("20200101000000_nope"); }), "P3017");
  EXPECT_EQ(error_code([&] { r.migrator.resolve_rolled_back("20200101000000_nope"); }), "P3011");
  EXPECT_EQ(error_code([&] { r.migrator.resolve_rolled_back(kInit); }), "P3012");
  EXPECT_EQ(error_code([&] { r.migrator.resolve_applied(kInit); }), "P3008");
}

TEST(Migrate, RefusesADatabaseWithTablesButNoHistoryUntilBaselined) {
  Project p;
  Deployer r(p);
  r.client.execute_script(test::read_text(p.script(kInit)));
  std::string message;
  EXPECT_EQ(error_code([&] { r.migrator.deploy(); }, &message), "P3005");
  EXPECT_NE(message.find("migrate resolve --applied"), std::string::npos);
  EXPECT_FALSE(table_exists(r.client, "_prisma_migrations"));
  EXPECT_EQ(r.status(), kExitFailure);
  EXPECT_NE(r.out.str().find("not managed by Prisma Migrate"), std::string::npos);
  EXPECT_NE(r.out.str().find("resolve --applied \"" + std::string(kInit) + "\""), std::string::npos);

  r.migrator.resolve_applied(kInit);  // baseline: creates the table
  EXPECT_EQ(r.migrator.deploy(), 3);
  EXPECT_EQ(r.status(), kExitOk);
}

TEST(Migrate, AnEditedAppliedMigrationIsRefusedButLineEndingsAreNot) {
  Project p;
  Deployer r(p);
  r.migrator.deploy();
  const std::string original = test::read_text(p.script(kInit));
  test::write_text(p.script(kInit), original + "-- an edit\n");
  std::string message;
  EXPECT_EQ(error_code([&] { r.migrator.deploy(); }, &message), "MIGRATION_MODIFIED");
  EXPECT_NE(message.find(std::string("  - ") + kInit), std::string::npos) << message;
  EXPECT_EQ(r.status(), kExitFailure);
  EXPECT_NE(r.out.str().find("MODIFIED since applied"), std::string::npos);

  std::string crlf;
  for (char c : original) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  test::write_text(p.script(kInit), crlf);
  EXPECT_EQ(r.migrator.deploy(), 0);
  EXPECT_EQ(r.status(), kExitOk);
}

TEST(Migrate, AnAppliedMigrationMissingFromTheFolderIsRefused) {
  Project p;
  Deployer r(p);
  r.migrator.deploy();
  p.remove(kUserName);
  p.write("20270101000000_next", "CREATE TABLE \"Next\" (id INTEGER PRIMARY KEY);\n");
  std::string message;
  EXPECT_EQ(error_code([&] { r.migrator.deploy(); }, &message), "MIGRATIONS_MISSING_LOCALLY");
  EXPECT_NE(message.find(kUserName), std::string::npos);
  EXPECT_FALSE(table_exists(r.client, "Next"));
  EXPECT_EQ(r.status(true), kExitFailure);
  EXPECT_NE(r.out.str().find("\"missing\":[\"" + std::string(kUserName) + "\"]"), std::string::npos)
      << r.out.str();
  EXPECT_NE(r.out.str().find("\"pending\":[\"20270101000000_next\"]"), std::string::npos);
}

TEST(Migrate, AMigrationThatControlsTransactionsIsRefusedBeforeAnythingRuns) {
  Project p;
  p.write("20270101000000_tx", "BEGIN;\nCREATE TABLE \"T\" (a);\nCOMMIT;\n");
  Deployer r(p);
  std::string message;
  EXPECT_EQ(error_code([&] { r.migrator.deploy(); }, &message), "MIGRATION_HAS_TRANSACTION_CONTROL");
  EXPECT_NE(message.find("`BEGIN`"), std::string::npos) << message;
  EXPECT_FALSE(table_exists(r.client, "User"));
}

TEST(Migrate, ReadsTheHistoryPrismaItselfWrote) {
  Project p;
  Deployer r(p);
  // What Prisma 6.19 left in its database after `migrate dev` created these migrations.
  r.client.execute_script(std::string(kCreateHistoryTable));
  for (const char* m : {kInit, kProfile, kUserName, kTags}) {
    r.client.execute_script(test::read_text(p.script(m)));
  }
  r.client.execute_script(test::read_text(test::kFixtures / "prisma619-history.sql"));
  EXPECT_EQ(r.status(true), kExitOk) << r.out.str();
  EXPECT_NE(r.out.str().find("\"startedAt\":\"2026-11-24T01:38:24.088+00:00\""), std::string::npos)
      << r.out.str();
  EXPECT_EQ(r.migrator.deploy(), 0);
}

TEST(Migrate, ReadsTimestampsInEveryWritersFormat) {
  Project p({kInit, kProfile, kUserName});
  Deployer r(p);
  r.client.execute_script(std::string(kCreateHistoryTable));
  for (const char* m : {kInit, kProfile, kUserName}) r.client.execute_script(test::read_text(p.script(m)));
  auto insert = [&](const char* name, Value started, Value finished) {
    r.client.execute(Statement(
        "INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, "
        "applied_steps_count) VALUES (?, ?, ?, ?, ?, 1)",
        std::vector<Value>{Value(std::string("id-") + name), Value(migration_checksum(test::read_text(p.script(name)))),
                           Value(std::string(name)), std::move(started), std::move(finished)}));
  };
  // Prisma's native engine: integer milliseconds. The column default: SQLite's text.
  insert(kInit, Value(std::int64_t{1795484304088}), Value(std::int64_t{1795484304101}));
  insert(kProfile, Value(std::string("2026-11-24 01:39:30")), Value(std::string("2026-11-24T01:39:30.829Z")));
  r.client.execute(Statement(
      "INSERT INTO _prisma_migrations (id, checksum, migration_name, finished_at) VALUES (?, ?, ?, ?)",
      std::vector<Value>{Value(std::string("id-3")),
                         Value(migration_checksum(test::read_text(p.script(kUserName)))),
                         Value(std::string(kUserName)), Value(std::string("2026-11-24T01:39:33.388+00:00"))}));
  EXPECT_EQ(r.status(true), kExitOk) << r.out.str();
  const std::string out = r.out.str();
  EXPECT_NE(out.find("\"startedAt\":\"2026-11-24T01:38:24.088+00:00\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"startedAt\":\"2026-11-24T01:39:30.000+00:00\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"finishedAt\":\"2026-11-24T01:39:30.829+00:00\""), std::string::npos) << out;
  // History order is by time across formats (SQLite's ORDER BY would put integers first).
  const std::size_t applied = out.find("\"applied\"");
  EXPECT_LT(out.find(kInit, applied), out.find(kProfile, applied));
  EXPECT_EQ(r.migrator.deploy(), 0);
}

TEST(Migrate, StatusOfAnEmptyDatabaseListsEverythingPendingAndCreatesNothing) {
  Project p;
  Deployer r(p);
  EXPECT_EQ(r.status(), kExitFailure);
  EXPECT_NE(r.out.str().find("Pending (4):"), std::string::npos) << r.out.str();
  EXPECT_NE(r.out.str().find("libsql-cpp migrate deploy"), std::string::npos);
  EXPECT_FALSE(table_exists(r.client, "_prisma_migrations"));
}

TEST(Migrate, ConcurrentDeployersApplyEachMigrationExactlyOnce) {
  for (int round = 0; round < 5; ++round) {
    Project p;
    std::vector<std::unique_ptr<Deployer>> runs;
    for (int i = 0; i < 3; ++i) runs.push_back(std::make_unique<Deployer>(p));
    std::vector<int> applied(runs.size(), -1);
    std::vector<std::string> errors(runs.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      threads.emplace_back([&, i] {
        try {
          applied[i] = runs[i]->migrator.deploy();
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      });
    }
    for (auto& t : threads) t.join();
    int total = 0;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      EXPECT_EQ(errors[i], "") << "deployer " << i;
      total += applied[i];
    }
    EXPECT_EQ(total, 4);
    const auto rows = history(runs[0]->client);
    EXPECT_EQ(rows.size(), 4u);
    std::set<std::string> names;
    for (const auto& h : rows) names.insert(h.migration_name);
    EXPECT_EQ(names.size(), 4u);
  }
}

TEST(Migrate, ADeployerWaitsForTheWriteLockThenGivesUpCleanly) {
  Project p;
  Client holder = Client::open({.url = p.url()});
  Deployer r(p, std::chrono::milliseconds(300));
  {
    Transaction lock = holder.transaction(TransactionMode::Write);
    std::string message;
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(error_code([&] { r.migrator.deploy(); }, &message), "DATABASE_LOCKED");
    EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(250));
    EXPECT_NE(message.find("--lock-timeout"), std::string::npos);
    lock.rollback();
  }
  EXPECT_EQ(r.migrator.deploy(), 4);
  holder.close();
}

}  // namespace
}  // namespace libsql::cli
