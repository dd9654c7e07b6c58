#include "row_pack.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace libsql::node {
namespace {

using prisma::ColumnType;
using prisma::PrismaResult;

/// The rows of a pack, decoded the way lib/index.js's decodeRows does (text cells as UTF-16
/// code-unit ranges, returned here as the UTF-8 bytes they came from when the text is ASCII).
struct Decoded {
  std::vector<std::vector<std::string>> cells;  // "null", "n:<number>", "t:<range>", "b:<bytes>"
};

Decoded decode(const RowPack& p) {
  Decoded d;
  const std::uint8_t* at = p.bytes.data();
  std::vector<double> nums(p.num_count);
  std::memcpy(nums.data(), at, nums.size() * 8);
  at += nums.size() * 8;
  std::vector<std::uint32_t> text_ends(p.text_count), blob_ends(p.blob_count);
  std::memcpy(text_ends.data(), at, text_ends.size() * 4);
  at += text_ends.size() * 4;
  std::memcpy(blob_ends.data(), at, blob_ends.size() * 4);
  at += blob_ends.size() * 4;
  const std::uint8_t* tags = at;
  const std::uint8_t* blobs = tags + std::size_t{p.rows} * p.columns;
  std::size_t cell = 0, num = 0, text = 0, blob = 0;
  std::uint32_t text_start = 0, blob_start = 0;
  for (std::uint32_t r = 0; r < p.rows; ++r) {
    std::vector<std::string> row;
    for (std::uint32_t c = 0; c < p.columns; ++c) {
      switch (tags[cell++]) {
        case RowPack::kNumber: row.push_back("n:" + std::to_string(nums[num++])); break;
        case RowPack::kText: {
          const auto end = text_ends[text++];
          row.push_back("t:" + std::to_string(text_start) + "-" + std::to_string(end));
          text_start = end;
          break;
        }
        case RowPack::kBlob: {
          const auto end = blob_ends[blob++];
          row.push_back("b:" + std::string(reinterpret_cast<const char*>(blobs) + blob_start, end - blob_start));
          blob_start = end;
          break;
        }
        default: row.push_back("null");
      }
    }
    d.cells.push_back(row);
  }
  return d;
}

PrismaResult sample(std::size_t rows, const std::vector<std::string>& texts) {
  PrismaResult r;
  r.column_names = {"id", "name", "price", "data", "note"};
  r.column_types = {ColumnType::Int32, ColumnType::Text, ColumnType::Double, ColumnType::Bytes, ColumnType::Text};
  for (std::size_t i = 0; i < rows; ++i) {
    r.rows.push_back({Value(static_cast<std::int64_t>(i)), Value(texts[i % texts.size()]), Value(static_cast<double>(i) * 0.5),
                      i % 3 ? Value(make_blob(std::string(i % 5, 'x'))) : Value(), i % 2 ? Value("n") : Value()});
  }
  return r;
}

/// `r` with its rows in compact form.
PrismaResult compacted(PrismaResult r) {
  r.compact = detail::to_compact(r.rows, r.column_names.size());
  r.rows.clear();
  return r;
}

TEST(RowPack, RowsAndCompactRowsPackTheSame) {
  for (const auto& texts : {std::vector<std::string>{"plain", "", "x"},
                            std::vector<std::string>{"café", "日本", "emoji 😀!", "a"}}) {
    PrismaResult rows = sample(40, texts);
    PrismaResult compact = compacted(rows);
    auto a = pack_rows(rows);
    auto b = pack_rows(compact);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->bytes, b->bytes);
    EXPECT_EQ(a->text, b->text);
    EXPECT_EQ(a->ascii, b->ascii);
    EXPECT_EQ(a->num_count, 40u * 2);
    EXPECT_EQ(a->text_count, 40u + 20u);
    EXPECT_EQ(a->column_names, b->column_names);
    EXPECT_EQ(a->column_types, b->column_types);
    const Decoded d = decode(*a);
    ASSERT_EQ(d.cells.size(), 40u);
    EXPECT_EQ(d.cells[1][0], "n:" + std::to_string(1.0));
    EXPECT_EQ(d.cells[0][3], "null");
    EXPECT_EQ(d.cells[4][3], "b:xxxx");
    EXPECT_EQ(d.cells[2][4], "null");
  }
}

TEST(RowPack, TextEndsCountUtf16CodeUnits) {
  PrismaResult r = sample(20, {"é", "日", "😀", "ab"});
  auto p = pack_rows(r);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->ascii);
  const Decoded d = decode(*p);
  // Rows 0..3: é (1 unit), 日 (1), 😀 (2: a surrogate pair), ab (2); each followed by "n"
  // (odd rows) in the note column.
  EXPECT_EQ(d.cells[0][1], "t:0-1");
  EXPECT_EQ(d.cells[1][1], "t:1-2");
  EXPECT_EQ(d.cells[1][4], "t:2-3");
  EXPECT_EQ(d.cells[2][1], "t:3-5");
  EXPECT_EQ(d.cells[3][1], "t:5-7");
  EXPECT_EQ(d.cells[3][4], "t:7-8");
  // The same from compact rows.
  PrismaResult c = compacted(sample(20, {"é", "日", "😀", "ab"}));
  auto q = pack_rows(c);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->bytes, p->bytes);
}

TEST(RowPack, InvalidUtf8AndSmallResultsAreLeftToTheCellByCellPath) {
  for (const std::string& bad : {std::string("a\xff" "b"), std::string("\xc0\x80"), std::string("\xed\xa0\x80"),
                                std::string("\xf0\x9f\x98")}) {
    PrismaResult rows = sample(20, {"ok", bad});
    EXPECT_FALSE(pack_rows(rows));
    EXPECT_EQ(rows.rows.size(), 20u) << "untouched";
    PrismaResult compact = compacted(sample(20, {"ok", bad}));
    EXPECT_FALSE(pack_rows(compact));
    ASSERT_TRUE(compact.compact) << "untouched";
    EXPECT_EQ(compact.compact->row_count, 20u);
    EXPECT_FALSE(compact.column_names.empty());
  }
  PrismaResult small = sample(12, {"x"});  // 60 cells
  EXPECT_FALSE(pack_rows(small));
  PrismaResult big_enough = sample(13, {"x"});  // 65 cells
  EXPECT_TRUE(pack_rows(big_enough));
}

}  // namespace
}  // namespace libsql::node
