#include "remote/hrana_json.hpp"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>

#include "core/base64.hpp"
#include "core/error_codes.hpp"
#include "core/json_writer.hpp"
#include "core/number_text.hpp"

namespace libsql::detail::hrana {
namespace {

// ---------- writing ----------

void write_string(std::string& out, std::string_view s) {
  // sqld fails the whole request (HTTP 500) on text that is not UTF-8: refused here instead.
  if (!append_json_string(out, s, InvalidUtf8::Reject)) {
    throw make_error(ErrorKind::Misuse, "ARGS_INVALID",
                     "text sent to a remote database must be valid UTF-8");
  }
}

void write_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    throw make_error(ErrorKind::Misuse, "ARGS_INVALID",
                     "NaN and infinite numbers cannot be sent to a remote database");
  }
  const std::string text = shortest_text(d);  // the shortest form, as JSON.stringify
  out += text;
  // Keep it a float for every JSON reader (e.g. Python reads "-0" as the integer 0).
  if (text.find_first_of(".eEn") == std::string_view::npos) out += ".0";
}

void write_value(std::string& out, const Value& v) {
  switch (v.index()) {
    case 0: out += R"({"type":"null"})"; break;
    case 1:
      out += R"({"type":"integer","value":")";
      out += std::to_string(std::get<std::int64_t>(v));
      out += "\"}";
      break;
    case 2:
      out += R"({"type":"float","value":)";
      write_double(out, std::get<double>(v));
      out += "}";
      break;
    case 3:
      out += R"({"type":"text","value":)";
      write_string(out, std::get<std::string>(v));
      out += "}";
      break;
    case 4:
      out += R"({"type":"blob","base64":")";
      out += base64_encode(std::get<Blob>(v).bytes);
      out += "\"}";
      break;
    default: break;
  }
}

void write_stmt(std::string& out, const Statement& s, bool want_rows, const SqlIds* sql_ids) {
  const std::int32_t* id = nullptr;
  if (sql_ids != nullptr) {
    if (auto it = sql_ids->find(s.sql); it != sql_ids->end()) id = &it->second;
  }
  if (id != nullptr) {
    out += R"({"sql_id":)";
    out += std::to_string(*id);
  } else {
    out += R"({"sql":)";
    write_string(out, s.sql);
  }
  out += R"(,"args":[)";
  for (std::size_t i = 0; i < s.args.size(); ++i) {
    if (i) out.push_back(',');
    write_value(out, s.args[i]);
  }
  out += R"(],"named_args":[)";
  for (std::size_t i = 0; i < s.named_args.size(); ++i) {
    if (i) out.push_back(',');
    out += R"({"name":)";
    write_string(out, s.named_args[i].first);
    out += R"(,"value":)";
    write_value(out, s.named_args[i].second);
    out += "}";
  }
  out += R"(],"want_rows":)";
  out += want_rows ? "true}" : "false}";
}

/// A condition as Hrana 2 can carry it: `is_autocommit` taken as false (we only use it inside
/// transactions) and folded away. nullopt: always true.
std::optional<Condition> fold_v2(const Condition& c, bool& always_false) {
  always_false = false;
  switch (c.type) {
    case Condition::Type::IsAutocommit: always_false = true; return std::nullopt;
    case Condition::Type::Not: {
      bool f = false;
      auto inner = fold_v2(c.conds.at(0), f);
      if (f) return std::nullopt;                  // not(false): true
      if (!inner) { always_false = true; return std::nullopt; }  // not(true): false
      return Condition::negate(std::move(*inner));
    }
    case Condition::Type::And:
    case Condition::Type::Or: {
      const bool is_and = c.type == Condition::Type::And;
      Condition out{c.type, 0, {}};
      for (const auto& sub : c.conds) {
        bool f = false;
        auto folded = fold_v2(sub, f);
        if (is_and && f) { always_false = true; return std::nullopt; }
        if (!is_and && !f && !folded) return std::nullopt;  // or(..., true)
        if (folded) out.conds.push_back(std::move(*folded));
      }
      if (out.conds.empty()) {
        if (!is_and) always_false = true;  // or() of only false ones
        return std::nullopt;
      }
      if (out.conds.size() == 1) return std::move(out.conds[0]);
      return out;
    }
    default: return c;
  }
}

