// The createClient face (@libsql/client's Client): a thin file of exports over js_convert and
// completion, straight on libsql::Client (lib/client.js shapes the objects).
#include <napi.h>

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "addon_state.hpp"
#include "completion.hpp"
#include "core/fast_path.hpp"
#include "core/url.hpp"
#include "js_convert.hpp"
#include "libsql/client.hpp"

namespace libsql::node {
namespace {

/// How a client's values cross: `int_mode` for results; `remote` (an http/libsql URL) binds
/// and reports as the official remote client does (booleans as INTEGER 1/0 in every intMode,
/// the server's rowsAffected and lastInsertRowid for statements with rows too).
struct Face {
  IntMode int_mode = IntMode::Number;
  bool remote = false;
};
struct ClientHandle {
  std::shared_ptr<Client> client;
  Face face;
};
struct TxHandle {
  std::shared_ptr<Transaction> txn;
  Face face;
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

Napi::Value error_to_js(Napi::Env env, const Error& e) { return to_js(env, e); }

template <class T, class OnValue>
std::pair<Napi::Promise, Callback<T>> client_call(Napi::Env env, OnValue on_value) {
  return async_call<T, Error>(env, state(env).completions, std::move(on_value), error_to_js);
}

TransactionMode decode_mode(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return TransactionMode::Deferred;
  const std::string m = v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
  if (m == "write") return TransactionMode::Write;
  if (m == "read") return TransactionMode::Read;
  if (m == "deferred") return TransactionMode::Deferred;
  throw Napi::RangeError::New(v.Env(), "Unknown transaction mode " + v.ToString().Utf8Value());
}

/// [[sql, args], ...] as the shim normalizes a batch.
std::vector<Statement> decode_statements(const Napi::Value& v, const Face& face) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), "the statements must be an array");
  auto a = v.As<Napi::Array>();
  std::vector<Statement> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value item = a.Get(i);
    if (!item.IsArray()) throw Napi::TypeError::New(v.Env(), "expected [sql, args] pairs");
    auto pair = item.As<Napi::Array>();
    out.push_back(decode_statement(pair.Get(0u), pair.Get(1u), face.int_mode, face.remote));
  }
  return out;
}

auto result_in(Face face) {
  return [face](Napi::Env e, const ResultSet& r) { return to_js(e, r, face.int_mode, face.remote); };
}
auto results_in(Face face) {
  return [face](Napi::Env e, const std::vector<ResultSet>& rs) -> Napi::Value {
    auto out = Napi::Array::New(e, rs.size());
    for (uint32_t i = 0; i < rs.size(); ++i) out.Set(i, to_js(e, rs[i], face.int_mode, face.remote));
    return out;
  };
}
Napi::Value done_to_js(Napi::Env e, const Done&) { return e.Undefined(); }

/// Synchronous: the config and its URL (createClient throws these at once, as the official).
Napi::Value ClientCheckConfig(const Napi::CallbackInfo& info) {
  Config config = decode_config(info[0]);
  try {
    detail::ParsedUrl url = detail::parse_url(config.url, config.tls);
    auto o = Napi::Object::New(info.Env());
    const bool ws = url.scheme == detail::Scheme::Ws || url.scheme == detail::Scheme::Wss ||
                    (url.scheme == detail::Scheme::Libsql && config.websocket);
    o.Set("protocol", url.scheme == detail::Scheme::File ? "file" : ws ? "ws" : "http");
    return o;
  } catch (const Error& e) {
    throw Napi::Error(info.Env(), to_js(info.Env(), e));
  }
}

