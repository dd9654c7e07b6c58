#include "core/error_codes.hpp"

namespace libsql::detail {

Error make_error(ErrorKind kind, std::string_view code, std::string_view message, int extended_code) {
  std::string text(code);
  text += ": ";
  text += message;
  return Error(kind, extended_code, std::string(code), text);
}

Error make_sqlite_error(int extended_code, std::string_view message) {
  std::string text = sqlite_code_name(extended_code & 0xff);
  text += ": ";
  text += message;
  return Error(ErrorKind::Sqlite, extended_code, sqlite_code_name(extended_code), text);
}

Error client_closed_error() { return make_error(ErrorKind::Misuse, "CLIENT_CLOSED", "the client is closed"); }

Error transaction_closed_error() {
  return make_error(ErrorKind::Misuse, "TRANSACTION_CLOSED",
                    "the transaction has already been committed or rolled back");
}

}  // namespace libsql::detail
