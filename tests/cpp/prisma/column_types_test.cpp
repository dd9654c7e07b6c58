#include "prisma/column_types.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "libsql/error.hpp"
#include "prisma_test_support.hpp"

namespace libsql::prisma {

// GoogleTest prints column types through this (found by ADL, so outside the unnamed namespace).
void PrintTo(ColumnType t, std::ostream* os) { *os << to_string(t); }

namespace {

using test::bytes;
using test::describe;
using test::same;

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t k2p53 = std::int64_t{1} << 53;
const double kInf = std::numeric_limits<double>::infinity();

std::string describe(const std::vector<Value>& cells) {
  std::string out = "[";
  for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? ", " : "") + describe(cells[i]);
  return out + "]";
}

// A one-column result set with the given declared type and cells.
ResultSet column(std::string decl, const std::vector<Value>& cells) {
  ResultSet rs;
  rs.columns.push_back({"c", std::move(decl)});
  for (const Value& v : cells) rs.rows.push_back({v});
  return rs;
}

/// `rs` with its rows moved into compact form (what FastPath::want_compact gives).
ResultSet compacted(ResultSet rs) {
  detail::FastPath::set_compact(rs, detail::to_compact(rs.rows, rs.columns.size()));
  rs.rows.clear();
  return rs;
}

TEST(ColumnTypes, CompactRowsGiveTheSameTypesAndValuesAsRows) {
  // Each case: columns (name, decltype) and rows; compact and Value rows must agree.
  struct Case {
    const char* what;
    ResultSet rs;
  };
  const Blob blob = make_blob("\x01\x02");
  std::vector<Case> cases = {
      {"declared types, nothing to change",
       {{{"id", "INTEGER"}, {"name", "TEXT"}, {"at", "DATETIME"}, {"data", "BLOB"}},
        {{Value(std::int64_t{1}), Value("a"), Value("2024-01-02T03:04:05.678+00:00"), Value(blob)},
         {Value(std::int64_t{2}), Value(), Value(), Value()}}}},
      {"undeclared: first non-null value decides; all-null is Int32",
       {{{"x", ""}, {"y", ""}, {"z", ""}, {"n", ""}},
        {{Value(), Value("t"), Value(blob), Value()}, {Value(1.5), Value(std::int64_t{3}), Value(), Value()}}}},
      {"unsafe integers become text and make the column Int64",
       {{{"big", ""}, {"declared", "INTEGER"}},
        {{Value(std::int64_t{1}), Value(kInt64Max)}, {Value(kInt64Min), Value(std::int64_t{5})}}}},
      {"numbers in a DateTime column become ISO text",
       {{{"at", "DATETIME"}}, {{Value(std::int64_t{1700000000000})}, {Value(1.5)}, {Value("2024-01-01")}}}},
      {"REAL in an integer column is truncated",
       {{{"i", "INTEGER"}, {"j", "BIGINT"}}, {{Value(2.75), Value(-0.5)}, {Value(kInf), Value(std::int64_t{7})}}}},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.what);
    PrismaResult from_rows = to_prisma_result(ResultSet(c.rs));
    PrismaResult from_compact = to_prisma_result(compacted(c.rs));
    EXPECT_EQ(from_compact.column_types, from_rows.column_types);
    EXPECT_EQ(from_compact.column_names, from_rows.column_names);
    const std::vector<Row> got = from_compact.compact ? detail::to_rows(*from_compact.compact) : from_compact.rows;
    ASSERT_EQ(got.size(), from_rows.rows.size());
    for (std::size_t r = 0; r < got.size(); ++r) {
      ASSERT_EQ(got[r].size(), from_rows.rows[r].size());
      for (std::size_t k = 0; k < got[r].size(); ++k) {
        EXPECT_TRUE(same(got[r][k], from_rows.rows[r][k])) << "row " << r << " cell " << k;
      }
    }
  }
  // Nothing to change: the compact rows stay compact (no per-cell Values made).
  EXPECT_TRUE(to_prisma_result(compacted(cases[0].rs)).compact.has_value());
  EXPECT_TRUE(to_prisma_result(compacted(cases[1].rs)).compact.has_value());
}

