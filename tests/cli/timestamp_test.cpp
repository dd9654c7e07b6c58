#include "cli/timestamp.hpp"

#include <gtest/gtest.h>

namespace libsql::cli {
namespace {

constexpr EpochMillis kT = 1795484304088;  // 2026-11-24T01:38:24.088Z

TEST(Timestamp, ReadsEveryFormatThatEndsUpInPrismasHistoryTable) {
  struct Case {
    const char* text;
    std::optional<EpochMillis> ms;
  };
  const std::vector<Case> cases = {
      {"2026-11-24T01:38:24.088+00:00", kT},  // Prisma 6 adapter path
      {"2026-11-24T01:38:24.088Z", kT},       // Date.toISOString
      {"2026-11-24 01:38:24", kT - 88},       // SQLite CURRENT_TIMESTAMP (UTC)
      {"2026-11-24 01:38:24.088", kT},
      {"2026-11-24T02:38:24.088+01:00", kT},
      {"2026-11-23T20:38:24.088-05:00", kT},
      {"2026-11-24T02:38:24.088+0100", kT},
      {"2026-11-24T01:38:24.088123456Z", kT},  // extra precision truncated
      {"2026-11-24T01:38:24.1Z", kT - 88 + 100},
      {"2026-11-24T01:38Z", kT - 24088},
      {"2026-11-24 01:38:24 UTC", kT - 88},
      {"  2026-11-24 01:38:24  ", kT - 88},
      {"2026-11-24", kT - (1 * 3600 + 38 * 60 + 24) * 1000 - 88},
      {"1795484304088", kT},  // integer milliseconds stored as text
      {"1970-01-01T00:00:00Z", 0},
      {"1969-12-31T23:59:59.999Z", -1},
      {"", std::nullopt},
      {"yesterday", std::nullopt},
      {"2026-13-01 00:00:00", std::nullopt},
      {"2026-02-30 00:00:00", std::nullopt},
      {"2026-11-24 25:00:00", std::nullopt},
      {"2026-11-24T01:38:24.Z", std::nullopt},
      {"2026-11-24T01:38:24+25:00", std::nullopt},
      {"2026-11-24T01:38:24 nonsense", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_timestamp_text(c.text), c.ms) << '"' << c.text << '"';
  }
}

TEST(Timestamp, ReadsIntegersAndRealsAsMillisecondsAndNothingElse) {
  EXPECT_EQ(parse_timestamp(Value(kT)), kT);  // Prisma's native engine
  EXPECT_EQ(parse_timestamp(Value(static_cast<double>(kT) + 0.4)), kT);
  EXPECT_EQ(parse_timestamp(Value(std::string("2026-11-24T01:38:24.088Z"))), kT);
  EXPECT_EQ(parse_timestamp(Value()), std::nullopt);
  EXPECT_EQ(parse_timestamp(Value(make_blob("x"))), std::nullopt);
  EXPECT_EQ(parse_timestamp(Value(1e300)), std::nullopt);
}

TEST(Timestamp, WritesWhatPrismasAdapterPathWritesAndReadsItBack) {
  EXPECT_EQ(format_iso_millis(kT), "2026-11-24T01:38:24.088+00:00");
  EXPECT_EQ(format_iso_millis(0), "1970-01-01T00:00:00.000+00:00");
  EXPECT_EQ(format_iso_millis(-1), "1969-12-31T23:59:59.999+00:00");
  EXPECT_EQ(format_human(kT), "2026-11-24 01:38:24 UTC");
  const EpochMillis now = now_millis();
  EXPECT_EQ(parse_timestamp_text(format_iso_millis(now)), now);
  EXPECT_GT(now, kT - 86'400'000LL * 365 * 10);
}

}  // namespace
}  // namespace libsql::cli
