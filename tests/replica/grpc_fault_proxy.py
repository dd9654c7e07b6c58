#!/usr/bin/env python3
"""A tiny HTTP/1.1 forwarding proxy in front of sqld, for the replica's fault tests.

Usage: grpc_fault_proxy.py PORT UPSTREAM_PORT   (listens on 127.0.0.1:PORT; prints "ready")

Control (answered by the proxy itself, never forwarded):
  GET /_target?port=N   forward to 127.0.0.1:N from now on (a restarted, empty sqld)
  GET /_fault?mode=M    M applies to gRPC-web replication calls (/wal_log.*) until changed:
    none        forward as is
    down        close the connection without an answer (the primary is down)
    truncate    send the answer with its body cut in half (Content-Length says so)
    bad_status  replace the trailer with grpc-status 13 (INTERNAL)
    no_trailer  drop the trailer frame
    snapshot_not_found  (with &n=N) the next N Snapshot calls answer, without being forwarded,
                what sqld answers while it still writes the snapshot of a log it just
                compacted (trailers-only grpc-status 14 "snapshot not found"); then none
  GET /_stats           JSON: calls per gRPC method
Everything else (Hrana, /info, ...) is forwarded as is.
"""
import http.client
import json
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

STATE = {"upstream": int(sys.argv[2]), "mode": "none", "left": 0, "stats": {}}
LOCK = threading.Lock()
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def read_body(handler):
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        out = b""
        for _ in range(1 << 20):  # bounded
            size = int(handler.rfile.readline().strip().split(b";")[0], 16)
            if size == 0:
                handler.rfile.readline()
                return out
            out += handler.rfile.read(size)
            handler.rfile.readline()
        return out
    n = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(n) if n else b""


def grpc_frames(body):
    frames, pos = [], 0
    while pos + 5 <= len(body):
        n = int.from_bytes(body[pos + 1:pos + 5], "big")
        frames.append((body[pos], body[pos + 5:pos + 5 + n]))
        pos += 5 + n
    return frames


def encode(frames):
    return b"".join(bytes([f]) + len(p).to_bytes(4, "big") + p for f, p in frames)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def control(self, url):
        q = parse_qs(url.query)
        with LOCK:
            if url.path == "/_target":
                STATE["upstream"] = int(q["port"][0])
            elif url.path == "/_fault":
                STATE["mode"] = q["mode"][0]
                STATE["left"] = int(q.get("n", ["0"])[0])
            body = json.dumps(STATE["stats"] if url.path == "/_stats" else {"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def forward(self):
        url = urlparse(self.path)
        if url.path.startswith("/_"):
            return self.control(url)
        body = read_body(self)
        grpc = url.path.startswith("/wal_log.")
        with LOCK:
            upstream, mode = STATE["upstream"], STATE["mode"] if grpc else "none"
            if grpc:
                method = url.path.rsplit("/", 1)[-1]
                STATE["stats"][method] = STATE["stats"].get(method, 0) + 1
                if mode == "snapshot_not_found":
                    if method != "Snapshot" or STATE["left"] <= 0:
                        mode = "none"
                    else:
                        STATE["left"] -= 1
                        if STATE["left"] == 0:
                            STATE["mode"] = "none"
        if mode == "snapshot_not_found":
            self.send_response(200)
            self.send_header("Content-Type", "application/grpc-web+proto")
            self.send_header("grpc-status", "14")
            self.send_header("grpc-message", "snapshot%20not%20found")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode == "down":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
            conn.request(self.command, self.path, body=body if self.command != "GET" else None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            status, rheaders = resp.status, [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP]
        except OSError:
            self.send_error(502)
            return
        finally:
            conn.close()
        if mode == "bad_status" and data:
            frames = [f for f in grpc_frames(data) if not f[0] & 0x80]
            data = encode(frames + [(0x80, b"grpc-status:13\r\ngrpc-message:injected%20fault\r\n")])
        elif mode == "no_trailer" and data:
            data = encode([f for f in grpc_frames(data) if not f[0] & 0x80])
        self.send_response(status)
        for k, v in rheaders:
            self.send_header(k, v)
        if mode == "truncate":
            cut = data[: len(data) // 2]
            self.send_header("Content-Length", str(len(cut)))
            self.end_headers()
            self.wfile.write(cut)
            return
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = forward
    do_POST = forward


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    server = Server(("127.0.0.1", int(sys.argv[1])), Handler)
    print("ready", flush=True)
    server.serve_forever()
