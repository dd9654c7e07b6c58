#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace libsql::cli {

/// One `<migrations>/<name>/migration.sql`.
struct LocalMigration {
  std::string name{};                 ///< the folder name, e.g. 20261124013824_init
  std::filesystem::path script_path{};
  std::string script{};               ///< the file's bytes, unchanged
  std::string checksum{};             ///< sha256 hex of `script`
};

struct MigrationsFolder {
  std::filesystem::path dir{};
  std::vector<LocalMigration> migrations{};  ///< sorted by name (byte order), as Prisma does
  std::optional<std::string> lock_provider{};  ///< `provider` in migration_lock.toml
};

/// Reads every migration folder (sub-directories; hidden ones are skipped). Throws CliError:
/// MIGRATIONS_DIR_NOT_FOUND, P3015 (a folder without migration.sql), P3019 (migration_lock.toml
/// names another provider than sqlite).
[[nodiscard]] MigrationsFolder read_migrations_folder(const std::filesystem::path& dir);

/// The `provider = "..."` value of a migration_lock.toml, if any.
[[nodiscard]] std::optional<std::string> parse_lock_provider(std::string_view toml);

/// Whether a migration needs foreign keys off for the whole transaction: Prisma's SQLite
/// "RedefineTables" steps contain `PRAGMA foreign_keys=OFF` (case and spaces vary).
[[nodiscard]] bool script_disables_foreign_keys(std::string_view script);

/// The first transaction-control statement of a script (BEGIN, COMMIT, END, ROLLBACK without
/// TO), or nullopt: a migration runs inside the deployer's own transaction, so it may not
/// open or end one.
[[nodiscard]] std::optional<std::string> find_transaction_control(std::string_view script);

}  // namespace libsql::cli
