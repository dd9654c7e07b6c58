// Not a test: reports how often the inline path's real timing heuristics (the steady clock and
// the build's limit, InlineTiming) take the inline path on this machine, for a point read on a
// file and on :memory:, a :memory: insert, and a statement inside a transaction. The tests
// assert the inline path's behaviour with an injected clock (tests/cpp/local/inline_path_test.cpp);
// this shows the heuristics themselves still pick it on a normal machine. Never fails.
//
//   build/<preset>/bench/bench_inline_report [calls]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "core/fast_path.hpp"
#include "libsql/client.hpp"

namespace {

struct Tally {
  int inline_runs = 0;
  int calls = 0;
};

/// Each call: try the inline path, else run it the regular way (which measures it).
template <class Try, class Run>
Tally run(int calls, Try try_inline, Run regular) {
  Tally t;
  for (int i = 0; i < calls; ++i) {
    if (try_inline(i)) {
      ++t.inline_runs;
    } else {
      regular(i);
    }
    ++t.calls;
  }
  return t;
}

void report(const char* what, const Tally& t) {
  std::printf("  %-34s %5d of %5d calls inline (%.1f %%)\n", what, t.inline_runs, t.calls,
              t.calls ? 100.0 * t.inline_runs / t.calls : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  const int calls = argc > 1 ? std::atoi(argv[1]) : 2000;
  const auto dir = std::filesystem::temp_directory_path() / ("libsql-inline-report-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::printf("inline path with the real timing heuristics (report only):\n");
  try {
    libsql::ResultSet rs;
    {
      auto db = libsql::Client::open({.url = "file:" + (dir / "r.db").string()});
      db.execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a');");
      libsql::Statement point{"SELECT v FROM t WHERE id = ?", {libsql::Value(std::int64_t{1})}};
      report("file: point read", run(calls, [&](int) { return libsql::detail::FastPath::try_execute_inline(db, point, rs); },
                                     [&](int) { db.execute(point); }));
      auto tx = db.transaction(libsql::TransactionMode::Write);
      report("file: read inside a transaction", run(calls, [&](int) { return libsql::detail::FastPath::try_execute_inline(tx, point, rs); },
                                                    [&](int) { tx.execute(point); }));
      tx.rollback();
      db.close();
    }
    {
      auto db = libsql::Client::open({.url = ":memory:"});
      db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
      auto insert = [](int i) { return libsql::Statement{"INSERT INTO t (v) VALUES (?)", {libsql::Value("v" + std::to_string(i))}}; };
      report(":memory: insert", run(calls, [&](int i) { return libsql::detail::FastPath::try_execute_inline(db, insert(i), rs); },
                                    [&](int i) { db.execute(insert(i)); }));
      libsql::Statement point{"SELECT v FROM t WHERE id = ?", {libsql::Value(std::int64_t{1})}};
      report(":memory: point read", run(calls, [&](int) { return libsql::detail::FastPath::try_execute_inline(db, point, rs); },
                                        [&](int) { db.execute(point); }));
      db.close();
    }
  } catch (const libsql::Error& e) {
    std::printf("  error: %s\n", e.what());
  }
  std::filesystem::remove_all(dir);
  return 0;
}
