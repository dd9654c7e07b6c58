#pragma once
// libSQL's vector search on the local engine: the vector functions (vector_codec.hpp), the
// libsql_vector_idx index marker and the vector_top_k table-valued function
// (vector_index.cpp). How it works and what it does not reproduce: docs/vector.md.

#include <sqlite3.h>

namespace libsql::detail::vec {

/// Registers everything on a freshly opened connection; an SQLite result code (SQLITE_OK).
int register_all(sqlite3* db);

}  // namespace libsql::detail::vec
