// A small program against an embedded local database file.
// Usage: example_cpp [URL]   (default: file:example.db)
#include <cstdio>
#include <iostream>
#include <string>

#include "libsql/client.hpp"

namespace {

std::string show(const libsql::Value& v) {
  switch (libsql::type_of(v)) {
    case libsql::ValueType::Null: return "NULL";
    case libsql::ValueType::Integer: return std::to_string(std::get<std::int64_t>(v));
    case libsql::ValueType::Real: return std::to_string(std::get<double>(v));
    case libsql::ValueType::Text: return std::get<std::string>(v);
    case libsql::ValueType::Blob: return "<" + std::to_string(std::get<libsql::Blob>(v).bytes.size()) + " bytes>";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  const std::string url = argc > 1 ? argv[1] : "file:example.db";
  try {
    auto db = libsql::Client::open({.url = url});
    db.execute_script(R"sql(
      CREATE TABLE IF NOT EXISTS author (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
      CREATE TABLE IF NOT EXISTS post (
        id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES author(id),
        title TEXT NOT NULL, views INTEGER NOT NULL DEFAULT 0);
    )sql");
    db.batch({{"INSERT OR IGNORE INTO author (name) VALUES (?)", {libsql::Value("Ada")}},
              {"INSERT OR IGNORE INTO author (name) VALUES (?)", {libsql::Value("Linus")}}},
             libsql::TransactionMode::Write);
    {
      auto tx = db.transaction(libsql::TransactionMode::Write);
      auto ada = tx.execute({"SELECT id FROM author WHERE name = :name", {{"name", libsql::Value("Ada")}}});
      tx.execute({"INSERT INTO post (author_id, title, views) VALUES (?, ?, ?)",
                  {ada.rows.at(0).at(0), libsql::Value("Notes on the Analytical Engine"),
                   libsql::Value(std::int64_t{1843})}});
      tx.commit();
    }
    try {
      db.execute({"INSERT INTO author (name) VALUES (?)", {libsql::Value("Ada")}});
    } catch (const libsql::Error& e) {
      std::cout << "expected error: " << e.what() << " [" << e.code_name() << "]\n";
    }
    auto rs = db.execute("SELECT a.name, count(p.id) AS posts, coalesce(sum(p.views), 0) AS views "
                         "FROM author a LEFT JOIN post p ON p.author_id = a.id "
                         "GROUP BY a.id ORDER BY a.name");
    for (const auto& c : rs.columns) std::cout << c.name << '\t';
    std::cout << '\n';
    for (const auto& row : rs.rows) {
      for (const auto& v : row) std::cout << show(v) << '\t';
      std::cout << '\n';
    }
    db.close();
  } catch (const libsql::Error& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