TEST(ColumnTypes, DeclaredTypesMapPerTheContractTable) {
  const std::vector<std::pair<std::string, ColumnType>> rows = {
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
      // case-insensitive
      {"bigint", ColumnType::Int64},
      {"DateTime", ColumnType::DateTime},
      {"double precision", ColumnType::Double},
      {"Unsigned Big Int", ColumnType::Int64},
      {"jsonb", ColumnType::Json},
  };
  for (const auto& [decl, type] : rows) {
    SCOPED_TRACE("input: \"" + decl + "\"");
    EXPECT_EQ(column_type_from_decltype(decl), std::optional<ColumnType>(type));
  }
}

TEST(ColumnTypes, OtherDeclaredTypesAreLeftToInference) {
  const std::vector<std::string> rows = {
      "",
      "VARCHAR(255)",
      "DECIMAL(10,2)",
      "INTEGER PRIMARY KEY",
      " INT",
      "INT ",
      "JSON",
      "STRING",
      "UUID",
      "DOUBLE  PRECISION",
      "BIGINTEGER",
      "NUMBER",
      "BOOL",
      "ANY",
      std::string("INT\0", 4),
  };
  for (const auto& decl : rows) {
    SCOPED_TRACE("input: " + test::quote_text(decl));
    EXPECT_EQ(column_type_from_decltype(decl), std::nullopt);
  }
}

TEST(ColumnTypes, DeclaredTypeWinsOverValues) {
  EXPECT_EQ(infer_column_types(column("TEXT", {std::int64_t{1}})),
            std::vector<ColumnType>{ColumnType::Text});
  EXPECT_EQ(infer_column_types(column("DATETIME", {std::string("x")})),
            std::vector<ColumnType>{ColumnType::DateTime});
  EXPECT_EQ(infer_column_types(column("BOOLEAN", {})),
            std::vector<ColumnType>{ColumnType::Boolean});
}

struct InferRow {
  std::string decl;
  std::vector<Value> cells;
  ColumnType expected;
};

TEST(ColumnTypes, FirstNonNullValueDecidesAnUndeclaredColumn) {
  const std::vector<InferRow> rows = {
      {"", {std::string("a"), std::int64_t{1}}, ColumnType::Text},
      {"", {Value{}, Value{}, std::string("a")}, ColumnType::Text},
      {"", {std::int64_t{1}, std::string("a")}, ColumnType::UnknownNumber},
      {"", {1.5}, ColumnType::UnknownNumber},
      {"", {Value{}, 1.5, bytes({1})}, ColumnType::UnknownNumber},
      {"", {bytes({1}), std::int64_t{1}}, ColumnType::Bytes},
      {"", {bytes({})}, ColumnType::Bytes},
      {"VARCHAR(255)", {std::string("a")}, ColumnType::Text},
      {"DECIMAL(10,2)", {2.5}, ColumnType::UnknownNumber},
      {"", {std::int64_t{kMaxSafeInteger}}, ColumnType::UnknownNumber},
      {"", {std::int64_t{-kMaxSafeInteger}}, ColumnType::UnknownNumber},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE("input: decltype \"" + row.decl + "\", cells " + describe(row.cells));
    EXPECT_EQ(infer_column_types(column(row.decl, row.cells)), std::vector{row.expected});
  }
}

TEST(ColumnTypes, AllNullOrEmptyUndeclaredColumnIsInt32) {
  EXPECT_EQ(infer_column_types(column("", {Value{}, Value{}})),
            std::vector<ColumnType>{ColumnType::Int32});
  EXPECT_EQ(infer_column_types(column("", {})), std::vector<ColumnType>{ColumnType::Int32});
  EXPECT_EQ(infer_column_types(column("FOO", {Value{}})),
            std::vector<ColumnType>{ColumnType::Int32});
}

