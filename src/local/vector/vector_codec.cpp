#include "local/vector/vector_codec.hpp"

#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <locale.h>

namespace libsql::detail::vec {
namespace {

constexpr int kMaxFloatChars = 1024;  // libSQL's MAX_FLOAT_CHAR_SZ

std::string printf_string(const char* format, auto... args) {
  char* s = sqlite3_mprintf(format, args...);
  std::string out = s ? s : "out of memory";
  sqlite3_free(s);
  return out;
}

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

int align4(int n) noexcept { return (n + 3) / 4 * 4; }

float load_f32(const std::uint8_t* p) noexcept {
  std::uint32_t u = std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
                    std::uint32_t{p[3]} << 24;
  return std::bit_cast<float>(u);
}
double load_f64(const std::uint8_t* p) noexcept {
  std::uint64_t u = 0;
  for (int i = 7; i >= 0; --i) u = u << 8 | p[i];
  return std::bit_cast<double>(u);
}
void store_f32(std::vector<std::uint8_t>& out, float f) {
  auto u = std::bit_cast<std::uint32_t>(f);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(u >> (8 * i)));
}
void store_f64(std::vector<std::uint8_t>& out, double d) {
  auto u = std::bit_cast<std::uint64_t>(d);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(u >> (8 * i)));
}

