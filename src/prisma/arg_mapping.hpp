#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "libsql/value.hpp"

// Prisma query arguments -> SQLite values. Contract: docs/prisma-adapter-contract.md,
// "Queries"; official behaviour: `mapArg` in @prisma/adapter-libsql (src/conversion.ts).
namespace libsql::prisma {

/// Prisma's `ArgType.scalarType`.
enum class ScalarType {
  String,
  Int,
  Bigint,
  Float,
  Decimal,
  Boolean,
  Enum,
  Uuid,
  Json,
  Datetime,
  Bytes,
  Unknown
};

/// "string", "int", ... as Prisma spells them; any other string -> Unknown.
[[nodiscard]] ScalarType parse_scalar_type(std::string_view name) noexcept;
/// Prisma's spelling of a scalar type ("bigint", ...).
[[nodiscard]] std::string_view to_string(ScalarType type) noexcept;

/// The adapter option `timestampFormat`: how a date argument is bound.
enum class TimestampFormat {
  Iso8601,     ///< TEXT `2024-01-02T03:04:05.678+00:00` (the default)
  UnixEpochMs  ///< INTEGER milliseconds since 1970
};

/// "iso8601" / "unixepoch-ms"; anything else -> nullopt (the official adapter then throws
/// `Unknown timestamp format: <s>` on the first date argument).
[[nodiscard]] std::optional<TimestampFormat> parse_timestamp_format(std::string_view name) noexcept;

/// A JS `Date`, as its time value (`getTime()`; NaN for an invalid date).
struct JsDate {
  double ms = 0;
};
/// A JS `bigint`, as `value.toString()` (decimal).
struct JsBigInt {
  std::string decimal{};
};

/// A JS argument as the binding decodes it, without deciding anything.
using JsArg = std::variant<std::monostate /* null or undefined */, bool, double /* number */,
                           std::string /* string */, JsBigInt, JsDate, Blob /* Uint8Array */>;

/// Converts one argument for binding.
/// - null -> NULL; boolean -> INTEGER 1/0; Uint8Array -> BLOB; Date -> per `format`.
/// - number: type float/decimal -> REAL; otherwise INTEGER when integral and within int64
///   (-0 -> 0), else REAL. **better**: the official adapter binds every number as REAL.
/// - string: bigint -> INTEGER (parsed exactly: decimal with optional sign, or 0x/0o/0b;
///   surrounding whitespace ignored); decimal -> REAL; datetime -> parsed (see parse_js_date)
///   and formatted per `format`; bytes -> BLOB from base64 (standard or URL-safe alphabet,
///   padded or not); any other type -> TEXT as is.
/// - bigint: float/decimal -> REAL, otherwise INTEGER (exact).
/// Throws: libsql::Error, kind Misuse: code name "VALUE_OUT_OF_RANGE" for an integer outside
/// int64 or a decimal outside double; "ARGS_INVALID" for NaN/±Infinity, an invalid Date, and
/// strings that are not a bigint / decimal / date / base64 (the official adapter throws a bare
/// RangeError or SyntaxError for most of these, or binds garbage).
[[nodiscard]] Value convert_arg(const JsArg& arg, ScalarType type, TimestampFormat format);

/// Converts `args[i]` with `types[i]` (Unknown where `types` is shorter; the official adapter
/// throws a TypeError for a string argument without an argType). Error messages name the
/// argument: "argument 2 (bigint): ...". Throws: libsql::Error as convert_arg.
[[nodiscard]] std::vector<Value> convert_args(const std::vector<JsArg>& args,
                                              const std::vector<ScalarType>& types,
                                              TimestampFormat format);

/// Exact int64 from a JS BigInt literal string (see convert_arg). Throws: as convert_arg.
[[nodiscard]] std::int64_t parse_bigint(std::string_view text);
/// A finite double from a decimal string: `[+-]digits[.digits][e[+-]digits]` (also `.5`, `5.`),
/// surrounding whitespace ignored; underflow -> ±0. Stricter than JS parseFloat, which ignores
/// trailing garbage ("1.5abc" -> 1.5) and yields NaN/Infinity. Throws: as convert_arg.
[[nodiscard]] double parse_decimal(std::string_view text);

}  // namespace libsql::prisma
