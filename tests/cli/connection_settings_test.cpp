#include "cli/connection_settings.hpp"

#include <gtest/gtest.h>

namespace libsql::cli {
namespace {

Environment fake(EnvMap process, std::optional<EnvMap> dotenv) {
  Environment env;
  env.getenv = [process](const std::string& name) -> std::optional<std::string> {
    auto it = process.find(name);
    if (it == process.end()) return std::nullopt;
    return it->second;
  };
  env.dotenv = std::move(dotenv);
  return env;
}

TEST(ConnectionSettings, CommandLineThenEnvironmentThenDotenv) {
  const Environment env = fake({{"TURSO_DATABASE_URL", "libsql://env.turso.io"}, {"TURSO_AUTH_TOKEN", "t-env"}},
                               EnvMap{{"LIBSQL_URL", "file:dotenv.db"}, {"LIBSQL_AUTH_TOKEN", "t-dotenv"}});
  auto s = resolve_connection(std::string("flag.db"), std::string("t-flag"), env);
  EXPECT_EQ(s.url, "file:flag.db");
  EXPECT_EQ(s.auth_token, "t-flag");
  s = resolve_connection(std::nullopt, std::nullopt, env);
  EXPECT_EQ(s.url, "libsql://env.turso.io");  // the process environment wins over .env
  EXPECT_EQ(s.url_source, "TURSO_DATABASE_URL");
  EXPECT_EQ(s.auth_token, "t-env");
  s = resolve_connection(std::nullopt, std::nullopt, fake({}, EnvMap{{"LIBSQL_URL", "file:dotenv.db"}, {"TURSO_DATABASE_URL", "x"}}));
  EXPECT_EQ(s.url, "file:dotenv.db");  // LIBSQL_URL before TURSO_DATABASE_URL
  EXPECT_EQ(s.url_source, ".env LIBSQL_URL");
  s = resolve_connection(std::nullopt, std::nullopt, fake({{"LIBSQL_URL", ""}}, std::nullopt));
  EXPECT_EQ(s.url, "");  // an empty variable counts as unset
}

TEST(ConnectionSettings, ABarePathIsAFileUrl) {
  EXPECT_EQ(normalize_url("dev.db"), "file:dev.db");
  EXPECT_EQ(normalize_url("./prisma/dev.db"), "file:./prisma/dev.db");
  EXPECT_EQ(normalize_url("/tmp/x.db"), "file:/tmp/x.db");
  EXPECT_EQ(normalize_url("file:dev.db"), "file:dev.db");
  EXPECT_EQ(normalize_url(":memory:"), ":memory:");
  EXPECT_EQ(normalize_url("libsql://db.turso.io"), "libsql://db.turso.io");
  EXPECT_EQ(normalize_url("HTTP://127.0.0.1:8080"), "HTTP://127.0.0.1:8080");
  EXPECT_EQ(normalize_url("c:dev.db"), "file:c:dev.db");
}

TEST(ConnectionSettings, RedactsTokensAndPasswords) {
  EXPECT_EQ(redact_url("libsql://db.turso.io?authToken=secret"), "libsql://db.turso.io?authToken=<redacted>");
  EXPECT_EQ(redact_url("https://db.turso.io/?tls=1&authToken=secret&x=1"),
            "https://db.turso.io/?tls=1&authToken=<redacted>&x=1");
  EXPECT_EQ(redact_url("http://user:secret@host:8080/p"), "http://user:<redacted>@host:8080/p");
  EXPECT_EQ(redact_url("file:dev.db"), "file:dev.db");
}

TEST(ConnectionSettings, KnowsWhichFileALocalUrlNames) {
  EXPECT_EQ(local_file_path("file:dev.db"), "dev.db");
  EXPECT_EQ(local_file_path("file:/tmp/a%20b.db?mode=rwc"), "/tmp/a b.db");
  EXPECT_EQ(local_file_path("file:///tmp/x.db"), "/tmp/x.db");
  EXPECT_EQ(local_file_path("file://localhost/tmp/x.db"), "/tmp/x.db");
  EXPECT_EQ(local_file_path("file::memory:"), std::nullopt);
  EXPECT_EQ(local_file_path(":memory:"), std::nullopt);
  EXPECT_EQ(local_file_path("libsql://x.turso.io"), std::nullopt);
}

}  // namespace
}  // namespace libsql::cli
