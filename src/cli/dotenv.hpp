#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace libsql::cli {

using EnvMap = std::map<std::string, std::string, std::less<>>;

/// Parses a `.env` file the way the dotenv package does: `KEY=value` lines, optional
/// `export `, `#` comments (a whole line, or ending an unquoted value), values in
/// single quotes or backquotes (literal) or double quotes (`\n`, `\r` expanded); quoted
/// values may span lines. Unquoted values are trimmed. Malformed lines are skipped; later keys win.
[[nodiscard]] EnvMap parse_dotenv(std::string_view text);

/// `parse_dotenv` of the file, or nullopt when it does not exist or cannot be read.
[[nodiscard]] std::optional<EnvMap> load_dotenv_file(const std::filesystem::path& path);

}  // namespace libsql::cli
