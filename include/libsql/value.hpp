#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace libsql {

namespace detail {
struct FastPath;
}  // namespace detail

/// A BLOB value: raw bytes.
struct Blob {
  std::vector<std::byte> bytes{};
  friend bool operator==(const Blob&, const Blob&) = default;
};

/// One SQLite value in one of its five storage classes:
/// NULL (monostate), INTEGER (int64), REAL (double), TEXT (UTF-8, may hold NUL bytes), BLOB.
using Value = std::variant<std::monostate, std::int64_t, double, std::string, Blob>;

/// Storage class names, as SQLite's typeof() spells them.
enum class ValueType { Null, Integer, Real, Text, Blob };

[[nodiscard]] inline ValueType type_of(const Value& v) noexcept {
  return static_cast<ValueType>(v.index());
}
[[nodiscard]] inline bool is_null(const Value& v) noexcept { return v.index() == 0; }

/// Builds a blob from any byte-like range.
[[nodiscard]] Blob make_blob(std::string_view bytes);

/// A named argument; the name may carry its prefix (":a", "@a", "$a") or not ("a").
using NamedArg = std::pair<std::string, Value>;

/// One SQL statement with its arguments, positional or named (not both).
struct Statement {
  std::string sql{};
  std::vector<Value> args{};
  std::vector<NamedArg> named_args{};
  Statement() = default;
  Statement(std::string s) : sql(std::move(s)) {}  // NOLINT(google-explicit-constructor)
  Statement(const char* s) : sql(s) {}             // NOLINT(google-explicit-constructor)
  Statement(std::string s, std::vector<Value> a) : sql(std::move(s)), args(std::move(a)) {}
  Statement(std::string s, std::vector<NamedArg> n)
      : sql(std::move(s)), named_args(std::move(n)) {}
  /// `{"SELECT ?, ?", {a, b}}`
  Statement(std::string s, std::initializer_list<Value> a) : sql(std::move(s)), args(a) {}
  /// `{"SELECT :x", {{"x", v}}}`
  Statement(std::string s, std::initializer_list<NamedArg> n) : sql(std::move(s)), named_args(n) {}

 private:
  friend struct detail::FastPath;
  bool compact_ = false;  // the Node binding's bulk rows (src/core/fast_path.hpp)
};

}  // namespace libsql
