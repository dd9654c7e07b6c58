#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>

namespace libsql {

/// What failed: the database itself, the path to it, or the caller.
enum class ErrorKind {
  Sqlite,    ///< SQLite (local or remote) refused the statement; extended_code() says why
  Network,   ///< the server cannot be reached, or the connection broke
  Protocol,  ///< the server answered something that is not valid Hrana
  Auth,      ///< the server rejected the credentials (HTTP 401/403)
  Timeout,   ///< the operation did not finish within its time limit
  Misuse,    ///< bad input from the caller: URL, arguments, closed client, finished transaction
};

/// The one error type of the library. Thread-safe to copy.
class Error : public std::runtime_error {
 public:
  /// `code_name` is a machine-readable name: "SQLITE_CONSTRAINT_UNIQUE", "URL_INVALID", ...
  Error(ErrorKind kind, int extended_code, std::string code_name, const std::string& message);

  [[nodiscard]] ErrorKind kind() const noexcept { return kind_; }
  /// SQLite extended result code; 0 when the error did not come from SQLite.
  [[nodiscard]] int extended_code() const noexcept { return code_; }
  [[nodiscard]] int primary_code() const noexcept { return code_ & 0xff; }
  /// "SQLITE_CONSTRAINT_UNIQUE", "URL_INVALID", "CLIENT_CLOSED", ...
  [[nodiscard]] const std::string& code_name() const noexcept { return code_name_; }
  /// Batches and statement sequences: the zero-based index of the statement that failed (or
  /// was not run because the transaction had ended); empty for other errors.
  [[nodiscard]] std::optional<std::size_t> statement_index() const noexcept { return statement_index_; }
  /// This error, marked as the failure of the batch's statement `index`.
  [[nodiscard]] Error at_statement(std::size_t index) const {
    Error e = *this;
    e.statement_index_ = index;
    return e;
  }

 private:
  ErrorKind kind_;
  int code_;
  std::string code_name_;
  std::optional<std::size_t> statement_index_;
};

/// Name of a SQLite (extended) result code: 2067 -> "SQLITE_CONSTRAINT_UNIQUE";
/// unknown codes -> "SQLITE_UNKNOWN_<n>".
[[nodiscard]] std::string sqlite_code_name(int code);
/// Inverse of sqlite_code_name; -1 when the name is unknown.
[[nodiscard]] int sqlite_code_from_name(const std::string& name);
/// Lower-case name of a kind: "sqlite", "network", ...
[[nodiscard]] const char* to_string(ErrorKind kind) noexcept;

}  // namespace libsql
