#include "prisma/js_date.hpp"

#include <cmath>

namespace libsql::prisma {
namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;

constexpr bool is_leap(std::int64_t y) noexcept {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

constexpr int days_in_month(std::int64_t y, int m) noexcept {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
constexpr std::int64_t days_from_civil(std::int64_t y, int m, int d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;                                    // [0, 399]
  const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + doe - 719468;
}

struct Civil {
  std::int64_t year;
  int month;
  int day;
};

// Inverse of days_from_civil.
constexpr Civil civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;                                       // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const std::int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const auto day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

// A cursor over the text; every reader returns false (and consumes nothing useful) on mismatch.
class Reader {
 public:
  explicit Reader(std::string_view s) noexcept : s_(s) {}

  [[nodiscard]] bool done() const noexcept { return pos_ == s_.size(); }
  [[nodiscard]] char peek() const noexcept { return done() ? '\0' : s_[pos_]; }
  bool eat(char c) noexcept {
    if (peek() != c || done()) return false;
    ++pos_;
    return true;
  }
  // Exactly n ASCII digits.
  bool digits(std::size_t n, std::int64_t& out) noexcept {
    if (s_.size() - pos_ < n) return false;
    std::int64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const char c = s_[pos_ + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    pos_ += n;
    out = v;
    return true;
  }
  bool digits(std::size_t n, int& out) noexcept {
    std::int64_t v = 0;
    if (!digits(n, v)) return false;
    out = static_cast<int>(v);
    return true;
  }
  // One or more digits as milliseconds: ".6" -> 600, ".67891" -> 678 (V8 truncates).
  bool fraction_ms(int& out) noexcept {
    std::size_t n = 0;
    int ms = 0;
    while (!done() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      if (n < 3) ms = ms * 10 + (s_[pos_] - '0');
      ++n;
      ++pos_;
    }
    if (n == 0) return false;
    for (std::size_t i = n; i < 3; ++i) ms *= 10;
    out = ms;
    return true;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

std::optional<std::int64_t> js_time_clip(double ms) noexcept {
  if (!std::isfinite(ms) || std::fabs(ms) > static_cast<double>(kMaxJsDateMs)) return std::nullopt;
  return static_cast<std::int64_t>(std::trunc(ms));
}

std::optional<std::int64_t> parse_js_date(std::string_view text) noexcept {
  Reader r(text);

  std::int64_t year = 0;
  if (r.peek() == '+' || r.peek() == '-') {
    const bool negative = r.peek() == '-';
    r.eat(r.peek());
    if (!r.digits(6, year)) return std::nullopt;
    if (negative && year == 0) return std::nullopt;  // "-000000" is invalid (ECMA-262 21.4.1.32.1)
    if (negative) year = -year;
  } else if (!r.digits(4, year)) {
    return std::nullopt;
  }

  int month = 1;
  int day = 1;
  bool full_date = false;
  if (r.eat('-')) {
    if (!r.digits(2, month) || month < 1 || month > 12) return std::nullopt;
    if (r.eat('-')) {
      if (!r.digits(2, day) || day < 1 || day > days_in_month(year, month)) return std::nullopt;
      full_date = true;
    }
  }

  std::int64_t ms_of_day = 0;
  std::int64_t offset_ms = 0;
  if (!r.done()) {
    // A time part needs a full date, a separator and, here, an explicit offset.
    if (!full_date) return std::nullopt;
    if (!(r.eat('T') || r.eat('t') || r.eat(' '))) return std::nullopt;
    int hour = 0;
    int minute = 0;
    int second = 0;
    int millis = 0;
    if (!r.digits(2, hour) || !r.eat(':') || !r.digits(2, minute)) return std::nullopt;
    if (r.eat(':')) {
      if (!r.digits(2, second)) return std::nullopt;
      if (r.eat('.') && !r.fraction_ms(millis)) return std::nullopt;
    }
    if (hour > 24 || minute > 59 || second > 59) return std::nullopt;  // :60 leap second rejected
    if (hour == 24 && (minute != 0 || second != 0 || millis != 0)) return std::nullopt;

    if (r.eat('Z') || r.eat('z')) {
      offset_ms = 0;
    } else if (r.peek() == '+' || r.peek() == '-') {
      const int sign = r.peek() == '-' ? -1 : 1;
      r.eat(r.peek());
      int oh = 0;
      int om = 0;
      if (!r.digits(2, oh)) return std::nullopt;
      r.eat(':');  // V8 accepts both +01:30 and +0130
      if (!r.digits(2, om) || oh > 23 || om > 59) return std::nullopt;
      offset_ms = sign * (oh * 3'600'000LL + om * 60'000LL);
    } else {
      return std::nullopt;  // no offset: JS would use the host's local time zone
    }
    if (!r.done()) return std::nullopt;
    ms_of_day = hour * 3'600'000LL + minute * 60'000LL + second * 1'000LL + millis;
  }

  const std::int64_t ms = days_from_civil(year, month, day) * kMsPerDay + ms_of_day - offset_ms;
  if (ms > kMaxJsDateMs || ms < -kMaxJsDateMs) return std::nullopt;
  return ms;
}

std::string to_js_iso_string(std::int64_t ms) {
  std::int64_t days = ms / kMsPerDay;
  std::int64_t rem = ms % kMsPerDay;
  if (rem < 0) {
    rem += kMsPerDay;
    --days;
  }
  const Civil c = civil_from_days(days);
  const auto hour = static_cast<int>(rem / 3'600'000);
  const auto minute = static_cast<int>(rem / 60'000 % 60);
  const auto second = static_cast<int>(rem / 1'000 % 60);
  const auto millis = static_cast<int>(rem % 1'000);

  // Written by hand: this runs once per date argument (thousands in a createMany).
  std::string out;
  out.reserve(32);
  auto digits = [&out](std::int64_t v, int width) {
    char buf[20];
    int n = 0;
    do {
      buf[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v > 0 || n < width);
    while (n > 0) out.push_back(buf[--n]);
  };
  if (c.year >= 0 && c.year <= 9999) {
    digits(c.year, 4);
  } else {
    out.push_back(c.year < 0 ? '-' : '+');
    digits(c.year < 0 ? -c.year : c.year, 6);
  }
  out.push_back('-');
  digits(c.month, 2);
  out.push_back('-');
  digits(c.day, 2);
  out.push_back('T');
  digits(hour, 2);
  out.push_back(':');
  digits(minute, 2);
  out.push_back(':');
  digits(second, 2);
  out.push_back('.');
  digits(millis, 3);
  out.push_back('Z');
  return out;
}

}  // namespace libsql::prisma
