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
/// @libsql/client's config object plus the local engine's settings. Throws Napi::TypeError.
[[nodiscard]] Config decode_config(const Napi::Value& value);

// ---------- C++ -> JS ----------

/// A cell: null, number, string, Uint8Array.
[[nodiscard]] Napi::Value to_js(Napi::Env env, const Value& v);
/// Compact rows as arrays of cells, cell by cell (results too small for a pack).
[[nodiscard]] Napi::Array rows_to_js(Napi::Env env, const CompactRows& c);
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