void write_condition(std::string& out, const Condition& c) {
  switch (c.type) {
    case Condition::Type::IsAutocommit: out += R"({"type":"is_autocommit"})"; break;
    case Condition::Type::Ok: out += R"({"type":"ok","step":)" + std::to_string(c.step) + "}"; break;
    case Condition::Type::Error: out += R"({"type":"error","step":)" + std::to_string(c.step) + "}"; break;
    case Condition::Type::Not:
      out += R"({"type":"not","cond":)";
      write_condition(out, c.conds.at(0));
      out += "}";
      break;
    case Condition::Type::And:
    case Condition::Type::Or:
      out += c.type == Condition::Type::And ? R"({"type":"and","conds":[)" : R"({"type":"or","conds":[)";
      for (std::size_t i = 0; i < c.conds.size(); ++i) {
        if (i) out.push_back(',');
        write_condition(out, c.conds[i]);
      }
      out += "]}";
      break;
  }
}

// ---------- reading ----------

[[noreturn]] void proto(const std::string& what) {
  throw make_error(ErrorKind::Protocol, "HRANA_PROTO_ERROR", what);
}

using simdjson::dom::element;
using simdjson::dom::object;

std::string_view get_string(const element& e, const char* what) {
  std::string_view s;
  if (e.get_string().get(s)) proto(std::string("expected a string for ") + what);
  return s;
}

// A field lookup may fail (missing key): never let simdjson's implicit conversion throw.
std::string_view get_string(simdjson::simdjson_result<element> r, const char* what) {
  element e;
  if (std::move(r).get(e)) proto(std::string("missing ") + what);
  return get_string(e, what);
}

std::optional<std::string> optional_string(const object& o, const char* key) {
  element e;
  if (o[key].get(e) || e.is_null()) return std::nullopt;
  return std::string(get_string(e, key));
}

std::int64_t parse_i64(std::string_view s) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
    proto("invalid integer value \"" + std::string(s.substr(0, 40)) + "\"");
  }
  return v;
}

Value read_value(const element& e) {
  object o;
  if (e.get_object().get(o)) proto("a value must be an object");
  std::string_view type = get_string(o["type"], "value.type");
  if (type == "null") return Value();
  if (type == "integer") {
    element v;
    if (o["value"].get(v)) proto("integer value without \"value\"");
    std::string_view s;
    if (!v.get_string().get(s)) return Value(parse_i64(s));
    std::int64_t i = 0;  // tolerate a JSON number
    if (!v.get_int64().get(i)) return Value(i);
    proto("invalid integer value");
  }
  if (type == "float") {
    element v;
    if (o["value"].get(v)) proto("float value without \"value\"");
    if (v.is_null()) return Value();  // some servers send null for a non-finite float
    double d = 0;
    if (v.get_double().get(d)) proto("invalid float value");
    return Value(d);
  }
  if (type == "text") {
    return Value(std::string(get_string(o["value"], "text value")));
  }
  if (type == "blob") {
    element b;
    if (o["base64"].get(b)) return Value(Blob{});
    auto blob = base64_decode(get_string(b, "blob base64"));
    if (!blob) proto("invalid base64 in a blob value");
    return Value(std::move(*blob));
  }
  proto("unknown value type \"" + std::string(type) + "\"");
}

