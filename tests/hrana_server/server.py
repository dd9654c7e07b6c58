#!/usr/bin/env python3
"""Hrana-over-HTTP test server for libsql-cpp's remote tests.

Test code, not a product.  It is written from the Hrana specs and from
sqld's (libsql-server's) observable behaviour, independently of our C++
client, so that a misunderstanding of the protocol does not cancel out.

Python 3.11 standard library only.  The database engine is the system
SQLite: the one Python's own `sqlite3` module links against, driven through
`ctypes`, because the `sqlite3` module cannot give what a Hrana server must
report (column decltypes, `describe` parameters/readonly/explain, the
error offset that decides between SQL_INPUT_ERROR and a plain SQLite
error, sqld's own parameter-binding rules).  See README.md for the flags,
the control API and the list of emulated sqld behaviours.
"""

import argparse
import base64
import ctypes
import ctypes.util
import hashlib
import hmac
import http.server
import json
import math
import os
import re
import secrets
import select
import shutil
import signal
import socket
import sqlite3
import stat
import struct
import sys
import tempfile
import threading
import time

SERVER_VERSION = "hrana-test-server/0.1 (libsql-cpp tests)"

# --------------------------------------------------------------------------
# SQLite through ctypes
# --------------------------------------------------------------------------


def _load_sqlite():
    names = []
    try:
        import _sqlite3  # the extension module links libsqlite3

        names.append(_sqlite3.__file__)
    except ImportError:
        pass
    found = ctypes.util.find_library("sqlite3")
    if found:
        names.append(found)
    names.append("libsqlite3.so.0")
    for name in names:
        try:
            lib = ctypes.CDLL(name)
            lib.sqlite3_open_v2  # noqa: B018 (probe)
            return lib
        except (OSError, AttributeError):
            continue
    raise RuntimeError("cannot load the SQLite library")


_lib = _load_sqlite()
_P = ctypes.c_void_p
_I = ctypes.c_int
_I64 = ctypes.c_int64


def _fn(name, restype, *argtypes, optional=False):
    try:
        f = getattr(_lib, name)
    except AttributeError:
        if optional:
            return None
        raise
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


sqlite3_open_v2 = _fn("sqlite3_open_v2", _I, ctypes.c_char_p, ctypes.POINTER(_P), _I, ctypes.c_char_p)
sqlite3_close_v2 = _fn("sqlite3_close_v2", _I, _P)
sqlite3_busy_timeout = _fn("sqlite3_busy_timeout", _I, _P, _I)
sqlite3_limit = _fn("sqlite3_limit", _I, _P, _I, _I)
SQLITE_LIMIT_LENGTH = 0
# sqld's limit on a string or blob (SQLITE_LIMIT_LENGTH), measured on sqld 0.24.32.
SQLD_MAX_LENGTH = 5_000_000
sqlite3_errmsg = _fn("sqlite3_errmsg", ctypes.c_char_p, _P)
sqlite3_errstr = _fn("sqlite3_errstr", ctypes.c_char_p, _I)
sqlite3_extended_errcode = _fn("sqlite3_extended_errcode", _I, _P)
sqlite3_extended_result_codes = _fn("sqlite3_extended_result_codes", _I, _P, _I)
sqlite3_error_offset = _fn("sqlite3_error_offset", _I, _P, optional=True)
sqlite3_prepare_v2 = _fn("sqlite3_prepare_v2", _I, _P, _P, _I, ctypes.POINTER(_P), ctypes.POINTER(_P))
sqlite3_finalize = _fn("sqlite3_finalize", _I, _P)
sqlite3_step = _fn("sqlite3_step", _I, _P)
sqlite3_bind_parameter_count = _fn("sqlite3_bind_parameter_count", _I, _P)
sqlite3_bind_parameter_name = _fn("sqlite3_bind_parameter_name", ctypes.c_char_p, _P, _I)
sqlite3_bind_null = _fn("sqlite3_bind_null", _I, _P, _I)
sqlite3_bind_int64 = _fn("sqlite3_bind_int64", _I, _P, _I, _I64)
sqlite3_bind_double = _fn("sqlite3_bind_double", _I, _P, _I, ctypes.c_double)
sqlite3_bind_text = _fn("sqlite3_bind_text", _I, _P, _I, ctypes.c_char_p, _I, _P)
sqlite3_bind_blob = _fn("sqlite3_bind_blob", _I, _P, _I, ctypes.c_char_p, _I, _P)
sqlite3_bind_zeroblob = _fn("sqlite3_bind_zeroblob", _I, _P, _I, _I)
sqlite3_column_count = _fn("sqlite3_column_count", _I, _P)
sqlite3_column_name = _fn("sqlite3_column_name", ctypes.c_char_p, _P, _I)
sqlite3_column_decltype = _fn("sqlite3_column_decltype", ctypes.c_char_p, _P, _I)
sqlite3_column_type = _fn("sqlite3_column_type", _I, _P, _I)
sqlite3_column_int64 = _fn("sqlite3_column_int64", _I64, _P, _I)
sqlite3_column_double = _fn("sqlite3_column_double", ctypes.c_double, _P, _I)
sqlite3_column_text = _fn("sqlite3_column_text", _P, _P, _I)
sqlite3_column_blob = _fn("sqlite3_column_blob", _P, _P, _I)
sqlite3_column_bytes = _fn("sqlite3_column_bytes", _I, _P, _I)
sqlite3_changes64 = _fn("sqlite3_changes64", _I64, _P, optional=True) or _fn("sqlite3_changes", _I, _P)
sqlite3_last_insert_rowid = _fn("sqlite3_last_insert_rowid", _I64, _P)
sqlite3_get_autocommit = _fn("sqlite3_get_autocommit", _I, _P)
sqlite3_stmt_readonly = _fn("sqlite3_stmt_readonly", _I, _P)
sqlite3_stmt_isexplain = _fn("sqlite3_stmt_isexplain", _I, _P, optional=True)

SQLITE_OK, SQLITE_ERROR, SQLITE_SCHEMA, SQLITE_ROW, SQLITE_DONE = 0, 1, 17, 100, 101
SQLITE_TOOBIG = 18
SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL = 1, 2, 3, 4, 5
SQLITE_OPEN_READWRITE, SQLITE_OPEN_CREATE, SQLITE_OPEN_FULLMUTEX = 0x2, 0x4, 0x10000
SQLITE_TRANSIENT = _P(-1)

# sqld maps the *primary* result code through rusqlite's ErrorCode enum.
# SQLITE_ERROR (1) is rusqlite's `ErrorCode::Unknown`, so sqld reports it as
# "SQLITE_UNKNOWN" (libsql-server/src/hrana/stmt.rs, sqlite_error_code()).
_SQLD_PRIMARY_NAMES = {
    2: "SQLITE_INTERNAL", 3: "SQLITE_PERM", 4: "SQLITE_ABORT", 5: "SQLITE_BUSY",
    6: "SQLITE_LOCKED", 7: "SQLITE_NOMEM", 8: "SQLITE_READONLY", 9: "SQLITE_INTERRUPT",
    10: "SQLITE_IOERR", 11: "SQLITE_CORRUPT", 12: "SQLITE_NOTFOUND", 13: "SQLITE_FULL",
    14: "SQLITE_CANTOPEN", 15: "SQLITE_PROTOCOL", 17: "SQLITE_SCHEMA", 18: "SQLITE_TOOBIG",
    19: "SQLITE_CONSTRAINT", 20: "SQLITE_MISMATCH", 21: "SQLITE_MISUSE", 22: "SQLITE_NOLFS",
    23: "SQLITE_AUTH", 25: "SQLITE_RANGE", 26: "SQLITE_NOTADB",
}
_PRIMARY_TRUE_NAMES = dict(_SQLD_PRIMARY_NAMES)
_PRIMARY_TRUE_NAMES.update({1: "SQLITE_ERROR", 16: "SQLITE_EMPTY", 24: "SQLITE_FORMAT",
                            27: "SQLITE_NOTICE", 28: "SQLITE_WARNING"})


