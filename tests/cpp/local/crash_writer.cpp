// Child process of the crash-safety test: commits transactions in a loop and prints the
// number of each one after commit() returns, until it is killed. Arguments: the database path,
// and optionally an encryption key (the encrypted variant of the test).
#include <cstdio>
#include <string>

#include "libsql/client.hpp"

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  auto db = libsql::Client::open(
      {.url = std::string("file:") + argv[1], .encryption_key = argc > 2 ? argv[2] : ""});
  db.execute("CREATE TABLE IF NOT EXISTS t (txn INTEGER NOT NULL, part INTEGER NOT NULL, payload BLOB)");
  for (std::int64_t i = 1;; ++i) {
    auto tx = db.transaction(libsql::TransactionMode::Write);
    for (std::int64_t part = 0; part < 3; ++part) {
      tx.execute({"INSERT INTO t VALUES (?, ?, randomblob(2000))",
                  {libsql::Value(i), libsql::Value(part)}});
    }
    tx.commit();
    std::printf("%lld\n", static_cast<long long>(i));
    std::fflush(stdout);
  }
}
