#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libsql/error.hpp"

// libsql::Error -> Prisma's `MappedError` (@prisma/driver-adapter-utils) plus `originalCode` /
// `originalMessage`. Contract: docs/prisma-adapter-contract.md, "Errors"; official
// behaviour: `convertDriverError` in @prisma/adapter-libsql (src/errors.ts).
namespace libsql::prisma {

/// The `cause` of a DriverAdapterError. Every engaged field becomes one property of a plain JS
/// object, named as in the comment; disengaged fields are absent (not `undefined`), as in the
/// official objects. to_json() renders exactly that object.
struct MappedError {
  std::string kind{};  ///< kind: "UniqueConstraintViolation", ..., or "sqlite"

  /// constraint: `{fields}` / `{index}` / `{foreignKey: {}}`; at most one is set, none =>
  /// no `constraint` property.
  std::optional<std::vector<std::string>> constraint_fields{};
  std::optional<std::string> constraint_index{};
  bool constraint_foreign_key = false;

  std::optional<std::string> table{};    ///< table (UniqueConstraintViolation, TableDoesNotExist)
  std::optional<std::string> column{};   ///< column (ColumnNotFound)
  std::optional<std::string> level{};    ///< level (InvalidIsolationLevel)
  std::optional<std::string> cause{};    ///< cause (TransactionAlreadyClosed, ValueOutOfRange)
  std::optional<std::string> reason{};   ///< reason (TlsConnectionError)
  std::optional<int> extended_code{};    ///< extendedCode (sqlite)
  std::optional<std::string> message{};  ///< message (sqlite, InvalidInputValue)

  std::optional<std::string> original_code{};     ///< originalCode: "2067", "CLIENT_CLOSED"
  std::optional<std::string> original_message{};  ///< originalMessage: the Error's what()

  [[nodiscard]] bool has_constraint() const noexcept {
    return constraint_fields || constraint_index || constraint_foreign_key;
  }
  friend bool operator==(const MappedError&, const MappedError&) = default;
};

/// Maps an error once, for every Prisma-facing path (queries, scripts, transactions).
/// Sqlite kind, by extended code first, then by message, as the official adapter:
/// - 2067, 1555 -> UniqueConstraintViolation {constraint: {fields}, table};
///   1299 -> NullConstraintViolation {constraint: {fields}};
///   787, 1811 -> ForeignKeyConstraintViolation {constraint: {foreignKey: {}}};
///   primary code 5 (BUSY) -> SocketTimeout;
/// - message `no such table...` -> TableDoesNotExist {table}; `no such column...` ->
///   ColumnNotFound {column}; containing `has no column named ` -> ColumnNotFound {column};
///   **better**: the first two also match after a `SQLITE_XXX: ` prefix (the official adapter
///   tests the prefixed text, so they never match there);
/// - anything else -> sqlite {extendedCode, message = what()}.
///   originalCode = the extended code in decimal; originalMessage = what() (prefixed).
/// Other kinds (originalCode = code_name() when not empty):
/// - Timeout -> SocketTimeout; Auth -> AuthenticationFailed;
/// - Network -> TlsConnectionError {reason} when the code name mentions TLS, SSL or a
///   certificate; ConnectionClosed for "CONNECTION_CLOSED", "CURLE_GOT_NOTHING",
///   "CURLE_RECV_ERROR", "CURLE_SEND_ERROR", "CURLE_PARTIAL_FILE", "CURLE_HTTP2_STREAM";
///   otherwise DatabaseNotReachable;
/// - Protocol -> sqlite {extendedCode: extended_code() or 1, message}: what the official
///   adapter reports for a @libsql/client error without a SQLite code (e.g. HRANA_PROTO_ERROR);
/// - Misuse by code name: "CLIENT_CLOSED" -> ConnectionClosed; "TRANSACTION_CLOSED" ->
///   TransactionAlreadyClosed {cause}; "VALUE_OUT_OF_RANGE" -> ValueOutOfRange {cause};
///   anything else ("ARGS_INVALID", "SQL_NO_STATEMENT", ...) -> InvalidInputValue {message}
///   (Prisma P2007). `cause` / `message` is what() without its "CODE: " prefix.
[[nodiscard]] MappedError map_error(const Error& error);

/// {kind: 'InvalidIsolationLevel', level}: startTransaction with a level other than
/// SERIALIZABLE. No originalCode / originalMessage, like the official adapter.
[[nodiscard]] MappedError invalid_isolation_level(std::string level);

/// {kind: 'TransactionAlreadyClosed', cause}: a call on a finished transaction.
[[nodiscard]] MappedError transaction_already_closed(std::string cause);

/// The JS object as JSON (UTF-8, property order: kind, payload, originalCode,
/// originalMessage), e.g. {"kind":"ColumnNotFound","column":"x","originalCode":"1",...}.
[[nodiscard]] std::string to_json(const MappedError& error);

}  // namespace libsql::prisma
