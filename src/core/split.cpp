#include <sqlite3.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/sql_text.hpp"
#include "libsql/client.hpp"

namespace libsql {

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
      if (!detail::only_space_and_comments(candidate)) out.push_back(candidate);
      start = pos;
    }
  }
  std::string_view rest = sql.substr(start);
  if (!detail::only_space_and_comments(rest)) out.emplace_back(rest);
  return out;
}

}  // namespace libsql
