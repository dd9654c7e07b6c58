#include "core/url.hpp"

#include <cctype>
#include <string>

#include "core/error_codes.hpp"
#include "libsql/error.hpp"

namespace libsql::detail {
namespace {

[[noreturn]] void fail(const char* code, const std::string& message) {
  throw make_error(ErrorKind::Misuse, code, message);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) fail("URL_INVALID", "the URL contains an invalid percent-encoding");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
      continue;
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

bool valid_scheme(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string out(url);
  std::size_t q = out.find('?');
  std::size_t pos = q == std::string::npos ? out.size() : q + 1;
  while (pos < out.size()) {
    std::size_t end = out.find_first_of("&#", pos);
    if (end == std::string::npos) end = out.size();
    std::size_t eq = out.find('=', pos);
    if (eq != std::string::npos && eq < end && out.compare(pos, eq - pos, "authToken") == 0) {
      out.replace(eq + 1, end - eq - 1, "<redacted>");
      end = eq + 1 + 10;
    }
    if (end < out.size() && out[end] == '#') break;
    pos = end + 1;
  }
  // A token may also hide in userinfo (`https://token@host`).
  std::size_t scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    std::size_t auth_start = scheme_end + 3;
    std::size_t auth_end = out.find_first_of("/?#", auth_start);
    if (auth_end == std::string::npos) auth_end = out.size();
    std::size_t at = out.rfind('@', auth_end);
    if (at != std::string::npos && at >= auth_start) out.replace(auth_start, at - auth_start, "<redacted>");
  }
  return out;
}

ParsedUrl parse_url(std::string_view url, std::optional<bool> tls_override) {
  ParsedUrl result;
  if (url == ":memory:") {
    result.memory = true;
    result.path = ":memory:";
    return result;
  }
  std::size_t colon = url.find(':');
  if (colon == std::string_view::npos || !valid_scheme(url.substr(0, colon))) {
    fail("URL_INVALID", "the URL '" + redact_url(url) +
                            "' is not in a valid format: expected scheme:path, e.g. "
                            "file:local.db, :memory: or libsql://host");
  }
  std::string scheme = lower(url.substr(0, colon));
  std::string_view rest = url.substr(colon + 1);

  if (rest.find('#') != std::string_view::npos) {
    fail("URL_INVALID", "URL fragments (#...) are not supported");
  }
  std::string_view query;
  if (std::size_t qm = rest.find('?'); qm != std::string_view::npos) {
    query = rest.substr(qm + 1);
    rest = rest.substr(0, qm);
  }
  std::optional<std::string_view> authority;
  if (rest.substr(0, 2) == "//") {
    rest = rest.substr(2);
    std::size_t slash = rest.find('/');
    authority = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  }
  std::string path = percent_decode(rest, false);

  // Query parameters: tls and authToken, as in @libsql/client, and our requestTimeout.
  std::optional<bool> tls_param;
  if (!query.empty()) {
    std::size_t pos = 0;
    while (pos <= query.size()) {
      std::size_t amp = query.find('&', pos);
      if (amp == std::string_view::npos) amp = query.size();
      std::string_view pair = query.substr(pos, amp - pos);
      if (!pair.empty()) {
        std::size_t eq = pair.find('=');
        std::string key = percent_decode(pair.substr(0, eq), true);
        std::string value =
            eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1), true);
        if (key == "tls") {
          if (value == "0") tls_param = false;
          else if (value == "1") tls_param = true;
          else fail("URL_INVALID", "unknown value for the \"tls\" query argument: \"" + value +
                                       "\". Supported values are: \"0\" and \"1\"");
        } else if (key == "authToken") {
          result.auth_token = value;
        } else if (key == "requestTimeout") {
          // Ours: the remote request deadline in milliseconds (Config::timeout), 0 = none.
          const bool digits = !value.empty() && value.size() <= 10 &&
                              value.find_first_not_of("0123456789") == std::string::npos;
          if (!digits) {
            fail("URL_INVALID", "the \"requestTimeout\" query argument must be a number of milliseconds "
                                "(0 = no deadline), not \"" + value + "\"");
          }
          result.request_timeout = std::chrono::milliseconds(std::stoll(value));
        } else {
          fail("URL_PARAM_NOT_SUPPORTED", "unsupported URL query parameter \"" + key +
                                              "\" (supported: tls, authToken, requestTimeout)");
        }
      }
      pos = amp + 1;
    }
  }
  std::optional<bool> tls = tls_override ? tls_override : tls_param;

  if (scheme == "file") {
    if (authority && !authority->empty() && lower(*authority) != "localhost") {
      fail("URL_INVALID", "invalid host in file URL: \"" + std::string(*authority) +
                              "\". A \"file:\" URL with an absolute path should start with one "
                              "slash (\"file:/absolute/path.db\") or with three slashes "
                              "(\"file:///absolute/path.db\")");
    }
    if (path.empty()) fail("URL_INVALID", "the \"file:\" URL has no path");
    result.scheme = Scheme::File;
    result.memory = path == ":memory:";
    result.path = std::move(path);
    return result;
  }

  if (scheme == "libsql") result.scheme = Scheme::Libsql;
  else if (scheme == "https") result.scheme = Scheme::Https;
  else if (scheme == "http") result.scheme = Scheme::Http;
  else if (scheme == "wss") result.scheme = Scheme::Wss;
  else if (scheme == "ws") result.scheme = Scheme::Ws;
  else {
    fail("URL_SCHEME_NOT_SUPPORTED",
         "the client supports only \"libsql:\", \"wss:\", \"ws:\", \"https:\", \"http:\" and "
         "\"file:\" URLs, got \"" + scheme + ":\"");
  }
  if (!authority || authority->empty()) {
    fail("URL_INVALID", "the \"" + scheme + ":\" URL has no host (expected " + scheme +
                            "://host[:port])");
  }
  std::string_view hostport = *authority;
  if (std::size_t at = hostport.rfind('@'); at != std::string_view::npos) {
    hostport = hostport.substr(at + 1);  // userinfo is ignored, as by @libsql/client
  }
  std::string_view host = hostport;
  std::string_view port_text;
  if (!hostport.empty() && hostport[0] == '[') {
    std::size_t close = hostport.find(']');
    if (close == std::string_view::npos) fail("URL_INVALID", "unterminated IPv6 address in URL");
    host = hostport.substr(0, close + 1);
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') fail("URL_INVALID", "unexpected characters after the IPv6 address");
      port_text = after.substr(1);
    }
  } else if (std::size_t c = hostport.rfind(':'); c != std::string_view::npos) {
    host = hostport.substr(0, c);
    port_text = hostport.substr(c + 1);
  }
  if (host.empty()) fail("URL_INVALID", "the URL has an empty host");
  if (!port_text.empty()) {
    int port = 0;
    for (char ch : port_text) {
      if (ch < '0' || ch > '9' || port > 65535) fail("URL_INVALID", "invalid port in URL");
      port = port * 10 + (ch - '0');
    }
    if (port > 65535) fail("URL_INVALID", "invalid port in URL");
    result.port = port;
  }
  result.host = std::string(host);
  result.path = std::move(path);

  bool scheme_tls = result.scheme == Scheme::Https || result.scheme == Scheme::Wss;
  if (result.scheme == Scheme::Libsql) {
    result.tls = tls.value_or(true);
    if (!result.tls && !result.port) {
      fail("URL_INVALID", "a \"libsql:\" URL with ?tls=0 must specify an explicit port");
    }
  } else {
    if (tls && *tls != scheme_tls) {
      fail("URL_INVALID", "a \"" + scheme + ":\" URL cannot opt " + (*tls ? "in to" : "out of") +
                              " TLS using ?tls=" + (*tls ? "1" : "0"));
    }
    result.tls = scheme_tls;
  }
  return result;
}

}  // namespace libsql::detail
