#!/usr/bin/env python3
"""`scripts/bench api`: wrk against `GET /api/v1/runs` of a live `ferry serve --http`.

    bench_api.py --ferry BIN --env ENV.json --work DIR [--connections 64] [--seconds 30] [--perf FILE]

Sets up a workspace with the example profiles, a destination on the moto S3 in
ENV.json, a segment and an activation, records runs with `ferry export --at`
(so the list has pages to serve), then starts `ferry serve --http` with the
scheduler on and an every-3-hours activation falling due during the load, and
runs wrk (Debian package; installed with apt-get when missing) with the given
connections for the given time on the runs list.  Prints requests/s, p50/p99
latency and errors; the goal is p99 under 100 ms with no errors.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def ensure_wrk():
    if shutil.which("wrk"):
        return
    print("installing wrk with apt-get", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    subprocess.check_call(sudo + ["apt-get", "update", "-qq"], env=env)
    subprocess.check_call(sudo + ["apt-get", "install", "-y", "-qq", "wrk"], env=env)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ferry", required=True)
    parser.add_argument("--env", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--runs", type=int, default=40, help="runs recorded before the load")
    parser.add_argument("--perf", help="also record the server with `perf record -g` during the load into this file")
    args = parser.parse_args()
    ensure_wrk()
    s3 = json.load(open(args.env))
    keys = s3["users"]["full"]
    env = dict(os.environ, FERRY_WORKSPACE=os.path.join(args.work, "workspace"), AWS_ENDPOINT_URL=s3["endpoint"],
               AWS_REGION=s3["region"], AWS_ACCESS_KEY_ID=keys["accessKeyId"],
               AWS_SECRET_ACCESS_KEY=keys["secretAccessKey"])

    def ferry(*a):
        return subprocess.run([args.ferry, *a], env=env, check=True, capture_output=True, text=True).stdout

    ferry("profiles", "import", os.path.join(ROOT, "examples", "profiles.jsonl"))
    ferry("destinations", "create", "bench", "--bucket", s3["bucket"], "--folder-path", "bench-api/%SEGMENT_NAME%")
    ferry("segments", "create", "gold", "--pql", 'loyalty.tier = "gold"')
    ferry("segments", "evaluate", "gold")
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    ferry("activations", "create", "history", "--destination", "bench", "--segment", "gold",
          "--map", "identityMap.Email=email", "--frequency", "daily", "--start", "2026-01-01T00:00:00Z")
    started = time.time()
    for i in range(args.runs):
        at = (now - datetime.timedelta(days=args.runs - i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        ferry("export", "history", "--at", at)
    print(f"recorded {args.runs} runs in {time.time() - started:.1f} s", file=sys.stderr)
    # Falls due a few seconds into the load, so the scheduler exports while wrk runs.
    due = (now + datetime.timedelta(seconds=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ferry("activations", "create", "live", "--destination", "bench", "--segment", "gold",
          "--map", "identityMap.Email=email", "--frequency", "every-3-hours", "--start", due,
          "--file-name", "live_%SEGMENT_ID%_%DESTINATION_NAME%_%TIMESTAMP%")
    token = ferry("tokens", "create", "bench", "--read-only").strip()

    port = free_port()
    log = open(os.path.join(args.work, "serve.log"), "w")
    server = subprocess.Popen([args.ferry, "serve", "--http", f"127.0.0.1:{port}", "--poll-seconds", "2"],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        url = f"http://127.0.0.1:{port}/api/v1/runs?limit=20"
        threads = min(args.connections, max(2, os.cpu_count() or 2))
        command = ["wrk", "-t", str(threads), "-c", str(args.connections), "-d", f"{args.seconds}s", "--latency",
                   "-H", f"Authorization: Bearer {token}", url]
        print("running: wrk -t %d -c %d -d %ds --latency -H 'Authorization: Bearer ***' %s"
              % (threads, args.connections, args.seconds, url), file=sys.stderr)
        profiler = None
        if args.perf:
            # Samples the server only, from a second into the load to a second before its end.
            profiler = subprocess.Popen(
                ["perf", "record", "-F", "499", "-g", "-o", args.perf, "-p", str(server.pid), "--",
                 "sleep", str(max(1, args.seconds - 2))], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        # The same server and load on /healthz, which reads nothing: the floor this machine gives any request.
        floor_command = ["wrk", "-t", str(threads), "-c", str(args.connections), "-d", "10s", "--latency",
                         f"http://127.0.0.1:{port}/healthz"]
        floor = subprocess.run(floor_command, check=True, capture_output=True, text=True).stdout
        if profiler:
            profiler.wait(timeout=60)
            print(f"perf data: {args.perf} (perf report -i {args.perf} --no-children)", file=sys.stderr)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    print(output, file=sys.stderr)

    def latency_ms(label, text=None):
        match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", output if text is None else text, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50, p99 = latency_ms("50%"), latency_ms("99%")
    floor_rps = float(re.search(r"Requests/sec:\s+([\d.]+)", floor).group(1))
    floor_p50, floor_p99 = latency_ms("50%", floor), latency_ms("99%", floor)
    non2xx = int((re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output) or [0, 0])[1])
    socket_errors = re.search(r"Socket errors:.*", output)
    scheduled = urllib_runs = None
    result = subprocess.run([args.ferry, "runs", "list", "--activation", "live", "--json"], env=env,
                            capture_output=True, text=True)
    if result.returncode == 0:
        scheduled = [r["status"] for r in json.loads(result.stdout)]
    print(f"load average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"api runs list: {rps:,.0f} requests/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
          f"non-2xx {non2xx}, {socket_errors.group(0) if socket_errors else 'no socket errors'}")
    print(f"same server, /healthz for 10 s (the floor): {floor_rps:,.0f} requests/s, p50 {floor_p50:.2f} ms, "
          f"p99 {floor_p99:.2f} ms")
    print(f"scheduler during the load: runs of 'live': {scheduled}")
    ok = p99 < 100 and non2xx == 0 and socket_errors is None
    print(f"target p99 < 100 ms with no errors: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
