#include "cli/shell.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace libsql::cli {
namespace {

struct Session {
  Client client = Client::open({.url = ":memory:"});
  std::ostringstream out;
  std::ostringstream err;
  Shell shell;
  explicit Session(bool interactive = false, OutputMode mode = OutputMode::Csv)
      : shell(client, Shell::Options{mode, interactive, "script.sql"}, out, err) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() { client.close(); }
  int run(const std::string& input) {
    std::istringstream in(input);
    return run_shell_stream(shell, in);
  }
};

TEST(Shell, RunsAScriptAndPrintsItsQueries) {
  Session s;
  EXPECT_EQ(s.run("CREATE TABLE t (a, b);\nINSERT INTO t VALUES (1, 'x'),\n  (2, 'y');\n"
                  "SELECT * FROM t ORDER BY a;\nSELECT count(*) AS n FROM t"),
            0);
  EXPECT_EQ(s.out.str(), "a,b\n1,x\n2,y\nn\n2\n");
  EXPECT_EQ(s.err.str(), "");
}

TEST(Shell, StopsAtTheFirstErrorNamingItsLine) {
  Session s;
  EXPECT_EQ(s.run("CREATE TABLE t (a);\nINSERT INTO t VALUES (1);\n\nINSERT INTO nope VALUES (1);\n"
                  "INSERT INTO t VALUES (2);\n"),
            1);
  EXPECT_EQ(s.err.str(), "Error: script.sql:4: SQLITE_ERROR: no such table: nope\n");
  EXPECT_EQ(std::get<std::int64_t>(s.client.execute("SELECT count(*) FROM t", {}).rows[0][0]), 1);
}

TEST(Shell, InteractiveErrorsDoNotStopIt) {
  Session s(true);
  EXPECT_EQ(s.shell.feed_line("SELECT * FROM nope;", 1), Shell::Flow::Continue);
  EXPECT_EQ(s.shell.feed_line("SELECT 1 AS one;", 2), Shell::Flow::Continue);
  EXPECT_EQ(s.err.str(), "Error: SQLITE_ERROR: no such table: nope\n");
  EXPECT_EQ(s.out.str(), "one\n1\n");
  EXPECT_EQ(s.shell.exit_code(), 0);
}

TEST(Shell, PromptsShowContinuationAndOpenTransactions) {
  Session s(true);
  EXPECT_EQ(s.shell.prompt(), "libsql> ");
  s.shell.feed_line("SELECT", 1);
  EXPECT_EQ(s.shell.prompt(), "   ...> ");
  s.shell.cancel_input();
  EXPECT_EQ(s.shell.prompt(), "libsql> ");
  s.shell.feed_line("BEGIN;", 2);
  EXPECT_EQ(s.shell.prompt(), "libsql*> ");
  s.shell.feed_line("ROLLBACK;", 3);
  EXPECT_EQ(s.shell.prompt(), "libsql> ");
}

TEST(Shell, TransactionsCommitAndRollBackAsInSqlite) {
  Session s;
  EXPECT_EQ(s.run("CREATE TABLE t (a);\n"
                  "BEGIN; INSERT INTO t VALUES (1); ROLLBACK;\n"
                  "BEGIN IMMEDIATE; INSERT INTO t VALUES (2); COMMIT;\n"
                  "SAVEPOINT s1; INSERT INTO t VALUES (3); RELEASE s1;\n"
                  "BEGIN; INSERT INTO t VALUES (4); SAVEPOINT p; INSERT INTO t VALUES (5); ROLLBACK TO p; END;\n"
                  "SELECT group_concat(a, '-') AS a FROM t;\n"),
            0) << s.err.str();
  EXPECT_EQ(s.out.str(), "a\n2-3-4\n");
}

TEST(Shell, AnErrorInsideATransactionStopsAndRollsItBack) {
  Session s;
  EXPECT_EQ(s.run("CREATE TABLE t (a UNIQUE);\nBEGIN;\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (1);\nCOMMIT;\n"), 1);
  EXPECT_NE(s.err.str().find("script.sql:4: SQLITE_CONSTRAINT"), std::string::npos) << s.err.str();
  EXPECT_EQ(std::get<std::int64_t>(s.client.execute("SELECT count(*) FROM t", {}).rows[0][0]), 0);
}

TEST(Shell, InputThatEndsInsideATransactionIsAnError) {
  Session s;
  EXPECT_EQ(s.run("CREATE TABLE t (a);\nBEGIN;\nINSERT INTO t VALUES (1);\n"), 1);
  EXPECT_NE(s.err.str().find("ended inside a transaction"), std::string::npos);
  EXPECT_EQ(std::get<std::int64_t>(s.client.execute("SELECT count(*) FROM t", {}).rows[0][0]), 0);
}

TEST(Shell, ConnectionPragmasPersistBetweenStatements) {
  Session s;
  EXPECT_EQ(s.run("CREATE TABLE p (id INTEGER PRIMARY KEY);\n"
                  "CREATE TABLE c (pid REFERENCES p(id));\n"
                  "PRAGMA foreign_keys=OFF;\nINSERT INTO c VALUES (7);\nPRAGMA foreign_keys=ON;\n"
                  "INSERT INTO c VALUES (8);\n"),
            1);
  EXPECT_NE(s.err.str().find("script.sql:6: SQLITE_CONSTRAINT"), std::string::npos) << s.err.str();
}

TEST(Shell, DotCommands) {
  Session s(false, OutputMode::Table);
  EXPECT_EQ(s.run("CREATE TABLE b (x);\nCREATE TABLE a (y);\nCREATE INDEX ai ON a(y);\n"
                  ".tables\n.schema a\n.mode json\nSELECT 1 AS one;\n.mode\n.mode csv\nSELECT 2 AS two;\n"
                  ".quit\nSELECT 3;\n"),
            0) << s.err.str();
  EXPECT_EQ(s.out.str(),
            "a  b\n"
            "CREATE TABLE a (y);\nCREATE INDEX ai ON a(y);\n"
            "[{\"one\":1}]\n"
            "current output mode: json\n"
            "two\n2\n");
}

TEST(Shell, UnknownDotCommandsAndModesAreErrors) {
  Session s;
  EXPECT_EQ(s.run(".frobnicate\nSELECT 1;\n"), 1);
  EXPECT_EQ(s.err.str(), "Error: script.sql:1: unknown command .frobnicate (try .help)\n");
  Session t;
  EXPECT_EQ(t.run(".mode list\n"), 1);
}

TEST(Shell, ExitWithACode) {
  Session s;
  EXPECT_EQ(s.run(".exit 3\n"), 3);
}

}  // namespace
}  // namespace libsql::cli