ResultSet read_stmt_result(const element& e) {
  object o;
  if (e.get_object().get(o)) proto("a statement result must be an object");
  ResultSet rs;
  simdjson::dom::array cols;
  if (o["cols"].get_array().get(cols)) proto("statement result without \"cols\"");
  for (element c : cols) {
    object co;
    if (c.get_object().get(co)) proto("a column must be an object");
    Column col;
    if (auto n = optional_string(co, "name")) col.name = *n;
    if (auto d = optional_string(co, "decltype")) col.decltype_ = *d;
    rs.columns.push_back(std::move(col));
  }
  simdjson::dom::array rows;
  if (o["rows"].get_array().get(rows)) proto("statement result without \"rows\"");
  rs.rows.reserve(rows.size());
  for (element r : rows) {
    simdjson::dom::array cells;
    if (r.get_array().get(cells)) proto("a row must be an array");
    Row row;
    row.reserve(rs.columns.size());
    for (element cell : cells) row.push_back(read_value(cell));
    if (row.size() != rs.columns.size()) proto("a row has a different number of cells than columns");
    rs.rows.push_back(std::move(row));
  }
  element arc;
  if (!o["affected_row_count"].get(arc) && !arc.is_null()) {
    std::int64_t n = 0;
    if (arc.get_int64().get(n)) proto("invalid affected_row_count");
    rs.rows_affected = n;
  }
  if (auto rowid = optional_string(o, "last_insert_rowid")) rs.last_insert_rowid = parse_i64(*rowid);
  // sqld: the primary's frame number after the statement (the replica's read-your-writes).
  if (auto index = optional_string(o, "replication_index")) {
    rs.replication_index = static_cast<std::uint64_t>(parse_i64(*index));
  }
  return rs;
}

HranaError read_error(const element& e) {
  object o;
  if (e.get_object().get(o)) proto("an error must be an object");
  HranaError err;
  err.message = std::string(get_string(o["message"], "error.message"));
  if (auto c = optional_string(o, "code")) err.code = *c;
  return err;
}

const char* type_name(Request::Type t) {
  switch (t) {
    case Request::Type::Execute: return "execute";
    case Request::Type::Batch: return "batch";
    case Request::Type::Sequence: return "sequence";
    case Request::Type::Close: return "close";
    case Request::Type::GetAutocommit: return "get_autocommit";
  }
  return "?";
}

std::optional<std::uint64_t> read_replication_index(const object& o) {
  element e;
  if (o["replication_index"].get(e) || e.is_null()) return std::nullopt;
  std::uint64_t n = 0;
  if (!e.get_uint64().get(n)) return n;
  std::string_view s;
  if (!e.get_string().get(s)) {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) return n;
  }
  return std::nullopt;  // not ours to judge: the field is informative
}

void write_steps(std::string& out, const std::vector<Step>& steps, int version, const SqlIds* sql_ids = nullptr) {
  out += R"({"steps":[)";
  for (std::size_t j = 0; j < steps.size(); ++j) {
    if (j) out.push_back(',');
    out += "{";
    if (steps[j].condition) {
      if (version >= 3) {
        out += R"("condition":)";
        write_condition(out, *steps[j].condition);
        out += ",";
      } else {
        bool never = false;
        auto folded = fold_v2(*steps[j].condition, never);
        if (never) {
          out += R"("condition":{"type":"or","conds":[]},)";
        } else if (folded) {
          out += R"("condition":)";
          write_condition(out, *folded);
          out += ",";
        }
      }
    }
    out += R"("stmt":)";
    write_stmt(out, steps[j].stmt, steps[j].want_rows, sql_ids);
    out += "}";
  }
  out += "]}";
}

