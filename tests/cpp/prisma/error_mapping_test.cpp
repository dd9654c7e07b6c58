#include "prisma/error_mapping.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "libsql/error.hpp"

namespace libsql::prisma {
namespace {

// A SQLite error as the core builds it: code name of the extended code, message prefixed with
// the primary code's name (the @libsql/client format).
Error sqlite(int code, const std::string& code_name, const std::string& message) {
  return Error(ErrorKind::Sqlite, code, code_name, message);
}

std::string describe(const Error& e) {
  return std::string("Error{kind ") + std::to_string(static_cast<int>(e.kind())) + ", code " +
         std::to_string(e.extended_code()) + ", \"" + e.code_name() + "\", \"" + e.what() + "\"}";
}

struct Row {
  Error input;
  std::string expected_json;
};

void expect_rows(const std::vector<Row>& rows) {
  for (const auto& row : rows) {
    SCOPED_TRACE("input: " + describe(row.input));
    EXPECT_EQ(to_json(map_error(row.input)), row.expected_json);
  }
}

// Port of @prisma/adapter-libsql src/errors.test.ts, "missing error code gets defaulted to 1":
// {code: '123456', message: 'An error occurred', rawCode: undefined} ->
// {kind: 'sqlite', message: 'An error occurred', extendedCode: 1, originalMessage: ...}.
// Our equivalent of a @libsql/client error without a SQLite code is a Protocol error.
TEST(ErrorMapping, MissingErrorCodeGetsDefaultedToOne) {
  expect_rows({
      {Error(ErrorKind::Protocol, 0, "", "An error occurred"),
       R"({"kind":"sqlite","extendedCode":1,"message":"An error occurred",)"
       R"("originalMessage":"An error occurred"})"},
      {Error(ErrorKind::Protocol, 0, "HRANA_PROTO_ERROR", "HRANA_PROTO_ERROR: bad JSON"),
       R"({"kind":"sqlite","extendedCode":1,"message":"HRANA_PROTO_ERROR: bad JSON",)"
       R"("originalCode":"HRANA_PROTO_ERROR","originalMessage":"HRANA_PROTO_ERROR: bad JSON"})"},
  });
}

// Expected objects measured with @prisma/adapter-libsql 7.10 on :memory: (same properties;
// the official object lists originalCode/originalMessage first).
TEST(ErrorMapping, ConstraintViolationsMatchTheOfficialAdapter) {
  expect_rows({
      {sqlite(1555, "SQLITE_CONSTRAINT_PRIMARYKEY",
              "SQLITE_CONSTRAINT: UNIQUE constraint failed: t.a"),
       R"({"kind":"UniqueConstraintViolation","constraint":{"fields":["a"]},"table":"t",)"
       R"("originalCode":"1555",)"
       R"("originalMessage":"SQLITE_CONSTRAINT: UNIQUE constraint failed: t.a"})"},
      {sqlite(2067, "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT: UNIQUE constraint failed: t.b"),
       R"({"kind":"UniqueConstraintViolation","constraint":{"fields":["b"]},"table":"t",)"
       R"("originalCode":"2067",)"
       R"("originalMessage":"SQLITE_CONSTRAINT: UNIQUE constraint failed: t.b"})"},
      {sqlite(1299, "SQLITE_CONSTRAINT_NOTNULL",
              "SQLITE_CONSTRAINT: NOT NULL constraint failed: t.b"),
       R"({"kind":"NullConstraintViolation","constraint":{"fields":["b"]},)"
       R"("originalCode":"1299",)"
       R"("originalMessage":"SQLITE_CONSTRAINT: NOT NULL constraint failed: t.b"})"},
      {sqlite(787, "SQLITE_CONSTRAINT_FOREIGNKEY",
              "SQLITE_CONSTRAINT: FOREIGN KEY constraint failed"),
       R"({"kind":"ForeignKeyConstraintViolation","constraint":{"foreignKey":{}},)"
       R"("originalCode":"787",)"
       R"("originalMessage":"SQLITE_CONSTRAINT: FOREIGN KEY constraint failed"})"},
  });
}

TEST(ErrorMapping, ConstraintFieldsAndTableFollowTheOfficialSplitRules) {
  expect_rows({
      // composite: split on ", ", each "Table.col" -> "col"; table from the first item
      {sqlite(2067, "SQLITE_CONSTRAINT_UNIQUE",
              "SQLITE_CONSTRAINT: UNIQUE constraint failed: User.email, User.name"),
       R"({"kind":"UniqueConstraintViolation","constraint":{"fields":["email","name"]},)"
       R"("table":"User","originalCode":"2067","originalMessage":"SQLITE_CONSTRAINT: UNIQUE )"
       R"(constraint failed: User.email, User.name"})"},
      // schema-qualified: the table is everything before the last dot
      {sqlite(2067, "SQLITE_CONSTRAINT_UNIQUE",
              "SQLITE_CONSTRAINT: UNIQUE constraint failed: main.User.email"),
       R"({"kind":"UniqueConstraintViolation","constraint":{"fields":["email"]},)"
       R"("table":"main.User","originalCode":"2067","originalMessage":"SQLITE_CONSTRAINT: )"
       R"(UNIQUE constraint failed: main.User.email"})"},
      // unique index on an expression: no dot, so no table
      {sqlite(2067, "SQLITE_CONSTRAINT_UNIQUE",
              "SQLITE_CONSTRAINT: UNIQUE constraint failed: index 'idx_lower'"),
       R"({"kind":"UniqueConstraintViolation","constraint":{"fields":["index 'idx_lower'"]},)"
       R"("originalCode":"2067","originalMessage":"SQLITE_CONSTRAINT: UNIQUE constraint )"
       R"(failed: index 'idx_lower'"})"},
      // no "constraint failed: " at all: no constraint, no table
      {sqlite(1555, "SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT: duplicate key"),
       R"({"kind":"UniqueConstraintViolation","originalCode":"1555",)"
       R"("originalMessage":"SQLITE_CONSTRAINT: duplicate key"})"},
      {sqlite(1299, "SQLITE_CONSTRAINT_NOTNULL",
              "SQLITE_CONSTRAINT: NOT NULL constraint failed: Post.authorId"),
       R"({"kind":"NullConstraintViolation","constraint":{"fields":["authorId"]},)"
       R"("originalCode":"1299","originalMessage":"SQLITE_CONSTRAINT: NOT NULL constraint )"
       R"(failed: Post.authorId"})"},
      {sqlite(1299, "SQLITE_CONSTRAINT_NOTNULL", "SQLITE_CONSTRAINT: NOT NULL"),
       R"({"kind":"NullConstraintViolation","originalCode":"1299",)"
       R"("originalMessage":"SQLITE_CONSTRAINT: NOT NULL"})"},
      // a trigger's RAISE(ABORT, ...) reports as a foreign key violation (1811)
      {sqlite(1811, "SQLITE_CONSTRAINT_TRIGGER", "SQLITE_CONSTRAINT: no parent row"),
       R"({"kind":"ForeignKeyConstraintViolation","constraint":{"foreignKey":{}},)"
       R"("originalCode":"1811","originalMessage":"SQLITE_CONSTRAINT: no parent row"})"},
  });
}

