// --encryption-key / LIBSQL_ENCRYPTION_KEY: where the CLI takes a local file's key from.
#include <gtest/gtest.h>

#include "cli/args.hpp"
#include "cli/connection_settings.hpp"

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

TEST(EncryptionKey, FlagThenEnvironmentThenDotenv) {
  const auto both = fake({{"LIBSQL_ENCRYPTION_KEY", "k-env"}}, EnvMap{{"LIBSQL_ENCRYPTION_KEY", "k-dotenv"}});
  EXPECT_EQ(resolve_connection(std::string("x.db"), std::nullopt, both, std::string("k-flag")).encryption_key,
            "k-flag");
  EXPECT_EQ(resolve_connection(std::string("x.db"), std::nullopt, both).encryption_key, "k-env");
  const auto dotenv_only = fake({}, EnvMap{{"LIBSQL_ENCRYPTION_KEY", "k-dotenv"}});
  EXPECT_EQ(resolve_connection(std::string("x.db"), std::nullopt, dotenv_only).encryption_key, "k-dotenv");
  EXPECT_EQ(resolve_connection(std::string("x.db"), std::nullopt, fake({}, std::nullopt)).encryption_key, "");
  // An empty variable counts as unset.
  EXPECT_EQ(resolve_connection(std::string("x.db"), std::nullopt, fake({{"LIBSQL_ENCRYPTION_KEY", ""}}, std::nullopt))
                .encryption_key,
            "");
}

TEST(EncryptionKey, GoesIntoTheConfig) {
  const auto s = resolve_connection(std::string("x.db"), std::nullopt, fake({}, std::nullopt), std::string("k"));
  EXPECT_EQ(make_config(s).encryption_key, "k");
  EXPECT_EQ(make_config(s).url, "file:x.db");
}

TEST(EncryptionKey, EveryCommandTakesTheFlag) {
  const std::vector<std::vector<std::string>> commands = {
      {"migrate", "deploy"}, {"migrate", "status"}, {"migrate", "resolve", "--applied", "m"},
      {"shell"}, {"exec", "f.sql"}};
  for (auto args : commands) {
    args.push_back("--encryption-key=secret");
    const ParsedArgs a = parse_args(args);
    EXPECT_EQ(a.value("encryption-key"), "secret") << a.command;
  }
  EXPECT_NE(usage("shell").find("--encryption-key"), std::string::npos);
  EXPECT_NE(usage("").find("LIBSQL_ENCRYPTION_KEY"), std::string::npos);
}

}  // namespace
}  // namespace libsql::cli
