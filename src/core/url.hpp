#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace libsql::detail {

enum class Scheme { File, Libsql, Https, Http, Ws, Wss };

/// A database URL as @libsql/client understands it (its URI grammar and query params).
struct ParsedUrl {
  Scheme scheme = Scheme::File;
  bool memory = false;           ///< `:memory:` / `file::memory:`
  std::string path{};            ///< local: the file path; remote: the URL path
  std::string host{};            ///< remote only
  std::optional<int> port{};     ///< remote only
  bool tls = true;               ///< remote: https/wss (after `tls=` and scheme rules)
  std::optional<std::string> auth_token{};  ///< from `?authToken=`
  /// From `?requestTimeout=<ms>` (ours, not @libsql/client's): overrides Config::timeout.
  std::optional<std::chrono::milliseconds> request_timeout{};
};

/// Throws libsql::Error (Misuse) with code URL_INVALID, URL_SCHEME_NOT_SUPPORTED or
/// URL_PARAM_NOT_SUPPORTED. Messages never contain the auth token.
ParsedUrl parse_url(std::string_view url, std::optional<bool> tls_override = std::nullopt);

/// The URL with any authToken query value replaced by "<redacted>", for messages and logs.
std::string redact_url(std::string_view url);

}  // namespace libsql::detail