TEST(ErrorMapping, OtherConstraintFailuresStayGenericSqliteErrors) {
  expect_rows({
      {sqlite(275, "SQLITE_CONSTRAINT_CHECK", "SQLITE_CONSTRAINT: CHECK constraint failed: x > 0"),
       R"({"kind":"sqlite","extendedCode":275,"message":"SQLITE_CONSTRAINT: CHECK constraint )"
       R"(failed: x > 0","originalCode":"275","originalMessage":"SQLITE_CONSTRAINT: CHECK )"
       R"(constraint failed: x > 0"})"},
  });
}

TEST(ErrorMapping, AnyBusyCodeIsASocketTimeout) {
  expect_rows({
      {sqlite(5, "SQLITE_BUSY", "SQLITE_BUSY: database is locked"),
       R"({"kind":"SocketTimeout","originalCode":"5",)"
       R"("originalMessage":"SQLITE_BUSY: database is locked"})"},
      {sqlite(261, "SQLITE_BUSY_RECOVERY", "SQLITE_BUSY: database is locked"),
       R"({"kind":"SocketTimeout","originalCode":"261",)"
       R"("originalMessage":"SQLITE_BUSY: database is locked"})"},
      {sqlite(517, "SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY: database is locked"),
       R"({"kind":"SocketTimeout","originalCode":"517",)"
       R"("originalMessage":"SQLITE_BUSY: database is locked"})"},
      {sqlite(773, "SQLITE_BUSY_TIMEOUT", "SQLITE_BUSY: database is locked"),
       R"({"kind":"SocketTimeout","originalCode":"773",)"
       R"("originalMessage":"SQLITE_BUSY: database is locked"})"},
      // SQLITE_LOCKED (6) is not BUSY
      {sqlite(6, "SQLITE_LOCKED", "SQLITE_LOCKED: database table is locked"),
       R"({"kind":"sqlite","extendedCode":6,"message":"SQLITE_LOCKED: database table is locked",)"
       R"("originalCode":"6","originalMessage":"SQLITE_LOCKED: database table is locked"})"},
  });
}

