#include "cli/dotenv.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace libsql::cli {
namespace {

bool is_key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

EnvMap parse_dotenv(std::string_view text) {
  EnvMap out;
  std::size_t i = 0;
  const std::size_t n = text.size();
  auto skip_blanks = [&] {
    while (i < n && is_blank(text[i])) ++i;
  };
  auto skip_line = [&] {
    while (i < n && text[i] != '\n') ++i;
    if (i < n) ++i;
  };
  while (i < n) {
    skip_blanks();
    if (i >= n) break;
    if (text[i] == '\n' || text[i] == '\r' || text[i] == '#') {
      skip_line();
      continue;
    }
    if (text.substr(i, 7) == "export " || text.substr(i, 7) == "export\t") {
      i += 7;
      skip_blanks();
    }
    const std::size_t key_start = i;
    while (i < n && is_key_char(text[i])) ++i;
    std::string key(text.substr(key_start, i - key_start));
    skip_blanks();
    if (key.empty() || i >= n || (text[i] != '=' && text[i] != ':')) {
      skip_line();
      continue;
    }
    ++i;  // '=' (or ':', which dotenv also accepts)
    skip_blanks();
    std::string value;
    const char quote = i < n ? text[i] : '\0';
    if (quote == '"' || quote == '\'' || quote == '`') {
      // The closing quote: the next one not escaped by a backslash.
      std::size_t close = i + 1;
      while (close < n && text[close] != quote) close += (text[close] == '\\' ? 2 : 1);
      // An unterminated quote: dotenv then reads the line as an unquoted value.
      if (close < n) {
        const std::string_view raw = text.substr(i + 1, close - i - 1);
        if (quote == '"') {
          // dotenv expands only \n and \r inside double quotes; the rest stays as written.
          for (std::size_t k = 0; k < raw.size(); ++k) {
            if (raw[k] == '\\' && k + 1 < raw.size() && (raw[k + 1] == 'n' || raw[k + 1] == 'r')) {
              value.push_back(raw[k + 1] == 'n' ? '\n' : '\r');
              ++k;
            } else {
              value.push_back(raw[k]);
            }
          }
        } else {
          value.assign(raw);
        }
        i = close + 1;
        skip_line();
        out[std::move(key)] = std::move(value);
        continue;
      }
    }
    const std::size_t line_end = std::min(text.find('\n', i), n);
    std::string_view raw = text.substr(i, line_end - i);
    // `#` ends an unquoted value (dotenv's rule: anywhere, not only after a space).
    if (const std::size_t hash = raw.find('#'); hash != std::string_view::npos) {
      raw = raw.substr(0, hash);
    }
    while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) {
      raw.remove_suffix(1);
    }
    value.assign(raw);
    i = line_end;
    skip_line();
    out[std::move(key)] = std::move(value);
  }
  return out;
}

std::optional<EnvMap> load_dotenv_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buf;
  buf << in.rdbuf();
  return parse_dotenv(buf.str());
}

}  // namespace libsql::cli
