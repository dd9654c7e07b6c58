#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace libsql::cli {

/// Process exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  ///< the command failed, or `migrate status` is not up to date
inline constexpr int kExitUsage = 2;    ///< bad command line

/// A failure the CLI reports as `Error: <code>` and a message that says what to do.
/// Codes are Prisma's where Prisma has one (P3005, P3009, P3018, ...), else an UPPER_SNAKE
/// name (MIGRATION_MODIFIED, ...). Messages never contain an auth token.
class CliError : public std::runtime_error {
 public:
  CliError(std::string code, const std::string& message, int exit_code = kExitFailure)
      : std::runtime_error(message), code_(std::move(code)), exit_code_(exit_code) {}
  [[nodiscard]] const std::string& code() const noexcept { return code_; }
  [[nodiscard]] int exit_code() const noexcept { return exit_code_; }

 private:
  std::string code_;
  int exit_code_;
};

/// A bad command line (exit code 2).
inline CliError usage_error(const std::string& message) {
  return CliError("USAGE", message, kExitUsage);
}

}  // namespace libsql::cli