/// An ok response's content for `req`; `resp` is the `{"type": ..., ...}` object.
StreamResult read_response(const object& resp, const Request& req) {
  StreamResult sr;
  std::string_view rtype = get_string(resp["type"], "response.type");
  if (rtype != type_name(req.type)) {
    proto("response type \"" + std::string(rtype) + "\" does not match request type \"" + type_name(req.type) + "\"");
  }
  if (req.type == Request::Type::Execute) {
    element res;
    if (resp["result"].get(res)) proto("an execute response without \"result\"");
    sr.execute = read_stmt_result(res);
    object res_object;
    if (!res.get_object().get(res_object)) sr.replication_index = read_replication_index(res_object);
  } else if (req.type == Request::Type::Batch) {
    object res;
    if (resp["result"].get_object().get(res)) proto("a batch response without \"result\"");
    simdjson::dom::array steps, errors;
    if (res["step_results"].get_array().get(steps) || res["step_errors"].get_array().get(errors)) {
      proto("a batch result without step_results / step_errors");
    }
    if (steps.size() != req.steps.size() || errors.size() != req.steps.size()) {
      proto("a batch result with a different number of steps than requested");
    }
    for (element s : steps) {
      if (s.is_null()) sr.batch.step_results.emplace_back();
      else sr.batch.step_results.emplace_back(read_stmt_result(s));
    }
    for (element e : errors) {
      if (e.is_null()) sr.batch.step_errors.emplace_back();
      else sr.batch.step_errors.emplace_back(read_error(e));
    }
    sr.replication_index = read_replication_index(res);
  } else if (req.type == Request::Type::GetAutocommit) {
    bool b = false;
    if (resp["is_autocommit"].get_bool().get(b)) proto("a get_autocommit response without \"is_autocommit\"");
    sr.is_autocommit = b;
  }
  return sr;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

Request execute(Statement stmt, bool want_rows) {
  Request r;
  r.type = Request::Type::Execute;
  r.stmt = std::move(stmt);
  r.want_rows = want_rows;
  return r;
}
Request batch(std::vector<Step> steps) {
  Request r;
  r.type = Request::Type::Batch;
  r.steps = std::move(steps);
  return r;
}
Request sequence(std::string sql) {
  Request r;
  r.type = Request::Type::Sequence;
  r.sql = std::move(sql);
  return r;
}
Request close() {
  Request r;
  r.type = Request::Type::Close;
  return r;
}
Request get_autocommit() {
  Request r;
  r.type = Request::Type::GetAutocommit;
  return r;
}

void encode_request(std::string& out, const Request& r, int version, const SqlIds* sql_ids) {
  switch (r.type) {
    case Request::Type::Execute:
      out += R"({"type":"execute","stmt":)";
      write_stmt(out, r.stmt, r.want_rows, sql_ids);
      out += "}";
      break;
    case Request::Type::Batch:
      out += R"({"type":"batch","batch":)";
      write_steps(out, r.steps, version, sql_ids);
      out += "}";
      break;
    case Request::Type::Sequence:
      out += R"({"type":"sequence","sql":)";
      write_string(out, r.sql);
      out += "}";
      break;
    case Request::Type::Close: out += R"({"type":"close"})"; break;
    case Request::Type::GetAutocommit:
      if (version < 3) {
        throw make_error(ErrorKind::Misuse, "HRANA_PROTO_ERROR",
                         "get_autocommit needs Hrana 3, and the server speaks Hrana 2");
      }
      out += R"({"type":"get_autocommit"})";
      break;
  }
}

void encode_open_cursor(std::string& out, std::int64_t stream_id, std::int64_t cursor_id, const std::vector<Step>& steps,
                        const SqlIds* sql_ids) {
  out += R"({"type":"open_cursor","stream_id":)";
  out += std::to_string(stream_id);
  out += R"(,"cursor_id":)";
  out += std::to_string(cursor_id);
  out += R"(,"batch":)";
  write_steps(out, steps, 3, sql_ids);
  out += "}";
}

std::string encode_cursor(const std::optional<std::string>& baton, const std::vector<Step>& steps) {
  std::string out;
  out.reserve(256);
  out += R"({"baton":)";
  if (baton) write_string(out, *baton);
  else out += "null";
  out += R"(,"batch":)";
  write_steps(out, steps, 3);
  out += "}";
  return out;
}

std::string encode_pipeline(const std::optional<std::string>& baton, const std::vector<Request>& requests,
                            int version) {
  std::string out;
  out.reserve(256);
  out += R"({"baton":)";
  if (baton) write_string(out, *baton);
  else out += "null";
  out += R"(,"requests":[)";
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (i) out.push_back(',');
    encode_request(out, requests[i], version);
  }
  out += "]}";
  return out;
}

