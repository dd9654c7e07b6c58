#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "libsql/client.hpp"
#include "prisma/arg_mapping.hpp"
#include "prisma/column_types.hpp"
#include "prisma/error_mapping.hpp"

// The adapter's decisions, in plain C++: what Prisma's queryRaw / executeRaw / executeScript /
// startTransaction / commit / rollback do, over a libsql::Client. The Node binding only copies
// values in and out. Contract: docs/prisma-adapter-contract.md.
namespace libsql::prisma {

/// `SqlQuery` as the binding decodes it.
struct Query {
  std::string sql{};
  std::vector<JsArg> args{};
  std::vector<ScalarType> arg_types{};
};

struct AdapterOptions {
  TimestampFormat timestamp_format = TimestampFormat::Iso8601;
  /// Config::int_mode: how integers reach Prisma (see to_prisma_result). Adapter::open takes it
  /// from the config.
  IntMode int_mode = IntMode::Number;
  /// Transactions begin IMMEDIATE (take the write lock at once) instead of DEFERRED. Adapter::open
  /// sets it for local engines (see there).
  bool lock_at_begin = false;
};

template <class T>
using Result = std::variant<T, MappedError>;

/// A config error (URL_INVALID, URL_SCHEME_NOT_SUPPORTED, URL_PARAM_NOT_SUPPORTED, ...), raised
/// before any database is reached: @libsql/client's createClient throws these as LibsqlError,
/// and the official adapter lets them through unmapped.
[[nodiscard]] bool is_config_error(const Error& error);
template <class T>
using Reply = std::function<void(Result<T>)>;

/// `getConnectionInfo()`.
struct ConnectionInfo {
  int max_bind_values = 0;
  bool supports_relation_joins = false;
};

class AdapterTransaction;

/// One `SqlDriverAdapter`. Thread-safe; replies run on the client's threads.
class Adapter : public std::enable_shared_from_this<Adapter> {
 public:
  /// Opens the database. Throws: libsql::Error for a bad config (is_config_error), which the
  /// user sees as is: Prisma reports the official adapter's @libsql/client config errors
  /// (LibsqlError URL_INVALID, ...) by their code; MappedError for anything else.
  static std::shared_ptr<Adapter> open(const Config& config, AdapterOptions options);

  void query_raw(Query query, Reply<PrismaResult> reply);
  /// query_raw on the calling thread when the client can run it inline (see
  /// detail::FastPath::try_execute_inline). True: `out` holds the outcome. False: nothing ran, `query`
  /// is untouched; use query_raw.
  bool query_raw_inline(const Query& query, Result<PrismaResult>& out);
  void execute_raw(Query query, Reply<std::int64_t> reply);
  /// execute_raw on the calling thread, as query_raw_inline.
  bool execute_raw_inline(const Query& query, Result<std::int64_t>& out);
  void execute_script(std::string sql, Reply<Done> reply);
  /// `isolation_level`: empty, or Prisma's name ("SERIALIZABLE" is the only one SQLite has).
  void start_transaction(std::optional<std::string> isolation_level,
                         Reply<std::shared_ptr<AdapterTransaction>> reply);
  [[nodiscard]] ConnectionInfo connection_info() const noexcept;
  /// Embedded replica: pulls the primary's changes (the official adapter has no sync()).
  void sync(Reply<SyncResult> reply);
  /// Closes the client: later calls fail with ConnectionClosed. Idempotent.
  void dispose();
  [[nodiscard]] bool disposed() const noexcept { return client_.closed(); }

 private:
  Adapter(Client client, AdapterOptions options) : client_(std::move(client)), options_(options) {}
  Client client_;
  AdapterOptions options_;
};

/// One interactive transaction (`usePhantomQuery: true`: BEGIN ran in start_transaction).
class AdapterTransaction {
 public:
  AdapterTransaction(std::shared_ptr<Transaction> txn, AdapterOptions options)
      : txn_(std::move(txn)), options_(options) {}
  void query_raw(Query query, Reply<PrismaResult> reply);
  void execute_raw(Query query, Reply<std::int64_t> reply);
  /// As Adapter's, on the transaction (detail::FastPath::try_execute_inline).
  bool query_raw_inline(const Query& query, Result<PrismaResult>& out);
  bool execute_raw_inline(const Query& query, Result<std::int64_t>& out);
  void commit(Reply<Done> reply);
  void rollback(Reply<Done> reply);
  /// commit/rollback on the calling thread when the engine can (detail::FastPath::try_finish_inline):
  /// true with the outcome in `out`, false when nothing ran.
  bool commit_inline(Result<Done>& out);
  bool rollback_inline(Result<Done>& out);

 private:
  std::shared_ptr<Transaction> txn_;
  AdapterOptions options_;
};

}  // namespace libsql::prisma