def _extended_names():
    """Extended result code -> name, from the constants of the sqlite3 module."""
    prefixes = tuple(_PRIMARY_TRUE_NAMES.values())
    out = {}
    for name in dir(sqlite3):
        if name.startswith(prefixes):
            value = getattr(sqlite3, name)
            if isinstance(value, int) and value & 0xFF in _PRIMARY_TRUE_NAMES and \
                    name.startswith(_PRIMARY_TRUE_NAMES[value & 0xFF]):
                out.setdefault(value, name)
    out.update(_PRIMARY_TRUE_NAMES)
    return out


_EXTENDED_NAMES = _extended_names()


class Conn:
    """One SQLite connection (one per Hrana stream)."""

    def __init__(self, path, busy_timeout_ms):
        db = _P()
        rc = sqlite3_open_v2(path.encode(), ctypes.byref(db),
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, None)
        if rc != SQLITE_OK:
            msg = sqlite3_errmsg(db).decode("utf-8", "replace") if db else "open failed"
            if db:
                sqlite3_close_v2(db)
            raise RuntimeError(f"cannot open {path}: {msg}")
        self.db = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, int(busy_timeout_ms))
        # libsql-server enables foreign keys on every connection (tursodatabase/libsql#981:
        # "it was always enabled in libsql-server by default").
        self.exec_simple("PRAGMA foreign_keys=ON")
        # As on sqld: strings and blobs of at most 5,000,000 bytes, synchronous=NORMAL.
        sqlite3_limit(db, SQLITE_LIMIT_LENGTH, SQLD_MAX_LENGTH)
        self.exec_simple("PRAGMA synchronous=NORMAL")

    def close(self):
        if self.db:
            sqlite3_close_v2(self.db)  # rolls back an open transaction
            self.db = None

    def errmsg(self):
        return sqlite3_errmsg(self.db).decode("utf-8", "replace")

    def error_offset(self):
        return sqlite3_error_offset(self.db) if sqlite3_error_offset else -1

    def is_autocommit(self):
        return sqlite3_get_autocommit(self.db) != 0

    def prepare(self, sql):
        """Prepare the first statement of `sql`.

        Returns (stmt_or_None, None) or (None, (rc, message, offset)).
        """
        stmt, err = self._prepare(sql)
        if err and err[0] & 0xFF == SQLITE_SCHEMA:
            # A failed prepare on a connection whose cached schema is stale
            # (another connection changed it) is reported as SQLITE_SCHEMA
            # even for "no such column"; reload the schema and retry once.
            probe, _ = self._prepare("SELECT 1 FROM sqlite_schema")
            if probe:
                sqlite3_finalize(probe)
            stmt, err = self._prepare(sql)
        return stmt, err

    def _prepare(self, sql):
        data = sql.encode("utf-8")
        buf = ctypes.create_string_buffer(data)
        stmt = _P()
        tail = _P()
        rc = sqlite3_prepare_v2(self.db, ctypes.addressof(buf), len(data), ctypes.byref(stmt), ctypes.byref(tail))
        if rc != SQLITE_OK:
            err = (rc, self.errmsg(), self.error_offset())
            if stmt:
                sqlite3_finalize(stmt)
            return None, err
        return (stmt if stmt.value else None), None

    def exec_simple(self, sql):
        stmt, err = self.prepare(sql)
        if err:
            raise RuntimeError(err[1])
        try:
            while True:
                rc = sqlite3_step(stmt)
                if rc == SQLITE_ROW:
                    continue
                if rc != SQLITE_DONE:
                    raise RuntimeError(self.errmsg())
                break
        finally:
            sqlite3_finalize(stmt)


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class ProtocolError(Exception):
    """sqld's ProtocolError: the whole HTTP request fails with 400 text/plain."""


class InvalidUtf8(Exception):
    """A text value that is not UTF-8: sqld fails the whole request with HTTP 500
    {"error": "<Rust Utf8Error>"} (measured on sqld 0.24.32)."""


def _utf8_error(data, e):
    if e.reason == "unexpected end of data":
        return f"incomplete utf-8 byte sequence from index {e.start}"
    return f"invalid utf-8 sequence of {max(e.end - e.start, 1)} bytes from index {e.start}"


class StreamExpired(Exception):
    """sqld's StreamError::StreamExpired."""


class StmtError(Exception):
    """An error reported in-band ({"type":"error","error":{message,code}})."""

    def __init__(self, message, code):
        super().__init__(message)
        self.message = message
        self.code = code

    def proto(self):
        return {"message": self.message, "code": self.code}


def _json_err(detail):
    return ProtocolError(f"Cannot deserialize client message from JSON: {detail}")


_SYNTAX_RE = re.compile(r"syntax error|incomplete input|unrecognized token")
_NEAR_RE = re.compile(r'near "(.*)": syntax error', re.S)


class Emulation:
    """Knobs that pick between sqld's behaviour and alternatives."""

    extended_codes = False
    # sqld returns rows even when want_rows is false; --honour-want-rows drops them.
    ignore_want_rows = True


def _code_name(rc):
    if Emulation.extended_codes:
        return _EXTENDED_NAMES.get(rc, _EXTENDED_NAMES.get(rc & 0xFF, "SQLITE_UNKNOWN"))
    return _SQLD_PRIMARY_NAMES.get(rc & 0xFF, "SQLITE_UNKNOWN")


def sqlite_error(rc, msg):
    return StmtError(f"SQLite error: {msg}", _code_name(rc))


def _line_col(sql, offset):
    data = sql.encode("utf-8")[: max(offset, 0)]
    text = data.decode("utf-8", "replace")
    line = text.count("\n") + 1
    col = len(text) - (text.rfind("\n") + 1) + 1
    return line, col


def prepare_error(sql, err, sqld_parser=True):
    """Map an sqlite3_prepare failure the way sqld reports it.

    - syntax errors are caught by sqld's own SQL parser first:
      SQL_PARSE_ERROR "SQL string could not be parsed: ..." (wording approximate);
    - other SQLITE_ERROR failures with an error offset become rusqlite's
      SqlInputError: SQL_INPUT_ERROR "SQL input error: <msg> (at offset N)";
    - anything else: "SQLite error: <msg>" with the primary code name.
    """
    rc, msg, offset = err
    if sqld_parser and rc & 0xFF == SQLITE_ERROR and _SYNTAX_RE.search(msg):
        m = _NEAR_RE.search(msg)
        if m:
            # sqld points just past the offending token
            line, col = _line_col(sql, offset + len(m.group(1).encode("utf-8")))
            detail = f"syntax error around L{line}:{col}: `{m.group(1)}`"
        elif "incomplete input" in msg:
            line, col = _line_col(sql, len(sql.rstrip().encode("utf-8")))
            detail = f"unexpected end of input at ({line}, {col})"
        else:
            detail = msg
        return StmtError(f"SQL string could not be parsed: {detail}", "SQL_PARSE_ERROR")
    if rc & 0xFF == SQLITE_ERROR and offset >= 0:
        return StmtError(f"SQL input error: {msg} (at offset {offset})", "SQL_INPUT_ERROR")
    return sqlite_error(rc, msg)


