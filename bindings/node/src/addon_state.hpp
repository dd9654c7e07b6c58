#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "completion.hpp"
#include "thread_owner.hpp"

namespace libsql::node {

/// Per-environment state of the addon (Napi::Env::SetInstanceData), shared by both faces.
struct AddonState {
  std::shared_ptr<Completions> completions = std::make_shared<Completions>();
  Napi::FunctionReference row_decoder;   // decodeRows, set by the shim (row_pack.hpp)
  Napi::FunctionReference prisma_error;  // DriverAdapterError, set by lib/prisma.js
  Napi::FunctionReference libsql_error;  // LibsqlError, set by lib/native.js (lib/errors.js)
  /// The threads that open and close databases off the JS thread; joined at cleanup.
  ThreadOwner threads;

  /// Remembers an open database, closed by `close` at environment teardown if still alive.
  template <class T>
  void track(const std::shared_ptr<T>& object, void (*close)(T&)) {
    std::lock_guard<std::mutex> lock(open_mu_);
    std::erase_if(open_, [](const Open& o) { return o.alive.expired(); });
    open_.push_back(Open{object, [weak = std::weak_ptr<T>(object), close] {
                           if (auto live = weak.lock()) close(*live);
                         }});
  }
  /// Closes every tracked database that is still alive (environment teardown).
  void close_all() {
    std::vector<std::function<void()>> closers;
    {
      std::lock_guard<std::mutex> lock(open_mu_);
      for (auto& o : open_) {
        if (!o.alive.expired()) closers.push_back(std::move(o.close));
      }
      open_.clear();
    }
    for (auto& c : closers) c();
  }

 private:
  struct Open {
    std::weak_ptr<void> alive;
    std::function<void()> close;
  };
  std::mutex open_mu_;
  std::vector<Open> open_;
};

inline AddonState& state(Napi::Env env) { return *env.GetInstanceData<AddonState>(); }

/// The faces' exports (prisma_exports.cpp, client_exports.cpp).
void export_prisma(Napi::Env env, Napi::Object exports);
void export_client(Napi::Env env, Napi::Object exports);

}  // namespace libsql::node
