// libsql-cpp: the command-line tool. Argument parsing and dispatch; the work is done in
// migrate.cpp (migrate deploy|status|resolve) and shell.cpp (shell, exec).
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/cli_error.hpp"
#include "cli/connection_settings.hpp"
#include "cli/migrate.hpp"
#include "cli/shell.hpp"
#include "libsql/client.hpp"

#ifndef LIBSQL_CPP_VERSION
#define LIBSQL_CPP_VERSION "0.0.0"
#endif

namespace libsql::cli {
namespace {

std::chrono::milliseconds parse_seconds(const std::string& text, const char* option) {
  double v = 0;
  const auto res = std::from_chars(text.data(), text.data() + text.size(), v);
  if (res.ec != std::errc() || res.ptr != text.data() + text.size() || !std::isfinite(v) ||
      v < 0 || v > 86400) {
    throw usage_error(std::string("--") + option + " takes a number of seconds (0 to 86400), not `" +
                      text + "`.");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(v * 1000)));
}

std::filesystem::path migrations_dir(const ParsedArgs& a) {
  if (auto dir = a.value("migrations")) return *dir;
  if (auto schema = a.value("schema")) {
    // Prisma keeps migrations next to the schema file (or inside a schema folder).
    const std::filesystem::path s(*schema);
    std::error_code ec;
    if (std::filesystem::is_directory(s, ec)) return s / "migrations";
    return (s.has_parent_path() ? s.parent_path() : std::filesystem::path(".")) / "migrations";
  }
  return "prisma/migrations";
}

int run_migrate(const ParsedArgs& a) {
  const Environment env = Environment::from_process();
  const ConnectionSettings conn = resolve_connection(a.value("url"), a.value("auth-token"), env,
                                                     a.value("encryption-key"));
  if (conn.url.empty()) throw CliError("NO_DATABASE_URL", no_url_message(), kExitUsage);

  MigrateOptions options;
  options.migrations_dir = migrations_dir(a);
  options.display_url = redact_url(conn.url);
  if (auto t = a.value("lock-timeout")) options.lock_timeout = parse_seconds(*t, "lock-timeout");

  // Status and resolve look at an existing database; SQLite would create an empty file.
  if (a.command != "migrate deploy") {
    if (auto path = local_file_path(conn.url)) {
      std::error_code ec;
      if (!std::filesystem::exists(*path, ec)) {
        throw CliError("P1003", "Database `" + std::filesystem::path(*path).filename().string() +
                                    "` does not exist at `" + *path +
                                    "`. Check --url (relative paths are relative to the working "
                                    "directory), or create it with `libsql-cpp migrate deploy`.");
      }
    }
  }

  Config config = make_config(conn);
  config.busy_timeout = options.lock_timeout;
  Client client = Client::open(config);
  Migrator migrator(client, options, std::cout);
  int code = kExitOk;
  if (a.command == "migrate deploy") {
    migrator.deploy();
  } else if (a.command == "migrate status") {
    code = migrator.status(a.flag("json"));
  } else if (auto name = a.value("applied")) {
    migrator.resolve_applied(*name);
  } else {
    migrator.resolve_rolled_back(*a.value("rolled-back"));
  }
  client.close();
  return code;
}

int run_shell(const ParsedArgs& a) {
  const Environment env = Environment::from_process();
  std::optional<std::string> url_arg = a.value("url");
  std::string file;
  if (a.command == "exec") {
    file = a.positionals.back();
    if (a.positionals.size() == 2) url_arg = a.positionals.front();
  } else if (!a.positionals.empty()) {
    url_arg = a.positionals.front();
  }
  ConnectionSettings conn = resolve_connection(url_arg, a.value("auth-token"), env,
                                               a.value("encryption-key"));
  const bool interactive = a.command == "shell" && ::isatty(STDIN_FILENO);
  if (conn.url.empty()) {
    if (a.command == "exec") throw CliError("NO_DATABASE_URL", no_url_message(), kExitUsage);
    conn.url = ":memory:";
    conn.url_source = "default";
  }
  Shell::Options options;
  options.interactive = interactive;
  if (auto m = a.value("mode")) {
    const auto mode = parse_output_mode(*m);
    if (!mode) throw usage_error("--mode must be table, csv or json, not `" + *m + "`.");
    options.mode = *mode;
  }

  std::ifstream script;
  if (a.command == "exec" && file != "-") {
    script.open(file, std::ios::binary);
    if (!script) throw CliError("FILE_UNREADABLE", "Could not read " + file + ".");
    options.source_name = file;
  }

  Client client = Client::open(make_config(conn));
  int code = kExitOk;
  {
    Shell shell(client, options, std::cout, std::cerr);
    if (interactive) {
      std::string banner = "libsql-cpp " LIBSQL_CPP_VERSION " shell, connected to " +
                           redact_url(conn.url) + "\n";
      if (conn.url_source == "default") {
        banner += "(an in-memory database: pass a URL or a file path to open a database)\n";
      }
      banner += "Enter \".help\" for usage hints; end statements with \";\".\n";
      code = run_shell_terminal(shell, banner);
    } else {
      code = run_shell_stream(shell, script.is_open() ? static_cast<std::istream&>(script) : std::cin);
    }
  }
  client.close();
  return code;
}

int run(const std::vector<std::string>& args) {
  const ParsedArgs a = parse_args(args);
  if (a.command == "help") {
    std::string topic;
    for (const auto& p : a.positionals) topic += (topic.empty() ? "" : " ") + p;
    const std::string text = usage(topic);
    if (text == "Usage:\n" && topic != "migrate") {
      throw usage_error("No help for `" + topic + "`. Run `libsql-cpp help`.");
    }
    std::cout << (topic == "migrate" ? usage("migrate deploy") + usage("migrate status").substr(7) +
                                           usage("migrate resolve").substr(7)
                                     : text);
    return kExitOk;
  }
  if (a.command == "version") {
    std::cout << "libsql-cpp " << LIBSQL_CPP_VERSION << "\n";
    return kExitOk;
  }
  if (a.flag("help")) {
    std::cout << usage(a.command);
    return kExitOk;
  }
  if (a.command.rfind("migrate ", 0) == 0) return run_migrate(a);
  return run_shell(a);
}

void print_error(const std::string& code, const std::string& message) {
  std::cout.flush();
  std::cerr << "Error: " << code << "\n\n" << message << "\n";
}

}  // namespace
}  // namespace libsql::cli

int main(int argc, char** argv) {
  using namespace libsql::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return run(args);
  } catch (const CliError& e) {
    print_error(e.code(), e.what());
    return e.exit_code();
  } catch (const libsql::Error& e) {
    std::string message = e.what();
    if (e.code_name() == "URL_SCHEME_NOT_SUPPORTED") {
      message += "\n\nThis build of libsql-cpp opens local databases only (a file path, file:, "
                 ":memory:).";
    } else if (e.primary_code() == 5) {
      message += "\n\nThe database is locked by another connection; try again later.";
    }
    print_error(e.code_name(), message);
    return kExitFailure;
  } catch (const std::exception& e) {
    print_error("INTERNAL", e.what());
    return kExitFailure;
  }
}