// **better**: exact big integers travel as text, and Int64 makes Prisma read them as BigInt.
TEST(ColumnTypes, IntegerBeyondTwoToThe53MakesAnInt32OrNumberColumnInt64) {
  const std::vector<InferRow> rows = {
      {"", {std::int64_t{k2p53}}, ColumnType::Int64},
      {"", {std::int64_t{-k2p53}}, ColumnType::Int64},
      {"", {std::int64_t{1}, Value{}, std::int64_t{kInt64Max}}, ColumnType::Int64},
      {"", {Value{}, std::int64_t{kInt64Min}}, ColumnType::Int64},
      {"", {1.5, std::int64_t{k2p53 + 1}}, ColumnType::Int64},
      {"INTEGER", {std::int64_t{k2p53 + 1}}, ColumnType::Int64},
      {"INT", {std::int64_t{1}, std::int64_t{-k2p53 - 1}}, ColumnType::Int64},
      // Other types keep their type; the cell still becomes exact text.
      {"BIGINT", {std::int64_t{kInt64Max}}, ColumnType::Int64},
      {"", {std::string("a"), std::int64_t{kInt64Max}}, ColumnType::Text},
      {"", {bytes({1}), std::int64_t{kInt64Max}}, ColumnType::Bytes},
      {"NUMERIC", {std::int64_t{kInt64Max}}, ColumnType::Double},
      {"DECIMAL", {std::int64_t{kInt64Max}}, ColumnType::Numeric},
      {"TEXT", {std::int64_t{kInt64Max}}, ColumnType::Text},
      // A big REAL is not a big integer.
      {"", {1e300}, ColumnType::UnknownNumber},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE("input: decltype \"" + row.decl + "\", cells " + describe(row.cells));
    EXPECT_EQ(infer_column_types(column(row.decl, row.cells)), std::vector{row.expected});
  }
}

TEST(ColumnTypes, EachColumnIsTypedOnItsOwn) {
  ResultSet rs;
  rs.columns = {{"a", ""}, {"b", "BIGINT"}, {"c", ""}, {"d", ""}, {"e", "varchar(3)"}};
  rs.rows = {
      {Value{}, std::int64_t{1}, std::string("x"), Value{}, Value{}},
      {std::int64_t{2}, Value{}, std::int64_t{3}, Value{}, bytes({1})},
  };
  EXPECT_EQ(infer_column_types(rs),
            (std::vector<ColumnType>{ColumnType::UnknownNumber, ColumnType::Int64, ColumnType::Text,
                                     ColumnType::Int32, ColumnType::Bytes}));
}

struct CellRow {
  ColumnType type;
  Value input;
  Value expected;
};

void expect_cells(const std::vector<CellRow>& rows) {
  for (const auto& row : rows) {
    SCOPED_TRACE("input: " + describe(row.input) + " in a " + std::string(to_string(row.type)) +
                 " column");
    ResultSet rs = column("", {row.input});
    try {
      finalize_rows(rs, {row.type});
      EXPECT_TRUE(same(rs.rows[0][0], row.expected))
          << "got " << describe(rs.rows[0][0]) << ", expected " << describe(row.expected);
    } catch (const Error& e) {
      ADD_FAILURE() << "threw " << e.what();
    }
  }
}

// **better**: the official adapter throws RangeError "Received integer which cannot be safely
// represented as a JavaScript number" for all of these.
TEST(ColumnTypes, IntegersOutsideTheSafeRangeBecomeExactDecimalText) {
  expect_cells({
      {ColumnType::Int64, std::int64_t{k2p53}, std::string("9007199254740992")},
      {ColumnType::Int64, std::int64_t{k2p53 + 1}, std::string("9007199254740993")},
      {ColumnType::Int64, std::int64_t{-k2p53 - 1}, std::string("-9007199254740993")},
      {ColumnType::Int64, kInt64Max, std::string("9223372036854775807")},
      {ColumnType::Int64, kInt64Min, std::string("-9223372036854775808")},
      {ColumnType::Int32, kInt64Max, std::string("9223372036854775807")},
      {ColumnType::UnknownNumber, std::int64_t{k2p53}, std::string("9007199254740992")},
      {ColumnType::Text, std::int64_t{k2p53}, std::string("9007199254740992")},
      {ColumnType::Double, std::int64_t{k2p53}, std::string("9007199254740992")},
      {ColumnType::Numeric, kInt64Min, std::string("-9223372036854775808")},
      {ColumnType::Boolean, kInt64Max, std::string("9223372036854775807")},
  });
}

