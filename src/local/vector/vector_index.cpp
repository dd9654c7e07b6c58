// libsql_vector_idx and vector_top_k on the local engine.
//
// The index. `CREATE INDEX i ON t (libsql_vector_idx(col, 'metric=…', …))` is, to SQLite, an
// expression index over a deterministic function. Here that function returns NULL, so the
// b-tree holds one small (NULL, rowid) entry per row, and SQLite keeps it in step with the
// table on every insert, update and delete. The function checks what libSQL checks on the
// way in (the options, the value's type and dimensions against the column's F32_BLOB(n) …).
// vector_top_k reads the index's definition from sqlite_schema and answers by an exact
// search over the indexed column (a scan of the table): its results are exact, never out of
// date, and need no shadow table. See docs/vector.md for the trade-off against libSQL's DiskANN.
//
// Files made by libSQL. libSQL keeps its DiskANN graph in `<index>_shadow` tables listed in
// `libsql_vector_meta_shadow`, and leaves the SQLite b-tree of the index empty. Reads of such
// a file work here (vector_top_k searches the table itself). A write that would change a
// column under such an index reaches libsql_vector_idx (SQLite evaluates the index expression
// on insert, update of that column, and delete), and is refused with an error that says why:
// going through would leave libSQL's graph out of date without any sign.

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "core/sql_text.hpp"
#include "local/vector/vector.hpp"
#include "local/vector/vector_codec.hpp"