PipelineResponse decode_pipeline(std::string_view body, const std::vector<Request>& requests) {
  thread_local simdjson::dom::parser parser;
  element doc;
  if (auto err = parser.parse(body.data(), body.size()).get(doc)) {
    proto(std::string("the response is not valid JSON (") + simdjson::error_message(err) + ")");
  }
  object root;
  if (doc.get_object().get(root)) proto("the response is not a JSON object");
  PipelineResponse out;
  out.baton = optional_string(root, "baton");
  out.base_url = optional_string(root, "base_url");
  simdjson::dom::array results;
  if (root["results"].get_array().get(results)) proto("the response has no \"results\" array");
  if (results.size() != requests.size()) {
    proto("the server returned " + std::to_string(results.size()) + " results for " +
          std::to_string(requests.size()) + " requests");
  }
  std::size_t i = 0;
  for (element r : results) {
    const Request& req = requests[i++];
    object ro;
    if (r.get_object().get(ro)) proto("a result must be an object");
    std::string_view type = get_string(ro["type"], "result.type");
    StreamResult sr;
    if (type == "error") {
      element e;
      if (ro["error"].get(e)) proto("an error result without \"error\"");
      sr.error = read_error(e);
    } else if (type == "ok") {
      object resp;
      if (ro["response"].get_object().get(resp)) proto("an ok result without \"response\"");
      sr = read_response(resp, req);
    } else {
      proto("unknown result type \"" + std::string(type) + "\"");
    }
    out.results.push_back(std::move(sr));
  }
  return out;
}

StreamResult decode_response(std::string_view json, const Request& request) {
  thread_local simdjson::dom::parser parser;
  object resp;
  if (parser.parse(json.data(), json.size()).get_object().get(resp)) proto("a response is not a JSON object");
  return read_response(resp, request);
}

CursorDecoder::CursorDecoder(std::size_t steps, bool with_head) : head_(!with_head) {
  out_.results.resize(1);
  out_.results[0].batch.step_results.resize(steps);
  out_.results[0].batch.step_errors.resize(steps);
}

void CursorDecoder::feed(std::string_view chunk) {
  // Whole lines are parsed straight from the chunk; only a line cut between chunks is copied.
  while (!chunk.empty()) {
    std::size_t nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      pending_.append(chunk);
      return;
    }
    if (pending_.empty()) {
      line(chunk.substr(0, nl));
    } else {
      pending_.append(chunk.substr(0, nl));
      line(pending_);
      pending_.clear();
    }
    chunk.remove_prefix(nl + 1);
  }
}

PipelineResponse CursorDecoder::finish() {
  if (!pending_.empty()) {
    line(pending_);
    pending_.clear();
  }
  if (!head_) proto("the cursor response ended before its head");
  if (open_step_ && !out_.results[0].error) proto("the cursor response ended inside a step");
  return std::move(out_);
}

void CursorDecoder::line(std::string_view json) {
  while (!json.empty() && (json.back() == '\r' || json.back() == ' ')) json.remove_suffix(1);
  if (json.empty()) return;
  if (!head_) {
    thread_local simdjson::dom::parser parser;
    object root;
    if (parser.parse(json.data(), json.size()).get_object().get(root)) proto("the cursor head is not a JSON object");
    out_.baton = optional_string(root, "baton");
    out_.base_url = optional_string(root, "base_url");
    head_ = true;
    return;
  }
  entry(json);
}

/// Reads one parsed cursor entry into a decoder (the HTTP lines and the WebSocket fetches).
struct CursorEntryReader {
  static void read(CursorDecoder& d, object o);
};