// **better**, a deliberate divergence: the official adapter tests startsWith('no such table')
// on "SQLITE_ERROR: no such table: nope" and reports {kind: 'sqlite', extendedCode: 1} (its own
// libsql.test.ts asserts that); Prisma then gives P2039 instead of P2021 / P2022.
TEST(ErrorMapping, MissingTableAndColumnAreRecognisedBehindTheSqlitePrefix) {
  expect_rows({
      {sqlite(1, "SQLITE_ERROR", "SQLITE_ERROR: no such table: non_existent_table"),
       R"({"kind":"TableDoesNotExist","table":"non_existent_table","originalCode":"1",)"
       R"("originalMessage":"SQLITE_ERROR: no such table: non_existent_table"})"},
      {sqlite(1, "SQLITE_ERROR", "SQLITE_ERROR: no such table: _prisma_migrations"),
       R"({"kind":"TableDoesNotExist","table":"_prisma_migrations","originalCode":"1",)"
       R"("originalMessage":"SQLITE_ERROR: no such table: _prisma_migrations"})"},
      {sqlite(1, "SQLITE_ERROR", "SQLITE_ERROR: no such table: main.nope"),
       R"({"kind":"TableDoesNotExist","table":"main.nope","originalCode":"1",)"
       R"("originalMessage":"SQLITE_ERROR: no such table: main.nope"})"},
      {sqlite(1, "SQLITE_ERROR", "SQLITE_ERROR: no such column: nope"),
       R"({"kind":"ColumnNotFound","column":"nope","originalCode":"1",)"
       R"("originalMessage":"SQLITE_ERROR: no such column: nope"})"},
      {sqlite(1, "SQLITE_ERROR", "SQLITE_ERROR: no such column: t.nope"),
       R"({"kind":"ColumnNotFound","column":"t.nope","originalCode":"1",)"
       R"("originalMessage":"SQLITE_ERROR: no such column: t.nope"})"},
  });
}

// What the official adapter does with SQLite's bare text (no prefix), kept as is.
TEST(ErrorMapping, MissingTableAndColumnAreRecognisedWithoutPrefixAsOfficially) {
  expect_rows({
      {sqlite(1, "SQLITE_ERROR", "no such table: t"),
       R"({"kind":"TableDoesNotExist","table":"t","originalCode":"1",)"
       R"("originalMessage":"no such table: t"})"},
      {sqlite(1, "SQLITE_ERROR", "no such column: c"),
       R"({"kind":"ColumnNotFound","column":"c","originalCode":"1",)"
       R"("originalMessage":"no such column: c"})"},
      // `split(': ').at(1)`: only the text up to the next ": "
      {sqlite(1, "SQLITE_ERROR", "no such table: a: b"),
       R"({"kind":"TableDoesNotExist","table":"a","originalCode":"1",)"
       R"("originalMessage":"no such table: a: b"})"},
      // no ": " after the words: the kind without a name
      {sqlite(1, "SQLITE_ERROR", "no such table"),
       R"({"kind":"TableDoesNotExist","originalCode":"1","originalMessage":"no such table"})"},
      {sqlite(1, "SQLITE_ERROR", "table t has no column named x"),
       R"({"kind":"ColumnNotFound","column":"x","originalCode":"1",)"
       R"("originalMessage":"table t has no column named x"})"},
  });
}