namespace libsql::detail::vec {
namespace {

enum class Metric { Cos, L2 };

/// One vector index as its CREATE INDEX statement defines it.
struct IndexSpec {
  std::string name;
  std::string table;
  std::string column;
  std::vector<std::string> options;  // the string arguments after the column, as written
  Metric metric = Metric::Cos;
  bool vector_column = false;        // the column's declared type is one of libSQL's vector types
  std::string declared_type;
  Type type = Type::F32;
  int dims = 0;
  bool made_by_libsql = false;       // listed in libsql_vector_meta_shadow
  std::string invalid;               // libSQL's message for the first bad option, if any
};

std::string mprintf(const char* format, auto... args) {
  char* s = sqlite3_mprintf(format, args...);
  std::string out = s ? s : "out of memory";
  sqlite3_free(s);
  return out;
}

std::string quote_id(const std::string& id) {
  std::string out = "\"";
  for (char c : id) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

/// Reads a quoted SQL token starting at s[i] (the opening quote `open`, closing `close`,
/// doubled closing quote as an escape).
bool read_quoted(const std::string& s, std::size_t& i, char close, std::string& out) {
  ++i;
  while (i < s.size()) {
    if (s[i] == close) {
      if (close != ']' && i + 1 < s.size() && s[i + 1] == close) {
        out.push_back(close);
        i += 2;
        continue;
      }
      ++i;
      return true;
    }
    out.push_back(s[i++]);
  }
  return false;
}

/// The column and the string options of `libsql_vector_idx(...)` in a CREATE INDEX text.
bool parse_index_sql(const std::string& sql, std::string& column, std::vector<std::string>& options) {
  std::string lower = sql;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::size_t at = lower.find("libsql_vector_idx");
  if (at == std::string::npos) return false;
  std::size_t i = skip_space_and_comments(sql, at + std::strlen("libsql_vector_idx"));
  if (i >= sql.size() || sql[i] != '(') return false;
  i = skip_space_and_comments(sql, i + 1);
  if (i >= sql.size()) return false;
  const char c = sql[i];
  if (c == '"' || c == '`') {
    if (!read_quoted(sql, i, c, column)) return false;
  } else if (c == '[') {
    if (!read_quoted(sql, i, ']', column)) return false;
  } else {
    while (i < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_' || sql[i] == '$' ||
                              static_cast<unsigned char>(sql[i]) >= 0x80)) {
      column.push_back(sql[i++]);
    }
    if (column.empty()) return false;
  }
  for (;;) {
    i = skip_space_and_comments(sql, i);
    if (i >= sql.size()) return false;
    if (sql[i] == ')') return true;
    if (sql[i] != ',') return false;
    i = skip_space_and_comments(sql, i + 1);
    if (i >= sql.size() || sql[i] != '\'') return false;
    std::string option;
    if (!read_quoted(sql, i, '\'', option)) return false;
    options.push_back(std::move(option));
  }
}

bool iequals(const std::string& a, const char* b) {
  const std::size_t n = std::strlen(b);
  if (a.size() != n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

bool is_integer(const std::string& s) {
  if (s.empty() || s.size() > 18) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_float(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  (void)std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

/// libSQL's option check; an empty string when `option` is valid, else its message.
std::string check_option(const std::string& option, Metric* metric) {
  const std::size_t eq = option.find('=');
  auto invalid = [&](const char* why) {
    return mprintf("vector index: invalid vector index parameter '%s': %s", option.c_str(), why);
  };
  if (eq == std::string::npos) return invalid("invalid parameter");
  const std::string key = option.substr(0, eq);
  const std::string value = option.substr(eq + 1);
  if (key == "type") {
    if (!iequals(value, "diskann")) return invalid("invalid parameter");
  } else if (key == "metric") {
    if (iequals(value, "cos") || iequals(value, "cosine")) {
      if (metric) *metric = Metric::Cos;
    } else if (iequals(value, "l2")) {
      if (metric) *metric = Metric::L2;
    } else {
      return invalid("invalid parameter");
    }
  } else if (key == "compress_neighbors") {
    static const char* const kTypes[] = {"float1bit", "float8", "float16", "floatb16", "float32", "float64"};
    if (std::none_of(std::begin(kTypes), std::end(kTypes), [&](const char* t) { return iequals(value, t); })) {
      return invalid("invalid parameter");
    }
  } else if (key == "max_neighbors" || key == "search_l" || key == "insert_l") {
    if (!is_integer(value)) return invalid("invalid representation of integer vector index parameter");
  } else if (key == "alpha") {
    if (!is_float(value)) return invalid("invalid representation of floating point vector index parameter");
  } else {
    return invalid("invalid parameter");
  }
  return {};
}

/// A statement run to completion inside a function or a virtual table (same connection).
struct Stmt {
  sqlite3_stmt* st = nullptr;
  Stmt(sqlite3* db, const std::string& sql, int& rc) {
    rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &st, nullptr);
  }
  ~Stmt() { sqlite3_finalize(st); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
};

std::string text_at(sqlite3_stmt* st, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st, i))) : std::string();
}

/// Every vector index of the main database, read from sqlite_schema. False with `error` set
/// when SQLite fails.
bool load_specs(sqlite3* db, std::vector<IndexSpec>& specs, std::string& error) {
  specs.clear();
  int rc = SQLITE_OK;
  std::vector<std::string> libsql_made;
  {
    Stmt meta(db, "SELECT 1 FROM main.sqlite_schema WHERE type='table' AND name='libsql_vector_meta_shadow'", rc);
    if (rc != SQLITE_OK) return error = sqlite3_errmsg(db), false;
    if (sqlite3_step(meta.st) == SQLITE_ROW) {
      Stmt names(db, "SELECT name FROM main.libsql_vector_meta_shadow", rc);
      if (rc != SQLITE_OK) return error = sqlite3_errmsg(db), false;
      while ((rc = sqlite3_step(names.st)) == SQLITE_ROW) libsql_made.push_back(text_at(names.st, 0));
      if (rc != SQLITE_DONE) return error = sqlite3_errmsg(db), false;
    }
  }
  Stmt list(db,
            "SELECT name, tbl_name, sql FROM main.sqlite_schema WHERE type='index' AND sql LIKE "
            "'%libsql_vector_idx%'",
            rc);
  if (rc != SQLITE_OK) return error = sqlite3_errmsg(db), false;
  while ((rc = sqlite3_step(list.st)) == SQLITE_ROW) {
    IndexSpec spec;
    spec.name = text_at(list.st, 0);
    spec.table = text_at(list.st, 1);
    if (!parse_index_sql(text_at(list.st, 2), spec.column, spec.options)) continue;
    for (const auto& o : spec.options) {
      if (std::string e = check_option(o, &spec.metric); !e.empty() && spec.invalid.empty()) spec.invalid = std::move(e);
    }
    const char* decl = nullptr;
    if (sqlite3_table_column_metadata(db, "main", spec.table.c_str(), spec.column.c_str(), &decl, nullptr, nullptr,
                                      nullptr, nullptr) == SQLITE_OK) {
      spec.declared_type = decl ? decl : "";
      spec.vector_column = column_type(decl, spec.type, spec.dims);
    }
    spec.made_by_libsql = std::find(libsql_made.begin(), libsql_made.end(), spec.name) != libsql_made.end();
    specs.push_back(std::move(spec));
  }
  if (rc != SQLITE_DONE) return error = sqlite3_errmsg(db), false;
  return true;
}

/// Per connection: the vector indexes, reloaded when the schema changes.
struct IndexCache {
  long long schema_version = -1;
  std::vector<IndexSpec> specs;

  bool refresh(sqlite3* db, bool force, std::string& error) {
    int rc = SQLITE_OK;
    Stmt v(db, "PRAGMA main.schema_version", rc);
    if (rc != SQLITE_OK || sqlite3_step(v.st) != SQLITE_ROW) return error = sqlite3_errmsg(db), false;
    const long long version = sqlite3_column_int64(v.st, 0);
    if (!force && version == schema_version) return true;
    if (!load_specs(db, specs, error)) return false;
    schema_version = version;
    return true;
  }
};

std::string refusal(const std::vector<IndexSpec>& specs) {
  std::string names;
  for (const auto& s : specs) {
    if (!s.made_by_libsql) continue;
    if (!names.empty()) names += ", ";
    names += s.name;
  }
  return "vector index: this database's vector index (" + names +
         ") was built by libSQL (a DiskANN graph in its _shadow tables, listed in libsql_vector_meta_shadow), "
         "which libsql-cpp does not maintain: writes that change an indexed vector column are refused, because they "
         "would leave that index out of date. Reads and vector_top_k work. To write here, DROP INDEX it (and its "
         "_shadow tables and libsql_vector_meta_shadow rows) and create the index again with libsql-cpp";
}

/// libsql_vector_idx(col, options…): the index marker. Checks like libSQL's insert path and
/// returns NULL (the b-tree only tracks rowids; vector_top_k reads the table).
void index_marker(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  auto* cache = static_cast<IndexCache*>(sqlite3_user_data(ctx));
  sqlite3* db = sqlite3_context_db_handle(ctx);
  if (argc < 1) {
    sqlite3_result_error(ctx, "vector index: must contain exactly one column wrapped into the libsql_vector_idx function", -1);
    return;
  }
  std::vector<std::string> options;
  for (int i = 1; i < argc; ++i) {
    if (sqlite3_value_type(argv[i]) != SQLITE_TEXT) {
      sqlite3_result_error(ctx, "vector index: all arguments after first must be strings", -1);
      return;
    }
    options.emplace_back(reinterpret_cast<const char*>(sqlite3_value_text(argv[i])),
                         static_cast<std::size_t>(sqlite3_value_bytes(argv[i])));
    if (std::string e = check_option(options.back(), nullptr); !e.empty()) {
      sqlite3_result_error(ctx, e.c_str(), -1);
      return;
    }
  }
  std::string error;
  if (!cache->refresh(db, false, error)) {
    sqlite3_result_error(ctx, ("vector index: " + error).c_str(), -1);
    return;
  }
  auto matching = [&] {
    std::vector<const IndexSpec*> out;
    for (const auto& s : cache->specs) {
      if (s.options == options) out.push_back(&s);
    }
    return out;
  };
  std::vector<const IndexSpec*> specs = matching();
  // A CREATE INDEX that fills its b-tree runs before the new schema version is visible.
  if (specs.empty()) {
    if (!cache->refresh(db, true, error)) {
      sqlite3_result_error(ctx, ("vector index: " + error).c_str(), -1);
      return;
    }
    specs = matching();
  }
  if (std::any_of(cache->specs.begin(), cache->specs.end(), [](const IndexSpec& s) { return s.made_by_libsql; })) {
    sqlite3_result_error(ctx, refusal(cache->specs).c_str(), -1);
    return;
  }
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  // The column's type, when every index written with these options agrees on it (SQLite does
  // not say which index a call is for).
  const IndexSpec* column = nullptr;
  if (!specs.empty()) {
    const IndexSpec& first = *specs.front();
    const bool agree = std::all_of(specs.begin(), specs.end(), [&](const IndexSpec* s) {
      return s->vector_column == first.vector_column && s->type == first.type && s->dims == first.dims;
    });
    if (agree) column = &first;
  }
  if (column && !column->vector_column) {
    std::string decl = column->declared_type;
    std::transform(decl.begin(), decl.end(), decl.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    sqlite3_result_error(ctx, mprintf("vector index: unexpected vector column type: %s", decl.c_str()).c_str(), -1);
    return;
  }
  Type type{};
  int dims = 0;
  Vector v;
  if (!detect(argv[0], Type::F32, type, dims, error) || !parse(argv[0], Type::F32, v, error)) {
    sqlite3_result_error(ctx, error.c_str(), -1);
    return;
  }
  if (column && type != column->type) {
    sqlite3_result_error(ctx,
                         mprintf("vector index(insert): vector type differs from column type: %d != %d",
                                 static_cast<int>(type), static_cast<int>(column->type))
                             .c_str(),
                         -1);
    return;
  }
  if (column && v.dims != column->dims) {
    sqlite3_result_error(ctx, mprintf("vector index(insert): dimensions are different: %d != %d", v.dims, column->dims).c_str(), -1);
    return;
  }
  sqlite3_result_null(ctx);
}

// ---- vector_top_k ---------------------------------------------------------------------------

/// The last searched F32 index of a connection, in memory: rowids, vectors and their sums of
/// squares, valid while the database is unchanged (same data_version, schema version and
/// total_changes on this connection, outside any explicit transaction, whose rollback would
/// not show in those counters). Bounded by kCacheBudget; past it, every search scans.
///
/// Beside the vectors, an int8 copy (per dimension: code = round(v / scale), scale = the
/// column's largest |v| / 127) with, per row, the norm of its quantisation error. A search
/// scores every row on the codes (a quarter of the bytes), which bounds each row's exact
/// distance from below and above; only rows whose lower bound can reach the k-th smallest
/// upper bound are scored exactly, with the same float arithmetic as before. The result is
/// therefore the exact search's, row for row (see search_cached).
struct SearchCache {
  static constexpr std::size_t kCacheBudget = std::size_t{512} << 20;
  bool valid = false;
  std::string index;
  long long data_version = -1, schema_version = -1;
  sqlite3_int64 total_changes = -1;
  int dims = 0;
  std::vector<sqlite3_int64> rowids;
  std::vector<float> data;
  std::vector<float> norms;
  // The int8 copy.
  std::vector<float> scales;           // per dimension
  std::vector<std::int8_t> codes;      // rows x dims
  std::vector<float> error_norm;       // per row: |v - scales*codes|, rounded up
  std::vector<float> code_norm;        // per row: |scales*codes|, rounded up
  std::vector<std::uint8_t> special;   // per row: a non-finite element; always scored exactly
  // A search's scratch (kept: a fresh large allocation costs a page fault per page).
  std::vector<float> est;
  std::vector<double> lower;
};

/// v.reserve(n), asking Linux for huge pages on the new storage before anything touches it:
/// page faults dominate filling hundreds of MB 4 KiB at a time.
template <typename T>
void reserve_huge(std::vector<T>& v, std::size_t n) {
  v.reserve(n);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  const auto begin = reinterpret_cast<std::uintptr_t>(v.data());
  const std::uintptr_t end = begin + v.capacity() * sizeof(T);
  const std::uintptr_t from = (begin + kHuge - 1) & ~(kHuge - 1);
  const std::uintptr_t to = end & ~(kHuge - 1);
  if (to > from) (void)madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE);  // advice only
#endif
}

struct TopKTable {
  sqlite3_vtab base{};
  sqlite3* db = nullptr;
  SearchCache cache;
};

struct TopKCursor {
  sqlite3_vtab_cursor base{};
  std::vector<sqlite3_int64> ids;
  std::size_t pos = 0;
};

constexpr int kColId = 0;
constexpr int kColIndex = 1;
constexpr int kColQuery = 2;
constexpr int kColK = 3;

int topk_connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out, char**) {
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(id INTEGER, idx HIDDEN, query HIDDEN, k HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  auto* t = new TopKTable;
  t->db = db;
  *out = &t->base;
  return SQLITE_OK;
}

int topk_disconnect(sqlite3_vtab* v) {
  delete reinterpret_cast<TopKTable*>(v);
  return SQLITE_OK;
}

int topk_best_index(sqlite3_vtab*, sqlite3_index_info* info) {
  int slot[4] = {-1, -1, -1, -1};
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.iColumn < kColIndex || c.iColumn > kColK || c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (!c.usable) return SQLITE_CONSTRAINT;
    if (slot[c.iColumn] < 0) slot[c.iColumn] = i;
  }
  int argv = 0;
  int mask = 0;
  for (int col = kColIndex; col <= kColK; ++col) {
    if (slot[col] < 0) continue;
    info->aConstraintUsage[slot[col]].argvIndex = ++argv;
    info->aConstraintUsage[slot[col]].omit = 1;
    mask |= 1 << col;
  }
  info->idxNum = mask;
  info->estimatedCost = 10;
  info->estimatedRows = 10;
  return SQLITE_OK;
}

int topk_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* c = new TopKCursor;
  *out = &c->base;
  return SQLITE_OK;
}

int topk_close(sqlite3_vtab_cursor* cur) {
  delete reinterpret_cast<TopKCursor*>(cur);
  return SQLITE_OK;
}

int fail(sqlite3_vtab* vtab, const std::string& message) {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf("%s", message.c_str());
  return SQLITE_ERROR;
}

/// Exact k nearest neighbours of `query` among the non-NULL values of the indexed column,
/// by (distance, rowid); a NaN distance (cosine with a zero vector) sorts last.
int search(sqlite3* db, const IndexSpec& spec, const Vector& query, sqlite3_int64 k, std::vector<sqlite3_int64>& ids,
           std::string& error) {
  ids.clear();
  if (k <= 0) return SQLITE_OK;
  int rc = SQLITE_OK;
  Stmt scan(db, "SELECT rowid, " + quote_id(spec.column) + " FROM main." + quote_id(spec.table), rc);
  if (rc != SQLITE_OK) return error = sqlite3_errmsg(db), rc;
  using Entry = std::pair<float, sqlite3_int64>;
  std::priority_queue<Entry> heap;  // the worst kept entry on top
  Vector row;
  row.type = Type::F32;
  const std::size_t f32_bytes = static_cast<std::size_t>(spec.dims) * 4;
  std::string parse_error;
  while ((rc = sqlite3_step(scan.st)) == SQLITE_ROW) {
    const int vt = sqlite3_column_type(scan.st, 1);
    if (vt == SQLITE_NULL) continue;
    const Vector* value = &row;
    Vector parsed;
    if (vt == SQLITE_BLOB && spec.type == Type::F32 && static_cast<std::size_t>(sqlite3_column_bytes(scan.st, 1)) == f32_bytes) {
      row.dims = spec.dims;
      row.f32.resize(static_cast<std::size_t>(spec.dims));
      if (f32_bytes) std::memcpy(row.f32.data(), sqlite3_column_blob(scan.st, 1), f32_bytes);
    } else {
      bool ok = vt == SQLITE_BLOB
                    ? parse_blob(static_cast<const std::uint8_t*>(sqlite3_column_blob(scan.st, 1)),
                                 static_cast<std::size_t>(sqlite3_column_bytes(scan.st, 1)), parsed, parse_error)
                    : vt == SQLITE_TEXT && parse_text(reinterpret_cast<const char*>(sqlite3_column_text(scan.st, 1)),
                                                      Type::F32, parsed, parse_error);
      if (!ok || parsed.dims != spec.dims) continue;  // libSQL's index never holds such a row
      if (parsed.type != spec.type) parsed = convert(parsed, spec.type);
      value = &parsed;
    }
    float d = spec.metric == Metric::L2 && spec.type != Type::F1Bit ? distance_l2(query, *value) : distance_cos(query, *value);
    if (std::isnan(d)) d = std::numeric_limits<float>::infinity();
    const Entry e{d, sqlite3_column_int64(scan.st, 0)};
    if (static_cast<sqlite3_int64>(heap.size()) < k) {
      heap.push(e);
    } else if (e < heap.top()) {
      heap.pop();
      heap.push(e);
    }
  }
  if (rc != SQLITE_DONE) return error = sqlite3_errmsg(db), rc;
  std::vector<Entry> sorted;
  sorted.reserve(heap.size());
  while (!heap.empty()) {
    sorted.push_back(heap.top());
    heap.pop();
  }
  std::reverse(sorted.begin(), sorted.end());
  ids.reserve(sorted.size());
  for (const auto& e : sorted) ids.push_back(e.second);
  return SQLITE_OK;
}

/// The state a cache is valid for; false when it cannot be read.
bool cache_token(sqlite3* db, long long& data_version, long long& schema_version, sqlite3_int64& changes) {
  int rc = SQLITE_OK;
  Stmt dv(db, "PRAGMA main.data_version", rc);
  if (rc != SQLITE_OK || sqlite3_step(dv.st) != SQLITE_ROW) return false;
  data_version = sqlite3_column_int64(dv.st, 0);
  Stmt sv(db, "PRAGMA main.schema_version", rc);
  if (rc != SQLITE_OK || sqlite3_step(sv.st) != SQLITE_ROW) return false;
  schema_version = sqlite3_column_int64(sv.st, 0);
  changes = sqlite3_total_changes64(db);
  return true;
}

/// The int8 copy of a cache's vectors (see SearchCache).
void quantize(SearchCache& cache) {
  const auto dims = static_cast<std::size_t>(cache.dims);
  const std::size_t rows = cache.rowids.size();
  cache.special.assign(rows, 0);
  std::vector<float> max_abs(dims, 0.0F);
  for (std::size_t r = 0; r < rows; ++r) {
    const float* v = cache.data.data() + r * dims;
    bool finite = true;
    for (std::size_t i = 0; i < dims; ++i) finite = finite && std::isfinite(v[i]);
    if (!finite) {
      cache.special[r] = 1;
      continue;
    }
    for (std::size_t i = 0; i < dims; ++i) max_abs[i] = std::max(max_abs[i], std::fabs(v[i]));
  }
  cache.scales.assign(dims, 0.0F);
  std::vector<float> inverse(dims, 0.0F);
  for (std::size_t i = 0; i < dims; ++i) {
    const float scale = max_abs[i] / 127.0F;
    if (scale > 0 && std::isnormal(scale) && std::isfinite(127.0F / max_abs[i])) {
      cache.scales[i] = scale;
      inverse[i] = 127.0F / max_abs[i];
    }
  }
  if (cache.codes.capacity() < rows * dims) reserve_huge(cache.codes, rows * dims);
  cache.codes.assign(rows * dims, 0);
  cache.error_norm.assign(rows, 0.0F);
  cache.code_norm.assign(rows, 0.0F);
  for (std::size_t r = 0; r < rows; ++r) {
    if (cache.special[r]) continue;
    const float* v = cache.data.data() + r * dims;
    std::int8_t* c = cache.codes.data() + r * dims;
    double err = 0, norm = 0;
    for (std::size_t i = 0; i < dims; ++i) {
      const float q = std::nearbyint(v[i] * inverse[i]);
      c[i] = static_cast<std::int8_t>(std::clamp(q, -127.0F, 127.0F));
      const double approx = static_cast<double>(cache.scales[i]) * c[i];
      err += (static_cast<double>(v[i]) - approx) * (static_cast<double>(v[i]) - approx);
      norm += approx * approx;
    }
    // Rounded up (the bounds must hold, not just nearly): a relative 1e-6 covers the double
    // sums' own rounding many times over.
    cache.error_norm[r] = static_cast<float>(std::sqrt(err) * (1 + 1e-6)) * (1 + 1e-6F) + 1e-30F;
    cache.code_norm[r] = static_cast<float>(std::sqrt(norm) * (1 + 1e-6)) * (1 + 1e-6F);
    if (!std::isfinite(cache.error_norm[r]) || !std::isfinite(cache.code_norm[r])) cache.special[r] = 1;
  }
}

// out[r] = sum_i w[i] * codes[r*dims + i] for every row: the one pass over all rows of a search,
// eight floats at a time (AVX2 where the processor has it; the same code for SSE2 otherwise).
#define LIBSQL_VEC_CODE_DOTS_BODY                                                                   \
  typedef float F8 __attribute__((vector_size(32)));                                              \
  typedef std::int8_t C8 __attribute__((vector_size(8)));                                         \
  const std::size_t n = static_cast<std::size_t>(dims);                                            \
  const std::size_t blocks = n / 16 * 16;                                                          \
  for (std::size_t r = 0; r < rows; ++r) {                                                         \
    const std::int8_t* c = codes + r * n;                                                          \
    F8 a0 = {}, a1 = {};                                                                           \
    for (std::size_t i = 0; i < blocks; i += 16) {                                                 \
      C8 c0, c1;                                                                                   \
      F8 w0, w1;                                                                                   \
      std::memcpy(&c0, c + i, 8);                                                                  \
      std::memcpy(&c1, c + i + 8, 8);                                                              \
      std::memcpy(&w0, w + i, 32);                                                                 \
      std::memcpy(&w1, w + i + 8, 32);                                                             \
      a0 += w0 * __builtin_convertvector(c0, F8);                                                  \
      a1 += w1 * __builtin_convertvector(c1, F8);                                                  \
    }                                                                                              \
    const F8 a = a0 + a1;                                                                          \
    float sum = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));                 \
    for (std::size_t i = blocks; i < n; ++i) sum += w[i] * static_cast<float>(c[i]);               \
    out[r] = sum;                                                                                  \
  }

