// Hrana JSON request encoding (remote/hrana_json.hpp): every body is parsed back with simdjson and
// checked field by field, so key order (not part of the protocol) does not matter.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base64.hpp"
#include "libsql/error.hpp"
#include "remote/hrana_json.hpp"

namespace hrana = libsql::detail::hrana;
using libsql::Blob;
using libsql::Statement;
using libsql::Value;
using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

namespace {

// Owns the parser so the elements stay valid for the test's lifetime.
class Parsed {
 public:
  explicit Parsed(const std::string& body) {
    auto r = parser_.parse(simdjson::padded_string(body));
    EXPECT_EQ(r.error(), simdjson::SUCCESS) << "not valid JSON: " << body;
    if (r.error() == simdjson::SUCCESS) root_ = r.value_unsafe();
  }
  element root() const { return root_; }
  array requests() const {
    array a;
    EXPECT_EQ(root_["requests"].get_array().get(a), simdjson::SUCCESS);
    return a;
  }
  element request(std::size_t i) const {
    element e;
    EXPECT_EQ(requests().at(i).get(e), simdjson::SUCCESS);
    return e;
  }

 private:
  simdjson::dom::parser parser_;
  element root_;
};

std::string str(element e, const char* key) {
  std::string_view s;
  EXPECT_EQ(e[key].get_string().get(s), simdjson::SUCCESS) << "field " << key;
  return std::string(s);
}

bool has(element e, const char* key) {
  element x;
  return e[key].get(x) == simdjson::SUCCESS;
}

std::size_t size_of(element e, const char* key) {
  array a;
  EXPECT_EQ(e[key].get_array().get(a), simdjson::SUCCESS) << "field " << key;
  return a.size();
}

element at(element e, const char* key, std::size_t i) {
  element x;
  EXPECT_EQ(e[key].at(i).get(x), simdjson::SUCCESS) << key << "[" << i << "]";
  return x;
}

element field(element e, const char* key) {
  element x;
  EXPECT_EQ(e[key].get(x), simdjson::SUCCESS) << "field " << key;
  return x;
}

// The body for one execute of `SELECT ?` with one positional argument.
std::string one_arg_body(Value v) {
  return hrana::encode_pipeline(std::nullopt, {hrana::execute(Statement("SELECT ?", {std::move(v)}))});
}

// The JSON value object of that single argument, plus the raw text of its "value" token.
struct EncodedArg {
  std::string body;
  std::string type;
  std::string raw_value;  // the exact JSON text after "value": in the body (for numbers)
};

EncodedArg encode_arg(Value v) {
  EncodedArg out;
  out.body = one_arg_body(std::move(v));
  Parsed p(out.body);
  element arg = at(field(p.request(0), "stmt"), "args", 0);
  out.type = str(arg, "type");
  const auto pos = out.body.find("\"value\":");
  if (pos != std::string::npos) {
    const auto start = pos + 8;
    const auto end = out.body.find_first_of(",}", start);
    out.raw_value = out.body.substr(start, end - start);
  }
  return out;
}

double float_of(const std::string& body) {
  Parsed p(body);
  element arg = at(field(p.request(0), "stmt"), "args", 0);
  double d = 0;
  EXPECT_EQ(arg["value"].get_double().get(d), simdjson::SUCCESS);
  return d;
}

TEST(HranaEncode, EmptyPipelineHasNullBatonAndNoRequests) {
  Parsed p(hrana::encode_pipeline(std::nullopt, {}));
  EXPECT_TRUE(p.root()["baton"].is_null());
  EXPECT_EQ(p.requests().size(), 0u);
}

TEST(HranaEncode, BatonIsSentAsAString) {
  Parsed p(hrana::encode_pipeline(std::string("abc\"def"), {hrana::close()}));
  EXPECT_EQ(str(p.root(), "baton"), "abc\"def");
}

TEST(HranaEncode, ExecuteCarriesSqlArgsAndWantRows) {
  Parsed p(hrana::encode_pipeline(std::nullopt, {hrana::execute(Statement("SELECT 1"), false),
                                                 hrana::execute(Statement("SELECT 2"))}));
  ASSERT_EQ(p.requests().size(), 2u);
  element r0 = p.request(0);
  EXPECT_EQ(str(r0, "type"), "execute");
  element s0 = field(r0, "stmt");
  EXPECT_EQ(str(s0, "sql"), "SELECT 1");
  EXPECT_EQ(size_of(s0, "args"), 0u);
  EXPECT_EQ(size_of(s0, "named_args"), 0u);
  bool want = true;
  ASSERT_EQ(s0["want_rows"].get_bool().get(want), simdjson::SUCCESS);
  EXPECT_FALSE(want);
  ASSERT_EQ(field(p.request(1), "stmt")["want_rows"].get_bool().get(want), simdjson::SUCCESS);
  EXPECT_TRUE(want);
}

TEST(HranaEncode, SequenceAndClose) {
  Parsed p(hrana::encode_pipeline(std::string("b"), {hrana::sequence("CREATE TABLE t(x);\nINSERT INTO t VALUES ('a');"),
                                                     hrana::close()}));
  ASSERT_EQ(p.requests().size(), 2u);
  EXPECT_EQ(str(p.request(0), "type"), "sequence");
  EXPECT_EQ(str(p.request(0), "sql"), "CREATE TABLE t(x);\nINSERT INTO t VALUES ('a');");
  EXPECT_EQ(str(p.request(1), "type"), "close");
  EXPECT_FALSE(has(p.request(1), "sql"));
  EXPECT_FALSE(has(p.request(1), "stmt"));
}

TEST(HranaEncode, BatchStepsWithConditions) {
  using C = hrana::Condition;
  C and_cond{C::Type::And, 0, {C::ok(0), C::error(1)}};
  C or_cond{C::Type::Or, 0, {C::negate(C::ok(2)), C::error(0)}};
  std::vector<hrana::Step> steps;
  steps.push_back({std::nullopt, Statement("BEGIN"), false});
  steps.push_back({C::ok(0), Statement("INSERT INTO t VALUES (?)", {Value(std::int64_t{7})}), true});
  steps.push_back({C::negate(C::error(1)), Statement("SELECT 1"), true});
  steps.push_back({and_cond, Statement("SELECT 2"), true});
  steps.push_back({or_cond, Statement("ROLLBACK"), false});
  Parsed p(hrana::encode_pipeline(std::nullopt, {hrana::batch(std::move(steps))}));
  element r = p.request(0);
  EXPECT_EQ(str(r, "type"), "batch");
  element b = field(r, "batch");
  ASSERT_EQ(size_of(b, "steps"), 5u);

  element s0 = at(b, "steps", 0);
  EXPECT_FALSE(has(s0, "condition"));  // absent, not null
  EXPECT_EQ(str(field(s0, "stmt"), "sql"), "BEGIN");
  bool want = true;
  ASSERT_EQ(field(s0, "stmt")["want_rows"].get_bool().get(want), simdjson::SUCCESS);
  EXPECT_FALSE(want);

  element c1 = field(at(b, "steps", 1), "condition");
  EXPECT_EQ(str(c1, "type"), "ok");
  std::int64_t step = -1;
  ASSERT_EQ(c1["step"].get_int64().get(step), simdjson::SUCCESS);
  EXPECT_EQ(step, 0);
  element arg = at(field(at(b, "steps", 1), "stmt"), "args", 0);
  EXPECT_EQ(str(arg, "type"), "integer");
  EXPECT_EQ(str(arg, "value"), "7");

  element c2 = field(at(b, "steps", 2), "condition");
  EXPECT_EQ(str(c2, "type"), "not");
  element inner = field(c2, "cond");
  EXPECT_EQ(str(inner, "type"), "error");
  ASSERT_EQ(inner["step"].get_int64().get(step), simdjson::SUCCESS);
  EXPECT_EQ(step, 1);

  element c3 = field(at(b, "steps", 3), "condition");
  EXPECT_EQ(str(c3, "type"), "and");
  ASSERT_EQ(size_of(c3, "conds"), 2u);
  EXPECT_EQ(str(at(c3, "conds", 0), "type"), "ok");
  EXPECT_EQ(str(at(c3, "conds", 1), "type"), "error");
  ASSERT_EQ(at(c3, "conds", 1)["step"].get_int64().get(step), simdjson::SUCCESS);
  EXPECT_EQ(step, 1);

  element c4 = field(at(b, "steps", 4), "condition");
  EXPECT_EQ(str(c4, "type"), "or");
  ASSERT_EQ(size_of(c4, "conds"), 2u);
  element not2 = at(c4, "conds", 0);
  EXPECT_EQ(str(not2, "type"), "not");
  EXPECT_EQ(str(field(not2, "cond"), "type"), "ok");
  ASSERT_EQ(field(not2, "cond")["step"].get_int64().get(step), simdjson::SUCCESS);
  EXPECT_EQ(step, 2);
}

TEST(HranaEncode, EmptyBatch) {
  Parsed p(hrana::encode_pipeline(std::nullopt, {hrana::batch({})}));
  EXPECT_EQ(size_of(field(p.request(0), "batch"), "steps"), 0u);
}

TEST(HranaEncode, NullValue) {
  Parsed p(one_arg_body(Value()));
  element arg = at(field(p.request(0), "stmt"), "args", 0);
  EXPECT_EQ(str(arg, "type"), "null");
  EXPECT_FALSE(has(arg, "value"));
}

TEST(HranaEncode, IntegersAreDecimalStrings) {
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{9007199254740993},
                         std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()}) {
    Parsed p(one_arg_body(Value(v)));
    element arg = at(field(p.request(0), "stmt"), "args", 0);
    EXPECT_EQ(str(arg, "type"), "integer");
    EXPECT_TRUE(arg["value"].is_string()) << v;  // a string, so no reader rounds it through a double
    EXPECT_EQ(str(arg, "value"), std::to_string(v));
  }
  Parsed p(one_arg_body(Value(std::numeric_limits<std::int64_t>::min())));
  EXPECT_EQ(str(at(field(p.request(0), "stmt"), "args", 0), "value"), "-9223372036854775808");
  Parsed q(one_arg_body(Value(std::numeric_limits<std::int64_t>::max())));
  EXPECT_EQ(str(at(field(q.request(0), "stmt"), "args", 0), "value"), "9223372036854775807");
}

