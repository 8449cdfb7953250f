#!/usr/bin/env python3
"""HTTP/1.1 forwarding proxy that injects S3 faults, for Ferry's retry tests.

    fault_proxy.py --upstream http://127.0.0.1:PORT --ready-file F --log-file L
                   [--port 0] [--rules JSON|@FILE] [--random-rate R --seed S]
                   [--parent-pid PID]

Clients use it as their S3 endpoint (path-style, SigV4 signed for the proxy's
host:port).  The request line, headers (Host exactly as received, since the
signature covers it) and body go to the upstream byte for byte; bodies are
streamed (Content-Length or Transfer-Encoding: chunked, forwarded as received).
The response's status line, headers and body come back unchanged, except the
hop-by-hop Connection/Keep-Alive headers: moto (werkzeug) closes every
connection, the proxy keeps its client connections alive anyway and opens a
new upstream connection when the old one was closed.  `Expect: 100-continue`
is honoured (the upstream's 100 is relayed).

Rules, a JSON list; each request is checked against every rule in order:
    [{"method": "PUT", "query_contains": "partNumber=2", "nth": 1, "action": "slowdown"},
     {"method": "PUT", "path_contains": "/bench/", "nth": 2, "count": 3, "action": "drop"}]
  method, path_contains, query_contains: optional filters (all given must hold).
  header_absent: a header name; the rule holds only for requests without it
  (e.g. "x-amz-server-side-encryption" acts as a bucket policy that denies
  unencrypted uploads).
  nth (1-based, default 1) and count (default 1): the nth .. nth+count-1 matching
  requests get the action.  The first rule that fires wins.
Actions (the request body is always read and discarded first):
  slowdown  503 <Error><Code>SlowDown</Code>...
  internal  500 <Error><Code>InternalError</Code>...
  denied    403 <Error><Code>AccessDenied</Code>... (a permission the key lacks)
  drop      close the connection without answering.
  silent    never answer; the connection stays open until the client closes it.
  ok-no-etag     200 with an empty body and no ETag header.
  ok-error-body  200 with <Error><Code>InternalError</Code>... as its body.
--random-rate R --seed S: requests no rule fired for get slowdown or drop (50/50)
with probability R; deterministic for a given seed and request order.

Writes the listening port (decimal, newline) to --ready-file atomically once
listening.  Appends one JSON line per request to --log-file, before acting:
    {"method": "PUT", "path": "/ferry-test/k", "query": "partNumber=2&uploadId=x", "action": "forward"}
(path and query raw as received; action as in the rules, or forward).
Stops on SIGTERM/SIGINT or when --parent-pid dies (polled every second).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import select
import signal
import socket
import socketserver
import sys
import threading
from email.utils import formatdate
from urllib.parse import urlsplit

CHUNK = 1 << 20
MAX_HEAD = 64 * 1024

ERRORS = {
    "slowdown": (503, "Slow Down", "SlowDown", "Please reduce your request rate."),
    "internal": (500, "Internal Server Error", "InternalError",
                 "We encountered an internal error. Please try again."),
    "denied": (403, "Forbidden", "AccessDenied", "Access Denied"),
}
OK_ANSWERS = {
    "ok-no-etag": b"",
    "ok-error-body": (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code>'
                      b"<Message>We encountered an internal error. Please try again.</Message>"
                      b"<RequestId>proxy</RequestId></Error>"),
}
ACTIONS = {"forward", "drop", "silent", *ERRORS, *OK_ANSWERS}


class Head:
    """A request or response head: first line and header lines, kept raw."""

    def __init__(self, first: bytes, lines: list[bytes]):
        self.first = first
        self.lines = lines
        self.headers: list[tuple[str, str]] = []
        for line in lines:
            name, _, value = line.decode("latin-1").partition(":")
            self.headers.append((name.strip().lower(), value.strip()))

    def get(self, name: str) -> str | None:
        values = [v for n, v in self.headers if n == name]
        return ",".join(values) if values else None

    def tokens(self, name: str) -> set[str]:
        return {t.strip().lower() for t in (self.get(name) or "").split(",") if t.strip()}

    def raw(self, drop: set[str] = frozenset(), extra: list[bytes] = ()) -> bytes:  # type: ignore[assignment]
        kept = [l for l, (n, _) in zip(self.lines, self.headers) if n not in drop]
        return self.first + b"".join(kept) + b"".join(extra) + b"\r\n"


def read_head(f) -> Head | None:  # type: ignore[no-untyped-def]
    first = f.readline(MAX_HEAD)
    while first in (b"\r\n", b"\n"):  # tolerate stray CRLF between requests
        first = f.readline(MAX_HEAD)
    if not first:
        return None
    lines, size = [], len(first)
    while True:
        line = f.readline(MAX_HEAD)
        size += len(line)
        if not line:
            raise ConnectionError("connection closed inside a message head")
        if size > MAX_HEAD:
            raise ValueError("message head too large")
        if line in (b"\r\n", b"\n"):
            return Head(first, lines)
        lines.append(line)


def copy_body(src, head: Head, sink) -> None:  # type: ignore[no-untyped-def]
    """Copy (sink is a callable) or discard (sink None) a message body framed by
    Transfer-Encoding: chunked or Content-Length, exactly as it is on the wire."""
    out = sink or (lambda _b: None)
    if "chunked" in head.tokens("transfer-encoding"):
        while True:
            line = src.readline(MAX_HEAD)
            if not line:
                raise ConnectionError("connection closed inside a chunked body")
            out(line)
            size = int(line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while True:  # trailers, then the empty line
                    line = src.readline(MAX_HEAD)
                    if not line:
                        raise ConnectionError("connection closed inside chunked trailers")
                    out(line)
                    if line in (b"\r\n", b"\n"):
                        return
            copy_exactly(src, size + 2, out)  # data + CRLF
    else:
        copy_exactly(src, int(head.get("content-length") or 0), out)


def copy_exactly(src, n: int, out) -> None:  # type: ignore[no-untyped-def]
    while n > 0:
        data = src.read(min(n, CHUNK))
        if not data:
            raise ConnectionError(f"connection closed with {n} body bytes missing")
        out(data)
        n -= len(data)


def has_body(head: Head) -> bool:
    return ("chunked" in head.tokens("transfer-encoding")
            or int(head.get("content-length") or 0) > 0)


class Faults:
    def __init__(self, rules: list[dict], rate: float, seed: int, log_file: str):
        for rule in rules:
            unknown = set(rule) - {"method", "path_contains", "query_contains", "header_absent",
                                   "nth", "count", "action"}
            if unknown or rule.get("action") not in ACTIONS:
                raise ValueError(f"bad rule {rule!r}: keys method, path_contains, query_contains, "
                                 f"header_absent, nth, count, action; action one of {sorted(ACTIONS)}")
        self.rules = rules
        self.matches = [0] * len(rules)
        self.rate = rate
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.log = open(log_file, "a", buffering=1) if log_file else None

    def decide(self, method: str, path: str, query: str, head: Head | None = None) -> str:
        with self.lock:
            action = None
            for i, rule in enumerate(self.rules):
                if (rule.get("method", method).upper() == method.upper()
                        and rule.get("path_contains", "") in path
                        and rule.get("query_contains", "") in query
                        and ("header_absent" not in rule
                             or (head is not None and head.get(rule["header_absent"].lower()) is None))):
                    self.matches[i] += 1
                    nth = int(rule.get("nth", 1))
                    if action is None and nth <= self.matches[i] < nth + int(rule.get("count", 1)):
                        action = rule["action"]
            roll, pick = self.rng.random(), self.rng.random()  # drawn for every request
            if action is None:
                action = ("slowdown" if pick < 0.5 else "drop") if roll < self.rate else "forward"
            if self.log:
                self.log.write(json.dumps({"method": method, "path": path, "query": query,
                                           "action": action}) + "\n")
            return action


class Handler(socketserver.StreamRequestHandler):
    rbufsize = CHUNK
    server: "Proxy"

    def setup(self) -> None:
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.up: socket.socket | None = None
        self.up_r = None

    def finish(self) -> None:
        self._close_upstream()
        try:
            super().finish()
        except OSError:
            pass

    def _close_upstream(self) -> None:
        if self.up is not None:
            try:
                self.up_r.close()  # type: ignore[union-attr]
                self.up.close()
            except OSError:
                pass
        self.up = self.up_r = None

    def _upstream(self) -> socket.socket:
        if self.up is not None:  # reuse only if the upstream did not close it
            readable, _, _ = select.select([self.up], [], [], 0)
            if readable:
                self._close_upstream()
        if self.up is None:
            self.up = socket.create_connection(self.server.upstream, timeout=300)
            self.up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.up_r = self.up.makefile("rb", buffering=CHUNK)
        return self.up

    def handle(self) -> None:
        try:
            while self.handle_one():
                pass
        except (ConnectionError, TimeoutError, OSError) as e:
            if not isinstance(e, (BrokenPipeError, ConnectionResetError)):
                print(f"fault_proxy: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        except ValueError as e:
            print(f"fault_proxy: bad request: {e}", file=sys.stderr, flush=True)

    def handle_one(self) -> bool:
        req = read_head(self.rfile)
        if req is None:
            return False
        parts = req.first.decode("latin-1").split()
        if len(parts) != 3:
            raise ValueError(f"bad request line {req.first!r}")
        method, target, version = parts
        path, _, query = target.partition("?")
        conn = req.tokens("connection")
        keep_alive = ("close" not in conn) if version == "HTTP/1.1" else ("keep-alive" in conn)
        expect = "100-continue" in req.tokens("expect") and has_body(req)

        action = self.server.faults.decide(method, path, query, req)
        if action != "forward":
            if expect:
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            copy_body(self.rfile, req, None)
            if action == "drop":
                self.request.shutdown(socket.SHUT_RDWR)
                return False
            if action == "silent":
                while self.request.recv(CHUNK):
                    pass
                return False
            if action in OK_ANSWERS:
                body = OK_ANSWERS[action]
                head = (f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nx-amz-request-id: proxy\r\n"
                        f"Date: {formatdate(usegmt=True)}\r\nServer: ferry-fault-proxy\r\n"
                        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n").encode()
                self.wfile.write(head + (b"" if method == "HEAD" else body))
                return keep_alive
            status, reason, code, message = ERRORS[action]
            body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                    f"<Message>{message}</Message><RequestId>proxy</RequestId></Error>").encode()
            head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\n"
                    f"Content-Length: {len(body)}\r\nx-amz-request-id: proxy\r\n"
                    f"Date: {formatdate(usegmt=True)}\r\nServer: ferry-fault-proxy\r\n"
                    f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n").encode()
            self.wfile.write(head + (b"" if method == "HEAD" else body))
            return keep_alive

        try:
            up = self._upstream()
        except OSError as e:
            body = f"fault_proxy: upstream {self.server.upstream} unreachable: {e}\n".encode()
            copy_body(self.rfile, req, None)
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\n"
                             b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
            return False
        up.sendall(req.raw())
        resp = None
        if expect and select.select([up], [], [], 2.0)[0]:
            resp = read_head(self.up_r)
            if resp is None:
                raise ConnectionError("upstream closed before answering")
            if resp.first.split()[1:2] == [b"100"]:
                self.wfile.write(resp.raw())
                resp = None
            else:  # a final answer before the body: the client may never send it
                keep_alive = False
        if resp is None:
            copy_body(self.rfile, req, up.sendall)
            resp = read_head(self.up_r)
            while resp is not None and resp.first.split()[1:2] == [b"100"]:
                resp = read_head(self.up_r)  # an unasked-for 100 Continue
            if resp is None:
                raise ConnectionError("upstream closed without answering")
        status = int(resp.first.split()[1])
        upstream_closes = "close" in resp.tokens("connection")
        framed = (method == "HEAD" or status in (204, 304) or 100 <= status < 200
                  or "chunked" in resp.tokens("transfer-encoding")
                  or resp.get("content-length") is not None)
        if not framed:
            keep_alive = False
        self.wfile.write(resp.raw(drop={"connection", "keep-alive"},
                                  extra=[b"Connection: %s\r\n" % (b"keep-alive" if keep_alive else b"close")]))
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            pass
        elif framed:
            copy_body(self.up_r, resp, self.wfile.write)
        else:  # delimited by the upstream closing
            while data := self.up_r.read1(CHUNK):  # type: ignore[union-attr]
                self.wfile.write(data)
            upstream_closes = True
        self.wfile.flush()
        if upstream_closes:
            self._close_upstream()
        return keep_alive


class Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, port: int, upstream: tuple[str, int], faults: Faults):
        self.upstream = upstream
        self.faults = faults
        super().__init__(("127.0.0.1", port), Handler)


def parent_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def serve_until_stopped(server, ready_file: str, parent_pid: int) -> None:  # type: ignore[no-untyped-def]
    """Serves in a thread, announces the port in ready_file (atomically), and
    returns on SIGTERM/SIGINT or once parent_pid is gone, so a test run that
    dies never leaves a listener behind."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    tmp = f"{ready_file}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(f"{server.server_address[1]}\n")
    os.replace(tmp, ready_file)
    while not stop.wait(1):
        if parent_pid and not parent_alive(parent_pid):
            break
    server.shutdown()
    server.server_close()


