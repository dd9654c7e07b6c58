#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace libsql::cli {

/// One key press (or a run of typed/pasted text) decoded from terminal input.
struct Key {
  enum Kind {
    Text, Enter, Backspace, Delete, Left, Right, Home, End, Up, Down,
    WordLeft, WordRight, KillToEnd, KillToStart, KillWordBack, Interrupt, EndOfFile,
    ClearScreen, Ignore,
  };
  Kind kind = Ignore;
  std::string text{};  ///< for Text: UTF-8, printable only
};

/// Decodes the front of `input` (raw terminal bytes: UTF-8 text, control keys, VT100/xterm
/// escape sequences) into one key and removes its bytes. Nullopt when `input` holds only
/// the start of a sequence: read more (a lone ESC that stays alone is the caller's call).
/// Consecutive printable characters come back as one Text key (fast pastes).
[[nodiscard]] std::optional<Key> decode_key(std::string& input);

/// The line being edited: UTF-8 text and a cursor (a byte offset on a code point boundary).
class LineBuffer {
 public:
  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  [[nodiscard]] std::size_t cursor() const noexcept { return cursor_; }
  void set(std::string text);  ///< cursor at the end
  void insert(std::string_view s);
  void backspace();
  void erase();  ///< the code point under the cursor
  void left();
  void right();
  void home() noexcept { cursor_ = 0; }
  void end() noexcept { cursor_ = text_.size(); }
  void word_left();
  void word_right();
  void kill_to_end();
  void kill_to_start();
  void kill_word_back();
  /// Applies an editing key; false for keys it does not handle (Enter, Up, ...).
  bool apply(const Key& key);

 private:
  [[nodiscard]] std::size_t prev_boundary(std::size_t i) const noexcept;
  [[nodiscard]] std::size_t next_boundary(std::size_t i) const noexcept;

  std::string text_{};
  std::size_t cursor_ = 0;
};

/// Entered lines, oldest first, with a file in $HOME (one line per entry, mode 0600).
class History {
 public:
  explicit History(std::size_t max_entries = 1000) : max_(max_entries) {}
  /// Skips blank lines and repeats of the last entry; appends to the file when there is one.
  void add(std::string_view line);
  [[nodiscard]] const std::vector<std::string>& entries() const noexcept { return entries_; }
  /// Loads the file (a missing file is fine) and keeps writing new entries to it.
  void attach_file(std::filesystem::path path);
  /// `$LIBSQL_CPP_HISTORY`, else `$HOME/.libsql_cpp_history`; nullopt when neither is set.
  [[nodiscard]] static std::optional<std::filesystem::path> default_path();

 private:
  std::vector<std::string> entries_{};
  std::size_t max_;
  std::optional<std::filesystem::path> file_{};
};

/// Which part of a line is visible in a terminal `columns` wide after a prompt `prompt_width`
/// wide, keeping the cursor in view: [first, last) byte offsets, and the cursor's column.
struct Viewport {
  std::size_t first = 0;
  std::size_t last = 0;
  std::size_t cursor_column = 0;  ///< counted from the start of the line (prompt included)
};
[[nodiscard]] Viewport compute_viewport(std::string_view text, std::size_t cursor,
                                        std::size_t prompt_width, std::size_t columns);

/// Line editing on a terminal: raw mode only while a line is read (restored on return, so
/// Ctrl-C interrupts a running query as usual), single-line redraw with horizontal scroll.
class LineEditor {
 public:
  enum class Result { Line, Interrupted, EndOfFile };
  LineEditor(int in_fd, int out_fd, History* history) noexcept
      : in_fd_(in_fd), out_fd_(out_fd), history_(history) {}
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  /// Reads one line into `line` (without its newline). Throws std::runtime_error when the
  /// terminal cannot be put in raw mode.
  Result read_line(const std::string& prompt, std::string& line);

 private:
  void refresh(const std::string& prompt, const LineBuffer& buf);
  void write(std::string_view s) const;
  bool fill(bool wait_briefly);  ///< reads more input into pending_; false on EOF/timeout

  int in_fd_;
  int out_fd_;
  History* history_;
  std::string pending_{};  ///< bytes read but not yet decoded (the rest of a paste)
};

}  // namespace libsql::cli