Napi::Value ClientOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Config config = decode_config(info[0]);
  Face face{config.int_mode, false};
  try {
    face.remote = detail::parse_url(config.url, config.tls).scheme != detail::Scheme::File;
  } catch (const Error&) {
    // Client::open reports it.
  }
  AddonState* st = &state(env);
  auto [promise, reply] = client_call<std::shared_ptr<Client>>(
      env, [face](Napi::Env e, const std::shared_ptr<Client>& client) -> Napi::Value {
        return make_handle(e, new ClientHandle{client, face});
      });
  // Opening reads the file (and may wait on a lock): a thread of its own, not the JS thread.
  // Tracked there, so that environment cleanup closes it even when the JS thread never sees
  // the result (a worker terminated while the open is in flight).
  st->threads.spawn([st, config = std::move(config), reply = std::move(reply)] {
    try {
      auto client = std::make_shared<Client>(Client::open(config));
      st->track<Client>(client, [](Client& c) { c.close(); });
      reply(std::move(client));
    } catch (const Error& e) {
      reply(e);
    }
  });
  return promise;
}

/// A statement known to take microseconds runs right here, on the JS thread: a thread hop would
/// cost more (docs/architecture.md, "The inline path"; detail::FastPath::try_execute_inline decides). Returns
/// the settled promise, or an empty value when it did not run.
template <class Target>
Napi::Value try_inline(Napi::Env env, Target& target, const Statement& stmt, Face face) {
  ResultSet rs;
  try {
    if (!detail::FastPath::try_execute_inline(target, stmt, rs)) return Napi::Value();
  } catch (const Error& e) {
    return settled(env, to_js(env, e), true);
  }
  try {
    return settled(env, to_js(env, rs, face.int_mode, face.remote), false);
  } catch (const Napi::Error& conversion) {  // an integer a JS number cannot hold
    return settled(env, conversion.Value(), true);
  }
}

Napi::Value ClientExecute(const Napi::CallbackInfo& info) {
  auto& h = handle_of<ClientHandle>(info[0], "client");
  Statement stmt = decode_statement(info[1], info[2], h.face.int_mode, h.face.remote);
  if (Napi::Value now = try_inline(info.Env(), *h.client, stmt, h.face); !now.IsEmpty()) return now;
  auto [promise, reply] = client_call<ResultSet>(info.Env(), result_in(h.face));
  h.client->execute_async(std::move(stmt), std::move(reply));
  return promise;
}

Napi::Value ClientBatch(const Napi::CallbackInfo& info) {
  auto& h = handle_of<ClientHandle>(info[0], "client");
  std::vector<Statement> stmts = decode_statements(info[1], h.face);
  const TransactionMode mode = decode_mode(info[2]);
  auto [promise, reply] = client_call<std::vector<ResultSet>>(info.Env(), results_in(h.face));
  h.client->batch_async(std::move(stmts), mode, std::move(reply));
  return promise;
}

Napi::Value ClientExecuteMultiple(const Napi::CallbackInfo& info) {
  auto& h = handle_of<ClientHandle>(info[0], "client");
  if (!info[1].IsString()) throw Napi::TypeError::New(info.Env(), "the SQL must be a string");
  auto [promise, reply] = client_call<Done>(info.Env(), done_to_js);
  h.client->execute_script_async(info[1].As<Napi::String>().Utf8Value(), std::move(reply));
  return promise;
}

/// (client, mode, foreignKeys): foreignKeys false is migrate()'s transaction.
Napi::Value ClientTransaction(const Napi::CallbackInfo& info) {
  auto& h = handle_of<ClientHandle>(info[0], "client");
  const TransactionMode mode = decode_mode(info[1]);
  TransactionOptions options;
  if (info[2].IsBoolean()) options.foreign_keys = info[2].As<Napi::Boolean>().Value();
  const Face face = h.face;
  auto [promise, reply] = client_call<std::shared_ptr<Transaction>>(
      info.Env(), [face](Napi::Env e, const std::shared_ptr<Transaction>& t) -> Napi::Value {
        return make_handle(e, new TxHandle{t, face});
      });
  h.client->transaction_async(mode, options, std::move(reply));
  return promise;
}