# Statements sqld's own parser refuses (it runs on a shared, managed database file).
_UNSUPPORTED_RE = re.compile(r"\s*(?:VACUUM\b|ATTACH\b|DETACH\b|CREATE\s+TEMP(?:ORARY)?\b)", re.I)


_BEGIN_READONLY_RE = re.compile(r"\s*BEGIN\s+READONLY\s*;?\s*$", re.I)


def check_supported(sql):
    if _UNSUPPORTED_RE.match(sql):
        raise StmtError(f"SQL string could not be parsed: unsupported statement: {sql.strip()}", "SQL_PARSE_ERROR")


def is_syntax_error(err):
    return err[0] & 0xFF == SQLITE_ERROR and bool(_SYNTAX_RE.search(err[1]))


# --------------------------------------------------------------------------
# SQL text helpers: tokenizer, statement splitting, classification
# --------------------------------------------------------------------------


def _tokens(sql):
    """Yield (kind, text, pos); kind in word/str/id/num/op. Skips comments."""
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c.isspace():
            i += 1
            continue
        if sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        if c in "'\"`":
            j = i + 1
            while True:
                k = sql.find(c, j)
                if k < 0:
                    j = n
                    break
                if k + 1 < n and sql[k + 1] == c:
                    j = k + 2
                    continue
                j = k + 1
                break
            yield ("str" if c == "'" else "id"), sql[i:j], i
            i = j
            continue
        if c == "[":
            j = sql.find("]", i)
            j = n if j < 0 else j + 1
            yield "id", sql[i:j], i
            i = j
            continue
        if c.isalnum() or c == "_" or ord(c) > 127:
            j = i
            while j < n and (sql[j].isalnum() or sql[j] in "_$" or ord(sql[j]) > 127):
                j += 1
            yield ("num" if c.isdigit() else "word"), sql[i:j], i
            i = j
            continue
        yield "op", c, i
        i += 1


def split_statements(sql):
    """Split SQL text into statements (empty statements dropped)."""
    pieces = []
    start = 0
    has_content = False
    for kind, text, pos in _tokens(sql):
        if kind == "op" and text == ";":
            candidate = sql[start:pos + 1]
            if sqlite3.complete_statement(candidate):
                if has_content:
                    pieces.append(candidate)
                start = pos + 1
                has_content = False
                continue
        has_content = True
    if has_content:
        pieces.append(sql[start:])
    return pieces


def classify(sql):
    """Return (is_iud, is_insert) like sqld's query_analysis does."""
    toks = [t for t in _tokens(sql)]
    if not toks:
        return False, False
    first = toks[0][1].upper() if toks[0][0] == "word" else ""
    if first == "WITH":
        depth = 0
        for kind, text, _ in toks[1:]:
            if kind == "op" and text == "(":
                depth += 1
            elif kind == "op" and text == ")":
                depth -= 1
            elif kind == "word" and depth == 0:
                up = text.upper()
                if up in ("SELECT", "VALUES", "INSERT", "REPLACE", "UPDATE", "DELETE"):
                    first = up
                    break
    if first in ("INSERT", "REPLACE"):
        return True, True
    if first in ("UPDATE", "DELETE"):
        return True, False
    return False, False


# --------------------------------------------------------------------------
# Values and request parsing (all validation happens before execution,
# as serde does for sqld)
# --------------------------------------------------------------------------

_INT_RE = re.compile(r"^[+-]?[0-9]+$")
_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1


def _want_obj(v, what):
    if not isinstance(v, dict):
        raise _json_err(f"invalid type: expected {what} object")
    return v


def _opt_str(d, key):
    v = d.get(key)
    if v is not None and not isinstance(v, str):
        raise _json_err(f"invalid type for `{key}`: expected a string")
    return v


def _int_field(d, key, lo, hi, required=True):
    v = d.get(key)
    if v is None:
        if required:
            raise _json_err(f"missing field `{key}`")
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not (lo <= v <= hi):
        raise _json_err(f"invalid value for `{key}`: expected an integer")
    return v


def parse_value(v):
    v = _want_obj(v, "Value")
    t = v.get("type")
    if t == "null":
        return ("null", None)
    if t == "integer":
        s = v.get("value")
        if not isinstance(s, str) or not _INT_RE.match(s):
            raise _json_err(f"invalid value: {s!r}, expected decimal integer as a string")
        i = int(s)
        if not (_I64_MIN <= i <= _I64_MAX):
            raise _json_err(f"invalid value: {s!r}, expected decimal integer as a string")
        return ("integer", i)
    if t == "float":
        f = v.get("value")
        if isinstance(f, bool) or not isinstance(f, (int, float)):
            raise _json_err("invalid type for float value: expected f64")
        return ("float", float(f))
    if t == "text":
        s = v.get("value")
        if not isinstance(s, str):
            raise _json_err("invalid type for text value: expected a string")
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            raise _json_err("lone surrogate in text value") from None
        return ("text", s)
    if t == "blob":
        s = v.get("base64")
        if not isinstance(s, str):
            raise _json_err("missing field `base64`")
        s = s.rstrip("=")
        try:
            data = base64.b64decode(s + "=" * (-len(s) % 4), validate=True)
        except (ValueError, TypeError):
            raise _json_err(f"invalid value: {s!r}, expected binary data encoded as base64") from None
        return ("blob", data)
    raise _json_err(f"unknown variant `{t}` for Value")


def value_to_proto(conn_stmt, i):
    t = sqlite3_column_type(conn_stmt, i)
    if t == SQLITE_INTEGER:
        return {"type": "integer", "value": str(sqlite3_column_int64(conn_stmt, i))}
    if t == SQLITE_FLOAT:
        f = sqlite3_column_double(conn_stmt, i)
        # serde_json writes non-finite f64 as null
        return {"type": "float", "value": f if math.isfinite(f) else None}
    if t == SQLITE_TEXT:
        p = sqlite3_column_text(conn_stmt, i)
        n = sqlite3_column_bytes(conn_stmt, i)
        data = ctypes.string_at(p, n) if p else b""
        try:
            return {"type": "text", "value": data.decode("utf-8")}
        except UnicodeDecodeError as e:
            raise InvalidUtf8(_utf8_error(data, e)) from None
    if t == SQLITE_BLOB:
        p = sqlite3_column_blob(conn_stmt, i)
        n = sqlite3_column_bytes(conn_stmt, i)
        data = ctypes.string_at(p, n) if p else b""
        # sqld writes standard base64 WITHOUT padding
        return {"type": "blob", "base64": base64.b64encode(data).decode("ascii").rstrip("=")}
    return {"type": "null"}


