#include "js_convert.hpp"

#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "addon_state.hpp"

namespace libsql::node {
namespace {

std::string utf8_of(const Napi::Value& v) {
  // One call for the usual short string; a longer one is measured, then copied.
  char small[256];
  std::size_t length = 0;
  napi_status status = napi_get_value_string_utf8(v.Env(), v, small, sizeof small, &length);
  NAPI_THROW_IF_FAILED(v.Env(), status, std::string());
  // A truncated copy ends at a character boundary, at most 4 bytes short of the buffer.
  if (length + 4 < sizeof small - 1) return std::string(small, length);
  return v.As<Napi::String>().Utf8Value();
}

std::optional<std::string> optional_string(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  if (!v.IsString()) {
    throw Napi::TypeError::New(o.Env(), std::string("config.") + key + " must be a string");
  }
  return v.As<Napi::String>().Utf8Value();
}

std::optional<double> optional_number(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  if (!v.IsNumber()) {
    throw Napi::TypeError::New(o.Env(), std::string("config.") + key + " must be a number");
  }
  return v.As<Napi::Number>().DoubleValue();
}

Napi::Object cause_to_js(Napi::Env env, const prisma::MappedError& e) {
  auto o = Napi::Object::New(env);
  o.Set("kind", e.kind);
  if (e.constraint_fields) {
    auto c = Napi::Object::New(env);
    auto fields = Napi::Array::New(env, e.constraint_fields->size());
    for (uint32_t i = 0; i < e.constraint_fields->size(); ++i) fields.Set(i, (*e.constraint_fields)[i]);
    c.Set("fields", fields);
    o.Set("constraint", c);
  } else if (e.constraint_index) {
    auto c = Napi::Object::New(env);
    c.Set("index", *e.constraint_index);
    o.Set("constraint", c);
  } else if (e.constraint_foreign_key) {
    auto c = Napi::Object::New(env);
    c.Set("foreignKey", Napi::Object::New(env));
    o.Set("constraint", c);
  }
  if (e.table) o.Set("table", *e.table);
  if (e.column) o.Set("column", *e.column);
  if (e.level) o.Set("level", *e.level);
  if (e.cause) o.Set("cause", *e.cause);
  if (e.reason) o.Set("reason", *e.reason);
  if (e.extended_code) o.Set("extendedCode", *e.extended_code);
  if (e.message) o.Set("message", *e.message);
  if (e.original_code) o.Set("originalCode", *e.original_code);
  if (e.original_message) o.Set("originalMessage", *e.original_message);
  return o;
}

/// {columnNames, columnTypes, rows[, lastInsertId]}, in that property order.
Napi::Object result_set(Napi::Env env, const std::vector<std::string>& column_names, Napi::Array types,
                        Napi::Value rows, const std::optional<std::int64_t>& last_insert_id) {
  auto out = Napi::Object::New(env);
  auto names = Napi::Array::New(env, column_names.size());
  for (uint32_t i = 0; i < column_names.size(); ++i) names.Set(i, Napi::String::New(env, column_names[i]));
  out.Set("columnNames", names);
  out.Set("columnTypes", types);
  out.Set("rows", rows);
  if (last_insert_id) out.Set("lastInsertId", Napi::String::New(env, std::to_string(*last_insert_id)));
  return out;
}

}  // namespace

// ---------- JS -> C++ ----------

Blob bytes_of(const Napi::Value& v) {
  Blob b;
  if (v.IsTypedArray()) {
    auto ta = v.As<Napi::TypedArray>();
    auto ab = ta.ArrayBuffer();
    const auto* p = static_cast<const std::byte*>(ab.Data()) + ta.ByteOffset();
    b.bytes.assign(p, p + ta.ByteLength());
  } else if (v.IsArrayBuffer()) {
    auto ab = v.As<Napi::ArrayBuffer>();
    const auto* p = static_cast<const std::byte*>(ab.Data());
    b.bytes.assign(p, p + ab.ByteLength());
  } else if (v.IsDataView()) {
    auto dv = v.As<Napi::DataView>();
    const auto* p = static_cast<const std::byte*>(dv.ArrayBuffer().Data()) + dv.ByteOffset();
    b.bytes.assign(p, p + dv.ByteLength());
  }
  return b;
}

prisma::JsArg decode_arg(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined:
    case napi_null: return std::monostate{};
    case napi_boolean: return v.As<Napi::Boolean>().Value();
    case napi_number: return v.As<Napi::Number>().DoubleValue();
    case napi_string: return utf8_of(v);
    case napi_bigint: return prisma::JsBigInt{v.ToString().Utf8Value()};
    case napi_object:
      if (v.IsDate()) return prisma::JsDate{v.As<Napi::Date>().ValueOf()};
      if (v.IsTypedArray() || v.IsArrayBuffer() || v.IsDataView()) return bytes_of(v);
      // Any other object: its string form, as @libsql/client binds it.
      return v.ToString().Utf8Value();
    default: return v.ToString().Utf8Value();
  }
}

