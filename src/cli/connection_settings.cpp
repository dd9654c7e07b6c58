#include "cli/connection_settings.hpp"

#include <cctype>
#include <cstdlib>
#include <utility>

namespace libsql::cli {
namespace {

constexpr const char* kUrlNames[] = {"LIBSQL_URL", "TURSO_DATABASE_URL"};
constexpr const char* kTokenNames[] = {"LIBSQL_AUTH_TOKEN", "TURSO_AUTH_TOKEN"};
constexpr const char* kEncryptionKeyName = "LIBSQL_ENCRYPTION_KEY";

bool has_scheme(std::string_view url) {
  // RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
  if (url.empty() || !std::isalpha(static_cast<unsigned char>(url[0]))) return false;
  for (std::size_t i = 1; i < url.size(); ++i) {
    const char c = url[i];
    if (c == ':') return i >= 2;  // a one-letter "scheme" is more likely a drive letter
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return false;
}

}  // namespace

Environment Environment::from_process() {
  Environment env;
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  };
  env.dotenv = load_dotenv_file(".env");
  return env;
}

std::optional<std::string> Environment::lookup(const std::string& name,
                                               std::string* source) const {
  if (getenv) {
    if (auto v = getenv(name); v && !v->empty()) {
      if (source) *source = name;
      return v;
    }
  }
  if (dotenv) {
    if (auto it = dotenv->find(name); it != dotenv->end() && !it->second.empty()) {
      if (source) *source = ".env " + name;
      return it->second;
    }
  }
  return std::nullopt;
}

ConnectionSettings resolve_connection(const std::optional<std::string>& url_flag,
                                      const std::optional<std::string>& token_flag,
                                      const Environment& env,
                                      const std::optional<std::string>& encryption_key_flag) {
  ConnectionSettings s;
  if (url_flag && !url_flag->empty()) {
    s.url = normalize_url(*url_flag);
    s.url_source = "the command line";
  } else {
    // The environment first, then .env, each in name order.
    for (bool from_dotenv : {false, true}) {
      Environment only = from_dotenv ? Environment{nullptr, env.dotenv} : Environment{env.getenv, std::nullopt};
      for (const char* name : kUrlNames) {
        if (auto v = only.lookup(name, &s.url_source)) {
          s.url = normalize_url(*v);
          break;
        }
      }
      if (!s.url.empty()) break;
    }
  }
  if (token_flag) {
    s.auth_token = *token_flag;
  } else {
    for (bool from_dotenv : {false, true}) {
      Environment only = from_dotenv ? Environment{nullptr, env.dotenv} : Environment{env.getenv, std::nullopt};
      for (const char* name : kTokenNames) {
        if (auto v = only.lookup(name)) {
          s.auth_token = *v;
          break;
        }
      }
      if (!s.auth_token.empty()) break;
    }
  }
  if (encryption_key_flag) {
    s.encryption_key = *encryption_key_flag;
  } else if (auto v = env.lookup(kEncryptionKeyName)) {
    s.encryption_key = *v;  // the process environment, then .env
  }
  return s;
}

std::string normalize_url(std::string_view url) {
  if (url.empty() || url == ":memory:" || has_scheme(url)) return std::string(url);
  return "file:" + std::string(url);
}

std::string redact_url(std::string_view url) {
  std::string out(url);
  // user:password@host
  if (const std::size_t scheme_end = out.find("://"); scheme_end != std::string::npos) {
    const std::size_t auth_start = scheme_end + 3;
    const std::size_t auth_end = out.find_first_of("/?#", auth_start);
    const std::size_t at = out.rfind('@', auth_end == std::string::npos ? out.size() : auth_end);
    if (at != std::string::npos && at >= auth_start) {
      const std::size_t colon = out.find(':', auth_start);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, "<redacted>");
      }
    }
  }
  // ?authToken=...&...
  std::size_t q = out.find('?');
  while (q != std::string::npos) {
    const std::size_t key_start = q + 1;
    const std::size_t eq = out.find('=', key_start);
    std::size_t end = out.find_first_of("&#", key_start);
    if (end == std::string::npos) end = out.size();
    if (eq != std::string::npos && eq < end) {
      std::string key = out.substr(key_start, eq - key_start);
      for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (key == "authtoken" || key == "auth_token" || key == "token" || key == "password") {
        out.replace(eq + 1, end - eq - 1, "<redacted>");
        end = eq + 1 + std::string_view("<redacted>").size();
      }
    }
    q = (end < out.size() && out[end] == '&') ? end : std::string::npos;
  }
  return out;
}

Config make_config(const ConnectionSettings& settings) {
  Config c;
  c.url = settings.url;
  c.auth_token = settings.auth_token;
  c.encryption_key = settings.encryption_key;
  return c;
}

std::string no_url_message() {
  return "No database URL. Pass --url URL (a file path, file:, libsql:, https: or :memory:), or "
         "set LIBSQL_URL (or TURSO_DATABASE_URL) in the environment or in a .env file in the "
         "working directory.";
}

}  // namespace libsql::cli

namespace libsql::cli {

std::optional<std::string> local_file_path(std::string_view url) {
  if (url.size() < 5) return std::nullopt;
  std::string scheme(url.substr(0, 5));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "file:") return std::nullopt;
  std::string_view rest = url.substr(5);
  rest = rest.substr(0, rest.find_first_of("?#"));
  if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const std::string_view authority = rest.substr(0, slash);
    if (!authority.empty() && authority != "localhost") return std::nullopt;
    rest.remove_prefix(slash);
  }
  if (rest.empty() || rest == ":memory:") return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '%' && i + 2 < rest.size() && std::isxdigit(static_cast<unsigned char>(rest[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(rest[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(rest.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(rest[i]);
    }
  }
  return out;
}

}  // namespace libsql::cli
