// Node-API binding: copies JS values in, hands the work to the prisma layer (which runs it on
// the core's threads), and turns the outcome into JS values on the JS thread. No SQLite call,
// no I/O and no lock wait happens on the JS thread or on libuv's pool.
#include <napi.h>
#include <uv.h>

#include <charconv>
#include <cmath>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/spin.hpp"
#include "prisma/adapter.hpp"
#include "row_pack.hpp"

namespace libsql::node {
namespace {

using detail::Spin;
using prisma::MappedError;

/// Completions from the core's threads, delivered to the JS thread in batches: one wake-up of
/// the event loop drains every completion queued meanwhile.
class Completions : public std::enable_shared_from_this<Completions> {
 public:
  using Settle = std::function<void(Napi::Env)>;

  void start(Napi::Env env) {
    tsfn_ = Tsfn::New(env, "libsql-cpp", 0, 1, this);
    tsfn_.Unref(env);  // an idle adapter must not keep the process alive
    start_loop_wait(env);
  }

  /// JS thread: one more call in flight.
  void begin_call(Napi::Env env) {
    if (pending_++ == 0) {
      try {
        tsfn_.Ref(env);
      } catch (const Napi::Error&) {
        // The environment is closing: nothing will wait for this call anyway.
      }
    }
  }

  /// Any thread.
  void post(Settle settle) {
    std::lock_guard<std::mutex> lock(mu_);
    if (released_) return;
    ready_.push_back(std::move(settle));
    ready_count_.store(ready_.size(), std::memory_order_release);
    if (!scheduled_) {
      scheduled_ = true;
      if (tsfn_.NonBlockingCall() != napi_ok) scheduled_ = false;
    }
  }

  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    if (released_) return;
    released_ = true;
    tsfn_.Release();
  }

 private:
  void drain(Napi::Env env) {
    std::vector<Settle> batch;
    {
      std::lock_guard<std::mutex> lock(mu_);
      batch.swap(ready_);
      scheduled_ = false;
      ready_count_.store(0, std::memory_order_release);
    }
    waited_in_vain_ = false;
    if (env == nullptr) return;  // environment shutting down
    for (auto& settle : batch) {
      Napi::HandleScope scope(env);
      // JS may no longer run here (a worker being terminated): the promise then stays
      // pending, and Node-API calls fail. Nothing may escape this callback.
      try {
        settle(env);
      } catch (const Napi::Error&) {
      }
      if (--pending_ == 0) {
        try {
          tsfn_.Unref(env);
        } catch (const Napi::Error&) {
        }
      }
    }
  }

  // Waiting awake for a completion before the event loop sleeps (architecture.md, "Latency
  // budget"): with a call in flight and nothing else to do, the JS thread would block in
  // epoll_wait, and the worker's wake-up of a sleeping thread costs ~40-50 µs here (a
  // findMany-1000 measured 49 µs from post to callback). A libuv prepare handle, run just
  // before the loop polls, waits up to kLoopWait for a completion to be posted, yielding the
  // CPU; the poll that follows then finds the wake-up already signalled and does not sleep.
  // Only when calls are in flight and the loop would block; once per wait (a slow query
  // costs one window, not one per loop turn). Measured (bench.mjs, adapter level, :memory:,
  // no wait -> 300 µs): interactive transaction of 5 statements p50 93 -> 56 µs, findMany-1000
  // 768 -> 710 µs; 16 concurrent reads unchanged.
  static constexpr std::chrono::microseconds kLoopWait{300};
  struct LoopWait {
    uv_prepare_t prepare;  // first member: the handle's address is the struct's
    std::shared_ptr<Completions> owner;
    napi_async_cleanup_hook_handle hook = nullptr;
  };

  void start_loop_wait(Napi::Env env) {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return;
    auto* w = new LoopWait{};
    w->owner = shared_from_this();
    uv_prepare_init(loop, &w->prepare);
    uv_prepare_start(&w->prepare, &Completions::before_poll);
    uv_unref(reinterpret_cast<uv_handle_t*>(&w->prepare));  // never keeps the process alive
    // Closed when the environment goes away (process exit, worker thread end).
    napi_add_async_cleanup_hook(
        env,
        [](napi_async_cleanup_hook_handle hook, void* arg) {
          auto* wait = static_cast<LoopWait*>(arg);
          wait->hook = hook;
          uv_prepare_stop(&wait->prepare);
          uv_close(reinterpret_cast<uv_handle_t*>(&wait->prepare), [](uv_handle_t* h) {
            auto* done = reinterpret_cast<LoopWait*>(h);
            napi_remove_async_cleanup_hook(done->hook);
            delete done;
          });
        },
        w, nullptr);
  }