/// SQLite's sqlite3AtoF grammar (what libSQL accepts for one element): optional sign, digits
/// with an optional fraction (at least one digit in all), an optional exponent with digits.
/// The value comes from strtod in the C locale.
bool parse_float(const std::string& s, double& out) {
  std::size_t i = 0, n = s.size();
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  int digits = 0;
  while (i < n && is_digit(s[i])) ++i, ++digits;
  if (i < n && s[i] == '.') {
    ++i;
    while (i < n && is_digit(s[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    int exp_digits = 0;
    while (i < n && is_digit(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  if (i != n) return false;
  static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
  out = strtod_l(s.c_str(), nullptr, c_locale);
  return true;
}

std::uint16_t f16_from_float(float f) noexcept {
  const auto i = std::bit_cast<std::uint32_t>(f);
  const std::uint32_t sign = (i >> 16) & 0x8000u;
  int exp = static_cast<int>((i >> 23) & 0xffu) - 127;
  std::uint32_t mant = i & 0x7fffffu;
  const std::uint32_t nonzero = mant != 0 ? 1u : 0u;
  if (exp == 128) {
    exp = 16;
    mant = nonzero << 22;
  } else if (exp > 15) {
    exp = 16;
    mant = 0;
  } else if (exp < -14 && exp >= -25) {
    mant = (mant | 0x800000u) >> (-exp - 14);
    exp = -15;
  } else if (exp < -24) {
    exp = -15;
    mant = 0;
  }
  if ((mant & 0x1fffu) > (0x1000u - ((mant >> 13) & 1u))) mant += 0x2000u;
  const std::uint32_t m = mant >> 13;
  return static_cast<std::uint16_t>(sign | (static_cast<std::uint32_t>(exp + 15 + static_cast<int>(m >> 10)) << 10) |
                                    (m & 0x3ffu));
}

float f16_to_float(std::uint16_t h) noexcept {
  const std::uint32_t sign = (std::uint32_t{h} & 0x8000u) << 16;
  int exp = static_cast<int>((h >> 10) & 0x1f) - 15;
  std::uint32_t mant = h & 0x3ffu;
  if (exp == 16) {
    exp = 128;
    mant = (mant != 0 ? 1u : 0u) << 22;
  } else if (exp == -15 && mant == 0) {
    exp = -127;
  } else if (exp == -15) {
    ++exp;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --exp;
    }
    mant = (mant & 0x3ffu) << 13;
  } else {
    mant <<= 13;
  }
  return std::bit_cast<float>(sign | (static_cast<std::uint32_t>(exp + 127) << 23) | mant);
}

std::uint16_t bf16_from_float(float f) noexcept {
  return static_cast<std::uint16_t>(std::bit_cast<std::uint32_t>(f) >> 16);
}
float bf16_to_float(std::uint16_t h) noexcept {
  return std::bit_cast<float>(std::uint32_t{h} << 16);
}

/// libSQL's clip() for the 8-bit quantisation: the nearest integer in [0, 255]. A NaN
/// (0/0 when every element is equal) becomes 0, as libSQL's (int) conversion gives on x86.
std::uint8_t clip8(float f) noexcept {
  if (f < 0) return 0;
  if (f > 255) return 255;
  if (std::isnan(f)) return 0;
  return static_cast<std::uint8_t>(static_cast<int>(static_cast<double>(f) + 0.5));
}

bool bit_at(const std::vector<std::uint8_t>& bits, int i) noexcept {
  return ((bits[static_cast<std::size_t>(i / 8)] >> (i & 7)) & 1) == 1;
}

/// Element i of a vector as libSQL's conversions read it (float for every type but F64).
float as_float(const Vector& v, int i) noexcept {
  const auto k = static_cast<std::size_t>(i);
  switch (v.type) {
    case Type::F32: return v.f32[k];
    case Type::F64: return static_cast<float>(v.f64[k]);
    case Type::F1Bit: return bit_at(v.u8, i) ? 1.0f : -1.0f;
    case Type::F8: return v.alpha * static_cast<float>(v.u8[k]) + v.shift;
    case Type::F16: return f16_to_float(v.u16[k]);
    case Type::FB16: return bf16_to_float(v.u16[k]);
  }
  return 0;
}

void allocate(Vector& v, Type type, int dims) {
  v = Vector{};
  v.type = type;
  v.dims = dims;
  const auto n = static_cast<std::size_t>(dims);
  switch (type) {
    case Type::F32: v.f32.assign(n, 0); break;
    case Type::F64: v.f64.assign(n, 0); break;
    case Type::F16:
    case Type::FB16: v.u16.assign(n, 0); break;
    case Type::F1Bit: v.u8.assign((n + 7) / 8, 0); break;
    case Type::F8: v.u8.assign(static_cast<std::size_t>(align4(dims)), 0); break;
  }
}

Vector to_f8(const Vector& from) {
  Vector to;
  allocate(to, Type::F8, from.dims);
  float lo = 0, hi = 0;
  auto minmax = [&](int i, auto value) {
    if (i == 0) {
      lo = static_cast<float>(value);
      hi = static_cast<float>(value);
    } else {
      lo = static_cast<float>(lo < value ? lo : value);
      hi = static_cast<float>(hi > value ? hi : value);
    }
  };
  const int n = from.dims;
  if (from.type == Type::F64) {
    for (int i = 0; i < n; ++i) minmax(i, from.f64[static_cast<std::size_t>(i)]);
  } else if (from.type == Type::F1Bit) {
    for (int i = 0; i < n; ++i) minmax(i, bit_at(from.u8, i) ? 1.0f : -1.0f);
  } else {
    for (int i = 0; i < n; ++i) minmax(i, as_float(from, i));
  }
  const float shift = lo;
  const float alpha = (hi - lo) / 255;
  for (int i = 0; i < n; ++i) {
    float q;
    if (from.type == Type::F64) {
      q = static_cast<float>((from.f64[static_cast<std::size_t>(i)] - static_cast<double>(shift)) /
                             static_cast<double>(alpha));
    } else if (from.type == Type::F1Bit) {
      q = (static_cast<float>(bit_at(from.u8, i) ? 1 : -1) - shift) / alpha;
    } else {
      q = (as_float(from, i) - shift) / alpha;
    }
    to.u8[static_cast<std::size_t>(i)] = clip8(q);
  }
  to.alpha = alpha;
  to.shift = shift;
  return to;
}

bool parse_meta(const std::uint8_t* p, std::size_t size, Type& type, int& dims, std::size_t& data_size,
                std::string& error) {
  if (size % 2 == 0) {
    type = Type::F32;
    dims = static_cast<int>(size / 4);
    data_size = size;
    return true;
  }
  const int t = p[size - 1];
  const std::size_t n = size - 1;
  const int len = static_cast<int>(n);
  switch (t) {
    case 1:
      if (n % 4 != 0) {
        error = printf_string("vector: float32 vector blob length must be divisible by 4 (excluding optional 'type'-byte): length=%d", len);
        return false;
      }
      dims = static_cast<int>(n / 4);
      data_size = n;
      break;
    case 2:
      if (n % 8 != 0) {
        error = printf_string("vector: float64 vector blob length must be divisible by 8 (excluding 'type'-byte): length=%d", len);
        return false;
      }
      dims = static_cast<int>(n / 8);
      data_size = n;
      break;
    case 3: {
      if (n == 0 || n % 2 != 0) {
        error = printf_string("vector: float1bit vector blob length must be divisible by 2 and not be empty (excluding 'type'-byte): length=%d", len);
        return false;
      }
      dims = len * 8 - p[n - 1];
      if (dims < 0) {
        error = printf_string("vector: float1bit vector blob has %d trailing bits in %d bytes", p[n - 1], len);
        return false;
      }
      data_size = static_cast<std::size_t>((dims + 7) / 8);
      break;
    }
    case 4: {
      if (n < 2 || n % 2 != 0) {
        error = printf_string("vector: float8 vector blob length must be divisible by 2 and has at least 2 bytes (excluding 'type'-byte): length=%d", len);
        return false;
      }
      dims = (len - 2) - 8 - p[n - 1];
      data_size = n - 2;
      const long expected = dims < 0 ? -1 : align4(dims) + 8;
      if (static_cast<long>(data_size) != expected) {
        error = printf_string("vector: unexpected data part size: type=%d, dims=%d, %u != %u", 4, dims,
                              static_cast<unsigned>(data_size), static_cast<unsigned>(expected < 0 ? 0 : expected));
        return false;
      }
      break;
    }
    case 5:
    case 6:
      if (n % 2 != 0) {
        error = printf_string("vector: %s vector blob length must be divisible by 2 (excluding 'type'-byte): length=%d",
                              t == 5 ? "float16" : "floatb16", len);
        return false;
      }
      dims = static_cast<int>(n / 2);
      data_size = n;
      break;
    default:
      error = printf_string("vector: unexpected binary type: %d", t);
      return false;
  }
  type = static_cast<Type>(t);
  return true;
}

const char* type_repr(int t) noexcept {
  switch (t) {
    case SQLITE_NULL: return "NULL";
    case SQLITE_INTEGER: return "INTEGER";
    case SQLITE_FLOAT: return "FLOAT";
    case SQLITE_BLOB: return "BLOB";
    case SQLITE_TEXT: return "TEXT";
    default: return "UNKNOWN";
  }
}

std::string unexpected_value_type(sqlite3_value* v) {
  return printf_string("vector: unexpected value type: got %s, expected TEXT or BLOB", type_repr(sqlite3_value_type(v)));
}

}  // namespace

bool detect(sqlite3_value* v, Type text_hint, Type& type, int& dims, std::string& error) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_BLOB: {
      const auto* p = static_cast<const std::uint8_t*>(sqlite3_value_blob(v));
      const auto n = static_cast<std::size_t>(sqlite3_value_bytes(v));
      std::size_t data_size = 0;
      if (!parse_meta(p, n, type, dims, data_size, error)) return false;
      if (dims > kMaxDims) {
        error = printf_string("vector: max size exceeded: %d > %d", dims, kMaxDims);
        return false;
      }
      return true;
    }
    case SQLITE_TEXT: {
      const auto* t = reinterpret_cast<const char*>(sqlite3_value_text(v));
      const int n = sqlite3_value_bytes(v);
      type = text_hint == Type::F64 ? Type::F64 : Type::F32;
      dims = 0;
      bool digit = false;
      for (int i = 0; i < n; ++i) {
        if (t[i] == ',') ++dims;
        if (is_digit(t[i])) digit = true;
      }
      if (digit) ++dims;
      return true;
    }
    default:
      error = unexpected_value_type(v);
      return false;
  }
}

bool parse_text(const char* p, Type as, Vector& out, std::string& error) {
  allocate(out, as, 0);
  while (is_space(*p)) ++p;
  if (*p != '[') {
    error = "vector: must start with '['";
    return false;
  }
  ++p;
  std::string buf;
  int count = 0;
  for (; *p != '\0'; ++p) {
    const char c = *p;
    if (is_space(c)) continue;
    if (c != ',' && c != ']') {
      if (buf.size() > static_cast<std::size_t>(kMaxFloatChars)) {
        error = printf_string("vector: float string length exceeded %d characters: '%s'", kMaxFloatChars, buf.c_str());
        return false;
      }
      buf.push_back(c);
      continue;
    }
    if (c == ']' && count == 0 && buf.empty()) break;
    double d = 0;
    if (!parse_float(buf, d)) {
      error = printf_string("vector: invalid float at position %d: '%s'", count, buf.c_str());
      return false;
    }
    if (count >= kMaxDims) {
      error = printf_string("vector: max size exceeded %d", kMaxDims);
      return false;
    }
    buf.clear();
    if (as == Type::F64) {
      out.f64.push_back(d);
    } else {
      out.f32.push_back(static_cast<float>(d));
    }
    ++count;
    if (c == ']') break;
  }
  while (is_space(*p)) ++p;
  if (*p != ']') {
    error = "vector: must end with ']'";
    return false;
  }
  ++p;
  while (is_space(*p)) ++p;
  if (*p != '\0') {
    error = "vector: non-space symbols after closing ']' are forbidden";
    return false;
  }
  out.dims = count;
  return true;
}

bool parse_blob(const std::uint8_t* p, std::size_t n, Vector& out, std::string& error) {
  Type type{};
  int dims = 0;
  std::size_t data_size = 0;
  if (!parse_meta(p, n, type, dims, data_size, error)) return false;
  if (dims > kMaxDims) {
    error = printf_string("vector: max size exceeded: %d > %d", dims, kMaxDims);
    return false;
  }
  allocate(out, type, dims);
  const auto d = static_cast<std::size_t>(dims);
  switch (type) {
    case Type::F32:
      for (std::size_t i = 0; i < d; ++i) out.f32[i] = load_f32(p + 4 * i);
      break;
    case Type::F64:
      for (std::size_t i = 0; i < d; ++i) out.f64[i] = load_f64(p + 8 * i);
      break;
    case Type::F16:
    case Type::FB16:
      for (std::size_t i = 0; i < d; ++i) out.u16[i] = static_cast<std::uint16_t>(p[2 * i] | p[2 * i + 1] << 8);
      break;
    case Type::F1Bit:
      std::memcpy(out.u8.data(), p, out.u8.size());
      break;
    case Type::F8: {
      const auto a = static_cast<std::size_t>(align4(dims));
      std::memcpy(out.u8.data(), p, d);
      out.alpha = load_f32(p + a);
      out.shift = load_f32(p + a + 4);
      break;
    }
  }
  return true;
}

bool parse(sqlite3_value* v, Type text_hint, Vector& out, std::string& error) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_BLOB: {
      const auto* p = static_cast<const std::uint8_t*>(sqlite3_value_blob(v));
      return parse_blob(p, static_cast<std::size_t>(sqlite3_value_bytes(v)), out, error);
    }
    case SQLITE_TEXT:
      return parse_text(reinterpret_cast<const char*>(sqlite3_value_text(v)),
                        text_hint == Type::F64 ? Type::F64 : Type::F32, out, error);
    default:
      error = unexpected_value_type(v);
      return false;
  }
}

