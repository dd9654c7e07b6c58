#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "cli/dotenv.hpp"
#include "libsql/config.hpp"

namespace libsql::cli {

/// Where settings come from, in order: the command line, the process environment, then a
/// `.env` file in the working directory (the process environment wins over `.env`, as with
/// dotenv). URL names: LIBSQL_URL, then TURSO_DATABASE_URL; token names: LIBSQL_AUTH_TOKEN,
/// then TURSO_AUTH_TOKEN; encryption key: LIBSQL_ENCRYPTION_KEY.
struct Environment {
  std::function<std::optional<std::string>(const std::string&)> getenv;
  std::optional<EnvMap> dotenv{};

  /// The real process environment, and `.env` in the current directory when there is one.
  static Environment from_process();
  [[nodiscard]] std::optional<std::string> lookup(const std::string& name,
                                                  std::string* source = nullptr) const;
};

struct ConnectionSettings {
  std::string url{};         ///< normalised (a bare path became `file:path`); empty = none given
  std::string auth_token{};  ///< never print it
  std::string encryption_key{};  ///< a local file's encryptionKey; never print it
  std::string url_source{};  ///< "--url", "LIBSQL_URL", ".env LIBSQL_URL", ... for messages
};

/// Throws nothing; an absent URL leaves `url` empty (the caller decides whether that is an
/// error, or `:memory:` for the shell).
[[nodiscard]] ConnectionSettings resolve_connection(
    const std::optional<std::string>& url_flag, const std::optional<std::string>& token_flag,
    const Environment& env, const std::optional<std::string>& encryption_key_flag = std::nullopt);

/// `dev.db` and `/tmp/x.db` become `file:dev.db` and `file:/tmp/x.db`; URLs and `:memory:`
/// stay as they are.
[[nodiscard]] std::string normalize_url(std::string_view url);

/// The URL for messages: the password part of `user:pass@` and any `authToken=` query value
/// replaced by `<redacted>`.
[[nodiscard]] std::string redact_url(std::string_view url);

/// A Config for the CLI's commands: `url`, `auth_token` and `encryption_key` from the settings.
[[nodiscard]] Config make_config(const ConnectionSettings& settings);

/// The hint printed with the "no database URL" error.
[[nodiscard]] std::string no_url_message();

}  // namespace libsql::cli

namespace libsql::cli {

/// The file a local URL names (`file:dev.db`, `file:///abs.db`), percent-decoded; nullopt
/// for `:memory:`, remote URLs and anything it cannot tell.
[[nodiscard]] std::optional<std::string> local_file_path(std::string_view url);

}  // namespace libsql::cli