void code_dots_generic(const float* w, const std::int8_t* codes, std::size_t rows, int dims, float* out) {
  LIBSQL_VEC_CODE_DOTS_BODY
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2,fma"))) void code_dots_avx2(const float* w, const std::int8_t* codes, std::size_t rows,
                                                          int dims, float* out) {
  LIBSQL_VEC_CODE_DOTS_BODY
}
#endif
#undef LIBSQL_VEC_CODE_DOTS_BODY

void code_dots(const float* w, const std::int8_t* codes, std::size_t rows, int dims, float* out) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx2) return code_dots_avx2(w, codes, rows, dims, out);
#endif
  code_dots_generic(w, codes, rows, dims, out);
}

/// Fills `cache` with the F32 vectors of the index's column (the rows search() would score,
/// converted to F32 the same way). False (cache left invalid) past the budget or on error.
bool build_cache(sqlite3* db, const IndexSpec& spec, SearchCache& cache) {
  cache = SearchCache{};
  int rc = SQLITE_OK;
  const auto dims = static_cast<std::size_t>(spec.dims);
  {
    // The row count, to allocate once: a hint (SQLite counts the index's small b-tree, empty
    // in a file whose index libSQL built; the search's statement holds the read transaction,
    // so the scan sees the same rows), more rows only cost reallocations.
    Stmt count(db, "SELECT count(*) FROM main." + quote_id(spec.table), rc);
    if (rc != SQLITE_OK || sqlite3_step(count.st) != SQLITE_ROW) return false;
    const auto rows = static_cast<std::size_t>(std::max<sqlite3_int64>(0, sqlite3_column_int64(count.st, 0)));
    if (rows * dims * (sizeof(float) + 1) > SearchCache::kCacheBudget) return false;
    reserve_huge(cache.data, rows * dims);
    reserve_huge(cache.codes, rows * dims);
    cache.rowids.reserve(rows);
    cache.norms.reserve(rows);
  }
  Stmt scan(db, "SELECT rowid, " + quote_id(spec.column) + " FROM main." + quote_id(spec.table), rc);
  if (rc != SQLITE_OK) return false;
  std::string error;
  while ((rc = sqlite3_step(scan.st)) == SQLITE_ROW) {
    const int vt = sqlite3_column_type(scan.st, 1);
    if (vt == SQLITE_NULL) continue;
    if ((cache.data.size() + dims) * (sizeof(float) + 1) > SearchCache::kCacheBudget) return false;
    const std::size_t at = cache.data.size();
    if (vt == SQLITE_BLOB && static_cast<std::size_t>(sqlite3_column_bytes(scan.st, 1)) == dims * 4) {
      cache.data.resize(at + dims);
      if (dims) std::memcpy(cache.data.data() + at, sqlite3_column_blob(scan.st, 1), dims * 4);
    } else {
      Vector parsed;
      const bool ok = vt == SQLITE_BLOB
                          ? parse_blob(static_cast<const std::uint8_t*>(sqlite3_column_blob(scan.st, 1)),
                                       static_cast<std::size_t>(sqlite3_column_bytes(scan.st, 1)), parsed, error)
                          : vt == SQLITE_TEXT && parse_text(reinterpret_cast<const char*>(sqlite3_column_text(scan.st, 1)),
                                                            Type::F32, parsed, error);
      if (!ok || parsed.dims != spec.dims) continue;
      if (parsed.type != Type::F32) parsed = convert(parsed, Type::F32);
      cache.data.insert(cache.data.end(), parsed.f32.begin(), parsed.f32.end());
    }
    cache.rowids.push_back(sqlite3_column_int64(scan.st, 0));
    cache.norms.push_back(f32_sum_squares(cache.data.data() + at, spec.dims));
  }
  if (rc != SQLITE_DONE) return false;
  cache.index = spec.name;
  cache.dims = spec.dims;
  quantize(cache);
  cache.valid = true;
  return true;
}