prisma::Query decode_query(const Napi::CallbackInfo& info, std::size_t first) {
  prisma::Query q;
  if (!info[first].IsString()) {
    throw Napi::TypeError::New(info.Env(), "query.sql must be a string");
  }
  q.sql = info[first].As<Napi::String>().Utf8Value();
  if (info[first + 1].IsArray()) {
    auto args = info[first + 1].As<Napi::Array>();
    const uint32_t n = args.Length();
    q.args.reserve(n);
    for (uint32_t i = 0; i < n; ++i) q.args.push_back(decode_arg(args.Get(i)));
  } else if (!info[first + 1].IsUndefined() && !info[first + 1].IsNull()) {
    throw Napi::TypeError::New(info.Env(), "query.args must be an array");
  }
  // The argument types as native.js argTypeCodes packs them: one ScalarType code per argument
  // in a Uint8Array (anything else: no types).
  if (info[first + 2].IsTypedArray()) {
    auto codes = info[first + 2].As<Napi::TypedArray>();
    if (codes.TypedArrayType() == napi_uint8_array) {
      const auto* p = static_cast<const std::uint8_t*>(codes.ArrayBuffer().Data()) + codes.ByteOffset();
      const std::size_t n = codes.ByteLength();
      q.arg_types.reserve(n);
      constexpr auto kLast = static_cast<std::uint8_t>(prisma::ScalarType::Unknown);
      for (std::size_t i = 0; i < n; ++i) {
        q.arg_types.push_back(static_cast<prisma::ScalarType>(p[i] <= kLast ? p[i] : kLast));
      }
    }
  }
  return q;
}

Value decode_value(const Napi::Value& v, IntMode int_mode, bool remote) {
  Napi::Env env = v.Env();
  switch (v.Type()) {
    case napi_null: return std::monostate{};
    case napi_number: {
      const double d = v.As<Napi::Number>().DoubleValue();
      if (!std::isfinite(d)) {
        throw Napi::RangeError::New(env, "Only finite numbers (not Infinity or NaN) can be passed as arguments");
      }
      return d;
    }
    case napi_bigint: {
      bool lossless = false;
      const std::int64_t i = v.As<Napi::BigInt>().Int64Value(&lossless);
      if (!lossless) {
        throw Napi::RangeError::New(env, remote ? "This bigint value is too large to be represented as a 64-bit integer and passed as argument"
                                                : "bigint is too large to be represented as a 64-bit integer and passed as argument");
      }
      return i;
    }
    case napi_boolean: {
      const bool b = v.As<Napi::Boolean>().Value();
      if (remote || int_mode == IntMode::Bigint) return std::int64_t{b ? 1 : 0};
      if (int_mode == IntMode::String) return std::string(b ? "1" : "0");
      return b ? 1.0 : 0.0;
    }
    case napi_string: return utf8_of(v);
    case napi_object:
      if (v.IsDate()) return v.As<Napi::Date>().ValueOf();
      if (v.IsTypedArray() || v.IsArrayBuffer() || v.IsDataView()) return bytes_of(v);
      break;
    case napi_undefined:
      if (remote) throw Napi::TypeError::New(env, "Unsupported type of value");  // as the official remote client
      throw Napi::TypeError::New(env, "undefined cannot be passed as argument to the database");
    default: break;
  }
  const char* type = v.IsFunction() ? "function" : v.Type() == napi_symbol ? "symbol" : "object";
  throw Napi::TypeError::New(env, std::string("Unsupported type of value: ") + type);
}