TEST(HranaEncode, FloatsAreJsonNumbersInShortestForm) {
  struct Case {
    double v;
    std::string text;
  };
  const std::vector<Case> cases = {
      {0.1, "0.1"},
      {123467.769, "123467.769"},
      {1.5, "1.5"},
      {-2.25, "-2.25"},
      {1e21, "1e+21"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
  };
  for (const auto& c : cases) {
    EncodedArg e = encode_arg(Value(c.v));
    EXPECT_EQ(e.type, "float");
    EXPECT_EQ(e.raw_value, c.text) << e.body;
    EXPECT_EQ(float_of(e.body), c.v) << e.body;
  }
}

TEST(HranaEncode, IntegralFloatsStayFloats) {
  // A whole double keeps a fraction so no JSON reader takes it for an integer.
  EncodedArg one = encode_arg(Value(1.0));
  EXPECT_EQ(one.type, "float");
  EXPECT_EQ(one.raw_value, "1.0");
  EXPECT_EQ(float_of(one.body), 1.0);

  EncodedArg zero = encode_arg(Value(0.0));
  EXPECT_EQ(zero.raw_value, "0.0");

  EncodedArg big = encode_arg(Value(9007199254740992.0));
  EXPECT_EQ(big.raw_value, "9007199254740992.0");
  EXPECT_EQ(float_of(big.body), 9007199254740992.0);
}

TEST(HranaEncode, NegativeZeroKeepsItsSign) {
  EncodedArg e = encode_arg(Value(-0.0));
  EXPECT_EQ(e.type, "float");
  EXPECT_EQ(e.raw_value, "-0.0");
  const double d = float_of(e.body);
  EXPECT_EQ(d, 0.0);
  EXPECT_TRUE(std::signbit(d));
}

TEST(HranaEncode, NonFiniteFloatsAreRefused) {
  for (double d : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity()}) {
    try {
      (void)one_arg_body(Value(d));
      ADD_FAILURE() << "no error for " << d;
    } catch (const libsql::Error& err) {
      EXPECT_EQ(err.kind(), libsql::ErrorKind::Misuse);
      EXPECT_NE(std::string(err.what()).find("ARGS_INVALID"), std::string::npos) << err.what();
    }
  }
  // Also as a named argument and inside a batch step.
  EXPECT_THROW((void)hrana::encode_pipeline(
                   std::nullopt, {hrana::execute(Statement("SELECT :x", {libsql::NamedArg{"x", Value(std::numeric_limits<double>::quiet_NaN())}}))}),
               libsql::Error);
  std::vector<hrana::Step> steps;
  steps.push_back({std::nullopt, Statement("SELECT ?", {Value(std::numeric_limits<double>::infinity())}), true});
  EXPECT_THROW((void)hrana::encode_pipeline(std::nullopt, {hrana::batch(std::move(steps))}), libsql::Error);
}