Vector convert(const Vector& from, Type to) {
  if (from.type == to) return from;
  if (to == Type::F8) return to_f8(from);
  Vector out;
  allocate(out, to, from.dims);
  for (int i = 0; i < from.dims; ++i) {
    const auto k = static_cast<std::size_t>(i);
    switch (to) {
      case Type::F32: out.f32[k] = as_float(from, i); break;
      case Type::F64:
        out.f64[k] = from.type == Type::F64 ? from.f64[k] : static_cast<double>(as_float(from, i));
        break;
      case Type::F16:
        out.u16[k] = from.type == Type::F64 ? f16_from_float(static_cast<float>(from.f64[k])) : f16_from_float(as_float(from, i));
        break;
      case Type::FB16:
        out.u16[k] = bf16_from_float(as_float(from, i));
        break;
      case Type::F1Bit: {
        const bool positive = from.type == Type::F64 ? from.f64[k] > 0 : as_float(from, i) > 0;
        if (positive) out.u8[k / 8] = static_cast<std::uint8_t>(out.u8[k / 8] | (1u << (i & 7)));
        break;
      }
      case Type::F8: break;
    }
  }
  return out;
}

std::vector<std::uint8_t> serialize(const Vector& v) {
  std::vector<std::uint8_t> out;
  const auto d = static_cast<std::size_t>(v.dims);
  switch (v.type) {
    case Type::F32:
      out.reserve(4 * d);
      for (float f : v.f32) store_f32(out, f);
      break;
    case Type::F64:
      out.reserve(8 * d + 1);
      for (double f : v.f64) store_f64(out, f);
      out.push_back(2);
      break;
    case Type::F16:
    case Type::FB16:
      out.reserve(2 * d + 1);
      for (auto h : v.u16) {
        out.push_back(static_cast<std::uint8_t>(h & 0xff));
        out.push_back(static_cast<std::uint8_t>(h >> 8));
      }
      out.push_back(static_cast<std::uint8_t>(v.type));
      break;
    case Type::F1Bit: {
      out = v.u8;
      if (out.size() % 2 == 0) out.push_back(0);
      const std::size_t blob_size = out.size() + 2;
      out.push_back(static_cast<std::uint8_t>(8 * (blob_size - 1) - d));
      out.push_back(3);
      break;
    }
    case Type::F8:
      out = v.u8;
      store_f32(out, v.alpha);
      store_f32(out, v.shift);
      out.push_back(0);
      out.push_back(static_cast<std::uint8_t>(align4(v.dims) - v.dims));
      out.push_back(4);
      break;
  }
  return out;
}

