#pragma once

// JS <-> C++ values, for both faces: config, arguments, values, rows, errors. JS thread only.
#include <napi.h>

#include <cstddef>

#include "libsql/config.hpp"
#include "libsql/error.hpp"
#include "libsql/result.hpp"
#include "libsql/value.hpp"
#include "prisma/adapter.hpp"
#include "row_pack.hpp"

namespace libsql::node {

// ---------- JS -> C++ ----------

/// The bytes of a TypedArray, ArrayBuffer or DataView (empty for anything else).
[[nodiscard]] Blob bytes_of(const Napi::Value& v);
/// A Prisma argument as JS holds it (prisma::convert_args decides what it binds as).
[[nodiscard]] prisma::JsArg decode_arg(const Napi::Value& v);
/// `(sql, args, argTypes)` at info[first...]: a Prisma `SqlQuery`. Throws Napi::TypeError.
[[nodiscard]] prisma::Query decode_query(const Napi::CallbackInfo& info, std::size_t first);
/// A @libsql/client argument, bound as its official client binds it: number (and Date, as
/// its time value) -> REAL; bigint -> INTEGER; boolean -> REAL 1/0 (intMode 'bigint':
/// INTEGER; 'string': TEXT); string -> TEXT; ArrayBuffer / typed array -> BLOB; null -> NULL.
/// Throws Napi::TypeError (undefined, other types) / Napi::RangeError (NaN, ±Infinity, a
/// bigint outside 64 bits). `remote`: as the official remote client (Hrana) binds and words
/// it: booleans as INTEGER 1/0 in every intMode.
[[nodiscard]] Value decode_value(const Napi::Value& v, IntMode int_mode, bool remote = false);
/// `args`: an array (positional), an object (named), or undefined / null (none).
[[nodiscard]] Statement decode_statement(const Napi::Value& sql, const Napi::Value& args, IntMode int_mode,
                                         bool remote = false);
/// @libsql/client's config object plus the local engine's settings. Throws Napi::TypeError.
[[nodiscard]] Config decode_config(const Napi::Value& value);

// ---------- C++ -> JS ----------

/// A cell: null, number, string, Uint8Array.
[[nodiscard]] Napi::Value to_js(Napi::Env env, const Value& v);
/// A cell as @libsql/client returns it: INTEGER per `int_mode` (number, throwing a
/// Napi::RangeError outside ±(2^53-1); bigint; string), REAL number, TEXT string, BLOB
/// ArrayBuffer, NULL null.
[[nodiscard]] Napi::Value to_js(Napi::Env env, const Value& v, IntMode int_mode);
/// {columns, columnTypes, rows (arrays of cells), rowsAffected, lastInsertRowid}: the parts of
/// @libsql/client's ResultSet (lib/client.js makes the row objects). As the official local
/// client: a statement with columns has rowsAffected 0 and no lastInsertRowid; one without
/// has lastInsertRowid when the engine knows it (undefined when nothing was inserted).
/// `remote`: as the official remote client, the server's counts for every statement (an
/// INSERT ... RETURNING has its rowsAffected and lastInsertRowid).
[[nodiscard]] Napi::Value to_js(Napi::Env env, const ResultSet& r, IntMode int_mode, bool remote = false);

/// Compact rows as arrays of cells, cell by cell (results too small for a pack).
[[nodiscard]] Napi::Array rows_to_js(Napi::Env env, const detail::CompactRows& c);
/// The rows of a RowPack as JS arrays: one buffer copy, one string, and the shim's decoder.
[[nodiscard]] Napi::Value rows_from_pack(Napi::Env env, const RowPack& p);

/// Prisma's `SqlResultSet` {columnNames, columnTypes, rows[, lastInsertId]}.
[[nodiscard]] Napi::Value to_js(Napi::Env env, const prisma::PrismaResult& r);
[[nodiscard]] Napi::Value to_js(Napi::Env env, const RowPack& p);
/// The same, packed first when the result is large enough (pack_rows may move `r`'s cells).
[[nodiscard]] Napi::Value packed_to_js(Napi::Env env, prisma::PrismaResult& r);

/// A libsql::Error as @libsql/client's LibsqlError (lib/errors.js): code, extendedCode,
/// rawCode, and the message prefixed with the code. SQLite errors: code = the primary code's
/// name ("SQLITE_CONSTRAINT"), extendedCode = the extended one's, rawCode = its number.
[[nodiscard]] Napi::Value to_js(Napi::Env env, const Error& e);

/// What a Prisma promise rejects with: `new DriverAdapterError(cause)` once the shim
/// registered the class (the error object Prisma expects), else the plain cause.
[[nodiscard]] Napi::Value to_js(Napi::Env env, const prisma::MappedError& e);

}  // namespace libsql::node