  static void before_poll(uv_prepare_t* handle) {
    Completions& self = *reinterpret_cast<LoopWait*>(handle)->owner;
    if (self.pending_ == 0 || self.waited_in_vain_ ||
        self.ready_count_.load(std::memory_order_acquire) != 0) {
      return;
    }
    const int timeout_ms = uv_backend_timeout(handle->loop);
    if (timeout_ms == 0) return;  // the loop has other work: it will not sleep
    std::chrono::steady_clock::duration window = kLoopWait;
    if (timeout_ms > 0) window = std::min(window, std::chrono::steady_clock::duration(std::chrono::milliseconds(timeout_ms)));
    if (!Spin::wait_nonzero(self.ready_count_, window)) self.waited_in_vain_ = true;
  }

  static void call_js(Napi::Env env, Napi::Function, Completions* self, void*) { self->drain(env); }
  using Tsfn = Napi::TypedThreadSafeFunction<Completions, void, &Completions::call_js>;
  Tsfn tsfn_;
  std::mutex mu_;
  std::vector<Settle> ready_;
  bool scheduled_ = false;
  bool released_ = false;
  std::atomic<std::size_t> ready_count_{0};  // ready_.size(), readable without the lock
  int pending_ = 0;  // JS thread only
  bool waited_in_vain_ = false;  // JS thread only: the last wait saw no completion
};

struct AddonState {
  std::shared_ptr<Completions> completions = std::make_shared<Completions>();
  Napi::FunctionReference row_decoder;  // decodeRows, set by the shim (row_pack.hpp)
  Napi::FunctionReference error_class;  // DriverAdapterError, set by the shim
  std::mutex adapters_mu;
  std::vector<std::weak_ptr<prisma::Adapter>> adapters;
};

AddonState& state(Napi::Env env) { return *env.GetInstanceData<AddonState>(); }

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
    case napi_string: return v.As<Napi::String>().Utf8Value();
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
  if (info[first + 2].IsArray()) {
    auto types = info[first + 2].As<Napi::Array>();
    const uint32_t n = types.Length();
    q.arg_types.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      Napi::Value t = types.Get(i);
      std::string name;
      if (t.IsObject()) {
        Napi::Value st = t.As<Napi::Object>().Get("scalarType");
        if (st.IsString()) name = st.As<Napi::String>().Utf8Value();
      }
      q.arg_types.push_back(prisma::parse_scalar_type(name));
    }
  }
  return q;
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
  if (auto n = optional_number(o, "syncInterval")) c.sync_interval = std::chrono::seconds(static_cast<long>(*n));
  if (auto n = optional_number(o, "concurrency")) c.concurrency = static_cast<int>(*n);
  if (auto n = optional_number(o, "timeout")) c.timeout = std::chrono::milliseconds(static_cast<long>(*n));
  if (auto n = optional_number(o, "busyTimeout")) c.busy_timeout = std::chrono::milliseconds(static_cast<long>(*n));
  if (auto n = optional_number(o, "readConnections")) c.read_connections = static_cast<int>(*n);
  if (auto n = optional_number(o, "inlineMaxTime")) {
    if (!(*n >= 0)) throw Napi::RangeError::New(env, "config.inlineMaxTime must be a number of microseconds >= 0");
    c.inline_max_time = std::chrono::microseconds(static_cast<std::int64_t>(std::min(*n, 1e15)));
  }
  Napi::Value ryw = o.Get("readYourWrites");
  if (ryw.IsBoolean()) c.read_your_writes = ryw.As<Napi::Boolean>().Value();
  else if (!ryw.IsUndefined() && !ryw.IsNull()) throw Napi::TypeError::New(env, "config.readYourWrites must be a boolean");
  Napi::Value tls = o.Get("tls");
  if (tls.IsBoolean()) c.tls = tls.As<Napi::Boolean>().Value();
  if (auto m = optional_string(o, "intMode")) {
    if (*m == "number") c.int_mode = IntMode::Number;
    else if (*m == "bigint") c.int_mode = IntMode::Bigint;
    else if (*m == "string") c.int_mode = IntMode::String;
    else throw Napi::TypeError::New(env, "config.intMode must be 'number', 'bigint' or 'string'");
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

/// The rows of a RowPack as JS arrays: one buffer copy, one string, and the shim's decoder.
Napi::Value rows_from_pack(Napi::Env env, const RowPack& p) {
  auto buffer = Napi::ArrayBuffer::New(env, p.bytes.size());
  if (!p.bytes.empty()) std::memcpy(buffer.Data(), p.bytes.data(), p.bytes.size());
  napi_value text = nullptr;
  napi_status st = p.ascii ? napi_create_string_latin1(env, p.text.data(), p.text.size(), &text)
                           : napi_create_string_utf8(env, p.text.data(), p.text.size(), &text);
  NAPI_THROW_IF_FAILED(env, st, Napi::Value());
  auto n = [&](std::uint32_t v) { return Napi::Number::New(env, v); };
  if (state(env).row_decoder.IsEmpty()) {
    throw Napi::Error::New(env, "libsql-cpp: the addon was loaded without its shim (lib/index.js)");
  }
  return state(env).row_decoder.Call({buffer, n(p.num_count), n(p.text_count), n(p.blob_count), n(p.blob_len),
                                      Napi::Value(env, text), n(p.rows), n(p.columns)});
}

Napi::Value from_pack(Napi::Env env, const RowPack& p) {
  auto out = Napi::Object::New(env);
  auto names = Napi::Array::New(env, p.column_names.size());
  for (uint32_t i = 0; i < p.column_names.size(); ++i) names.Set(i, Napi::String::New(env, p.column_names[i]));
  auto types = Napi::Array::New(env, p.column_types.size());
  for (uint32_t i = 0; i < p.column_types.size(); ++i) types.Set(i, Napi::Number::New(env, p.column_types[i]));
  out.Set("columnNames", names);
  out.Set("columnTypes", types);
  out.Set("rows", rows_from_pack(env, p));
  if (p.last_insert_id) out.Set("lastInsertId", Napi::String::New(env, std::to_string(*p.last_insert_id)));
  return out;
}

/// The rows of compact cells, cell by cell (results too small for a pack).
Napi::Array rows_to_js(Napi::Env env, const CompactRows& c) {
  auto rows = Napi::Array::New(env, c.row_count);
  std::size_t cell = 0, integer = 0, real = 0, text = 0, blob = 0;
  std::uint32_t text_start = 0, blob_start = 0;
  for (uint32_t i = 0; i < c.row_count; ++i) {
    auto jr = Napi::Array::New(env, c.column_count);
    for (uint32_t j = 0; j < c.column_count; ++j) {
      Napi::Value v;
      switch (c.tags[cell++]) {
        case CompactRows::kInteger: v = Napi::Number::New(env, static_cast<double>(c.integers[integer++])); break;
        case CompactRows::kReal: v = Napi::Number::New(env, c.reals[real++]); break;
        case CompactRows::kText: {
          const std::uint32_t end = c.text_ends[text++];
          v = Napi::String::New(env, c.text.data() + text_start, end - text_start);
          text_start = end;
          break;
        }
        case CompactRows::kBlob: {
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

Napi::Value to_js(Napi::Env env, const prisma::PrismaResult& r) {
  auto out = Napi::Object::New(env);
  auto names = Napi::Array::New(env, r.column_names.size());
  for (uint32_t i = 0; i < r.column_names.size(); ++i) names.Set(i, Napi::String::New(env, r.column_names[i]));
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
  out.Set("columnNames", names);
  out.Set("columnTypes", types);
  out.Set("rows", rows);
  if (r.last_insert_id) out.Set("lastInsertId", Napi::String::New(env, std::to_string(*r.last_insert_id)));
  return out;
}

Napi::Object cause_to_js(Napi::Env env, const MappedError& e) {
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

/// What a promise rejects with: `new DriverAdapterError(cause)` once the shim registered the
/// class (the error object Prisma expects), else the plain cause.
Napi::Value to_js(Napi::Env env, const MappedError& e) {
  Napi::Object cause = cause_to_js(env, e);
  auto& cls = state(env).error_class;
  if (cls.IsEmpty()) return cause;
  return cls.New({cause});
}

// ---------- handles ----------

struct AdapterHandle {
  std::shared_ptr<prisma::Adapter> adapter;
};
struct TxnHandle {
  std::shared_ptr<prisma::AdapterTransaction> txn;
};

template <class T>
T& handle_of(const Napi::Value& v, const char* what) {
  if (!v.IsExternal()) throw Napi::TypeError::New(v.Env(), std::string("expected a ") + what + " handle");
  return *v.As<Napi::External<T>>().Data();
}

template <class T>
Napi::External<T> make_handle(Napi::Env env, T* h) {
  return Napi::External<T>::New(env, h, [](Napi::Env, T* p) { delete p; });
}

/// Starts an async call: returns the promise, and a function that settles it from any thread.
template <class T, class ToJs>
std::pair<Napi::Promise, prisma::Reply<T>> async_call(Napi::Env env, ToJs to_js_value) {
  auto completions = state(env).completions;
  completions->begin_call(env);
  auto deferred = Napi::Promise::Deferred::New(env);
  Napi::Promise promise = deferred.Promise();
  prisma::Reply<T> reply = [completions, deferred, to_js_value](prisma::Result<T> outcome) {
    // A core thread: no Napi calls here; settle on the JS thread.
    auto shared = std::make_shared<prisma::Result<T>>(std::move(outcome));
    completions->post([deferred, shared, to_js_value](Napi::Env e) {
      if (auto* err = std::get_if<MappedError>(shared.get())) {
        deferred.Reject(to_js(e, *err));
      } else {
        deferred.Resolve(to_js_value(e, std::get<T>(*shared)));
      }
    });
  };
  return {promise, std::move(reply)};
}

/// A query call: the row pack (when it applies) is built on the core thread that finished the
/// query, so the JS thread only decodes it.
std::pair<Napi::Promise, prisma::Reply<prisma::PrismaResult>> query_call(Napi::Env env) {
  auto completions = state(env).completions;
  completions->begin_call(env);
  auto deferred = Napi::Promise::Deferred::New(env);
  Napi::Promise promise = deferred.Promise();
  prisma::Reply<prisma::PrismaResult> reply = [completions, deferred](prisma::Result<prisma::PrismaResult> outcome) {
    if (auto* err = std::get_if<MappedError>(&outcome)) {
      completions->post([deferred, err = *err](Napi::Env e) { deferred.Reject(to_js(e, err)); });
      return;
    }
    auto& result = std::get<prisma::PrismaResult>(outcome);
    if (auto pack = pack_rows(result)) {
      // The cells now live in the pack; the result is freed here, off the JS thread.
      auto shared = std::make_shared<RowPack>(std::move(*pack));
      completions->post([deferred, shared](Napi::Env e) { deferred.Resolve(from_pack(e, *shared)); });
    } else {
      auto shared = std::make_shared<prisma::PrismaResult>(std::move(result));
      completions->post([deferred, shared](Napi::Env e) { deferred.Resolve(to_js(e, *shared)); });
    }
  };
  return {promise, std::move(reply)};
}

Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Config config = decode_config(info[0]);
  prisma::AdapterOptions options;
  if (info[1].IsObject()) {
    Napi::Value tf = info[1].As<Napi::Object>().Get("timestampFormat");
    if (tf.IsString()) {
      auto parsed = prisma::parse_timestamp_format(tf.As<Napi::String>().Utf8Value());
      if (!parsed) {
        throw Napi::Error::New(env, "Unknown timestamp format: " + tf.As<Napi::String>().Utf8Value());
      }
      options.timestamp_format = *parsed;
    }
  }
  AddonState* st = &state(env);
  auto [promise, reply] = async_call<std::shared_ptr<prisma::Adapter>>(
      env, [st](Napi::Env e, const std::shared_ptr<prisma::Adapter>& adapter) -> Napi::Value {
        {
          std::lock_guard<std::mutex> lock(st->adapters_mu);
          std::erase_if(st->adapters, [](const auto& w) { return w.expired(); });
          st->adapters.push_back(adapter);
        }
        return make_handle(e, new AdapterHandle{adapter});
      });
  // Opening reads the file (and may wait on a lock): a thread of its own, not the JS thread.
  std::thread([config = std::move(config), options, reply = std::move(reply)] {
    try {
      reply(prisma::Adapter::open(config, options));
    } catch (const MappedError& e) {
      reply(e);
    }
  }).detach();
  return promise;
}

/// An already-settled promise for an outcome computed on the JS thread (the inline path).
Napi::Value settled(Napi::Env env, prisma::Result<prisma::PrismaResult>& now) {
  auto deferred = Napi::Promise::Deferred::New(env);
  if (auto* err = std::get_if<MappedError>(&now)) {
    deferred.Reject(to_js(env, *err));
  } else {
    auto& r = std::get<prisma::PrismaResult>(now);
    auto pack = pack_rows(r);
    deferred.Resolve(pack ? from_pack(env, *pack) : to_js(env, r));
  }
  return deferred.Promise();
}

Napi::Value count_to_js(Napi::Env e, const std::int64_t& n) {
  return Napi::Number::New(e, static_cast<double>(n));
}

Napi::Value settled(Napi::Env env, const prisma::Result<std::int64_t>& now) {
  auto deferred = Napi::Promise::Deferred::New(env);
  if (auto* err = std::get_if<MappedError>(&now)) {
    deferred.Reject(to_js(env, *err));
  } else {
    deferred.Resolve(count_to_js(env, std::get<std::int64_t>(now)));
  }
  return deferred.Promise();
}

// A statement known to take microseconds runs right here, on the JS thread: a thread hop would
// cost more (architecture.md, "Latency budget"; Client::try_execute_inline decides).

Napi::Value QueryRaw(const Napi::CallbackInfo& info) {
  auto& h = handle_of<AdapterHandle>(info[0], "adapter");
  prisma::Query q = decode_query(info, 1);
  prisma::Result<prisma::PrismaResult> now;
  if (h.adapter->query_raw_inline(q, now)) return settled(info.Env(), now);
  auto [promise, reply] = query_call(info.Env());
  h.adapter->query_raw(std::move(q), std::move(reply));
  return promise;
}

Napi::Value ExecuteRaw(const Napi::CallbackInfo& info) {
  auto& h = handle_of<AdapterHandle>(info[0], "adapter");
  prisma::Query q = decode_query(info, 1);
  prisma::Result<std::int64_t> now;
  if (h.adapter->execute_raw_inline(q, now)) return settled(info.Env(), now);
  auto [promise, reply] = async_call<std::int64_t>(info.Env(), count_to_js);
  h.adapter->execute_raw(std::move(q), std::move(reply));
  return promise;
}

Napi::Value done_to_js(Napi::Env e, const Done&) { return e.Undefined(); }

Napi::Value ExecuteScript(const Napi::CallbackInfo& info) {
  auto& h = handle_of<AdapterHandle>(info[0], "adapter");
  if (!info[1].IsString()) throw Napi::TypeError::New(info.Env(), "the script must be a string");
  auto [promise, reply] = async_call<Done>(info.Env(), done_to_js);
  h.adapter->execute_script(info[1].As<Napi::String>().Utf8Value(), std::move(reply));
  return promise;
}

Napi::Value StartTransaction(const Napi::CallbackInfo& info) {
  auto& h = handle_of<AdapterHandle>(info[0], "adapter");
  std::optional<std::string> level;
  if (info[1].IsString()) level = info[1].As<Napi::String>().Utf8Value();
  auto [promise, reply] = async_call<std::shared_ptr<prisma::AdapterTransaction>>(
      info.Env(), [](Napi::Env e, const std::shared_ptr<prisma::AdapterTransaction>& t) -> Napi::Value {
        return make_handle(e, new TxnHandle{t});
      });
  h.adapter->start_transaction(std::move(level), std::move(reply));
  return promise;
}

Napi::Value ConnectionInfo(const Napi::CallbackInfo& info) {
  auto& h = handle_of<AdapterHandle>(info[0], "adapter");
  auto ci = h.adapter->connection_info();
  auto o = Napi::Object::New(info.Env());
  o.Set("maxBindValues", ci.max_bind_values);
  o.Set("supportsRelationJoins", ci.supports_relation_joins);
  return o;
}

Napi::Value Dispose(const Napi::CallbackInfo& info) {
  auto& h = handle_of<AdapterHandle>(info[0], "adapter");
  auto [promise, reply] = async_call<Done>(info.Env(), done_to_js);
  // Closing waits for running statements to finish: not on the JS thread.
  std::thread([adapter = h.adapter, reply = std::move(reply)] {
    adapter->dispose();
    reply(Done{});
  }).detach();
  return promise;
}

Napi::Value Sync(const Napi::CallbackInfo& info) {
  auto& h = handle_of<AdapterHandle>(info[0], "adapter");
  auto [promise, reply] = async_call<SyncResult>(info.Env(), [](Napi::Env e, const SyncResult& r) -> Napi::Value {
    // @libsql/client's shape ({frame_no, frames_synced}) plus the opaque revision.
    auto o = Napi::Object::New(e);
    o.Set("frames_synced", Napi::Number::New(e, static_cast<double>(r.frames_synced)));
    bool numeric = !r.revision.empty() && r.revision.size() < 16 &&
                   r.revision.find_first_not_of("0123456789") == std::string::npos;
    o.Set("frame_no", numeric ? Napi::Value(Napi::Number::New(e, std::stod(r.revision))) : e.Undefined());
    o.Set("revision", Napi::String::New(e, r.revision));
    return o;
  });
  h.adapter->sync(std::move(reply));
  return promise;
}

Napi::Value TxQueryRaw(const Napi::CallbackInfo& info) {
  auto& h = handle_of<TxnHandle>(info[0], "transaction");
  prisma::Query q = decode_query(info, 1);
  prisma::Result<prisma::PrismaResult> now;
  if (h.txn->query_raw_inline(q, now)) return settled(info.Env(), now);
  auto [promise, reply] = query_call(info.Env());
  h.txn->query_raw(std::move(q), std::move(reply));
  return promise;
}

Napi::Value TxExecuteRaw(const Napi::CallbackInfo& info) {
  auto& h = handle_of<TxnHandle>(info[0], "transaction");
  prisma::Query q = decode_query(info, 1);
  prisma::Result<std::int64_t> now;
  if (h.txn->execute_raw_inline(q, now)) return settled(info.Env(), now);
  auto [promise, reply] = async_call<std::int64_t>(info.Env(), count_to_js);
  h.txn->execute_raw(std::move(q), std::move(reply));
  return promise;
}

Napi::Value TxCommit(const Napi::CallbackInfo& info) {
  auto& h = handle_of<TxnHandle>(info[0], "transaction");
  auto [promise, reply] = async_call<Done>(info.Env(), done_to_js);
  h.txn->commit(std::move(reply));
  return promise;
}

Napi::Value TxRollback(const Napi::CallbackInfo& info) {
  auto& h = handle_of<TxnHandle>(info[0], "transaction");
  auto [promise, reply] = async_call<Done>(info.Env(), done_to_js);
  h.txn->rollback(std::move(reply));
  return promise;
}

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setErrorClass expects a class");
  state(info.Env()).error_class = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value SetRowDecoder(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setRowDecoder expects a function");
  state(info.Env()).row_decoder = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* st = new AddonState();
  st->completions->start(env);
  env.SetInstanceData<AddonState>(st);
  // Environment teardown (process exit, worker thread end): close the databases, then stop
  // deliveries. Runs before the instance data is freed.
  env.AddCleanupHook([st] {
    std::vector<std::shared_ptr<prisma::Adapter>> live;
    {
      std::lock_guard<std::mutex> lock(st->adapters_mu);
      for (auto& w : st->adapters) {
        if (auto a = w.lock()) live.push_back(std::move(a));
      }
    }
    for (auto& a : live) a->dispose();
    st->completions->release();
  });
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
  exports.Set("setRowDecoder", Napi::Function::New(env, SetRowDecoder, "setRowDecoder"));
  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("queryRaw", Napi::Function::New(env, QueryRaw, "queryRaw"));
  exports.Set("executeRaw", Napi::Function::New(env, ExecuteRaw, "executeRaw"));
  exports.Set("executeScript", Napi::Function::New(env, ExecuteScript, "executeScript"));
  exports.Set("startTransaction", Napi::Function::New(env, StartTransaction, "startTransaction"));
  exports.Set("connectionInfo", Napi::Function::New(env, ConnectionInfo, "connectionInfo"));
  exports.Set("dispose", Napi::Function::New(env, Dispose, "dispose"));
  exports.Set("sync", Napi::Function::New(env, Sync, "sync"));
  exports.Set("txQueryRaw", Napi::Function::New(env, TxQueryRaw, "txQueryRaw"));
  exports.Set("txExecuteRaw", Napi::Function::New(env, TxExecuteRaw, "txExecuteRaw"));
  exports.Set("txCommit", Napi::Function::New(env, TxCommit, "txCommit"));
  exports.Set("txRollback", Napi::Function::New(env, TxRollback, "txRollback"));
  return exports;
}

}  // namespace
}  // namespace libsql::node

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return libsql::node::Init(env, exports);
}
NODE_API_MODULE(libsql_node, InitModule)