TEST(HranaEncode, TextEscapes) {
  const std::vector<std::string> texts = {
      "",
      "plain",
      "say \"hi\"",
      "back\\slash \\\" both",
      "line\nfeed\r\ttab",
      std::string("nul\0byte", 8),
      "\x01\x02\x1f\x7f",
      "/ slash",
      "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac \xf0\x9f\x98\x80",  // é ö € 😀
  };
  for (const auto& t : texts) {
    const std::string body = one_arg_body(Value(t));
    Parsed p(body);
    element arg = at(field(p.request(0), "stmt"), "args", 0);
    EXPECT_EQ(str(arg, "type"), "text");
    EXPECT_EQ(str(arg, "value"), t) << body;
  }
  // Control characters never appear raw in the body (JSON forbids them in strings).
  const std::string body = one_arg_body(Value(std::string("a\x01\x1f\n\x00z", 6)));
  for (char ch : body) EXPECT_GE(static_cast<unsigned char>(ch), 0x20u) << body;
}

TEST(HranaEncode, TextThatIsNotUtf8IsRefusedBeforeSending) {
  // sqld answers such a body with HTTP 500 for the whole pipeline; refused here, clearly.
  for (const std::string& bad : {std::string("a\xff"), std::string("\xc3"), std::string("\xed\xa0\x80")}) {
    try {
      (void)one_arg_body(Value(bad));
      ADD_FAILURE() << "no error";
    } catch (const libsql::Error& err) {
      EXPECT_EQ(err.kind(), libsql::ErrorKind::Misuse);
      EXPECT_EQ(err.code_name(), "ARGS_INVALID") << err.what();
    }
  }
  EXPECT_THROW((void)hrana::encode_pipeline(std::nullopt, {hrana::execute(Statement("SELECT '\xff'"))}),
               libsql::Error);
}