/// The k smallest (distance, rowid) of `scored`, in order.
using Entry = std::pair<float, sqlite3_int64>;
void keep_smallest(std::priority_queue<Entry>& heap, const Entry& e, sqlite3_int64 k) {
  if (static_cast<sqlite3_int64>(heap.size()) < k) {
    heap.push(e);
  } else if (e < heap.top()) {
    heap.pop();
    heap.push(e);
  }
}

void drain_sorted(std::priority_queue<Entry>& heap, std::vector<sqlite3_int64>& ids) {
  std::vector<Entry> sorted;
  sorted.reserve(heap.size());
  while (!heap.empty()) {
    sorted.push_back(heap.top());
    heap.pop();
  }
  std::reverse(sorted.begin(), sorted.end());
  for (const auto& e : sorted) ids.push_back(e.second);
}

/// The exact distance search() computes for cached row `r` (NaN as +infinity).
float exact_distance(const SearchCache& cache, Metric metric, const float* query, float qnorm, std::size_t r) {
  const float* row = cache.data.data() + r * static_cast<std::size_t>(cache.dims);
  float d = metric == Metric::L2 ? f32_l2(query, row, cache.dims) : f32_cos(query, qnorm, row, cache.norms[r], cache.dims);
  return std::isnan(d) ? std::numeric_limits<float>::infinity() : d;
}

