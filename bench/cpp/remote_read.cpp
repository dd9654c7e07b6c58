// One remote read through the C++ client, N rounds: prints the rows, the median time and the
// peak RSS (VmHWM) of this process as JSON. LIBSQL_HRANA_VERSION picks Hrana 2 or 3.
//   bench_remote_read URL SQL ROUNDS tx|plain
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "libsql/client.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: bench_remote_read URL SQL ROUNDS tx|plain\n");
    return 2;
  }
  try {
    libsql::Client db = libsql::Client::open({.url = argv[1]});
    const std::string sql = argv[2];
    const int rounds = std::stoi(argv[3]);
    const bool in_tx = std::string(argv[4]) == "tx";
    std::size_t rows = 0;
    std::vector<double> ms;
    for (int i = 0; i <= rounds; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      if (in_tx) {
        auto tx = db.transaction(libsql::TransactionMode::Read);
        rows = tx.execute(sql).rows.size();
        tx.commit();
      } else {
        rows = db.execute(sql).rows.size();
      }
      if (i > 0) ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    std::ifstream status("/proc/self/status");
    std::string line;
    long hwm_kb = 0;
    while (std::getline(status, line)) {
      if (line.rfind("VmHWM:", 0) == 0) hwm_kb = std::stol(line.substr(6));
    }
    std::printf("{\"rows\":%zu,\"medianMs\":%.1f,\"peakRssMb\":%.1f}\n", rows, ms.empty() ? 0.0 : ms[ms.size() / 2],
                static_cast<double>(hwm_kb) / 1024.0);
    db.close();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