// `includes('has no column named ')`: this one matches the prefixed text officially too
// (measured: INSERT INTO t (nope) VALUES (1) -> ColumnNotFound {column: 'nope'}).
TEST(ErrorMapping, HasNoColumnNamedMatchesAnywhereInTheMessage) {
  expect_rows({
      {sqlite(1, "SQLITE_ERROR", "SQLITE_ERROR: table t has no column named nope"),
       R"({"kind":"ColumnNotFound","column":"nope","originalCode":"1",)"
       R"("originalMessage":"SQLITE_ERROR: table t has no column named nope"})"},
  });
}

TEST(ErrorMapping, MessagesOnlyMatchAtTheStartAfterAnSqlitePrefix) {
  expect_rows({
      // the words must start SQLite's text (startsWith), not appear later
      {sqlite(1, "SQLITE_ERROR", "SQLITE_ERROR: error in view v: no such table: main.t"),
       R"({"kind":"sqlite","extendedCode":1,"message":"SQLITE_ERROR: error in view v: no such )"
       R"(table: main.t","originalCode":"1","originalMessage":"SQLITE_ERROR: error in view v: )"
       R"(no such table: main.t"})"},
      // only an SQLITE_XXX prefix is skipped
      {sqlite(1, "SQLITE_ERROR", "FOO: no such table: t"),
       R"({"kind":"sqlite","extendedCode":1,"message":"FOO: no such table: t",)"
       R"("originalCode":"1","originalMessage":"FOO: no such table: t"})"},
      {sqlite(1, "SQLITE_ERROR", "SQLITE_ERROR:no such table: t"),
       R"({"kind":"sqlite","extendedCode":1,"message":"SQLITE_ERROR:no such table: t",)"
       R"("originalCode":"1","originalMessage":"SQLITE_ERROR:no such table: t"})"},
  });
}

TEST(ErrorMapping, AnythingElseIsAGenericSqliteErrorWithThePrefixedMessage) {
  expect_rows({
      {sqlite(1, "SQLITE_ERROR", "SQLITE_ERROR: near \"SELEC\": syntax error"),
       R"({"kind":"sqlite","extendedCode":1,"message":"SQLITE_ERROR: near \"SELEC\": syntax )"
       R"(error","originalCode":"1",)"
       R"("originalMessage":"SQLITE_ERROR: near \"SELEC\": syntax error"})"},
      {sqlite(8, "SQLITE_READONLY", "SQLITE_READONLY: attempt to write a readonly database"),
       R"({"kind":"sqlite","extendedCode":8,"message":"SQLITE_READONLY: attempt to write a )"
       R"(readonly database","originalCode":"8","originalMessage":"SQLITE_READONLY: attempt )"
       R"(to write a readonly database"})"},
      // measured: empty SQL through the official adapter
      {sqlite(0, "SQLITE_UNKNOWN_0", "SQLITE_UNKNOWN_0: not an error"),
       R"({"kind":"sqlite","extendedCode":0,"message":"SQLITE_UNKNOWN_0: not an error",)"
       R"("originalCode":"0","originalMessage":"SQLITE_UNKNOWN_0: not an error"})"},
      {sqlite(3338, "SQLITE_IOERR_SHORT_READ", "SQLITE_IOERR: disk I/O error"),
       R"({"kind":"sqlite","extendedCode":3338,"message":"SQLITE_IOERR: disk I/O error",)"
       R"("originalCode":"3338","originalMessage":"SQLITE_IOERR: disk I/O error"})"},
  });
}

