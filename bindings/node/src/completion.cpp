#include "completion.hpp"

#include <algorithm>

#include "core/spin.hpp"

namespace libsql::node {

using detail::Spin;

void Completions::start(Napi::Env env) {
  tsfn_ = Tsfn::New(env, "libsql-cpp", 0, 1, this);
  tsfn_.Unref(env);  // an idle adapter must not keep the process alive
  start_loop_wait(env);
}

void Completions::begin_call(Napi::Env env) {
  if (pending_++ == 0) {
    try {
      tsfn_.Ref(env);
    } catch (const Napi::Error&) {
      // The environment is closing: nothing will wait for this call anyway.
    }
  }
}

void Completions::post(Settle settle) {
  std::lock_guard<std::mutex> lock(mu_);
  if (released_) return;
  ready_.push_back(std::move(settle));
  ready_count_.store(ready_.size(), std::memory_order_release);
  if (!scheduled_) {
    scheduled_ = true;
    if (tsfn_.NonBlockingCall() != napi_ok) scheduled_ = false;
  }
}

void Completions::release() {
  std::lock_guard<std::mutex> lock(mu_);
  if (released_) return;
  released_ = true;
  tsfn_.Release();
}

void Completions::drain(Napi::Env env) {
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

void Completions::start_loop_wait(Napi::Env env) {
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

void Completions::before_poll(uv_prepare_t* handle) {
  Completions& self = *reinterpret_cast<LoopWait*>(handle)->owner;
  if (self.pending_ == 0 || self.waited_in_vain_ || self.ready_count_.load(std::memory_order_acquire) != 0) {
    return;
  }
  const int timeout_ms = uv_backend_timeout(handle->loop);
  if (timeout_ms == 0) return;  // the loop has other work: it will not sleep
  std::chrono::steady_clock::duration window = kLoopWait;
  if (timeout_ms > 0) {
    window = std::min(window, std::chrono::steady_clock::duration(std::chrono::milliseconds(timeout_ms)));
  }
  if (!Spin::wait_nonzero(self.ready_count_, window)) self.waited_in_vain_ = true;
}

}  // namespace libsql::node
