#include "local/connection.hpp"
#include "local/vector/vector.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>
#include <string>
#include <utility>
#include <vector>

#include "core/error_codes.hpp"
#include "core/fast_path.hpp"

namespace libsql::detail {
namespace {

Error misuse(const char* code, const std::string& message) {
  return make_error(ErrorKind::Misuse, code, message);
}

void bind_value(sqlite3_stmt* st, int i, const Value& v) {
  int rc = SQLITE_OK;
  switch (v.index()) {
    case 0: rc = sqlite3_bind_null(st, i); break;
    case 1: rc = sqlite3_bind_int64(st, i, std::get<std::int64_t>(v)); break;
    case 2: rc = sqlite3_bind_double(st, i, std::get<double>(v)); break;
    case 3: {
      const auto& t = std::get<std::string>(v);
      // SQLITE_STATIC: the Statement outlives the run, and StmtReset clears the bindings.
      rc = sqlite3_bind_text64(st, i, t.data(), t.size(), SQLITE_STATIC, SQLITE_UTF8);
      break;
    }
    case 4: {
      const auto& b = std::get<Blob>(v).bytes;
      // An empty blob bound from a null pointer would become NULL.
      rc = b.empty() ? sqlite3_bind_zeroblob(st, i, 0)
                     : sqlite3_bind_blob64(st, i, b.data(), b.size(), SQLITE_STATIC);
      break;
    }
    default: break;
  }
  if (rc != SQLITE_OK) throw sqlite_error(sqlite3_db_handle(st), rc);
}

int named_index(sqlite3_stmt* st, const std::string& name) {
  if (!name.empty() && (name[0] == ':' || name[0] == '@' || name[0] == '$')) {
    return sqlite3_bind_parameter_index(st, name.c_str());
  }
  for (char prefix : {':', '@', '$'}) {
    std::string full = prefix + name;
    if (int idx = sqlite3_bind_parameter_index(st, full.c_str()); idx > 0) return idx;
  }
  return 0;
}

std::string param_label(sqlite3_stmt* st, int i) {
  const char* n = sqlite3_bind_parameter_name(st, i);
  return n ? std::string(n) : "?" + std::to_string(i);
}

void bind_all(sqlite3_stmt* st, const Statement& s) {
  const int count = sqlite3_bind_parameter_count(st);
  if (!s.named_args.empty()) {
    if (!s.args.empty()) {
      throw misuse("ARGS_INVALID", "positional and named arguments cannot be mixed");
    }
    std::vector<bool> bound(static_cast<std::size_t>(count) + 1, false);
    for (const auto& [name, value] : s.named_args) {
      int idx = named_index(st, name);
      if (idx == 0) {
        throw misuse("ARGS_INVALID", "the statement has no parameter named '" + name + "'");
      }
      bind_value(st, idx, value);
      bound[static_cast<std::size_t>(idx)] = true;
    }
    for (int i = 1; i <= count; ++i) {
      if (!bound[static_cast<std::size_t>(i)] && sqlite3_bind_parameter_name(st, i) != nullptr) {
        throw misuse("ARGS_INVALID", "missing argument for parameter " + param_label(st, i));
      }
      if (!bound[static_cast<std::size_t>(i)] && sqlite3_bind_parameter_name(st, i) == nullptr) {
        throw misuse("ARGS_INVALID", "missing argument for positional parameter ?" +
                                         std::to_string(i) + " (named arguments were given)");
      }
    }
    return;
  }
  if (s.args.size() != static_cast<std::size_t>(count)) {
    throw misuse("ARGS_INVALID", "the statement expects " + std::to_string(count) +
                                     " argument(s), got " + std::to_string(s.args.size()));
  }
  for (int i = 0; i < count; ++i) bind_value(st, i + 1, s.args[static_cast<std::size_t>(i)]);
}

Value column_value(sqlite3_stmt* st, int i) {
  switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER: return Value(static_cast<std::int64_t>(sqlite3_column_int64(st, i)));
    case SQLITE_FLOAT: return Value(sqlite3_column_double(st, i));
    case SQLITE_TEXT: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
      int n = sqlite3_column_bytes(st, i);
      return Value(std::string(p ? p : "", static_cast<std::size_t>(n)));
    }
    case SQLITE_BLOB: {
      const auto* p = static_cast<const std::byte*>(sqlite3_column_blob(st, i));
      int n = sqlite3_column_bytes(st, i);
      Blob b;
      if (p) b.bytes.assign(p, p + n);
      return Value(std::move(b));
    }
    default: return Value(std::monostate{});
  }
}