TEST(HranaEncode, SqlIsEscapedToo) {
  const std::string sql = "SELECT '\"q\"', '\\', '\n', 'caf\xc3\xa9'";
  Parsed p(hrana::encode_pipeline(std::nullopt, {hrana::execute(Statement(sql))}));
  EXPECT_EQ(str(field(p.request(0), "stmt"), "sql"), sql);
}

TEST(HranaEncode, BlobsAreStandardBase64WithPadding) {
  struct Case {
    std::string bytes;
    std::string base64;
  };
  const std::vector<Case> cases = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {std::string("\xfb\xff\xfe\x00", 4), "+//+AA=="},
  };
  for (const auto& c : cases) {
    const Blob blob = libsql::make_blob(c.bytes);
    EXPECT_EQ(libsql::detail::base64_encode(blob.bytes), c.base64);
    Parsed p(one_arg_body(Value(blob)));
    element arg = at(field(p.request(0), "stmt"), "args", 0);
    EXPECT_EQ(str(arg, "type"), "blob");
    EXPECT_EQ(str(arg, "base64"), c.base64);
    EXPECT_FALSE(has(arg, "value"));
    auto back = libsql::detail::base64_decode(c.base64);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, blob);
  }
}

TEST(HranaEncode, Base64RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= all.size(); len += 37) {
    const Blob blob = libsql::make_blob(std::string_view(all).substr(0, len));
    const std::string text = libsql::detail::base64_encode(blob.bytes);
    EXPECT_EQ(text.size() % 4, 0u);
    auto back = libsql::detail::base64_decode(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(*back, blob);
  }
}

