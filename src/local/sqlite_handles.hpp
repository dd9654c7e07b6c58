#pragma once

#include <sqlite3.h>

#include <memory>

namespace libsql::detail {

struct CloseDb {
  void operator()(sqlite3* p) const noexcept { sqlite3_close_v2(p); }
};
struct FinalizeStmt {
  void operator()(sqlite3_stmt* p) const noexcept { sqlite3_finalize(p); }
};
using DbHandle = std::unique_ptr<sqlite3, CloseDb>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, FinalizeStmt>;

/// Resets a statement and clears its bindings when a run ends, however it ends.
class StmtReset {
 public:
  explicit StmtReset(sqlite3_stmt* s) noexcept : s_(s) {}
  StmtReset(const StmtReset&) = delete;
  StmtReset& operator=(const StmtReset&) = delete;
  ~StmtReset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

 private:
  sqlite3_stmt* s_;
};

}  // namespace libsql::detail
