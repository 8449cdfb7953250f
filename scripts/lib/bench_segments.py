#!/usr/bin/env python3
"""Benchmark Ferry's profile import and segment evaluation against two baselines.

usage: bench_segments.py --ferry PATH [--profiles N] [--seed S] [--workdir DIR]

In one run:
  1. generates N profiles (default 1,000,000, fixed seed) with gen_profiles.py;
  2. times `ferry profiles import`, then creates 10 segments of different PQL
     shapes and times `ferry segments evaluate` for each;
  3. measures Ferry's peak RSS over those runs (rusage of each child process);
  4. baseline A: a straightforward Python import (json + sqlite3 executemany);
  5. baseline B: DuckDB loads the same JSON Lines into a table and runs the same
     10 predicates as SQL; only the queries are timed.
Prints profiles/s, seconds per segment, the ratios against the goals of issue 3
(import >= 3x Python, all segments within 10x DuckDB, peak RSS < 200 MiB), and
checks that Ferry's and DuckDB's member counts agree.
"""
import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (name, PQL, DuckDB SQL over the table loaded by read_json_auto)
SEGMENTS = [
    ("korea", 'homeAddress.countryCode = "KR"',
     "homeAddress.countryCode = 'KR'"),
    ("gold-rich", 'loyalty.points >= 10000 and loyalty.tier = "gold"',
     "loyalty.points >= 10000 AND loyalty.tier = 'gold'"),
    ("na-or-old", 'homeAddress.countryCode in ["US", "CA", "GB"] or person.birthYear < 1960',
     "homeAddress.countryCode IN ('US', 'CA', 'GB') OR person.birthYear < 1960"),
    ("ki-names", 'person.name.lastName.startsWith("Ki")',
     "starts_with(person.name.lastName, 'Ki')"),
    ("org-mail", 'personalEmail.address.endsWith(".org")',
     "ends_with(personalEmail.address, '.org')"),
    ("likes-red", 'person.favoriteColors.includes("red")',
     "list_contains(person.favoriteColors, 'red')"),
    ("eighties", 'person.birthDate occurs between date(1980, 1, 1) and date(1990, 1, 1)',
     "CAST(person.birthDate AS DATE) BETWEEN DATE '1980-01-01' AND DATE '1990-01-01'"),
    ("no-loyalty", 'loyalty.isNull() or not (loyalty.tier != "bronze")',
     "loyalty IS NULL OR NOT (loyalty.tier != 'bronze')"),
    ("an-cities", 'homeAddress.city like "%an%"',
     "homeAddress.city LIKE '%an%'"),
    ("korean-mobile", 'mobilePhone.number.matches("^\\\\+82")',
     "regexp_matches(mobilePhone.number, '^\\+82')"),
]


