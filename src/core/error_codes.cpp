#include "core/error_codes.hpp"

namespace libsql::detail {

Error make_error(ErrorKind kind, std::string_view code, std::string_view message) {
  std::string text(code);
  text += ": ";
  text += message;
  return Error(kind, 0, std::string(code), text);
}

Error client_closed_error() { return make_error(ErrorKind::Misuse, "CLIENT_CLOSED", "the client is closed"); }

Error transaction_closed_error() {
  return make_error(ErrorKind::Misuse, "TRANSACTION_CLOSED",
                    "the transaction has already been committed or rolled back");
}

}  // namespace libsql::detail