class Stmt:
    __slots__ = ("sql", "sql_id", "args", "named_args", "want_rows")


def parse_stmt(d):
    d = _want_obj(d, "Stmt")
    s = Stmt()
    s.sql = _opt_str(d, "sql")
    s.sql_id = _int_field(d, "sql_id", -(1 << 31), (1 << 31) - 1, required=False)
    args = d.get("args")
    if args is None:
        args = []
    if not isinstance(args, list):
        raise _json_err("invalid type for `args`: expected a sequence")
    s.args = [parse_value(a) for a in args]
    named = d.get("named_args")
    if named is None:
        named = []
    if not isinstance(named, list):
        raise _json_err("invalid type for `named_args`: expected a sequence")
    s.named_args = []
    for na in named:
        na = _want_obj(na, "NamedArg")
        name = na.get("name")
        if not isinstance(name, str):
            raise _json_err("missing field `name`")
        if "value" not in na:
            raise _json_err("missing field `value`")
        s.named_args.append((name, parse_value(na["value"])))
    wr = d.get("want_rows")
    if wr is not None and not isinstance(wr, bool):
        raise _json_err("invalid type for `want_rows`: expected a boolean")
    s.want_rows = True if wr is None else wr
    return s


def parse_cond(c):
    c = _want_obj(c, "BatchCond")
    t = c.get("type")
    if t in ("ok", "error"):
        return (t, _int_field(c, "step", 0, (1 << 32) - 1))
    if t == "not":
        if "cond" not in c:
            raise _json_err("missing field `cond`")
        return ("not", parse_cond(c["cond"]))
    if t in ("and", "or"):
        conds = c.get("conds")
        if not isinstance(conds, list):
            raise _json_err("missing field `conds`")
        return (t, [parse_cond(x) for x in conds])
    if t == "is_autocommit":
        return ("is_autocommit",)
    raise _json_err(f"unknown variant `{t}` for BatchCond")


def parse_request(r):
    r = _want_obj(r, "StreamRequest")
    t = r.get("type")
    if t == "execute":
        if "stmt" not in r:
            raise _json_err("missing field `stmt`")
        return {"type": t, "stmt": parse_stmt(r["stmt"])}
    if t == "batch":
        b = _want_obj(r.get("batch"), "Batch")
        steps = b.get("steps")
        if not isinstance(steps, list):
            raise _json_err("missing field `steps`")
        out = []
        for st in steps:
            st = _want_obj(st, "BatchStep")
            if "stmt" not in st:
                raise _json_err("missing field `stmt`")
            cond = st.get("condition")
            out.append((parse_cond(cond) if cond is not None else None, parse_stmt(st["stmt"])))
        return {"type": t, "steps": out}
    if t in ("sequence", "describe"):
        return {"type": t, "sql": _opt_str(r, "sql"),
                "sql_id": _int_field(r, "sql_id", -(1 << 31), (1 << 31) - 1, required=False)}
    if t == "store_sql":
        sql = r.get("sql")
        if not isinstance(sql, str):
            raise _json_err("missing field `sql`")
        return {"type": t, "sql_id": _int_field(r, "sql_id", -(1 << 31), (1 << 31) - 1), "sql": sql}
    if t == "close_sql":
        return {"type": t, "sql_id": _int_field(r, "sql_id", -(1 << 31), (1 << 31) - 1)}
    if t in ("close", "get_autocommit"):
        return {"type": t}
    raise _json_err(f"unknown variant `{t}`, expected one of `close`, `execute`, `batch`, "
                    "`sequence`, `describe`, `store_sql`, `close_sql`, `get_autocommit`")


def parse_pipeline_body(body):
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _json_err("invalid UTF-8") from None

    def no_constants(name):
        raise ValueError(f"invalid number {name}")

    try:
        obj = json.loads(text, parse_constant=no_constants)
    except ValueError as e:
        raise _json_err(str(e)) from None
    obj = _want_obj(obj, "PipelineReqBody")
    baton = _opt_str(obj, "baton")
    reqs = obj.get("requests")
    if not isinstance(reqs, list):
        raise _json_err("missing field `requests`")
    return baton, [parse_request(r) for r in reqs]


# --------------------------------------------------------------------------
# Statement execution (sqld semantics)
# --------------------------------------------------------------------------

MAX_SQL_COUNT = 50
MAX_STORED_SQL_SIZE = 5000  # bytesize::ByteSize::kb(5)


def resolve_sql(sql, sql_id, sqls):
    if sql is not None and sql_id is not None:
        raise ProtocolError("Either `sql` or `sql_id` are required, but not both")
    if sql is not None:
        return sql
    if sql_id is not None:
        if sql_id not in sqls:
            raise ProtocolError(f"SQL text {sql_id} not found")
        return sqls[sql_id]
    raise ProtocolError("Either `sql` or `sql_id` are required")


class Query:
    __slots__ = ("sql", "params", "want_rows", "is_iud", "is_insert")


def stmt_to_query(conn, stmt, sqls):
    """sqld's proto_stmt_to_query(): parse checks and the parameter mode."""
    sql = resolve_sql(stmt.sql, stmt.sql_id, sqls)
    pieces = split_statements(sql)
    if not pieces:
        raise StmtError("SQL string does not contain any statement", "SQL_NO_STATEMENT")
    # libSQL's `BEGIN READONLY`: sqld 0.24.32 accepts it and runs a deferred transaction
    # (writes in it still succeed, measured)
    if _BEGIN_READONLY_RE.match(pieces[0]):
        pieces[0] = "BEGIN DEFERRED"
    # sqld parses with its own parser first: a syntax error in the first
    # statement is SQL_PARSE_ERROR, any further statement SQL_MANY_STATEMENTS.
    st, err = conn.prepare(pieces[0])
    if st:
        sqlite3_finalize(st)
    if err and is_syntax_error(err):
        raise prepare_error(pieces[0], err)
    check_supported(pieces[0])
    if len(pieces) > 1:
        raise StmtError("SQL string contains more than one statement", "SQL_MANY_STATEMENTS")
    if stmt.named_args and stmt.args:
        raise StmtError("Specifying both positional and named arguments is not supported",
                        "ARGS_BOTH_POSITIONAL_AND_NAMED")
    q = Query()
    q.sql = pieces[0]
    q.params = ("named", dict(stmt.named_args)) if stmt.named_args else ("pos", list(stmt.args))
    q.want_rows = stmt.want_rows
    q.is_iud, q.is_insert = classify(q.sql)
    return q


def _bind_value(st, idx, value):
    kind, v = value
    if kind == "null":
        return sqlite3_bind_null(st, idx)
    if kind == "integer":
        return sqlite3_bind_int64(st, idx, v)
    if kind == "float":
        return sqlite3_bind_double(st, idx, v)
    if kind == "text":
        b = v.encode("utf-8")
        return sqlite3_bind_text(st, idx, b, len(b), SQLITE_TRANSIENT)
    if not v:
        return sqlite3_bind_zeroblob(st, idx, 0)
    return sqlite3_bind_blob(st, idx, v, len(v), SQLITE_TRANSIENT)


def _args_invalid(detail):
    return StmtError(f"Arguments do not match SQL parameters: {detail}", "ARGS_INVALID")


