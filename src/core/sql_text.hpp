#pragma once

// The one SQL text scanner: skipping whitespace and comments, the first keywords of a
// statement, and the classifiers built on them. The statement splitter (core/split.cpp), the
// local engine, the replica and the CLI all scan the same way.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace libsql::detail {

/// Skips whitespace, `-- line` and `/* block */` comments (and `;` when `semicolons`) from
/// `i`; returns the next position. An unterminated block comment runs to the end.
[[nodiscard]] std::size_t skip_space_and_comments(std::string_view sql, std::size_t i,
                                                  bool semicolons = false) noexcept;

/// True when `sql` holds only whitespace, comments and semicolons.
[[nodiscard]] bool only_space_and_comments(std::string_view sql) noexcept;

/// The statement's first word (letters, digits, `_`; starting with a letter or `_`) after
/// whitespace, comments and opening parentheses, as written; empty when there is none.
[[nodiscard]] std::string_view first_keyword(std::string_view sql) noexcept;

/// The first `max` words of a statement, upper-cased; leading whitespace and comments are
/// skipped (and between words), and the scan stops at the first character that is not part of
/// a word or space.
[[nodiscard]] std::vector<std::string> leading_words(std::string_view sql, std::size_t max);

/// ASCII case-insensitive equality with an upper-case keyword.
[[nodiscard]] bool keyword_is(std::string_view word, std::string_view upper) noexcept;

// Two questions about reads, deliberately different on WITH:

/// May the statement be a read, so that a reader connection should try it? SELECT, WITH,
/// VALUES, EXPLAIN. The reader still asks sqlite3_stmt_readonly, because `WITH ... DELETE`
/// and a SELECT that calls a writing function write after all (local engine).
[[nodiscard]] bool may_be_read(std::string_view sql) noexcept;
/// Is the statement a read without preparing it? SELECT, VALUES, EXPLAIN only: WITH may front
/// a write, so it is not one (replica routing, remote batches, where nothing prepares it).
[[nodiscard]] bool is_plain_read(std::string_view sql) noexcept;

/// True for BEGIN/COMMIT/END/ROLLBACK/SAVEPOINT/RELEASE.
[[nodiscard]] bool is_transaction_control(std::string_view sql) noexcept;

}  // namespace libsql::detail