/// search() over a cache: the same distances, the same order, the same result.
///
/// First every row is scored on its int8 codes: est = q . v', where v' = scales * codes is
/// within error_norm (e) of v. So q . v is within |q| e of est, and each row's exact distance
/// lies in [lower, upper] (cosine: 1 - est / (|q||v|) +- e/|v|; l2: |q - v'| +- e), widened by
/// the float rounding of both computations (est's and the exact one's: relative (n+2)u each,
/// u = 2^-24, n = dims) and a last ulp. With U = the k-th smallest upper bound, at least k rows
/// have an exact distance <= U, so every row of the exact top k (ties at the k-th distance
/// included) has lower <= U: those rows, and the special ones (non-finite elements, norms whose
/// product leaves float's normal range), are scored exactly as before and the k smallest by
/// (distance, rowid) kept. The query itself non-finite or zero (cosine): every row exactly.
void search_cached(SearchCache& cache, Metric metric, const Vector& query, sqlite3_int64 k,
                   std::vector<sqlite3_int64>& ids) {
  ids.clear();
  if (k <= 0) return;
  std::priority_queue<Entry> heap;
  const int dims = cache.dims;
  const auto n = static_cast<std::size_t>(dims);
  const float* q = query.f32.data();
  const float qnorm = f32_sum_squares(q, dims);
  const std::size_t rows = cache.rowids.size();
  bool query_finite = std::isfinite(qnorm);
  for (std::size_t i = 0; i < n; ++i) query_finite = query_finite && std::isfinite(q[i]);
  if (!query_finite || (metric == Metric::Cos && !std::isnormal(qnorm)) || cache.special.size() != rows) {
    for (std::size_t r = 0; r < rows; ++r) keep_smallest(heap, {exact_distance(cache, metric, q, qnorm, r), cache.rowids[r]}, k);
    drain_sorted(heap, ids);
    return;
  }
  std::vector<float> w(n);
  double qq = 0;
  for (std::size_t i = 0; i < n; ++i) {
    w[i] = q[i] * cache.scales[i];
    qq += static_cast<double>(q[i]) * q[i];
  }
  const double qlen = std::sqrt(qq);
  std::vector<float>& est = cache.est;
  est.resize(rows);
  code_dots(w.data(), cache.codes.data(), rows, dims, est.data());
  constexpr double u = 1.0 / (1 << 24);
  const double rel = (static_cast<double>(n) + 8) * u;  // one computation's relative rounding, generously
  std::vector<double>& lower = cache.lower;
  lower.resize(rows);
  std::priority_queue<double> uppers;  // the k smallest upper bounds, the largest on top
  for (std::size_t r = 0; r < rows; ++r) {
    if (cache.special[r]) continue;
    double lo = 0, hi = 0;
    const double e = cache.error_norm[r];
    const double vq = cache.code_norm[r];
    const double est_err = 1.01 * rel * qlen * vq;  // |est - q . v'|
    if (metric == Metric::Cos) {
      const float prod = qnorm * cache.norms[r];  // as f32_cos computes it
      if (!std::isnormal(prod) || !std::isfinite(est[r])) {
        lo = -std::numeric_limits<double>::infinity();
        hi = std::numeric_limits<double>::infinity();
      } else {
        const double denom = std::sqrt(static_cast<double>(prod));
        // |q||v| / denom <= 1 + 2 rel; the exact result: its dot product within rel |q||v| of
        // q . v, then rounded to float (an ulp of values below 2 is at most 2^-23).
        const double scale = (1 + 2 * rel) / denom;
        const double half = (qlen * e + est_err + rel * qlen * (vq + e)) * scale + 4.0 / (1 << 23);
        const double d = 1.0 - static_cast<double>(est[r]) / denom;
        lo = d - half;
        hi = d + half;
      }
    } else {
      if (!std::isfinite(est[r])) {
        lo = -std::numeric_limits<double>::infinity();
        hi = std::numeric_limits<double>::infinity();
      } else {
        // |q - v'|^2 = |q|^2 + |v'|^2 - 2 q . v', and |q - v| within e of |q - v'|; the exact
        // result within a relative 2 rel of |q - v| (each difference and square rounded, the sum,
        // the sqrt, the float).
        const double a = qq + vq * vq - 2.0 * static_cast<double>(est[r]);
        // (vq is |v'| rounded up by a relative 2e-6 or so: 1e-5 vq^2 covers what that adds.)
        const double slack = 2.0 * est_err + 1e-5 * vq * vq + 1e-12 * qq + 1e-300;
        lo = (std::sqrt(std::max(0.0, a - slack)) - e) * (1 - 3 * rel) - 1e-17;
        hi = (std::sqrt(a + slack) + e) * (1 + 3 * rel) + 1e-17;
      }
    }
    lower[r] = lo;
    if (static_cast<sqlite3_int64>(uppers.size()) < k) {
      uppers.push(hi);
    } else if (hi < uppers.top()) {
      uppers.pop();
      uppers.push(hi);
    }
  }
  const double bound = static_cast<sqlite3_int64>(uppers.size()) < k || std::isnan(uppers.top())
                           ? std::numeric_limits<double>::infinity()
                           : uppers.top();
  for (std::size_t r = 0; r < rows; ++r) {
    if (cache.special[r] || !(lower[r] > bound)) {
      keep_smallest(heap, {exact_distance(cache, metric, q, qnorm, r), cache.rowids[r]}, k);
    }
  }
  drain_sorted(heap, ids);
}

