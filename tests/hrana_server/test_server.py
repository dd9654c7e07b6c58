"""Self-test of the Hrana test server (stdlib only: unittest + http.client).

Run: python3 -m unittest discover -s tests/hrana_server
"""

import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "server.py")


class ServerProc:
    """Start server.py as a subprocess and talk to it."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([sys.executable, SERVER, *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("LISTENING "):
            self.proc.kill()
            raise RuntimeError(f"server did not start: {line!r} {self.proc.stderr.read()!r}")
        self.port = int(line.split()[1])

    def stop(self):
        """Close stdin: the server must exit by itself."""
        self.proc.stdin.close()
        try:
            return self.proc.wait(5)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
            self.proc.stderr.close()

    def conn(self, timeout=5):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, conn=None, timeout=5):
        c = conn or self.conn(timeout)
        try:
            hdrs = {"content-type": "application/json"}
            hdrs.update(headers or {})
            data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
            c.request(method, path, body=data, headers=hdrs)
            r = c.getresponse()
            return r.status, r.getheader("content-type"), r.read()
        finally:
            if conn is None:
                c.close()

    def pipeline(self, baton, requests, version=2, **kw):
        st, ct, body = self.request("POST", f"/v{version}/pipeline",
                                    {"baton": baton, "requests": requests}, **kw)
        return st, ct, body

    def ok(self, baton, requests, version=2, **kw):
        st, ct, body = self.pipeline(baton, requests, version, **kw)
        assert st == 200, (st, body)
        assert ct == "application/json", ct
        resp = json.loads(body)
        assert len(resp["results"]) == len(requests), resp
        return resp

    def control(self, **cmd):
        st, _, body = self.request("POST", "/_control", cmd)
        assert st == 200, body
        return json.loads(body)

    def stats(self):
        st, _, body = self.request("GET", "/_stats")
        assert st == 200
        return json.loads(body)


def ex(sql, args=None, named=None, want_rows=None, sql_id=None):
    stmt = {}
    if sql is not None:
        stmt["sql"] = sql
    if sql_id is not None:
        stmt["sql_id"] = sql_id
    if args is not None:
        stmt["args"] = args
    if named is not None:
        stmt["named_args"] = [{"name": k, "value": v} for k, v in named.items()]
    if want_rows is not None:
        stmt["want_rows"] = want_rows
    return {"type": "execute", "stmt": stmt}


def I(v):  # noqa: E743
    return {"type": "integer", "value": str(v)}


def T(v):
    return {"type": "text", "value": v}


CLOSE = {"type": "close"}


def res(resp, i=0):
    r = resp["results"][i]
    assert r["type"] == "ok", r
    return r["response"]


def err(resp, i=0):
    r = resp["results"][i]
    assert r["type"] == "error", r
    return r["error"]


class Base(unittest.TestCase):
    args = ("--db", ":memory:")
    srv = None

    @classmethod
    def setUpClass(cls):
        cls.srv = ServerProc(*cls.args)

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        assert rc == 0, rc

    def setUp(self):
        self.srv.control(reset=True)

    def one(self, *requests, version=2):
        """One stream: requests + close; returns the results."""
        return self.srv.ok(None, [*requests, CLOSE], version=version)

    def table(self, name, ddl):
        self.one({"type": "execute", "stmt": {"sql": f"DROP TABLE IF EXISTS {name}"}},
                 {"type": "execute", "stmt": {"sql": ddl}})


class TestEndpoints(Base):
    def test_probes(self):
        for path in ("/v2", "/v3", "/health", "/version"):
            st, _, _ = self.srv.request("GET", path)
            self.assertEqual(st, 200, path)
        self.assertIn(b"v2", self.srv.request("GET", "/v2")[2])
        for path in ("/v3-protobuf", "/nope", "/v3/cursor"):
            self.assertEqual(self.srv.request("GET", path)[0], 404, path)
        self.assertEqual(self.srv.request("POST", "/v3-protobuf/pipeline", b"")[0], 404)
        self.assertEqual(self.srv.request("GET", "/v2/pipeline")[0], 405)

    def test_keep_alive_and_stats(self):
        self.srv.control(reset_stats=True)
        c = self.srv.conn()
        try:
            for _ in range(3):
                st, _, body = self.srv.pipeline(None, [ex("SELECT 1"), CLOSE], conn=c)
                self.assertEqual(st, 200)
        finally:
            c.close()
        s = self.srv.stats()
        self.assertEqual(s["pipeline_requests"], 3)
        self.assertEqual(s["connections"], 2)  # one keep-alive connection + the /_control one
        self.assertEqual(s["streams_opened"], 3)
        self.assertEqual(s["streams_closed"], 3)
        self.assertEqual(s["open_streams"], 0)
        self.assertEqual(sorted(s["requests_per_stream"].values()), [1, 1, 1])
        self.assertEqual(s["stream_requests"], {"execute": 3, "close": 3})
        self.assertEqual(s["paths"]["POST /v2/pipeline"], 3)
        self.assertEqual(s["last_pipeline_headers"]["content-type"], "application/json")

    def test_chunked_request_body(self):
        c = self.srv.conn()
        try:
            body = json.dumps({"baton": None, "requests": [ex("SELECT 42"), CLOSE]}).encode()
            c.request("POST", "/v2/pipeline", body=iter([body[:10], body[10:]]),
                      headers={"content-type": "application/json"}, encode_chunked=True)
            r = c.getresponse()
            self.assertEqual(r.status, 200)
            self.assertEqual(res(json.loads(r.read()))["result"]["rows"], [[I(42)]])
        finally:
            c.close()

    def test_bad_json_and_unknown_request(self):
        st, ct, body = self.srv.request("POST", "/v2/pipeline", b"{not json")
        self.assertEqual((st, ct), (400, "text/plain"))
        self.assertTrue(body.startswith(b"Cannot deserialize client message from JSON"))
        st, _, _ = self.srv.pipeline(None, [{"type": "frobnicate"}])
        self.assertEqual(st, 400)
        st, _, _ = self.srv.pipeline(None, [ex("SELECT ?", args=[{"type": "integer", "value": 5}])])
        self.assertEqual(st, 400)  # integers must be strings
        # unknown fields are ignored
        r = self.srv.ok(None, [{"type": "execute", "extra": 1, "stmt": {"sql": "SELECT 1", "zzz": True}},
                               CLOSE], )
        self.assertEqual(res(r)["result"]["rows"], [[I(1)]])


class TestValues(Base):
    def test_round_trip(self):
        args = [I(-9223372036854775808), I(9223372036854775807), {"type": "float", "value": 2.5},
                T("héllo ☃"), {"type": "blob", "base64": "AP8="}, {"type": "blob", "base64": "AP8"},
                {"type": "null"}, {"type": "blob", "base64": ""}, {"type": "float", "value": 42}]
        r = self.one(ex("SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?", args=args))
        row = res(r)["result"]["rows"][0]
        self.assertEqual(row[0], I(-9223372036854775808))
        self.assertEqual(row[1], I(9223372036854775807))
        self.assertEqual(row[2], {"type": "float", "value": 2.5})
        self.assertEqual(row[3], T("héllo ☃"))
        self.assertEqual(row[4], {"type": "blob", "base64": "AP8"})  # unpadded on output
        self.assertEqual(row[5], {"type": "blob", "base64": "AP8"})
        self.assertEqual(row[6], {"type": "null"})
        self.assertEqual(row[7], {"type": "blob", "base64": ""})
        self.assertEqual(row[8], {"type": "float", "value": 42.0})

    def test_float_infinity_is_null_and_out_of_range_integer(self):
        r = self.one(ex("SELECT 1e999"))
        self.assertEqual(res(r)["result"]["rows"][0][0], {"type": "float", "value": None})
        st, _, _ = self.srv.pipeline(None, [ex("SELECT ?", args=[I(9223372036854775808)])])
        self.assertEqual(st, 400)


class TestExecute(Base):
    def test_result_fields(self):
        self.table("post", "CREATE TABLE post(id INTEGER PRIMARY KEY, title varchar(20), n)")
        r = self.one(ex("INSERT INTO post(title) VALUES ('a'), ('b')"),
                     ex("UPDATE post SET n = 1"),
                     ex("SELECT id, title, n, id + 1 AS x FROM post ORDER BY id"),
                     ex("DELETE FROM post WHERE id = 1"),
                     ex("WITH c AS (SELECT 5 AS v) INSERT INTO post(title) SELECT v FROM c"))
        ins, upd, sel, dele, cte = (res(r, i)["result"] for i in range(5))
        self.assertEqual((ins["affected_row_count"], ins["last_insert_rowid"]), (2, "2"))
        self.assertEqual((upd["affected_row_count"], upd["last_insert_rowid"]), (2, None))
        self.assertEqual((sel["affected_row_count"], sel["last_insert_rowid"]), (0, None))
        self.assertEqual((dele["affected_row_count"], dele["last_insert_rowid"]), (1, None))
        self.assertEqual((cte["affected_row_count"], cte["last_insert_rowid"]), (1, "3"))
        self.assertEqual(sel["cols"], [{"name": "id", "decltype": "INTEGER"},
                                       {"name": "title", "decltype": "varchar(20)"},
                                       {"name": "n", "decltype": None},
                                       {"name": "x", "decltype": None}])
        self.assertEqual(sel["rows"][1], [I(2), T("b"), I(1), I(3)])
        for k in ("rows_read", "rows_written", "query_duration_ms", "replication_index"):
            self.assertIn(k, sel)
        self.assertIsNone(r["baton"])
        self.assertIsNone(r["base_url"])

    def test_want_rows_false(self):
        # sqld 0.24.32 returns the rows even when want_rows is false: so does this server
        r = self.one(ex("SELECT 1 AS a", want_rows=False))
        self.assertEqual(res(r)["result"]["rows"], [[I(1)]])
        self.assertEqual(res(r)["result"]["cols"], [{"name": "a", "decltype": None}])

    def test_named_and_positional_args(self):
        r = self.one(ex("SELECT :a, @b, $c", named={"a": I(1), "b": I(2), "c": I(3)}),
                     ex("SELECT :a, @a", named={":a": I(1), "a": I(2)}),
                     ex("SELECT :a, @a", named={":a": I(1)}),
                     ex("SELECT ?2, ?1", args=[I(1), I(2)]),
                     ex("SELECT ?", args=[]),
                     ex("SELECT ?", args=[I(1), I(2)]),
                     ex("SELECT ?", args=[I(1)], named={"a": I(2)}),
                     ex("SELECT :a", named={"b": I(1)}))
        self.assertEqual(res(r, 0)["result"]["rows"], [[I(1), I(2), I(3)]])
        self.assertEqual(res(r, 1)["result"]["rows"], [[I(1), I(2)]])
        e = err(r, 2)  # ":a" does not match "@a"
        self.assertEqual(e, {"code": "ARGS_INVALID",
                             "message": "Arguments do not match SQL parameters: value for parameter @a not found"})
        self.assertEqual(res(r, 3)["result"]["rows"], [[I(2), I(1)]])
        self.assertEqual(err(r, 4)["code"], "ARGS_INVALID")
        self.assertEqual(err(r, 5)["message"],
                         "Arguments do not match SQL parameters: too many parameters, expected 1 found 2")
        self.assertEqual(err(r, 6)["code"], "ARGS_BOTH_POSITIONAL_AND_NAMED")
        self.assertEqual(err(r, 7)["code"], "ARGS_INVALID")

    def test_errors(self):
        self.table("u", "CREATE TABLE u(name TEXT UNIQUE NOT NULL)")
        r = self.one(ex("INSERT INTO u VALUES ('x')"),
                     ex("INSERT INTO u VALUES ('x')"),
                     ex("INSERT INTO u VALUES (NULL)"),
                     ex("SELEC 1"),
                     ex("SELECT nope FROM u"),
                     ex("SELECT 1; SELECT 2"),
                     ex("  -- only a comment\n"),
                     ex("SELECT * FROM no_such_table"),
                     ex("SELECT 1;"))
        self.assertEqual(err(r, 1), {"message": "SQLite error: UNIQUE constraint failed: u.name",
                                     "code": "SQLITE_CONSTRAINT"})
        self.assertEqual(err(r, 2)["message"], "SQLite error: NOT NULL constraint failed: u.name")
        self.assertEqual(err(r, 3)["code"], "SQL_PARSE_ERROR")
        self.assertEqual(err(r, 4), {"message": "SQL input error: no such column: nope (at offset 7)",
                                     "code": "SQL_INPUT_ERROR"})
        self.assertEqual(err(r, 5), {"message": "SQL string contains more than one statement",
                                     "code": "SQL_MANY_STATEMENTS"})
        self.assertEqual(err(r, 6)["code"], "SQL_NO_STATEMENT")
        self.assertIn(err(r, 7)["code"], ("SQLITE_UNKNOWN", "SQL_INPUT_ERROR"))
        self.assertEqual(res(r, 8)["result"]["rows"], [[I(1)]])

    def test_extended_codes_flag(self):
        srv = ServerProc("--db", ":memory:", "--extended-codes")
        try:
            r = srv.ok(None, [ex("CREATE TABLE u(a UNIQUE)"), ex("INSERT INTO u VALUES (1)"),
                              ex("INSERT INTO u VALUES (1)"), CLOSE])
            self.assertEqual(err(r, 2)["code"], "SQLITE_CONSTRAINT_UNIQUE")
        finally:
            self.assertEqual(srv.stop(), 0)


class TestBatch(Base):
    def test_client_batch_shape(self):
        self.table("tag", "CREATE TABLE tag(name TEXT UNIQUE)")
        steps = [
            {"stmt": {"sql": "BEGIN IMMEDIATE", "want_rows": False}},
            {"condition": {"type": "ok", "step": 0}, "stmt": {"sql_id": 0, "args": [T("x")]}},
            {"condition": {"type": "ok", "step": 1}, "stmt": {"sql_id": 1}},
            {"condition": {"type": "ok", "step": 2}, "stmt": {"sql": "COMMIT", "want_rows": False}},
            {"condition": {"type": "not", "cond": {"type": "ok", "step": 3}},
             "stmt": {"sql": "ROLLBACK", "want_rows": False}},
        ]
        reqs = [{"type": "store_sql", "sql_id": 0, "sql": "INSERT INTO tag(name) VALUES (?)"},
                {"type": "store_sql", "sql_id": 1, "sql": "SELECT count(*) FROM tag"},
                {"type": "batch", "batch": {"steps": steps}}, CLOSE]
        r = self.srv.ok(None, reqs)
        b = res(r, 2)["result"]
        self.assertEqual(b["step_errors"], [None] * 5)
        self.assertEqual(b["step_results"][2]["rows"], [[I(1)]])
        self.assertIsNone(b["step_results"][4])  # ROLLBACK skipped
        # again: the INSERT now fails -> COMMIT skipped, ROLLBACK runs
        r = self.srv.ok(None, reqs)
        b = res(r, 2)["result"]
        self.assertEqual(b["step_errors"][1]["code"], "SQLITE_CONSTRAINT")
        self.assertEqual(b["step_results"][1:4], [None, None, None])
        self.assertEqual(b["step_errors"][2:4], [None, None])
        self.assertIsNotNone(b["step_results"][4])
        r = self.one(ex("SELECT count(*) FROM tag"))
        self.assertEqual(res(r)["result"]["rows"], [[I(1)]])

    def test_conditions(self):
        steps = [
            {"stmt": {"sql": "SELECT 1"}},                                         # 0 ok
            {"stmt": {"sql": "SELECT nope"}},                                      # 1 error
            {"condition": {"type": "error", "step": 1}, "stmt": {"sql": "SELECT 2"}},   # 2 runs
            {"condition": {"type": "and", "conds": [{"type": "ok", "step": 0},
                                                    {"type": "ok", "step": 1}]},
             "stmt": {"sql": "SELECT 3"}},                                         # 3 skipped
            {"condition": {"type": "or", "conds": [{"type": "ok", "step": 3},
                                                   {"type": "ok", "step": 2}]},
             "stmt": {"sql": "SELECT 4"}},                                         # 4 runs
            {"condition": {"type": "error", "step": 3}, "stmt": {"sql": "SELECT 5"}},   # 5 (sqld: runs)
            {"condition": {"type": "and", "conds": []}, "stmt": {"sql": "SELECT 6"}},   # 6 runs
            {"condition": {"type": "or", "conds": []}, "stmt": {"sql": "SELECT 7"}},    # 7 skipped
        ]
        b = res(self.one({"type": "batch", "batch": {"steps": steps}}))["result"]
        ran = [x is not None for x in b["step_results"]]
        self.assertEqual(ran, [True, False, True, False, True, True, True, False])
        self.assertEqual(b["step_errors"][1]["code"], "SQL_INPUT_ERROR")
        self.assertIsNone(b["step_errors"][3])

    def test_batch_level_errors(self):
        # a parse error in any step fails the whole batch request (sqld converts first)
        r = self.one({"type": "batch", "batch": {"steps": [{"stmt": {"sql": "SELECT 1"}},
                                                           {"stmt": {"sql": "SELEC 2"}}]}})
        self.assertEqual(err(r)["code"], "SQL_PARSE_ERROR")
        # a condition on a later step is a protocol error: HTTP 400
        st, ct, body = self.srv.pipeline(None, [{"type": "batch", "batch": {"steps": [
            {"condition": {"type": "ok", "step": 0}, "stmt": {"sql": "SELECT 1"}}]}}])
        self.assertEqual((st, ct), (400, "text/plain"))
        self.assertEqual(body, b"Invalid reference to step in a batch condition")

    def test_is_autocommit_v3_only(self):
        steps = [{"stmt": {"sql": "BEGIN"}},
                 {"condition": {"type": "is_autocommit"}, "stmt": {"sql": "SELECT 1"}},
                 {"condition": {"type": "not", "cond": {"type": "is_autocommit"}}, "stmt": {"sql": "SELECT 2"}},
                 {"stmt": {"sql": "ROLLBACK"}},
                 {"condition": {"type": "is_autocommit"}, "stmt": {"sql": "SELECT 3"}}]
        b = res(self.one({"type": "batch", "batch": {"steps": steps}}, version=3))["result"]
        self.assertEqual([x is not None for x in b["step_results"]], [True, False, True, True, True])
        st, _, _ = self.srv.pipeline(None, [{"type": "batch", "batch": {"steps": steps}}], version=2)
        self.assertEqual(st, 400)


class TestOtherRequests(Base):
    def test_sequence(self):
        self.table("s", "CREATE TABLE s(a)")
        r = self.one({"type": "sequence", "sql": "INSERT INTO s VALUES (1); INSERT INTO s VALUES (2);"
                                                 " CREATE TRIGGER tr AFTER INSERT ON s BEGIN SELECT 1; END;"},
                     {"type": "sequence", "sql": "INSERT INTO s VALUES (3); INSERT INTO nope VALUES (1);"
                                                 " INSERT INTO s VALUES (4)"},
                     {"type": "sequence", "sql": "INSERT INTO s VALUES (5); SELEC"},
                     ex("SELECT group_concat(a) FROM s"))
        self.assertEqual(res(r, 0), {"type": "sequence"})
        self.assertEqual(err(r, 1)["code"], "SQLITE_UNKNOWN")
        self.assertEqual(err(r, 2)["code"], "SQL_PARSE_ERROR")
        self.assertEqual(res(r, 3)["result"]["rows"], [[T("1,2,3")]])

    def test_describe(self):
        self.table("d", "CREATE TABLE d(id INTEGER, name TEXT)")
        r = self.one({"type": "describe", "sql": "SELECT id, name FROM d WHERE id = :x AND name = ?"},
                     {"type": "describe", "sql": "INSERT INTO d VALUES (1, 'a')"},
                     {"type": "describe", "sql": "EXPLAIN SELECT 1"},
                     {"type": "describe", "sql": "SELEC"})
        d = res(r, 0)["result"]
        self.assertEqual(d["params"], [{"name": ":x"}, {"name": None}])
        self.assertEqual(d["cols"], [{"name": "id", "decltype": "INTEGER"}, {"name": "name", "decltype": "TEXT"}])
        self.assertEqual((d["is_explain"], d["is_readonly"]), (False, True))
        self.assertFalse(res(r, 1)["result"]["is_readonly"])
        self.assertTrue(res(r, 2)["result"]["is_explain"])
        self.assertEqual(err(r, 3)["code"], "SQL_INPUT_ERROR")

    def test_store_sql_limits(self):
        reqs = [{"type": "store_sql", "sql_id": i, "sql": "SELECT 1"} for i in range(51)]
        reqs += [{"type": "store_sql", "sql_id": 100, "sql": "SELECT '" + "x" * 5000 + "'"},
                 {"type": "close_sql", "sql_id": 0},
                 {"type": "store_sql", "sql_id": 100, "sql": "SELECT '" + "x" * 5000 + "'"},
                 {"type": "close_sql", "sql_id": 1},
                 {"type": "store_sql", "sql_id": 101, "sql": "SELECT 101"},
                 ex(None, sql_id=101), CLOSE]
        r = self.srv.ok(None, reqs)
        self.assertEqual(err(r, 50)["code"], "SQL_STORE_TOO_MANY")
        self.assertEqual(err(r, 51)["code"], "SQL_STORE_TOO_MANY")
        self.assertEqual(err(r, 53)["code"], "SQL_STORE_TOO_LARGE")
        self.assertEqual(res(r, 56)["result"]["rows"], [[I(101)]])

    def test_store_sql_protocol_errors_and_scope(self):
        r = self.srv.ok(None, [{"type": "store_sql", "sql_id": 7, "sql": "SELECT 7"}])
        baton = r["baton"]
        st, _, body = self.srv.pipeline(None, [ex(None, sql_id=7)])  # other stream
        self.assertEqual((st, body), (400, b"SQL text 7 not found"))
        st, _, body = self.srv.pipeline(baton, [{"type": "store_sql", "sql_id": 7, "sql": "SELECT 8"}])
        self.assertEqual((st, body), (400, b"SQL text 7 already exists"))
        # the protocol error dropped the stream
        st, _, body = self.srv.pipeline(baton, [CLOSE])
        self.assertEqual(st, 400)
        st, _, body = self.srv.pipeline(None, [ex("SELECT 1", sql_id=1)])
        self.assertEqual(st, 400)

    def test_get_autocommit(self):
        r = self.srv.ok(None, [{"type": "get_autocommit"}, ex("BEGIN"), {"type": "get_autocommit"},
                               ex("COMMIT"), {"type": "get_autocommit"}, CLOSE], version=3)
        self.assertEqual([res(r, i)["is_autocommit"] for i in (0, 2, 4)], [True, False, True])
        st, _, _ = self.srv.pipeline(None, [{"type": "get_autocommit"}], version=2)
        self.assertEqual(st, 400)

    def test_request_after_close_in_same_pipeline(self):
        st, _, body = self.srv.pipeline(None, [CLOSE, ex("SELECT 1")])
        self.assertEqual((st, body), (400, b"Stream for this baton was closed"))


class TestStreams(Base):
    def test_batons_and_transactions(self):
        self.table("acct", "CREATE TABLE acct(v)")
        r1 = self.srv.ok(None, [ex("BEGIN"), ex("INSERT INTO acct VALUES (1)")])
        b1 = r1["baton"]
        self.assertIsInstance(b1, str)
        self.assertNotIn("=", b1)
        # other streams do not see the uncommitted row
        other = self.one(ex("SELECT count(*) FROM acct"))
        self.assertEqual(res(other)["result"]["rows"], [[I(0)]])
        r2 = self.srv.ok(b1, [ex("INSERT INTO acct VALUES (2)")])
        b2 = r2["baton"]
        self.assertNotEqual(b1, b2)
        # the old baton is refused, the stream survives
        st, ct, body = self.srv.pipeline(b1, [ex("SELECT 1")])
        self.assertEqual((st, ct, body), (400, "text/plain", b"Received a baton that has already been used"))
        st, _, body = self.srv.pipeline("garbage", [ex("SELECT 1")])
        self.assertEqual((st, body), (400, b"Received an invalid baton"))
        r3 = self.srv.ok(b2, [ex("COMMIT"), CLOSE])
        self.assertIsNone(r3["baton"])
        other = self.one(ex("SELECT count(*) FROM acct"))
        self.assertEqual(res(other)["result"]["rows"], [[I(2)]])
        # a closed stream's baton is unknown
        st, _, body = self.srv.pipeline(b2, [ex("SELECT 1")])
        self.assertEqual(st, 400)

    def test_close_rolls_back(self):
        self.table("rb", "CREATE TABLE rb(v)")
        r = self.srv.ok(None, [ex("BEGIN"), ex("INSERT INTO rb VALUES (1)")])
        self.srv.ok(r["baton"], [CLOSE])
        self.assertEqual(res(self.one(ex("SELECT count(*) FROM rb")))["result"]["rows"], [[I(0)]])

    def test_base_url_control(self):
        self.srv.control(base_url="http://127.0.0.1:1/")
        r = self.srv.ok(None, [CLOSE])
        self.assertEqual(r["base_url"], "http://127.0.0.1:1/")


class TestExpiryAndLocking(Base):
    args = ("--db", ":memory:", "--stream-expiry-secs", "0.4", "--busy-timeout-ms", "200")

    def test_expiry(self):
        self.table("e", "CREATE TABLE e(v)")
        r = self.srv.ok(None, [ex("BEGIN IMMEDIATE"), ex("INSERT INTO e VALUES (1)")])
        time.sleep(0.25)
        r = self.srv.ok(r["baton"], [ex("SELECT 1")])  # a request resets the idle timer
        time.sleep(0.25)
        r = self.srv.ok(r["baton"], [ex("SELECT 1")])
        time.sleep(0.6)
        st, ct, body = self.srv.pipeline(r["baton"], [ex("SELECT 1")])
        self.assertEqual((st, ct), (400, "application/json"))  # sqld 0.24.32: 400
        self.assertEqual(json.loads(body), {"message": "The stream has expired due to inactivity",
                                            "code": "STREAM_EXPIRED"})
        # the transaction was rolled back and the write lock released
        r = self.one(ex("INSERT INTO e VALUES (2)"), ex("SELECT count(*) FROM e"))
        self.assertEqual(res(r, 1)["result"]["rows"], [[I(1)]])
        self.assertGreaterEqual(self.srv.stats()["streams_expired"], 1)

    def test_concurrent_writer_gets_busy(self):
        self.table("w", "CREATE TABLE w(v)")
        r = self.srv.ok(None, [ex("BEGIN IMMEDIATE"), ex("INSERT INTO w VALUES (1)")])
        t0 = time.monotonic()
        r2 = self.one(ex("INSERT INTO w VALUES (2)"), ex("SELECT count(*) FROM w"))
        self.assertGreaterEqual(time.monotonic() - t0, 0.15)
        self.assertEqual(err(r2), {"message": "SQLite error: database is locked", "code": "SQLITE_BUSY"})
        self.assertEqual(res(r2, 1)["result"]["rows"], [[I(0)]])  # readers are not blocked (WAL)
        self.srv.ok(r["baton"], [ex("COMMIT"), CLOSE])

    def test_parallel_streams(self):
        self.table("par", "CREATE TABLE par(v)")
        errors = []

        def worker(i):
            try:
                self.one(ex("INSERT INTO par VALUES (?)", args=[I(i)]))
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        ts = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(res(self.one(ex("SELECT count(*) FROM par")))["result"]["rows"], [[I(10)]])


class TestAuth(Base):
    args = ("--db", ":memory:", "--auth-token", "s3cret")

    def test_auth(self):
        st, ct, body = self.srv.pipeline(None, [ex("SELECT 1"), CLOSE])
        self.assertEqual((st, ct), (401, "application/json"))
        self.assertIn("Expected authorization header but none given", json.loads(body)["error"])
        st, _, body = self.srv.pipeline(None, [ex("SELECT 1"), CLOSE], headers={"Authorization": "Bearer nope"})
        self.assertEqual((st, json.loads(body)), (401, {"error": "Unauthorized: `The JWT is invalid`"}))
        st, _, _ = self.srv.pipeline(None, [ex("SELECT 1"), CLOSE], headers={"Authorization": "Basic s3cret"})
        self.assertEqual(st, 401)
        self.srv.ok(None, [ex("SELECT 1"), CLOSE], headers={"Authorization": "Bearer s3cret"})
        self.assertEqual(self.srv.request("GET", "/v2")[0], 200)
        self.assertEqual(self.srv.stats()["last_pipeline_headers"]["authorization"], "Bearer s3cret")


class TestFaults(Base):
    def test_delay(self):
        self.srv.control(delay_ms=150)
        t0 = time.monotonic()
        self.srv.ok(None, [CLOSE])
        self.assertGreaterEqual(time.monotonic() - t0, 0.14)
        self.srv.control(reset=True)
        t0 = time.monotonic()
        self.srv.ok(None, [CLOSE])
        self.assertLess(time.monotonic() - t0, 0.14)

    def test_http_errors(self):
        self.srv.control(fault="http_500")
        st, ct, _ = self.srv.pipeline(None, [CLOSE])
        self.assertEqual((st, ct), (500, "text/plain"))
        self.srv.ok(None, [CLOSE])  # one-shot
        self.srv.control(fault="http_401")
        st, ct, body = self.srv.pipeline(None, [CLOSE])
        self.assertEqual((st, ct), (401, "application/json"))
        self.assertIn("error", json.loads(body))
        self.srv.control(fault="http_502")
        st, ct, body = self.srv.pipeline(None, [CLOSE])
        self.assertEqual((st, ct), (502, "text/html"))

    def test_count_and_skip(self):
        self.srv.control(fault="http_500", count=2, skip=1)
        got = [self.srv.pipeline(None, [CLOSE])[0] for _ in range(4)]
        self.assertEqual(got, [200, 500, 500, 200])
        self.srv.control(fault="http_500", count=5)
        self.srv.control(reset=True)
        self.assertEqual(self.srv.pipeline(None, [CLOSE])[0], 200)

    def test_before_fault_leaves_stream_untouched(self):
        r = self.srv.ok(None, [ex("SELECT 1")])
        self.srv.control(fault="http_500")
        self.assertEqual(self.srv.pipeline(r["baton"], [ex("SELECT 2")])[0], 500)
        self.srv.ok(r["baton"], [CLOSE])  # same baton still valid

    def test_body_faults(self):
        self.srv.control(fault="truncated_json")
        st, ct, body = self.srv.pipeline(None, [ex("SELECT 1"), CLOSE])
        self.assertEqual((st, ct), (200, "application/json"))
        self.assertRaises(ValueError, json.loads, body)
        self.srv.control(fault="garbage_body")
        st, _, body = self.srv.pipeline(None, [CLOSE])
        self.assertEqual(st, 200)
        self.assertRaises(ValueError, lambda: json.loads(body))
        self.srv.control(fault="truncated_body")
        with self.assertRaises(http.client.IncompleteRead):
            self.srv.pipeline(None, [ex("SELECT 1"), CLOSE])

    def test_drop_connection(self):
        self.srv.control(fault="drop_connection")
        with self.assertRaises(http.client.RemoteDisconnected):
            self.srv.pipeline(None, [CLOSE])
        self.srv.ok(None, [CLOSE])

    def test_drop_after_execution(self):
        self.table("da", "CREATE TABLE da(v)")
        self.srv.control(fault="drop_connection", when="after")
        with self.assertRaises(http.client.RemoteDisconnected):
            self.srv.pipeline(None, [ex("INSERT INTO da VALUES (1)"), CLOSE])
        self.assertEqual(res(self.one(ex("SELECT count(*) FROM da")))["result"]["rows"], [[I(1)]])

    def test_reset(self):
        self.srv.control(fault="reset")
        with self.assertRaises(ConnectionResetError):
            self.srv.pipeline(None, [CLOSE])

    def test_hang(self):
        self.srv.control(fault="hang")
        with self.assertRaises(socket.timeout):
            self.srv.pipeline(None, [CLOSE], timeout=0.3)
        # a hung request is released by reset; the server still answers
        self.srv.control(reset=True)
        self.srv.ok(None, [CLOSE])

    def test_expire_baton(self):
        self.srv.ok(None, [CLOSE])  # requests without a baton do not consume the fault
        self.srv.control(fault="expire_baton")
        r = self.srv.ok(None, [ex("SELECT 1")])
        st, ct, body = self.srv.pipeline(r["baton"], [ex("SELECT 1")])
        self.assertEqual((st, ct), (400, "application/json"))  # sqld 0.24.32: 400
        self.assertEqual(json.loads(body)["code"], "STREAM_EXPIRED")
        st, _, body = self.srv.pipeline(r["baton"], [CLOSE])  # really expired now
        self.assertEqual(json.loads(body)["code"], "STREAM_EXPIRED")

    def test_unknown_fault(self):
        st, _, _ = self.srv.request("POST", "/_control", {"fault": "nope"})
        self.assertEqual(st, 400)


class TestFileDb(unittest.TestCase):
    def test_file_db_persists_and_uses_wal(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "x.db")
            srv = ServerProc("--db", path)
            try:
                srv.ok(None, [ex("CREATE TABLE f(v)"), ex("INSERT INTO f VALUES (1)"), CLOSE])
                r = srv.ok(None, [ex("PRAGMA journal_mode"), CLOSE])
                self.assertEqual(res(r)["result"]["rows"], [[T("wal")]])
            finally:
                self.assertEqual(srv.stop(), 0)
            srv = ServerProc("--db", path)
            try:
                r = srv.ok(None, [ex("SELECT v FROM f"), CLOSE])
                self.assertEqual(res(r)["result"]["rows"], [[I(1)]])
            finally:
                self.assertEqual(srv.stop(), 0)

    def test_memory_tempdir_removed(self):
        srv = ServerProc("--db", ":memory:")
        st = srv.stats()
        self.assertEqual(st["open_streams"], 0)
        self.assertTrue(os.path.exists(st["db_path"]))
        self.assertEqual(srv.stop(), 0)
        self.assertFalse(os.path.exists(os.path.dirname(st["db_path"])))


if __name__ == "__main__":
    unittest.main()