/// FastPath::want_compact takes effect past this many rows: a few rows are cheaper as Values (the
/// compact form's arrays cost an allocation each), many rows far cheaper compact.
constexpr std::size_t kCompactAfterRows = 32;

/// Appends the current row to `c`; false (nothing appended) when its text or blob bytes would
/// not fit the 32-bit offsets.
bool append_compact(sqlite3_stmt* st, int ncol, CompactRows& c) {
  const std::size_t text_before = c.text.size();
  const std::size_t blob_before = c.blobs.size();
  const std::size_t tags_before = c.tags.size();
  const std::size_t ints_before = c.integers.size();
  const std::size_t reals_before = c.reals.size();
  const std::size_t text_ends_before = c.text_ends.size();
  const std::size_t blob_ends_before = c.blob_ends.size();
  constexpr std::size_t kLimit = 0xffffffffu;
  for (int i = 0; i < ncol; ++i) {
    switch (sqlite3_column_type(st, i)) {
      case SQLITE_INTEGER:
        c.tags.push_back(CompactRows::kInteger);
        c.integers.push_back(sqlite3_column_int64(st, i));
        break;
      case SQLITE_FLOAT:
        c.tags.push_back(CompactRows::kReal);
        c.reals.push_back(sqlite3_column_double(st, i));
        break;
      case SQLITE_TEXT: {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
        const auto n = static_cast<std::size_t>(sqlite3_column_bytes(st, i));
        if (c.text.size() + n > kLimit) goto undo;
        c.tags.push_back(CompactRows::kText);
        if (n) c.text.append(p, n);
        c.text_ends.push_back(static_cast<std::uint32_t>(c.text.size()));
        break;
      }
      case SQLITE_BLOB: {
        const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(st, i));
        const auto n = static_cast<std::size_t>(sqlite3_column_bytes(st, i));
        if (c.blobs.size() + n > kLimit) goto undo;
        c.tags.push_back(CompactRows::kBlob);
        if (n) c.blobs.insert(c.blobs.end(), p, p + n);
        c.blob_ends.push_back(static_cast<std::uint32_t>(c.blobs.size()));
        break;
      }
      default: c.tags.push_back(CompactRows::kNull);
    }
  }
  ++c.row_count;
  return true;
undo:
  c.text.resize(text_before);
  c.blobs.resize(blob_before);
  c.tags.resize(tags_before);
  c.integers.resize(ints_before);
  c.reals.resize(reals_before);
  c.text_ends.resize(text_ends_before);
  c.blob_ends.resize(blob_ends_before);
  return false;
}

const char* synchronous_pragma(Synchronous s) {
  switch (s) {
    case Synchronous::Off: return "PRAGMA synchronous=OFF";
    case Synchronous::Normal: return "PRAGMA synchronous=NORMAL";
    case Synchronous::Full: return "PRAGMA synchronous=FULL";
    case Synchronous::Extra: return "PRAGMA synchronous=EXTRA";
  }
  return "PRAGMA synchronous=FULL";
}

}  // namespace

/// libSQL's encryption at rest on a connection that has not read its file yet: SQLite3 Multiple
/// Ciphers' `aes256cbc` cipher (the wxSQLite3 AES-256-CBC scheme) in its current, non-legacy
/// form (page 1 keeps bytes 16-23 readable), which is what libSQL writes. Its key derivation is
/// fixed (SHA-256 of the padded passphrase, re-hashed 4001 times: SQLite3MC ignores kdf_iter
/// for this cipher). The key goes through sqlite3_key_v2, never through SQL text, so no
/// statement, error or log line can carry it.
void apply_encryption_key(sqlite3* db, const std::string& key) {
#if defined(LIBSQL_HAS_ENCRYPTION) && LIBSQL_HAS_ENCRYPTION
  const int cipher = sqlite3mc_cipher_index("aes256cbc");
  if (cipher < 0 || sqlite3mc_config(db, "cipher", cipher) != cipher ||
      sqlite3mc_config_cipher(db, "aes256cbc", "legacy", 0) != 0 ||
      sqlite3mc_config_cipher(db, "aes256cbc", "legacy_page_size", 0) != 0) {
    throw make_error(ErrorKind::Misuse, "ENCRYPTION_NOT_SUPPORTED",
                     "this build's SQLite3 Multiple Ciphers has no aes256cbc cipher");
  }
  const int rc = sqlite3_key_v2(db, "main", key.data(), static_cast<int>(key.size()));
  if (rc != SQLITE_OK) throw sqlite_error(db, rc);
#else
  (void)db;
  (void)key;
  throw encryption_not_built_error();
#endif
}