def bind_params(st, params):
    """sqld's Params::bind() (libsql-server/src/query.rs)."""
    mode, vals = params
    count = sqlite3_bind_parameter_count(st)
    given = len(vals)
    if given > count:
        raise _args_invalid(f"too many parameters, expected {count} found {given}")
    missing = object()
    is_explain = bool(sqlite3_stmt_isexplain(st)) if sqlite3_stmt_isexplain else False
    for idx in range(1, count + 1):
        raw = sqlite3_bind_parameter_name(st, idx)
        name = raw.decode("utf-8", "replace") if raw else None
        value = missing
        if name is not None and name.startswith("?"):
            try:
                pos = int(name[1:])
            except ValueError:
                raise _args_invalid(f"invalid parameter {name}: expected a numerical position after `?`") from None
            if mode == "pos" and 1 <= pos <= len(vals):
                value = vals[pos - 1]
        elif name is not None:
            if mode == "named":
                value = vals.get(name, missing)
                if value is missing:
                    value = vals.get(name[1:], missing)
        elif mode == "pos" and idx <= len(vals):
            value = vals[idx - 1]
        if value is missing:
            if is_explain:
                return
            raise _args_invalid(f"value for parameter {name if name is not None else idx} not found")
        rc = _bind_value(st, idx, value)
        if rc & 0xFF == SQLITE_TOOBIG:
            raise _args_invalid("string or blob too big")
        if rc != SQLITE_OK:
            raise sqlite_error(rc, sqlite3_errstr(rc).decode("utf-8", "replace"))


def execute_query(conn, q):
    """Run one statement; return a StmtResult dict or raise StmtError."""
    start = time.perf_counter()
    st, err = conn.prepare(q.sql)
    if err:
        raise prepare_error(q.sql, err)
    if st is None:
        raise StmtError("SQL string does not contain any statement", "SQL_NO_STATEMENT")
    try:
        ncols = sqlite3_column_count(st)
        cols = []
        for i in range(ncols):
            name = sqlite3_column_name(st, i)
            decl = sqlite3_column_decltype(st, i)
            cols.append({"name": name.decode("utf-8", "replace") if name is not None else None,
                         "decltype": decl.decode("utf-8", "replace") if decl is not None else None})
        bind_params(st, q.params)
        rows = []
        keep = q.want_rows or Emulation.ignore_want_rows
        nrows = 0
        while True:
            rc = sqlite3_step(st)
            if rc == SQLITE_ROW:
                nrows += 1
                if keep:
                    rows.append([value_to_proto(st, i) for i in range(ncols)])
                continue
            if rc == SQLITE_DONE:
                break
            raise sqlite_error(rc, conn.errmsg())
        changes = int(sqlite3_changes64(conn.db)) if q.is_iud else 0
        rowid = str(int(sqlite3_last_insert_rowid(conn.db))) if q.is_insert else None
    finally:
        sqlite3_finalize(st)
    return {
        "cols": cols,
        "rows": rows,
        "affected_row_count": changes,
        "last_insert_rowid": rowid,
        "replication_index": None,
        # stock SQLite has no per-statement row counters (libsql has):
        # approximations, documented in README.md
        "rows_read": nrows,
        "rows_written": changes,
        "query_duration_ms": (time.perf_counter() - start) * 1000.0,
    }


def eval_cond(cond, results, conn):
    t = cond[0]
    if t == "ok":
        return results[cond[1]]
    if t == "error":
        # sqld: `!results[step]`, so a skipped step counts as an error
        return not results[cond[1]]
    if t == "not":
        return not eval_cond(cond[1], results, conn)
    if t == "and":
        return all([eval_cond(c, results, conn) for c in cond[1]])
    if t == "or":
        return any([eval_cond(c, results, conn) for c in cond[1]])
    return conn.is_autocommit()


def check_cond(cond, step_i, version):
    t = cond[0]
    if t in ("ok", "error"):
        if cond[1] >= step_i:
            raise ProtocolError("Invalid reference to step in a batch condition")
    elif t == "not":
        check_cond(cond[1], step_i, version)
    elif t in ("and", "or"):
        for c in cond[1]:
            check_cond(c, step_i, version)
    elif t == "is_autocommit" and version < 3:
        raise ProtocolError("BatchCond of type `is_autocommit` is only supported in protocol "
                            "version hrana3 and higher")


def execute_batch(conn, steps, sqls, version):
    program = []
    for step_i, (cond, stmt) in enumerate(steps):
        q = stmt_to_query(conn, stmt, sqls)  # StmtError fails the whole batch request
        if cond is not None:
            check_cond(cond, step_i, version)
        program.append((cond, q))
    results, step_results, step_errors = [], [], []
    for cond, q in program:
        enabled = True if cond is None else eval_cond(cond, results, conn)
        if not enabled:
            results.append(False)
            step_results.append(None)
            step_errors.append(None)
            continue
        try:
            res = execute_query(conn, q)
        except StmtError as e:
            results.append(False)
            step_results.append(None)
            step_errors.append(e.proto())
        else:
            results.append(True)
            step_results.append(res)
            step_errors.append(None)
    return {"step_results": step_results, "step_errors": step_errors, "replication_index": None}


def execute_sequence(conn, sql):
    pieces = split_statements(sql)
    # sqld parses the whole text before running anything
    for p in pieces:
        st, err = conn.prepare(p)
        if st:
            sqlite3_finalize(st)
        if err and is_syntax_error(err):
            raise prepare_error(p, err)
        check_supported(p)
    for p in pieces:
        q = Query()
        q.sql, q.params, q.want_rows = p, ("pos", []), False
        q.is_iud, q.is_insert = classify(p)
        execute_query(conn, q)


def describe(conn, sql):
    pieces = split_statements(sql)
    if not pieces:
        raise StmtError("SQL string does not contain any statement", "SQL_NO_STATEMENT")
    if len(pieces) > 1:
        raise StmtError("SQL string contains more than one statement", "SQL_MANY_STATEMENTS")
    st, err = conn.prepare(pieces[0])
    if err:
        # describe goes straight to SQLite in sqld: syntax errors are SQL_INPUT_ERROR
        raise prepare_error(pieces[0], err, sqld_parser=False)
    if st is None:
        raise StmtError("SQL string does not contain any statement", "SQL_NO_STATEMENT")
    try:
        params = []
        for i in range(1, sqlite3_bind_parameter_count(st) + 1):
            n = sqlite3_bind_parameter_name(st, i)
            params.append({"name": n.decode("utf-8", "replace") if n is not None else None})
        cols = []
        for i in range(sqlite3_column_count(st)):
            n = sqlite3_column_name(st, i)
            d = sqlite3_column_decltype(st, i)
            cols.append({"name": n.decode("utf-8", "replace") if n is not None else "",
                         "decltype": d.decode("utf-8", "replace") if d is not None else None})
        is_explain = bool(sqlite3_stmt_isexplain(st)) if sqlite3_stmt_isexplain else \
            pieces[0].lstrip().upper().startswith("EXPLAIN")
        return {"params": params, "cols": cols, "is_explain": is_explain,
                "is_readonly": bool(sqlite3_stmt_readonly(st))}
    finally:
        sqlite3_finalize(st)


# --------------------------------------------------------------------------
# Streams and batons
# --------------------------------------------------------------------------

CLEANUP_SECS = 300.0  # sqld keeps expired handles 300 s to answer STREAM_EXPIRED


