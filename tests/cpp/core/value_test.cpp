// Values (include/libsql/value.hpp), make_blob and the compact row form (src/core/value.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/fast_path.hpp"
#include "libsql/result.hpp"
#include "libsql/value.hpp"

using libsql::Blob;
using libsql::detail::CompactRows;
using libsql::detail::FastPath;
using libsql::NamedArg;
using libsql::Row;
using libsql::Statement;
using libsql::Value;
using libsql::ValueType;

namespace {

TEST(Value, TypeOfFollowsTheStorageClass) {
  EXPECT_EQ(libsql::type_of(Value()), ValueType::Null);
  EXPECT_EQ(libsql::type_of(Value(std::int64_t{1})), ValueType::Integer);
  EXPECT_EQ(libsql::type_of(Value(1.5)), ValueType::Real);
  EXPECT_EQ(libsql::type_of(Value(std::string("x"))), ValueType::Text);
  EXPECT_EQ(libsql::type_of(Value(Blob{})), ValueType::Blob);
  EXPECT_TRUE(libsql::is_null(Value()));
  EXPECT_TRUE(libsql::is_null(Value(std::monostate{})));
  EXPECT_FALSE(libsql::is_null(Value(std::int64_t{0})));
  EXPECT_FALSE(libsql::is_null(Value(std::string())));
  EXPECT_FALSE(libsql::is_null(Value(Blob{})));
}

TEST(Value, EqualityIsPerStorageClass) {
  EXPECT_EQ(Value(std::int64_t{1}), Value(std::int64_t{1}));
  EXPECT_NE(Value(std::int64_t{1}), Value(1.0));  // INTEGER 1 is not REAL 1.0
  EXPECT_NE(Value(std::string("1")), Value(std::int64_t{1}));
  EXPECT_NE(Value(std::string("ab")), Value(libsql::make_blob("ab")));
  EXPECT_EQ(Value(), Value());
  EXPECT_EQ(Value(libsql::make_blob("ab")), Value(libsql::make_blob("ab")));
  EXPECT_NE(Value(libsql::make_blob("ab")), Value(libsql::make_blob("abc")));
}

TEST(MakeBlob, CopiesEveryByteIncludingNul) {
  EXPECT_TRUE(libsql::make_blob("").bytes.empty());
  EXPECT_EQ(libsql::make_blob(std::string_view()).bytes.size(), 0u);
  const std::string raw("a\0\xff\x80z", 5);
  Blob b = libsql::make_blob(raw);
  ASSERT_EQ(b.bytes.size(), 5u);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    EXPECT_EQ(std::to_integer<unsigned char>(b.bytes[i]), static_cast<unsigned char>(raw[i])) << i;
  }
  Blob same = libsql::make_blob(raw);
  EXPECT_EQ(b, same);
  same.bytes[1] = std::byte{1};
  EXPECT_NE(b, same);
}

TEST(Statement, Constructors) {
  Statement a = "SELECT 1";
  EXPECT_EQ(a.sql, "SELECT 1");
  EXPECT_TRUE(a.args.empty());
  EXPECT_TRUE(a.named_args.empty());
  EXPECT_FALSE(FastPath::wants_compact(a));

  Statement b("SELECT ?, ?", {Value(std::int64_t{1}), Value(std::string("x"))});
  ASSERT_EQ(b.args.size(), 2u);
  EXPECT_EQ(b.args[0], Value(std::int64_t{1}));
  EXPECT_EQ(b.args[1], Value(std::string("x")));
  EXPECT_TRUE(b.named_args.empty());

  Statement c("SELECT :x, @y", {NamedArg{":x", Value(2.5)}, NamedArg{"y", Value()}});
  EXPECT_TRUE(c.args.empty());
  ASSERT_EQ(c.named_args.size(), 2u);
  EXPECT_EQ(c.named_args[0].first, ":x");
  EXPECT_EQ(c.named_args[0].second, Value(2.5));
  EXPECT_EQ(c.named_args[1].first, "y");
  EXPECT_TRUE(libsql::is_null(c.named_args[1].second));

  std::vector<Value> v = {Value(std::int64_t{3})};
  Statement d(std::string("SELECT ?"), v);
  EXPECT_EQ(d.args, v);
  std::vector<NamedArg> n = {NamedArg{"$z", Value(std::int64_t{4})}};
  Statement e(std::string("SELECT $z"), n);
  EXPECT_EQ(e.named_args, n);
}

std::vector<Row> sample_rows() {
  return {
      {Value(), Value(std::int64_t{1}), Value(0.5), Value(std::string("ab")), Value(libsql::make_blob("xyz"))},
      {Value(std::string()), Value(libsql::make_blob("")), Value(), Value(std::numeric_limits<std::int64_t>::min()),
       Value(-0.0)},
      {Value(std::string("caf\xc3\xa9\0!", 7)), Value(std::numeric_limits<std::int64_t>::max()),
       Value(libsql::make_blob(std::string("\0\xff", 2))), Value(1e300), Value(std::string("last"))},
  };
}

