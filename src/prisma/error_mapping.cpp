#include "prisma/error_mapping.hpp"

#include <array>
#include <utility>

#include "core/json_writer.hpp"

namespace libsql::prisma {
namespace {

constexpr int kSqliteBusy = 5;

// JS `s.split(sep).at(1)`: the text between the first and the second `sep` (or the end);
// nullopt when `sep` does not occur.
std::optional<std::string> split_at_1(std::string_view s, std::string_view sep) {
  const std::size_t first = s.find(sep);
  if (first == std::string_view::npos) return std::nullopt;
  const std::string_view rest = s.substr(first + sep.size());
  return std::string(rest.substr(0, rest.find(sep)));
}

// JS `s.split(sep)`.
std::vector<std::string_view> split(std::string_view s, std::string_view sep) {
  std::vector<std::string_view> parts;
  for (std::size_t pos = s.find(sep); pos != std::string_view::npos; pos = s.find(sep)) {
    parts.push_back(s.substr(0, pos));
    s.remove_prefix(pos + sep.size());
  }
  parts.push_back(s);
  return parts;
}

// The message without the `SQLITE_<NAME>: ` prefix that @libsql/client (and our core) put in
// front of SQLite's own text; unchanged when there is none.
std::string_view strip_sqlite_prefix(std::string_view message) noexcept {
  constexpr std::string_view kHead = "SQLITE_";
  if (message.substr(0, kHead.size()) != kHead) return message;
  std::size_t i = kHead.size();
  while (i < message.size() && ((message[i] >= 'A' && message[i] <= 'Z') ||
                                (message[i] >= '0' && message[i] <= '9') || message[i] == '_')) {
    ++i;
  }
  if (message.substr(i, 2) != ": ") return message;
  return message.substr(i + 2);
}

// The message without the `<code_name>: ` prefix of misuse errors.
std::string without_code_prefix(const Error& error) {
  std::string_view message = error.what();
  const std::string& code = error.code_name();
  if (!code.empty() && message.size() >= code.size() + 2 &&
      message.substr(0, code.size()) == code && message.substr(code.size(), 2) == ": ") {
    message.remove_prefix(code.size() + 2);
  }
  return std::string(message);
}

// "UNIQUE constraint failed: User.email, User.name" -> ["email", "name"], and the table of the
// first item ("User"); both nullopt when the message has no "constraint failed: ".
struct ConstraintColumns {
  std::optional<std::vector<std::string>> fields;
  std::optional<std::string> table;
};

ConstraintColumns constraint_columns(std::string_view message) {
  ConstraintColumns out;
  const auto list = split_at_1(message, "constraint failed: ");
  if (!list) return out;
  const auto columns = split(*list, ", ");
  std::vector<std::string> fields;
  fields.reserve(columns.size());
  for (const std::string_view c : columns) {
    const std::size_t dot = c.rfind('.');
    fields.emplace_back(dot == std::string_view::npos ? c : c.substr(dot + 1));
  }
  out.fields = std::move(fields);
  // `columns[0].split('.').slice(0, -1).join('.') || undefined`
  const std::size_t dot = columns.front().rfind('.');
  if (dot != std::string_view::npos && dot > 0)
    out.table = std::string(columns.front().substr(0, dot));
  return out;
}

void map_sqlite(MappedError& m, int code, std::string_view message) {
  switch (code) {
    case 2067:    // SQLITE_CONSTRAINT_UNIQUE
    case 1555: {  // SQLITE_CONSTRAINT_PRIMARYKEY
      m.kind = "UniqueConstraintViolation";
      auto columns = constraint_columns(message);
      m.constraint_fields = std::move(columns.fields);
      m.table = std::move(columns.table);
      return;
    }
    case 1299:  // SQLITE_CONSTRAINT_NOTNULL
      m.kind = "NullConstraintViolation";
      m.constraint_fields = constraint_columns(message).fields;
      return;
    case 787:   // SQLITE_CONSTRAINT_FOREIGNKEY
    case 1811:  // SQLITE_CONSTRAINT_TRIGGER
      m.kind = "ForeignKeyConstraintViolation";
      m.constraint_foreign_key = true;
      return;
    default:
      break;
  }
  if ((code & 0xff) == kSqliteBusy) {
    m.kind = "SocketTimeout";
    return;
  }
  // **better**: the official adapter tests `message.startsWith(...)` on the prefixed text
  // ("SQLITE_ERROR: no such table: t"), which never matches; test SQLite's own text.
  const std::string_view body = strip_sqlite_prefix(message);
  if (body.substr(0, 13) == "no such table") {
    m.kind = "TableDoesNotExist";
    m.table = split_at_1(body, ": ");
    return;
  }
  if (body.substr(0, 14) == "no such column") {
    m.kind = "ColumnNotFound";
    m.column = split_at_1(body, ": ");
    return;
  }
  // `includes`, so the official adapter matches this one even with the prefix.
  if (message.find("has no column named ") != std::string_view::npos) {
    m.kind = "ColumnNotFound";
    m.column = split_at_1(message, "has no column named ");
    return;
  }
  m.kind = "sqlite";
  m.extended_code = code;
  m.message = std::string(message);
}

bool mentions_tls(std::string_view code_name) noexcept {
  for (const std::string_view word : {"TLS", "SSL", "CERT", "PEER_FAILED_VERIFICATION"}) {
    if (code_name.find(word) != std::string_view::npos) return true;
  }
  return false;
}

bool means_connection_closed(std::string_view code_name) noexcept {
  static constexpr std::array<std::string_view, 6> kNames{
      "CONNECTION_CLOSED", "CURLE_GOT_NOTHING",  "CURLE_RECV_ERROR",
      "CURLE_SEND_ERROR",  "CURLE_PARTIAL_FILE", "CURLE_HTTP2_STREAM"};
  for (const std::string_view n : kNames) {
    if (n == code_name) return true;
  }
  return false;
}

void append_field(std::string& out, std::string_view name, const std::optional<std::string>& v) {
  if (!v) return;
  out += ",\"";
  out += name;
  out += "\":";
  detail::append_json_string(out, *v);
}

}  // namespace

MappedError map_error(const Error& error) {
  MappedError m;
  m.original_message = error.what();
  if (error.kind() != ErrorKind::Sqlite && !error.code_name().empty()) {
    m.original_code = error.code_name();
  }
  switch (error.kind()) {
    case ErrorKind::Sqlite:
      m.original_code = std::to_string(error.extended_code());
      map_sqlite(m, error.extended_code(), error.what());
      break;
    case ErrorKind::Timeout:
      m.kind = "SocketTimeout";
      break;
    case ErrorKind::Auth:
      m.kind = "AuthenticationFailed";
      break;
    case ErrorKind::Network:
      if (mentions_tls(error.code_name())) {
        m.kind = "TlsConnectionError";
        m.reason = without_code_prefix(error);
      } else if (means_connection_closed(error.code_name())) {
        m.kind = "ConnectionClosed";
      } else {
        m.kind = "DatabaseNotReachable";
      }
      break;
    case ErrorKind::Protocol:
      // The official adapter defaults a missing SQLite code to 1 (SQLITE_ERROR).
      m.kind = "sqlite";
      m.extended_code = error.extended_code() != 0 ? error.extended_code() : 1;
      m.message = error.what();
      break;
    case ErrorKind::Misuse: {
      const std::string& code = error.code_name();
      if (code == "CLIENT_CLOSED") {
        m.kind = "ConnectionClosed";
      } else if (code == "TRANSACTION_CLOSED") {
        m.kind = "TransactionAlreadyClosed";
        m.cause = without_code_prefix(error);
      } else if (code == "VALUE_OUT_OF_RANGE") {
        m.kind = "ValueOutOfRange";
        m.cause = without_code_prefix(error);
      } else {
        m.kind = "InvalidInputValue";
        m.message = without_code_prefix(error);
      }
      break;
    }
  }
  return m;
}

MappedError invalid_isolation_level(std::string level) {
  MappedError m;
  m.kind = "InvalidIsolationLevel";
  m.level = std::move(level);
  return m;
}

MappedError transaction_already_closed(std::string cause) {
  MappedError m;
  m.kind = "TransactionAlreadyClosed";
  m.cause = std::move(cause);
  return m;
}

std::string to_json(const MappedError& e) {
  std::string out = "{\"kind\":";
  detail::append_json_string(out, e.kind);
  if (e.constraint_fields) {
    out += ",\"constraint\":{\"fields\":[";
    for (std::size_t i = 0; i < e.constraint_fields->size(); ++i) {
      if (i > 0) out += ',';
      detail::append_json_string(out, (*e.constraint_fields)[i]);
    }
    out += "]}";
  } else if (e.constraint_index) {
    out += ",\"constraint\":{\"index\":";
    detail::append_json_string(out, *e.constraint_index);
    out += '}';
  } else if (e.constraint_foreign_key) {
    out += ",\"constraint\":{\"foreignKey\":{}}";
  }
  append_field(out, "table", e.table);
  append_field(out, "column", e.column);
  append_field(out, "level", e.level);
  append_field(out, "cause", e.cause);
  append_field(out, "reason", e.reason);
  if (e.extended_code) out += ",\"extendedCode\":" + std::to_string(*e.extended_code);
  append_field(out, "message", e.message);
  append_field(out, "originalCode", e.original_code);
  append_field(out, "originalMessage", e.original_message);
  out += '}';
  return out;
}

}  // namespace libsql::prisma
