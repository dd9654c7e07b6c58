#include "cli/timestamp.hpp"

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace libsql::cli {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::year;
using std::chrono::year_month_day;

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  [[nodiscard]] bool done() const noexcept { return i_ == s_.size(); }
  [[nodiscard]] char peek() const noexcept { return done() ? '\0' : s_[i_]; }
  bool eat(char c) noexcept {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  /// Exactly `n` digits.
  std::optional<int> digits(int n) noexcept {
    int v = 0;
    for (int k = 0; k < n; ++k) {
      if (done() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) return std::nullopt;
      v = v * 10 + (s_[i_++] - '0');
    }
    return v;
  }
  void skip_spaces() noexcept {
    while (!done() && s_[i_] == ' ') ++i_;
  }
  [[nodiscard]] std::string_view rest() const noexcept { return s_.substr(i_); }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<EpochMillis> integer_text(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::size_t i = (s[0] == '-') ? 1 : 0;
  if (i == s.size() || s.size() - i > 18) return std::nullopt;
  EpochMillis v = 0;
  for (; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return s[0] == '-' ? -v : v;
}

/// Floor division: the day of a negative millisecond count is the one before.
EpochMillis floor_div(EpochMillis a, EpochMillis b) {
  EpochMillis q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

struct Parts {
  int y, mo, d, h, mi, s, ms;
};

Parts split(EpochMillis ms) {
  constexpr EpochMillis kDay = 86'400'000;
  const EpochMillis days = floor_div(ms, kDay);
  const EpochMillis in_day = ms - days * kDay;
  const year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  return Parts{static_cast<int>(ymd.year()),
               static_cast<int>(static_cast<unsigned>(ymd.month())),
               static_cast<int>(static_cast<unsigned>(ymd.day())),
               static_cast<int>(in_day / 3'600'000),
               static_cast<int>(in_day / 60'000 % 60),
               static_cast<int>(in_day / 1000 % 60),
               static_cast<int>(in_day % 1000)};
}

}  // namespace

std::optional<EpochMillis> parse_timestamp_text(std::string_view text) {
  const std::string_view s = trim(text);
  if (auto n = integer_text(s)) return n;
  Reader r(s);
  auto y = r.digits(4);
  if (!y || !r.eat('-')) return std::nullopt;
  auto mo = r.digits(2);
  if (!mo || !r.eat('-')) return std::nullopt;
  auto d = r.digits(2);
  if (!d) return std::nullopt;
  const year_month_day ymd{year{*y}, month{static_cast<unsigned>(*mo)},
                           day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  int h = 0, mi = 0, sec = 0, millis = 0, offset_minutes = 0;
  if (!r.done()) {
    if (!(r.eat('T') || r.eat('t') || r.eat(' '))) return std::nullopt;
    auto hh = r.digits(2);
    if (!hh || !r.eat(':')) return std::nullopt;
    auto mm = r.digits(2);
    if (!mm) return std::nullopt;
    h = *hh;
    mi = *mm;
    if (r.eat(':')) {
      auto ss = r.digits(2);
      if (!ss) return std::nullopt;
      sec = *ss;
      if (r.eat('.') || r.eat(',')) {
        // Any number of fraction digits; keep milliseconds (truncated, as Date.parse does).
        int scale = 100;
        bool any = false;
        while (std::isdigit(static_cast<unsigned char>(r.peek()))) {
          any = true;
          millis += (r.peek() - '0') * scale;
          scale /= 10;
          r.eat(r.peek());
        }
        if (!any) return std::nullopt;
      }
    }
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
    r.skip_spaces();
    if (r.eat('Z') || r.eat('z')) {
    } else if (r.peek() == '+' || r.peek() == '-') {
      const int sign = r.peek() == '-' ? -1 : 1;
      r.eat(r.peek());
      auto oh = r.digits(2);
      if (!oh) return std::nullopt;
      int om = 0;
      if (r.eat(':')) {
        auto m2 = r.digits(2);
        if (!m2) return std::nullopt;
        om = *m2;
      } else if (!r.done()) {
        auto m2 = r.digits(2);
        if (!m2) return std::nullopt;
        om = *m2;
      }
      if (*oh > 23 || om > 59) return std::nullopt;
      offset_minutes = sign * (*oh * 60 + om);
    } else if (r.rest() == "UTC" || r.rest() == "GMT") {
      r = Reader(std::string_view{});
    }
    if (!r.done()) return std::nullopt;
  }
  const auto days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  return static_cast<EpochMillis>(days) * 86'400'000 + h * 3'600'000LL + mi * 60'000LL +
         sec * 1000LL + millis - offset_minutes * 60'000LL;
}

std::optional<EpochMillis> parse_timestamp(const Value& value) {
  switch (type_of(value)) {
    case ValueType::Integer: return std::get<std::int64_t>(value);
    case ValueType::Real: {
      const double v = std::get<double>(value);
      if (!std::isfinite(v) || std::fabs(v) > 9.0e15) return std::nullopt;
      return static_cast<EpochMillis>(std::llround(v));
    }
    case ValueType::Text: return parse_timestamp_text(std::get<std::string>(value));
    case ValueType::Null:
    case ValueType::Blob: break;
  }
  return std::nullopt;
}

std::string format_iso_millis(EpochMillis ms) {
  const Parts p = split(ms);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+00:00", p.y, p.mo, p.d, p.h,
                p.mi, p.s, p.ms);
  return buf;
}

std::string format_human(EpochMillis ms) {
  const Parts p = split(ms);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d UTC", p.y, p.mo, p.d, p.h, p.mi,
                p.s);
  return buf;
}

EpochMillis now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace libsql::cli