void CursorDecoder::entry(std::string_view json) {
  thread_local simdjson::dom::parser parser;
  object o;
  if (auto err = parser.parse(json.data(), json.size()).get_object().get(o)) {
    proto(std::string("a cursor entry is not a JSON object (") + simdjson::error_message(err) + ")");
  }
  CursorEntryReader::read(*this, o);
}

bool CursorDecoder::fetch_response(std::string_view json) {
  thread_local simdjson::dom::parser parser;
  object o;
  if (auto err = parser.parse(json.data(), json.size()).get_object().get(o)) {
    proto(std::string("a fetch_cursor response is not a JSON object (") + simdjson::error_message(err) + ")");
  }
  simdjson::dom::array entries;
  if (o["entries"].get_array().get(entries)) proto("a fetch_cursor response without \"entries\"");
  for (element e : entries) {
    object eo;
    if (e.get_object().get(eo)) proto("a cursor entry is not a JSON object");
    CursorEntryReader::read(*this, eo);
  }
  bool done = false;
  if (o["done"].get_bool().get(done)) proto("a fetch_cursor response without \"done\"");
  return done;
}

void CursorDecoder::fail(HranaError error) {
  out_.results[0].error = std::move(error);
  open_step_.reset();
  current_ = ResultSet{};
}

void CursorEntryReader::read(CursorDecoder& decoder, object o) {
  auto& out_ = decoder.out_;
  auto& open_step_ = decoder.open_step_;
  auto& current_ = decoder.current_;
  StreamResult& result = out_.results[0];
  if (result.error) proto("a cursor entry after its fatal error");
  BatchResult& batch = result.batch;
  std::string_view type = get_string(o["type"], "entry.type");
  auto step_of = [&]() -> std::size_t {
    std::uint64_t step = 0;
    if (o["step"].get_uint64().get(step) || step >= batch.step_results.size()) proto("a cursor entry with an invalid step");
    return static_cast<std::size_t>(step);
  };
  if (type == "row") {
    if (!open_step_) proto("a cursor row outside a step");
    simdjson::dom::array cells;
    if (o["row"].get_array().get(cells)) proto("a cursor row without \"row\"");
    Row row;
    row.reserve(current_.columns.size());
    for (element cell : cells) row.push_back(read_value(cell));
    if (row.size() != current_.columns.size()) proto("a row has a different number of cells than columns");
    current_.rows.push_back(std::move(row));
  } else if (type == "step_begin") {
    if (open_step_) proto("a cursor step began inside another");
    std::size_t step = step_of();
    if (batch.step_results[step] || batch.step_errors[step]) proto("a cursor step ran twice");
    current_ = ResultSet{};
    simdjson::dom::array cols;
    if (o["cols"].get_array().get(cols)) proto("a cursor step without \"cols\"");
    for (element c : cols) {
      object co;
      if (c.get_object().get(co)) proto("a column must be an object");
      Column col;
      if (auto n = optional_string(co, "name")) col.name = *n;
      if (auto d = optional_string(co, "decltype")) col.decltype_ = *d;
      current_.columns.push_back(std::move(col));
    }
    open_step_ = step;
  } else if (type == "step_end") {
    if (!open_step_) proto("a cursor step ended that had not begun");
    element arc;
    if (!o["affected_row_count"].get(arc) && !arc.is_null()) {
      std::int64_t n = 0;
      if (arc.get_int64().get(n)) proto("invalid affected_row_count");
      current_.rows_affected = n;
    }
    element rowid;
    if (!o["last_insert_rowid"].get(rowid) && !rowid.is_null()) {
      std::int64_t n = 0;
      std::string_view text;
      if (!rowid.get_string().get(text)) current_.last_insert_rowid = parse_i64(text);
      else if (!rowid.get_int64().get(n)) current_.last_insert_rowid = n;  // sqld sends a number here
      else proto("invalid last_insert_rowid");
    }
    batch.step_results[*open_step_] = std::move(current_);
    current_ = ResultSet{};
    open_step_.reset();
  } else if (type == "step_error") {
    std::size_t step = step_of();
    element e;
    if (o["error"].get(e)) proto("a step_error entry without \"error\"");
    batch.step_results[step].reset();
    batch.step_errors[step] = read_error(e);
    if (open_step_ == step) {
      current_ = ResultSet{};
      open_step_.reset();
    }
  } else if (type == "error") {
    element e;
    if (o["error"].get(e)) proto("an error entry without \"error\"");
    result.error = read_error(e);
  } else if (type == "replication_index") {
    result.replication_index = read_replication_index(o);
  }
  // Unknown entry types are ignored, as unknown fields are.
}