int topk_filter(sqlite3_vtab_cursor* cur, int idx_num, const char*, int argc, sqlite3_value** argv) {
  auto* c = reinterpret_cast<TopKCursor*>(cur);
  auto* t = reinterpret_cast<TopKTable*>(cur->pVtab);
  c->ids.clear();
  c->pos = 0;
  if (argc != 3 || idx_num != ((1 << kColIndex) | (1 << kColQuery) | (1 << kColK))) {
    return fail(cur->pVtab, mprintf("vector index(search): got %d parameters, expected 3", argc));
  }
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
    return fail(cur->pVtab, "vector index(search): first parameter (index) must be a string");
  }
  const std::string name(reinterpret_cast<const char*>(sqlite3_value_text(argv[0])),
                         static_cast<std::size_t>(sqlite3_value_bytes(argv[0])));
  std::vector<IndexSpec> specs;
  std::string error;
  if (!load_specs(t->db, specs, error)) return fail(cur->pVtab, "vector index(search): " + error);
  const auto spec = std::find_if(specs.begin(), specs.end(), [&](const IndexSpec& s) { return s.name == name; });
  if (spec == specs.end()) return fail(cur->pVtab, "vector index(search): failed to parse vector index parameters");
  if (!spec->invalid.empty()) return fail(cur->pVtab, spec->invalid);
  if (!spec->vector_column) {
    std::string decl = spec->declared_type;
    std::transform(decl.begin(), decl.end(), decl.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    return fail(cur->pVtab, mprintf("vector index: unexpected vector column type: %s", decl.c_str()));
  }
  Type type{};
  int dims = 0;
  Vector query;
  if (!detect(argv[1], Type::F32, type, dims, error) || !parse(argv[1], Type::F32, query, error)) {
    return fail(cur->pVtab, error);
  }
  if (type != spec->type) {
    return fail(cur->pVtab, mprintf("vector index(search): vector type differs from column type: %d != %d",
                                    static_cast<int>(type), static_cast<int>(spec->type)));
  }
  if (query.dims != spec->dims) {
    return fail(cur->pVtab, mprintf("vector index(search): dimensions are different: %d != %d", query.dims, spec->dims));
  }
  const int kt = sqlite3_value_type(argv[2]);
  if (kt == SQLITE_FLOAT) {
    return fail(cur->pVtab, "vector index(search): third parameter (k) must be an integer, but float value were provided");
  }
  if (kt != SQLITE_INTEGER) {
    return fail(cur->pVtab,
                "vector index(search): third parameter (k) must be an integer, but unexpected type of value were provided");
  }
  const sqlite3_int64 k = sqlite3_value_int64(argv[2]);
  long long data_version = 0, schema_version = 0;
  sqlite3_int64 changes = 0;
  if (spec->type == Type::F32 && k > 0 && sqlite3_get_autocommit(t->db) != 0 &&
      cache_token(t->db, data_version, schema_version, changes)) {
    SearchCache& cache = t->cache;
    const bool fresh = cache.valid && cache.index == spec->name && cache.data_version == data_version &&
                       cache.schema_version == schema_version && cache.total_changes == changes;
    if (fresh || build_cache(t->db, *spec, cache)) {
      cache.data_version = data_version;
      cache.schema_version = schema_version;
      cache.total_changes = changes;
      search_cached(cache, spec->metric, query, k, c->ids);
      return SQLITE_OK;
    }
    cache = SearchCache{};  // over the budget: free what was read
  }
  if (int rc = search(t->db, *spec, query, k, c->ids, error); rc != SQLITE_OK) {
    return fail(cur->pVtab, "vector index(search): " + error);
  }
  return SQLITE_OK;
}

