// The one JSON string writer (src/core/json_writer.hpp): escapes, control characters, and what
// happens to bytes that are not UTF-8 (replaced by U+FFFD, or refused).
#include "core/json_writer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using libsql::detail::append_json_string;
using libsql::detail::InvalidUtf8;
using libsql::detail::is_valid_utf8;
using libsql::detail::json_string;
using libsql::detail::utf8_sequence_length;

struct Case {
  std::string in;
  std::string out;
};

TEST(JsonWriter, EscapesQuotesBackslashesAndControlCharacters) {
  const Case cases[] = {
      {"", R"("")"},
      {"plain", R"("plain")"},
      {"say \"hi\"", R"("say \"hi\"")"},
      {"back\\slash", R"("back\\slash")"},
      {"/ stays", R"("/ stays")"},
      {"\b\f\n\r\t", R"("\b\f\n\r\t")"},
      {std::string("nul\0byte", 8), R"("nul\u0000byte")"},
      {"\x01\x1f", R"("\u0001\u001f")"},
      {"\x7f", R"("\u007f")"},
      {"\x20~", R"(" ~")"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(json_string(c.in), c.out);
    std::string strict;
    ASSERT_TRUE(append_json_string(strict, c.in, InvalidUtf8::Reject));
    EXPECT_EQ(strict, c.out);
  }
}

TEST(JsonWriter, NoRawControlByteEverReachesTheOutput) {
  std::string all;
  for (int b = 0; b < 0x80; ++b) all.push_back(static_cast<char>(b));
  const std::string out = json_string(all);
  for (std::size_t i = 1; i + 1 < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    EXPECT_TRUE(c >= 0x20 && c != 0x7f) << "raw byte " << static_cast<int>(c) << " at " << i;
  }
}

TEST(JsonWriter, ValidUtf8IsCopiedAsIs) {
  const std::string text = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf";
  EXPECT_TRUE(is_valid_utf8(text));
  EXPECT_EQ(json_string(text), "\"" + text + "\"");
  std::string strict;
  EXPECT_TRUE(append_json_string(strict, text, InvalidUtf8::Reject));
  EXPECT_EQ(strict, "\"" + text + "\"");
}

TEST(JsonWriter, InvalidUtf8IsReplacedOrRefused) {
  const std::string fffd = "\xef\xbf\xbd";
  const Case cases[] = {
      {"a\xff" "b", "\"a" + fffd + "b\""},                     // not a lead byte
      {"\x80", "\"" + fffd + "\""},                             // stray continuation byte
      {"\xc3", "\"" + fffd + "\""},                             // truncated at the end
      {"\xe2\x82" "x", "\"" + fffd + fffd + "x\""},             // truncated before ASCII
      {"\xc0\xaf", "\"" + fffd + fffd + "\""},                  // overlong '/'
      {"\xe0\x80\xaf", "\"" + fffd + fffd + fffd + "\""},       // overlong, 3 bytes
      {"\xed\xa0\x80", "\"" + fffd + fffd + fffd + "\""},       // a UTF-16 surrogate
      {"\xf4\x90\x80\x80", "\"" + fffd + fffd + fffd + fffd + "\""},  // beyond U+10FFFF
      {"ok\xc3\xa9\xff", "\"ok\xc3\xa9" + fffd + "\""},        // valid, then invalid
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_FALSE(is_valid_utf8(c.in));
    EXPECT_EQ(json_string(c.in), c.out);
    EXPECT_TRUE(is_valid_utf8(json_string(c.in))) << "the replaced output is valid UTF-8";
    std::string strict;
    EXPECT_FALSE(append_json_string(strict, c.in, InvalidUtf8::Reject));
  }
}

TEST(JsonWriter, Utf8SequenceLengths) {
  EXPECT_EQ(utf8_sequence_length("a", 0), 1u);
  EXPECT_EQ(utf8_sequence_length("\xc3\xa9", 0), 2u);
  EXPECT_EQ(utf8_sequence_length("\xe2\x82\xac", 0), 3u);
  EXPECT_EQ(utf8_sequence_length("\xf0\x9f\x98\x80", 0), 4u);
  EXPECT_EQ(utf8_sequence_length("\xf0\x9f\x98", 0), 0u);
  EXPECT_EQ(utf8_sequence_length("x\xc3\xa9", 1), 2u);
}

TEST(JsonWriter, AppendsToWhatIsThere) {
  std::string out = "{\"k\":";
  append_json_string(out, "v");
  out += "}";
  EXPECT_EQ(out, R"({"k":"v"})");
}

}  // namespace