TEST(CompactRows, ToCompactLaysOutCellsByKind) {
  const auto rows = sample_rows();
  CompactRows c = libsql::detail::to_compact(rows, 5);
  EXPECT_EQ(c.row_count, 3u);
  EXPECT_EQ(c.column_count, 5u);
  EXPECT_EQ(c.tags, (std::vector<std::uint8_t>{0, 1, 2, 3, 4, 3, 4, 0, 1, 2, 3, 1, 4, 2, 3}));
  EXPECT_EQ(c.integers, (std::vector<std::int64_t>{1, std::numeric_limits<std::int64_t>::min(),
                                                   std::numeric_limits<std::int64_t>::max()}));
  ASSERT_EQ(c.reals.size(), 3u);
  EXPECT_EQ(c.reals[0], 0.5);
  EXPECT_TRUE(std::signbit(c.reals[1]));
  EXPECT_EQ(c.reals[2], 1e300);
  EXPECT_EQ(c.text, std::string("ab") + std::string("caf\xc3\xa9\0!", 7) + "last");
  EXPECT_EQ(c.text_ends, (std::vector<std::uint32_t>{2, 2, 9, 13}));
  EXPECT_EQ(c.blobs, (std::vector<std::uint8_t>{'x', 'y', 'z', 0x00, 0xff}));
  EXPECT_EQ(c.blob_ends, (std::vector<std::uint32_t>{3, 3, 5}));
}

TEST(CompactRows, RoundTripsThroughRows) {
  const auto rows = sample_rows();
  const auto back = libsql::detail::to_rows(libsql::detail::to_compact(rows, 5));
  ASSERT_EQ(back.size(), rows.size());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    ASSERT_EQ(back[r].size(), rows[r].size()) << r;
    for (std::size_t col = 0; col < rows[r].size(); ++col) {
      EXPECT_EQ(back[r][col], rows[r][col]) << r << "," << col;
    }
  }
  EXPECT_TRUE(std::signbit(std::get<double>(back[1][4])));  // -0.0 keeps its sign
}

TEST(CompactRows, EmptyResults) {
  CompactRows none = libsql::detail::to_compact({}, 3);
  EXPECT_EQ(none.row_count, 0u);
  EXPECT_EQ(none.column_count, 3u);
  EXPECT_TRUE(none.tags.empty());
  EXPECT_TRUE(libsql::detail::to_rows(none).empty());

  // Rows with no columns (e.g. a statement without a result) stay rows.
  CompactRows zero_cols = libsql::detail::to_compact({Row{}, Row{}}, 0);
  EXPECT_EQ(zero_cols.row_count, 2u);
  const auto back = libsql::detail::to_rows(zero_cols);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_TRUE(back[0].empty());
  EXPECT_TRUE(back[1].empty());
}

TEST(CompactRows, HandBuiltCompactRowsDecode) {
  CompactRows c;
  c.row_count = 2;
  c.column_count = 2;
  c.tags = {CompactRows::kText, CompactRows::kInteger, CompactRows::kBlob, CompactRows::kNull};
  c.text = "hi";
  c.text_ends = {2};
  c.integers = {-7};
  c.blobs = {1, 2};
  c.blob_ends = {2};
  const auto rows = libsql::detail::to_rows(c);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0], Value(std::string("hi")));
  EXPECT_EQ(rows[0][1], Value(std::int64_t{-7}));
  Blob expected;
  expected.bytes = {std::byte{1}, std::byte{2}};
  EXPECT_EQ(rows[1][0], Value(expected));
  EXPECT_TRUE(libsql::is_null(rows[1][1]));
}

TEST(ResultSet, RowCountInEitherForm) {
  libsql::ResultSet rs;
  EXPECT_EQ(rs.row_count(), 0u);
  rs.rows = sample_rows();
  EXPECT_EQ(rs.row_count(), 3u);
  FastPath::set_compact(rs, libsql::detail::to_compact(rs.rows, 5));
  rs.rows.clear();
  EXPECT_EQ(rs.row_count(), 3u);
  const libsql::ResultSet copy = rs;  // copies copy the compact rows
  ASSERT_NE(FastPath::compact(copy), nullptr);
  EXPECT_NE(FastPath::compact(copy), FastPath::compact(rs));
  EXPECT_EQ(libsql::detail::to_rows(*FastPath::compact(copy)), sample_rows());
  libsql::ResultSet moved = std::move(rs);
  EXPECT_EQ(moved.row_count(), 3u);
  ASSERT_TRUE(FastPath::take_compact(moved).has_value());
  EXPECT_EQ(FastPath::compact(moved), nullptr);
  EXPECT_EQ(moved.row_count(), 0u);
}

TEST(Statement, CompactIsAskedForOnlyThroughTheFastPath) {
  Statement s = "SELECT 1";
  FastPath::want_compact(s);
  EXPECT_TRUE(FastPath::wants_compact(s));
  const Statement copy = s;
  EXPECT_TRUE(FastPath::wants_compact(copy));
  FastPath::want_compact(s, false);
  EXPECT_FALSE(FastPath::wants_compact(s));
}

}  // namespace