TEST(ColumnTypes, SafeIntegersStayIntegers) {
  expect_cells({
      {ColumnType::Int64, std::int64_t{kMaxSafeInteger}, std::int64_t{kMaxSafeInteger}},
      {ColumnType::Int64, std::int64_t{-kMaxSafeInteger}, std::int64_t{-kMaxSafeInteger}},
      {ColumnType::Int32, std::int64_t{0}, std::int64_t{0}},
      {ColumnType::UnknownNumber, std::int64_t{-1}, std::int64_t{-1}},
      {ColumnType::Boolean, std::int64_t{1}, std::int64_t{1}},
      {ColumnType::Text, std::int64_t{42}, std::int64_t{42}},
      {ColumnType::Double, std::int64_t{7}, std::int64_t{7}},
  });
}

// As `Math.trunc`: -0.5 -> -0, beyond 2^53 the double is already exact.
TEST(ColumnTypes, RealsInIntegerColumnsAreTruncatedTowardZero) {
  expect_cells({
      {ColumnType::Int32, 1.7, std::int64_t{1}},
      {ColumnType::Int32, -1.7, std::int64_t{-1}},
      {ColumnType::Int64, 2.5, std::int64_t{2}},
      {ColumnType::Int64, 3.0, std::int64_t{3}},
      {ColumnType::Int32, 0.5, 0.0},
      {ColumnType::Int32, -0.5, -0.0},
      {ColumnType::Int32, -0.0, -0.0},
      {ColumnType::Int64, 4503599627370495.5, std::int64_t{4503599627370495}},
      {ColumnType::Int64, 9007199254740992.0, 9007199254740992.0},
      {ColumnType::Int64, 1e17, 1e17},
      {ColumnType::Int64, -1e300, -1e300},
      {ColumnType::Int64, kInf, kInf},
      {ColumnType::Int32, -kInf, -kInf},
  });
}

TEST(ColumnTypes, RealsInOtherColumnsStayReals) {
  expect_cells({
      {ColumnType::UnknownNumber, 1.7, 1.7},
      {ColumnType::Double, -0.5, -0.5},
      {ColumnType::Float, 1e300, 1e300},
      {ColumnType::Numeric, 2.25, 2.25},
      {ColumnType::Text, 1.5, 1.5},
      {ColumnType::Boolean, 1.0, 1.0},
  });
}