TEST(HranaEncode, PositionalArgsKeepTheirOrder) {
  Statement s("SELECT ?, ?, ?, ?, ?",
              {Value(), Value(std::int64_t{42}), Value(2.5), Value(std::string("x")), Value(libsql::make_blob("ab"))});
  Parsed p(hrana::encode_pipeline(std::nullopt, {hrana::execute(s)}));
  element st = field(p.request(0), "stmt");
  ASSERT_EQ(size_of(st, "args"), 5u);
  EXPECT_EQ(size_of(st, "named_args"), 0u);
  EXPECT_EQ(str(at(st, "args", 0), "type"), "null");
  EXPECT_EQ(str(at(st, "args", 1), "type"), "integer");
  EXPECT_EQ(str(at(st, "args", 1), "value"), "42");
  EXPECT_EQ(str(at(st, "args", 2), "type"), "float");
  EXPECT_EQ(str(at(st, "args", 3), "type"), "text");
  EXPECT_EQ(str(at(st, "args", 3), "value"), "x");
  EXPECT_EQ(str(at(st, "args", 4), "type"), "blob");
  EXPECT_EQ(str(at(st, "args", 4), "base64"), "YWI=");
}

TEST(HranaEncode, NamedArgsKeepNamesAsGiven) {
  Statement s("SELECT :a, @b, $c, :d",
              {libsql::NamedArg{":a", Value(std::int64_t{-5})}, libsql::NamedArg{"@b", Value(std::string("q\"uote"))},
               libsql::NamedArg{"$c", Value()}, libsql::NamedArg{"d", Value(0.5)}});
  Parsed p(hrana::encode_pipeline(std::nullopt, {hrana::execute(s)}));
  element st = field(p.request(0), "stmt");
  EXPECT_EQ(size_of(st, "args"), 0u);
  ASSERT_EQ(size_of(st, "named_args"), 4u);
  const std::vector<std::string> names = {":a", "@b", "$c", "d"};
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(str(at(st, "named_args", i), "name"), names[i]);
  element va = field(at(st, "named_args", 0), "value");
  EXPECT_EQ(str(va, "type"), "integer");
  EXPECT_EQ(str(va, "value"), "-5");
  element vb = field(at(st, "named_args", 1), "value");
  EXPECT_EQ(str(vb, "type"), "text");
  EXPECT_EQ(str(vb, "value"), "q\"uote");
  EXPECT_EQ(str(field(at(st, "named_args", 2), "value"), "type"), "null");
  element vd = field(at(st, "named_args", 3), "value");
  EXPECT_EQ(str(vd, "type"), "float");
  double d = 0;
  ASSERT_EQ(vd["value"].get_double().get(d), simdjson::SUCCESS);
  EXPECT_EQ(d, 0.5);
}

TEST(HranaEncode, MixedPipelineKeepsRequestOrder) {
  std::vector<hrana::Step> steps;
  steps.push_back({std::nullopt, Statement("SELECT 1"), true});
  Parsed p(hrana::encode_pipeline(std::string("tok"),
                                  {hrana::sequence("BEGIN"), hrana::execute(Statement("SELECT 2")),
                                   hrana::batch(std::move(steps)), hrana::close()}));
  ASSERT_EQ(p.requests().size(), 4u);
  EXPECT_EQ(str(p.request(0), "type"), "sequence");
  EXPECT_EQ(str(p.request(1), "type"), "execute");
  EXPECT_EQ(str(p.request(2), "type"), "batch");
  EXPECT_EQ(str(p.request(3), "type"), "close");
  EXPECT_EQ(str(p.root(), "baton"), "tok");
}

// ---------- Hrana 3: is_autocommit, get_autocommit, cursors ----------

std::string condition_of(const std::string& body) {
  auto at = body.find("\"condition\":");
  if (at == std::string::npos) return "";
  auto end = body.find(",\"stmt\"", at);
  return body.substr(at + 12, end - at - 12);
}

std::string one_step(hrana::Condition c, int version) {
  hrana::Step s;
  s.stmt = Statement("SELECT 1");
  s.condition = std::move(c);
  std::vector<hrana::Step> steps;
  steps.push_back(std::move(s));
  std::vector<hrana::Request> reqs;
  reqs.push_back(hrana::batch(std::move(steps)));
  return hrana::encode_pipeline(std::nullopt, reqs, version);
}

