#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/fast_path.hpp"
#include "libsql/config.hpp"
#include "libsql/result.hpp"

// Result sets -> what Prisma receives (`SqlResultSet`). Contract:
// docs/prisma-adapter-contract.md, "Results"; official behaviour: `getColumnTypes` / `mapRow`
// in @prisma/adapter-libsql (src/conversion.ts).
namespace libsql::prisma {

/// `ColumnTypeEnum` of @prisma/driver-adapter-utils (the array types, 64+, never occur here).
enum class ColumnType : int {
  Int32 = 0,
  Int64 = 1,
  Float = 2,
  Double = 3,
  Numeric = 4,
  Boolean = 5,
  Character = 6,
  Text = 7,
  Date = 8,
  Time = 9,
  DateTime = 10,
  Json = 11,
  Enum = 12,
  Bytes = 13,
  Set = 14,
  Uuid = 15,
  UnknownNumber = 128,
};

/// The enum member's name ("Int32", ...), for messages and test output.
[[nodiscard]] std::string_view to_string(ColumnType type) noexcept;

/// Largest integer a JS number holds exactly: 2^53 - 1 (Number.MAX_SAFE_INTEGER).
inline constexpr std::int64_t kMaxSafeInteger = 9'007'199'254'740'991;

/// The column type of a declared type (`sqlite3_column_decltype`), compared case-insensitively
/// as a whole string: "BIGINT" -> Int64, "varchar" -> Text; "", "VARCHAR(255)" and any other
/// name -> nullopt (the type is then inferred from the values).
[[nodiscard]] std::optional<ColumnType> column_type_from_decltype(std::string_view decltype_name);

/// Column types of a result set: the declared type when known; otherwise the first non-null
/// value decides (TEXT -> Text, INTEGER / REAL -> UnknownNumber, BLOB -> Bytes), and a column
/// with no non-null value is Int32.
/// **better**: an Int32 or UnknownNumber column holding an integer outside ±(2^53-1) is
/// Int64, so Prisma reads the exact decimal text finalize_rows produces as a BigInt (as Int32
/// it would do `Number(text)` and lose digits; the official adapter throws a RangeError).
/// `int_mode` (config `intMode`), as the official adapter over @libsql/client: a column typed
/// by its first INTEGER value is Int64 in Bigint mode (the client's `bigint` value) and Text in
/// String mode (its string value); Number mode as above.
[[nodiscard]] std::vector<ColumnType> infer_column_types(const ResultSet& result,
                                                         IntMode int_mode = IntMode::Number);

/// Rewrites cells in place into what Prisma receives (the binding then maps int64 -> number,
/// double -> number, text -> string, blob -> Uint8Array, null -> null):
/// - INTEGER or REAL in a DateTime column -> text `new Date(value).toISOString()`, the value
///   taken as epoch milliseconds (REAL truncated toward zero, as `new Date(1.5)` does);
/// - REAL in an Int32 / Int64 column -> truncated toward zero, as `Math.trunc`: int64 when the
///   result is a non-zero safe integer; otherwise a double (so -0.5 -> -0.0, 1e300 stays);
/// - **better**: INTEGER outside ±(2^53-1), in any other column -> its exact decimal text;
/// - `int_mode` Bigint or String: every INTEGER outside a DateTime column -> its decimal text
///   (what the official adapter makes of @libsql/client's bigint / string values);
/// - everything else unchanged (text keeps NUL bytes; blobs stay blobs).
/// Afterwards every int64 cell is a safe integer.
/// `types` is indexed like `result.columns`; cells without a type are left as they are.
/// Throws: libsql::Error (Misuse, code name "VALUE_OUT_OF_RANGE") when a DateTime cell is
/// outside the JS Date range (±8.64e15 ms) or is ±Infinity: `toISOString` would throw a
/// RangeError there too, so the query fails (with Prisma's ValueOutOfRange, P2020) rather
/// than handing Prisma an invalid date.
void finalize_rows(ResultSet& result, const std::vector<ColumnType>& types,
                   IntMode int_mode = IntMode::Number);

/// An `SqlResultSet` ready for the binding.
struct PrismaResult {
  std::vector<std::string> column_names{};
  std::vector<ColumnType> column_types{};
  /// The rows, unless they are in `compact` (finalized the same way: every integer safe, no
  /// cell left that finalize_rows would change).
  std::vector<Row> rows{};
  std::optional<detail::CompactRows> compact{};
  /// Left unset, like the official adapter: Prisma on SQLite reads ids through RETURNING, and
  /// an extra `lastInsertId` property would break deep-equality with the official results.
  std::optional<std::int64_t> last_insert_id{};
};

/// infer_column_types + finalize_rows, moving the rows out (compact rows stay compact unless a
/// cell must change). Throws: as finalize_rows.
[[nodiscard]] PrismaResult to_prisma_result(ResultSet&& result, IntMode int_mode = IntMode::Number);

}  // namespace libsql::prisma
