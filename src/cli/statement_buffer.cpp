#include "cli/statement_buffer.hpp"

#include <sqlite3.h>

#include <algorithm>

#include "cli/sql_text.hpp"

namespace libsql::cli {
namespace {

/// Where the statement's own text starts (after whitespace, comments and `;`), for its line.
std::size_t content_start(std::string_view s) { return detail::skip_space_and_comments(s, 0, true); }

int lines_before(std::string_view s, std::size_t pos) {
  return static_cast<int>(std::count(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

}  // namespace

std::vector<PendingStatement> StatementBuffer::add_line(std::string_view line, int line_no) {
  std::vector<PendingStatement> out;
  if (only_space_and_comments(text_)) {
    text_.clear();
    first_line_ = line_no;
  }
  text_.append(line);
  text_.push_back('\n');
  if (line.find(';') == std::string_view::npos) return out;
  // Split at each `;` that ends a complete statement (the text may end with an incomplete one).
  std::size_t start = 0;
  std::string candidate;
  for (std::size_t pos = text_.find(';'); pos != std::string::npos; pos = text_.find(';', pos + 1)) {
    candidate.assign(text_, start, pos + 1 - start);
    if (!sqlite3_complete(candidate.c_str())) continue;
    if (!only_space_and_comments(candidate)) {
      const std::size_t begin = content_start(candidate);
      out.push_back({candidate.substr(begin),
                     first_line_ + lines_before(text_, start + begin)});
    }
    start = pos + 1;
  }
  // What follows the last statement on this line (a comment, or the start of the next one).
  std::string rest = text_.substr(start);
  const int rest_line = first_line_ + lines_before(text_, start);
  text_ = std::move(rest);
  first_line_ = rest_line;
  if (only_space_and_comments(text_)) text_.clear();
  return out;
}

std::optional<PendingStatement> StatementBuffer::finish() {
  if (only_space_and_comments(text_)) {
    text_.clear();
    return std::nullopt;
  }
  const std::size_t begin = content_start(text_);
  PendingStatement s{text_.substr(begin), first_line_ + lines_before(text_, begin)};
  text_.clear();
  return s;
}

bool StatementBuffer::empty() const noexcept { return only_space_and_comments(text_); }

void StatementBuffer::clear() noexcept { text_.clear(); }

}  // namespace libsql::cli
