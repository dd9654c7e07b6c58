#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "libsql/client.hpp"
#include "support/temp_db.hpp"

namespace {

// A writer process killed with SIGKILL mid-loop leaves a database that passes
// integrity_check and holds every transaction it reported committed, each one whole.
TEST(CrashSafety, KilledWriterLeavesExactlyTheCommittedTransactions) {
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    libsql::test::TempDb tmp;
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      execl(LIBSQL_CRASH_WRITER, LIBSQL_CRASH_WRITER, tmp.path().c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    FILE* in = fdopen(out[0], "r");
    long long last = 0;
    char line[64];
    // Let it commit a varying number of transactions, then kill it without warning.
    const long long target = 20 + round * 37;
    while (last < target && std::fgets(line, sizeof line, in)) last = std::atoll(line);
    kill(pid, SIGKILL);
    // Lines already in the pipe were reported before the kill.
    while (std::fgets(line, sizeof line, in)) last = std::atoll(line);
    std::fclose(in);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    ASSERT_GE(last, target);

    auto db = libsql::Client::open({.url = tmp.url()});
    EXPECT_EQ(std::get<std::string>(db.execute("PRAGMA integrity_check").rows.at(0).at(0)), "ok");
    auto rs = db.execute("SELECT count(DISTINCT txn), max(txn), count(*) FROM t");
    auto distinct = std::get<std::int64_t>(rs.rows[0][0]);
    auto max_txn = std::get<std::int64_t>(rs.rows[0][1]);
    auto rows = std::get<std::int64_t>(rs.rows[0][2]);
    // The commit in flight when the kill came may have reached the disk unreported.
    EXPECT_TRUE(max_txn == last || max_txn == last + 1) << "reported " << last << ", found " << max_txn;
    EXPECT_EQ(distinct, max_txn) << "no committed transaction is missing";
    EXPECT_EQ(rows, 3 * max_txn) << "no transaction is partly there";
    db.close();
  }
}

}  // namespace
