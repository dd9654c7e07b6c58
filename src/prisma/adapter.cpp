#include "prisma/adapter.hpp"

#include "core/error_codes.hpp"
#include "core/url.hpp"

#include <cctype>
#include <string_view>
#include <utility>

#include "core/fast_path.hpp"

namespace libsql::prisma {
namespace {

/// Where a query runs: the client (outside a transaction) or a transaction. Both are held by
/// value / shared_ptr, so a pending callback keeps what it needs alive.
struct OnClient {
  Client client;
  void execute(Statement stmt, Callback<ResultSet> done) {
    client.execute_async(std::move(stmt), std::move(done));
  }
  void many(std::vector<Statement> parts, Callback<std::vector<ResultSet>> done) {
    client.execute_sequence_async(std::move(parts), std::move(done));
  }
};
struct OnTransaction {
  std::shared_ptr<Transaction> txn;
  void execute(Statement stmt, Callback<ResultSet> done) {
    txn->execute_async(std::move(stmt), std::move(done));
  }
  void many(std::vector<Statement> parts, Callback<std::vector<ResultSet>> done) {
    txn->execute_sequence_async(std::move(parts), std::move(done));
  }
};

using Finish = Callback<std::vector<ResultSet>>;

/// Runs a query's statements on `target`. One statement: one execute. Several (**better**:
/// the official adapter silently runs only the first; Prisma's migration engine sends whole
/// migration scripts through executeRaw): every statement in order, stopping at the first
/// error. Only the rare multi-statement query pays for the split.
template <class Target>
void run_query(Target target, Query&& query, TimestampFormat format, Finish finish) {
  Statement stmt;
  try {
    stmt = Statement(std::move(query.sql), convert_args(query.args, query.arg_types, format));
  } catch (const Error& e) {
    return finish(Outcome<std::vector<ResultSet>>(e));
  }
  detail::FastPath::want_compact(stmt);  // rows in a few flat arrays: the binding converts them in bulk
  std::string sql = stmt.sql;
  const bool has_args = !stmt.args.empty();
  auto on_single = [target, sql = std::move(sql), has_args, finish](Outcome<ResultSet> outcome) mutable {
    if (auto* e = std::get_if<Error>(&outcome)) {
      if (e->code_name() != "SQL_MANY_STATEMENTS") return finish(Outcome<std::vector<ResultSet>>(*e));
      if (has_args) {
        return finish(Outcome<std::vector<ResultSet>>(detail::make_error(
            ErrorKind::Misuse, "ARGS_INVALID", "a query of several statements cannot take arguments")));
      }
      std::vector<Statement> parts;
      for (auto& part : split_statements(sql)) {
        parts.emplace_back(std::move(part));
        detail::FastPath::want_compact(parts.back());
      }
      try {
        return target.many(std::move(parts), std::move(finish));
      } catch (const Error& e2) {
        return finish(Outcome<std::vector<ResultSet>>(e2));
      }
    }
    std::vector<ResultSet> one;
    one.push_back(std::move(std::get<ResultSet>(outcome)));
    finish(Outcome<std::vector<ResultSet>>(std::move(one)));
  };
  try {
    target.execute(std::move(stmt), std::move(on_single));
  } catch (const Error& e) {
    finish(Outcome<std::vector<ResultSet>>(e));
  }
}

/// `PRAGMA [main.]locking_mode = EXCLUSIVE`: Prisma's schema engine sends it before migrating,
/// except to the official libSQL adapter. On a WAL file with reader connections it would lock
/// our own writer out of the file, so it is not applied (the official adapter does not get it
/// either); the CLI's `migrate deploy` takes its own lock.
bool is_exclusive_locking_pragma(std::string_view sql) {
  constexpr std::string_view kLongest = "pragmamain.locking_mode=exclusive";
  std::string norm;
  for (char c : sql) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';') continue;
    if (norm.size() == kLongest.size()) return false;  // longer than either form (a createMany is ~100 KB)
    norm.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return norm == "pragmalocking_mode=exclusive" || norm == "pragmamain.locking_mode=exclusive";
}

/// Prisma's migration history table (docs/prisma-adapter-contract.md, "Prisma's migration history table").
bool reads_missing_history_table(const MappedError& e, std::string_view sql) {
  if (e.kind != "TableDoesNotExist" || !e.table) return false;
  if (*e.table != "_prisma_migrations" && *e.table != "main._prisma_migrations") return false;
  std::size_t i = sql.find_first_not_of(" \t\r\n");
  return i != std::string_view::npos && (sql.substr(i, 6) == "SELECT" || sql.substr(i, 6) == "select");
}

/// What reading a history table that does not exist yet means: no migration applied. Prisma's
/// native schema engine reads it that way; through an adapter, Prisma 6.19's engine fails on
/// the first `migrate dev` / `migrate status` of a fresh database instead (the official
/// adapter does; **better**: we answer with the empty table).
PrismaResult empty_history() {
  PrismaResult r;
  r.column_names = {"id", "checksum", "finished_at", "migration_name", "logs", "rolled_back_at",
                    "started_at", "applied_steps_count"};
  r.column_types = {ColumnType::Text, ColumnType::Text, ColumnType::DateTime, ColumnType::Text,
                    ColumnType::Text, ColumnType::DateTime, ColumnType::DateTime, ColumnType::Int32};
  return r;
}

template <class Target>
void query_raw_on(Target target, Query&& query, AdapterOptions options, Reply<PrismaResult> reply) {
  const TimestampFormat format = options.timestamp_format;
  if (is_exclusive_locking_pragma(query.sql)) return reply(PrismaResult{});
  std::string history_sql;
  if (query.sql.find("_prisma_migrations") != std::string::npos) history_sql = query.sql;
  run_query(std::move(target), std::move(query), format,
            [reply = std::move(reply), history_sql = std::move(history_sql),
             int_mode = options.int_mode](Outcome<std::vector<ResultSet>> outcome) {
              if (auto* e = std::get_if<Error>(&outcome)) {
                MappedError mapped = map_error(*e);
                if (!history_sql.empty() && reads_missing_history_table(mapped, history_sql)) {
                  return reply(empty_history());
                }
                return reply(std::move(mapped));
              }
              auto& results = std::get<std::vector<ResultSet>>(outcome);
              try {
                // On the client's thread: the JS thread only copies the final values.
                reply(to_prisma_result(std::move(results.back()), int_mode));
              } catch (const Error& e) {
                reply(map_error(e));
              }
            });
}

template <class Target>
void execute_raw_on(Target target, Query&& query, TimestampFormat format,
                    Reply<std::int64_t> reply) {
  if (is_exclusive_locking_pragma(query.sql)) return reply(std::int64_t{0});
  run_query(std::move(target), std::move(query), format,
            [reply = std::move(reply)](Outcome<std::vector<ResultSet>> outcome) {
              if (auto* e = std::get_if<Error>(&outcome)) return reply(map_error(*e));
              std::int64_t total = 0;
              for (const auto& rs : std::get<std::vector<ResultSet>>(outcome)) total += rs.rows_affected;
              reply(total);
            });
}

std::int64_t affected_rows(ResultSet&& rs) { return rs.rows_affected; }

auto prisma_result_in(IntMode int_mode) {
  return [int_mode](ResultSet&& rs) { return to_prisma_result(std::move(rs), int_mode); };
}

/// A query on the calling thread through `try_run` (detail::FastPath::try_execute_inline):
/// true when it ran (`out` holds the outcome, converted by `convert`), false when nothing ran
/// and the query goes the regular way. Queries the regular path treats specially (the locking
/// pragma, the migration history table) always go that way.
template <class T, class TryRun, class Convert>
bool run_inline(TryRun&& try_run, const Query& query, TimestampFormat format, Result<T>& out,
                Convert&& convert) {
  if (query.sql.find("_prisma_migrations") != std::string::npos || is_exclusive_locking_pragma(query.sql)) {
    return false;
  }
  Statement stmt;
  try {
    stmt = Statement(query.sql, convert_args(query.args, query.arg_types, format));
  } catch (const Error&) {
    return false;  // the regular path reports it
  }
  detail::FastPath::want_compact(stmt);
  ResultSet rs;
  try {
    if (!try_run(stmt, rs)) return false;
    out = convert(std::move(rs));
  } catch (const Error& e) {
    out = map_error(e);
  }
  return true;
}

}  // namespace