def run_ferry_measured(ferry, args, workspace):
    """Runs ferry and returns (seconds, stdout, peak RSS in KiB) using os.wait4."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([ferry, *args, "--workspace", str(workspace)], stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        text, errors = out.read(), err.read()
    if proc.returncode != 0:
        sys.exit(f"ferry {' '.join(args)} failed ({proc.returncode}):\n{errors}")
    return elapsed, text, usage.ru_maxrss


def python_import(jsonl, db_path):
    """The baseline: what a developer would write in ten minutes."""
    start = time.perf_counter()
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("CREATE TABLE profile (pid INTEGER PRIMARY KEY, namespace TEXT NOT NULL, identity TEXT NOT NULL,"
                " doc TEXT NOT NULL, updatedAt REAL NOT NULL, UNIQUE (namespace, identity))")
    batch = []
    now = time.time()
    with open(jsonl, encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            ids = doc["identityMap"]["Email"]
            batch.append(("Email", ids[0]["id"], json.dumps(doc, separators=(",", ":")), now))
            if len(batch) >= 10000:
                con.executemany("INSERT INTO profile (namespace, identity, doc, updatedAt) VALUES (?, ?, ?, ?)", batch)
                con.commit()
                batch = []
    if batch:
        con.executemany("INSERT INTO profile (namespace, identity, doc, updatedAt) VALUES (?, ?, ?, ?)", batch)
        con.commit()
    con.close()
    return time.perf_counter() - start


def duckdb_queries(jsonl):
    try:
        import duckdb
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "duckdb"])
        import duckdb
    con = duckdb.connect()
    con.execute(f"CREATE TABLE profiles AS SELECT * FROM read_json_auto('{jsonl}', format='newline_delimited')")
    results = []
    for name, _, sql in SEGMENTS:
        start = time.perf_counter()
        count = con.execute(f"SELECT count(*) FROM profiles WHERE {sql}").fetchone()[0]
        results.append((name, time.perf_counter() - start, count))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ferry", required=True, help="path to the built ferry binary")
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--workdir", help="keep files here instead of a temporary folder")
    args = parser.parse_args()

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="ferry-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    jsonl = workdir / f"profiles-{args.profiles}-{args.seed}.jsonl"
    if not jsonl.exists():
        print(f"generating {args.profiles:,} profiles -> {jsonl}", flush=True)
        subprocess.check_call([sys.executable, str(HERE / "gen_profiles.py"), str(args.profiles), str(args.seed), str(jsonl)])
    workspace = workdir / "workspace"
    shutil.rmtree(workspace, ignore_errors=True)
    ferry = str(Path(args.ferry).resolve())

    peak_kib = 0
    seconds, out, rss = run_ferry_measured(ferry, ["profiles", "import", str(jsonl)], workspace)
    peak_kib = max(peak_kib, rss)
    ferry_import = seconds
    print(f"ferry import: {out.strip()} in {seconds:.2f}s, {args.profiles / seconds:,.0f} profiles/s, peak RSS {rss / 1024:.1f} MiB", flush=True)

    for name, pql, _ in SEGMENTS:
        run_ferry_measured(ferry, ["segments", "create", name, "--pql", pql], workspace)
    # One run evaluates all 10, as the daily job does: they share one scan of the profiles.
    eval_seconds, out, rss = run_ferry_measured(ferry, ["segments", "evaluate"], workspace)
    peak_kib = max(peak_kib, rss)
    ferry_eval = []
    for name, _, _ in SEGMENTS:
        match = re.search(rf"^{re.escape(name)}: realized (\d+), existing (\d+).* in ([0-9.]+)s(.*)$", out, re.M)
        if not match:
            sys.exit(f"no result for {name} in:\n{out}")
        ferry_eval.append((name, float(match.group(3)), int(match.group(1)) + int(match.group(2)), "Swift" in match.group(4)))
    print(f"ferry evaluate (10 segments, one process): {eval_seconds:.2f}s wall, peak RSS {rss / 1024:.1f} MiB", flush=True)

    py_db = workdir / "python-baseline.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(py_db) + suffix).unlink(missing_ok=True)
    python_seconds = python_import(jsonl, py_db)
    print(f"python import: {python_seconds:.2f}s, {args.profiles / python_seconds:,.0f} profiles/s", flush=True)

    duck = duckdb_queries(str(jsonl))

    print()
    print("ferry s: the segment's share of the shared scan plus its own membership update")
    print(f"{'segment':<14} {'ferry s':>9} {'duckdb s':>9} {'ratio':>7} {'members':>9} {'duckdb':>9}  path")
    for (name, f_s, f_count, swift), (_, d_s, d_count) in zip(ferry_eval, duck):
        flag = "" if f_count == d_count else "  MISMATCH"
        print(f"{name:<14} {f_s:>9.3f} {d_s:>9.4f} {f_s / d_s:>7.1f} {f_count:>9} {d_count:>9}  {'swift' if swift else 'sql'}{flag}")
    ferry_total = eval_seconds
    duck_total = sum(s for _, s, _ in duck)
    print()
    print(f"import: ferry {args.profiles / ferry_import:,.0f}/s vs python {args.profiles / python_seconds:,.0f}/s"
          f" = {python_seconds / ferry_import:.2f}x (goal >= 3x)")
    print(f"evaluate all 10: ferry {ferry_total:.2f}s (process wall time), {ferry_total / len(SEGMENTS):.3f}s per segment,"
          f" vs duckdb {duck_total:.3f}s"
          f" = {ferry_total / duck_total:.1f}x (goal <= 10x)")
    print(f"ferry peak RSS: {peak_kib / 1024:.1f} MiB (goal < 200 MiB)")


if __name__ == "__main__":
    main()
