#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace libsql::cli {

/// A complete SQL statement from the input, and the line it starts on (1-based).
struct PendingStatement {
  std::string sql{};
  int line = 0;
};

/// Gathers input lines into complete statements, by SQLite's own rule (sqlite3_complete: a
/// `;` outside strings, identifiers, comments and CREATE TRIGGER bodies ends a statement).
class StatementBuffer {
 public:
  /// Adds one line (without its newline); returns the statements it completed, in order
  /// (a line may complete several, or none).
  std::vector<PendingStatement> add_line(std::string_view line, int line_no);
  /// End of input: the text left over when it is more than whitespace and comments.
  std::optional<PendingStatement> finish();
  /// Nothing but whitespace and comments is pending (the shell shows its first prompt).
  [[nodiscard]] bool empty() const noexcept;
  void clear() noexcept;

 private:
  std::string text_{};
  int first_line_ = 0;
};

}  // namespace libsql::cli