std::string to_text(const Vector& v) {
  if (v.type != Type::F32 && v.type != Type::F64) return to_text(convert(v, Type::F32));
  std::string out = "[";
  char buf[64];
  for (int i = 0; i < v.dims; ++i) {
    const auto k = static_cast<std::size_t>(i);
    const double d = v.type == Type::F64 ? v.f64[k] : static_cast<double>(v.f32[k]);
    sqlite3_snprintf(static_cast<int>(sizeof buf), buf, "%g", d);
    if (i > 0) out.push_back(',');
    out += buf;
  }
  out.push_back(']');
  return out;
}

float distance_cos(const Vector& a, const Vector& b) {
  const int n = a.dims;
  switch (a.type) {
    case Type::F64: {
      double dot = 0, n1 = 0, n2 = 0;
      for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
        dot += a.f64[i] * b.f64[i];
        n1 += a.f64[i] * a.f64[i];
        n2 += b.f64[i] * b.f64[i];
      }
      return static_cast<float>(1.0 - dot / std::sqrt(n1 * n2));
    }
    case Type::F1Bit: {
      int diff = 0;
      const std::size_t bytes = (static_cast<std::size_t>(n) + 7) / 8;
      for (std::size_t i = 0; i < bytes; ++i) diff += std::popcount(static_cast<unsigned>(a.u8[i] ^ b.u8[i]));
      return static_cast<float>(diff);
    }
    case Type::F8: {
      std::uint32_t sum1 = 0, sum2 = 0, sq1 = 0, sq2 = 0, doti = 0;
      for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
        const std::uint32_t x = a.u8[i], y = b.u8[i];
        sum1 += x;
        sum2 += y;
        sq1 += x * x;
        sq2 += y * y;
        doti += x * y;
      }
      const float a1 = a.alpha, s1 = a.shift, a2 = b.alpha, s2 = b.shift;
      const auto fn = static_cast<float>(n);
      const float dot = a1 * a2 * static_cast<float>(doti) + a1 * s2 * static_cast<float>(sum1) +
                        a2 * s1 * static_cast<float>(sum2) + s1 * s2 * fn;
      const float n1 = a1 * a1 * static_cast<float>(sq1) + 2 * a1 * s1 * static_cast<float>(sum1) + s1 * s1 * fn;
      const float n2 = a2 * a2 * static_cast<float>(sq2) + 2 * a2 * s2 * static_cast<float>(sum2) + s2 * s2 * fn;
      return static_cast<float>(1.0 - static_cast<double>(dot) / std::sqrt(static_cast<double>(n1 * n2)));
    }
    case Type::F32: {
      float dot = 0, n1 = 0, n2 = 0;
      const float* x = a.f32.data();
      const float* y = b.f32.data();
      for (int i = 0; i < n; ++i) {
        dot += x[i] * y[i];
        n1 += x[i] * x[i];
        n2 += y[i] * y[i];
      }
      return static_cast<float>(1.0 - static_cast<double>(dot) / std::sqrt(static_cast<double>(n1 * n2)));
    }
    case Type::F16:
    case Type::FB16: {
      float dot = 0, n1 = 0, n2 = 0;
      for (int i = 0; i < n; ++i) {
        const float x = as_float(a, i), y = as_float(b, i);
        dot += x * y;
        n1 += x * x;
        n2 += y * y;
      }
      return static_cast<float>(1.0 - static_cast<double>(dot) / std::sqrt(static_cast<double>(n1 * n2)));
    }
  }
  return 0;
}