class Stream:
    def __init__(self, num, sid, conn):
        self.num = num  # small sequential id, for /_stats only
        self.sid = sid  # random u64, inside the baton
        self.seq = secrets.randbits(64)
        self.conn = conn
        self.sqls = {}
        self.state = "acquired"  # acquired | available | expired
        self.released_at = time.monotonic()
        self.expired_at = None


class Streams:
    def __init__(self, hub):
        self.hub = hub
        self.lock = threading.Lock()
        self.key = secrets.token_bytes(32)
        self.by_sid = {}
        self.counter = 0

    # --- batons: base64-no-pad(stream_id u64 BE | seq u64 BE | HMAC-SHA256) ---
    def encode(self, s):
        payload = struct.pack(">QQ", s.sid, s.seq)
        mac = hmac.new(self.key, payload, hashlib.sha256).digest()
        return base64.b64encode(payload + mac).decode("ascii").rstrip("=")

    def decode(self, baton):
        try:
            if "=" in baton:
                raise ValueError
            data = base64.b64decode(baton + "=" * (-len(baton) % 4), validate=True)
        except (ValueError, TypeError):
            raise ProtocolError("Received an invalid baton") from None
        if len(data) != 48:
            raise ProtocolError("Received an invalid baton")
        if not hmac.compare_digest(hmac.new(self.key, data[:16], hashlib.sha256).digest(), data[16:]):
            raise ProtocolError("Received an invalid baton")
        return struct.unpack(">QQ", data[:16])

    def _expire_locked(self, s, now):
        if s.conn is not None:
            s.conn.close()
            s.conn = None
        s.state = "expired"
        s.expired_at = now
        self.hub.stat_inc("streams_expired")

    def acquire(self, baton):
        if baton is None:
            conn = self.hub.open_conn()
            with self.lock:
                self.counter += 1
                sid = secrets.randbits(64)
                while sid in self.by_sid:
                    sid = secrets.randbits(64)
                s = Stream(self.counter, sid, conn)
                self.by_sid[sid] = s
            self.hub.stat_inc("streams_opened")
            return s
        sid, seq = self.decode(baton)
        with self.lock:
            s = self.by_sid.get(sid)
            if s is None:
                raise ProtocolError("Received an invalid baton")
            if s.state == "acquired":
                raise ProtocolError("Received a baton that has already been used")
            now = time.monotonic()
            if s.state == "available" and now - s.released_at >= self.hub.stream_expiry_secs:
                self._expire_locked(s, now)
            if s.state == "expired":
                raise StreamExpired()
            if s.seq != seq:
                raise ProtocolError("Received a baton that has already been used")
            s.state = "acquired"
            s.seq = (s.seq + 1) & 0xFFFFFFFFFFFFFFFF
            return s

    def release(self, s):
        """End of a successful request: returns the next baton or None."""
        with self.lock:
            if s.conn is None:
                self.by_sid.pop(s.sid, None)
                self.hub.stat_inc("streams_closed")
                return None
            s.state = "available"
            s.released_at = time.monotonic()
            return self.encode(s)

    def drop(self, s):
        """The request failed at the HTTP level: sqld drops the stream."""
        with self.lock:
            if s.conn is not None:
                s.conn.close()
                s.conn = None
            self.by_sid.pop(s.sid, None)
        self.hub.stat_inc("streams_closed")

    def force_expire(self, baton=None):
        """Expire one stream (by baton) or all available streams."""
        now = time.monotonic()
        with self.lock:
            if baton is None:
                targets = [s for s in self.by_sid.values() if s.state == "available"]
            else:
                try:
                    sid, _ = self.decode(baton)
                except ProtocolError:
                    return 0
                s = self.by_sid.get(sid)
                targets = [s] if s is not None and s.state == "available" else []
            for s in targets:
                self._expire_locked(s, now)
            return len(targets)

    def sweep(self):
        now = time.monotonic()
        with self.lock:
            for sid, s in list(self.by_sid.items()):
                if s.state == "available" and now - s.released_at >= self.hub.stream_expiry_secs:
                    self._expire_locked(s, now)
                elif s.state == "expired" and now - s.expired_at >= CLEANUP_SECS:
                    del self.by_sid[sid]

    def open_count(self):
        with self.lock:
            return sum(1 for s in self.by_sid.values() if s.state != "expired")

    def close_all(self):
        with self.lock:
            for s in self.by_sid.values():
                if s.conn is not None:
                    s.conn.close()
                    s.conn = None
            self.by_sid.clear()


# --------------------------------------------------------------------------
# The hub: config, stats, faults, pipeline handling
# --------------------------------------------------------------------------

FAULTS = ("http_500", "http_401", "truncated_json", "truncated_body", "garbage_body",
          "drop_connection", "reset", "hang", "expire_baton")
_FAULT_HTTP_RE = re.compile(r"^http_([1-5][0-9][0-9])$")


