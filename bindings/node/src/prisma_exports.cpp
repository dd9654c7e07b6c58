// The Prisma face: a thin file of exports over js_convert and completion (lib/prisma.js
// shapes the objects Prisma expects around them).
#include <napi.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "addon_state.hpp"
#include "completion.hpp"
#include "js_convert.hpp"
#include "prisma/adapter.hpp"
#include "row_pack.hpp"

namespace libsql::node {
namespace {

using prisma::MappedError;

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

Napi::Value error_to_js(Napi::Env env, const MappedError& e) { return to_js(env, e); }

/// A Prisma call: its promise, and the reply that settles it from any thread.
template <class T, class OnValue>
std::pair<Napi::Promise, prisma::Reply<T>> prisma_call(Napi::Env env, OnValue on_value) {
  return async_call<T, MappedError>(env, state(env).completions, std::move(on_value), error_to_js);
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
      completions->post([deferred, shared](Napi::Env e) { deferred.Resolve(to_js(e, *shared)); });
    } else {
      auto shared = std::make_shared<prisma::PrismaResult>(std::move(result));
      completions->post([deferred, shared](Napi::Env e) { deferred.Resolve(to_js(e, *shared)); });
    }
  };
  return {promise, std::move(reply)};
}

Napi::Value count_to_js(Napi::Env e, const std::int64_t& n) { return Napi::Number::New(e, static_cast<double>(n)); }
Napi::Value done_to_js(Napi::Env e, const Done&) { return e.Undefined(); }

/// Already-settled promises for outcomes computed on the JS thread (the inline path).
Napi::Value settled_now(Napi::Env env, prisma::Result<prisma::PrismaResult>& now) {
  if (auto* err = std::get_if<MappedError>(&now)) return settled(env, to_js(env, *err), true);
  return settled(env, packed_to_js(env, std::get<prisma::PrismaResult>(now)), false);
}
Napi::Value settled_now(Napi::Env env, const prisma::Result<std::int64_t>& now) {
  if (auto* err = std::get_if<MappedError>(&now)) return settled(env, to_js(env, *err), true);
  return settled(env, count_to_js(env, std::get<std::int64_t>(now)), false);
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
  // A config error rejects with a LibsqlError (as @libsql/client's createClient throws under
  // the official adapter), anything else with a DriverAdapterError.
  using OpenError = std::variant<MappedError, Error>;
  auto [promise, reply] = async_call<std::shared_ptr<prisma::Adapter>, OpenError>(
      env, st->completions,
      [](Napi::Env e, const std::shared_ptr<prisma::Adapter>& adapter) -> Napi::Value {
        return make_handle(e, new AdapterHandle{adapter});
      },
      [](Napi::Env e, const OpenError& err) -> Napi::Value {
        return std::visit([e](const auto& x) { return to_js(e, x); }, err);
      });
  // Opening reads the file (and may wait on a lock): a thread of its own, not the JS thread.
  // Tracked there, so that environment cleanup closes it even when the JS thread never sees
  // the result (a worker terminated while the open is in flight).
  st->threads.spawn([st, config = std::move(config), options, reply = std::move(reply)] {
    try {
      auto adapter = prisma::Adapter::open(config, options);
      st->track<prisma::Adapter>(adapter, [](prisma::Adapter& a) { a.dispose(); });
      reply(std::move(adapter));
    } catch (const MappedError& e) {
      reply(OpenError(e));
    } catch (const Error& e) {
      reply(OpenError(e));
    }
  });
  return promise;
}

// A statement known to take microseconds runs right here, on the JS thread: a thread hop would
// cost more (docs/architecture.md, "The inline path"; detail::FastPath::try_execute_inline decides).

Napi::Value QueryRaw(const Napi::CallbackInfo& info) {
  auto& h = handle_of<AdapterHandle>(info[0], "adapter");
  prisma::Query q = decode_query(info, 1);
  prisma::Result<prisma::PrismaResult> now;
  if (h.adapter->query_raw_inline(q, now)) return settled_now(info.Env(), now);
  auto [promise, reply] = query_call(info.Env());
  h.adapter->query_raw(std::move(q), std::move(reply));
  return promise;
}

Napi::Value ExecuteRaw(const Napi::CallbackInfo& info) {
  auto& h = handle_of<AdapterHandle>(info[0], "adapter");
  prisma::Query q = decode_query(info, 1);
  prisma::Result<std::int64_t> now;
  if (h.adapter->execute_raw_inline(q, now)) return settled_now(info.Env(), now);
  auto [promise, reply] = prisma_call<std::int64_t>(info.Env(), count_to_js);
  h.adapter->execute_raw(std::move(q), std::move(reply));
  return promise;
}

