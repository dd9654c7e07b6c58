#include "cli/migrations_dir.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "cli/checksum.hpp"
#include "cli/cli_error.hpp"
#include "cli/sql_text.hpp"
#include "libsql/client.hpp"

namespace libsql::cli {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CliError("FILE_UNREADABLE", "Could not read " + path.string() + ".");
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<std::string> parse_lock_provider(std::string_view toml) {
  std::size_t pos = 0;
  while (pos < toml.size()) {
    std::size_t end = toml.find('\n', pos);
    if (end == std::string_view::npos) end = toml.size();
    std::string_view line = toml.substr(pos, end - pos);
    pos = end + 1;
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
    if (line.substr(0, 8) != "provider") continue;
    line.remove_prefix(8);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
    if (line.empty() || line.front() != '=') continue;
    line.remove_prefix(1);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
    if (line.empty() || (line.front() != '"' && line.front() != '\'')) continue;
    const char q = line.front();
    const std::size_t close = line.find(q, 1);
    if (close == std::string_view::npos) continue;
    return std::string(line.substr(1, close - 1));
  }
  return std::nullopt;
}

MigrationsFolder read_migrations_folder(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw CliError("MIGRATIONS_DIR_NOT_FOUND",
                   "The migrations folder " + dir.string() +
                       " does not exist. Run the command from your project's root (the folder "
                       "holding prisma/), or pass --migrations DIR (or --schema FILE).");
  }
  MigrationsFolder folder;
  folder.dir = dir;
  const auto lock = dir / "migration_lock.toml";
  if (std::filesystem::exists(lock, ec)) {
    folder.lock_provider = parse_lock_provider(read_file(lock));
    if (folder.lock_provider && *folder.lock_provider != "sqlite") {
      throw CliError(
          "P3019",
          "The datasource provider `sqlite` of libsql-cpp does not match the one specified in "
          "the migration_lock.toml, `" + *folder.lock_provider +
              "`. These migrations were generated for another database: generate them for "
              "provider \"sqlite\" (libSQL/Turso use the sqlite provider). Read more: "
              "https://pris.ly/d/migrate-provider-switch");
    }
  }
  std::vector<std::filesystem::path> subdirs;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    if (entry.is_directory(ec)) subdirs.push_back(entry.path());
  }
  if (ec) throw CliError("FILE_UNREADABLE", "Could not list " + dir.string() + ": " + ec.message());
  std::sort(subdirs.begin(), subdirs.end(), [](const auto& a, const auto& b) {
    return a.filename().string() < b.filename().string();
  });
  for (const auto& sub : subdirs) {
    LocalMigration m;
    m.name = sub.filename().string();
    m.script_path = sub / "migration.sql";
    if (!std::filesystem::is_regular_file(m.script_path, ec)) {
      throw CliError("P3015", "Could not find the migration file at " + m.script_path.string() +
                                  ". Please delete the directory or restore the migration file.");
    }
    m.script = read_file(m.script_path);
    m.checksum = migration_checksum(m.script);
    folder.migrations.push_back(std::move(m));
  }
  return folder;
}

bool script_disables_foreign_keys(std::string_view script) {
  for (const std::string& stmt : split_statements(script)) {
    const auto words = leading_words(stmt, 2);
    if (words.size() < 2 || words[0] != "PRAGMA") continue;
    // `PRAGMA foreign_keys=OFF`, `PRAGMA main.foreign_keys = 0`, `PRAGMA foreign_keys=false`.
    std::string compact;
    for (char c : lower(stmt)) {
      if (!std::isspace(static_cast<unsigned char>(c)) && c != '"' && c != '\'' && c != ';') {
        compact.push_back(c);
      }
    }
    for (const char* off : {"foreign_keys=off", "foreign_keys=0", "foreign_keys=false", "foreign_keys=no"}) {
      if (compact.find(off) != std::string::npos &&
          compact.find("defer_" + std::string(off)) == std::string::npos) {
        return true;
      }
    }
  }
  return false;
}

std::optional<std::string> find_transaction_control(std::string_view script) {
  for (const std::string& stmt : split_statements(script)) {
    const auto words = leading_words(stmt, 3);
    if (words.empty()) continue;
    const std::string& w = words[0];
    // ROLLBACK [TRANSACTION] TO <savepoint> stays inside the transaction.
    const bool to_savepoint = std::find(words.begin(), words.end(), "TO") != words.end();
    if (w == "BEGIN" || w == "COMMIT" || w == "END" || (w == "ROLLBACK" && !to_savepoint)) {
      std::string text;
      for (const auto& word : words) {
        if (word == "TO") break;
        text += (text.empty() ? "" : " ") + word;
      }
      return text;
    }
  }
  return std::nullopt;
}

}  // namespace libsql::cli