int topk_next(sqlite3_vtab_cursor* cur) {
  ++reinterpret_cast<TopKCursor*>(cur)->pos;
  return SQLITE_OK;
}

int topk_eof(sqlite3_vtab_cursor* cur) {
  auto* c = reinterpret_cast<TopKCursor*>(cur);
  return c->pos >= c->ids.size() ? 1 : 0;
}

int topk_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int col) {
  auto* c = reinterpret_cast<TopKCursor*>(cur);
  if (col == kColId) sqlite3_result_int64(ctx, c->ids[c->pos]);
  return SQLITE_OK;
}

int topk_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) {
  auto* c = reinterpret_cast<TopKCursor*>(cur);
  *rowid = c->ids[c->pos];
  return SQLITE_OK;
}

sqlite3_module make_topk_module() {
  sqlite3_module m{};
  m.iVersion = 0;
  m.xCreate = nullptr;  // eponymous only: `vector_top_k(...)` in FROM
  m.xConnect = topk_connect;
  m.xBestIndex = topk_best_index;
  m.xDisconnect = topk_disconnect;
  m.xDestroy = topk_disconnect;
  m.xOpen = topk_open;
  m.xClose = topk_close;
  m.xFilter = topk_filter;
  m.xNext = topk_next;
  m.xEof = topk_eof;
  m.xColumn = topk_column;
  m.xRowid = topk_rowid;
  return m;
}

const sqlite3_module kTopKModule = make_topk_module();

}  // namespace

int register_all(sqlite3* db) {
  if (int rc = register_functions(db); rc != SQLITE_OK) return rc;
  auto* cache = new IndexCache;
  if (int rc = sqlite3_create_function_v2(db, "libsql_vector_idx", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, cache,
                                          index_marker, nullptr, nullptr,
                                          [](void* p) { delete static_cast<IndexCache*>(p); });
      rc != SQLITE_OK) {
    return rc;  // SQLite has called the destructor
  }
  return sqlite3_create_module_v2(db, "vector_top_k", &kTopKModule, nullptr, nullptr);
}

}  // namespace libsql::detail::vec