Error encryption_not_built_error() {
  return make_error(ErrorKind::Misuse, "ENCRYPTION_NOT_SUPPORTED",
                    "encryptionKey needs SQLite3 Multiple Ciphers; this build "
                    "links the system SQLite library (LIBSQL_SYSTEM_SQLITE=ON)");
}

/// A wrong key and an unencrypted file opened with a key look alike to SQLite (page 1 does not
/// decrypt to a database header): SQLITE_NOTADB, with a hint that names neither the key nor
/// any of its bytes.
Error with_key_hint(const Error& e, bool has_key) {
  if (!has_key || e.primary_code() != SQLITE_NOTADB) return e;
  return Error(e.kind(), e.extended_code(), e.code_name(),
               std::string(e.what()) +
                   " (opened with an encryption key: the key is wrong, or the file is not encrypted)");
}

Error sqlite_error(sqlite3* db, int rc) {
  int ext = db ? sqlite3_extended_errcode(db) : rc;
  if (ext == SQLITE_OK) ext = rc;
  std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  // Same text as @libsql/client: the primary code's name, then SQLite's message.
  return make_sqlite_error(ext, msg);
}

Connection::Connection(DbHandle db, ConnectionRole role, std::size_t cache_size, int busy_timeout_ms)
    : db_(std::move(db)), cache_(cache_size), role_(role), busy_timeout_ms_(busy_timeout_ms) {}

void Connection::wait_for_locks(bool wait) noexcept {
  sqlite3_busy_timeout(db_.get(), wait ? busy_timeout_ms_ : 0);
}

Connection::~Connection() = default;

std::unique_ptr<Connection> Connection::open(const std::string& path, ConnectionRole role,
                                             const Config& config) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (role != ConnectionRole::Reader && role != ConnectionRole::Inline) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) {
    Error e = sqlite_error(db.get(), rc);
    throw Error(e.kind(), e.extended_code(), e.code_name(),
                std::string(e.what()) + " (path: " + path + ")");
  }
  sqlite3_extended_result_codes(db.get(), 1);
  if (int vrc = vec::register_all(db.get()); vrc != SQLITE_OK) throw sqlite_error(db.get(), vrc);  // docs/vector.md
  // The key before anything reads the file (every role; `:memory:` has nothing on disk, and
  // the official client accepts a key there too).
  const bool keyed = !config.encryption_key.empty() && role != ConnectionRole::Memory;
  if (keyed) apply_encryption_key(db.get(), config.encryption_key);
  // The inline connection runs on the caller's (event loop) thread: it never waits for a lock.
  const int busy_ms = role == ConnectionRole::Inline ? 0 : static_cast<int>(config.busy_timeout.count());
  sqlite3_busy_timeout(db.get(), busy_ms);
  auto conn = std::unique_ptr<Connection>(new Connection(
      std::move(db), role, static_cast<std::size_t>(std::max(0, config.statement_cache_size)), busy_ms));
  try {
    conn->configure(role, config);
  } catch (const Error& e) {
    throw with_key_hint(e, keyed);
  }
  return conn;
}

void Connection::configure(ConnectionRole role, const Config& config) {
  Connection* conn = this;
  if (role == ConnectionRole::Writer && config.journal_mode == JournalMode::Wal) {
    // Also the first read of the file: a file that is not a database fails here. Two
    // processes switching a new file to WAL at once can deadlock on the upgrade, and SQLite
    // then answers SQLITE_BUSY at once instead of calling the busy handler: retry within the
    // busy timeout.
    const auto deadline = std::chrono::steady_clock::now() + config.busy_timeout;
    for (auto pause = std::chrono::milliseconds(5);; pause = std::min(pause * 2, std::chrono::milliseconds(100))) {
      try {
        conn->exec("PRAGMA journal_mode=WAL");
        break;
      } catch (const Error& e) {
        if (e.primary_code() != SQLITE_BUSY || std::chrono::steady_clock::now() + pause > deadline) throw;
        std::this_thread::sleep_for(pause);
      }
    }
  }
  conn->exec(synchronous_pragma(config.synchronous));
  conn->exec("PRAGMA foreign_keys=ON");
  if (role == ConnectionRole::Reader || role == ConnectionRole::Inline) conn->exec("PRAGMA query_only=ON");
}

