#include "cli/args.hpp"

#include <algorithm>

#include "cli/cli_error.hpp"

namespace libsql::cli {
namespace {

struct CommandSpec {
  const char* name;
  std::vector<std::string> value_options;
  std::vector<std::string> flag_options;
  std::size_t min_positionals;
  std::size_t max_positionals;
  const char* usage;
};

const std::vector<CommandSpec>& specs() {
  static const std::vector<CommandSpec> all = {
      {"migrate deploy",
       {"url", "auth-token", "encryption-key", "migrations", "schema", "lock-timeout"}, {}, 0, 0,
       "libsql-cpp migrate deploy  [--url URL] [--auth-token TOKEN] [--migrations DIR]\n"
       "                           [--lock-timeout SECONDS] [--encryption-key KEY]\n"
       "    Applies the pending migrations in name order, each with its _prisma_migrations row\n"
       "    in one transaction; stops at the first failure (rolled back, recorded: P3018).\n"
       "    Refuses when a migration failed earlier (P3009), an applied one was edited\n"
       "    (MIGRATION_MODIFIED) or is missing locally (MIGRATIONS_MISSING_LOCALLY), or the\n"
       "    database has tables but no history (P3005). Waits up to --lock-timeout (60) s\n"
       "    for a concurrent deploy to finish.\n"},
      {"migrate status", {"url", "auth-token", "encryption-key", "migrations", "schema"}, {"json"},
       0, 0,
       "libsql-cpp migrate status  [--url URL] [--auth-token TOKEN] [--migrations DIR] [--json]\n"
       "                           [--encryption-key KEY]\n"
       "    Applied, pending, failed, modified and missing migrations. Exit code 0 when the\n"
       "    database is up to date, 1 when not.\n"},
      {"migrate resolve",
       {"url", "auth-token", "encryption-key", "migrations", "schema", "applied", "rolled-back",
        "lock-timeout"},
       {}, 0, 0,
       "libsql-cpp migrate resolve (--applied NAME | --rolled-back NAME) [--url URL]\n"
       "                           [--auth-token TOKEN] [--migrations DIR] [--encryption-key KEY]\n"
       "    --applied: records NAME as applied without running it (baselining, or a hand fix).\n"
       "    --rolled-back: marks a failed NAME rolled back, so deploy runs it again.\n"},
      {"shell", {"url", "auth-token", "encryption-key", "mode"}, {}, 0, 1,
       "libsql-cpp shell [URL] [--auth-token TOKEN] [--encryption-key KEY] [--mode table|csv|json]\n"
       "    An SQL shell: line editing, history (~/.libsql_cpp_history), multi-line statements,\n"
       "    .tables .schema .mode .quit. Reading a file or a pipe (shell URL < file.sql), it\n"
       "    stops at the first error with exit code 1.\n"},
      {"exec", {"url", "auth-token", "encryption-key", "mode"}, {}, 1, 2,
       "libsql-cpp exec [URL] FILE.sql [--auth-token TOKEN] [--encryption-key KEY]\n"
       "                [--mode table|csv|json]\n"
       "    Runs a script statement by statement (FILE - reads stdin); stops at the first\n"
       "    error with exit code 1, naming its line.\n"},
  };
  return all;
}

constexpr const char* kIntro =
    "libsql-cpp: Prisma migrations and an SQL shell for libSQL / SQLite databases\n\n"
    "Usage:\n";

constexpr const char* kOutro =
    "\nURL: a file path, file:PATH, :memory:, or libsql:// https:// http:// (remote databases\n"
    "  need a build with the remote engine). Without --url (or a URL argument): LIBSQL_URL or\n"
    "  TURSO_DATABASE_URL, from the environment or from ./.env.\n"
    "Token: --auth-token, else LIBSQL_AUTH_TOKEN or TURSO_AUTH_TOKEN (environment or ./.env;\n"
    "  prefer those: a command-line argument is visible to other users). Never printed.\n"
    "Encryption: --encryption-key KEY, else LIBSQL_ENCRYPTION_KEY (environment or ./.env; same\n"
    "  advice): opens a local file encrypted as libSQL does (the official client's\n"
    "  encryptionKey). Never printed.\n"
    "Migrations: --migrations DIR (default prisma/migrations), or --schema FILE (uses\n"
    "  FILE's folder/migrations, as Prisma does).\n"
    "Exit codes: 0 success (status: up to date), 1 failure (status: not up to date),\n"
    "  2 bad command line.\n";

}  // namespace

std::optional<std::string> ParsedArgs::value(const std::string& name) const {
  if (auto it = values.find(name); it != values.end()) return it->second;
  return std::nullopt;
}

std::string usage(const std::string& command) {
  std::string out;
  for (const auto& s : specs()) {
    if (command.empty() || command == s.name) out += s.usage;
  }
  if (command.empty()) {
    return kIntro + out + "libsql-cpp help [COMMAND] | --version\n" + kOutro;
  }
  return "Usage:\n" + out;
}

ParsedArgs parse_args(const std::vector<std::string>& args) {
  ParsedArgs p;
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    p.command = "help";
    for (std::size_t i = 1; i < args.size(); ++i) p.positionals.push_back(args[i]);
    return p;
  }
  if (args[0] == "--version" || args[0] == "-V" || args[0] == "version") {
    p.command = "version";
    return p;
  }
  std::size_t i = 1;
  std::string name = args[0];
  if (name == "migrate") {
    if (args.size() < 2 || args[1].rfind("-", 0) == 0) {
      if (args.size() >= 2 && (args[1] == "--help" || args[1] == "-h")) {
        p.command = "help";
        p.positionals = {"migrate"};
        return p;
      }
      throw usage_error("migrate needs a subcommand: deploy, status or resolve.\n\n" +
                        usage("migrate deploy") + usage("migrate status").substr(7) +
                        usage("migrate resolve").substr(7));
    }
    name += " " + args[1];
    i = 2;
  }
  const auto spec = std::find_if(specs().begin(), specs().end(),
                                 [&](const CommandSpec& s) { return name == s.name; });
  if (spec == specs().end()) {
    throw usage_error("Unknown command `" + name + "`. Run `libsql-cpp help` for the commands.");
  }
  p.command = name;
  bool options_done = false;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-' || a == "-") {
      p.positionals.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      p.flags.insert("help");
      continue;
    }
    std::string opt = a.substr(a[1] == '-' ? 2 : 1);
    std::optional<std::string> inline_value;
    if (const auto eq = opt.find('='); eq != std::string::npos) {
      inline_value = opt.substr(eq + 1);
      opt.resize(eq);
    }
    const bool takes_value = std::find(spec->value_options.begin(), spec->value_options.end(),
                                       opt) != spec->value_options.end();
    const bool is_flag = std::find(spec->flag_options.begin(), spec->flag_options.end(), opt) !=
                         spec->flag_options.end();
    if (takes_value) {
      if (inline_value) {
        p.values[opt] = *inline_value;
      } else if (i + 1 < args.size()) {
        p.values[opt] = args[++i];
      } else {
        throw usage_error("--" + opt + " needs a value.\n\n" + usage(name));
      }
    } else if (is_flag && !inline_value) {
      p.flags.insert(opt);
    } else {
      throw usage_error("Unknown option " + a.substr(0, a.find('=')) + " for `" + name +
                        "`.\n\n" + usage(name));
    }
  }
  if (p.flag("help")) return p;
  if (p.positionals.size() < spec->min_positionals || p.positionals.size() > spec->max_positionals) {
    throw usage_error("Wrong number of arguments for `" + name + "`.\n\n" + usage(name));
  }
  if (name == "migrate resolve") {
    const bool applied = p.values.count("applied") != 0;
    const bool rolled_back = p.values.count("rolled-back") != 0;
    if (applied == rolled_back) {
      throw usage_error("migrate resolve needs exactly one of --applied NAME and --rolled-back "
                        "NAME.\n\n" + usage(name));
    }
  }
  return p;
}

}  // namespace libsql::cli
