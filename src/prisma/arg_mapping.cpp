#include "prisma/arg_mapping.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "core/base64.hpp"
#include "core/error_codes.hpp"
#include "libsql/error.hpp"
#include "prisma/js_date.hpp"

namespace libsql::prisma {
namespace {

constexpr std::string_view kArgsInvalid = "ARGS_INVALID";
constexpr std::string_view kOutOfRange = "VALUE_OUT_OF_RANGE";

// A conversion failure before it knows which argument it belongs to.
struct Problem {
  std::string_view code_name;
  std::string message;
};

[[noreturn]] void fail(std::string message) { throw Problem{kArgsInvalid, std::move(message)}; }
[[noreturn]] void fail_range(std::string message) {
  throw Problem{kOutOfRange, std::move(message)};
}

// The text quoted for an error message, control bytes escaped, cut after 64 bytes (a base64
// argument can be megabytes long).
std::string shown(std::string_view s) {
  constexpr std::size_t kMax = 64;
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (s.size() > kMax) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

// JS StrWhiteSpaceChar, ASCII part (BigInt("\t7\n") === 7n).
constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Integral and representable: [-2^63, 2^63). -0.0 counts (Number.isInteger(-0) is true).
bool fits_int64(double d) noexcept {
  return d == std::trunc(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0;
}

std::int64_t bigint_or_throw(std::string_view text) {
  // BigInt(string) grammar (ECMA-262 StringIntegerLiteral): whitespace, then a signed decimal
  // integer or an unsigned 0x / 0o / 0b literal. The empty string, which BigInt reads as 0n,
  // is rejected here: Prisma never sends it, and a silent 0 would hide a bug.
  std::string_view s = trim(text);
  int base = 10;
  bool negative = false;
  if (s.size() > 2 && s[0] == '0' &&
      (s[1] == 'x' || s[1] == 'X' || s[1] == 'o' || s[1] == 'O' || s[1] == 'b' || s[1] == 'B')) {
    base = (s[1] == 'x' || s[1] == 'X') ? 16 : (s[1] == 'o' || s[1] == 'O') ? 8 : 2;
    s.remove_prefix(2);
  } else if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  const bool all_digits = !s.empty() && std::all_of(s.begin(), s.end(), [base](char c) {
    if (base == 16) return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    return c >= '0' && c < static_cast<char>('0' + base);
  });
  if (!all_digits) fail(shown(text) + " is not an integer");

  std::uint64_t magnitude = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude, base);
  constexpr std::uint64_t kMinMagnitude = std::uint64_t{1} << 63;  // |INT64_MIN|
  if (ec == std::errc::result_out_of_range || end != s.data() + s.size() ||
      magnitude > (negative ? kMinMagnitude : kMinMagnitude - 1)) {
    fail_range(shown(text) +
               " is outside the 64-bit integer range [-9223372036854775808, "
               "9223372036854775807]");
  }
  if (!negative) return static_cast<std::int64_t>(magnitude);
  if (magnitude == kMinMagnitude) return std::numeric_limits<std::int64_t>::min();
  return -static_cast<std::int64_t>(magnitude);
}

double decimal_or_throw(std::string_view text) {
  std::string_view s = trim(text);
  bool plus = false;
  if (!s.empty() && s[0] == '+') {
    plus = true;
    s.remove_prefix(1);  // from_chars takes '-' but not '+'
  }
  // Validate the whole literal ourselves: from_chars would also take "inf", "nan", "1e".
  std::size_t i = (!plus && !s.empty() && s[0] == '-') ? 1 : 0;
  const std::size_t int_begin = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  const std::size_t int_digits = i - int_begin;
  std::size_t frac_digits = 0;
  std::size_t first_nonzero = std::string_view::npos;  // position among mantissa digits
  for (std::size_t k = int_begin; k < i; ++k) {
    if (s[k] != '0') {
      first_nonzero = k - int_begin;
      break;
    }
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    const std::size_t frac_begin = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    frac_digits = i - frac_begin;
    for (std::size_t k = frac_begin; k < i && first_nonzero == std::string_view::npos; ++k) {
      if (s[k] != '0') first_nonzero = int_digits + (k - frac_begin);
    }
  }
  long long exponent = 0;
  bool valid = int_digits + frac_digits > 0;
  if (valid && i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) exp_negative = s[i++] == '-';
    const std::size_t exp_begin = i;
    while (i < s.size() && is_digit(s[i])) {
      if (exponent < 1'000'000'000) exponent = exponent * 10 + (s[i] - '0');
      ++i;
    }
    valid = i > exp_begin;
    if (exp_negative) exponent = -exponent;
  }
  if (!valid || i != s.size()) fail(shown(text) + " is not a decimal number");

  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec == std::errc::result_out_of_range) {
    // Overflow or underflow? The decimal exponent of the leading significant digit decides.
    const bool negative = s[0] == '-';
    if (first_nonzero == std::string_view::npos) return negative ? -0.0 : 0.0;
    const long long magnitude =
        static_cast<long long>(int_digits) - static_cast<long long>(first_nonzero) - 1 + exponent;
    if (magnitude < 0) return negative ? -0.0 : 0.0;
    fail_range(shown(text) + " is outside the range of a double");
  }
  if (ec != std::errc() || end != s.data() + s.size())
    fail(shown(text) + " is not a decimal number");
  return value;
}

Value date_value(std::int64_t ms, TimestampFormat format) {
  if (format == TimestampFormat::UnixEpochMs) return ms;
  // The official adapter: `date.toISOString().replace('Z', '+00:00')`.
  std::string iso = to_js_iso_string(ms);
  iso.replace(iso.size() - 1, 1, "+00:00");
  return iso;
}

Value convert_number(double d, ScalarType type) {
  if (!std::isfinite(d)) {
    fail(std::string(std::isnan(d) ? "NaN"
                     : d > 0       ? "Infinity"
                                   : "-Infinity") +
         " cannot be bound: only finite numbers can be passed as arguments");
  }
  if (type == ScalarType::Float || type == ScalarType::Decimal) return d;
  if (fits_int64(d)) return static_cast<std::int64_t>(d);
  return d;
}

Value convert_string(const std::string& s, ScalarType type, TimestampFormat format) {
  switch (type) {
    case ScalarType::Bigint:
      return bigint_or_throw(s);
    case ScalarType::Decimal:
      return decimal_or_throw(s);
    case ScalarType::Datetime: {
      const auto ms = parse_js_date(s);
      if (!ms) {
        fail(shown(s) +
             " is not a valid date: expected ISO-8601 such as 2024-01-02T03:04:05.678Z, "
             "2024-01-02T03:04:05+01:00 or 2024-01-02");
      }
      return date_value(*ms, format);
    }
    case ScalarType::Bytes: {
      auto blob = detail::base64_decode(s);
      if (!blob) fail(shown(s) + " is not valid base64");
      return std::move(*blob);
    }
    default:
      return s;
  }
}

Value convert_one(const JsArg& arg, ScalarType type, TimestampFormat format) {
  switch (arg.index()) {
    case 0:  // null / undefined
      return {};
    case 1:  // SQLite has no boolean: 1 / 0 (the official adapter binds them as REAL)
      return std::int64_t{std::get<bool>(arg) ? 1 : 0};
    case 2:
      return convert_number(std::get<double>(arg), type);
    case 3:
      return convert_string(std::get<std::string>(arg), type, format);
    case 4: {
      const std::string& text = std::get<JsBigInt>(arg).decimal;
      if (type == ScalarType::Float || type == ScalarType::Decimal) return decimal_or_throw(text);
      return bigint_or_throw(text);
    }
    case 5: {
      const double ms = std::get<JsDate>(arg).ms;
      const auto clipped = js_time_clip(ms);
      if (!clipped) fail("invalid Date (its time value is NaN or outside ±8.64e15 ms)");
      return date_value(*clipped, format);
    }
    default:
      return std::get<Blob>(arg);
  }
}

// Same message shape as the core's misuse errors and @libsql/client: "CODE: text".
Error to_error(const Problem& p, const std::string& context) {
  return detail::make_error(ErrorKind::Misuse, p.code_name, context + p.message);
}

}  // namespace

ScalarType parse_scalar_type(std::string_view name) noexcept {
  static constexpr std::array<std::pair<std::string_view, ScalarType>, 12> kNames{{
      {"string", ScalarType::String},
      {"int", ScalarType::Int},
      {"bigint", ScalarType::Bigint},
      {"float", ScalarType::Float},
      {"decimal", ScalarType::Decimal},
      {"boolean", ScalarType::Boolean},
      {"enum", ScalarType::Enum},
      {"uuid", ScalarType::Uuid},
      {"json", ScalarType::Json},
      {"datetime", ScalarType::Datetime},
      {"bytes", ScalarType::Bytes},
      {"unknown", ScalarType::Unknown},
  }};
  for (const auto& [n, t] : kNames) {
    if (n == name) return t;
  }
  return ScalarType::Unknown;
}

std::string_view to_string(ScalarType type) noexcept {
  switch (type) {
    case ScalarType::String:
      return "string";
    case ScalarType::Int:
      return "int";
    case ScalarType::Bigint:
      return "bigint";
    case ScalarType::Float:
      return "float";
    case ScalarType::Decimal:
      return "decimal";
    case ScalarType::Boolean:
      return "boolean";
    case ScalarType::Enum:
      return "enum";
    case ScalarType::Uuid:
      return "uuid";
    case ScalarType::Json:
      return "json";
    case ScalarType::Datetime:
      return "datetime";
    case ScalarType::Bytes:
      return "bytes";
    case ScalarType::Unknown:
      break;
  }
  return "unknown";
}

std::optional<TimestampFormat> parse_timestamp_format(std::string_view name) noexcept {
  if (name == "iso8601") return TimestampFormat::Iso8601;
  if (name == "unixepoch-ms") return TimestampFormat::UnixEpochMs;
  return std::nullopt;
}

std::int64_t parse_bigint(std::string_view text) {
  try {
    return bigint_or_throw(text);
  } catch (const Problem& p) {
    throw to_error(p, "bigint: ");
  }
}

double parse_decimal(std::string_view text) {
  try {
    return decimal_or_throw(text);
  } catch (const Problem& p) {
    throw to_error(p, "decimal: ");
  }
}

Value convert_arg(const JsArg& arg, ScalarType type, TimestampFormat format) {
  try {
    return convert_one(arg, type, format);
  } catch (const Problem& p) {
    throw to_error(p, std::string(to_string(type)) + " argument: ");
  }
}

std::vector<Value> convert_args(const std::vector<JsArg>& args,
                                const std::vector<ScalarType>& types, TimestampFormat format) {
  std::vector<Value> out;
  out.reserve(args.size());
  for (std::size_t i = 0; i < args.size(); ++i) {
    const ScalarType type = i < types.size() ? types[i] : ScalarType::Unknown;
    try {
      out.push_back(convert_one(args[i], type, format));
    } catch (const Problem& p) {
      throw to_error(
          p, "argument " + std::to_string(i + 1) + " (" + std::string(to_string(type)) + "): ");
    }
  }
  return out;
}

}  // namespace libsql::prisma
