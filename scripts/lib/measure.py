#!/usr/bin/env python3
"""Run a command; report its wall time and peak RSS.

    measure.py [--json FILE] [--label NAME] -- CMD [ARGS...]

Prints `NAME: wall 12.34 s, cpu 5.67 s, peak RSS 56.7 MiB, exit 0` to stderr
and, with --json, writes {"label", "wall_seconds", "cpu_seconds", "peak_rss_mib",
"exit_status"} to FILE.  CPU is user + system time of the command.
Peak RSS is ru_maxrss (KiB on Linux) from os.wait4 on the child, which also
covers descendants the child waited for.  Exits with the command's status.
"""

import argparse
import json
import os
import sys
import time


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--json")
    p.add_argument("--label")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    args = p.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        p.error("no command given")
    start = time.monotonic()
    try:
        pid = os.posix_spawnp(cmd[0], cmd, os.environ)
    except OSError as e:
        print(f"measure: cannot run {cmd[0]}: {e}", file=sys.stderr)
        return 127
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    code = 128 - code if code < 0 else code
    rss_mib = usage.ru_maxrss / 1024  # KiB on Linux
    label = args.label or os.path.basename(cmd[0])
    cpu = usage.ru_utime + usage.ru_stime
    print(f"{label}: wall {wall:.2f} s, cpu {cpu:.2f} s, peak RSS {rss_mib:.1f} MiB, exit {code}",
          file=sys.stderr)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"label": label, "wall_seconds": wall, "cpu_seconds": cpu,
                       "peak_rss_mib": rss_mib, "exit_status": code}, f)
    return code


if __name__ == "__main__":
    sys.exit(main())
