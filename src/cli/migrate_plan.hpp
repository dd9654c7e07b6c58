#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/cli_error.hpp"
#include "cli/migrations_dir.hpp"
#include "cli/timestamp.hpp"
#include "libsql/value.hpp"

namespace libsql::cli {

/// One `_prisma_migrations` row, as stored (timestamps kept raw: any writer's format).
struct HistoryRow {
  std::string id{};
  std::string checksum{};
  std::string migration_name{};
  Value started_at{};
  Value finished_at{};
  Value rolled_back_at{};
  std::optional<std::string> logs{};
  std::int64_t applied_steps_count = 0;

  [[nodiscard]] bool finished() const noexcept { return !is_null(finished_at); }
  [[nodiscard]] bool rolled_back() const noexcept { return !is_null(rolled_back_at); }
  /// A failed migration Prisma would refuse to deploy past: neither finished nor rolled back.
  [[nodiscard]] bool failed() const noexcept { return !finished() && !rolled_back(); }
};

/// A timestamp column for people: the UTC time when it can be read, else the stored text.
[[nodiscard]] std::string describe_timestamp(const Value& v);

struct AppliedMigration {
  std::string name{};
  std::string checksum{};
  Value started_at{};
  Value finished_at{};
  std::int64_t applied_steps_count = 0;
  bool modified = false;         ///< the local file no longer matches the recorded checksum
  bool missing_locally = false;  ///< no such folder in the migrations directory
};

struct FailedMigration {
  std::string name{};
  Value started_at{};
  std::string logs{};
};

/// What the history says about the local migrations (the rules of Prisma's
/// diagnoseMigrationHistory, plus the checksum and missing-folder checks Prisma's deploy
/// skips). Rows marked rolled back are ignored.
struct Diagnosis {
  std::vector<AppliedMigration> applied{};  ///< history order (by started_at)
  std::vector<std::string> pending{};       ///< local migrations with no live row, name order
  std::vector<FailedMigration> failed{};
  std::vector<std::string> modified{};
  std::vector<std::string> missing{};       ///< applied to the database, absent locally

  [[nodiscard]] bool up_to_date() const noexcept {
    return pending.empty() && failed.empty() && modified.empty() && missing.empty();
  }
};

/// Sorts the rows by started_at (any format; unreadable ones last, stable) and diagnoses.
[[nodiscard]] Diagnosis diagnose(const std::vector<LocalMigration>& local,
                                 std::vector<HistoryRow> rows);

/// Why deploy must not go on, or nullopt. In Prisma's order: failed migrations (P3009), then
/// edited applied migrations (MIGRATION_MODIFIED), then applied ones missing from the folder
/// (MIGRATIONS_MISSING_LOCALLY).
[[nodiscard]] std::optional<CliError> deploy_blocker(const Diagnosis& d,
                                                     std::string_view migrations_dir);

/// The P3018 error for a migration that failed (and was rolled back).
[[nodiscard]] CliError migration_failed_error(std::string_view name, int extended_code,
                                              std::string_view database_error);

}  // namespace libsql::cli
