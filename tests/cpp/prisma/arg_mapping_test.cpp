#include "prisma/arg_mapping.hpp"

#include "core/base64.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "libsql/error.hpp"
#include "prisma_test_support.hpp"

namespace libsql::prisma {
namespace {

using test::bytes;
using test::describe;
using test::same;

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
const double kInf = std::numeric_limits<double>::infinity();

std::string describe(const JsArg& arg) {
  switch (arg.index()) {
    case 0:
      return "null";
    case 1:
      return std::get<bool>(arg) ? "true" : "false";
    case 2: {
      const double d = std::get<double>(arg);
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", d);
      return std::string("number ") + (d == 0 && std::signbit(d) ? "-" : "") + buf;
    }
    case 3:
      return "string " + test::quote_text(std::get<std::string>(arg));
    case 4:
      return "bigint " + std::get<JsBigInt>(arg).decimal + "n";
    case 5:
      return "Date(" + std::to_string(std::get<JsDate>(arg).ms) + ")";
    default:
      return "Uint8Array " + describe(Value(std::get<Blob>(arg)));
  }
}

struct Row {
  JsArg arg;
  ScalarType type;
  Value expected;
};

void expect_rows(const std::vector<Row>& rows, TimestampFormat format = TimestampFormat::Iso8601) {
  for (const auto& row : rows) {
    const std::string input = describe(row.arg) + " as " + std::string(to_string(row.type));
    SCOPED_TRACE("input: " + input);
    try {
      const Value got = convert_arg(row.arg, row.type, format);
      EXPECT_TRUE(same(got, row.expected))
          << "got " << describe(got) << ", expected " << describe(row.expected);
    } catch (const Error& e) {
      ADD_FAILURE() << "threw " << e.what();
    }
  }
}

struct FailRow {
  JsArg arg;
  ScalarType type;
  std::string code_name;
};

void expect_failures(const std::vector<FailRow>& rows,
                     TimestampFormat format = TimestampFormat::Iso8601) {
  for (const auto& row : rows) {
    SCOPED_TRACE("input: " + describe(row.arg) + " as " + std::string(to_string(row.type)));
    try {
      const Value got = convert_arg(row.arg, row.type, format);
      ADD_FAILURE() << "expected an error, got " << describe(got);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Misuse);
      EXPECT_EQ(e.code_name(), row.code_name) << e.what();
      EXPECT_EQ(std::string(e.what()).rfind(row.code_name + ": ", 0), 0U) << e.what();
    }
  }
}

TEST(ArgMapping, ParsesPrismaScalarTypeNamesAndTreatsOthersAsUnknown) {
  const std::vector<std::pair<std::string, ScalarType>> rows = {
      {"string", ScalarType::String},   {"int", ScalarType::Int},
      {"bigint", ScalarType::Bigint},   {"float", ScalarType::Float},
      {"decimal", ScalarType::Decimal}, {"boolean", ScalarType::Boolean},
      {"enum", ScalarType::Enum},       {"uuid", ScalarType::Uuid},
      {"json", ScalarType::Json},       {"datetime", ScalarType::Datetime},
      {"bytes", ScalarType::Bytes},     {"unknown", ScalarType::Unknown},
      {"", ScalarType::Unknown},        {"Int", ScalarType::Unknown},
      {"BIGINT", ScalarType::Unknown},  {"Int32", ScalarType::Unknown},
      {"date", ScalarType::Unknown},
  };
  for (const auto& [name, type] : rows) {
    SCOPED_TRACE("input: \"" + name + "\"");
    EXPECT_EQ(parse_scalar_type(name), type);
    if (type != ScalarType::Unknown) {
      EXPECT_EQ(to_string(type), name);
    }
  }
}

TEST(ArgMapping, ParsesTheTwoTimestampFormats) {
  EXPECT_EQ(parse_timestamp_format("iso8601"), TimestampFormat::Iso8601);
  EXPECT_EQ(parse_timestamp_format("unixepoch-ms"), TimestampFormat::UnixEpochMs);
  EXPECT_EQ(parse_timestamp_format("unixepoch"), std::nullopt);
  EXPECT_EQ(parse_timestamp_format("ISO8601"), std::nullopt);
}

TEST(ArgMapping, NullBindsAsNullWhateverTheType) {
  std::vector<Row> rows;
  for (const auto type : {ScalarType::String, ScalarType::Int, ScalarType::Bigint,
                          ScalarType::Datetime, ScalarType::Bytes, ScalarType::Unknown}) {
    rows.push_back({std::monostate{}, type, Value{}});
  }
  expect_rows(rows);
}

TEST(ArgMapping, BooleansBindAsIntegerOneOrZeroWhateverTheType) {
  expect_rows({
      {true, ScalarType::Boolean, std::int64_t{1}},
      {false, ScalarType::Boolean, std::int64_t{0}},
      {true, ScalarType::Unknown, std::int64_t{1}},
      {true, ScalarType::Int, std::int64_t{1}},
      {false, ScalarType::Float, std::int64_t{0}},
      {true, ScalarType::String, std::int64_t{1}},
  });
}

// **better**: the official adapter binds every JS number as REAL (typeof(?) = 'real').
TEST(ArgMapping, NumbersBindByArgTypeIntegralAsIntegerFloatAsReal) {
  expect_rows({
      {3.0, ScalarType::Int, std::int64_t{3}},
      {3.0, ScalarType::Bigint, std::int64_t{3}},
      {1.0, ScalarType::Boolean, std::int64_t{1}},
      {3.0, ScalarType::Unknown, std::int64_t{3}},
      {3.0, ScalarType::String, std::int64_t{3}},
      {3.0, ScalarType::Float, 3.0},
      {3.0, ScalarType::Decimal, 3.0},
      {1.5, ScalarType::Unknown, 1.5},
      {1.5, ScalarType::Float, 1.5},
      {1.5, ScalarType::Int, 1.5},  // not integral: kept exact rather than truncated
      {-0.0, ScalarType::Unknown, std::int64_t{0}},
      {-0.0, ScalarType::Int, std::int64_t{0}},
      {-0.0, ScalarType::Float, -0.0},
      {-7.0, ScalarType::Unknown, std::int64_t{-7}},
      {9007199254740991.0, ScalarType::Unknown, std::int64_t{9007199254740991}},
      {9007199254740992.0, ScalarType::Int, std::int64_t{9007199254740992}},
      {-9007199254740992.0, ScalarType::Int, std::int64_t{-9007199254740992}},
      {-9223372036854775808.0, ScalarType::Unknown, kInt64Min},
      {9223372036854775808.0, ScalarType::Unknown, 9223372036854775808.0},  // 2^63: REAL
      {1e300, ScalarType::Int, 1e300},
      {5e-324, ScalarType::Unknown, 5e-324},
      {1704164645678.0, ScalarType::Datetime, std::int64_t{1704164645678}},  // a number, not a Date
  });
}

TEST(ArgMapping, NanAndInfinityAreRejected) {
  expect_failures({
      {std::nan(""), ScalarType::Unknown, "ARGS_INVALID"},
      {std::nan(""), ScalarType::Float, "ARGS_INVALID"},
      {kInf, ScalarType::Int, "ARGS_INVALID"},
      {-kInf, ScalarType::Decimal, "ARGS_INVALID"},
  });
}

TEST(ArgMapping, BigintStringsParseExactlyAcrossTheInt64Range) {
  expect_rows({
      {std::string("9223372036854775807"), ScalarType::Bigint, kInt64Max},
      {std::string("-9223372036854775808"), ScalarType::Bigint, kInt64Min},
      {std::string("9007199254740991"), ScalarType::Bigint, std::int64_t{9007199254740991}},
      {std::string("9007199254740992"), ScalarType::Bigint, std::int64_t{9007199254740992}},
      {std::string("9007199254740993"), ScalarType::Bigint, std::int64_t{9007199254740993}},
      {std::string("-9007199254740993"), ScalarType::Bigint, std::int64_t{-9007199254740993}},
      {std::string("0"), ScalarType::Bigint, std::int64_t{0}},
      {std::string("-0"), ScalarType::Bigint, std::int64_t{0}},
      {std::string("+12"), ScalarType::Bigint, std::int64_t{12}},
      {std::string("00012"), ScalarType::Bigint, std::int64_t{12}},
      {std::string(" \t12\n"), ScalarType::Bigint, std::int64_t{12}},  // BigInt trims
      {std::string("0x1f"), ScalarType::Bigint, std::int64_t{31}},
      {std::string("0X7FFFFFFFFFFFFFFF"), ScalarType::Bigint, kInt64Max},
      {std::string("0o17"), ScalarType::Bigint, std::int64_t{15}},
      {std::string("0b101"), ScalarType::Bigint, std::int64_t{5}},
  });
}

TEST(ArgMapping, BigintStringsOutsideInt64FailAsValueOutOfRange) {
  expect_failures({
      {std::string("9223372036854775808"), ScalarType::Bigint, "VALUE_OUT_OF_RANGE"},
      {std::string("-9223372036854775809"), ScalarType::Bigint, "VALUE_OUT_OF_RANGE"},
      {std::string("18446744073709551616"), ScalarType::Bigint, "VALUE_OUT_OF_RANGE"},
      {std::string("99999999999999999999999999"), ScalarType::Bigint, "VALUE_OUT_OF_RANGE"},
      {std::string("0x8000000000000000"), ScalarType::Bigint, "VALUE_OUT_OF_RANGE"},
  });
}

TEST(ArgMapping, BigintStringsThatAreNotIntegersFailAsArgsInvalid) {
  expect_failures({
      {std::string(""), ScalarType::Bigint, "ARGS_INVALID"},  // BigInt("") is 0n; we refuse
      {std::string("  "), ScalarType::Bigint, "ARGS_INVALID"},
      {std::string("abc"), ScalarType::Bigint, "ARGS_INVALID"},
      {std::string("1.0"), ScalarType::Bigint, "ARGS_INVALID"},
      {std::string("1e3"), ScalarType::Bigint, "ARGS_INVALID"},
      {std::string("-0x1f"), ScalarType::Bigint, "ARGS_INVALID"},
      {std::string("12abc"), ScalarType::Bigint, "ARGS_INVALID"},
      {std::string("--1"), ScalarType::Bigint, "ARGS_INVALID"},
      {std::string("+"), ScalarType::Bigint, "ARGS_INVALID"},
      {std::string("0x"), ScalarType::Bigint, "ARGS_INVALID"},
      {std::string("0b102"), ScalarType::Bigint, "ARGS_INVALID"},
      {std::string("1 2"), ScalarType::Bigint, "ARGS_INVALID"},
  });
}

TEST(ArgMapping, JsBigIntsBindExactlyAsIntegerOrAsRealForFloatTypes) {
  expect_rows({
      {JsBigInt{"9223372036854775807"}, ScalarType::Bigint, kInt64Max},
      {JsBigInt{"-9223372036854775808"}, ScalarType::Unknown, kInt64Min},
      {JsBigInt{"9007199254740993"}, ScalarType::Int, std::int64_t{9007199254740993}},
      {JsBigInt{"3"}, ScalarType::Float, 3.0},
      {JsBigInt{"100000000000000000000"}, ScalarType::Decimal, 1e20},
  });
  expect_failures({
      {JsBigInt{"9223372036854775808"}, ScalarType::Bigint, "VALUE_OUT_OF_RANGE"},
      {JsBigInt{"-9223372036854775809"}, ScalarType::Unknown, "VALUE_OUT_OF_RANGE"},
  });
}

TEST(ArgMapping, DecimalStringsBindAsReal) {
  expect_rows({
      {std::string("1.5"), ScalarType::Decimal, 1.5},
      {std::string("-0"), ScalarType::Decimal, -0.0},
      {std::string("3"), ScalarType::Decimal, 3.0},
      {std::string("1e+21"), ScalarType::Decimal, 1e21},
      {std::string("1E-7"), ScalarType::Decimal, 1e-7},
      {std::string(".5"), ScalarType::Decimal, 0.5},
      {std::string("5."), ScalarType::Decimal, 5.0},
      {std::string("+3"), ScalarType::Decimal, 3.0},
      {std::string("  2.5 "), ScalarType::Decimal, 2.5},
      {std::string("0.1"), ScalarType::Decimal, 0.1},
      {std::string("123456789012345678901234567890"), ScalarType::Decimal, 1.2345678901234568e29},
      {std::string("1e-400"), ScalarType::Decimal, 0.0},  // underflow: parseFloat gives 0
      {std::string("-1e-400"), ScalarType::Decimal, -0.0},
      {std::string("0e999999"), ScalarType::Decimal, 0.0},
      {std::string("1.7976931348623157e308"), ScalarType::Decimal, 1.7976931348623157e308},
  });
}

// parseFloat would read "1.5abc" as 1.5 and "abc" as NaN (bound as NULL); we refuse both.
TEST(ArgMapping, DecimalStringsThatAreNotFiniteNumbersFail) {
  expect_failures({
      {std::string("abc"), ScalarType::Decimal, "ARGS_INVALID"},
      {std::string("1.5abc"), ScalarType::Decimal, "ARGS_INVALID"},
      {std::string(""), ScalarType::Decimal, "ARGS_INVALID"},
      {std::string("."), ScalarType::Decimal, "ARGS_INVALID"},
      {std::string("1e"), ScalarType::Decimal, "ARGS_INVALID"},
      {std::string("0x10"), ScalarType::Decimal, "ARGS_INVALID"},
      {std::string("1_000"), ScalarType::Decimal, "ARGS_INVALID"},
      {std::string("NaN"), ScalarType::Decimal, "ARGS_INVALID"},
      {std::string("Infinity"), ScalarType::Decimal, "ARGS_INVALID"},
      {std::string("inf"), ScalarType::Decimal, "ARGS_INVALID"},
      {std::string("+-1"), ScalarType::Decimal, "ARGS_INVALID"},
      {std::string("1e400"), ScalarType::Decimal, "VALUE_OUT_OF_RANGE"},
      {std::string("-1e400"), ScalarType::Decimal, "VALUE_OUT_OF_RANGE"},
      {std::string("1" + std::string(400, '0')), ScalarType::Decimal, "VALUE_OUT_OF_RANGE"},
  });
}

// Expected text measured with the official adapter (`SELECT ?` with argType datetime).
TEST(ArgMapping, DatetimeStringsAreParsedAndFormattedAsIsoWithUtcOffset) {
  expect_rows({
      {std::string("2024-01-02T03:04:05.678Z"), ScalarType::Datetime,
       std::string("2024-01-02T03:04:05.678+00:00")},
      {std::string("2024-01-02T03:04:05+01:00"), ScalarType::Datetime,
       std::string("2024-01-02T02:04:05.000+00:00")},
      {std::string("2024-01-02T03:04:05.678-01:30"), ScalarType::Datetime,
       std::string("2024-01-02T04:34:05.678+00:00")},
      {std::string("2024-01-02"), ScalarType::Datetime,
       std::string("2024-01-02T00:00:00.000+00:00")},
      {std::string("1969-12-31T23:59:59.999Z"), ScalarType::Datetime,
       std::string("1969-12-31T23:59:59.999+00:00")},
      {std::string("0001-01-01T00:00:00Z"), ScalarType::Datetime,
       std::string("0001-01-01T00:00:00.000+00:00")},
      {std::string("+010000-01-01T00:00:00Z"), ScalarType::Datetime,
       std::string("+010000-01-01T00:00:00.000+00:00")},
      {std::string("-000001-06-01T00:00:00Z"), ScalarType::Datetime,
       std::string("-000001-06-01T00:00:00.000+00:00")},
  });
}

TEST(ArgMapping, DatetimeStringsBindAsEpochMillisecondsInUnixEpochMsFormat) {
  expect_rows(
      {
          {std::string("2024-01-02T03:04:05.678Z"), ScalarType::Datetime,
           std::int64_t{1704164645678}},
          {std::string("1969-12-31T23:59:59.999Z"), ScalarType::Datetime, std::int64_t{-1}},
          {std::string("1900-01-01"), ScalarType::Datetime, std::int64_t{-2208988800000}},
          {std::string("+010000-01-01T00:00:00Z"), ScalarType::Datetime,
           std::int64_t{253402300800000}},
      },
      TimestampFormat::UnixEpochMs);
}

// The official adapter throws RangeError "Invalid time value" for unparsable text and rolls
// 2023-02-29 over to 2023-03-01; we reject both with a clear error.
TEST(ArgMapping, InvalidDatetimeStringsFail) {
  for (const auto format : {TimestampFormat::Iso8601, TimestampFormat::UnixEpochMs}) {
    expect_failures(
        {
            {std::string("nope"), ScalarType::Datetime, "ARGS_INVALID"},
            {std::string(""), ScalarType::Datetime, "ARGS_INVALID"},
            {std::string("2016-12-31T23:59:60Z"), ScalarType::Datetime, "ARGS_INVALID"},
            {std::string("2023-02-29"), ScalarType::Datetime, "ARGS_INVALID"},
            {std::string("2024-04-31T00:00:00Z"), ScalarType::Datetime, "ARGS_INVALID"},
            {std::string("2024-01-02T03:04:05"), ScalarType::Datetime, "ARGS_INVALID"},
            {std::string("+275760-09-13T00:00:00.001Z"), ScalarType::Datetime, "ARGS_INVALID"},
        },
        format);
  }
}

TEST(ArgMapping, DatesFormatLikeTheOfficialAdapterWhateverTheType) {
  expect_rows({
      {JsDate{1704164645678.0}, ScalarType::Datetime, std::string("2024-01-02T03:04:05.678+00:00")},
      {JsDate{0.0}, ScalarType::Unknown, std::string("1970-01-01T00:00:00.000+00:00")},
      {JsDate{-1.0}, ScalarType::String, std::string("1969-12-31T23:59:59.999+00:00")},
      {JsDate{-62198755200000.0}, ScalarType::Datetime,
       std::string("-000001-01-01T00:00:00.000+00:00")},
      {JsDate{253402300800000.0}, ScalarType::Datetime,
       std::string("+010000-01-01T00:00:00.000+00:00")},
      {JsDate{8.64e15}, ScalarType::Datetime, std::string("+275760-09-13T00:00:00.000+00:00")},
  });
  expect_rows(
      {
          {JsDate{1704164645678.0}, ScalarType::Datetime, std::int64_t{1704164645678}},
          {JsDate{-62198755200000.0}, ScalarType::Unknown, std::int64_t{-62198755200000}},
          {JsDate{-0.0}, ScalarType::Datetime, std::int64_t{0}},
      },
      TimestampFormat::UnixEpochMs);
}

TEST(ArgMapping, InvalidDatesFailInBothFormats) {
  for (const auto format : {TimestampFormat::Iso8601, TimestampFormat::UnixEpochMs}) {
    expect_failures(
        {
            {JsDate{std::nan("")}, ScalarType::Datetime, "ARGS_INVALID"},
            {JsDate{8.64e15 + 1}, ScalarType::Datetime, "ARGS_INVALID"},
            {JsDate{-kInf}, ScalarType::Unknown, "ARGS_INVALID"},
        },
        format);
  }
}

TEST(ArgMapping, BytesStringsDecodeFromBase64PaddedOrNot) {
  expect_rows({
      {std::string("AQID"), ScalarType::Bytes, bytes({1, 2, 3})},
      {std::string("AQI="), ScalarType::Bytes, bytes({1, 2})},
      {std::string("AQI"), ScalarType::Bytes, bytes({1, 2})},
      {std::string("AQ=="), ScalarType::Bytes, bytes({1})},
      {std::string("AQ"), ScalarType::Bytes, bytes({1})},
      {std::string(""), ScalarType::Bytes, bytes({})},
      {std::string("+/8="), ScalarType::Bytes, bytes({251, 255})},
      {std::string("-_8"), ScalarType::Bytes, bytes({251, 255})},  // URL-safe, as Node reads it
      {std::string("AAEC/f7/"), ScalarType::Bytes, bytes({0, 1, 2, 253, 254, 255})},
      {std::string("AR=="), ScalarType::Bytes, bytes({1})},  // non-zero spare bits, as Node
  });
}

// Node's Buffer.from(s, 'base64') silently skips what it cannot read ("A Q I D" -> [1,2,3]).
TEST(ArgMapping, InvalidBase64Fails) {
  expect_failures({
      {std::string("A"), ScalarType::Bytes, "ARGS_INVALID"},
      {std::string("AQ="), ScalarType::Bytes, "ARGS_INVALID"},
      {std::string("AQ=ID"), ScalarType::Bytes, "ARGS_INVALID"},
      {std::string("AQID="), ScalarType::Bytes, "ARGS_INVALID"},
      {std::string("AQ==="), ScalarType::Bytes, "ARGS_INVALID"},
      {std::string("A==="), ScalarType::Bytes, "ARGS_INVALID"},
      {std::string("="), ScalarType::Bytes, "ARGS_INVALID"},
      {std::string("A Q I D"), ScalarType::Bytes, "ARGS_INVALID"},
      {std::string("AQID\n"), ScalarType::Bytes, "ARGS_INVALID"},
      {std::string("@@@@"), ScalarType::Bytes, "ARGS_INVALID"},
  });
}

TEST(ArgMapping, BlobsBindAsBlobsWhateverTheType) {
  expect_rows({
      {bytes({1, 2, 3}), ScalarType::Bytes, bytes({1, 2, 3})},
      {bytes({}), ScalarType::Unknown, bytes({})},
      {bytes({0, 255}), ScalarType::String, bytes({0, 255})},
  });
}

TEST(ArgMapping, StringsOfOtherTypesBindAsTextUnchanged) {
  expect_rows({
      {std::string("abc"), ScalarType::String, std::string("abc")},
      {std::string("A"), ScalarType::Enum, std::string("A")},
      {std::string("6f1c2c1e-0b1a-4c8e-9d39-1e7a7c3f0b51"), ScalarType::Uuid,
       std::string("6f1c2c1e-0b1a-4c8e-9d39-1e7a7c3f0b51")},
      {std::string("{\"a\":[1,2]}"), ScalarType::Json, std::string("{\"a\":[1,2]}")},
      {std::string("12"), ScalarType::Int, std::string("12")},
      {std::string("1.5"), ScalarType::Float, std::string("1.5")},
      {std::string("true"), ScalarType::Boolean, std::string("true")},
      {std::string("2024-01-02"), ScalarType::Unknown, std::string("2024-01-02")},
      {std::string("AQID"), ScalarType::String, std::string("AQID")},
      {std::string("a\0b", 3), ScalarType::String, std::string("a\0b", 3)},
      {std::string(""), ScalarType::String, std::string("")},
  });
}

TEST(ArgMapping, ConvertArgsTreatsMissingArgTypesAsUnknown) {
  const std::vector<JsArg> args = {std::string("12"), 3.0, 1.5, std::string("x"), true};
  const std::vector<ScalarType> types = {ScalarType::Bigint, ScalarType::Float};
  const auto values = convert_args(args, types, TimestampFormat::Iso8601);
  const std::vector<Value> expected = {std::int64_t{12}, 3.0, 1.5, std::string("x"),
                                       std::int64_t{1}};
  ASSERT_EQ(values.size(), expected.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    SCOPED_TRACE("input: argument " + std::to_string(i + 1) + " = " + describe(args[i]));
    EXPECT_TRUE(same(values[i], expected[i])) << describe(values[i]);
  }
  EXPECT_TRUE(convert_args({}, {}, TimestampFormat::Iso8601).empty());
}

TEST(ArgMapping, ConvertArgsErrorsNameTheArgumentItsTypeAndTheInput) {
  const std::vector<JsArg> args = {std::string("1"), std::string("12x")};
  const std::vector<ScalarType> types = {ScalarType::Bigint, ScalarType::Bigint};
  try {
    (void)convert_args(args, types, TimestampFormat::Iso8601);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Misuse);
    EXPECT_EQ(e.code_name(), "ARGS_INVALID");
    EXPECT_EQ(std::string(e.what()),
              "ARGS_INVALID: argument 2 (bigint): \"12x\" is not an integer");
  }
}

