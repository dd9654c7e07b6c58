#include "cli/result_format.hpp"

#include <gtest/gtest.h>

namespace libsql::cli {
namespace {

ResultSet sample() {
  ResultSet rs;
  rs.columns = {{"id", "INTEGER"}, {"name", "TEXT"}, {"score", "REAL"}, {"data", "BLOB"}};
  rs.rows = {{Value(std::int64_t{1}), Value(std::string("Ada")), Value(2.5), Value(make_blob("\x01\xff"))},
             {Value(std::int64_t{22}), Value(std::string("Zoë, \"Z\"\nline")), Value(), Value()}};
  return rs;
}

TEST(ResultFormat, TableIsABoxWithNumbersOnTheRight) {
  EXPECT_EQ(format_result(sample(), OutputMode::Table),
            "+----+----------------+-------+---------+\n"
            "| id | name           | score | data    |\n"
            "+----+----------------+-------+---------+\n"
            "|  1 | Ada            |   2.5 | X'01FF' |\n"
            "| 22 | Zoë, \"Z\"\\nline | NULL  | NULL    |\n"
            "+----+----------------+-------+---------+\n");
}

TEST(ResultFormat, CsvQuotesWhatNeedsQuoting) {
  EXPECT_EQ(format_result(sample(), OutputMode::Csv),
            "id,name,score,data\n"
            "1,Ada,2.5,X'01FF'\n"
            "22,\"Zoë, \"\"Z\"\"\nline\",,\n");
}

TEST(ResultFormat, JsonIsAnArrayOfObjectsWithExactIntegers) {
  ResultSet rs = sample();
  rs.rows.push_back({Value(std::int64_t{9007199254740993}), Value(std::string("\x01")), Value(0.1), Value()});
  EXPECT_EQ(format_result(rs, OutputMode::Json),
            "[{\"id\":1,\"name\":\"Ada\",\"score\":2.5,\"data\":\"X'01FF'\"},\n"
            "{\"id\":22,\"name\":\"Zoë, \\\"Z\\\"\\nline\",\"score\":null,\"data\":null},\n"
            "{\"id\":9007199254740993,\"name\":\"\\u0001\",\"score\":0.1,\"data\":null}]\n");
}

TEST(ResultFormat, EmptyResults) {
  ResultSet rs;
  rs.columns = {{"a", ""}};
  EXPECT_EQ(format_result(rs, OutputMode::Table), "");
  EXPECT_EQ(format_result(rs, OutputMode::Csv), "");
  EXPECT_EQ(format_result(rs, OutputMode::Json), "[]\n");
  EXPECT_EQ(format_result(ResultSet{}, OutputMode::Json), "");  // no columns: not a query
}

TEST(ResultFormat, InvalidUtf8StaysValidJson) {
  ResultSet rs;
  rs.columns = {{"t", ""}};
  rs.rows = {{Value(std::string("a\xff" "b\xe2\x82"))}};
  EXPECT_EQ(format_result(rs, OutputMode::Json), "[{\"t\":\"a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\"}]\n");
}

TEST(ResultFormat, ModeNames) {
  EXPECT_EQ(parse_output_mode("csv"), OutputMode::Csv);
  EXPECT_EQ(parse_output_mode("json"), OutputMode::Json);
  EXPECT_EQ(parse_output_mode("table"), OutputMode::Table);
  EXPECT_EQ(parse_output_mode("list"), std::nullopt);
}

}  // namespace
}  // namespace libsql::cli
