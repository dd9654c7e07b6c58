#pragma once

#include <filesystem>
#include <initializer_list>
#include <fstream>
#include <sstream>
#include <string>

#include "support/temp_db.hpp"

namespace libsql::cli::test {

inline const std::filesystem::path kFixtures = LIBSQL_CLI_FIXTURES;
inline const std::filesystem::path kBlogMigrations = kFixtures / "blog" / "migrations";

// The four migrations Prisma 6.19 generated for tests/cli/fixtures/blog (see its README).
inline constexpr const char* kInit = "20261124013824_init";
inline constexpr const char* kProfile = "20261124013930_add_profile_and_published";
inline constexpr const char* kUserName = "20261124013933_user_name_required";
inline constexpr const char* kTags = "20261124014035_tags";

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

/// A temp dir with a copy of (some of) the fixture migrations, editable, and a database URL.
class Project {
 public:
  Project() : Project({kInit, kProfile, kUserName, kTags}) {}
  explicit Project(std::initializer_list<const char*> names) {
    std::filesystem::create_directories(migrations());
    std::filesystem::copy_file(kBlogMigrations / "migration_lock.toml",
                               migrations() / "migration_lock.toml");
    for (const char* n : names) add(n);
  }
  /// Copies one more fixture migration in.
  void add(const std::string& name) const {
    std::filesystem::copy(kBlogMigrations / name, migrations() / name,
                          std::filesystem::copy_options::recursive);
  }
  void remove(const std::string& name) const { std::filesystem::remove_all(migrations() / name); }
  /// Adds a migration of its own.
  void write(const std::string& name, const std::string& sql) const {
    std::filesystem::create_directories(migrations() / name);
    write_text(script(name), sql);
  }
  [[nodiscard]] std::filesystem::path migrations() const { return db_.dir() / "migrations"; }
  [[nodiscard]] std::filesystem::path script(const std::string& name) const {
    return migrations() / name / "migration.sql";
  }
  [[nodiscard]] std::string url() const { return db_.url(); }
  [[nodiscard]] const libsql::test::TempDb& db() const { return db_; }

 private:
  libsql::test::TempDb db_;
};

}  // namespace libsql::cli::test