TEST(HranaEncode, IsAutocommitIsSentOnHrana3AndFoldedAwayOnHrana2) {
  using C = hrana::Condition;
  const C guard = C::both(C::ok(0), C::negate(C::is_autocommit()));
  EXPECT_EQ(condition_of(one_step(guard, 3)),
            R"({"type":"and","conds":[{"type":"ok","step":0},{"type":"not","cond":{"type":"is_autocommit"}}]})");
  EXPECT_EQ(condition_of(one_step(guard, 2)), R"({"type":"ok","step":0})");  // inside a transaction: not(false)
  EXPECT_EQ(condition_of(one_step(C::negate(C::is_autocommit()), 2)), "");   // always true: no condition
  EXPECT_EQ(condition_of(one_step(C::is_autocommit(), 2)), R"({"type":"or","conds":[]})");  // never
  EXPECT_EQ(condition_of(one_step(C::both(C::ok(0), C::is_autocommit()), 2)), R"({"type":"or","conds":[]})");
  std::vector<hrana::Request> ga;
  ga.push_back(hrana::get_autocommit());
  EXPECT_EQ(hrana::encode_pipeline(std::nullopt, ga, 3), R"({"baton":null,"requests":[{"type":"get_autocommit"}]})");
  EXPECT_THROW(hrana::encode_pipeline(std::nullopt, ga, 2), libsql::Error);
}

TEST(HranaEncode, CursorBodyCarriesTheBatonAndOneBatch) {
  std::vector<hrana::Step> steps(1);
  steps[0].stmt = Statement("SELECT ?", {Value(7)});
  Parsed p(hrana::encode_cursor(std::string("b1"), steps));
  std::string_view baton;
  ASSERT_EQ(p.root()["baton"].get_string().get(baton), simdjson::SUCCESS);
  EXPECT_EQ(baton, "b1");
  array a;
  ASSERT_EQ(p.root()["batch"]["steps"].get_array().get(a), simdjson::SUCCESS);
  EXPECT_EQ(a.size(), 1u);
}

TEST(HranaEncode, StoredSqlGoesBySqlIdAndTheRestAsText) {
  const hrana::SqlIds ids = {{"SELECT 1", 3}};
  std::vector<hrana::Step> steps(2);
  steps[0].stmt = Statement("SELECT 1");
  steps[1].stmt = Statement("SELECT 2");
  std::string out;
  hrana::encode_open_cursor(out, 5, 9, steps, &ids);
  Parsed p(out);
  std::string_view type;
  ASSERT_EQ(p.root()["type"].get_string().get(type), simdjson::SUCCESS);
  EXPECT_EQ(type, "open_cursor");
  std::int64_t n = 0;
  ASSERT_EQ(p.root()["stream_id"].get_int64().get(n), simdjson::SUCCESS);
  EXPECT_EQ(n, 5);
  ASSERT_EQ(p.root()["cursor_id"].get_int64().get(n), simdjson::SUCCESS);
  EXPECT_EQ(n, 9);
  array a;
  ASSERT_EQ(p.root()["batch"]["steps"].get_array().get(a), simdjson::SUCCESS);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(a.at(0)["stmt"]["sql_id"].get_int64().get(n), simdjson::SUCCESS);
  EXPECT_EQ(n, 3);
  EXPECT_NE(a.at(0)["stmt"]["sql"].error(), simdjson::SUCCESS) << "never both sql and sql_id";
  std::string_view sql;
  ASSERT_EQ(a.at(1)["stmt"]["sql"].get_string().get(sql), simdjson::SUCCESS);
  EXPECT_EQ(sql, "SELECT 2");
  std::string exec;
  hrana::encode_request(exec, hrana::execute(Statement("SELECT 1")), 3, &ids);
  EXPECT_NE(exec.find(R"("sql_id":3)"), std::string::npos) << exec;
  EXPECT_EQ(exec.find(R"("sql":)"), std::string::npos) << exec;
}

// A cursor response as sqld 0.24 sends it (last_insert_rowid a number, replication_index entry).
const std::string kCursorBody =
    "{\"baton\":\"B2\",\"base_url\":null}\n"
    "{\"type\":\"step_begin\",\"step\":0,\"cols\":[{\"name\":\"x\",\"decltype\":\"INTEGER\"},{\"name\":\"s\",\"decltype\":null}]}\n"
    "{\"type\":\"row\",\"row\":[{\"type\":\"integer\",\"value\":\"-9223372036854775808\"},{\"type\":\"text\",\"value\":\"a\\nb\"}]}\n"
    "{\"type\":\"row\",\"row\":[{\"type\":\"float\",\"value\":2.5},{\"type\":\"blob\",\"base64\":\"AP8\"}]}\n"
    "{\"type\":\"step_end\",\"affected_row_count\":0,\"last_insert_rowid\":null}\n"
    "{\"type\":\"step_error\",\"step\":1,\"error\":{\"message\":\"no such column: nope\",\"code\":\"SQL_INPUT_ERROR\"}}\n"
    "{\"type\":\"step_begin\",\"step\":3,\"cols\":[]}\n"
    "{\"type\":\"step_end\",\"affected_row_count\":1,\"last_insert_rowid\":42}\n"
    "{\"type\":\"replication_index\",\"replication_index\":7}\n";