Statement decode_statement(const Napi::Value& sql, const Napi::Value& args, IntMode int_mode, bool remote) {
  Napi::Env env = sql.Env();
  if (!sql.IsString()) throw Napi::TypeError::New(env, "the SQL statement must be a string");
  Statement stmt(sql.As<Napi::String>().Utf8Value());
  if (args.IsArray()) {
    auto a = args.As<Napi::Array>();
    const uint32_t n = a.Length();
    stmt.args.reserve(n);
    for (uint32_t i = 0; i < n; ++i) stmt.args.push_back(decode_value(a.Get(i), int_mode, remote));
  } else if (args.IsObject()) {
    auto o = args.As<Napi::Object>();
    Napi::Array names = o.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); ++i) {
      std::string name = names.Get(i).ToString().Utf8Value();
      stmt.named_args.emplace_back(name, decode_value(o.Get(name), int_mode, remote));
    }
  } else if (!args.IsUndefined() && !args.IsNull()) {
    throw Napi::TypeError::New(env, "the arguments must be an array or an object");
  }
  return stmt;
}

Config decode_config(const Napi::Value& value) {
  Napi::Env env = value.Env();
  if (!value.IsObject()) throw Napi::TypeError::New(env, "the config must be an object with a url");
  auto o = value.As<Napi::Object>();
  Config c;
  auto url = optional_string(o, "url");
  if (!url) throw Napi::TypeError::New(env, "config.url must be a string");
  c.url = *url;
  if (auto t = optional_string(o, "authToken")) c.auth_token = *t;
  if (auto s = optional_string(o, "syncUrl")) c.sync_url = *s;
  if (auto k = optional_string(o, "encryptionKey")) c.encryption_key = *k;
  if (auto k = optional_string(o, "remoteEncryptionKey")) c.remote_encryption_key = *k;
  if (auto n = optional_number(o, "syncInterval")) c.sync_interval = std::chrono::seconds(static_cast<long>(*n));
  if (auto n = optional_number(o, "concurrency")) c.concurrency = static_cast<int>(*n);
  // `timeout` as @libsql/client 0.17 reads it: the busy timeout of local databases, ignored by
  // remote ones; `busyTimeout` wins when both are given.
  const bool local = c.url == ":memory:" || (c.url.size() >= 5 && (c.url.compare(0, 5, "file:") == 0 ||
                                                                   c.url.compare(0, 5, "FILE:") == 0));
  if (auto n = optional_number(o, "timeout"); n && local) {
    c.busy_timeout = std::chrono::milliseconds(static_cast<long>(*n));
  }
  if (auto n = optional_number(o, "busyTimeout")) c.busy_timeout = std::chrono::milliseconds(static_cast<long>(*n));
  // Ours: the remote request deadline (Config::timeout; default 300 s, 0 = none).
  if (auto n = optional_number(o, "requestTimeout")) {
    if (!(*n >= 0)) throw Napi::RangeError::New(env, "config.requestTimeout must be a number of milliseconds >= 0");
    c.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(std::min(*n, 1e12)));
  }
  if (auto n = optional_number(o, "readConnections")) c.read_connections = static_cast<int>(*n);
  if (auto n = optional_number(o, "inlineMaxTime")) {
    if (!(*n >= 0)) throw Napi::RangeError::New(env, "config.inlineMaxTime must be a number of microseconds >= 0");
    c.inline_max_time = std::chrono::microseconds(static_cast<std::int64_t>(std::min(*n, 1e15)));
  }
  Napi::Value ordered = o.Get("orderedCalls");
  if (ordered.IsBoolean()) c.ordered_calls = ordered.As<Napi::Boolean>().Value();
  Napi::Value ryw = o.Get("readYourWrites");
  if (ryw.IsBoolean()) c.read_your_writes = ryw.As<Napi::Boolean>().Value();
  else if (!ryw.IsUndefined() && !ryw.IsNull()) throw Napi::TypeError::New(env, "config.readYourWrites must be a boolean");
  // @libsql/client's `offline: true` (local writes, pushed later as WAL frames over Turso
  // Cloud's HTTP sync) is not implemented: refuse it rather than ignore it (docs/sync.md).
  Napi::Value offline = o.Get("offline");
  if (offline.IsBoolean()) {
    if (offline.As<Napi::Boolean>().Value()) {
      throw Napi::Error::New(env,
                             "config.offline is not supported: an embedded replica forwards writes to the "
                             "primary and pulls changes back; local writes pushed later (offline writes) are not "
                             "implemented. Leave offline out.");
    }
  } else if (!offline.IsUndefined() && !offline.IsNull()) {
    throw Napi::TypeError::New(env, "config.offline must be a boolean");
  }
  Napi::Value tls = o.Get("tls");
  if (tls.IsBoolean()) c.tls = tls.As<Napi::Boolean>().Value();
  // Ours: libsql: URLs over WebSocket, as @libsql/client/ws's createClient takes them.
  Napi::Value websocket = o.Get("websocket");
  if (websocket.IsBoolean()) c.websocket = websocket.As<Napi::Boolean>().Value();
  if (auto m = optional_string(o, "intMode")) {
    if (*m == "number") c.int_mode = IntMode::Number;
    else if (*m == "bigint") c.int_mode = IntMode::Bigint;
    else if (*m == "string") c.int_mode = IntMode::String;
    else throw Napi::TypeError::New(env, "config.intMode must be 'number', 'bigint' or 'string'");
  }
  if (auto j = optional_string(o, "journalMode")) {
    if (*j == "wal") c.journal_mode = JournalMode::Wal;
    else if (*j == "keep") c.journal_mode = JournalMode::Keep;
    else throw Napi::TypeError::New(env, "config.journalMode must be 'wal' or 'keep'");
  }
  if (auto s = optional_string(o, "synchronous")) {
    if (*s == "off") c.synchronous = Synchronous::Off;
    else if (*s == "normal") c.synchronous = Synchronous::Normal;
    else if (*s == "full") c.synchronous = Synchronous::Full;
    else if (*s == "extra") c.synchronous = Synchronous::Extra;
    else throw Napi::TypeError::New(env, "config.synchronous must be 'off', 'normal', 'full' or 'extra'");
  }
  return c;
}

