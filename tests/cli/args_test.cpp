#include "cli/args.hpp"

#include <gtest/gtest.h>

#include "cli/cli_error.hpp"

namespace libsql::cli {
namespace {

ParsedArgs parse(std::initializer_list<const char*> a) {
  return parse_args(std::vector<std::string>(a.begin(), a.end()));
}

std::string usage_failure(std::initializer_list<const char*> a) {
  try {
    (void)parse(a);
  } catch (const CliError& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    return e.what();
  }
  return "(parsed)";
}

TEST(Args, MigrateCommandsAndTheirOptions) {
  auto a = parse({"migrate", "deploy", "--url", "file:x.db", "--migrations=db/m", "--lock-timeout", "5"});
  EXPECT_EQ(a.command, "migrate deploy");
  EXPECT_EQ(a.value("url"), "file:x.db");
  EXPECT_EQ(a.value("migrations"), "db/m");
  EXPECT_EQ(a.value("lock-timeout"), "5");
  EXPECT_EQ(a.value("auth-token"), std::nullopt);

  a = parse({"migrate", "status", "--json"});
  EXPECT_EQ(a.command, "migrate status");
  EXPECT_TRUE(a.flag("json"));

  a = parse({"migrate", "resolve", "--rolled-back", "20201231000000_x"});
  EXPECT_EQ(a.value("rolled-back"), "20201231000000_x");
}

TEST(Args, ShellAndExecTakeTheirArguments) {
  auto a = parse({"shell"});
  EXPECT_TRUE(a.positionals.empty());
  a = parse({"shell", "dev.db", "--mode", "json"});
  EXPECT_EQ(a.positionals, std::vector<std::string>{"dev.db"});
  EXPECT_EQ(a.value("mode"), "json");
  a = parse({"exec", "file:x.db", "m.sql"});
  EXPECT_EQ(a.positionals, (std::vector<std::string>{"file:x.db", "m.sql"}));
  a = parse({"exec", "-"});
  EXPECT_EQ(a.positionals, std::vector<std::string>{"-"});
  a = parse({"exec", "--", "-odd-name.sql"});
  EXPECT_EQ(a.positionals, std::vector<std::string>{"-odd-name.sql"});
}

TEST(Args, HelpAndVersion) {
  EXPECT_EQ(parse({}).command, "help");
  EXPECT_EQ(parse({"--help"}).command, "help");
  EXPECT_EQ(parse({"help", "shell"}).positionals, std::vector<std::string>{"shell"});
  EXPECT_EQ(parse({"--version"}).command, "version");
  EXPECT_TRUE(parse({"migrate", "deploy", "--help"}).flag("help"));
  EXPECT_NE(usage().find("migrate deploy"), std::string::npos);
  EXPECT_NE(usage("shell").find(".tables"), std::string::npos);
}

TEST(Args, BadCommandLinesSayWhatIsWrong) {
  EXPECT_NE(usage_failure({"frob"}).find("Unknown command `frob`"), std::string::npos);
  EXPECT_NE(usage_failure({"migrate"}).find("deploy, status or resolve"), std::string::npos);
  EXPECT_NE(usage_failure({"migrate", "undo"}).find("Unknown command `migrate undo`"), std::string::npos);
  EXPECT_NE(usage_failure({"migrate", "deploy", "--jsn"}).find("Unknown option --jsn"), std::string::npos);
  EXPECT_NE(usage_failure({"migrate", "deploy", "--json"}).find("Unknown option --json"), std::string::npos);
  EXPECT_NE(usage_failure({"migrate", "deploy", "--url"}).find("--url needs a value"), std::string::npos);
  EXPECT_NE(usage_failure({"migrate", "status", "--json=yes"}).find("Unknown option --json"), std::string::npos);
  EXPECT_NE(usage_failure({"migrate", "resolve"}).find("exactly one of"), std::string::npos);
  EXPECT_NE(usage_failure({"migrate", "resolve", "--applied", "a", "--rolled-back", "b"}).find("exactly one of"),
            std::string::npos);
  EXPECT_NE(usage_failure({"exec"}).find("Wrong number of arguments"), std::string::npos);
  EXPECT_NE(usage_failure({"shell", "a", "b"}).find("Wrong number of arguments"), std::string::npos);
  // A secret given to an unknown option is not echoed back.
  EXPECT_EQ(usage_failure({"migrate", "deploy", "--token=s3cret"}).find("s3cret"), std::string::npos);
}

}  // namespace
}  // namespace libsql::cli