def main() -> int:
    p = argparse.ArgumentParser(description="S3 fault-injecting HTTP/1.1 proxy")
    p.add_argument("--upstream", required=True, help="http://HOST:PORT")
    p.add_argument("--ready-file", required=True)
    p.add_argument("--log-file", default="")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--rules", default="[]", help="JSON list, or @FILE holding one")
    p.add_argument("--random-rate", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--parent-pid", type=int, default=0)
    args = p.parse_args()
    try:
        up = urlsplit(args.upstream)
        if up.scheme != "http" or not up.hostname or not up.port:
            raise ValueError(f"--upstream must be http://HOST:PORT, got {args.upstream!r}")
        rules_text = open(args.rules[1:]).read() if args.rules.startswith("@") else args.rules
        rules = json.loads(rules_text)
        if not isinstance(rules, list):
            raise ValueError("--rules must be a JSON list")
        if not 0 <= args.random_rate <= 1:
            raise ValueError("--random-rate must be within 0..1")
        server = Proxy(args.port, (up.hostname, up.port),
                       Faults(rules, args.random_rate, args.seed, args.log_file))
    except (ValueError, OSError) as e:
        print(f"fault_proxy: error: {e}", file=sys.stderr)
        return 2
    serve_until_stopped(server, args.ready_file, args.parent_pid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
