#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace libsql::cli {

/// The first `max` keywords of a statement, upper-cased; leading whitespace and comments are
/// skipped, and the scan stops at the first character that is not part of a word or space.
[[nodiscard]] std::vector<std::string> leading_words(std::string_view sql, std::size_t max);

/// True when `sql` holds only whitespace, comments and semicolons.
[[nodiscard]] bool only_space_and_comments(std::string_view sql) noexcept;

}  // namespace libsql::cli
