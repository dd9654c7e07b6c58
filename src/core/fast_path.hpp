#pragma once

// The Node binding's fast path, kept out of the public C++ API (include/libsql): compact rows
// (a result's rows in a few flat arrays) and running a statement on the calling thread. Only
// the prisma layer, the binding, the composition root and the engines use it.
// docs/architecture.md, "The inline path" and "Large results".

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libsql/client.hpp"
#include "libsql/result.hpp"
#include "libsql/value.hpp"

namespace libsql::detail {

/// Rows kept in a few flat arrays instead of one Value per cell (no allocation per cell): what a
/// statement that asked for compact rows gets from the local engines. Cells are in row-major
/// order; each kind of cell takes the next entry of its own array.
struct CompactRows {
  /// The cell's kind; the same numbering as Value's alternatives.
  enum Tag : std::uint8_t { kNull = 0, kInteger = 1, kReal = 2, kText = 3, kBlob = 4 };
  std::size_t row_count = 0;
  std::size_t column_count = 0;
  std::vector<std::uint8_t> tags{};        ///< row_count * column_count
  std::vector<std::int64_t> integers{};    ///< kInteger cells
  std::vector<double> reals{};             ///< kReal cells
  std::string text{};                      ///< kText cells, concatenated (bytes as stored)
  std::vector<std::uint32_t> text_ends{};  ///< each kText cell's end offset in `text`
  std::vector<std::uint8_t> blobs{};       ///< kBlob cells, concatenated
  std::vector<std::uint32_t> blob_ends{};  ///< each kBlob cell's end offset in `blobs`
};

/// The same rows as Values.
[[nodiscard]] std::vector<Row> to_rows(const CompactRows& compact);
/// The same rows in compact form (`column_count` cells per row). Text or blob bytes beyond the
/// 32-bit offsets are not representable: the caller keeps such rows as Values.
[[nodiscard]] CompactRows to_compact(const std::vector<Row>& rows, std::size_t column_count);

/// The hooks themselves: the only way in to what the public types keep private for it.
struct FastPath {
  /// Ask for the result's rows in compact form instead of one Value per cell, for consumers
  /// that convert whole results at once. A hint: the local engines keep results of more than
  /// a few dozen rows compact; small results, and every result of a remote engine, come in
  /// ResultSet::rows as usual.
  static void want_compact(Statement& stmt, bool on = true) noexcept { stmt.compact_ = on; }
  [[nodiscard]] static bool wants_compact(const Statement& stmt) noexcept { return stmt.compact_; }

  /// The result's compact rows, or null when its rows are in ResultSet::rows.
  [[nodiscard]] static CompactRows* compact(ResultSet& rs) noexcept { return rs.compact_rows.rows_.get(); }
  [[nodiscard]] static const CompactRows* compact(const ResultSet& rs) noexcept {
    return rs.compact_rows.rows_.get();
  }
  static void set_compact(ResultSet& rs, CompactRows rows);
  /// Moves the compact rows out (nullopt when there are none); the result has none afterwards.
  [[nodiscard]] static std::optional<CompactRows> take_compact(ResultSet& rs);

  /// Runs `stmt` on the calling thread if the engine has seen it run fast before and it cannot
  /// wait on a lock or the disk: a local read (microseconds, few rows), or on `:memory:` any
  /// such statement, when no call made before it is still queued. Returns false when it did
  /// not run it, and then the caller uses execute_async. Throws libsql::Error when it ran and
  /// failed. For event-loop callers (the Node binding) where a thread hop costs more than
  /// such a statement.
  static bool try_execute_inline(Client& client, const Statement& stmt, ResultSet& out);
  /// The same inside a transaction (local engines): a statement seen fast before, between the
  /// transaction's other calls; it never waits for a lock (when the write lock is taken, it
  /// does not run and returns false).
  static bool try_execute_inline(Transaction& txn, const Statement& stmt, ResultSet& out);
  /// Commits (`commit`) or rolls back on the calling thread when the engine can do that
  /// without waiting on a lock or the disk (a local `:memory:` database) and no call of the
  /// transaction is still queued. True: it ran, `out` holds what commit_async/rollback_async
  /// would have delivered. False: nothing ran; use commit_async/rollback_async.
  static bool try_finish_inline(Transaction& txn, bool commit, Outcome<Done>& out);

  /// The composition root's way to wrap an engine (src/open.cpp).
  [[nodiscard]] static Client client(std::shared_ptr<Engine> engine);
};

}  // namespace libsql::detail