bool is_config_error(const Error& error) {
  return error.kind() == ErrorKind::Misuse && error.code_name().starts_with("URL_");
}

std::shared_ptr<Adapter> Adapter::open(const Config& config, AdapterOptions options) {
  try {
    options.int_mode = config.int_mode;
    // A local engine (a file or `:memory:`; a replica sends its transactions to the primary)
    // runs its transactions one at a time on its writer connection: taking the write lock at
    // BEGIN costs nothing inside this process, and across processes it is the only way a
    // transaction that reads before it writes waits (busy timeout) for another process's
    // write lock. Deferred, SQLite answers SQLITE_BUSY at once when such a transaction's
    // first write finds the lock taken or its snapshot stale (no busy handler on an upgrade).
    Client client = Client::open(config);
    options.lock_at_begin = detail::parse_url(config.url, config.tls).scheme == detail::Scheme::File &&
                            config.sync_url.empty();
    return std::shared_ptr<Adapter>(new Adapter(std::move(client), options));
  } catch (const Error& e) {
    if (is_config_error(e)) throw;
    throw map_error(e);
  }
}

void Adapter::query_raw(Query query, Reply<PrismaResult> reply) {
  query_raw_on(OnClient{client_}, std::move(query), options_, std::move(reply));
}

bool Adapter::query_raw_inline(const Query& query, Result<PrismaResult>& out) {
  return run_inline([this](const Statement& s, ResultSet& rs) { return detail::FastPath::try_execute_inline(client_, s, rs); },
                    query, options_.timestamp_format, out, prisma_result_in(options_.int_mode));
}

