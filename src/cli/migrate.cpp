#include "cli/migrate.hpp"

#include <algorithm>
#include <map>
#include <ostream>
#include <utility>

#include "cli/cli_error.hpp"
#include "cli/json.hpp"
#include "cli/migrations_dir.hpp"
#include "cli/uuid.hpp"

namespace libsql::cli {
namespace {

constexpr const char* kSavepoint = "libsql_cpp_migration";
constexpr int kSqliteBusy = 5;
constexpr int kConstraintForeignKey = 787;

std::string text_of(const Value& v) {
  switch (type_of(v)) {
    case ValueType::Text: return std::get<std::string>(v);
    case ValueType::Integer: return std::to_string(std::get<std::int64_t>(v));
    case ValueType::Real: return json_number(std::get<double>(v));
    case ValueType::Blob: return blob_literal(std::get<Blob>(v));
    case ValueType::Null: break;
  }
  return {};
}

std::int64_t integer_of(const Value& v) {
  if (type_of(v) == ValueType::Integer) return std::get<std::int64_t>(v);
  if (type_of(v) == ValueType::Real) return static_cast<std::int64_t>(std::get<double>(v));
  if (type_of(v) == ValueType::Text) {
    try {
      return std::stoll(std::get<std::string>(v));
    } catch (...) {
    }
  }
  return 0;
}

/// `PRAGMA foreign_key_check` as counts per (child table, parent table).
std::map<std::string, std::int64_t> foreign_key_violations(Transaction& tx) {
  std::map<std::string, std::int64_t> counts;
  const ResultSet rs = tx.execute("PRAGMA foreign_key_check");
  for (const Row& row : rs.rows) {
    if (row.size() < 3) continue;
    ++counts["`" + text_of(row[0]) + "` -> `" + text_of(row[2]) + "`"];
  }
  return counts;
}

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string elapsed_text(std::chrono::steady_clock::duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  if (us < 10'000) return std::to_string(us / 1000) + "." + std::to_string(us % 1000 / 100) + " ms";
  if (us < 10'000'000) return std::to_string(us / 1000) + " ms";
  return std::to_string(us / 1'000'000) + "." + std::to_string(us % 1'000'000 / 100'000) + " s";
}

std::string json_time(const Value& v) {
  if (is_null(v)) return "null";
  if (auto ms = parse_timestamp(v)) return json_quote(format_iso_millis(*ms));
  return json_quote(text_of(v));
}

std::string json_names(const std::vector<std::string>& names) {
  std::string out = "[";
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? "," : "") + json_quote(names[i]);
  return out + "]";
}

/// The failure a migration's own content caused (not a database error).
struct MigrationContentError {
  int extended_code;
  std::string message;
};

}  // namespace

bool history_table_exists(Transaction& tx) {
  const ResultSet rs = tx.execute(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'");
  return !rs.rows.empty();
}

std::vector<std::string> user_tables(Transaction& tx) {
  const ResultSet rs = tx.execute(
      "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
      "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_prisma_migrations' ORDER BY name");
  std::vector<std::string> names;
  for (const Row& row : rs.rows) names.push_back(text_of(row.at(0)));
  return names;
}

std::vector<HistoryRow> read_history(Transaction& tx) {
  const ResultSet rs = tx.execute(
      "SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, "
      "applied_steps_count FROM \"_prisma_migrations\"");
  std::vector<HistoryRow> rows;
  rows.reserve(rs.rows.size());
  for (const Row& r : rs.rows) {
    HistoryRow h;
    h.id = text_of(r.at(0));
    h.checksum = text_of(r.at(1));
    h.finished_at = r.at(2);
    h.migration_name = text_of(r.at(3));
    if (!is_null(r.at(4))) h.logs = text_of(r.at(4));
    h.rolled_back_at = r.at(5);
    h.started_at = r.at(6);
    h.applied_steps_count = integer_of(r.at(7));
    rows.push_back(std::move(h));
  }
  return rows;
}

void insert_history_row(Transaction& tx, const HistoryRow& row) {
  tx.execute(Statement(
      "INSERT INTO \"_prisma_migrations\" (\"id\", \"checksum\", \"finished_at\", "
      "\"migration_name\", \"logs\", \"rolled_back_at\", \"started_at\", \"applied_steps_count\") "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      std::vector<Value>{Value(row.id), Value(row.checksum), row.finished_at,
                         Value(row.migration_name),
                         row.logs ? Value(*row.logs) : Value(), row.rolled_back_at,
                         row.started_at, Value(row.applied_steps_count)}));
}

Migrator::Migrator(Client client, MigrateOptions options, std::ostream& out)
    : client_(std::move(client)), options_(std::move(options)), out_(out) {}

Transaction Migrator::begin_write() {
  try {
    // Migrations that rebuild tables run with foreign keys off for their whole transaction:
    // the client sets that on the transaction's own connection or stream before BEGIN.
    return client_.transaction(TransactionMode::Write,
                               libsql::TransactionOptions{.foreign_keys = !foreign_keys_off_});
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Sqlite && e.primary_code() == kSqliteBusy) {
      throw CliError(
          "DATABASE_LOCKED",
          "Another connection has held the database's write lock for longer than " +
              elapsed_text(options_.lock_timeout) +
              " (another `migrate deploy`, or a long write). Nothing more was applied by this "
              "run. Try again later, or wait longer with --lock-timeout SECONDS.");
    }
    throw;
  }
}

void Migrator::set_foreign_keys(bool on) {
  // Applies to the next write transaction (see begin_write).
  foreign_keys_off_ = !on;
}

void Migrator::ensure_history_table(bool refuse_non_empty_schema) {
  Transaction tx = begin_write();
  if (history_table_exists(tx)) {
    tx.commit();
    return;
  }
  if (refuse_non_empty_schema) {
    if (auto tables = user_tables(tx); !tables.empty()) {
      tx.rollback();
      std::string shown;
      for (std::size_t i = 0; i < tables.size() && i < 5; ++i) {
        shown += (i ? ", " : "") + tables[i];
      }
      if (tables.size() > 5) shown += ", ...";
      throw CliError(
          "P3005",
          "The database schema is not empty. Read more about how to baseline an existing "
          "production database: https://pris.ly/d/migrate-baseline\n\nThe database has "
          "tables (" + shown + ") but no _prisma_migrations table, so libsql-cpp cannot tell "
          "which migrations it already has. If its schema matches your migrations up to "
          "NAME, baseline it first:\n    libsql-cpp migrate resolve --applied NAME\n(once per "
          "migration already reflected in the database), then deploy the rest.");
    }
  }
  tx.execute(std::string(kCreateHistoryTable));
  tx.commit();
  out_ << "Created the _prisma_migrations table.\n";
}

int Migrator::deploy() {
  const auto t0 = std::chrono::steady_clock::now();
  const MigrationsFolder folder = read_migrations_folder(options_.migrations_dir);
  const std::string dir = options_.migrations_dir.string();
  out_ << "Database: " << options_.display_url << "\n"
       << plural(folder.migrations.size(), "migration") << " found in " << dir << "\n";
  // A migration may not open or end a transaction: each runs inside ours. Checked for all
  // of them before anything is applied.
  for (const auto& m : folder.migrations) {
    if (auto control = find_transaction_control(m.script)) {
      throw CliError("MIGRATION_HAS_TRANSACTION_CONTROL",
                     "Migration `" + m.name + "` contains `" + *control +
                         "`. libsql-cpp runs every migration in a transaction of its own (the "
                         "script and its history row commit together), so a migration must "
                         "not open, commit or roll back a transaction. Remove those statements "
                         "from " + m.script_path.string() + " (savepoints are fine).");
    }
  }
  ensure_history_table(true);

  struct Restore {  // foreign keys back on for whoever uses the client next
    Migrator& m;
    ~Restore() {
      if (!m.foreign_keys_off_) return;
      try {
        m.set_foreign_keys(true);
      } catch (...) {
      }
    }
  } restore{*this};

  int applied = 0;
  bool announced = false;
  for (;;) {
    Transaction tx = begin_write();
    // Read inside the write transaction: a concurrent deployer's rows are visible here, and
    // nobody else can apply anything until this transaction ends.
    const Diagnosis d = diagnose(folder.migrations, read_history(tx));
    if (auto blocker = deploy_blocker(d, dir)) {
      tx.rollback();
      throw *blocker;
    }
    if (d.pending.empty()) {
      tx.commit();
      break;
    }
    const auto it = std::find_if(folder.migrations.begin(), folder.migrations.end(),
                                 [&](const LocalMigration& m) { return m.name == d.pending.front(); });
    const LocalMigration& next = *it;
    // Prisma's "RedefineTables" steps turn foreign keys off around DROP TABLE; inside a
    // transaction that pragma is a no-op, and with foreign keys on, dropping a parent table
    // would run its children's ON DELETE CASCADE. So such a migration runs with foreign
    // keys off for the whole transaction (SQLite's procedure for schema changes), checked
    // with foreign_key_check before commit.
    const bool needs_off = script_disables_foreign_keys(next.script);
    if (needs_off != foreign_keys_off_) {
      tx.rollback();
      set_foreign_keys(!needs_off);
      continue;  // re-read: another deployer may have moved on meanwhile
    }
    if (!announced) {
      out_ << "\n" << plural(d.pending.size(), "pending migration") << " to apply:\n";
      announced = true;
    }
    apply_one(tx, next, needs_off);
    ++applied;
  }
  const auto total = elapsed_text(std::chrono::steady_clock::now() - t0);
  if (applied == 0) {
    out_ << "\nNo pending migrations to apply.\n";
  } else {
    out_ << "\nAll migrations have been successfully applied (" << plural(static_cast<std::size_t>(applied), "migration")
         << " in " << total << ").\n";
  }
  return applied;
}

void Migrator::apply_one(Transaction& tx, const LocalMigration& m, bool foreign_keys_off) {
  out_ << "Applying migration `" << m.name << "` ... " << std::flush;
  const auto t0 = std::chrono::steady_clock::now();
  const Value started_at(format_iso_millis(now_millis()));
  std::optional<std::pair<int, std::string>> failure;
  try {
    if (foreign_keys_off) {
      // The connection state is what protects the data here: refuse rather than guess.
      const ResultSet fk = tx.execute("PRAGMA foreign_keys");
      if (!fk.rows.empty() && integer_of(fk.rows[0].at(0)) != 0) {
        throw CliError(
            "FOREIGN_KEYS_STILL_ON",
            "Migration `" + m.name + "` redefines tables (PRAGMA foreign_keys=OFF), but foreign "
            "keys could not be turned off for its transaction on this connection. Applying it "
            "with foreign keys on would run the ON DELETE actions of the tables it drops "
            "(possibly deleting rows), so nothing was applied.");
      }
    }
    tx.execute(std::string("SAVEPOINT ") + kSavepoint);
    std::map<std::string, std::int64_t> before;
    if (foreign_keys_off) before = foreign_key_violations(tx);
    tx.execute_script(m.script);
    if (foreign_keys_off) {
      std::string added;
      for (const auto& [pair, count] : foreign_key_violations(tx)) {
        const auto old = before.find(pair);
        const std::int64_t prior = old == before.end() ? 0 : old->second;
        if (count > prior) added += "\n  " + std::to_string(count - prior) + " row(s): " + pair;
      }
      if (!added.empty()) {
        throw MigrationContentError{
            kConstraintForeignKey,
            "FOREIGN KEY constraint failed: after the migration, rows reference missing parent "
            "rows (PRAGMA foreign_key_check, child -> parent):" + added};
      }
    }
    HistoryRow row;
    row.id = uuid_v4();
    row.checksum = m.checksum;
    row.migration_name = m.name;
    row.started_at = started_at;
    row.finished_at = Value(format_iso_millis(now_millis()));
    row.applied_steps_count = 1;
    insert_history_row(tx, row);
    tx.commit();  // may fail: deferred foreign keys are checked here
  } catch (const Error& e) {
    failure.emplace(e.extended_code(), e.what());
  } catch (const MigrationContentError& e) {
    failure.emplace(e.extended_code, e.message);
  } catch (const CliError&) {
    out_ << "not applied\n" << std::flush;  // refused before it ran (the error says why)
    throw;
  }
  if (!failure) {
    out_ << "done in " << elapsed_text(std::chrono::steady_clock::now() - t0) << "\n"
         << std::flush;
    return;
  }
  out_ << "failed after " << elapsed_text(std::chrono::steady_clock::now() - t0) << "\n"
       << std::flush;
  record_failure(&tx, m, started_at, failure->second);
  throw migration_failed_error(m.name, failure->first, failure->second);
}

void Migrator::record_failure(Transaction* tx, const LocalMigration& m, const Value& started_at,
                              const std::string& logs) {
  HistoryRow row;
  row.id = uuid_v4();
  row.checksum = m.checksum;
  row.migration_name = m.name;
  row.started_at = started_at;
  row.logs = logs;
  row.applied_steps_count = 0;
  // Preferably in the same transaction: undo the migration's changes to the savepoint and
  // record the failure, atomically, before any other deployer can look.
  if (tx != nullptr && tx->active()) {
    try {
      tx->execute(std::string("ROLLBACK TO ") + kSavepoint);
      insert_history_row(*tx, row);
      tx->commit();
      return;
    } catch (const Error&) {
      if (tx->active()) {
        try {
          tx->rollback();
        } catch (...) {
        }
      }
    }
  }
  // The error ended the transaction (SQLite rolled it back): record in a new one, unless a
  // concurrent deployer recorded the same failure meanwhile.
  try {
    Transaction again = begin_write();
    const auto rows = read_history(again);
    const bool recorded = std::any_of(rows.begin(), rows.end(), [&](const HistoryRow& r) {
      return r.migration_name == m.name && r.failed();
    });
    if (!recorded) insert_history_row(again, row);
    again.commit();
  } catch (const std::exception& e) {
    out_ << "(could not record the failure in _prisma_migrations: " << e.what() << ")\n";
  }
}

int Migrator::status(bool json) {
  const MigrationsFolder folder = read_migrations_folder(options_.migrations_dir);
  const std::string dir = options_.migrations_dir.string();
  bool has_table = false;
  std::vector<std::string> tables;
  std::vector<HistoryRow> rows;
  {
    Transaction tx = client_.transaction(TransactionMode::Read);  // one consistent snapshot
    has_table = history_table_exists(tx);
    if (has_table) {
      rows = read_history(tx);
    } else {
      tables = user_tables(tx);
    }
    tx.commit();
  }
  const bool managed = has_table || tables.empty();
  const Diagnosis d = diagnose(folder.migrations, rows);
  const bool up_to_date = managed && d.up_to_date();

  if (json) {
    std::string o = "{";
    o += "\"database\":" + json_quote(options_.display_url);
    o += ",\"migrationsDirectory\":" + json_quote(dir);
    o += ",\"historyTable\":" + std::string(has_table ? "true" : "false");
    o += ",\"managed\":" + std::string(managed ? "true" : "false");
    o += ",\"upToDate\":" + std::string(up_to_date ? "true" : "false");
    std::vector<std::string> local;
    for (const auto& m : folder.migrations) local.push_back(m.name);
    o += ",\"localMigrations\":" + json_names(local);
    o += ",\"applied\":[";
    for (std::size_t i = 0; i < d.applied.size(); ++i) {
      const auto& a = d.applied[i];
      o += (i ? "," : "");
      o += "{\"name\":" + json_quote(a.name) + ",\"checksum\":" + json_quote(a.checksum) +
           ",\"startedAt\":" + json_time(a.started_at) + ",\"finishedAt\":" +
           json_time(a.finished_at) + ",\"appliedStepsCount\":" +
           std::to_string(a.applied_steps_count) + ",\"modified\":" +
           (a.modified ? "true" : "false") + ",\"missingLocally\":" +
           (a.missing_locally ? "true" : "false") + "}";
    }
    o += "],\"pending\":" + json_names(d.pending);
    o += ",\"failed\":[";
    for (std::size_t i = 0; i < d.failed.size(); ++i) {
      const auto& f = d.failed[i];
      o += (i ? "," : "");
      o += "{\"name\":" + json_quote(f.name) + ",\"startedAt\":" + json_time(f.started_at) +
           ",\"logs\":" + json_quote(f.logs) + "}";
    }
    o += "],\"modified\":" + json_names(d.modified);
    o += ",\"missing\":" + json_names(d.missing);
    o += ",\"unmanagedTables\":" + json_names(managed ? std::vector<std::string>{} : tables);
    o += "}\n";
    out_ << o;
    return up_to_date ? kExitOk : kExitFailure;
  }

  out_ << "Database: " << options_.display_url << "\n"
       << plural(folder.migrations.size(), "migration") << " found in " << dir << "\n";
  if (!managed) {
    out_ << "\nThe database is not managed by Prisma Migrate: it has tables but no "
            "_prisma_migrations table.\n";
    if (!folder.migrations.empty()) {
      out_ << "If its schema matches your migrations, baseline it by marking them applied, "
              "starting with:\n    libsql-cpp migrate resolve --applied \""
           << folder.migrations.front().name << "\"\n";
    }
    out_ << "Read more about how to baseline an existing production database: "
            "https://pris.ly/d/migrate-baseline\n";
    return kExitFailure;
  }
  if (!d.applied.empty()) {
    out_ << "\nApplied (" << d.applied.size() << "):\n";
    for (const auto& a : d.applied) {
      out_ << "  " << a.name << "  (" << describe_timestamp(a.finished_at) << ")";
      if (a.modified) out_ << "  MODIFIED since applied";
      if (a.missing_locally) out_ << "  MISSING from " << dir;
      out_ << "\n";
    }
  }
  if (!d.failed.empty()) {
    out_ << "\nFailed (" << d.failed.size() << "):\n";
    for (const auto& f : d.failed) {
      out_ << "  " << f.name << "  (started " << describe_timestamp(f.started_at) << ")\n";
      if (!f.logs.empty()) {
        std::string indented = "      " + f.logs;
        for (std::size_t p = indented.find('\n'); p != std::string::npos;
             p = indented.find('\n', p + 1)) {
          indented.insert(p + 1, "      ");
        }
        out_ << indented << "\n";
      }
    }
  }
  if (!d.pending.empty()) {
    out_ << "\nPending (" << d.pending.size() << "):\n";
    for (const auto& p : d.pending) out_ << "  " << p << "\n";
  }
  if (up_to_date) {
    out_ << "\nDatabase schema is up to date!\n";
    return kExitOk;
  }
  out_ << "\nThe database is not up to date.\n";
  if (!d.failed.empty()) {
    out_ << "- A failed migration blocks deploys. If libsql-cpp applied it, it was rolled back: "
            "fix it, then\n    libsql-cpp migrate resolve --rolled-back \""
         << d.failed.front().name
         << "\"\n  (or, if you completed it by hand: libsql-cpp migrate resolve --applied \""
         << d.failed.front().name << "\")\n";
  }
  if (!d.modified.empty()) {
    out_ << "- Modified after being applied: ";
    for (std::size_t i = 0; i < d.modified.size(); ++i) out_ << (i ? ", " : "") << d.modified[i];
    out_ << "\n  Restore the file(s) from version control and put changes in a new migration.\n";
  }
  if (!d.missing.empty()) {
    out_ << "- Applied to the database but missing from " << dir << ": ";
    for (std::size_t i = 0; i < d.missing.size(); ++i) out_ << (i ? ", " : "") << d.missing[i];
    out_ << "\n  Pull the latest migrations folder (or check --url / --migrations).\n";
  }
  if (!d.pending.empty() && d.failed.empty() && d.modified.empty() && d.missing.empty()) {
    out_ << "- To apply the pending migrations, run:\n    libsql-cpp migrate deploy\n";
  }
  return kExitFailure;
}

void Migrator::resolve_applied(const std::string& name) {
  const MigrationsFolder folder = read_migrations_folder(options_.migrations_dir);
  const auto it = std::find_if(folder.migrations.begin(), folder.migrations.end(),
                               [&](const LocalMigration& m) { return m.name == name; });
  if (it == folder.migrations.end()) {
    throw CliError("P3017", "The migration " + name +
                                " could not be found. Please make sure that the migration exists, "
                                "and that you included the whole name of the directory. "
                                "(example: \"20201207184859_initial_migration\")");
  }
  // Baselining an existing database starts here: create the table, never refuse (no P3005).
  ensure_history_table(false);
  Transaction tx = begin_write();
  const auto rows = read_history(tx);
  for (const auto& r : rows) {
    if (r.migration_name == name && r.finished() && !r.rolled_back()) {
      tx.rollback();
      throw CliError("P3008", "The migration `" + name + "` is already recorded as applied in "
                              "the database.");
    }
  }
  const Value now(format_iso_millis(now_millis()));
  // Prisma marks the migration's failed attempts rolled back, then records it applied.
  tx.execute(Statement(
      "UPDATE \"_prisma_migrations\" SET \"rolled_back_at\" = ? WHERE \"migration_name\" = ? "
      "AND \"finished_at\" IS NULL AND \"rolled_back_at\" IS NULL",
      std::vector<Value>{now, Value(name)}));
  HistoryRow row;
  row.id = uuid_v4();
  row.checksum = it->checksum;
  row.migration_name = name;
  row.started_at = now;
  row.finished_at = now;
  row.applied_steps_count = 0;
  insert_history_row(tx, row);
  tx.commit();
  out_ << "Migration " << name << " marked as applied.\n";
}

void Migrator::resolve_rolled_back(const std::string& name) {
  Transaction tx = begin_write();
  const std::vector<HistoryRow> rows =
      history_table_exists(tx) ? read_history(tx) : std::vector<HistoryRow>{};
  const bool known = std::any_of(rows.begin(), rows.end(),
                                 [&](const HistoryRow& r) { return r.migration_name == name; });
  if (!known) {
    tx.rollback();
    throw CliError("P3011",
                   "Migration `" + name + "` cannot be rolled back because it was never applied "
                   "to the database. Hint: did you pass in the whole migration name? (example: "
                   "\"20201207184859_initial_migration\")");
  }
  const bool failed = std::any_of(rows.begin(), rows.end(), [&](const HistoryRow& r) {
    return r.migration_name == name && r.failed();
  });
  if (!failed) {
    tx.rollback();
    throw CliError("P3012", "Migration `" + name +
                                "` cannot be rolled back because it is not in a failed state.");
  }
  tx.execute(Statement(
      "UPDATE \"_prisma_migrations\" SET \"rolled_back_at\" = ? WHERE \"migration_name\" = ? "
      "AND \"finished_at\" IS NULL AND \"rolled_back_at\" IS NULL",
      std::vector<Value>{Value(format_iso_millis(now_millis())), Value(name)}));
  tx.commit();
  out_ << "Migration " << name << " marked as rolled back.\n";
}

}  // namespace libsql::cli
