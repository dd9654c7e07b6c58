// A C++ program of a libsql-cpp user: opens an in-memory and a file database through the
// installed package (or add_subdirectory) and checks what a query returns.
//   consumer <file.db>
#include <cstdint>
#include <cstdio>
#include <string>
#include <variant>

#include "libsql/client.hpp"

namespace {

int check(libsql::Client& db, const char* what) {
  db.execute_script(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
      "INSERT INTO t (name) VALUES ('ada'), ('linus');");
  auto rs = db.execute("SELECT count(*), group_concat(name, ',') FROM t WHERE id > ?",
                       {libsql::Value(std::int64_t{0})});
  if (rs.rows.size() != 1 || rs.rows[0].size() != 2) {
    std::fprintf(stderr, "%s: unexpected result shape\n", what);
    return 1;
  }
  const auto* count = std::get_if<std::int64_t>(&rs.rows[0][0]);
  const auto* names = std::get_if<std::string>(&rs.rows[0][1]);
  if (count == nullptr || *count != 2 || names == nullptr || *names != "ada,linus") {
    std::fprintf(stderr, "%s: unexpected values\n", what);
    return 1;
  }
  try {
    db.execute("SELECT * FROM no_such_table");
    std::fprintf(stderr, "%s: no error for a missing table\n", what);
    return 1;
  } catch (const libsql::Error& e) {
    std::printf("%s: 2 rows, error as expected (%s)\n", what, e.code_name().c_str());
  }
  db.close();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer <file.db>\n");
    return 2;
  }
  try {
    auto memory = libsql::Client::open({.url = ":memory:"});
    auto file = libsql::Client::open({.url = std::string("file:") + argv[1]});
    return check(memory, ":memory:") | check(file, "file:");
  } catch (const libsql::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