Napi::Value ExecuteScript(const Napi::CallbackInfo& info) {
  auto& h = handle_of<AdapterHandle>(info[0], "adapter");
  if (!info[1].IsString()) throw Napi::TypeError::New(info.Env(), "the script must be a string");
  auto [promise, reply] = prisma_call<Done>(info.Env(), done_to_js);
  h.adapter->execute_script(info[1].As<Napi::String>().Utf8Value(), std::move(reply));
  return promise;
}

Napi::Value StartTransaction(const Napi::CallbackInfo& info) {
  auto& h = handle_of<AdapterHandle>(info[0], "adapter");
  std::optional<std::string> level;
  if (info[1].IsString()) level = info[1].As<Napi::String>().Utf8Value();
  auto [promise, reply] = prisma_call<std::shared_ptr<prisma::AdapterTransaction>>(
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
  auto [promise, reply] = prisma_call<Done>(info.Env(), done_to_js);
  // Closing waits for running statements to finish: not on the JS thread.
  state(info.Env()).threads.spawn([adapter = h.adapter, reply = std::move(reply)] {
    adapter->dispose();
    reply(Done{});
  });
  return promise;
}

Napi::Value Sync(const Napi::CallbackInfo& info) {
  auto& h = handle_of<AdapterHandle>(info[0], "adapter");
  auto [promise, reply] = prisma_call<SyncResult>(info.Env(), [](Napi::Env e, const SyncResult& r) -> Napi::Value {
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
  if (h.txn->query_raw_inline(q, now)) return settled_now(info.Env(), now);
  auto [promise, reply] = query_call(info.Env());
  h.txn->query_raw(std::move(q), std::move(reply));
  return promise;
}

Napi::Value TxExecuteRaw(const Napi::CallbackInfo& info) {
  auto& h = handle_of<TxnHandle>(info[0], "transaction");
  prisma::Query q = decode_query(info, 1);
  prisma::Result<std::int64_t> now;
  if (h.txn->execute_raw_inline(q, now)) return settled_now(info.Env(), now);
  auto [promise, reply] = prisma_call<std::int64_t>(info.Env(), count_to_js);
  h.txn->execute_raw(std::move(q), std::move(reply));
  return promise;
}

Napi::Value settled_now(Napi::Env env, const prisma::Result<Done>& now) {
  if (auto* err = std::get_if<MappedError>(&now)) return settled(env, to_js(env, *err), true);
  return settled(env, env.Undefined(), false);
}

Napi::Value TxCommit(const Napi::CallbackInfo& info) {
  auto& h = handle_of<TxnHandle>(info[0], "transaction");
  prisma::Result<Done> now;
  if (h.txn->commit_inline(now)) return settled_now(info.Env(), now);
  auto [promise, reply] = prisma_call<Done>(info.Env(), done_to_js);
  h.txn->commit(std::move(reply));
  return promise;
}

Napi::Value TxRollback(const Napi::CallbackInfo& info) {
  auto& h = handle_of<TxnHandle>(info[0], "transaction");
  prisma::Result<Done> now;
  if (h.txn->rollback_inline(now)) return settled_now(info.Env(), now);
  auto [promise, reply] = prisma_call<Done>(info.Env(), done_to_js);
  h.txn->rollback(std::move(reply));
  return promise;
}

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setErrorClass expects a class");
  state(info.Env()).prisma_error = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

}  // namespace

void export_prisma(Napi::Env env, Napi::Object exports) {
  auto add = [&](const char* name, Napi::Value (*fn)(const Napi::CallbackInfo&)) {
    exports.Set(name, Napi::Function::New(env, fn, name));
  };
  add("setErrorClass", SetErrorClass);
  add("open", Open);
  add("queryRaw", QueryRaw);
  add("executeRaw", ExecuteRaw);
  add("executeScript", ExecuteScript);
  add("startTransaction", StartTransaction);
  add("connectionInfo", ConnectionInfo);
  add("dispose", Dispose);
  add("sync", Sync);
  add("txQueryRaw", TxQueryRaw);
  add("txExecuteRaw", TxExecuteRaw);
  add("txCommit", TxCommit);
  add("txRollback", TxRollback);
  // The codes decode_query reads from a Uint8Array of argument types (native.js packs them).
  auto codes = Napi::Object::New(env);
  for (int t = 0; t <= static_cast<int>(prisma::ScalarType::Unknown); ++t) {
    codes.Set(std::string(prisma::to_string(static_cast<prisma::ScalarType>(t))), t);
  }
  exports.Set("scalarTypeCodes", codes);
}

}  // namespace libsql::node