// Expected text measured with Node 20: `new Date(value).toISOString()`.
TEST(ColumnTypes, NumbersInDateTimeColumnsBecomeIsoStringsOfEpochMilliseconds) {
  expect_cells({
      {ColumnType::DateTime, std::int64_t{0}, std::string("1970-01-01T00:00:00.000Z")},
      {ColumnType::DateTime, std::int64_t{1704164645678}, std::string("2024-01-02T03:04:05.678Z")},
      {ColumnType::DateTime, std::int64_t{-1}, std::string("1969-12-31T23:59:59.999Z")},
      {ColumnType::DateTime, std::int64_t{-62198755200000},
       std::string("-000001-01-01T00:00:00.000Z")},
      {ColumnType::DateTime, std::int64_t{253402300800000},
       std::string("+010000-01-01T00:00:00.000Z")},
      {ColumnType::DateTime, std::int64_t{8'640'000'000'000'000},
       std::string("+275760-09-13T00:00:00.000Z")},
      {ColumnType::DateTime, 1.5, std::string("1970-01-01T00:00:00.001Z")},
      {ColumnType::DateTime, -1.5, std::string("1969-12-31T23:59:59.999Z")},
      {ColumnType::DateTime, 1704164645678.9, std::string("2024-01-02T03:04:05.678Z")},
      // Text is passed through as stored, whatever its shape.
      {ColumnType::DateTime, std::string("2024-01-02 03:04:05"),
       std::string("2024-01-02 03:04:05")},
      {ColumnType::DateTime, std::string("2026-11-24T00:13:48.791+00:00"),
       std::string("2026-11-24T00:13:48.791+00:00")},
      {ColumnType::DateTime, Value{}, Value{}},
      {ColumnType::DateTime, bytes({1}), bytes({1})},
  });
}

// `new Date(1e20).toISOString()` throws RangeError "Invalid time value" in the official adapter.
TEST(ColumnTypes, DateTimeValuesOutsideTheJsDateRangeFailAsValueOutOfRange) {
  const std::vector<Value> rows = {
      std::int64_t{8'640'000'000'000'001}, kInt64Min, kInt64Max, 1e20, -kInf, kInf};
  for (const Value& v : rows) {
    SCOPED_TRACE("input: " + describe(v));
    ResultSet rs;
    rs.columns = {{"id", "INTEGER"}, {"createdAt", "DATETIME"}};
    rs.rows = {{std::int64_t{1}, std::int64_t{0}}, {std::int64_t{2}, v}};
    try {
      finalize_rows(rs, infer_column_types(rs));
      ADD_FAILURE() << "expected an error, got " << describe(rs.rows[1][1]);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Misuse);
      EXPECT_EQ(e.code_name(), "VALUE_OUT_OF_RANGE");
      const std::string what = e.what();
      EXPECT_EQ(what.rfind("VALUE_OUT_OF_RANGE: column \"createdAt\", row 2: ", 0), 0U) << what;
    }
  }
}

TEST(ColumnTypes, TextBlobsAndNullsAreUnchanged) {
  const std::string with_nul("a\0b", 3);
  std::vector<CellRow> rows;
  for (const auto type : {ColumnType::Int32, ColumnType::Int64, ColumnType::Text, ColumnType::Bytes,
                          ColumnType::UnknownNumber, ColumnType::Json}) {
    rows.push_back({type, with_nul, with_nul});
    rows.push_back({type, std::string(), std::string()});
    rows.push_back({type, bytes({0, 255}), bytes({0, 255})});
    rows.push_back({type, Value{}, Value{}});
  }
  expect_cells(rows);
}

TEST(ColumnTypes, ShortRowsAndMissingTypesAreLeftAlone) {
  ResultSet rs;
  rs.columns = {{"a", ""}, {"b", ""}};
  rs.rows = {{std::int64_t{kInt64Max}}, {}, {1.5, std::int64_t{kInt64Max}}};
  finalize_rows(rs, {ColumnType::Int32});
  EXPECT_TRUE(same(rs.rows[0][0], std::string("9223372036854775807")));
  EXPECT_TRUE(rs.rows[1].empty());
  EXPECT_TRUE(same(rs.rows[2][0], std::int64_t{1}));
  EXPECT_TRUE(same(rs.rows[2][1], kInt64Max));  // no type for column b
}

TEST(ColumnTypes, ToPrismaResultCarriesNamesTypesAndFinalRowsButNoLastInsertId) {
  ResultSet rs;
  rs.columns = {{"id", "INTEGER"}, {"big", ""}, {"at", "DATETIME"}, {"n", ""}, {"name", "TEXT"}};
  rs.rows = {
      {std::int64_t{1}, std::int64_t{k2p53 + 1}, std::int64_t{0}, Value{}, std::string("a")},
      {std::int64_t{2}, std::int64_t{5}, std::string("2024-01-02"), Value{}, Value{}},
  };
  rs.rows_affected = 2;
  rs.last_insert_rowid = 2;

  const PrismaResult out = to_prisma_result(std::move(rs));
  EXPECT_EQ(out.column_names, (std::vector<std::string>{"id", "big", "at", "n", "name"}));
  EXPECT_EQ(out.column_types,
            (std::vector<ColumnType>{ColumnType::Int32, ColumnType::Int64, ColumnType::DateTime,
                                     ColumnType::Int32, ColumnType::Text}));
  ASSERT_EQ(out.rows.size(), 2U);
  const std::vector<Value> row0 = {std::int64_t{1}, std::string("9007199254740993"),
                                   std::string("1970-01-01T00:00:00.000Z"), Value{},
                                   std::string("a")};
  const std::vector<Value> row1 = {std::int64_t{2}, std::int64_t{5}, std::string("2024-01-02"),
                                   Value{}, Value{}};
  for (std::size_t i = 0; i < row0.size(); ++i) {
    SCOPED_TRACE("input: column " + out.column_names[i]);
    EXPECT_TRUE(same(out.rows[0][i], row0[i])) << describe(out.rows[0][i]);
    EXPECT_TRUE(same(out.rows[1][i], row1[i])) << describe(out.rows[1][i]);
  }
  EXPECT_EQ(out.last_insert_id, std::nullopt);
}

// intMode 'bigint' / 'string', as the official adapter over @libsql/client: a column typed by
// its first INTEGER value is Int64 / Text, and INTEGER cells travel as decimal text (outside
// DateTime columns, which still get ISO text); REAL cells stay numbers, truncated in integer
// columns. Rows and compact rows agree.
TEST(ColumnTypes, IntModeBigintAndStringTurnIntegersIntoTextAsTheOfficialAdapter) {
  struct Case {
    IntMode mode;
    std::vector<ColumnType> types;
    std::vector<Value> row0;
  };
  const std::vector<Case> cases = {
      {IntMode::Bigint,
       {ColumnType::Int64, ColumnType::Int32, ColumnType::DateTime, ColumnType::UnknownNumber, ColumnType::Int32},
       {std::string("1"), std::string("7"), std::string("1970-01-01T00:00:00.001Z"), 2.5, std::int64_t{3}}},
      {IntMode::String,
       {ColumnType::Text, ColumnType::Int32, ColumnType::DateTime, ColumnType::UnknownNumber, ColumnType::Int32},
       {std::string("1"), std::string("7"), std::string("1970-01-01T00:00:00.001Z"), 2.5, std::int64_t{3}}},
      {IntMode::Number,
       {ColumnType::UnknownNumber, ColumnType::Int32, ColumnType::DateTime, ColumnType::UnknownNumber, ColumnType::Int32},
       {std::int64_t{1}, std::int64_t{7}, std::string("1970-01-01T00:00:00.001Z"), 2.5, std::int64_t{3}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("input: int mode " + std::to_string(static_cast<int>(c.mode)));
    ResultSet rs;
    rs.columns = {{"one", ""}, {"i", "INTEGER"}, {"at", "DATETIME"}, {"f", ""}, {"r", "INT"}};
    for (int k = 0; k < 40; ++k) {  // enough cells for the compact form to matter
      rs.rows.push_back({std::int64_t{1}, std::int64_t{7}, std::int64_t{1}, 2.5, 3.75});
    }
    PrismaResult from_rows = to_prisma_result(ResultSet(rs), c.mode);
    PrismaResult from_compact = to_prisma_result(compacted(rs), c.mode);
    EXPECT_EQ(from_rows.column_types, c.types);
    EXPECT_EQ(from_compact.column_types, c.types);
    const std::vector<Row> got = from_compact.compact ? detail::to_rows(*from_compact.compact) : from_compact.rows;
    ASSERT_EQ(from_rows.rows.size(), 40U);
    ASSERT_EQ(got.size(), 40U);
    for (std::size_t i = 0; i < c.row0.size(); ++i) {
      EXPECT_TRUE(same(from_rows.rows[39][i], c.row0[i])) << "cell " << i << ": " << describe(from_rows.rows[39][i]);
      EXPECT_TRUE(same(got[39][i], c.row0[i])) << "cell " << i << ": " << describe(got[39][i]);
    }
  }
}

TEST(ColumnTypes, ToPrismaResultOfAStatementWithoutColumnsIsEmpty) {
  ResultSet rs;
  rs.rows_affected = 3;
  const PrismaResult out = to_prisma_result(std::move(rs));
  EXPECT_TRUE(out.column_names.empty());
  EXPECT_TRUE(out.column_types.empty());
  EXPECT_TRUE(out.rows.empty());
}

TEST(ColumnTypes, EnumValuesMatchDriverAdapterUtils) {
  const std::vector<std::pair<ColumnType, int>> rows = {
      {ColumnType::Int32, 0},
      {ColumnType::Int64, 1},
      {ColumnType::Float, 2},
      {ColumnType::Double, 3},
      {ColumnType::Numeric, 4},
      {ColumnType::Boolean, 5},
      {ColumnType::Character, 6},
      {ColumnType::Text, 7},
      {ColumnType::Date, 8},
      {ColumnType::Time, 9},
      {ColumnType::DateTime, 10},
      {ColumnType::Json, 11},
      {ColumnType::Enum, 12},
      {ColumnType::Bytes, 13},
      {ColumnType::Set, 14},
      {ColumnType::Uuid, 15},
      {ColumnType::UnknownNumber, 128},
  };
  for (const auto& [type, value] : rows) {
    SCOPED_TRACE("input: " + std::string(to_string(type)));
    EXPECT_EQ(static_cast<int>(type), value);
  }
}

}  // namespace
}  // namespace libsql::prisma
