#include "cli/migrate_plan.hpp"

#include <algorithm>
#include <set>

#include "cli/checksum.hpp"

namespace libsql::cli {
namespace {

const LocalMigration* find_local(const std::vector<LocalMigration>& local, std::string_view name) {
  for (const auto& m : local) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::string list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += "  - " + n + "\n";
  return out;
}

}  // namespace

std::string describe_timestamp(const Value& v) {
  if (is_null(v)) return "(none)";
  if (auto ms = parse_timestamp(v)) return format_human(*ms);
  if (type_of(v) == ValueType::Text) return std::get<std::string>(v);
  return "(unreadable)";
}

Diagnosis diagnose(const std::vector<LocalMigration>& local, std::vector<HistoryRow> rows) {
  // Prisma reads the table ORDER BY started_at; the column may mix integers and text, which
  // SQLite would order by type first, so order by the parsed time instead.
  std::stable_sort(rows.begin(), rows.end(), [](const HistoryRow& a, const HistoryRow& b) {
    const auto ta = parse_timestamp(a.started_at);
    const auto tb = parse_timestamp(b.started_at);
    if (ta && tb) return *ta < *tb;
    return ta.has_value() && !tb.has_value();
  });

  Diagnosis d;
  std::set<std::string, std::less<>> live;  // names with a row that is not rolled back
  std::set<std::string, std::less<>> seen_applied;
  for (const HistoryRow& row : rows) {
    if (row.rolled_back()) continue;
    live.insert(row.migration_name);
    if (row.failed()) {
      d.failed.push_back({row.migration_name, row.started_at, row.logs.value_or("")});
      continue;
    }
    AppliedMigration a{row.migration_name, row.checksum, row.started_at, row.finished_at,
                       row.applied_steps_count, false, false};
    const LocalMigration* m = find_local(local, row.migration_name);
    if (m == nullptr) {
      a.missing_locally = true;
    } else if (!checksum_matches(m->script, row.checksum)) {
      a.modified = true;
    }
    if (seen_applied.insert(row.migration_name).second) {
      if (a.missing_locally) d.missing.push_back(a.name);
      if (a.modified) d.modified.push_back(a.name);
    } else if (a.modified &&
               std::find(d.modified.begin(), d.modified.end(), a.name) == d.modified.end()) {
      d.modified.push_back(a.name);
    }
    d.applied.push_back(std::move(a));
  }
  for (const auto& m : local) {
    if (live.find(m.name) == live.end()) d.pending.push_back(m.name);
  }
  return d;
}

std::optional<CliError> deploy_blocker(const Diagnosis& d, std::string_view migrations_dir) {
  if (!d.failed.empty()) {
    std::string msg =
        "migrate found failed migrations in the target database, new migrations will not be "
        "applied. Read more about how to resolve migration issues in a production database: "
        "https://pris.ly/d/migrate-resolve\n";
    for (const auto& f : d.failed) {
      msg += "\nThe `" + f.name + "` migration started at " + describe_timestamp(f.started_at) +
             " failed";
      msg += f.logs.empty() ? ".\n" : " with the following logs:\n" + f.logs + "\n";
    }
    const std::string& name = d.failed.front().name;
    msg += "\nWhat to do:\n"
           "- libsql-cpp rolls a failed migration back, so the database is as it was before it "
           "(a migration that failed under another tool may have left changes: check). Fix "
           "its migration.sql, mark it rolled back, and deploy again:\n"
           "    libsql-cpp migrate resolve --rolled-back \"" + name + "\"\n"
           "    libsql-cpp migrate deploy\n"
           "- If you completed the migration by hand instead, mark it applied:\n"
           "    libsql-cpp migrate resolve --applied \"" + name + "\"";
    return CliError("P3009", msg);
  }
  if (!d.modified.empty()) {
    return CliError(
        "MIGRATION_MODIFIED",
        "The following migration(s) were modified after they were applied (their migration.sql "
        "no longer matches the checksum recorded in _prisma_migrations):\n" + list(d.modified) +
            "\nNew migrations will not be applied. An applied migration must not change: the "
            "databases it already ran on will never run the edit. Restore the file(s) from "
            "version control (CRLF/LF differences are accepted), and put the change in a new "
            "migration instead.");
  }
  if (!d.missing.empty()) {
    return CliError(
        "MIGRATIONS_MISSING_LOCALLY",
        "The following migration(s) are applied to the database but missing from the local "
        "migrations directory " + std::string(migrations_dir) + ":\n" + list(d.missing) +
            "\nNew migrations will not be applied. Your migrations folder is probably out of "
            "date (pull the latest version of it), or --migrations / --url point at the wrong "
            "project or database.");
  }
  return std::nullopt;
}

CliError migration_failed_error(std::string_view name, int extended_code,
                                std::string_view database_error) {
  const std::string n(name);
  return CliError(
      "P3018",
      "A migration failed to apply. New migrations cannot be applied before the error is "
      "recovered from. Read more about how to resolve migration issues in a production "
      "database: https://pris.ly/d/migrate-resolve\n\nMigration name: " + n +
          "\n\nDatabase error code: " + std::to_string(extended_code) + "\n\nDatabase error:\n" +
          std::string(database_error) +
          "\n\nThe migration was rolled back: the database is as it was before it, and the "
          "failure is recorded in _prisma_migrations. Fix the migration, then run:\n"
          "    libsql-cpp migrate resolve --rolled-back \"" + n + "\"\n"
          "    libsql-cpp migrate deploy");
}

}  // namespace libsql::cli
