#pragma once

#include <string>
#include <string_view>

#include "libsql/error.hpp"

namespace libsql::detail {

/// The one way to make an error that does not come from SQLite itself: `code` is its
/// machine-readable name ("URL_INVALID", "CLIENT_CLOSED", ...) and the message starts with it,
/// like the official client's ("URL_INVALID: ..."). Extended code 0.
[[nodiscard]] Error make_error(ErrorKind kind, std::string_view code, std::string_view message);

/// Errors every engine reports the same way.
[[nodiscard]] Error client_closed_error();
[[nodiscard]] Error transaction_closed_error();

}  // namespace libsql::detail
