#!/usr/bin/env python3
"""A webhook receiver for Ferry's alert tests.

    webhook_sink.py --ready-file F --log-file L [--status CODE] [--hang] [--parent-pid PID]

Listens on 127.0.0.1 (a free port, written to --ready-file once listening),
answers every POST with --status (default 204) and appends its body as one
line to --log-file, with the request path; with --hang it records the body
and never answers, like a webhook that has stalled.  Stops on SIGTERM/SIGINT or when
--parent-pid dies.
"""

import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fault_proxy import serve_until_stopped


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ready-file", required=True)
    p.add_argument("--log-file", required=True)
    p.add_argument("--status", type=int, default=204)
    p.add_argument("--hang", action="store_true")
    p.add_argument("--parent-pid", type=int, default=0)
    args = p.parse_args()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock, open(args.log_file, "a") as f:
                f.write(json.dumps({"path": self.path, "body": body.decode("utf-8", "replace")}) + "\n")
            if args.hang:
                threading.Event().wait(600)
                return
            self.send_response(args.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    serve_until_stopped(ThreadingHTTPServer(("127.0.0.1", 0), Handler), args.ready_file, args.parent_pid)
    return 0

if __name__ == "__main__":
    sys.exit(main())
