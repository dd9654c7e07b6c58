#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "libsql/error.hpp"
#include "libsql/result.hpp"
#include "libsql/value.hpp"

// Hrana 2 over HTTP, JSON form (`POST v2/pipeline`): building request bodies and decoding
// responses. Protocol brief: docs/hrana.md.
namespace libsql::detail::hrana {

/// An in-band error: `{"message": ..., "code": ...}`.
struct HranaError {
  std::string message{};
  std::string code{};
};

/// A batch step condition.
struct Condition {
  enum class Type { Ok, Error, Not, And, Or } type = Type::Ok;
  int step = 0;
  std::vector<Condition> conds{};
  static Condition ok(int s) { return {Type::Ok, s, {}}; }
  static Condition error(int s) { return {Type::Error, s, {}}; }
  static Condition negate(Condition c) { return {Type::Not, 0, {std::move(c)}}; }
};

struct Step {
  std::optional<Condition> condition{};
  Statement stmt{};
  bool want_rows = true;
};

/// One stream request of a pipeline.
struct Request {
  enum class Type { Execute, Batch, Sequence, Close } type = Type::Execute;
  Statement stmt{};         // Execute
  bool want_rows = true;    // Execute
  std::vector<Step> steps{};  // Batch
  std::string sql{};        // Sequence
};

Request execute(Statement stmt, bool want_rows = true);
Request batch(std::vector<Step> steps);
Request sequence(std::string sql);
Request close();

/// The pipeline request body. Throws Error (Misuse) for a value JSON cannot carry (NaN, ±inf).
std::string encode_pipeline(const std::optional<std::string>& baton, const std::vector<Request>& requests);

struct BatchResult {
  std::vector<std::optional<ResultSet>> step_results{};
  std::vector<std::optional<HranaError>> step_errors{};
};

/// One result of a pipeline: an error, or the response of the request's type.
struct StreamResult {
  std::optional<HranaError> error{};
  ResultSet execute{};   // Execute
  BatchResult batch{};   // Batch
};

struct PipelineResponse {
  std::optional<std::string> baton{};
  std::optional<std::string> base_url{};
  std::vector<StreamResult> results{};
};

/// Decodes a pipeline response, checking one result per request and matching response
/// types. Unknown fields are ignored. Throws Error (Protocol, HRANA_PROTO_ERROR) when the
/// body is not a valid response.
PipelineResponse decode_pipeline(std::string_view body, const std::vector<Request>& requests);

/// The same error the local engine would give: Hrana code names (sqld's base codes, its own
/// SQL_* / ARGS_* codes, other servers' codes) and messages mapped to SQLite extended codes.
Error to_error(const HranaError& e);

/// Base64 (standard alphabet), with or without padding.
std::string base64_encode(const std::vector<std::byte>& bytes);
std::optional<Blob> base64_decode(std::string_view text);

}  // namespace libsql::detail::hrana
