#!/usr/bin/env python3
"""A fake of Turso Cloud's HTTP sync protocol (docs/sync.md, "The offline HTTP protocol"), for
the replica tests. It serves a real SQLite database in WAL mode: its -wal frames as they are.

Usage: turso_cloud_fake.py PORT DB_PATH [TOKEN]
  Listens on 127.0.0.1:PORT (0 = a free port) and prints "ready PORT" when it does. DB_PATH
  is the source database (created if missing). With TOKEN, every protocol route requires
  `Authorization: Bearer TOKEN` (401 otherwise); control routes never do.

Protocol routes (what the official client asks):
  GET /info                    {"current_generation": G}
  GET /export/{g}              the database file as it was when generation g began
  GET /sync/{g}/{start}/{end}  SQLite WAL frames (24-byte header + 4096-byte page) of
                               generation g, frames [start, end), 1-based, at most 128; past
                               the last one: 400 {"status": "checkpoint_needed",
                               "generation": G, "max_frame_no": frames of G}
  Anything else: 404. POST /sync (pushing frames) is not served: 405.

Control routes (never need a token):
  POST /_ctl/exec              the body is an SQL script, run on the source in one
                               transaction; answers {"generation": G, "frames": n}
  POST /_ctl/new_generation    TRUNCATE-checkpoints the source and starts generation G + 1
                               from the checkpointed file (the old generation stays served)
  POST /_ctl/restart           the server's generations start over: generation 1 is the
                               source as it is now (a recreated or restored database)
  POST /_ctl/copy?to=PATH      writes a consistent copy of the source to PATH (backup API)
  POST /_ctl/fault?mode=M[&after=N]  faults for /export and /sync answers, from the
                               (N+1)-th such request on (N defaults to 0):
        none      answer normally
        down      close the connection without an answer
        truncate  send half the body (Content-Length matches the cut)
        error500  a 500 with a non-JSON body
  GET  /_ctl/stats             {"info": n, "export": n, "sync": n, "frames_served": n}

The source's WAL never resets within a generation: auto-checkpoint is off and this process
keeps its connection open, so frames only accumulate. Frames are read from the -wal file and
checked (magic, salts, checksums) up to the last commit frame, as SQLite's recovery would.
"""
import json
import os
import sqlite3
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PAGE_SIZE = 4096
FRAME_SIZE = 24 + PAGE_SIZE
MAX_FRAMES_PER_ANSWER = 128


