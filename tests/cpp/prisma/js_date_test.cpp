#include "prisma/js_date.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace libsql::prisma {
namespace {

struct ParseRow {
  std::string input;
  std::int64_t ms;
};

// Expected values measured with Node 20: `new Date(input).getTime()`.
TEST(JsDate, ParsesIsoStringsLikeNewDate) {
  const std::vector<ParseRow> rows = {
      {"2024-01-02T03:04:05.678Z", 1704164645678},
      {"2024-01-02T03:04:05Z", 1704164645000},
      {"2024-01-02", 1704153600000},
      {"2024-01-02T03:04:05.678+01:00", 1704161045678},
      {"2024-01-02T03:04:05.678-01:30", 1704170045678},
      {"2024-01-02T03:04:05.678-0130", 1704170045678},
      {"2024-01-02T03:04Z", 1704164640000},
      {"2024-01-02t03:04:05z", 1704164645000},
      {"2024-01-02 03:04:05Z", 1704164645000},
      {"2024-01-02T03:04:05.6Z", 1704164645600},
      {"2024-01-02T03:04:05.67891234Z", 1704164645678},
      {"2024-01-02T24:00:00Z", 1704240000000},
      {"2024-01-02T24:00Z", 1704240000000},
      {"+010000-01-01T00:00:00Z", 253402300800000},
      {"-000001-01-01T00:00:00Z", -62198755200000},
      {"0000-01-01T00:00:00Z", -62167219200000},
      {"1969-12-31T23:59:59.999Z", -1},
      {"1900-01-01", -2208988800000},
      {"1600-02-29", -11670998400000},
      {"2000-02-29", 951782400000},
      {"2024", 1704067200000},
      {"2024-01", 1704067200000},
      {"2024-01-02T03:04:05+23:59", 1704078305000},
      {"2024-01-02T03:04:05-23:59", 1704250985000},
      {"+275760-09-13T00:00:00.000Z", 8640000000000000},
      {"-271821-04-20T00:00:00.000Z", -8640000000000000},
      {"+275760-09-12T23:00:00.000-01:00", 8640000000000000},
      {"1970-01-01T00:00:00.000+00:00", 0},
      {"9999-12-31T23:59:59.999Z", 253402300799999},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE("input: " + row.input);
    EXPECT_EQ(parse_js_date(row.input), std::optional<std::int64_t>(row.ms));
  }
}

TEST(JsDate, RejectsWhatNewDateRejects) {
  const std::vector<std::string> rows = {
      "",
      "nope",
      "2016-12-31T23:59:60Z",  // leap second
      "2024-01-02T24:00:01Z",  // 24:00 only as midnight
      "2024-01-02T24:01Z",
      "2024-13-01",
      "2024-00-10",
      "2024-01-00",
      "2024-01-32",
      "-000000-01-01T00:00:00Z",      // year minus zero
      "+275760-09-13T00:00:00.001Z",  // past the Date range
      "-271821-04-19T23:59:59.999Z",
      "2024-01-02T03:04:05.Z",  // a '.' needs digits
      "2024-01-02T3:04:05Z",
      "2024-01-02T03:04:05.678+01",  // offset needs minutes
      "2024-01-02T03:04:05.678+24:00",
      "2024-01-02T03:04:05,678Z",
      "2024-01-02T03:04:05.678 Z",
      "2024-01-02T03:60Z",
      "20240102",
  };
  for (const auto& input : rows) {
    SCOPED_TRACE("input: " + input);
    EXPECT_EQ(parse_js_date(input), std::nullopt);
  }
}

// Deliberate divergences: V8 rolls 2023-02-29 over to March 1, reads an offset-less date-time
// in the host's local zone, and accepts "2024-1-2", "2024-01-02Z" and surrounding spaces.
TEST(JsDate, RejectsNonexistentDatesAndAmbiguousFormsThatV8Accepts) {
  const std::vector<std::string> rows = {
      "2023-02-29",
      "2023-02-29T00:00:00Z",
      "2024-02-30T00:00:00Z",
      "2024-04-31",
      "1900-02-29",
      "2024-01-02T03:04:05",
      "2024-01-02T03:04:05.678",
      "2024-1-2",
      " 2024-01-02",
      "2024-01-02 ",
      "2024-01-02Z",
  };
  for (const auto& input : rows) {
    SCOPED_TRACE("input: " + input);
    EXPECT_EQ(parse_js_date(input), std::nullopt);
  }
}

struct FormatRow {
  std::int64_t ms;
  std::string iso;
};

// Expected values measured with Node 20: `new Date(ms).toISOString()`.
TEST(JsDate, FormatsLikeToIsoStringIncludingExtendedYears) {
  const std::vector<FormatRow> rows = {
      {0LL, "1970-01-01T00:00:00.000Z"},
      {-1LL, "1969-12-31T23:59:59.999Z"},
      {1LL, "1970-01-01T00:00:00.001Z"},
      {1704164645678LL, "2024-01-02T03:04:05.678Z"},
      {-62198755200000LL, "-000001-01-01T00:00:00.000Z"},
      {-62198755200001LL, "-000002-12-31T23:59:59.999Z"},
      {-62167219200000LL, "0000-01-01T00:00:00.000Z"},
      {-62167219200001LL, "-000001-12-31T23:59:59.999Z"},
      {253402300799999LL, "9999-12-31T23:59:59.999Z"},
      {253402300800000LL, "+010000-01-01T00:00:00.000Z"},
      {8640000000000000LL, "+275760-09-13T00:00:00.000Z"},
      {-8640000000000000LL, "-271821-04-20T00:00:00.000Z"},
      {951782400000LL, "2000-02-29T00:00:00.000Z"},
      {-2203891200000LL, "1900-03-01T00:00:00.000Z"},
      {-86400000LL, "1969-12-31T00:00:00.000Z"},
      {86399999LL, "1970-01-01T23:59:59.999Z"},
      {-12219292800000LL, "1582-10-15T00:00:00.000Z"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE("ms: " + std::to_string(row.ms));
    EXPECT_EQ(to_js_iso_string(row.ms), row.iso);
  }
}

TEST(JsDate, FormattedStringsParseBackToTheSameTimeValue) {
  for (std::int64_t ms = -kMaxJsDateMs; ms <= kMaxJsDateMs; ms += 863'999'999'937LL) {
    const std::string iso = to_js_iso_string(ms);
    SCOPED_TRACE("ms: " + std::to_string(ms) + ", iso: " + iso);
    ASSERT_EQ(parse_js_date(iso), std::optional<std::int64_t>(ms));
  }
}

struct ClipRow {
  double input;
  std::optional<std::int64_t> expected;
};

TEST(JsDate, TimeClipTruncatesTowardZeroAndRejectsOutOfRange) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<ClipRow> rows = {
      {0.0, 0},
      {-0.0, 0},
      {1.5, 1},
      {-1.5, -1},
      {-0.5, 0},
      {8.64e15, 8'640'000'000'000'000},
      {-8.64e15, -8'640'000'000'000'000},
      {8.64e15 + 2, std::nullopt},
      {-8.64e15 - 2, std::nullopt},
      {std::nan(""), std::nullopt},
      {inf, std::nullopt},
      {-inf, std::nullopt},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE("input: " + std::to_string(row.input));
    EXPECT_EQ(js_time_clip(row.input), row.expected);
  }
}

}  // namespace
}  // namespace libsql::prisma