Napi::Value ClientSync(const Napi::CallbackInfo& info) {
  auto& h = handle_of<ClientHandle>(info[0], "client");
  auto [promise, reply] = client_call<SyncResult>(info.Env(), [](Napi::Env e, const SyncResult& r) -> Napi::Value {
    auto o = Napi::Object::New(e);
    o.Set("frames_synced", Napi::Number::New(e, static_cast<double>(r.frames_synced)));
    bool numeric = !r.revision.empty() && r.revision.size() < 16 &&
                   r.revision.find_first_not_of("0123456789") == std::string::npos;
    o.Set("frame_no", numeric ? Napi::Value(Napi::Number::New(e, std::stod(r.revision))) : e.Undefined());
    return o;
  });
  h.client->sync_async(std::move(reply));
  return promise;
}

/// Resolves once the client is closed (its files released).
Napi::Value ClientClose(const Napi::CallbackInfo& info) {
  auto& h = handle_of<ClientHandle>(info[0], "client");
  auto [promise, reply] = client_call<Done>(info.Env(), done_to_js);
  // Closing waits for running statements to finish: not on the JS thread.
  state(info.Env()).threads.spawn([client = h.client, reply = std::move(reply)] {
    client->close();
    reply(Done{});
  });
  return promise;
}

/// The statements of a script (libsql::split_statements), for a transaction's executeMultiple.
Napi::Value SplitStatements(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "the SQL must be a string");
  const std::vector<std::string> parts = split_statements(info[0].As<Napi::String>().Utf8Value());
  auto out = Napi::Array::New(info.Env(), parts.size());
  for (uint32_t i = 0; i < parts.size(); ++i) out.Set(i, Napi::String::New(info.Env(), parts[i]));
  return out;
}

Napi::Value TxExecute(const Napi::CallbackInfo& info) {
  auto& h = handle_of<TxHandle>(info[0], "transaction");
  Statement stmt = decode_statement(info[1], info[2], h.face.int_mode, h.face.remote);
  if (Napi::Value now = try_inline(info.Env(), *h.txn, stmt, h.face); !now.IsEmpty()) return now;
  auto [promise, reply] = client_call<ResultSet>(info.Env(), result_in(h.face));
  h.txn->execute_async(std::move(stmt), std::move(reply));
  return promise;
}

Napi::Value TxBatch(const Napi::CallbackInfo& info) {
  auto& h = handle_of<TxHandle>(info[0], "transaction");
  std::vector<Statement> stmts = decode_statements(info[1], h.face);
  auto [promise, reply] = client_call<std::vector<ResultSet>>(info.Env(), results_in(h.face));
  h.txn->execute_sequence_async(std::move(stmts), std::move(reply));
  return promise;
}

Napi::Value TxCommit(const Napi::CallbackInfo& info) {
  auto& h = handle_of<TxHandle>(info[0], "transaction");
  auto [promise, reply] = client_call<Done>(info.Env(), done_to_js);
  h.txn->commit_async(std::move(reply));
  return promise;
}

Napi::Value TxRollback(const Napi::CallbackInfo& info) {
  auto& h = handle_of<TxHandle>(info[0], "transaction");
  auto [promise, reply] = client_call<Done>(info.Env(), done_to_js);
  h.txn->rollback_async(std::move(reply));
  return promise;
}

}  // namespace

void export_client(Napi::Env env, Napi::Object exports) {
  auto add = [&](const char* name, Napi::Value (*fn)(const Napi::CallbackInfo&)) {
    exports.Set(name, Napi::Function::New(env, fn, name));
  };
  add("clientCheckConfig", ClientCheckConfig);
  add("clientOpen", ClientOpen);
  add("clientExecute", ClientExecute);
  add("clientBatch", ClientBatch);
  add("clientExecuteMultiple", ClientExecuteMultiple);
  add("clientTransaction", ClientTransaction);
  add("clientSync", ClientSync);
  add("clientClose", ClientClose);
  add("clientSplitStatements", SplitStatements);
  add("clientTxExecute", TxExecute);
  add("clientTxBatch", TxBatch);
  add("clientTxCommit", TxCommit);
  add("clientTxRollback", TxRollback);
}

}  // namespace libsql::node