sqlite3_stmt* Connection::prepare(std::string_view sql) {
  if (sqlite3_stmt* cached = cache_.find(sql)) return cached;
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, &tail);
  StmtHandle stmt(raw);
  if (rc != SQLITE_OK) throw sqlite_error(db_.get(), rc);
  if (!stmt) {
    throw misuse("SQL_NO_STATEMENT", "the SQL string does not contain any statement");
  }
  std::size_t used = static_cast<std::size_t>(tail - sql.data());
  std::size_t rest = used;
  for (;;) {
    rest = skip_space_and_comments(sql, rest);
    if (rest < sql.size() && sql[rest] == ';') {
      ++rest;
      continue;
    }
    break;
  }
  if (rest < sql.size()) {
    throw misuse("SQL_MANY_STATEMENTS",
                 "the SQL string contains more than one statement; use a batch or a script");
  }
  return cache_.insert(std::string(sql), std::move(stmt));
}

ResultSet Connection::run(sqlite3_stmt* st, const Statement& s) {
  ResultSet rs;
  run_into(st, s, static_cast<std::size_t>(-1), rs);
  return rs;
}

std::optional<ResultSet> Connection::run_limited(sqlite3_stmt* st, const Statement& s, std::size_t max_rows) {
  ResultSet rs;
  if (!run_into(st, s, max_rows, rs)) return std::nullopt;
  return rs;
}

bool Connection::run_into(sqlite3_stmt* st, const Statement& s, std::size_t max_rows, ResultSet& rs) {
  StmtReset reset(st);
  bind_all(st, s);
  sqlite3* db = db_.get();
  const bool readonly = sqlite3_stmt_readonly(st) != 0;
  const sqlite3_int64 total_before = readonly ? 0 : sqlite3_total_changes64(db);
  int ncol = 0;
  for (bool first = true;; first = false) {
    int rc = sqlite3_step(st);
    if (first && (rc == SQLITE_ROW || rc == SQLITE_DONE)) {
      // Read the columns after the first step: a cached statement is re-prepared there when
      // the schema changed, and `SELECT *` may then have more columns than before.
      ncol = sqlite3_column_count(st);
      rs.columns.reserve(static_cast<std::size_t>(ncol));
      for (int i = 0; i < ncol; ++i) {
        const char* name = sqlite3_column_name(st, i);
        const char* decl = sqlite3_column_decltype(st, i);
        rs.columns.push_back(Column{name ? name : "", decl ? decl : ""});
      }
    }
    if (rc == SQLITE_ROW) {
      if (rs.row_count() >= max_rows) return false;
      CompactRows* compact = FastPath::compact(rs);
      if (!compact && FastPath::wants_compact(s) && rs.rows.size() == kCompactAfterRows) {
        FastPath::set_compact(rs, to_compact(rs.rows, static_cast<std::size_t>(ncol)));
        rs.rows.clear();
        compact = FastPath::compact(rs);
      }
      if (compact && append_compact(st, ncol, *compact)) continue;
      if (compact) {
        // Past the 32-bit offsets of the compact form: the rest as Values.
        rs.rows = to_rows(*FastPath::take_compact(rs));
      }
      Row row;
      row.reserve(static_cast<std::size_t>(ncol));
      for (int i = 0; i < ncol; ++i) row.push_back(column_value(st, i));
      rs.rows.push_back(std::move(row));
    } else if (rc == SQLITE_DONE) {
      break;
    } else {
      throw sqlite_error(db, rc);
    }
  }
  // sqlite3_changes() keeps the last DML count across DDL; report 0 when nothing changed.
  if (!readonly && sqlite3_total_changes64(db) != total_before) {
    rs.rows_affected = sqlite3_changes64(db);
    rs.last_insert_rowid = sqlite3_last_insert_rowid(db);
  }
  return true;
}

ResultSet Connection::execute(const Statement& s, bool readonly_only) {
  sqlite3_stmt* st = prepare(s.sql);
  if (readonly_only && !sqlite3_stmt_readonly(st)) {
    throw make_sqlite_error(SQLITE_READONLY, "attempt to write in a read-only transaction");
  }
  return run(st, s);
}

void Connection::exec(const std::string& sql) {
  int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) throw sqlite_error(db_.get(), rc);
}

bool Connection::autocommit() const noexcept { return sqlite3_get_autocommit(db_.get()) != 0; }

}  // namespace libsql::detail
