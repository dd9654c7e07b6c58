#include "cli/line_editor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "cli/json.hpp"
#include "cli/result_format.hpp"

namespace libsql::cli {
namespace {

constexpr char kEsc = '\x1b';

bool is_word_char(char c) {
  return !(c == ' ' || c == '\t' || c == ',' || c == ';' || c == '(' || c == ')' || c == '.' ||
           c == '=' || c == '"' || c == '\'');
}

Key key(Key::Kind k) { return Key{k, {}}; }

/// Decodes an escape sequence at the front of `in` (in[0] == ESC); nullopt if incomplete.
std::optional<Key> decode_escape(std::string& in) {
  if (in.size() < 2) return std::nullopt;
  const char second = in[1];
  if (second == '[' || second == 'O') {
    // CSI: parameters 0x30-0x3F, intermediates 0x20-0x2F, final 0x40-0x7E. SS3: one final.
    std::size_t i = 2;
    if (second == '[') {
      while (i < in.size() && in[i] >= 0x30 && in[i] <= 0x3f) ++i;
      while (i < in.size() && in[i] >= 0x20 && in[i] <= 0x2f) ++i;
    }
    if (i >= in.size()) return std::nullopt;
    const char final = in[i];
    const std::string params = in.substr(2, i - 2);
    in.erase(0, i + 1);
    const bool ctrl = params.find(";5") != std::string::npos || params.find(";3") != std::string::npos;
    switch (final) {
      case 'A': return key(Key::Up);
      case 'B': return key(Key::Down);
      case 'C': return key(ctrl ? Key::WordRight : Key::Right);
      case 'D': return key(ctrl ? Key::WordLeft : Key::Left);
      case 'H': return key(Key::Home);
      case 'F': return key(Key::End);
      case '~':
        if (params == "1" || params == "7") return key(Key::Home);
        if (params == "4" || params == "8") return key(Key::End);
        if (params == "3") return key(Key::Delete);
        return key(Key::Ignore);
      default: return key(Key::Ignore);
    }
  }
  // Alt/Meta + key.
  in.erase(0, 2);
  switch (second) {
    case 'b': return key(Key::WordLeft);
    case 'f': return key(Key::WordRight);
    case '\x7f':
    case '\x08': return key(Key::KillWordBack);
    default: return key(Key::Ignore);
  }
}

}  // namespace

std::optional<Key> decode_key(std::string& in) {
  if (in.empty()) return std::nullopt;
  const auto c = static_cast<unsigned char>(in[0]);
  if (c == static_cast<unsigned char>(kEsc)) return decode_escape(in);
  if (c < 0x20 || c == 0x7f) {
    Key::Kind k = Key::Ignore;
    std::size_t used = 1;
    switch (c) {
      case '\r':
        if (in.size() > 1 && in[1] == '\n') used = 2;  // a pasted CRLF is one Enter
        k = Key::Enter;
        break;
      case '\n': k = Key::Enter; break;
      case 0x7f:
      case 0x08: k = Key::Backspace; break;
      case 0x01: k = Key::Home; break;
      case 0x05: k = Key::End; break;
      case 0x02: k = Key::Left; break;
      case 0x06: k = Key::Right; break;
      case 0x10: k = Key::Up; break;
      case 0x0e: k = Key::Down; break;
      case 0x0b: k = Key::KillToEnd; break;
      case 0x15: k = Key::KillToStart; break;
      case 0x17: k = Key::KillWordBack; break;
      case 0x03: k = Key::Interrupt; break;
      case 0x04: k = Key::EndOfFile; break;
      case 0x0c: k = Key::ClearScreen; break;
      case '\t':
        // A tab separates tokens in pasted SQL: keep it as a space (a tab would break the
        // cursor arithmetic).
        in.erase(0, 1);
        return Key{Key::Text, " "};
      default: break;
    }
    in.erase(0, used);
    return key(k);
  }
  // A run of printable text: whole UTF-8 sequences only.
  std::size_t i = 0;
  while (i < in.size()) {
    const auto b = static_cast<unsigned char>(in[i]);
    if (b < 0x20 || b == 0x7f) break;
    if (b < 0x80) {
      ++i;
      continue;
    }
    const std::size_t need = (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 : (b & 0xf8) == 0xf0 ? 4 : 1;
    if (i + need > in.size()) {
      if (i == 0) return std::nullopt;  // wait for the rest of the character
      break;
    }
    i += utf8_sequence_length(in, i) == 0 ? 1 : need;
  }
  Key k{Key::Text, in.substr(0, i)};
  in.erase(0, i);
  return k;
}

// ---- LineBuffer ---------------------------------------------------------------------------

std::size_t LineBuffer::prev_boundary(std::size_t i) const noexcept {
  if (i == 0) return 0;
  --i;
  while (i > 0 && (static_cast<unsigned char>(text_[i]) & 0xc0) == 0x80) --i;
  return i;
}

std::size_t LineBuffer::next_boundary(std::size_t i) const noexcept {
  if (i >= text_.size()) return text_.size();
  ++i;
  while (i < text_.size() && (static_cast<unsigned char>(text_[i]) & 0xc0) == 0x80) ++i;
  return i;
}

void LineBuffer::set(std::string text) {
  text_ = std::move(text);
  cursor_ = text_.size();
}

void LineBuffer::insert(std::string_view s) {
  text_.insert(cursor_, s);
  cursor_ += s.size();
}

void LineBuffer::backspace() {
  const std::size_t p = prev_boundary(cursor_);
  text_.erase(p, cursor_ - p);
  cursor_ = p;
}

void LineBuffer::erase() { text_.erase(cursor_, next_boundary(cursor_) - cursor_); }

void LineBuffer::left() { cursor_ = prev_boundary(cursor_); }

void LineBuffer::right() { cursor_ = next_boundary(cursor_); }

void LineBuffer::word_left() {
  while (cursor_ > 0 && !is_word_char(text_[cursor_ - 1])) cursor_ = prev_boundary(cursor_);
  while (cursor_ > 0 && is_word_char(text_[cursor_ - 1])) cursor_ = prev_boundary(cursor_);
}

void LineBuffer::word_right() {
  while (cursor_ < text_.size() && !is_word_char(text_[cursor_])) cursor_ = next_boundary(cursor_);
  while (cursor_ < text_.size() && is_word_char(text_[cursor_])) cursor_ = next_boundary(cursor_);
}

void LineBuffer::kill_to_end() { text_.erase(cursor_); }

void LineBuffer::kill_to_start() {
  text_.erase(0, cursor_);
  cursor_ = 0;
}

void LineBuffer::kill_word_back() {
  const std::size_t end = cursor_;
  while (cursor_ > 0 && text_[cursor_ - 1] == ' ') --cursor_;
  while (cursor_ > 0 && text_[cursor_ - 1] != ' ') cursor_ = prev_boundary(cursor_);
  text_.erase(cursor_, end - cursor_);
}

bool LineBuffer::apply(const Key& k) {
  switch (k.kind) {
    case Key::Text: insert(k.text); return true;
    case Key::Backspace: backspace(); return true;
    case Key::Delete: erase(); return true;
    case Key::Left: left(); return true;
    case Key::Right: right(); return true;
    case Key::Home: home(); return true;
    case Key::End: end(); return true;
    case Key::WordLeft: word_left(); return true;
    case Key::WordRight: word_right(); return true;
    case Key::KillToEnd: kill_to_end(); return true;
    case Key::KillToStart: kill_to_start(); return true;
    case Key::KillWordBack: kill_word_back(); return true;
    case Key::Ignore: return true;
    default: return false;
  }
}

// ---- History ------------------------------------------------------------------------------

void History::add(std::string_view line) {
  if (line.find_first_not_of(" \t\r\n") == std::string_view::npos) return;
  if (!entries_.empty() && entries_.back() == line) return;
  entries_.emplace_back(line);
  if (entries_.size() > max_) entries_.erase(entries_.begin());
  if (!file_) return;
  // Created 0600: the history may hold data and literals the user typed.
  const int fd = ::open(file_->c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return;
  std::string rec(line);
  rec.push_back('\n');
  [[maybe_unused]] const ssize_t n = ::write(fd, rec.data(), rec.size());
  ::close(fd);
}

void History::attach_file(std::filesystem::path path) {
  std::ifstream in(path);
  std::string line;
  std::size_t lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (!entries_.empty() && entries_.back() == line)) continue;
    entries_.push_back(line);
    if (entries_.size() > max_) entries_.erase(entries_.begin());
  }
  in.close();
  if (lines > 2 * max_) {
    // Keep the file bounded: rewrite it with the entries kept.
    const std::filesystem::path tmp = path.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
      std::string all;
      for (const auto& e : entries_) all += e + "\n";
      const bool ok = ::write(fd, all.data(), all.size()) == static_cast<ssize_t>(all.size());
      ::close(fd);
      std::error_code ec;
      if (ok) std::filesystem::rename(tmp, path, ec);
    }
  }
  file_ = std::move(path);
}

