#include "prisma/column_types.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <utility>

#include "core/error_codes.hpp"
#include "core/number_text.hpp"
#include "libsql/error.hpp"
#include "prisma/js_date.hpp"

namespace libsql::prisma {
namespace {

bool is_safe(std::int64_t v) noexcept { return v >= -kMaxSafeInteger && v <= kMaxSafeInteger; }

/// Per column of compact rows: the kind of its first non-null cell (kNull when none) and
/// whether it holds an integer outside ±(2^53-1).
struct CompactScan {
  std::vector<std::uint8_t> first;
  std::vector<bool> unsafe;
};

CompactScan scan(const detail::CompactRows& c) {
  CompactScan out{std::vector<std::uint8_t>(c.column_count, detail::CompactRows::kNull), std::vector<bool>(c.column_count, false)};
  std::size_t cell = 0;
  std::size_t integer = 0;
  for (std::size_t r = 0; r < c.row_count; ++r) {
    for (std::size_t col = 0; col < c.column_count; ++col) {
      const std::uint8_t tag = c.tags[cell++];
      if (tag == detail::CompactRows::kNull) continue;
      if (out.first[col] == detail::CompactRows::kNull) out.first[col] = tag;
      if (tag == detail::CompactRows::kInteger && !is_safe(c.integers[integer++])) out.unsafe[col] = true;
    }
  }
  return out;
}

/// True when finalize_rows would change a cell of `c` (a number in a DateTime column, an
/// unsafe integer, a REAL in an integer column).
bool needs_finalizing(const detail::CompactRows& c, const std::vector<ColumnType>& types, IntMode int_mode) {
  std::size_t cell = 0;
  std::size_t integer = 0;
  for (std::size_t r = 0; r < c.row_count; ++r) {
    for (std::size_t col = 0; col < c.column_count; ++col) {
      const std::uint8_t tag = c.tags[cell++];
      const ColumnType type = col < types.size() ? types[col] : ColumnType::Text;
      if (tag == detail::CompactRows::kInteger) {
        if (int_mode != IntMode::Number || type == ColumnType::DateTime || !is_safe(c.integers[integer++])) return true;
      } else if (tag == detail::CompactRows::kReal) {
        if (type == ColumnType::DateTime || type == ColumnType::Int32 || type == ColumnType::Int64) return true;
      }
    }
  }
  return false;
}

bool has_unsafe_integer(const ResultSet& result, std::size_t column) noexcept {
  for (const Row& row : result.rows) {
    if (column < row.size()) {
      if (const auto* v = std::get_if<std::int64_t>(&row[column]); v && !is_safe(*v)) return true;
    }
  }
  return false;
}

/// The type of a column whose first non-null value has this storage class.
ColumnType infer_from(ValueType t, IntMode int_mode) noexcept {
  switch (t) {
    case ValueType::Text:
      return ColumnType::Text;
    case ValueType::Blob:
      return ColumnType::Bytes;
    case ValueType::Integer:
      if (int_mode == IntMode::Bigint) return ColumnType::Int64;
      if (int_mode == IntMode::String) return ColumnType::Text;
      return ColumnType::UnknownNumber;
    default:
      return ColumnType::UnknownNumber;  // REAL
  }
}

std::string column_name(const ResultSet& result, std::size_t column) {
  return column < result.columns.size() ? result.columns[column].name : std::string();
}

[[noreturn]] void date_out_of_range(const std::string& column, std::size_t row,
                                    const std::string& value) {
  const std::string message = "column \"" + column + "\", row " + std::to_string(row + 1) +
                              ": the DateTime value " + value +
                              " is outside the range of a JavaScript Date (±8.64e15 ms since "
                              "1970-01-01)";
  throw detail::make_error(ErrorKind::Misuse, "VALUE_OUT_OF_RANGE", message);
}

}  // namespace

std::string_view to_string(ColumnType type) noexcept {
  switch (type) {
    case ColumnType::Int32:
      return "Int32";
    case ColumnType::Int64:
      return "Int64";
    case ColumnType::Float:
      return "Float";
    case ColumnType::Double:
      return "Double";
    case ColumnType::Numeric:
      return "Numeric";
    case ColumnType::Boolean:
      return "Boolean";
    case ColumnType::Character:
      return "Character";
    case ColumnType::Text:
      return "Text";
    case ColumnType::Date:
      return "Date";
    case ColumnType::Time:
      return "Time";
    case ColumnType::DateTime:
      return "DateTime";
    case ColumnType::Json:
      return "Json";
    case ColumnType::Enum:
      return "Enum";
    case ColumnType::Bytes:
      return "Bytes";
    case ColumnType::Set:
      return "Set";
    case ColumnType::Uuid:
      return "Uuid";
    case ColumnType::UnknownNumber:
      return "UnknownNumber";
  }
  return "?";
}

std::optional<ColumnType> column_type_from_decltype(std::string_view decltype_name) {
  // Mirrors quaint's sqlite/conversion.rs, as the official adapter's mapDeclType does.
  static constexpr std::array<std::pair<std::string_view, ColumnType>, 31> kTypes{{
      {"DECIMAL", ColumnType::Numeric},
      {"FLOAT", ColumnType::Float},
      {"DOUBLE", ColumnType::Double},
      {"DOUBLE PRECISION", ColumnType::Double},
      {"NUMERIC", ColumnType::Double},
      {"REAL", ColumnType::Double},
      {"TINYINT", ColumnType::Int32},
      {"SMALLINT", ColumnType::Int32},
      {"MEDIUMINT", ColumnType::Int32},
      {"INT", ColumnType::Int32},
      {"INTEGER", ColumnType::Int32},
      {"SERIAL", ColumnType::Int32},
      {"INT2", ColumnType::Int32},
      {"BIGINT", ColumnType::Int64},
      {"UNSIGNED BIG INT", ColumnType::Int64},
      {"INT8", ColumnType::Int64},
      {"DATETIME", ColumnType::DateTime},
      {"TIMESTAMP", ColumnType::DateTime},
      {"TIME", ColumnType::Time},
      {"DATE", ColumnType::Date},
      {"TEXT", ColumnType::Text},
      {"CLOB", ColumnType::Text},
      {"CHARACTER", ColumnType::Text},
      {"VARCHAR", ColumnType::Text},
      {"VARYING CHARACTER", ColumnType::Text},
      {"NCHAR", ColumnType::Text},
      {"NATIVE CHARACTER", ColumnType::Text},
      {"NVARCHAR", ColumnType::Text},
      {"BLOB", ColumnType::Bytes},
      {"BOOLEAN", ColumnType::Boolean},
      {"JSONB", ColumnType::Json},
  }};
  if (decltype_name.empty() || decltype_name.size() > 17) return std::nullopt;
  std::string upper(decltype_name);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  for (const auto& [name, type] : kTypes) {
    if (name == upper) return type;
  }
  return std::nullopt;
}

std::vector<ColumnType> infer_column_types(const ResultSet& result, IntMode int_mode) {
  std::vector<ColumnType> types;
  types.reserve(result.columns.size());
  std::optional<CompactScan> compact;
  if (const auto* rows = detail::FastPath::compact(result)) compact = scan(*rows);
  for (std::size_t i = 0; i < result.columns.size(); ++i) {
    ColumnType type = ColumnType::Int32;  // all-null column: Int32, as quaint does
    if (auto declared = column_type_from_decltype(result.columns[i].decltype_)) {
      type = *declared;
    } else if (compact) {
      const std::uint8_t first = i < compact->first.size() ? compact->first[i] : std::uint8_t{detail::CompactRows::kNull};
      // detail::CompactRows::Tag numbers the storage classes as ValueType does.
      if (first != detail::CompactRows::kNull) type = infer_from(static_cast<ValueType>(first), int_mode);
    } else {
      for (const Row& row : result.rows) {
        if (i < row.size() && !is_null(row[i])) {
          type = infer_from(type_of(row[i]), int_mode);
          break;
        }
      }
    }
    // **better** (docs/prisma-adapter-contract.md, "Column type inference"): exact big integers travel as text; Int64 makes
    // Prisma read that text as a BigInt.
    if ((type == ColumnType::Int32 || type == ColumnType::UnknownNumber) &&
        (compact ? (i < compact->unsafe.size() && compact->unsafe[i]) : has_unsafe_integer(result, i))) {
      type = ColumnType::Int64;
    }
    types.push_back(type);
  }
  return types;
}

void finalize_rows(ResultSet& result, const std::vector<ColumnType>& types, IntMode int_mode) {
  for (std::size_t r = 0; r < result.rows.size(); ++r) {
    Row& row = result.rows[r];
    const std::size_t n = std::min(row.size(), types.size());
    for (std::size_t c = 0; c < n; ++c) {
      Value& cell = row[c];
      const ColumnType type = types[c];
      if (auto* i = std::get_if<std::int64_t>(&cell)) {
        if (type == ColumnType::DateTime) {
          // Quaint's native SQLite connector stores DateTime as epoch milliseconds.
          if (*i > kMaxJsDateMs || *i < -kMaxJsDateMs) {
            date_out_of_range(column_name(result, c), r, std::to_string(*i));
          }
          cell = to_js_iso_string(*i);
        } else if (int_mode != IntMode::Number || !is_safe(*i)) {
          // Number mode: **better**, the official adapter throws a RangeError.
          cell = std::to_string(*i);
        }
      } else if (auto* d = std::get_if<double>(&cell)) {
        if (type == ColumnType::DateTime) {
          const auto ms = js_time_clip(*d);
          if (!ms) date_out_of_range(column_name(result, c), r, detail::shortest_text(*d));
          cell = to_js_iso_string(*ms);
        } else if (type == ColumnType::Int32 || type == ColumnType::Int64) {
          const double t = std::trunc(*d);
          // Keep a double where JS could tell the difference: -0 (Math.trunc(-0.5) is -0) and
          // values beyond 2^53 or ±Infinity (already exactly what JS holds).
          if (t != 0 && std::fabs(t) <= static_cast<double>(kMaxSafeInteger)) {
            cell = static_cast<std::int64_t>(t);
          } else {
            cell = t;
          }
        }
      }
    }
  }
}

PrismaResult to_prisma_result(ResultSet&& result, IntMode int_mode) {
  PrismaResult out;
  out.column_types = infer_column_types(result, int_mode);
  const detail::CompactRows* compact = detail::FastPath::compact(result);
  if (compact && needs_finalizing(*compact, out.column_types, int_mode)) {
    // Cells change kind (a number becomes an ISO date text, say): the rare case goes through
    // Values.
    result.rows = detail::to_rows(*detail::FastPath::take_compact(result));
    compact = nullptr;
  }
  if (compact) {
    out.compact = detail::FastPath::take_compact(result);
  } else {
    finalize_rows(result, out.column_types, int_mode);
    out.rows = std::move(result.rows);
  }
  out.column_names.reserve(result.columns.size());
  for (Column& column : result.columns) out.column_names.push_back(std::move(column.name));
  return out;
}

}  // namespace libsql::prisma