Error to_error(const HranaError& e) {
  std::string msg = e.message;
  // Strip what servers put around SQLite's own message, so it reads as it does locally.
  for (std::string_view prefix : {"SQLite error: ", "SQL input error: ", "SQL string could not be parsed: "}) {
    if (starts_with(msg, prefix)) {
      msg.erase(0, prefix.size());
      break;
    }
  }
  if (std::size_t at = msg.rfind(" (at offset "); at != std::string::npos && !msg.empty() && msg.back() == ')') {
    msg.erase(at);
  }
  const std::string& code = e.code;
  auto misuse = [&](const std::string& name) { return make_error(ErrorKind::Misuse, name, msg); };
  if (code == "ARGS_INVALID" || code == "ARGS_BOTH_POSITIONAL_AND_NAMED") return misuse("ARGS_INVALID");
  if (code == "SQL_MANY_STATEMENTS" || code == "SQL_NO_STATEMENT") return misuse(code);
  if (code == "STREAM_EXPIRED") {
    return make_error(ErrorKind::Misuse, "TRANSACTION_CLOSED", "the server ended the transaction: " + msg);
  }

  int ext = -1;
  if (starts_with(code, "SQLITE_")) {
    ext = sqlite_code_from_name(code);
    if (ext < 0) ext = 1;  // sqld reports plain SQLITE_ERROR as SQLITE_UNKNOWN
  } else if (code == "SQL_PARSE_ERROR" || code == "SQL_INPUT_ERROR") {
    ext = 1;
  } else if (code == "TRANSACTION_TIMEOUT" || code == "TRANSACTION_BUSY" || code == "BLOCKED") {
    ext = 5;  // SQLITE_BUSY: the database is locked by someone else
  }
  // sqld sends base codes only; the message says which constraint failed.
  if (ext < 0 || ext == 19) {
    struct Pattern {
      std::string_view text;
      int code;
    };
    static constexpr Pattern kPatterns[] = {
        {"UNIQUE constraint failed", 2067},  {"NOT NULL constraint failed", 1299},
        {"FOREIGN KEY constraint failed", 787}, {"CHECK constraint failed", 275},
        {"cannot store ", 3091},  // STRICT tables: "cannot store TEXT value in INTEGER column t.c"
    };
    bool matched = false;
    for (const auto& p : kPatterns) {
      if (msg.find(p.text) != std::string::npos) {
        ext = p.code;
        matched = true;
        break;
      }
    }
    // A SQLITE_CONSTRAINT whose text is none of SQLite's own constraint messages carries the
    // text a trigger gave RAISE(ABORT|FAIL|ROLLBACK, ...): SQLITE_CONSTRAINT_TRIGGER locally.
    // (SQLite's other subtypes with a text of their own, from commit hooks, functions or virtual
    // tables, do not arise from SQL sent to a server; their generic text stays plain 19.)
    if (ext == 19 && !matched && msg != "constraint failed") ext = 1811;
  }
  if (ext < 0) {
    // A server code we do not know (tursodb's PREPARE_ERROR, ...): a generic SQLite error
    // that keeps the server's code in its text.
    return Error(ErrorKind::Sqlite, 1, code.empty() ? "SQLITE_ERROR" : code,
                 "SQLITE_ERROR: " + (code.empty() ? msg : code + ": " + msg));
  }
  return make_sqlite_error(ext, msg);
}

}  // namespace libsql::detail::hrana
