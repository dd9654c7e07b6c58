#include "core/sql_text.hpp"

#include <cctype>
#include <initializer_list>

namespace libsql::detail {
namespace {

bool is_word_start(char c) noexcept { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_word_char(char c) noexcept { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::size_t word_end(std::string_view sql, std::size_t i) noexcept {
  while (i < sql.size() && is_word_char(sql[i])) ++i;
  return i;
}

bool keyword_in(std::string_view sql, std::initializer_list<std::string_view> keywords) noexcept {
  const std::string_view kw = first_keyword(sql);
  for (const std::string_view k : keywords) {
    if (keyword_is(kw, k)) return true;
  }
  return false;
}

}  // namespace

std::size_t skip_space_and_comments(std::string_view sql, std::size_t i, bool semicolons) noexcept {
  while (i < sql.size()) {
    const auto c = static_cast<unsigned char>(sql[i]);
    if (std::isspace(c) || (semicolons && c == ';')) {
      ++i;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const std::size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else {
      break;
    }
  }
  return i;
}

bool only_space_and_comments(std::string_view sql) noexcept {
  return skip_space_and_comments(sql, 0, true) == sql.size();
}

std::string_view first_keyword(std::string_view sql) noexcept {
  std::size_t i = skip_space_and_comments(sql, 0);
  while (i < sql.size() && sql[i] == '(') i = skip_space_and_comments(sql, i + 1);
  if (i >= sql.size() || !is_word_start(sql[i])) return {};
  return sql.substr(i, word_end(sql, i) - i);
}

std::vector<std::string> leading_words(std::string_view sql, std::size_t max) {
  std::vector<std::string> words;
  std::size_t i = skip_space_and_comments(sql, 0);
  while (i < sql.size() && words.size() < max && is_word_start(sql[i])) {
    const std::size_t end = word_end(sql, i);
    std::string w(sql.substr(i, end - i));
    for (char& ch : w) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    words.push_back(std::move(w));
    i = skip_space_and_comments(sql, end);
  }
  return words;
}

bool keyword_is(std::string_view word, std::string_view upper) noexcept {
  if (word.size() != upper.size()) return false;
  for (std::size_t k = 0; k < word.size(); ++k) {
    if (std::toupper(static_cast<unsigned char>(word[k])) != static_cast<unsigned char>(upper[k])) return false;
  }
  return true;
}

bool may_be_read(std::string_view sql) noexcept { return keyword_in(sql, {"SELECT", "WITH", "VALUES", "EXPLAIN"}); }

bool is_plain_read(std::string_view sql) noexcept { return keyword_in(sql, {"SELECT", "VALUES", "EXPLAIN"}); }

bool is_transaction_control(std::string_view sql) noexcept {
  return keyword_in(sql, {"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"});
}

}  // namespace libsql::detail
