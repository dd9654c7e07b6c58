#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "cli/result_format.hpp"
#include "cli/statement_buffer.hpp"
#include "libsql/client.hpp"

namespace libsql::cli {

/// The SQL shell's logic, without the terminal: lines in, results and errors out.
/// BEGIN ... COMMIT/ROLLBACK (and a SAVEPOINT outside a transaction) run as one
/// libsql::Transaction; any other statement runs on the client's writer, in order, so
/// connection settings (PRAGMA) persist as in sqlite3's shell.
class Shell {
 public:
  struct Options {
    OutputMode mode = OutputMode::Table;
    bool interactive = false;       ///< errors do not stop the shell; no file:line prefixes
    std::string source_name = "stdin";  ///< for "Error: FILE:LINE: ..." when not interactive
  };
  enum class Flow { Continue, Stop };

  Shell(Client client, Options options, std::ostream& out, std::ostream& err);
  Shell(const Shell&) = delete;
  Shell& operator=(const Shell&) = delete;
  ~Shell();

  /// One input line (without its newline). Stop after `.quit`, or after an error when not
  /// interactive.
  Flow feed_line(std::string_view line, int line_no);
  /// End of input: runs a last statement that has no semicolon; rolls back a transaction
  /// left open (an error when not interactive).
  Flow finish();
  /// Forgets a statement being typed (Ctrl-C at the prompt).
  void cancel_input() noexcept { buffer_.clear(); }

  [[nodiscard]] std::string prompt() const;
  [[nodiscard]] int exit_code() const noexcept { return exit_code_; }
  [[nodiscard]] bool in_transaction() const noexcept { return tx_.has_value(); }

 private:
  bool run(const PendingStatement& stmt);
  bool dot_command(std::string_view line, int line_no);
  ResultSet query(const std::string& sql);
  void report(const std::string& message, int line_no);
  void print(const ResultSet& rs);

  Client client_;
  Options options_;
  std::ostream& out_;
  std::ostream& err_;
  StatementBuffer buffer_{};
  std::optional<Transaction> tx_{};
  std::string savepoint_tx_{};  ///< the SAVEPOINT that opened tx_, if one did (upper case)
  int exit_code_ = 0;
};

/// Reads `in` to the end (or the first error), line by line. Returns the exit code.
int run_shell_stream(Shell& shell, std::istream& in);

/// The interactive loop on the terminal (stdin/stdout): line editing, history in $HOME.
int run_shell_terminal(Shell& shell, const std::string& banner);

}  // namespace libsql::cli