float f32_sum_squares(const float* a, int n) noexcept {
  float sum = 0;
  for (int i = 0; i < n; ++i) sum += a[i] * a[i];
  return sum;
}

float f32_cos(const float* a, float norm_a, const float* b, float norm_b, int n) noexcept {
  float dot = 0;
  for (int i = 0; i < n; ++i) dot += a[i] * b[i];
  return static_cast<float>(1.0 - static_cast<double>(dot) / std::sqrt(static_cast<double>(norm_a * norm_b)));
}

float f32_l2(const float* a, const float* b, int n) noexcept {
  float sum = 0;
  for (int i = 0; i < n; ++i) {
    const float d = a[i] - b[i];
    sum += d * d;
  }
  return static_cast<float>(std::sqrt(static_cast<double>(sum)));
}

float distance_l2(const Vector& a, const Vector& b) {
  const int n = a.dims;
  if (a.type == Type::F64) {
    double sum = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
      const double d = a.f64[i] - b.f64[i];
      sum += d * d;
    }
    return static_cast<float>(std::sqrt(sum));
  }
  float sum = 0;
  if (a.type == Type::F32) {
    const float* x = a.f32.data();
    const float* y = b.f32.data();
    for (int i = 0; i < n; ++i) {
      const float d = x[i] - y[i];
      sum += d * d;
    }
  } else {
    for (int i = 0; i < n; ++i) {
      const float d = as_float(a, i) - as_float(b, i);
      sum += d * d;
    }
  }
  return static_cast<float>(std::sqrt(static_cast<double>(sum)));
}

