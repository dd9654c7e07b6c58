#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace libsql::test {

/// Runs tests/cpp/local/crash_writer on `path` (with `key`, when not null), lets it report at
/// least `target` committed transactions, kills it with SIGKILL and returns the last one it
/// reported (lines already in the pipe count: they were reported before the kill). -1 when the
/// writer could not be run or did not die of the kill (a test failure is recorded).
inline long long run_crash_writer_until_killed(const std::string& path, const char* key, long long target) {
  int out[2];
  if (pipe(out) != 0) {
    ADD_FAILURE() << "pipe";
    return -1;
  }
  const pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork";
    return -1;
  }
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    if (key != nullptr) {
      execl(LIBSQL_CRASH_WRITER, LIBSQL_CRASH_WRITER, path.c_str(), key, static_cast<char*>(nullptr));
    } else {
      execl(LIBSQL_CRASH_WRITER, LIBSQL_CRASH_WRITER, path.c_str(), static_cast<char*>(nullptr));
    }
    _exit(127);
  }
  close(out[1]);
  FILE* in = fdopen(out[0], "r");
  long long last = 0;
  char line[64];
  while (last < target && std::fgets(line, sizeof line, in)) last = std::atoll(line);
  kill(pid, SIGKILL);
  while (std::fgets(line, sizeof line, in)) last = std::atoll(line);
  std::fclose(in);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFSIGNALED(status)) {
    ADD_FAILURE() << "the crash writer exited before it was killed";
    return -1;
  }
  return last;
}

}  // namespace libsql::test
