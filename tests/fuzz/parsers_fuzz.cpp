// libFuzzer target for every parser that reads outside input, except the Hrana decoder (its own
// target, hrana_decode_fuzz.cpp). Each must accept its input or reject it with its own error
// type (libsql::Error, or the CLI's CliError), never crash, hang, or read out of bounds
// (ASan + UBSan). LIBSQL_FUZZ_PARSER picks one parser (url, sql, pull, dotenv, lock, meta,
// migration, grpc); unset, the first byte of the input picks it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "cli/cli_error.hpp"
#include "cli/dotenv.hpp"
#include "cli/migrations_dir.hpp"
#include "cli/sql_text.hpp"
#include "cli/statement_buffer.hpp"
#include "core/engine.hpp"
#include "core/url.hpp"
#include "libsql/client.hpp"
#include "replica/libsql_grpc.hpp"
#include "replica/replica_meta.hpp"
#include "replica/turso_sync.hpp"

namespace {

enum class Parser { Url, Sql, Pull, Dotenv, Lock, Meta, Migration, Grpc, Count, Any };
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
    default: return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* names[] = {"url", "sql", "pull", "dotenv", "lock", "meta", "migration", "grpc"};
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
