#pragma once

#include <string>
#include <string_view>

#include "libsql/error.hpp"

namespace libsql::detail {

/// The one way to make an error that does not come from SQLite itself: `code` is its
/// machine-readable name ("URL_INVALID", "CLIENT_CLOSED", ...) and the message starts with it,
/// like the official client's ("URL_INVALID: ..."). `extended_code` is 0 unless the error also
/// carries a SQLite result code under a name of its own (REPLICA_WAL_INDEX with SQLITE_PROTOCOL).
[[nodiscard]] Error make_error(ErrorKind kind, std::string_view code, std::string_view message,
                               int extended_code = 0);

/// The one way to make an error that carries a SQLite result code (`extended_code`, as SQLite
/// reports it): its code name is the extended code's ("SQLITE_CONSTRAINT_UNIQUE") and the message
/// starts with the primary code's name, like @libsql/client's ("SQLITE_CONSTRAINT: ...").
[[nodiscard]] Error make_sqlite_error(int extended_code, std::string_view message);

/// Errors every engine reports the same way.
[[nodiscard]] Error client_closed_error();
[[nodiscard]] Error transaction_closed_error();

}  // namespace libsql::detail