TEST(HranaCursor, DecodesTheSameWhateverTheChunkBoundaries) {
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{64}, kCursorBody.size()}) {
    hrana::CursorDecoder d(4);
    for (std::size_t at = 0; at < kCursorBody.size(); at += chunk) d.feed(std::string_view(kCursorBody).substr(at, chunk));
    auto r = d.finish();
    ASSERT_EQ(r.baton, std::optional<std::string>("B2"));
    ASSERT_EQ(r.results.size(), 1u);
    const auto& b = r.results[0].batch;
    ASSERT_TRUE(b.step_results[0].has_value());
    ASSERT_EQ(b.step_results[0]->rows.size(), 2u);
    EXPECT_EQ(b.step_results[0]->rows[0][0], Value(std::numeric_limits<std::int64_t>::min()));
    EXPECT_EQ(b.step_results[0]->rows[0][1], Value("a\nb"));
    EXPECT_EQ(b.step_results[0]->rows[1][0], Value(2.5));
    EXPECT_EQ(b.step_results[0]->columns[0].decltype_, "INTEGER");
    EXPECT_FALSE(b.step_results[1].has_value());
    ASSERT_TRUE(b.step_errors[1].has_value());
    EXPECT_EQ(b.step_errors[1]->code, "SQL_INPUT_ERROR");
    EXPECT_FALSE(b.step_results[2].has_value());  // skipped
    EXPECT_FALSE(b.step_errors[2].has_value());
    ASSERT_TRUE(b.step_results[3].has_value());
    EXPECT_EQ(b.step_results[3]->last_insert_rowid, 42);
    EXPECT_EQ(b.step_results[3]->rows_affected, 1);
    EXPECT_EQ(r.results[0].replication_index, std::optional<std::uint64_t>(7));
  }
}

TEST(HranaCursor, AFatalErrorEntryIsTheResultsError) {
  hrana::CursorDecoder d(1);
  d.feed("{\"baton\":null,\"base_url\":null}\n{\"type\":\"error\",\"error\":{\"message\":\"boom\",\"code\":\"X\"}}\n");
  auto r = d.finish();
  ASSERT_TRUE(r.results[0].error.has_value());
  EXPECT_EQ(r.results[0].error->message, "boom");
}

TEST(HranaCursor, MalformedOrTruncatedBodiesAreProtocolErrors) {
  auto fails = [](const std::string& body, std::size_t steps) {
    try {
      hrana::CursorDecoder d(steps);
      d.feed(body);
      d.finish();
      return std::string();
    } catch (const libsql::Error& e) {
      return e.code_name();
    }
  };
  EXPECT_EQ(fails("", 1), "HRANA_PROTO_ERROR");                   // no head
  EXPECT_EQ(fails("{\"baton\":null}\n{nope\n", 1), "HRANA_PROTO_ERROR");
  EXPECT_EQ(fails("{\"baton\":null}\n{\"type\":\"row\",\"row\":[]}\n", 1), "HRANA_PROTO_ERROR");  // row outside a step
  EXPECT_EQ(fails("{\"baton\":null}\n{\"type\":\"step_begin\",\"step\":5,\"cols\":[]}\n", 1), "HRANA_PROTO_ERROR");
  EXPECT_EQ(fails("{\"baton\":null}\n{\"type\":\"step_begin\",\"step\":0,\"cols\":[]}\n", 1), "HRANA_PROTO_ERROR");  // cut mid-step
  EXPECT_EQ(fails("{\"baton\":null}\n{\"type\":\"step_begin\",\"step\":0,\"cols\":[{\"name\":\"a\"}]}\n"
                  "{\"type\":\"row\",\"row\":[]}\n", 1), "HRANA_PROTO_ERROR");  // wrong cell count
  EXPECT_EQ(fails("{\"baton\":null}\n{\"type\":\"future_entry\"}\n", 1), "");  // unknown entries are ignored
}

}  // namespace
