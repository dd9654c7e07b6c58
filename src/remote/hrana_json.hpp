#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "libsql/error.hpp"
#include "libsql/result.hpp"
#include "libsql/value.hpp"

// Hrana 2 and 3 over HTTP, JSON form (`POST v2/pipeline`, `v3/pipeline`, `v3/cursor`): building
// request bodies and decoding responses. The messages are those of Hrana over WebSocket too.
// Protocol brief: docs/hrana.md.
namespace libsql::detail::hrana {

/// An in-band error: `{"message": ..., "code": ...}`.
struct HranaError {
  std::string message{};
  std::string code{};
};

/// A batch step condition. `IsAutocommit` exists only in Hrana 3: encoded for Hrana 2, it is
/// taken as false (inside a transaction, which is where it is used) and the condition folded.
struct Condition {
  enum class Type { Ok, Error, Not, And, Or, IsAutocommit } type = Type::Ok;
  int step = 0;
  std::vector<Condition> conds{};
  static Condition ok(int s) { return {Type::Ok, s, {}}; }
  static Condition error(int s) { return {Type::Error, s, {}}; }
  static Condition negate(Condition c) { return {Type::Not, 0, {std::move(c)}}; }
  static Condition both(Condition a, Condition b) { return {Type::And, 0, {std::move(a), std::move(b)}}; }
  static Condition is_autocommit() { return {Type::IsAutocommit, 0, {}}; }
};

struct Step {
  std::optional<Condition> condition{};
  Statement stmt{};
  bool want_rows = true;
};

/// One stream request of a pipeline.
struct Request {
  enum class Type { Execute, Batch, Sequence, Close, GetAutocommit } type = Type::Execute;
  Statement stmt{};         // Execute
  bool want_rows = true;    // Execute
  std::vector<Step> steps{};  // Batch
  std::string sql{};        // Sequence
};

Request execute(Statement stmt, bool want_rows = true);
Request batch(std::vector<Step> steps);
Request sequence(std::string sql);
Request close();
Request get_autocommit();  ///< Hrana 3 only

/// The pipeline request body for Hrana `version` (2 or 3). Throws Error (Misuse) for a value
/// JSON cannot carry (NaN, ±inf), and for a Hrana 3 request sent as Hrana 2.
std::string encode_pipeline(const std::optional<std::string>& baton, const std::vector<Request>& requests,
                            int version = 2);
/// The `v3/cursor` request body: one batch on the stream `baton` (null opens a new one).
std::string encode_cursor(const std::optional<std::string>& baton, const std::vector<Step>& steps);
/// SQL texts stored on the server (`store_sql`), by text: a statement whose text is here is
/// sent as `"sql_id"` instead of `"sql"` (Hrana over WebSocket).
using SqlIds = std::unordered_map<std::string, std::int32_t>;
/// One request as a JSON object, for Hrana over WebSocket (which adds `stream_id`).
void encode_request(std::string& out, const Request& request, int version, const SqlIds* sql_ids = nullptr);
/// Hrana 3 over WebSocket: `{"type":"open_cursor","stream_id":S,"cursor_id":C,"batch":...}`.
void encode_open_cursor(std::string& out, std::int64_t stream_id, std::int64_t cursor_id, const std::vector<Step>& steps,
                        const SqlIds* sql_ids = nullptr);

struct BatchResult {
  std::vector<std::optional<ResultSet>> step_results{};
  std::vector<std::optional<HranaError>> step_errors{};
};

/// One result of a pipeline: an error, or the response of the request's type.
struct StreamResult {
  std::optional<HranaError> error{};
  ResultSet execute{};   // Execute
  BatchResult batch{};   // Batch
  bool is_autocommit = false;  // GetAutocommit
  /// sqld's replication index after the request (execute, batch), when it sends one.
  std::optional<std::uint64_t> replication_index{};
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
/// One response of a request (the `{"type": "execute", "result": ...}` object), as
/// `decode_pipeline` reads each ok result; for Hrana over WebSocket.
StreamResult decode_response(std::string_view json, const Request& request);

/// Reads a `v3/cursor` response as it arrives (newline-separated JSON: the `{baton, base_url}`
/// head, then entries) into the result a `batch` request of the same steps would have: so a large
/// result never sits in memory twice (body text and rows). Throws Error (HRANA_PROTO_ERROR) on
/// a malformed line or entry.
class CursorDecoder {
 public:
  /// `with_head`: the HTTP form starts with a `{baton, base_url}` line; the WebSocket form
  /// (`fetch_cursor` answers) has none.
  explicit CursorDecoder(std::size_t steps, bool with_head = true);
  void feed(std::string_view chunk);
  /// After the last chunk: the head and one result (an error when the cursor failed).
  PipelineResponse finish();
  /// Reads one entry (a line without its newline).
  void entry(std::string_view json);
  /// Reads a WebSocket `fetch_cursor` response (`{"type":"fetch_cursor","entries":[...],
  /// "done":bool}`, the `response` object); true when it says the cursor is done.
  bool fetch_response(std::string_view json);
  /// Ends the result with `error` (the cursor could not run, or its fetch failed).
  void fail(HranaError error);

 private:
  friend struct CursorEntryReader;
  void line(std::string_view json);
  std::string pending_{};
  bool head_ = false;
  std::optional<std::size_t> open_step_{};
  ResultSet current_{};
  PipelineResponse out_{};
};

/// The same error the local engine would give: Hrana code names (sqld's base codes, its own
/// SQL_* / ARGS_* codes, other servers' codes) and messages mapped to SQLite extended codes.
Error to_error(const HranaError& e);

}  // namespace libsql::detail::hrana
