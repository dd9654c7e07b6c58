#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace libsql::cli {

/// A command line, checked against the command's options. Throws CliError (exit code 2) for
/// unknown commands and options, missing values and wrong numbers of arguments.
struct ParsedArgs {
  std::string command{};  ///< "migrate deploy", "migrate status", "migrate resolve", "shell",
                          ///< "exec", "help", "version"
  std::map<std::string, std::string> values{};  ///< option name without "--" -> value
  std::set<std::string> flags{};                ///< boolean options given (json, help)
  std::vector<std::string> positionals{};

  [[nodiscard]] std::optional<std::string> value(const std::string& name) const;
  [[nodiscard]] bool flag(const std::string& name) const { return flags.count(name) != 0; }
};

[[nodiscard]] ParsedArgs parse_args(const std::vector<std::string>& args);

/// The whole help text, or one command's usage ("migrate deploy", ...).
[[nodiscard]] std::string usage(const std::string& command = {});

}  // namespace libsql::cli
