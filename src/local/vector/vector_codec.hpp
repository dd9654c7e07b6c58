#pragma once
// libSQL's vector values: the blob layouts, the text form, conversions and distances, as
// libSQL 0.5.x (inside @libsql/client 0.17) computes them. Facts: docs/vector.md, checked
// against the official client.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <sqlite3.h>

namespace libsql::detail::vec {

/// libSQL's type numbers (the trailing type byte of an odd-length blob).
enum class Type : int { F32 = 1, F64 = 2, F1Bit = 3, F8 = 4, F16 = 5, FB16 = 6 };

/// libSQL's MAX_VECTOR_SZ.
constexpr int kMaxDims = 65536;

/// One decoded vector. Only the member of its type is used: f32 (F32), f64 (F64), u16 (F16,
/// FB16: the raw halves), u8 (F1Bit: packed bits, little-endian within a byte; F8: the
/// quantised bytes) with alpha and shift (F8: value = alpha * q + shift).
struct Vector {
  Type type = Type::F32;
  int dims = 0;
  std::vector<float> f32;
  std::vector<double> f64;
  std::vector<std::uint16_t> u16;
  std::vector<std::uint8_t> u8;
  float alpha = 0;
  float shift = 0;
};

/// The type and the number of dimensions of a value as libSQL detects them before parsing:
/// a blob by its length and type byte, a text by counting its commas (plus one if it has a
/// digit). `text_hint` is the type a text becomes (F32, or F64 for vector64). False with
/// `error` set (libSQL's message) for other value types and malformed blob headers.
bool detect(sqlite3_value* v, Type text_hint, Type& type, int& dims, std::string& error);

/// Parses a TEXT or BLOB value into `out` (text as `text_hint`). False with `error` set.
bool parse(sqlite3_value* v, Type text_hint, Vector& out, std::string& error);
bool parse_text(const char* text, Type as, Vector& out, std::string& error);
bool parse_blob(const std::uint8_t* p, std::size_t n, Vector& out, std::string& error);

/// `from` as `to` (libSQL's vectorConvert: quantisation for F8, sign bits for F1Bit).
Vector convert(const Vector& from, Type to);

/// The blob libSQL stores for `v` (data, then the type's trailing meta bytes).
std::vector<std::uint8_t> serialize(const Vector& v);

/// vector_extract's text: `[e0,e1,…]`, each element printed with SQLite's `%g`. F32 and F64
/// print their own values; the other types print their F32 conversion.
std::string to_text(const Vector& v);

/// Distances of two vectors of the same type and dimensions, as libSQL computes them (float
/// accumulators, the result rounded to float). cos of F1Bit is the Hamming distance; l2 of
/// F1Bit is not defined (the caller refuses it).
float distance_cos(const Vector& a, const Vector& b);
float distance_l2(const Vector& a, const Vector& b);

/// The F32 cases of distance_cos / distance_l2 over raw arrays: `norm_b` is b's sum of squares
/// accumulated in order (what distance_cos computes alongside the dot product).
float f32_sum_squares(const float* a, int n) noexcept;
float f32_cos(const float* a, float norm_a, const float* b, float norm_b, int n) noexcept;
float f32_l2(const float* a, const float* b, int n) noexcept;

/// A declared column type such as `F32_BLOB(3)` or `FLOAT64( 8 )`: true with its type and
/// dimensions when it is one of libSQL's vector types.
bool column_type(const char* decltype_text, Type& type, int& dims);

/// Registers vector, vector32, vector64, vector16, vectorb16, vector8, vector1bit,
/// vector_extract, vector_distance_cos and vector_distance_l2 on `db`.
int register_functions(sqlite3* db);

}  // namespace libsql::detail::vec
