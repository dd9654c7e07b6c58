// Node-API binding: copies JS values in, hands the work to the core (directly, or through the
// prisma layer), and turns the outcome into JS values on the JS thread. No lock wait and no
// I/O happens on the JS thread or on libuv's pool; the only SQLite calls on the JS thread are
// the inline path's, for statements measured fast (docs/architecture.md, "The inline path").
// Opening and closing run on threads the addon owns (thread_owner.hpp), joined at cleanup.
//   completion.*      the one completion mechanism (promises settled from the core's threads)
//   js_convert.*      JS <-> C++ values: config, arguments, rows, errors
//   prisma_exports    the Prisma face (lib/prisma.js)
//   client_exports    the createClient face (lib/client.js)
#include <napi.h>

#include "addon_state.hpp"

namespace libsql::node {
namespace {

Napi::Value SetRowDecoder(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setRowDecoder expects a function");
  state(info.Env()).row_decoder = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value SetLibsqlErrorClass(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setLibsqlErrorClass expects a class");
  state(info.Env()).libsql_error = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* st = new AddonState();
  st->completions->start(env);
  env.SetInstanceData<AddonState>(st);
  // Environment teardown (process exit, worker thread end): close the databases, wait for
  // the threads still opening or closing one, close what they opened meanwhile, then stop
  // deliveries. Runs before the instance data is freed.
  env.AddCleanupHook([st] {
    st->close_all();
    st->threads.join_all();
    st->close_all();
    st->completions->release();
  });
  exports.Set("setRowDecoder", Napi::Function::New(env, SetRowDecoder, "setRowDecoder"));
  exports.Set("setLibsqlErrorClass", Napi::Function::New(env, SetLibsqlErrorClass, "setLibsqlErrorClass"));
  export_prisma(env, exports);
  export_client(env, exports);
  return exports;
}

}  // namespace
}  // namespace libsql::node

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return libsql::node::Init(env, exports);
}
NODE_API_MODULE(libsql_node, InitModule)