TEST(ErrorMapping, NetworkAuthAndTimeoutErrorsMapToConnectionKinds) {
  expect_rows({
      {Error(ErrorKind::Network, 0, "CURLE_COULDNT_CONNECT", "CURLE_COULDNT_CONNECT: refused"),
       R"({"kind":"DatabaseNotReachable","originalCode":"CURLE_COULDNT_CONNECT",)"
       R"("originalMessage":"CURLE_COULDNT_CONNECT: refused"})"},
      {Error(ErrorKind::Network, 0, "CURLE_COULDNT_RESOLVE_HOST", "no such host"),
       R"({"kind":"DatabaseNotReachable","originalCode":"CURLE_COULDNT_RESOLVE_HOST",)"
       R"("originalMessage":"no such host"})"},
      {Error(ErrorKind::Network, 0, "", "unreachable"),
       R"({"kind":"DatabaseNotReachable","originalMessage":"unreachable"})"},
      {Error(ErrorKind::Network, 0, "CONNECTION_CLOSED", "CONNECTION_CLOSED: reset by peer"),
       R"({"kind":"ConnectionClosed","originalCode":"CONNECTION_CLOSED",)"
       R"("originalMessage":"CONNECTION_CLOSED: reset by peer"})"},
      {Error(ErrorKind::Network, 0, "CURLE_GOT_NOTHING", "empty reply"),
       R"({"kind":"ConnectionClosed","originalCode":"CURLE_GOT_NOTHING",)"
       R"("originalMessage":"empty reply"})"},
      {Error(ErrorKind::Network, 0, "CURLE_RECV_ERROR", "recv failed"),
       R"({"kind":"ConnectionClosed","originalCode":"CURLE_RECV_ERROR",)"
       R"("originalMessage":"recv failed"})"},
      {Error(ErrorKind::Network, 0, "CURLE_SSL_CONNECT_ERROR",
             "CURLE_SSL_CONNECT_ERROR: handshake failed"),
       R"({"kind":"TlsConnectionError","reason":"handshake failed",)"
       R"("originalCode":"CURLE_SSL_CONNECT_ERROR",)"
       R"("originalMessage":"CURLE_SSL_CONNECT_ERROR: handshake failed"})"},
      {Error(ErrorKind::Network, 0, "CURLE_PEER_FAILED_VERIFICATION", "bad certificate"),
       R"({"kind":"TlsConnectionError","reason":"bad certificate",)"
       R"("originalCode":"CURLE_PEER_FAILED_VERIFICATION","originalMessage":"bad certificate"})"},
      {Error(ErrorKind::Network, 0, "TLS_ERROR", "TLS_ERROR: expired"),
       R"({"kind":"TlsConnectionError","reason":"expired","originalCode":"TLS_ERROR",)"
       R"("originalMessage":"TLS_ERROR: expired"})"},
      {Error(ErrorKind::Timeout, 0, "CURLE_OPERATION_TIMEDOUT", "timed out after 5000 ms"),
       R"({"kind":"SocketTimeout","originalCode":"CURLE_OPERATION_TIMEDOUT",)"
       R"("originalMessage":"timed out after 5000 ms"})"},
      {Error(ErrorKind::Auth, 0, "HTTP_401", "HTTP_401: Unauthorized"),
       R"({"kind":"AuthenticationFailed","originalCode":"HTTP_401",)"
       R"("originalMessage":"HTTP_401: Unauthorized"})"},
      {Error(ErrorKind::Auth, 0, "HTTP_403", "HTTP_403: Forbidden"),
       R"({"kind":"AuthenticationFailed","originalCode":"HTTP_403",)"
       R"("originalMessage":"HTTP_403: Forbidden"})"},
  });
}

TEST(ErrorMapping, MisuseErrorsMapByCodeNameWithTheMessageWithoutItsCodePrefix) {
  expect_rows({
      {Error(ErrorKind::Misuse, 0, "CLIENT_CLOSED", "CLIENT_CLOSED: the client is closed"),
       R"({"kind":"ConnectionClosed","originalCode":"CLIENT_CLOSED",)"
       R"("originalMessage":"CLIENT_CLOSED: the client is closed"})"},
      {Error(ErrorKind::Misuse, 0, "TRANSACTION_CLOSED",
             "TRANSACTION_CLOSED: the transaction is closed"),
       R"({"kind":"TransactionAlreadyClosed","cause":"the transaction is closed",)"
       R"("originalCode":"TRANSACTION_CLOSED",)"
       R"("originalMessage":"TRANSACTION_CLOSED: the transaction is closed"})"},
      {Error(ErrorKind::Misuse, 0, "VALUE_OUT_OF_RANGE",
             "VALUE_OUT_OF_RANGE: bigint argument: \"9223372036854775808\" is outside the 64-bit "
             "integer range"),
       R"({"kind":"ValueOutOfRange","cause":"bigint argument: \"9223372036854775808\" is )"
       R"(outside the 64-bit integer range","originalCode":"VALUE_OUT_OF_RANGE",)"
       R"("originalMessage":"VALUE_OUT_OF_RANGE: bigint argument: \"9223372036854775808\" is )"
       R"(outside the 64-bit integer range"})"},
      {Error(ErrorKind::Misuse, 0, "ARGS_INVALID",
             "ARGS_INVALID: argument 2 (bigint): \"12x\" is not an integer"),
       R"({"kind":"InvalidInputValue","message":"argument 2 (bigint): \"12x\" is not an )"
       R"(integer","originalCode":"ARGS_INVALID","originalMessage":"ARGS_INVALID: argument 2 )"
       R"((bigint): \"12x\" is not an integer"})"},
      {Error(ErrorKind::Misuse, 0, "SQL_NO_STATEMENT",
             "SQL_NO_STATEMENT: the SQL string does not contain any statement"),
       R"({"kind":"InvalidInputValue","message":"the SQL string does not contain any )"
       R"(statement","originalCode":"SQL_NO_STATEMENT","originalMessage":"SQL_NO_STATEMENT: )"
       R"(the SQL string does not contain any statement"})"},
      // no "CODE: " prefix to remove
      {Error(ErrorKind::Misuse, 0, "URL_INVALID", "the URL is invalid"),
       R"({"kind":"InvalidInputValue","message":"the URL is invalid","originalCode":)"
       R"("URL_INVALID","originalMessage":"the URL is invalid"})"},
  });
}

