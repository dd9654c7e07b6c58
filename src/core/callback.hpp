#pragma once

// The one home of the callback helpers every engine uses: handing an outcome to a callback,
// and the blocking wait on a callback-style call.

#include <future>
#include <memory>
#include <utility>
#include <variant>

#include "libsql/client.hpp"

namespace libsql::detail {

/// Calls `done` with `outcome`. A callback that throws is caught and dropped: it must not
/// throw into an engine thread, and there is nothing sensible to do with it there.
template <class T>
void deliver(const Callback<T>& done, Outcome<T> outcome) noexcept {
  try {
    done(std::move(outcome));
  } catch (...) {
  }
}

/// The blocking form of a callback-style call: `start(callback)` starts it, and wait_for
/// waits for the callback, then returns its value or throws its libsql::Error. Never call it
/// from inside a callback (that thread would wait for itself).
template <class T, class Start>
T wait_for(Start&& start) {
  auto promise = std::make_shared<std::promise<Outcome<T>>>();
  auto future = promise->get_future();
  std::forward<Start>(start)([promise](Outcome<T> outcome) { promise->set_value(std::move(outcome)); });
  Outcome<T> outcome = future.get();
  if (auto* e = std::get_if<Error>(&outcome)) throw *e;
  return std::move(std::get<T>(outcome));
}

}  // namespace libsql::detail
