// libFuzzer target for every parser that reads outside input, except the Hrana decoder (its own
// target, hrana_decode_fuzz.cpp). Each must accept its input or reject it with its own error
// type (libsql::Error, or the CLI's CliError), never crash, hang, or read out of bounds
// (ASan + UBSan). LIBSQL_FUZZ_PARSER picks one parser (url, sql, pull, dotenv, lock, meta,
// migration, grpc, prisma); unset, the first byte of the input picks it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "cli/cli_error.hpp"
#include "cli/dotenv.hpp"
#include "cli/migrations_dir.hpp"
#include "cli/sql_text.hpp"
#include "cli/statement_buffer.hpp"
#include "core/base64.hpp"
#include "core/engine.hpp"
#include "core/url.hpp"
#include "libsql/client.hpp"
#include "prisma/arg_mapping.hpp"
#include "prisma/js_date.hpp"
#include "remote/hrana_json.hpp"
#include "replica/libsql_grpc.hpp"
#include "replica/replica_meta.hpp"
#include "replica/turso_sync.hpp"

namespace {

enum class Parser { Url, Sql, Pull, Dotenv, Lock, Meta, Migration, Grpc, Prisma, Count, Any };
Parser g_parser = Parser::Any;

void url(std::string_view in) {
  for (auto tls : {std::optional<bool>{}, std::optional<bool>{true}, std::optional<bool>{false}}) {
    try {
      auto u = libsql::detail::parse_url(in, tls);
      if (u.memory && u.scheme != libsql::detail::Scheme::File) __builtin_trap();
    } catch (const libsql::Error& e) {
      if (e.code_name().rfind("URL_", 0) != 0) __builtin_trap();  // URL_INVALID, URL_SCHEME_..., URL_PARAM_...
    }
  }
  std::string redacted = libsql::detail::redact_url(in);
  (void)redacted;
}

void sql(std::string_view in) {
  for (const auto& s : libsql::split_statements(in)) {
    if (s.empty()) __builtin_trap();
  }
  (void)libsql::detail::is_plain_read(in);
  (void)libsql::cli::leading_words(in, 3);
  (void)libsql::cli::only_space_and_comments(in);
  libsql::cli::StatementBuffer buffer;
  int line_no = 1;
  std::size_t start = 0;
  while (start <= in.size()) {
    std::size_t nl = in.find('\n', start);
    if (nl == std::string_view::npos) nl = in.size();
    for (const auto& p : buffer.add_line(in.substr(start, nl - start), line_no)) {
      if (p.line < 1 || p.line > line_no) __builtin_trap();
    }
    ++line_no;
    start = nl + 1;
  }
  (void)buffer.finish();
}

void pull(std::string_view in) {
  try {
    auto r = libsql::detail::decode_pull_response(in);
    for (const auto& p : r.pages) {
      if (p.page_no == 0 || p.page_no > r.db_size_pages) __builtin_trap();
    }
  } catch (const libsql::Error&) {
  }
}

void dotenv(std::string_view in) { (void)libsql::cli::parse_dotenv(in); }

void lock(std::string_view in) {
  try {
    (void)libsql::cli::parse_lock_provider(in);
  } catch (const libsql::cli::CliError&) {
  }
}

void meta(std::string_view in) {
  try {
    auto m = libsql::detail::decode_replica_meta(in);
    // What decodes encodes, and decodes to the same again.
    auto again = libsql::detail::decode_replica_meta(libsql::detail::encode_replica_meta(m));
    if (libsql::detail::encode_replica_meta(again) != libsql::detail::encode_replica_meta(m)) __builtin_trap();
  } catch (const libsql::Error&) {
  }
}

void migration(std::string_view in) {
  (void)libsql::cli::script_disables_foreign_keys(in);
  (void)libsql::cli::find_transaction_control(in);
}

/// A gRPC-web answer of the libSQL replication service: the framing and trailer, then each
/// message as a Hello, a Frames batch (through the commit assembler) and a snapshot Frame.
void grpc(std::string_view in) {
  using namespace libsql::detail;
  try {
    auto reply = grpc_web::decode_reply(in, {});
    std::vector<LibsqlFrame> frames;
    for (std::string_view m : reply.messages) {
      try {
        (void)decode_hello(m);
      } catch (const libsql::Error&) {
      }
      try {
        decode_frames_message(m, frames);
      } catch (const libsql::Error&) {
      }
      try {
        frames.push_back(decode_frame_message(m));
      } catch (const libsql::Error&) {
      }
    }
    if (frames.empty()) return;
    try {
      CommitAssembler assembler(frames.front().frame_no);
      for (const auto& f : frames) assembler.add(f);
      if (assembler.has_committed()) {
        auto unit = assembler.take_committed();
        for (const auto& p : unit.pages) {
          if (p.page_no == 0 || p.page_no > unit.db_size_pages || p.data.size() != kReplicaPageSize) __builtin_trap();
        }
      }
    } catch (const libsql::Error&) {
    }
    auto unit = snapshot_unit(frames);
    for (const auto& p : unit.pages) {
      if (p.page_no == 0 || p.page_no > unit.db_size_pages) __builtin_trap();
    }
  } catch (const libsql::Error&) {
  }
}

/// The Prisma layer's argument conversion (src/prisma/arg_mapping.*: what Prisma's query
/// arguments and their argTypes become before binding). Byte 0 picks the scalar type (and bit 7
/// the timestamp format), byte 1 the JS kind of the argument; the rest is its payload: a
/// string's or a bigint's text, a Uint8Array's bytes, or 8 bytes of a number / Date's time value.
/// A conversion either gives a value or fails with ARGS_INVALID / VALUE_OUT_OF_RANGE (Misuse);
/// what it gives is checked against the text it came from.
void prisma(std::string_view in) {
  using namespace libsql::prisma;
  if (in.size() < 2) return;
  const auto type = static_cast<ScalarType>(static_cast<unsigned char>(in[0]) % 12);
  const auto format = (static_cast<unsigned char>(in[0]) & 0x80) ? TimestampFormat::UnixEpochMs : TimestampFormat::Iso8601;
  const unsigned kind = static_cast<unsigned char>(in[1]) % 7;
  const std::string_view payload = in.substr(2);
  double number = 0;
  if (payload.size() >= sizeof number) std::memcpy(&number, payload.data(), sizeof number);
  JsArg arg;
  switch (kind) {
    case 0: arg = std::monostate{}; break;
    case 1: arg = !payload.empty() && (payload[0] & 1); break;
    case 2: arg = number; break;
    case 3: arg = std::string(payload); break;
    case 4: arg = JsBigInt{std::string(payload)}; break;
    case 5: arg = JsDate{number}; break;
    default: arg = libsql::make_blob(payload); break;
  }
  try {
    const libsql::Value v = convert_arg(arg, type, format);
    // A bigint argument that converted to an integer is that integer exactly.
    if (kind == 4 && std::holds_alternative<std::int64_t>(v) && parse_bigint(payload) != std::get<std::int64_t>(v)) {
      __builtin_trap();
    }
    // A date bound as text reads back as the same instant.
    if ((kind == 5 || (kind == 3 && type == ScalarType::Datetime)) && format == TimestampFormat::Iso8601) {
      const auto* text = std::get_if<std::string>(&v);
      if (text == nullptr || !parse_js_date(*text)) __builtin_trap();
    }
    if (kind == 0 && v.index() != 0) __builtin_trap();
  } catch (const libsql::Error& e) {
    if (e.kind() != libsql::ErrorKind::Misuse) __builtin_trap();
    if (e.code_name() != "ARGS_INVALID" && e.code_name() != "VALUE_OUT_OF_RANGE") __builtin_trap();
  }
  // The text parsers on their own, with their round trips.
  try {
    const std::int64_t i = parse_bigint(payload);
    if (parse_bigint(std::to_string(i)) != i) __builtin_trap();
  } catch (const libsql::Error&) {
  }
  try {
    const double d = parse_decimal(payload);
    if (!(d == d) || d == std::numeric_limits<double>::infinity() || d == -std::numeric_limits<double>::infinity()) __builtin_trap();
  } catch (const libsql::Error&) {
  }
  if (auto blob = libsql::detail::base64_decode(payload)) {
    // What decodes re-encodes (standard, padded) and decodes to the same bytes.
    if (libsql::detail::base64_decode(libsql::detail::base64_encode(blob->bytes)) != blob) __builtin_trap();
  }
  if (auto ms = parse_js_date(payload)) {
    if (parse_js_date(to_js_iso_string(*ms)) != ms) __builtin_trap();
  }
  (void)parse_scalar_type(payload);
  (void)parse_timestamp_format(payload);
}

void run(Parser p, std::string_view in) {
  switch (p) {
    case Parser::Url: return url(in);
    case Parser::Sql: return sql(in);
    case Parser::Pull: return pull(in);
    case Parser::Dotenv: return dotenv(in);
    case Parser::Lock: return lock(in);
    case Parser::Meta: return meta(in);
    case Parser::Migration: return migration(in);
    case Parser::Grpc: return grpc(in);
    case Parser::Prisma: return prisma(in);
    default: return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* names[] = {"url", "sql", "pull", "dotenv", "lock", "meta", "migration", "grpc", "prisma"};
  if (const char* want = std::getenv("LIBSQL_FUZZ_PARSER")) {
    for (int i = 0; i < static_cast<int>(Parser::Count); ++i) {
      if (std::strcmp(want, names[i]) == 0) g_parser = static_cast<Parser>(i);
    }
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (g_parser != Parser::Any) {
    run(g_parser, in);
    return 0;
  }
  if (size == 0) return 0;
  run(static_cast<Parser>(data[0] % static_cast<unsigned>(Parser::Count)), in.substr(1));
  return 0;
}