TEST(ErrorMapping, StructFieldsCarryThePayloadForTheBinding) {
  const MappedError unique = map_error(sqlite(
      2067, "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT: UNIQUE constraint failed: User.email"));
  EXPECT_EQ(unique.kind, "UniqueConstraintViolation");
  EXPECT_EQ(unique.constraint_fields, std::vector<std::string>{"email"});
  EXPECT_FALSE(unique.constraint_index);
  EXPECT_FALSE(unique.constraint_foreign_key);
  EXPECT_TRUE(unique.has_constraint());
  EXPECT_EQ(unique.table, "User");
  EXPECT_EQ(unique.extended_code, std::nullopt);
  EXPECT_EQ(unique.message, std::nullopt);
  EXPECT_EQ(unique.original_code, "2067");
  EXPECT_EQ(unique.original_message, "SQLITE_CONSTRAINT: UNIQUE constraint failed: User.email");

  const MappedError generic = map_error(sqlite(1, "SQLITE_ERROR", "SQLITE_ERROR: boom"));
  EXPECT_EQ(generic.kind, "sqlite");
  EXPECT_EQ(generic.extended_code, 1);
  EXPECT_EQ(generic.message, "SQLITE_ERROR: boom");
  EXPECT_FALSE(generic.has_constraint());

  const MappedError fk = map_error(sqlite(787, "SQLITE_CONSTRAINT_FOREIGNKEY",
                                          "SQLITE_CONSTRAINT: FOREIGN KEY constraint failed"));
  EXPECT_TRUE(fk.constraint_foreign_key);
  EXPECT_FALSE(fk.constraint_fields);
}

TEST(ErrorMapping, TransactionErrorsHaveNoOriginalCodeOrMessage) {
  const std::vector<std::string> levels = {"READ UNCOMMITTED", "READ COMMITTED", "REPEATABLE READ",
                                           "SNAPSHOT"};
  for (const auto& level : levels) {
    SCOPED_TRACE("input: " + level);
    EXPECT_EQ(to_json(invalid_isolation_level(level)),
              R"({"kind":"InvalidIsolationLevel","level":")" + level + R"("})");
  }
  EXPECT_EQ(to_json(transaction_already_closed("Transaction already committed")),
            R"({"kind":"TransactionAlreadyClosed","cause":"Transaction already committed"})");
}

TEST(ErrorMapping, JsonEscapesQuotesBackslashesAndControlCharacters) {
  const MappedError m = map_error(sqlite(1, "SQLITE_ERROR", "SQLITE_ERROR: a\"b\\c\nd\te\x01 é"));
  EXPECT_EQ(to_json(m),
            "{\"kind\":\"sqlite\",\"extendedCode\":1,\"message\":\"SQLITE_ERROR: "
            "a\\\"b\\\\c\\nd\\te\\u0001 é\",\"originalCode\":\"1\",\"originalMessage\":"
            "\"SQLITE_ERROR: a\\\"b\\\\c\\nd\\te\\u0001 é\"}");
  MappedError idx;
  idx.kind = "UniqueConstraintViolation";
  idx.constraint_index = "User_email_key";
  EXPECT_EQ(to_json(idx),
            R"({"kind":"UniqueConstraintViolation","constraint":{"index":"User_email_key"}})");
}

}  // namespace
}  // namespace libsql::prisma