class Hub:
    def __init__(self, args):
        self.db_path = args.db
        self.busy_timeout_ms = args.busy_timeout_ms
        self.stream_expiry_secs = float(args.stream_expiry_secs)
        self.auth_token = args.auth_token
        self.expired_status = args.expired_status
        self.verbose = args.verbose
        self.base_url = None
        self.tmpdir = None
        if self.db_path == ":memory:":
            # A private temporary file, deleted on exit, so that every stream
            # gets its own connection with real WAL locking, like sqld.
            self.tmpdir = tempfile.mkdtemp(prefix="hrana-test-")
            self.db_path = os.path.join(self.tmpdir, "memory.db")
        init = Conn(self.db_path, self.busy_timeout_ms)
        try:
            init.exec_simple("PRAGMA journal_mode=WAL")
        finally:
            init.close()
        self.streams = Streams(self)
        self.lock = threading.Lock()
        self.stats = {}
        self.reset_stats()
        self.delay_ms = 0
        self.fault = None
        self.hang_gen = 0
        self.stopping = threading.Event()

    def open_conn(self):
        return Conn(self.db_path, self.busy_timeout_ms)

    # --- stats ---
    def reset_stats(self):
        with self.lock:
            self.stats = {
                "http_requests": 0, "connections": 0, "pipeline_requests": 0,
                "pipeline_by_version": {}, "pipeline_statuses": {}, "stream_requests": {},
                "streams_opened": 0, "streams_closed": 0, "streams_expired": 0,
                "requests_per_stream": {}, "faults_injected": 0, "paths": {},
                "last_pipeline_headers": {},
            }

    def stat_inc(self, key, sub=None, n=1):
        with self.lock:
            if sub is None:
                self.stats[key] = self.stats.get(key, 0) + n
            else:
                d = self.stats.setdefault(key, {})
                d[sub] = d.get(sub, 0) + n

    def snapshot(self):
        with self.lock:
            out = json.loads(json.dumps(self.stats))
        out["open_streams"] = self.streams.open_count()
        out["delay_ms"] = self.delay_ms
        out["fault"] = dict(self.fault) if self.fault else None
        out["stream_expiry_secs"] = self.stream_expiry_secs
        out["db_path"] = self.db_path
        return out

    # --- control ---
    def control(self, cmd):
        if not isinstance(cmd, dict):
            raise ValueError("control body must be a JSON object")
        with self.lock:
            if cmd.get("reset"):
                self.delay_ms = 0
                self.fault = None
                self.base_url = None
                self.hang_gen += 1
            if "delay_ms" in cmd:
                self.delay_ms = max(0, int(cmd["delay_ms"] or 0))
            if "stream_expiry_secs" in cmd:
                self.stream_expiry_secs = float(cmd["stream_expiry_secs"])
            if "base_url" in cmd:
                self.base_url = cmd["base_url"]
            if cmd.get("fault") is not None:
                name = cmd["fault"]
                if name not in FAULTS and not _FAULT_HTTP_RE.match(name):
                    raise ValueError(f"unknown fault {name!r}")
                when = cmd.get("when") or ("after" if name.startswith("truncated") else "before")
                if name == "expire_baton":
                    when = "before"
                if when not in ("before", "after"):
                    raise ValueError("`when` must be before or after")
                self.fault = {"name": name, "count": int(cmd.get("count", 1)),
                              "skip": int(cmd.get("skip", 0)), "when": when,
                              "status": cmd.get("status"), "body": cmd.get("body"),
                              "content_type": cmd.get("content_type")}
        if cmd.get("reset_stats"):
            self.reset_stats()
        expired = 0
        if cmd.get("expire_streams"):
            expired = self.streams.force_expire()
        return {"ok": True, "expired": expired}

    def take_fault(self, has_baton):
        """Consume one unit of the armed fault if it applies to this request."""
        with self.lock:
            f = self.fault
            if not f:
                return None
            if f["name"] == "expire_baton" and not has_baton:
                return None
            if f["skip"] > 0:
                f["skip"] -= 1
                return None
            f["count"] -= 1
            if f["count"] <= 0:
                self.fault = None
            self.stats["faults_injected"] += 1
            return dict(f)

    # --- auth, as sqld answers it: 401 + JSON {"error": "..."} ---
    def check_auth(self, header):
        if self.auth_token is None:
            return None
        if header is None:
            why = "Expected authorization header but none given"  # sqld 0.24.32's words
        elif " " not in header:
            why = "The `Authorization` HTTP header has invalid value"
        else:
            scheme, token = header.split(" ", 1)
            if scheme.lower() != "bearer":
                why = "The authentication scheme in the `Authorization` HTTP header is not supported"
            elif token != self.auth_token:
                why = "The JWT is invalid"
            else:
                return None
        return json.dumps({"error": f"Unauthorized: `{why}`"})

    # --- the pipeline ---
    def pipeline(self, version, body):
        """Returns (status, content_type, body_bytes)."""
        try:
            baton, requests = parse_pipeline_body(body)
        except ProtocolError as e:
            return 400, "text/plain", str(e).encode()
        try:
            stream = self.streams.acquire(baton)
        except ProtocolError as e:
            return 400, "text/plain", str(e).encode()
        except StreamExpired:
            return self.expired_response()
        except RuntimeError as e:
            return 500, "text/plain", f"Internal Error: `{e}`".encode()
        self.stat_inc("requests_per_stream", str(stream.num))
        results = []
        try:
            for req in requests:
                self.stat_inc("stream_requests", req["type"])
                results.append(self.handle_request(stream, req, version))
        except ProtocolError as e:
            self.streams.drop(stream)
            return 400, "text/plain", str(e).encode()
        except InvalidUtf8 as e:
            self.streams.drop(stream)
            return 500, "application/json", dumps({"error": str(e)})
        except Exception as e:  # noqa: BLE001 - internal failure
            self.streams.drop(stream)
            return 500, "text/plain", f"Internal Error: `{e!r}`".encode()
        new_baton = self.streams.release(stream)
        resp = {"baton": new_baton, "base_url": self.base_url, "results": results}
        return 200, "application/json", dumps(resp)

    def expired_response(self):
        body = {"message": "The stream has expired due to inactivity", "code": "STREAM_EXPIRED"}
        return self.expired_status, "application/json", dumps(body)

    def handle_request(self, s, req, version):
        t = req["type"]

        def db():
            if s.conn is None:
                raise ProtocolError("Stream for this baton was closed")
            return s.conn

        try:
            if t == "close":
                if s.conn is not None:
                    s.conn.close()
                    s.conn = None
                resp = {"type": "close"}
            elif t == "execute":
                conn = db()
                q = stmt_to_query(conn, req["stmt"], s.sqls)
                resp = {"type": "execute", "result": execute_query(conn, q)}
            elif t == "batch":
                conn = db()
                resp = {"type": "batch", "result": execute_batch(conn, req["steps"], s.sqls, version)}
            elif t == "sequence":
                conn = db()
                execute_sequence(conn, resolve_sql(req["sql"], req["sql_id"], s.sqls))
                resp = {"type": "sequence"}
            elif t == "describe":
                conn = db()
                resp = {"type": "describe",
                        "result": describe(conn, resolve_sql(req["sql"], req["sql_id"], s.sqls))}
            elif t == "store_sql":
                sql_id, sql = req["sql_id"], req["sql"]
                if sql_id in s.sqls:
                    raise ProtocolError(f"SQL text {sql_id} already exists")
                if len(s.sqls) >= MAX_SQL_COUNT:
                    raise StmtError(f"The server already stores {len(s.sqls)} SQL texts, it cannot "
                                    "store more", "SQL_STORE_TOO_MANY")
                size = len(sql.encode("utf-8"))
                if size > MAX_STORED_SQL_SIZE:
                    raise StmtError(f"The statement is too large to be stored: {size / 1000:.1f} KB/5.0 KB",
                                    "SQL_STORE_TOO_LARGE")
                s.sqls[sql_id] = sql
                resp = {"type": "store_sql"}
            elif t == "close_sql":
                s.sqls.pop(req["sql_id"], None)
                resp = {"type": "close_sql"}
            elif t == "get_autocommit":
                if version < 3:
                    raise ProtocolError("The `get_autocommit` request is only supported in protocol "
                                        "version hrana3 and higher")
                resp = {"type": "get_autocommit", "is_autocommit": db().is_autocommit()}
            else:  # pragma: no cover - parse_request rejects it
                raise ProtocolError("StreamRequest type not recognized")
        except StmtError as e:
            return {"type": "error", "error": e.proto()}
        return {"type": "ok", "response": resp}

    def shutdown(self):
        self.stopping.set()
        self.streams.close_all()
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = SERVER_VERSION
    sys_version = ""
    disable_nagle_algorithm = True

    @property
    def hub(self):
        return self.server.hub

    def setup(self):
        super().setup()
        self.hub.stat_inc("connections")

    def log_message(self, fmt, *args):  # noqa: D401
        if self.hub.verbose:
            sys.stderr.write("hrana-test-server: " + (fmt % args) + "\n")

    # --- helpers ---
    def _send(self, status, ctype, body, extra_headers=()):
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
            self.wfile.flush()

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _path(self):
        return self.path.split("?", 1)[0]

    def _count(self):
        self.hub.stat_inc("http_requests")
        self.hub.stat_inc("paths", f"{self.command} {self._path()}")

    # --- connection-level faults ---
    def _drop(self):
        self.close_connection = True  # nothing written; the server closes with FIN

    def _reset(self):
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.server.mark_rst(self.connection)

    def _hang(self):
        gen = self.hub.hang_gen
        sock = self.connection
        while not self.hub.stopping.is_set() and self.hub.hang_gen == gen:
            try:
                r, _, _ = select.select([sock], [], [], 0.05)
                if r and not sock.recv(1, socket.MSG_PEEK):
                    break  # the client went away
                if r:
                    time.sleep(0.05)
            except (OSError, ValueError):
                break
        self._drop()

    def _apply_fault(self, f, real=None):
        name = f["name"]
        m = _FAULT_HTTP_RE.match(name)
        if m:
            status = int(m.group(1))
            if f.get("body") is not None:
                body = str(f["body"]).encode()
                ctype = f.get("content_type") or "text/plain"
            elif status == 401:
                body = json.dumps({"error": "Unauthorized: `The JWT has expired`"}).encode()
                ctype = "application/json"
            elif status == 500:
                body = b"Internal Server Error (injected fault)"
                ctype = "text/plain"
            else:
                body = (f"<html><head><title>{status}</title></head><body><h1>{status} "
                        f"{self.responses.get(status, ('Error',))[0]}</h1>injected by the test "
                        "proxy</body></html>").encode()
                ctype = "text/html"
            self._send(status, f.get("content_type") or ctype, body)
        elif name == "truncated_json":
            body = real[2] if real else b'{"baton":null,"base_url":null,"results":[]}'
            cut = body[: max(1, len(body) // 2)]
            self._send(200, "application/json", cut)
        elif name == "truncated_body":
            body = real[2] if real else b'{"baton":null,"base_url":null,"results":[]}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: max(1, len(body) // 2)])
            self.wfile.flush()
            self.close_connection = True
        elif name == "garbage_body":
            self._send(200, "application/json", b"\x00\xff<html>this is not JSON\x01}{")
        elif name == "drop_connection":
            self._drop()
        elif name == "reset":
            self._reset()
        elif name == "hang":
            self._hang()
        elif name == "expire_baton":
            status, ctype, body = self.hub.expired_response()
            self._send(status, ctype, body)

    # --- methods ---
    def do_GET(self):
        self._count()
        p = self._path()
        if p == "/_stats":
            return self._send(200, "application/json", dumps(self.hub.snapshot()))
        if p == "/v2":
            return self._send(200, "text/plain", b"Hello, this is HTTP API v2 (Hrana over HTTP)")
        if p == "/v3":
            return self._send(200, "text/plain", b"Hello, this is HTTP API v3 (Hrana over HTTP)")
        if p == "/health":
            return self._send(200, "text/plain", b"")
        if p == "/version":
            return self._send(200, "text/plain", SERVER_VERSION.encode())
        if p == "/":
            return self._send(200, "text/plain", b"Hrana test server (libsql-cpp tests)")
        if p in ("/v2/pipeline", "/v3/pipeline", "/_control"):
            return self._send(405, "text/plain", b"Method Not Allowed")
        return self._send(404, "text/plain", b"Not Found")

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        self._count()
        p = self._path()
        body = self._read_body()
        if p == "/_control":
            try:
                out = self.hub.control(json.loads(body.decode("utf-8") or "{}"))
            except (ValueError, TypeError) as e:
                return self._send(400, "text/plain", str(e).encode())
            return self._send(200, "application/json", dumps(out))
        if p not in ("/v2/pipeline", "/v3/pipeline"):
            return self._send(404, "text/plain", b"Not Found")
        version = 2 if p.startswith("/v2") else 3
        hub = self.hub
        hub.stat_inc("pipeline_requests")
        hub.stat_inc("pipeline_by_version", f"v{version}")
        with hub.lock:
            hub.stats["last_pipeline_headers"] = {k.lower(): v for k, v in self.headers.items()}
        if hub.delay_ms:
            time.sleep(hub.delay_ms / 1000.0)
        try:
            has_baton = isinstance(json.loads(body).get("baton"), str)
        except (ValueError, AttributeError, UnicodeDecodeError):
            has_baton = False
        fault = hub.take_fault(has_baton)
        if fault and fault["name"] == "expire_baton":
            try:
                baton, _ = parse_pipeline_body(body)
                hub.streams.force_expire(baton)
            except ProtocolError:
                pass
        if fault and fault["when"] == "before":
            hub.stat_inc("pipeline_statuses", f"fault:{fault['name']}")
            return self._apply_fault(fault)
        auth = hub.check_auth(self.headers.get("Authorization"))
        if auth is not None:
            hub.stat_inc("pipeline_statuses", "401")
            return self._send(401, "application/json", auth.encode())
        real = hub.pipeline(version, body)
        if fault:
            hub.stat_inc("pipeline_statuses", f"fault:{fault['name']}")
            return self._apply_fault(fault, real)
        hub.stat_inc("pipeline_statuses", str(real[0]))
        self._send(*real)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, addr, hub):
        self.hub = hub
        self._rst = set()
        self._rst_lock = threading.Lock()
        super().__init__(addr, Handler)

    def mark_rst(self, sock):
        with self._rst_lock:
            self._rst.add(id(sock))

    def shutdown_request(self, request):
        with self._rst_lock:
            rst = id(request) in self._rst
            self._rst.discard(id(request))
        if rst:
            # no shutdown(SHUT_WR): that would send a FIN before the RST
            self.close_request(request)
        else:
            super().shutdown_request(request)


def _sweeper(hub):
    while not hub.stopping.wait(0.1):
        try:
            hub.streams.sweep()
        except Exception:  # noqa: BLE001
            pass


def _stdin_is_pipe():
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Hrana-over-HTTP test server (sqld emulation).")
    ap.add_argument("--db", required=True, help="database file, or :memory: (a private temp file)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--auth-token", default=None, help="require Authorization: Bearer <token>")
    ap.add_argument("--stream-expiry-secs", type=float, default=10.0)
    ap.add_argument("--busy-timeout-ms", type=int, default=5000)
    ap.add_argument("--expired-status", type=int, default=400,
                    help="HTTP status for STREAM_EXPIRED (sqld 0.24.32: 400)")
    ap.add_argument("--extended-codes", action="store_true",
                    help="report extended SQLite code names (sqld reports the primary code)")
    ap.add_argument("--ignore-want-rows", action="store_true",
                    help="(the default) return rows even when want_rows is false, as sqld does")
    ap.add_argument("--honour-want-rows", action="store_true",
                    help="return no rows when want_rows is false (sqld returns them)")
    ap.add_argument("--stdin-watch", choices=("auto", "on", "off"), default="auto",
                    help="exit when stdin closes (auto: only when stdin is a pipe)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)

    Emulation.extended_codes = args.extended_codes
    Emulation.ignore_want_rows = not args.honour_want_rows
    hub = Hub(args)
    srv = Server((args.host, args.port), hub)
    port = srv.server_address[1]

    def on_signal(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    threading.Thread(target=_sweeper, args=(hub,), daemon=True).start()
    sys.stdout.write(f"LISTENING {port}\n")
    sys.stdout.flush()
    try:
        watch = args.stdin_watch == "on" or (args.stdin_watch == "auto" and _stdin_is_pipe())
        if watch:
            while os.read(sys.stdin.fileno(), 4096):
                pass
        else:
            while True:
                time.sleep(3600)
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        hub.stopping.set()
        srv.shutdown()
        srv.server_close()
        hub.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
