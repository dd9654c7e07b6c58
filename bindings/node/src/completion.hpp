#pragma once

// The one completion mechanism of the binding: work runs on the core's threads, and its
// outcome is turned into JS values on the JS thread, through one thread-safe function per
// environment (docs/style.md, "Threading"). Both faces (Prisma, createClient) settle their promises here.
#include <napi.h>
#include <uv.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <variant>
#include <vector>

namespace libsql::node {

/// Completions from the core's threads, delivered to the JS thread in batches: one wake-up of
/// the event loop drains every completion queued meanwhile.
class Completions : public std::enable_shared_from_this<Completions> {
 public:
  using Settle = std::function<void(Napi::Env)>;

  /// JS thread, once per environment.
  void start(Napi::Env env);
  /// JS thread: one more call in flight.
  void begin_call(Napi::Env env);
  /// Any thread: `settle` runs on the JS thread, once.
  void post(Settle settle);
  /// Stops deliveries (environment teardown). Idempotent.
  void release();

 private:
  void drain(Napi::Env env);

  // Waiting awake for a completion before the event loop sleeps (docs/architecture.md,
  // "Waiting awake"): with a call in flight and nothing else to do, the JS thread would block in
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
  void start_loop_wait(Napi::Env env);
  static void before_poll(uv_prepare_t* handle);

  static void call_js(Napi::Env env, Napi::Function, Completions* self, void*) { self->drain(env); }
  using Tsfn = Napi::TypedThreadSafeFunction<Completions, void, &Completions::call_js>;
  Tsfn tsfn_;
  std::mutex mu_;
  std::vector<Settle> ready_;
  bool scheduled_ = false;
  bool released_ = false;
  std::atomic<std::size_t> ready_count_{0};  // ready_.size(), readable without the lock
  int pending_ = 0;                          // JS thread only
  bool waited_in_vain_ = false;              // JS thread only: the last wait saw no completion
};

/// Starts an async call on the JS thread: returns its promise and the callback that settles
/// it from any thread. `Callback` is a `std::function<void(std::variant<T, E>)>` (a
/// prisma::Reply<T> or a libsql::Callback<T>); `on_value(env, const T&)` and
/// `on_error(env, const E&)` make the JS values, on the JS thread.
template <class T, class E, class OnValue, class OnError>
std::pair<Napi::Promise, std::function<void(std::variant<T, E>)>> async_call(
    Napi::Env env, const std::shared_ptr<Completions>& completions, OnValue on_value, OnError on_error) {
  completions->begin_call(env);
  auto deferred = Napi::Promise::Deferred::New(env);
  Napi::Promise promise = deferred.Promise();
  std::function<void(std::variant<T, E>)> reply = [completions, deferred, on_value,
                                                   on_error](std::variant<T, E> outcome) {
    // A core thread: no Napi calls here; settle on the JS thread.
    auto shared = std::make_shared<std::variant<T, E>>(std::move(outcome));
    completions->post([deferred, shared, on_value, on_error](Napi::Env e) {
      if (auto* err = std::get_if<E>(shared.get())) {
        deferred.Reject(on_error(e, *err));
        return;
      }
      Napi::Value value;
      try {
        value = on_value(e, std::get<T>(*shared));
      } catch (const Napi::Error& conversion) {  // e.g. an integer a JS number cannot hold
        deferred.Reject(conversion.Value());
        return;
      }
      deferred.Resolve(value);
    });
  };
  return {promise, std::move(reply)};
}

/// An already-settled promise (an outcome computed on the JS thread: the inline path).
inline Napi::Promise settled(Napi::Env env, Napi::Value value, bool rejected) {
  auto deferred = Napi::Promise::Deferred::New(env);
  if (rejected) deferred.Reject(value);
  else deferred.Resolve(value);
  return deferred.Promise();
}

}  // namespace libsql::node