std::optional<std::filesystem::path> History::default_path() {
  if (const char* p = std::getenv("LIBSQL_CPP_HISTORY"); p && *p) return std::filesystem::path(p);
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::filesystem::path(home) / ".libsql_cpp_history";
  }
  return std::nullopt;
}

// ---- Viewport -----------------------------------------------------------------------------

Viewport compute_viewport(std::string_view text, std::size_t cursor, std::size_t prompt_width,
                          std::size_t columns) {
  // Code point starts, so the window moves by whole characters.
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < text.size();) {
    starts.push_back(i);
    const std::size_t len = utf8_sequence_length(text, i);
    i += len == 0 ? 1 : len;
  }
  starts.push_back(text.size());
  std::size_t cursor_index = 0;
  while (cursor_index + 1 < starts.size() && starts[cursor_index] < cursor) ++cursor_index;
  // Room for text: the last column stays free so the cursor never wraps.
  const std::size_t room = columns > prompt_width + 1 ? columns - prompt_width - 1 : 1;
  std::size_t first = 0;
  if (cursor_index > room) first = cursor_index - room;
  std::size_t last = std::min(starts.size() - 1, first + room);
  Viewport v;
  v.first = starts[first];
  v.last = starts[last];
  v.cursor_column = prompt_width + (cursor_index - first);
  return v;
}