// ---------- C++ -> JS ----------

Napi::Value to_js(Napi::Env env, const Value& v) {
  switch (v.index()) {
    case 1: return Napi::Number::New(env, static_cast<double>(std::get<std::int64_t>(v)));
    case 2: return Napi::Number::New(env, std::get<double>(v));
    case 3: {
      const auto& s = std::get<std::string>(v);
      return Napi::String::New(env, s.data(), s.size());
    }
    case 4: {
      const auto& b = std::get<Blob>(v).bytes;
      auto ab = Napi::ArrayBuffer::New(env, b.size());
      if (!b.empty()) std::memcpy(ab.Data(), b.data(), b.size());
      return Napi::Uint8Array::New(env, b.size(), ab, 0);
    }
    default: return env.Null();
  }
}

Napi::Value to_js(Napi::Env env, const Value& v, IntMode int_mode) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) {
    switch (int_mode) {
      case IntMode::Bigint: return Napi::BigInt::New(env, *i);
      case IntMode::String: return Napi::String::New(env, std::to_string(*i));
      case IntMode::Number:
        if (*i > prisma::kMaxSafeInteger || *i < -prisma::kMaxSafeInteger) {
          throw Napi::RangeError::New(env, "Received integer which cannot be safely represented as a JavaScript number");
        }
        return Napi::Number::New(env, static_cast<double>(*i));
    }
  }
  if (const auto* b = std::get_if<Blob>(&v)) {
    auto ab = Napi::ArrayBuffer::New(env, b->bytes.size());
    if (!b->bytes.empty()) std::memcpy(ab.Data(), b->bytes.data(), b->bytes.size());
    return ab;
  }
  return to_js(env, v);
}

