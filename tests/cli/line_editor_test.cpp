#include "cli/line_editor.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "cli_test_support.hpp"

namespace libsql::cli {
namespace {

std::vector<Key> decode_all(std::string input) {
  std::vector<Key> keys;
  while (auto k = decode_key(input)) keys.push_back(*k);
  EXPECT_TRUE(input.empty()) << "left undecoded: " << input.size() << " bytes";
  return keys;
}

Key::Kind kind_of(const char* bytes) {
  std::string in = bytes;
  auto k = decode_key(in);
  return k ? k->kind : Key::Ignore;
}

TEST(LineEditorKeys, DecodesControlKeysAndEscapeSequences) {
  const std::vector<std::pair<const char*, Key::Kind>> table = {
      {"\r", Key::Enter},          {"\n", Key::Enter},          {"\x7f", Key::Backspace},
      {"\x08", Key::Backspace},    {"\x01", Key::Home},         {"\x05", Key::End},
      {"\x02", Key::Left},         {"\x06", Key::Right},        {"\x10", Key::Up},
      {"\x0e", Key::Down},         {"\x0b", Key::KillToEnd},    {"\x15", Key::KillToStart},
      {"\x17", Key::KillWordBack}, {"\x03", Key::Interrupt},    {"\x04", Key::EndOfFile},
      {"\x0c", Key::ClearScreen},  {"\x1b[A", Key::Up},         {"\x1b[B", Key::Down},
      {"\x1b[C", Key::Right},      {"\x1b[D", Key::Left},       {"\x1b[H", Key::Home},
      {"\x1b[F", Key::End},        {"\x1bOH", Key::Home},       {"\x1bOF", Key::End},
      {"\x1bOA", Key::Up},         {"\x1b[1~", Key::Home},      {"\x1b[4~", Key::End},
      {"\x1b[7~", Key::Home},      {"\x1b[8~", Key::End},       {"\x1b[3~", Key::Delete},
      {"\x1b[1;5C", Key::WordRight}, {"\x1b[1;5D", Key::WordLeft}, {"\x1b" "b", Key::WordLeft},
      {"\x1b" "f", Key::WordRight},  {"\x1b\x7f", Key::KillWordBack}, {"\x1b[5~", Key::Ignore},
      {"\x1b[200~", Key::Ignore},  {"\x1a", Key::Ignore},
  };
  for (const auto& [bytes, kind] : table) {
    EXPECT_EQ(kind_of(bytes), kind) << "bytes of length " << std::string(bytes).size();
  }
}

TEST(LineEditorKeys, WaitsForTheRestOfASequenceOrCharacter) {
  for (const char* partial : {"\x1b", "\x1b[", "\x1b[1;5", "\xc3", "\xe2\x82"}) {
    std::string in = partial;
    EXPECT_FALSE(decode_key(in).has_value());
    EXPECT_EQ(in, partial);
  }
}

TEST(LineEditorKeys, APasteIsOneTextKeyPerLine) {
  const auto keys = decode_all("SELECT 'é€😀';\r\nSELECT\t2;\r");
  ASSERT_EQ(keys.size(), 6u);
  EXPECT_EQ(keys[0].kind, Key::Text);
  EXPECT_EQ(keys[0].text, "SELECT 'é€😀';");
  EXPECT_EQ(keys[1].kind, Key::Enter);  // CRLF: one Enter
  EXPECT_EQ(keys[2].text, "SELECT");
  EXPECT_EQ(keys[3].text, " ");  // a tab becomes a space
  EXPECT_EQ(keys[4].text, "2;");
  EXPECT_EQ(keys[5].kind, Key::Enter);
}

TEST(LineBuffer, EditsByCodePoint) {
  LineBuffer b;
  b.insert("SELEC 42;");
  b.home();
  for (int i = 0; i < 5; ++i) b.right();
  b.insert("T");
  EXPECT_EQ(b.text(), "SELECT 42;");
  b.end();
  b.insert(" -- é€");
  b.backspace();
  EXPECT_EQ(b.text(), "SELECT 42; -- é");
  b.left();
  b.erase();
  EXPECT_EQ(b.text(), "SELECT 42; -- ");
  b.kill_word_back();
  EXPECT_EQ(b.text(), "SELECT 42; ");
  b.word_left();
  EXPECT_EQ(b.cursor(), 7u);
  b.word_left();
  EXPECT_EQ(b.cursor(), 0u);
  b.word_right();
  EXPECT_EQ(b.cursor(), 6u);
  b.kill_to_end();
  EXPECT_EQ(b.text(), "SELECT");
  b.left();
  b.kill_to_start();
  EXPECT_EQ(b.text(), "T");
  EXPECT_EQ(b.cursor(), 0u);
  b.left();  // at the start: nothing happens
  b.backspace();
  EXPECT_EQ(b.text(), "T");
}

TEST(LineBuffer, AppliesEditingKeysOnly) {
  LineBuffer b;
  EXPECT_TRUE(b.apply(Key{Key::Text, "ab"}));
  EXPECT_TRUE(b.apply(Key{Key::Left, {}}));
  EXPECT_TRUE(b.apply(Key{Key::Text, "X"}));
  EXPECT_EQ(b.text(), "aXb");
  EXPECT_FALSE(b.apply(Key{Key::Enter, {}}));
  EXPECT_FALSE(b.apply(Key{Key::Up, {}}));
}

TEST(History, SkipsBlanksAndRepeatsKeepsTheNewestAndPersistsPrivately) {
  libsql::test::TempDb tmp;
  const auto file = tmp.dir() / "history";
  {
    History h(3);
    h.attach_file(file);
    for (const char* l : {"a", "a", "  ", "b", "c", "d"}) h.add(l);
    EXPECT_EQ(h.entries(), (std::vector<std::string>{"b", "c", "d"}));
  }
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  History again(3);
  again.attach_file(file);
  EXPECT_EQ(again.entries(), (std::vector<std::string>{"b", "c", "d"}));
  for (int i = 0; i < 10; ++i) again.add("x" + std::to_string(i));
  History bounded(3);
  bounded.attach_file(file);  // more than twice the limit on file: rewritten
  EXPECT_EQ(bounded.entries(), (std::vector<std::string>{"x7", "x8", "x9"}));
  EXPECT_EQ(test::read_text(file), "x7\nx8\nx9\n");
}

TEST(Viewport, ScrollsToKeepTheCursorVisible) {
  // 20 columns, prompt of 8: 11 columns of text (the last column stays free).
  const std::string text = "0123456789abcdefghij";
  Viewport v = compute_viewport(text, 0, 8, 20);
  EXPECT_EQ(v.first, 0u);
  EXPECT_EQ(v.last, 11u);
  EXPECT_EQ(v.cursor_column, 8u);
  v = compute_viewport(text, text.size(), 8, 20);
  EXPECT_EQ(v.last, text.size());
  EXPECT_EQ(v.first, text.size() - 11);
  EXPECT_EQ(v.cursor_column, 19u);
  const std::string utf8 = "éééé";  // 2 bytes each
  v = compute_viewport(utf8, 4, 2, 80);
  EXPECT_EQ(v.cursor_column, 4u);
  EXPECT_EQ(v.last, utf8.size());
}

}  // namespace
}  // namespace libsql::cli