// ---- LineEditor ---------------------------------------------------------------------------

namespace {

class RawMode {
 public:
  explicit RawMode(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) {
      throw std::runtime_error(std::string("tcgetattr: ") + std::strerror(errno));
    }
    termios raw = saved_;
    raw.c_iflag &= ~static_cast<tcflag_t>(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
    raw.c_cflag |= CS8;
    raw.c_lflag &= ~static_cast<tcflag_t>(ECHO | ICANON | IEXTEN | ISIG);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (::tcsetattr(fd_, TCSADRAIN, &raw) != 0) {
      throw std::runtime_error(std::string("tcsetattr: ") + std::strerror(errno));
    }
  }
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;
  ~RawMode() { ::tcsetattr(fd_, TCSADRAIN, &saved_); }

 private:
  int fd_;
  termios saved_{};
};

}  // namespace

void LineEditor::write(std::string_view s) const {
  while (!s.empty()) {
    const ssize_t n = ::write(out_fd_, s.data(), s.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool LineEditor::fill(bool wait_briefly) {
  if (wait_briefly) {
    pollfd p{in_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) return false;
  }
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(in_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    pending_.append(buf, static_cast<std::size_t>(n));
    return true;
  }
}

void LineEditor::refresh(const std::string& prompt, const LineBuffer& buf) {
  winsize ws{};
  std::size_t columns = 80;
  if (::ioctl(out_fd_, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) columns = ws.ws_col;
  const Viewport v = compute_viewport(buf.text(), buf.cursor(), display_width(prompt), columns);
  std::string s = "\r" + prompt;
  s.append(buf.text(), v.first, v.last - v.first);
  s += "\x1b[0K\r";
  if (v.cursor_column > 0) s += "\x1b[" + std::to_string(v.cursor_column) + "C";
  write(s);
}

LineEditor::Result LineEditor::read_line(const std::string& prompt, std::string& line) {
  RawMode raw(in_fd_);
  LineBuffer buf;
  const std::vector<std::string> empty;
  const std::vector<std::string>& past = history_ ? history_->entries() : empty;
  std::size_t index = past.size();  // == size: the line being typed
  std::string typed;                // what was typed before browsing the history
  refresh(prompt, buf);
  bool dirty = false;
  for (;;) {
    std::optional<Key> k = decode_key(pending_);
    if (!k) {
      // Everything received so far is handled: redraw once (a paste redraws once).
      if (dirty) {
        refresh(prompt, buf);
        dirty = false;
      }
      // A lone ESC: wait briefly for the rest of a sequence, else drop it.
      if (pending_ == std::string(1, kEsc)) {
        if (!fill(true)) pending_.clear();
        continue;
      }
      if (!fill(false)) {
        write("\r\n");
        if (buf.text().empty()) return Result::EndOfFile;
        line = buf.text();
        return Result::Line;
      }
      continue;
    }
    dirty = true;
    switch (k->kind) {
      case Key::Enter:
        buf.end();
        refresh(prompt, buf);
        write("\r\n");
        line = buf.text();
        return Result::Line;
      case Key::Interrupt:
        write("^C\r\n");
        line.clear();
        return Result::Interrupted;
      case Key::EndOfFile:
        if (buf.text().empty()) {
          write("\r\n");
          return Result::EndOfFile;
        }
        buf.erase();
        break;
      case Key::Up:
        if (index > 0) {
          if (index == past.size()) typed = buf.text();
          buf.set(past[--index]);
        }
        break;
      case Key::Down:
        if (index < past.size()) {
          ++index;
          buf.set(index == past.size() ? typed : past[index]);
        }
        break;
      case Key::ClearScreen: write("\x1b[H\x1b[2J"); break;
      default: buf.apply(*k); break;
    }
  }
}

}  // namespace libsql::cli