Napi::Value to_js(Napi::Env env, const ResultSet& r, IntMode int_mode, bool remote) {
  auto out = Napi::Object::New(env);
  auto names = Napi::Array::New(env, r.columns.size());
  auto types = Napi::Array::New(env, r.columns.size());
  for (uint32_t i = 0; i < r.columns.size(); ++i) {
    names.Set(i, Napi::String::New(env, r.columns[i].name));
    types.Set(i, Napi::String::New(env, r.columns[i].decltype_));
  }
  const detail::CompactRows* compact = detail::FastPath::compact(r);
  const std::vector<Row> converted = compact ? detail::to_rows(*compact) : std::vector<Row>{};
  const std::vector<Row>& rows = compact ? converted : r.rows;
  auto js_rows = Napi::Array::New(env, rows.size());
  for (uint32_t i = 0; i < rows.size(); ++i) {
    auto jr = Napi::Array::New(env, rows[i].size());
    for (uint32_t j = 0; j < rows[i].size(); ++j) {
      const Value& cell = rows[i][j];
      // The official remote client words it differently from its local one.
      if (const auto* n = std::get_if<std::int64_t>(&cell);
          remote && n && int_mode == IntMode::Number && (*n > prisma::kMaxSafeInteger || *n < -prisma::kMaxSafeInteger)) {
        throw Napi::RangeError::New(env, "Received integer which is too large to be safely represented as a JavaScript number");
      }
      jr.Set(j, to_js(env, cell, int_mode));
    }
    js_rows.Set(i, jr);
  }
  out.Set("columns", names);
  out.Set("columnTypes", types);
  out.Set("rows", js_rows);
  const bool returns_data = !remote && !r.columns.empty();
  out.Set("rowsAffected", Napi::Number::New(env, returns_data ? 0.0 : static_cast<double>(r.rows_affected)));
  // Unknown (nothing inserted): undefined, as the official remote client; the official local
  // client reports the connection's last rowid from any earlier statement there.
  if (!returns_data && r.last_insert_rowid) out.Set("lastInsertRowid", Napi::BigInt::New(env, *r.last_insert_rowid));
  return out;
}

Napi::Value rows_from_pack(Napi::Env env, const RowPack& p) {
  auto buffer = Napi::ArrayBuffer::New(env, p.bytes.size());
  if (!p.bytes.empty()) std::memcpy(buffer.Data(), p.bytes.data(), p.bytes.size());
  napi_value text = nullptr;
  napi_status st = p.ascii ? napi_create_string_latin1(env, p.text.data(), p.text.size(), &text)
                           : napi_create_string_utf8(env, p.text.data(), p.text.size(), &text);
  NAPI_THROW_IF_FAILED(env, st, Napi::Value());
  auto n = [&](std::uint32_t v) { return Napi::Number::New(env, v); };
  if (state(env).row_decoder.IsEmpty()) {
    throw Napi::Error::New(env, "libsql-cpp: the addon was loaded without its shim (lib/native.js)");
  }
  return state(env).row_decoder.Call({buffer, n(p.num_count), n(p.text_count), n(p.blob_count), n(p.blob_len),
                                      Napi::Value(env, text), n(p.rows), n(p.columns)});
}

Napi::Array rows_to_js(Napi::Env env, const detail::CompactRows& c) {
  auto rows = Napi::Array::New(env, c.row_count);
  std::size_t cell = 0, integer = 0, real = 0, text = 0, blob = 0;
  std::uint32_t text_start = 0, blob_start = 0;
  for (uint32_t i = 0; i < c.row_count; ++i) {
    auto jr = Napi::Array::New(env, c.column_count);
    for (uint32_t j = 0; j < c.column_count; ++j) {
      Napi::Value v;
      switch (c.tags[cell++]) {
        case detail::CompactRows::kInteger: v = Napi::Number::New(env, static_cast<double>(c.integers[integer++])); break;
        case detail::CompactRows::kReal: v = Napi::Number::New(env, c.reals[real++]); break;
        case detail::CompactRows::kText: {
          const std::uint32_t end = c.text_ends[text++];
          v = Napi::String::New(env, c.text.data() + text_start, end - text_start);
          text_start = end;
          break;
        }
        case detail::CompactRows::kBlob: {
          const std::uint32_t end = c.blob_ends[blob++];
          auto ab = Napi::ArrayBuffer::New(env, end - blob_start);
          if (end > blob_start) std::memcpy(ab.Data(), c.blobs.data() + blob_start, end - blob_start);
          v = Napi::Uint8Array::New(env, end - blob_start, ab, 0);
          blob_start = end;
          break;
        }
        default: v = env.Null();
      }
      jr.Set(j, v);
    }
    rows.Set(i, jr);
  }
  return rows;
}