bool Adapter::execute_raw_inline(const Query& query, Result<std::int64_t>& out) {
  return run_inline([this](const Statement& s, ResultSet& rs) { return detail::FastPath::try_execute_inline(client_, s, rs); },
                    query, options_.timestamp_format, out, affected_rows);
}

void Adapter::execute_raw(Query query, Reply<std::int64_t> reply) {
  execute_raw_on(OnClient{client_}, std::move(query), options_.timestamp_format, std::move(reply));
}

void Adapter::execute_script(std::string sql, Reply<Done> reply) {
  try {
    client_.execute_script_async(std::move(sql), [reply](Outcome<Done> outcome) {
      if (auto* e = std::get_if<Error>(&outcome)) return reply(map_error(*e));
      reply(Done{});
    });
  } catch (const Error& e) {
    reply(map_error(e));
  }
}

void Adapter::start_transaction(std::optional<std::string> isolation_level,
                                Reply<std::shared_ptr<AdapterTransaction>> reply) {
  if (isolation_level && !isolation_level->empty() && *isolation_level != "SERIALIZABLE") {
    return reply(invalid_isolation_level(*isolation_level));
  }
  const AdapterOptions options = options_;
  try {
    // Remote: deferred, like the official adapter (a transaction that only reads takes no
    // write lock). Local: immediate (see Adapter::open).
    client_.transaction_async(
        options.lock_at_begin ? TransactionMode::Write : TransactionMode::Deferred,
        [reply, options](Outcome<std::shared_ptr<Transaction>> outcome) {
          if (auto* e = std::get_if<Error>(&outcome)) return reply(map_error(*e));
          reply(std::make_shared<AdapterTransaction>(
              std::move(std::get<std::shared_ptr<Transaction>>(outcome)), options));
        });
  } catch (const Error& e) {
    reply(map_error(e));
  }
}

ConnectionInfo Adapter::connection_info() const noexcept {
  return ConnectionInfo{.max_bind_values = client_.max_bind_values(),
                        .supports_relation_joins = false};
}

void Adapter::sync(Reply<SyncResult> reply) {
  try {
    client_.sync_async([reply](Outcome<SyncResult> outcome) {
      if (auto* e = std::get_if<Error>(&outcome)) return reply(map_error(*e));
      reply(std::move(std::get<SyncResult>(outcome)));
    });
  } catch (const Error& e) {
    reply(map_error(e));
  }
}

void Adapter::dispose() { client_.close(); }

void AdapterTransaction::query_raw(Query query, Reply<PrismaResult> reply) {
  query_raw_on(OnTransaction{txn_}, std::move(query), options_, std::move(reply));
}

void AdapterTransaction::execute_raw(Query query, Reply<std::int64_t> reply) {
  execute_raw_on(OnTransaction{txn_}, std::move(query), options_.timestamp_format, std::move(reply));
}

bool AdapterTransaction::query_raw_inline(const Query& query, Result<PrismaResult>& out) {
  return run_inline([this](const Statement& s, ResultSet& rs) { return detail::FastPath::try_execute_inline(*txn_, s, rs); },
                    query, options_.timestamp_format, out, prisma_result_in(options_.int_mode));
}

bool AdapterTransaction::execute_raw_inline(const Query& query, Result<std::int64_t>& out) {
  return run_inline([this](const Statement& s, ResultSet& rs) { return detail::FastPath::try_execute_inline(*txn_, s, rs); },
                    query, options_.timestamp_format, out, affected_rows);
}

void AdapterTransaction::commit(Reply<Done> reply) {
  try {
    txn_->commit_async([reply](Outcome<Done> outcome) {
      if (auto* e = std::get_if<Error>(&outcome)) return reply(map_error(*e));
      reply(Done{});
    });
  } catch (const Error& e) {
    reply(map_error(e));
  }
}

bool AdapterTransaction::commit_inline(Result<Done>& out) {
  Outcome<Done> outcome = Done{};
  if (!detail::FastPath::try_finish_inline(*txn_, true, outcome)) return false;
  if (auto* e = std::get_if<Error>(&outcome)) {
    out = map_error(*e);
  } else {
    out = Done{};
  }
  return true;
}

bool AdapterTransaction::rollback_inline(Result<Done>& out) {
  Outcome<Done> outcome = Done{};
  if (!detail::FastPath::try_finish_inline(*txn_, false, outcome)) return false;
  out = Done{};  // as rollback(): never fails
  return true;
}

void AdapterTransaction::rollback(Reply<Done> reply) {
  try {
    // Like the official adapter, rollback never fails: Prisma calls it on paths (timeouts,
    // a failed commit) where the transaction may already be gone.
    txn_->rollback_async([reply](Outcome<Done>) { reply(Done{}); });
  } catch (const Error&) {
    reply(Done{});
  }
}

}  // namespace libsql::prisma
