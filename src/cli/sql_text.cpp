#include "cli/sql_text.hpp"

#include <cctype>

namespace libsql::cli {
namespace {

/// Skips whitespace and comments from i; returns the next position.
std::size_t skip(std::string_view s, std::size_t i, bool semicolons) noexcept {
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (std::isspace(c) || (semicolons && c == ';')) {
      ++i;
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      const std::size_t end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? s.size() : end + 2;
    } else {
      break;
    }
  }
  return i;
}

}  // namespace

std::vector<std::string> leading_words(std::string_view sql, std::size_t max) {
  std::vector<std::string> words;
  std::size_t i = skip(sql, 0, false);
  while (i < sql.size() && words.size() < max) {
    const auto c = static_cast<unsigned char>(sql[i]);
    if (!std::isalpha(c) && c != '_') break;
    std::string w;
    while (i < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_')) {
      w.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i]))));
      ++i;
    }
    words.push_back(std::move(w));
    i = skip(sql, i, false);
  }
  return words;
}

bool only_space_and_comments(std::string_view sql) noexcept { return skip(sql, 0, true) == sql.size(); }

}  // namespace libsql::cli
