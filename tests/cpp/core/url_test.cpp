#include "core/url.hpp"

#include <gtest/gtest.h>

#include <string>

#include "libsql/error.hpp"

using libsql::detail::parse_url;
using libsql::detail::Scheme;

namespace {

struct LocalCase {
  std::string url;
  std::string path;
  bool memory;
};

TEST(Url, LocalFormsGiveTheirPaths) {
  const LocalCase cases[] = {
      {"file:relative.db", "relative.db", false},
      {"file:dir/relative.db", "dir/relative.db", false},
      {"file:/abs.db", "/abs.db", false},
      {"file:///abs.db", "/abs.db", false},
      {"file://localhost/abs.db", "/abs.db", false},
      {"file:my%20db.db", "my db.db", false},
      {":memory:", ":memory:", true},
      {"file::memory:", ":memory:", true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    auto u = parse_url(c.url);
    EXPECT_EQ(u.scheme, Scheme::File);
    EXPECT_EQ(u.path, c.path);
    EXPECT_EQ(u.memory, c.memory);
  }
}

TEST(Url, RemoteFormsParseHostPortAndTls) {
  auto u = parse_url("libsql://db-org.turso.io");
  EXPECT_EQ(u.scheme, Scheme::Libsql);
  EXPECT_EQ(u.host, "db-org.turso.io");
  EXPECT_FALSE(u.port.has_value());
  EXPECT_TRUE(u.tls);

  u = parse_url("libsql://127.0.0.1:8080?tls=0");
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.port, 8080);

  u = parse_url("http://localhost:9000/db/");
  EXPECT_EQ(u.scheme, Scheme::Http);
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.path, "/db/");

  u = parse_url("https://[::1]:443");
  EXPECT_EQ(u.host, "[::1]");
  EXPECT_EQ(u.port, 443);

  u = parse_url("wss://h?authToken=secret");
  EXPECT_EQ(u.scheme, Scheme::Wss);
  EXPECT_EQ(u.auth_token, "secret");

  EXPECT_EQ(parse_url("ws://h").scheme, Scheme::Ws);
  EXPECT_FALSE(parse_url("libsql://h:1", false).tls) << "config tls overrides the scheme";
}

TEST(Url, RequestTimeoutIsOursInMilliseconds) {
  EXPECT_FALSE(parse_url("libsql://h").request_timeout);
  EXPECT_EQ(parse_url("libsql://h?requestTimeout=2500").request_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(parse_url("http://h:8080?authToken=t&requestTimeout=0").request_timeout, std::chrono::milliseconds(0));
}

struct BadCase {
  std::string url;
  std::string code;
};

TEST(Url, MalformedUrlsNameTheirProblem) {
  const BadCase cases[] = {
      {"", "URL_INVALID"},
      {"relative.db", "URL_INVALID"},
      {"1http://x", "URL_INVALID"},
      {"file:", "URL_INVALID"},
      {"file://otherhost/x.db", "URL_INVALID"},
      {"file:x.db#frag", "URL_INVALID"},
      {"file:x%zz.db", "URL_INVALID"},
      {"postgres://h/db", "URL_SCHEME_NOT_SUPPORTED"},
      {"mysql:x", "URL_SCHEME_NOT_SUPPORTED"},
      {"libsql://h?tls=2", "URL_INVALID"},
      {"libsql://h?tls=0", "URL_INVALID"},  // tls=0 needs an explicit port
      {"http://h?tls=1", "URL_INVALID"},
      {"https://h?tls=0", "URL_INVALID"},
      {"https://", "URL_INVALID"},
      {"https://h:99999", "URL_INVALID"},
      {"https://h:8x", "URL_INVALID"},
      {"https://[::1", "URL_INVALID"},
      {"libsql://h?foo=bar", "URL_PARAM_NOT_SUPPORTED"},
      {"file:x.db?mode=ro", "URL_PARAM_NOT_SUPPORTED"},
      {"libsql://h?requestTimeout=", "URL_INVALID"},
      {"libsql://h?requestTimeout=-1", "URL_INVALID"},
      {"libsql://h?requestTimeout=5s", "URL_INVALID"},
      {"libsql://h?requestTimeout=99999999999", "URL_INVALID"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    try {
      parse_url(c.url);
      ADD_FAILURE() << "no error for " << c.url;
    } catch (const libsql::Error& e) {
      EXPECT_EQ(e.code_name(), c.code);
      EXPECT_EQ(e.kind(), libsql::ErrorKind::Misuse);
      EXPECT_EQ(std::string(e.what()).rfind(c.code + ": ", 0), 0u) << e.what();
    }
  }
}

TEST(Url, MessagesNeverContainTheToken) {
  try {
    parse_url("libsql://h?authToken=s3cr3t&bogus=1");
    FAIL();
  } catch (const libsql::Error& e) {
    EXPECT_EQ(std::string(e.what()).find("s3cr3t"), std::string::npos) << e.what();
  }
  try {
    parse_url("nope:x?authToken=s3cr3t");
    FAIL();
  } catch (const libsql::Error& e) {
    EXPECT_EQ(std::string(e.what()).find("s3cr3t"), std::string::npos) << e.what();
  }
  EXPECT_EQ(libsql::detail::redact_url("https://h/?authToken=abc&tls=1"),
            "https://h/?authToken=<redacted>&tls=1");
  EXPECT_EQ(libsql::detail::redact_url("https://user:pw@h/x"), "https://<redacted>@h/x");
}

}  // namespace