bool column_type(const char* decl, Type& type, int& dims) {
  if (decl == nullptr) return false;
  std::string s;
  for (const char* p = decl; *p; ++p) {
    if (!is_space(*p)) s.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(*p))));
  }
  static const struct {
    const char* name;
    Type type;
  } kNames[] = {{"FLOAT32", Type::F32},   {"F32_BLOB", Type::F32},   {"FLOAT64", Type::F64},
                {"F64_BLOB", Type::F64},  {"FLOAT16", Type::F16},    {"F16_BLOB", Type::F16},
                {"FLOATB16", Type::FB16}, {"FB16_BLOB", Type::FB16}, {"FLOAT8", Type::F8},
                {"F8_BLOB", Type::F8},    {"FLOAT1BIT", Type::F1Bit}, {"F1BIT_BLOB", Type::F1Bit}};
  for (const auto& n : kNames) {
    const std::size_t len = std::strlen(n.name);
    if (s.compare(0, len, n.name) != 0 || s.size() < len + 3 || s[len] != '(' || s.back() != ')') continue;
    const std::string num = s.substr(len + 1, s.size() - len - 2);
    if (num.empty() || num.size() > 6) return false;
    for (char c : num) {
      if (!is_digit(c)) return false;
    }
    dims = std::atoi(num.c_str());
    type = n.type;
    return dims > 0 && dims <= kMaxDims;
  }
  return false;
}

