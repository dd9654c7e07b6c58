#pragma once

#include <chrono>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "cli/migrate_plan.hpp"
#include "libsql/client.hpp"

namespace libsql::cli {

/// Prisma's history table on SQLite, byte for byte as its schema engine creates it.
inline constexpr std::string_view kCreateHistoryTable =
    "CREATE TABLE \"_prisma_migrations\" (\n"
    "    \"id\"                    TEXT PRIMARY KEY NOT NULL,\n"
    "    \"checksum\"              TEXT NOT NULL,\n"
    "    \"finished_at\"           DATETIME,\n"
    "    \"migration_name\"        TEXT NOT NULL,\n"
    "    \"logs\"                  TEXT,\n"
    "    \"rolled_back_at\"        DATETIME,\n"
    "    \"started_at\"            DATETIME NOT NULL DEFAULT current_timestamp,\n"
    "    \"applied_steps_count\"   INTEGER UNSIGNED NOT NULL DEFAULT 0\n"
    ");";

// History access inside a transaction (each throws libsql::Error).
[[nodiscard]] bool history_table_exists(Transaction& tx);
/// Tables and views other than SQLite's own and `_prisma_migrations` (P3005 when any).
[[nodiscard]] std::vector<std::string> user_tables(Transaction& tx);
[[nodiscard]] std::vector<HistoryRow> read_history(Transaction& tx);
void insert_history_row(Transaction& tx, const HistoryRow& row);

struct MigrateOptions {
  std::filesystem::path migrations_dir{"prisma/migrations"};
  std::string display_url{};                     ///< redacted, for messages
  std::chrono::milliseconds lock_timeout{60000};  ///< how long to wait for the write lock
};

/// `migrate deploy | status | resolve` over one client. Output goes to `out` (progress,
/// results); failures are thrown as CliError / libsql::Error for the caller to print.
class Migrator {
 public:
  Migrator(Client client, MigrateOptions options, std::ostream& out);

  /// Applies the pending migrations, each with its history row in one write transaction;
  /// stops at the first failure (rolled back, recorded, thrown as P3018). Returns how many
  /// this call applied (a concurrent deployer may have applied others).
  int deploy();
  /// Prints applied / pending / failed / modified / missing; returns kExitOk when up to date.
  int status(bool json);
  void resolve_applied(const std::string& name);
  void resolve_rolled_back(const std::string& name);

 private:
  Transaction begin_write();
  void ensure_history_table(bool refuse_non_empty_schema);
  /// Applies `m` inside `tx` and commits; on failure records it and throws P3018.
  void apply_one(Transaction& tx, const LocalMigration& m, bool foreign_keys_off);
  void record_failure(Transaction* tx, const LocalMigration& m, const Value& started_at,
                      const std::string& logs);
  void set_foreign_keys(bool on);

  Client client_;
  MigrateOptions options_;
  std::ostream& out_;
  bool foreign_keys_off_ = false;
};

}  // namespace libsql::cli