def wal_checksum(data, s0, s1, big_endian):
    fmt = ">%dI" if big_endian else "<%dI"
    words = struct.unpack(fmt % (len(data) // 4), data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def committed_frames(wal_path):
    """The frames of a WAL file up to its last valid commit frame, as bytes objects."""
    try:
        with open(wal_path, "rb") as f:
            wal = f.read()
    except FileNotFoundError:
        return []
    if len(wal) < 32:
        return []
    magic, _version, page_size, _seq, salt1, salt2, c1, c2 = struct.unpack(">8I", wal[:32])
    if magic not in (0x377F0682, 0x377F0683) or page_size != PAGE_SIZE:
        return []
    big = magic & 1
    s0, s1 = wal_checksum(wal[:24], 0, 0, big)
    if (s0, s1) != (c1, c2):
        return []
    frames, valid = [], 0
    pos = 32
    while pos + FRAME_SIZE <= len(wal):  # bounded by the file size
        frame = wal[pos:pos + FRAME_SIZE]
        page_no, commit, fs1, fs2, fc1, fc2 = struct.unpack(">6I", frame[:24])
        if page_no == 0 or (fs1, fs2) != (salt1, salt2):
            break
        s0, s1 = wal_checksum(frame[:8], s0, s1, big)
        s0, s1 = wal_checksum(frame[24:], s0, s1, big)
        if (s0, s1) != (fc1, fc2):
            break
        frames.append(frame)
        if commit:
            valid = len(frames)
        pos += FRAME_SIZE
    return frames[:valid]


class Source:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA page_size=4096")
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA wal_autocheckpoint=0")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with open(path, "rb") as f:
            snapshot = f.read()
        self.generation = 1
        self.generations = {1: {"snapshot": snapshot, "frames": []}}
        self.refresh()
        self.fault = {"mode": "none", "after": 0}
        self.stats = {"info": 0, "export": 0, "sync": 0, "frames_served": 0}

    def refresh(self):
        self.generations[self.generation]["frames"] = committed_frames(self.path + "-wal")

    def exec(self, sql):
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                # executescript would commit first; run the statements one by one instead.
                for stmt in split_sql(sql):
                    self.db.execute(stmt)
                self.db.execute("COMMIT")
            except Exception:
                self.db.execute("ROLLBACK")
                raise
            self.refresh()
            return {"generation": self.generation, "frames": len(self.generations[self.generation]["frames"])}

    def new_generation(self):
        with self.lock:
            busy, _log, _done = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy:
                raise RuntimeError("checkpoint busy")
            with open(self.path, "rb") as f:
                snapshot = f.read()
            self.generation += 1
            self.generations[self.generation] = {"snapshot": snapshot, "frames": []}
            self.refresh()
            return {"generation": self.generation}

    def restart(self):
        with self.lock:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            with open(self.path, "rb") as f:
                snapshot = f.read()
            self.generation = 1
            self.generations = {1: {"snapshot": snapshot, "frames": []}}
            self.refresh()
            return {"generation": 1}

    def copy(self, to):
        with self.lock:
            dest = sqlite3.connect(to)
            try:
                self.db.backup(dest)
            finally:
                dest.close()
            return {"ok": True}


def split_sql(sql):
    """Statements of a script (sqlite3.complete_statement decides where one ends)."""
    out, cur = [], ""
    for piece in sql.split(";"):
        cur += piece + ";"
        if sqlite3.complete_statement(cur):
            if cur.strip(" \t\r\n;"):
                out.append(cur)
            cur = ""
    return out


SOURCE = None
TOKEN = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if os.environ.get("TURSO_CLOUD_FAKE_LOG"):
            sys.stderr.write("fake: " + (fmt % args) + "\n")

    def reply(self, status, body, content_type="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def control(self, url):
        q = parse_qs(url.query)
        try:
            if url.path == "/_ctl/exec":
                return self.reply(200, SOURCE.exec(self.read_body().decode()))
            if url.path == "/_ctl/new_generation":
                return self.reply(200, SOURCE.new_generation())
            if url.path == "/_ctl/restart":
                return self.reply(200, SOURCE.restart())
            if url.path == "/_ctl/copy":
                return self.reply(200, SOURCE.copy(q["to"][0]))
            if url.path == "/_ctl/fault":
                with SOURCE.lock:
                    SOURCE.fault = {"mode": q["mode"][0], "after": int(q.get("after", ["0"])[0])}
                return self.reply(200, {"ok": True})
            if url.path == "/_ctl/stats":
                with SOURCE.lock:
                    return self.reply(200, dict(SOURCE.stats))
        except Exception as e:  # the test sees the message
            return self.reply(500, {"error": str(e)})
        return self.reply(404, {"error": "no such control route"})

    def faulted(self):
        """Applies the fault to this /export or /sync request; returns the mode to apply."""
        with SOURCE.lock:
            f = SOURCE.fault
            if f["mode"] == "none":
                return "none"
            if f["after"] > 0:
                f["after"] -= 1
                return "none"
            return f["mode"]

    def send_data(self, status, body, content_type):
        mode = self.faulted()
        if mode == "down":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if mode == "error500":
            return self.reply(500, b"injected fault", "text/plain")
        if mode == "truncate":
            body = body[: len(body) // 2 + 1]
        self.reply(status, body, content_type)

    def handle_request(self):
        url = urlparse(self.path)
        if url.path.startswith("/_ctl/"):
            return self.control(url)
        self.read_body()
        if TOKEN is not None and self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.reply(401, {"error": "Unauthorized"})
        parts = url.path.strip("/").split("/")
        if self.command == "GET" and parts == ["info"]:
            with SOURCE.lock:
                SOURCE.stats["info"] += 1
                gen = SOURCE.generation
            return self.reply(200, {"current_generation": gen})
        if self.command == "GET" and len(parts) == 2 and parts[0] == "export" and parts[1].isdigit():
            with SOURCE.lock:
                SOURCE.stats["export"] += 1
                g = SOURCE.generations.get(int(parts[1]))
                snapshot = g["snapshot"] if g else None
            if snapshot is None:
                return self.reply(404, {"error": "generation not found"})
            return self.send_data(200, snapshot, "application/octet-stream")
        if len(parts) >= 4 and parts[0] == "sync" and all(p.isdigit() for p in parts[1:4]):
            if self.command != "GET":
                return self.reply(405, {"error": "pushing frames is not served by this fake"})
            gen, start, end = (int(p) for p in parts[1:4])
            with SOURCE.lock:
                SOURCE.stats["sync"] += 1
                g = SOURCE.generations.get(gen)
                if g is None:
                    return self.reply(404, {"error": "generation not found"})
                end = min(end, start + MAX_FRAMES_PER_ANSWER)
                frames = g["frames"][max(start, 1) - 1:max(end, 1) - 1] if start >= 1 else []
                current = SOURCE.generation
                current_max = len(SOURCE.generations[current]["frames"])
                SOURCE.stats["frames_served"] += len(frames)
            if not frames:
                return self.reply(400, {"status": "checkpoint_needed", "generation": current,
                                        "max_frame_no": current_max})
            return self.send_data(200, b"".join(frames), "application/octet-stream")
        return self.reply(404, {"error": "not found"})

    do_GET = handle_request
    do_POST = handle_request


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a client that hung up (the tests' faults do that on purpose)


if __name__ == "__main__":
    port, db_path = int(sys.argv[1]), sys.argv[2]
    TOKEN = sys.argv[3] if len(sys.argv) > 3 else None
    SOURCE = Source(db_path)
    server = Server(("127.0.0.1", port), Handler)
    print("ready", server.server_address[1], flush=True)
    server.serve_forever()
