#pragma once

// The CLI's names for the one SQL text scanner (core/sql_text.hpp).

#include "core/sql_text.hpp"

namespace libsql::cli {

/// The first `max` keywords of a statement, upper-cased; leading whitespace and comments are
/// skipped, and the scan stops at the first character that is not part of a word or space.
using detail::leading_words;

/// True when `sql` holds only whitespace, comments and semicolons.
using detail::only_space_and_comments;

}  // namespace libsql::cli