TEST(ArgMapping, ConvertArgErrorsNameTheTypeAndTheInput) {
  try {
    (void)convert_arg(std::string("9223372036854775808"), ScalarType::Bigint,
                      TimestampFormat::Iso8601);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "VALUE_OUT_OF_RANGE: bigint argument: \"9223372036854775808\" is outside the "
              "64-bit integer range [-9223372036854775808, 9223372036854775807]");
  }
}

TEST(ArgMapping, ErrorMessagesQuoteLongInputsShortenedAndEscaped) {
  const std::string long_input = std::string(1000, 'A') + "!";
  try {
    (void)convert_arg(long_input, ScalarType::Bytes, TimestampFormat::Iso8601);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_LT(what.size(), 200U) << what;
    EXPECT_NE(what.find("(1001 bytes)"), std::string::npos) << what;
  }
  try {
    (void)convert_arg(std::string("\n\"x"), ScalarType::Datetime, TimestampFormat::Iso8601);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"\\x0a\\\"x\""), std::string::npos) << e.what();
  }
}

TEST(ArgMapping, PublicParsersThrowLibsqlErrors) {
  EXPECT_EQ(parse_bigint("-9223372036854775808"), kInt64Min);
  EXPECT_EQ(parse_decimal("2.5"), 2.5);
  EXPECT_THROW((void)parse_bigint("x"), Error);
  EXPECT_THROW((void)parse_decimal("x"), Error);
  EXPECT_EQ(libsql::detail::base64_decode("AQID"), bytes({1, 2, 3}));
  EXPECT_EQ(libsql::detail::base64_decode("A"), std::nullopt);
}

}  // namespace
}  // namespace libsql::prisma
