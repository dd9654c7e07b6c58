#pragma once

#include <gtest/gtest.h>

#include <functional>

#include "libsql/error.hpp"

namespace libsql::test {

/// The libsql::Error `f` throws; a test failure (and a placeholder error) when it throws none.
inline Error expect_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected a libsql::Error";
  return Error(ErrorKind::Misuse, 0, "NONE", "no error");
}

}  // namespace libsql::test