Napi::Value to_js(Napi::Env env, const RowPack& p) {
  auto types = Napi::Array::New(env, p.column_types.size());
  for (uint32_t i = 0; i < p.column_types.size(); ++i) types.Set(i, Napi::Number::New(env, p.column_types[i]));
  return result_set(env, p.column_names, types, rows_from_pack(env, p), p.last_insert_id);
}

Napi::Value to_js(Napi::Env env, const prisma::PrismaResult& r) {
  auto types = Napi::Array::New(env, r.column_types.size());
  for (uint32_t i = 0; i < r.column_types.size(); ++i) {
    types.Set(i, Napi::Number::New(env, static_cast<int>(r.column_types[i])));
  }
  Napi::Array rows;
  if (r.compact) {
    rows = rows_to_js(env, *r.compact);
  } else {
    rows = Napi::Array::New(env, r.rows.size());
    for (uint32_t i = 0; i < r.rows.size(); ++i) {
      const auto& row = r.rows[i];
      auto jr = Napi::Array::New(env, row.size());
      for (uint32_t j = 0; j < row.size(); ++j) jr.Set(j, to_js(env, row[j]));
      rows.Set(i, jr);
    }
  }
  return result_set(env, r.column_names, types, rows, r.last_insert_id);
}

Napi::Value packed_to_js(Napi::Env env, prisma::PrismaResult& r) {
  auto pack = pack_rows(r);
  return pack ? to_js(env, *pack) : to_js(env, r);
}

Napi::Value to_js(Napi::Env env, const Error& e) {
  std::string code = e.code_name();
  Napi::Value extended = env.Undefined();
  Napi::Value raw = env.Undefined();
  if (e.kind() == ErrorKind::Sqlite && e.extended_code() != 0) {
    code = sqlite_code_name(e.primary_code());
    extended = Napi::String::New(env, sqlite_code_name(e.extended_code()));
    raw = Napi::Number::New(env, e.extended_code());
  }
  // LibsqlError puts "CODE: " in front itself.
  std::string_view message = e.what();
  for (const std::string& prefix : {e.code_name(), code}) {
    if (!prefix.empty() && message.size() > prefix.size() + 1 && message.starts_with(prefix) &&
        message.substr(prefix.size(), 2) == ": ") {
      message.remove_prefix(prefix.size() + 2);
      break;
    }
  }
  auto& cls = state(env).libsql_error;
  if (cls.IsEmpty()) {
    Napi::Error plain = Napi::Error::New(env, code + ": " + std::string(message));
    plain.Set("code", code);
    return plain.Value();
  }
  Napi::Object error =
      cls.New({Napi::String::New(env, message.data(), message.size()), Napi::String::New(env, code), extended, raw});
  // A batch's failing statement, for LibsqlBatchError (lib/client.js): not enumerable.
  if (auto index = e.statement_index()) {
    error.DefineProperty(Napi::PropertyDescriptor::Value(
        "statementIndex", Napi::Number::New(env, static_cast<double>(*index)), napi_configurable));
  }
  return error;
}

Napi::Value to_js(Napi::Env env, const prisma::MappedError& e) {
  Napi::Object cause = cause_to_js(env, e);
  auto& cls = state(env).prisma_error;
  if (cls.IsEmpty()) return cause;
  return cls.New({cause});
}

}  // namespace libsql::node