namespace {

void result_vector(sqlite3_context* ctx, const Vector& v) {
  const std::vector<std::uint8_t> blob = serialize(v);
  if (blob.empty()) {
    sqlite3_result_zeroblob(ctx, 0);
  } else {
    sqlite3_result_blob64(ctx, blob.data(), blob.size(), SQLITE_TRANSIENT);
  }
}

void fail(sqlite3_context* ctx, const std::string& error) {
  sqlite3_result_error(ctx, error.c_str(), static_cast<int>(error.size()));
}

/// vector, vector32, … : libSQL's vectorFuncHintedType (text parses as F32 except for vector64).
void vector_func(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (argc < 1) return;
  const auto target = static_cast<Type>(reinterpret_cast<std::intptr_t>(sqlite3_user_data(ctx)));
  const Type hint = target == Type::F64 ? Type::F64 : Type::F32;
  Type type{};
  int dims = 0;
  std::string error;
  Vector v;
  if (!detect(argv[0], hint, type, dims, error) || !parse(argv[0], hint, v, error)) return fail(ctx, error);
  result_vector(ctx, type == target ? v : convert(v, target));
}

void extract_func(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (argc < 1) return;
  Type type{};
  int dims = 0;
  std::string error;
  Vector v;
  if (!detect(argv[0], Type::F32, type, dims, error) || !parse(argv[0], Type::F32, v, error)) return fail(ctx, error);
  const std::string text = to_text(v);
  sqlite3_result_text64(ctx, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void distance_func(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (argc < 2) return;
  const bool l2 = sqlite3_user_data(ctx) != nullptr;
  Type t1{}, t2{};
  int d1 = 0, d2 = 0;
  std::string error;
  if (!detect(argv[0], Type::F32, t1, d1, error) || !detect(argv[1], Type::F32, t2, d2, error)) return fail(ctx, error);
  if (t1 != t2) {
    return fail(ctx, printf_string("vector_distance: vectors must have the same type: %d != %d", static_cast<int>(t1),
                                   static_cast<int>(t2)));
  }
  if (d1 != d2) return fail(ctx, printf_string("vector_distance: vectors must have the same length: %d != %d", d1, d2));
  if (l2 && t1 == Type::F1Bit) return fail(ctx, "vector_distance: l2 distance is not supported for float1bit vectors");
  Vector a, b;
  if (!parse(argv[0], Type::F32, a, error) || !parse(argv[1], Type::F32, b, error)) return fail(ctx, error);
  sqlite3_result_double(ctx, static_cast<double>(l2 ? distance_l2(a, b) : distance_cos(a, b)));
}

}  // namespace

int register_functions(sqlite3* db) {
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  const struct {
    const char* name;
    Type type;
  } kConstructors[] = {{"vector", Type::F32},    {"vector32", Type::F32}, {"vector64", Type::F64},
                       {"vector16", Type::F16},  {"vectorb16", Type::FB16}, {"vector8", Type::F8},
                       {"vector1bit", Type::F1Bit}};
  for (const auto& c : kConstructors) {
    void* type = reinterpret_cast<void*>(static_cast<std::intptr_t>(c.type));
    if (int rc = sqlite3_create_function_v2(db, c.name, 1, kFlags, type, vector_func, nullptr, nullptr, nullptr)) return rc;
  }
  if (int rc = sqlite3_create_function_v2(db, "vector_extract", 1, kFlags, nullptr, extract_func, nullptr, nullptr, nullptr)) {
    return rc;
  }
  if (int rc = sqlite3_create_function_v2(db, "vector_distance_cos", 2, kFlags, nullptr, distance_func, nullptr, nullptr, nullptr)) {
    return rc;
  }
  static int l2_marker = 1;
  return sqlite3_create_function_v2(db, "vector_distance_l2", 2, kFlags, &l2_marker, distance_func, nullptr, nullptr, nullptr);
}

}  // namespace libsql::detail::vec
