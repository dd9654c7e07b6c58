#include <sqlite3.h>

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "core/engine.hpp"
#include "libsql/client.hpp"

namespace libsql {
namespace {

bool only_space_comments_semicolons(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isspace(c) || c == ';') {
      ++i;
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      std::size_t end = s.find("*/", i + 2);
      if (end == std::string_view::npos) return true;
      i = end + 2;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

std::vector<std::string> split_statements(std::string_view sql) {
  std::vector<std::string> out;
  std::size_t start = 0;
  std::size_t pos = 0;
  std::string candidate;
  while ((pos = sql.find(';', pos)) != std::string_view::npos) {
    ++pos;
    candidate.assign(sql.substr(start, pos - start));
    // sqlite3_complete: true when the text ends a statement (not inside a string,
    // comment, identifier or CREATE TRIGGER body).
    if (sqlite3_complete(candidate.c_str())) {
      if (!only_space_comments_semicolons(candidate)) out.push_back(candidate);
      start = pos;
    }
  }
  std::string_view rest = sql.substr(start);
  if (!only_space_comments_semicolons(rest)) out.emplace_back(rest);
  return out;
}

namespace detail {

bool is_plain_read(std::string_view sql) noexcept {
  std::size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(') {
      ++i;
    } else if (sql.compare(i, 2, "--") == 0) {
      i = sql.find('\n', i);
      if (i == std::string_view::npos) return false;
    } else if (sql.compare(i, 2, "/*") == 0) {
      i = sql.find("*/", i + 2);
      if (i == std::string_view::npos) return false;
      i += 2;
    } else {
      break;
    }
  }
  auto keyword = [&](std::string_view kw) {
    if (sql.size() - i < kw.size()) return false;
    for (std::size_t k = 0; k < kw.size(); ++k) {
      if (std::toupper(static_cast<unsigned char>(sql[i + k])) != kw[k]) return false;
    }
    return sql.size() == i + kw.size() || !std::isalnum(static_cast<unsigned char>(sql[i + kw.size()]));
  };
  return keyword("SELECT") || keyword("VALUES") || keyword("EXPLAIN");
}

}  // namespace detail
}  // namespace libsql
