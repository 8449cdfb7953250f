#!/usr/bin/env python3
"""The profile-store benchmark of issue 9: import, evaluate, export, and the three together.

usage: bench_store.py run --ferry PATH --env S3ENV.json --work DIR [--profiles N] [--seed S]
                          [--large [--large-profiles N]] [--table FILE]
       bench_store.py duckdb --jsonl FILE --result FILE.json

`run` (what `scripts/bench store` calls), in one run, on one generated JSON Lines
file (gen_profiles.py, N profiles, default 1,000,000, fixed seed) and one moto
S3 server (ENV.json from s3_fixture.py; Ferry and the baseline upload as its
least-privilege `full` user):

  Ferry, each step a process of the release binary, wall time and peak RSS
  from os.wait4 (measure.py):
    import     `ferry profiles import FILE` into a new workspace
    (floor)    then, before anything changes the workspace, SQLite itself
               writing the same rows (`sqlite_floor`: the sqlite3 CLI copies
               `profile` and `identity` into a new file with Ferry's pragmas,
               one transaction per 10,000 pids, indexes after): how close the
               import comes to what SQLite can do with Ferry's layout
    evaluate   the 10 segments of bench_segments.py, in one `segments evaluate`
    reevaluate the 10 segments again after 10,000 profiles changed (re-imported
               with a new homeAddress.city): incremental evaluation, against the
               full one (the issue's stretch: under 5%)
    evaluate1  the export segment alone (person.birthYear < 1975, about half),
               created after the 10 and evaluated by name
    export     `ferry export` of that segment, 5 columns, to the moto bucket
  Baselines, on the same file and server:
    DuckDB     read_json_auto into an in-memory table (the load is timed), then
               the same 10 predicates as SQL (each query timed), in one process
    pyarrow    bench_export_baselines.py --engine pyarrow: JSON read, filter,
               write_csv, upload (the whole script's wall time; its phases too)

Checks: each of the 10 segments has as many members as DuckDB counts, the
export segment as many as pyarrow's rows, and Ferry's CSV has the same rows as
pyarrow's (parsed as CSV, sorted).  Exits 1 when a check fails.

--large runs Ferry's four steps again at 3,000,000 profiles (--large-profiles)
with no baselines, to show whether peak RSS stays flat.

Prints the table (markdown) and, with --table, writes it to FILE as well.
Ratio = Ferry's time / the baseline's time (below 1: Ferry is faster).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_segments import SEGMENTS  # noqa: E402  (name, PQL, DuckDB SQL)

BORN_BEFORE = 1975
EXPORT_SEGMENT = "half"
COLUMNS = ["identityMap.Email=email", "person.name.firstName=first_name", "person.name.lastName=last_name",
           "homeAddress.countryCode=country", "loyalty.points=points"]
RSS_TARGET_MIB = 200.0
CHANGED_PROFILES = 10_000


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def measured(label: str, cmd: list[str], work: Path, name: str, stdout: Path | None = None) -> dict:
    """Runs cmd under measure.py; returns its JSON (wall_seconds, cpu_seconds, peak_rss_mib, exit_status)."""
    result = work / f"{name}.json"
    out = open(stdout, "w") if stdout else subprocess.DEVNULL
    err_path = work / f"{name}.err"
    with open(err_path, "w") as err:
        status = subprocess.call([sys.executable, str(HERE / "measure.py"), "--label", label, "--json", str(result),
                                  "--", *cmd], stdout=out, stderr=err)
    if stdout:
        out.close()
    text = err_path.read_text()
    log(text.rstrip())
    if status != 0:
        sys.exit(f"error: {label} failed (exit {status})")
    with open(result) as f:
        return json.load(f)


def quiet(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def generate(n: int, seed: int, work: Path) -> Path:
    path = work / f"profiles-{n}.jsonl"
    if not path.exists():
        log(f"generating {n:,} profiles (seed {seed}) -> {path}")
        start = time.perf_counter()
        subprocess.check_call([sys.executable, str(HERE / "gen_profiles.py"), str(n), str(seed), str(path)])
        log(f"  {path.stat().st_size / (1 << 20):,.0f} MiB in {time.perf_counter() - start:.1f}s")
    return path


def parse_evaluate(text: str, names: list[str]) -> dict[str, int]:
    """Members per segment from `segments evaluate` output (realized + existing)."""
    counts = {}
    for name in names:
        m = re.search(rf"^{re.escape(name)}: realized (\d+), existing (\d+)", text, re.M)
        if not m:
            sys.exit(f"error: no result for segment {name} in `segments evaluate` output:\n{text}")
        counts[name] = int(m.group(1)) + int(m.group(2))
    return counts


def ferry_steps(ferry: str, n: int, jsonl: Path, work: Path, bucket: str, endpoint: str,
                floor: bool = False) -> dict:
    """Ferry's four steps at n profiles in a fresh workspace; returns their measurements and counts
    (with `floor`, SQLite's own time to write the imported rows too: `sqlite_floor`)."""
    ws = work / f"ws-{n}"
    subprocess.call(["rm", "-rf", str(ws)])
    wsarg = ["--workspace", str(ws)]
    r: dict = {"profiles": n}
    r["import"] = measured(f"ferry import ({n:,})", [ferry, "profiles", "import", str(jsonl), *wsarg],
                           work, f"ferry-import-{n}")
    if floor:
        r["floor"] = sqlite_floor(ws / "ferry.sqlite", n, work)
    for name, pql, _ in SEGMENTS:
        quiet([ferry, "segments", "create", name, "--pql", pql, *wsarg])
    out = work / f"ferry-evaluate-{n}.out"
    r["evaluate"] = measured(f"ferry evaluate 10 segments ({n:,})", [ferry, "segments", "evaluate", *wsarg],
                             work, f"ferry-evaluate-{n}", stdout=out)
    r["counts"] = parse_evaluate(out.read_text(), [s[0] for s in SEGMENTS])
    # The stretch: 10,000 profiles change, then the 10 segments again.
    changed = work / f"changed-{n}.jsonl"
    with open(jsonl) as source, open(changed, "w") as target:
        for index, line in enumerate(source):
            if index % max(n // CHANGED_PROFILES, 1) == 0 and index // max(n // CHANGED_PROFILES, 1) < CHANGED_PROFILES:
                record = json.loads(line)
                # A field segments read (an-cities) but the export does not, so the
                # exported rows still match the pyarrow baseline's.
                record.setdefault("homeAddress", {})["city"] = ("Anyang", "Oslo")[index % 2]
                target.write(json.dumps(record, separators=(",", ":")) + "\n")
    quiet([ferry, "profiles", "import", str(changed), *wsarg])
    out = work / f"ferry-reevaluate-{n}.out"
    r["reevaluate"] = measured(f"ferry evaluate 10 segments after {CHANGED_PROFILES:,} changes ({n:,})",
                               [ferry, "segments", "evaluate", *wsarg], work, f"ferry-reevaluate-{n}", stdout=out)
    r["reevaluate_incremental"] = out.read_text().count("(incremental:")

    quiet([ferry, "segments", "create", EXPORT_SEGMENT, "--pql", f"person.birthYear < {BORN_BEFORE}", *wsarg])
    quiet([ferry, "destinations", "create", "bench-s3", "--bucket", bucket, "--endpoint", endpoint,
           "--folder-path", f"bench/ferry-{n}", *wsarg])
    maps = [a for c in COLUMNS for a in ("--map", c)]
    quiet([ferry, "activations", "create", "bench", "--destination", "bench-s3", "--segment", EXPORT_SEGMENT,
           *maps, *wsarg])
    out = work / f"ferry-evaluate1-{n}.out"
    r["evaluate1"] = measured(f"ferry evaluate export segment ({n:,})",
                              [ferry, "segments", "evaluate", EXPORT_SEGMENT, *wsarg], work, f"ferry-evaluate1-{n}",
                              stdout=out)
    r["export_members"] = parse_evaluate(out.read_text(), [EXPORT_SEGMENT])[EXPORT_SEGMENT]
    out = work / f"ferry-export-{n}.out"
    r["export"] = measured(f"ferry export ({n:,})", [ferry, "export", "bench", *wsarg], work, f"ferry-export-{n}",
                           stdout=out)
    # Not one of the targets: creating a segment reads the schema to warn about
    # unknown fields (person.birthyear here), so its cost grows with the profiles.
    r["create"] = measured(f"ferry segments create, checked against the schema ({n:,})",
                           [ferry, "segments", "create", "typo", "--pql", f"person.birthyear < {BORN_BEFORE}", *wsarg],
                           work, f"ferry-create-{n}")
    text = out.read_text()
    r["export_rows"] = sum(int(m) for m in re.findall(r"^run \S+ success: (\d+) rows", text, re.M))
    r["export_keys"] = re.findall(r"^\s*s3://[^/]+/(\S+)", text, re.M)
    r["workspace_mib"] = sum(f.stat().st_size for f in ws.rglob("*") if f.is_file()) / (1 << 20)
    subprocess.call(["rm", "-rf", str(ws)])
    return r


# Ferry's import commits every this many profiles; the floor does too.
IMPORT_BATCH = 10_000
FLOOR_PRAGMAS = ("PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                 "PRAGMA cache_size=-32000; PRAGMA wal_autocheckpoint=8192;")


def sqlite_floor(workspace: Path, n: int, work: Path) -> dict:
    """SQLite's own time to write the rows Ferry's import stored, with no JSON to parse.

    A new file with Ferry's pragmas and the workspace's own `profile` and
    `identity` (their `sql` from sqlite_master, so the typed columns match) is
    fed from the workspace, ATTACHed, one transaction per 10,000 pids as Ferry
    commits, identities in pid order as Ferry inserts them; their secondary
    indexes are built at the end, as a large Ferry import builds them
    (ProfileImportIndexes). The sqlite3 CLI runs it, so all per-row work is
    SQLite's; it only reads the workspace, before anything else changes it."""
    with closing(sqlite3.connect(f"file:{workspace}?mode=ro", uri=True)) as source:
        tables = dict(source.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ('profile', 'identity')"))
        indexes = [sql for (sql,) in source.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('profile', 'identity') "
            "AND sql IS NOT NULL ORDER BY name")]
        top = source.execute("SELECT coalesce(max(pid), 0) FROM profile").fetchone()[0]
    if set(tables) != {"profile", "identity"}:
        sys.exit(f"error: {workspace} has no profile and identity tables to copy")
    floor = work / f"floor-{n}.sqlite"
    files = [floor, Path(f"{floor}-wal"), Path(f"{floor}-shm")]
    for leftover in files:
        leftover.unlink(missing_ok=True)
    script = [FLOOR_PRAGMAS, tables["profile"] + ";", tables["identity"] + ";",
              f"ATTACH '{workspace}' AS src;"]
    for lo in range(0, top, IMPORT_BATCH):
        hi = lo + IMPORT_BATCH
        script.append(
            f"BEGIN; INSERT INTO main.profile SELECT * FROM src.profile WHERE pid > {lo} AND pid <= {hi}; "
            f"INSERT INTO main.identity SELECT * FROM src.identity WHERE pid > {lo} AND pid <= {hi} ORDER BY pid; "
            "COMMIT;")
    script.extend(sql + ";" for sql in indexes)
    path = work / f"floor-{n}.sql"
    path.write_text("\n".join(script) + "\n")
    # Without the CLI, Python's sqlite3 module hands SQLite the same script.
    run = (["sqlite3", "-bail", str(floor), f".read {path}"] if shutil.which("sqlite3") else [
        sys.executable, "-c", "import sqlite3, sys; db = sqlite3.connect(sys.argv[1], isolation_level=None); "
        "db.executescript(open(sys.argv[2]).read()); db.close()", str(floor), str(path)])
    result = measured(f"SQLite writing the same rows ({n:,})", run, work, f"sqlite-floor-{n}")
    result["runner"] = ("the `sqlite3` CLI" if run[0] == "sqlite3"
                        else f"Python's sqlite3 module (SQLite {sqlite3.sqlite_version})")
    count = "SELECT (SELECT count(*) FROM profile), (SELECT count(*) FROM identity)"
    with closing(sqlite3.connect(floor)) as copy:
        rows = copy.execute(count).fetchone()
    with closing(sqlite3.connect(f"file:{workspace}?mode=ro", uri=True)) as source:
        want = source.execute(count).fetchone()
    if rows != want:
        sys.exit(f"error: the floor file has {rows[0]:,} profiles and {rows[1]:,} identities, "
                 f"the workspace {want[0]:,} and {want[1]:,}")
    result["rows"] = {"profile": rows[0], "identity": rows[1]}
    result["mib"] = sum(p.stat().st_size for p in (floor, Path(f"{floor}-wal")) if p.exists()) / (1 << 20)
    result["indexes"] = len(indexes)
    for done in files + [path]:
        done.unlink(missing_ok=True)
    return result


def cmd_duckdb(args) -> int:
    """Runs in its own process (measured): DuckDB's load and the 10 queries."""
    import duckdb

    con = duckdb.connect()
    start = time.perf_counter()
    con.execute("CREATE TABLE profiles AS SELECT * FROM read_json_auto(?, format='newline_delimited')", [args.jsonl])
    load = time.perf_counter() - start
    queries = []
    for name, _, sql in SEGMENTS:
        t = time.perf_counter()
        count = con.execute(f"SELECT count(*) FROM profiles WHERE {sql}").fetchone()[0]
        queries.append({"name": name, "seconds": time.perf_counter() - t, "count": count})
    rows = con.execute("SELECT count(*) FROM profiles").fetchone()[0]
    result = {"load_seconds": load, "rows": rows, "queries": queries,
              "queries_seconds": sum(q["seconds"] for q in queries), "threads":
              con.execute("SELECT current_setting('threads')").fetchone()[0], "version": duckdb.__version__}
    with open(args.result, "w") as f:
        json.dump(result, f)
    print(json.dumps(result))
    return 0


def fmt_s(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds < 1 else f"{seconds:.2f} s"


def fmt_ratio(x: float) -> str:
    return f"{x:.2f}x" if x < 10 else f"{x:.1f}x" if x < 100 else f"{x:.0f}x"


def fmt_rss(r: dict) -> str:
    return f"{r['peak_rss_mib']:.1f} MiB"


def verdict(*criteria: tuple[bool, str]) -> str:
    """"yes", or "**no**: " and the criteria that failed."""
    failed = [text for ok, text in criteria if not ok]
    return "yes" if not failed else "**no**: " + "; ".join(failed)


def rss(step: dict) -> tuple[bool, str]:
    return step["peak_rss_mib"] < RSS_TARGET_MIB, f"peak RSS {step['peak_rss_mib']:.0f} MiB >= 200 MiB"


def table(n: int, f: dict, duck: dict, arrow_wall: dict, arrow: dict, large: dict | None,
          checks: list[str], meta: str) -> str:
    lines = [meta, "",
             "| step | Ferry | baseline | ratio | Ferry peak RSS | target met? |",
             "|---|---|---|---|---|---|"]
    imp = f["import"]["wall_seconds"]
    rate = n / imp
    r_imp = imp / duck["load_seconds"]
    lines.append(
        f"| import {n:,} profiles | {fmt_s(imp)}, {rate:,.0f} profiles/s | DuckDB `read_json_auto`: "
        f"{fmt_s(duck['load_seconds'])}, {n / duck['load_seconds']:,.0f} profiles/s | {fmt_ratio(r_imp)} | "
        f"{fmt_rss(f['import'])} | "
        f"{verdict((rate >= 250_000, f'{rate:,.0f}/s < 250,000/s'), (r_imp <= 3, f'{r_imp:.1f}x > 3x'), rss(f['import']))} |")
    if "floor" in f:
        fl = f["floor"]
        lines.append(
            f"| SQLite itself writing the same rows (no parsing): {fl['rows']['profile']:,} profiles, "
            f"{fl['rows']['identity']:,} identities | Ferry's import: {fmt_s(imp)} "
            f"({f['import']['cpu_seconds']:.2f} s CPU) | {fl['runner']}, Ferry's pragmas and tables, "
            f"INSERT ... SELECT from the workspace: {fmt_s(fl['wall_seconds'])} ({fl['cpu_seconds']:.2f} s CPU, "
            f"{fl['peak_rss_mib']:.0f} MiB) | {fmt_ratio(imp / fl['wall_seconds'])} "
            f"(CPU {fmt_ratio(f['import']['cpu_seconds'] / fl['cpu_seconds'])}) | {fmt_rss(f['import'])} | "
            f"(no target) |")
    ev = f["evaluate"]["wall_seconds"]
    r_ev = ev / duck["queries_seconds"]
    same = sum(1 for q in duck["queries"] if f["counts"][q["name"]] == q["count"])
    lines.append(
        f"| evaluate the 10 bench segments (one process) | {fmt_s(ev)} ({f['evaluate']['cpu_seconds']:.2f} s CPU) "
        f"| DuckDB, same 10 predicates: "
        f"{fmt_s(duck['queries_seconds'])} | {fmt_ratio(r_ev)} | {fmt_rss(f['evaluate'])} | "
        f"{verdict((r_ev <= 10, f'{r_ev:.0f}x > 10x'), (same == len(SEGMENTS), f'member counts equal DuckDB only for {same}/{len(SEGMENTS)}'), rss(f['evaluate']))}"
        f"{'; counts equal DuckDB 10/10' if same == len(SEGMENTS) else ''} |")
    rev = f["reevaluate"]["wall_seconds"]
    lines.append(
        f"| evaluate the 10 segments again after {CHANGED_PROFILES:,} profiles changed "
        f"({f['reevaluate_incremental']} of 10 incremental) | {fmt_s(rev)} ({f['reevaluate']['cpu_seconds']:.2f} s CPU) "
        f"| Ferry's full evaluation above: "
        f"{fmt_s(ev)} | {rev / ev:.1%} of it | {fmt_rss(f['reevaluate'])} | "
        f"{verdict((rev / ev < 0.05, f'{rev / ev:.1%} >= 5%'), rss(f['reevaluate']))} (stretch) |")
    ev1 = f["evaluate1"]["wall_seconds"]
    lines.append(
        f"| evaluate the export segment alone ({f['export_members']:,} members) | {fmt_s(ev1)} | - | - | "
        f"{fmt_rss(f['evaluate1'])} | {verdict(rss(f['evaluate1']))} (RSS only) |")
    ex = f["export"]["wall_seconds"]
    whole = arrow_wall["wall_seconds"]
    no_read = whole - arrow["load_seconds"]
    rows = f["export_rows"]
    lines.append(
        f"| export {rows:,} rows, 5 columns | {fmt_s(ex)}, {rows / ex:,.0f} rows/s | pyarrow whole script "
        f"(JSON read, filter, `write_csv`, upload): {fmt_s(whole)} | {fmt_ratio(ex / whole)} | {fmt_rss(f['export'])} | "
        f"{verdict((ex < whole, f'{ex / whole:.2f}x: not faster than pyarrow'), rss(f['export']))} |")
    lines.append(
        f"| export, against pyarrow without its JSON read | {fmt_s(ex)} | pyarrow script minus its "
        f"{fmt_s(arrow['load_seconds'])} JSON read: {fmt_s(no_read)} | {fmt_ratio(ex / no_read)} | - | "
        f"(no target) |")
    lines.append(
        f"| `segments create` (warns about a field path not in the schema) | {fmt_s(f['create']['wall_seconds'])} "
        f"| - | - | {fmt_rss(f['create'])} | (no target) |")
    total = imp + ev1 + ex
    peak = max(f["import"]["peak_rss_mib"], f["evaluate1"]["peak_rss_mib"], f["export"]["peak_rss_mib"])
    lines.append(
        f"| import + evaluate + export (export segment) | {fmt_s(total)} | pyarrow whole script: {fmt_s(whole)} | "
        f"{fmt_ratio(total / whole)} | {peak:.1f} MiB (max of the steps) | "
        f"{verdict((total / whole <= 2, f'{total / whole:.1f}x > 2x'), (peak < RSS_TARGET_MIB, f'peak RSS {peak:.0f} MiB >= 200 MiB'))} |")
    if large:
        lg = large
        large_n = lg["profiles"]
        for step, label in (("import", f"import {large_n:,} profiles"), ("evaluate", "evaluate the 10 bench segments"),
                            ("evaluate1", "evaluate the export segment alone"),
                            ("export", f"export {lg['export_rows']:,} rows"), ("create", "`segments create`")):
            base = f[step]["peak_rss_mib"]
            big = lg[step]["peak_rss_mib"]
            flat = big <= base * 1.25 + 8
            extra = ""
            if step == "import":
                extra = f", {large_n / lg[step]['wall_seconds']:,.0f} profiles/s"
            lines.append(
                f"| --large: {label} | {fmt_s(lg[step]['wall_seconds'])}{extra} | - | - | "
                f"{big:.1f} MiB ({big / base:.2f}x the {n:,} run) | "
                f"{verdict(rss(lg[step]), (flat, f'not flat ({big / base:.2f}x; flat: <= 1.25x + 8 MiB)'))} |")
    lines.append("")
    lines.append("Ratio = Ferry's time / the baseline's time (below 1: Ferry is faster). Ferry's times are the wall "
                 "time of each `ferry` process; DuckDB's are timed inside its process (load; sum of the 10 queries); "
                 "pyarrow's whole script is the wall time of its process.")
    if "floor" in f:
        lines.append(
            f"SQLite's floor: a new file with Ferry's pragmas ({FLOOR_PRAGMAS.replace('PRAGMA ', '')[:-1]}) and the "
            f"workspace's `profile` and `identity` as sqlite_master has them, filled by INSERT ... SELECT from the "
            f"workspace just imported (ATTACHed), one transaction per {IMPORT_BATCH:,} pids as Ferry commits, "
            f"identities in pid order; then the {f['floor']['indexes']} secondary indexes of those tables. "
            f"SQLite's work to store Ferry's rows with nothing parsed; Ferry's import also reads and parses the "
            f"JSON, builds each document and row and resolves its identities.")
    lines.append(f"pyarrow phases: imports {arrow['imports_seconds']:.2f} s, JSON read {arrow['load_seconds']:.2f} s, "
                 f"filter + columns + CSV {arrow['transform_seconds']:.2f} s, upload {arrow['upload_seconds']:.2f} s; "
                 f"peak RSS {arrow_wall['peak_rss_mib']:.0f} MiB. DuckDB {duck['version']} ({duck['threads']} threads).")
    lines.append("Per segment (members: Ferry / DuckDB; DuckDB query s): " + ", ".join(
        f"{q['name']} {f['counts'][q['name']]:,}/{q['count']:,} {q['seconds']:.3f}" for q in duck["queries"]))
    lines.append(f"Ferry workspace after export: {f['workspace_mib']:,.0f} MiB on disk"
                 + (f"; at {large['profiles']:,}: {large['workspace_mib']:,.0f} MiB" if large else ""))
    lines.extend(checks)
    return "\n".join(lines)


def prepare(args) -> tuple[Path, dict]:
    """The work folder, made, and the S3 fixture's ENV.json; every ferry run then
    talks to moto as its least-privilege user, whatever the caller's shell had set."""
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    with open(args.env) as f:
        env = json.load(f)
    full = env["users"]["full"]
    os.environ.update(AWS_ACCESS_KEY_ID=full["accessKeyId"], AWS_SECRET_ACCESS_KEY=full["secretAccessKey"],
                      AWS_ENDPOINT_URL_S3=env["endpoint"], AWS_REGION=env["region"],
                      AWS_DEFAULT_REGION=env["region"])
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "FERRY_WORKSPACE", "FERRY_DATABASE_URL"):
        os.environ.pop(var, None)
    return work, env


def cmd_run(args) -> int:
    work, env = prepare(args)
    bucket, n, ferry = env["bucket"], args.profiles, str(Path(args.ferry).resolve())
    version = quiet([ferry, "--version"]).strip()
    commit = subprocess.run(["git", "-C", str(HERE), "describe", "--always", "--dirty"], capture_output=True,
                            text=True).stdout.strip() or "?"
    # The release build compiles the working tree; with FERRY_BIN the binary may come from
    # elsewhere, and FERRY_BENCH_TREE says what it was built from.
    built_from = os.environ.get("FERRY_BENCH_TREE") or (
        f"binary {os.environ['FERRY_BIN']}" if os.environ.get("FERRY_BIN") else f"built from the tree at {commit}")
    meta = (f"`scripts/bench store` at {n:,} profiles (seed {args.seed}), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"ferry {version} ({built_from}), {os.cpu_count()} cores")

    jsonl = generate(n, args.seed, work)
    load_start = os.getloadavg()[0]
    log(f"== ferry at {n:,} profiles ==")
    f = ferry_steps(ferry, n, jsonl, work, bucket, env["endpoint"], floor=True)

    log("== baselines ==")
    measured(f"duckdb ({n:,})", [sys.executable, __file__, "duckdb", "--jsonl", str(jsonl), "--result",
                                 str(work / "duckdb-result.json")], work, "duckdb")
    with open(work / "duckdb-result.json") as fh:
        duck = json.load(fh)
    arrow_key = f"bench/pyarrow/{n}.csv"
    arrow_wall = measured(f"pyarrow script ({n:,})", [
        sys.executable, str(HERE / "bench_export_baselines.py"), "run", "--engine", "pyarrow", "--jsonl", str(jsonl),
        "--bucket", bucket, "--key", arrow_key, "--born-before", str(BORN_BEFORE),
        "--result", str(work / "pyarrow-phases.json")], work, "pyarrow")
    with open(work / "pyarrow-phases.json") as fh:
        arrow = json.load(fh)

    checks, failed = [], False
    if duck["rows"] != n:
        checks.append(f"CHECK FAILED: DuckDB loaded {duck['rows']:,} rows, not {n:,}")
        failed = True
    bad = [q["name"] for q in duck["queries"] if f["counts"][q["name"]] != q["count"]]
    if bad:
        checks.append("CHECK FAILED: member counts differ from DuckDB's for " + ", ".join(
            f"{b} (ferry {f['counts'][b]}, duckdb {next(q['count'] for q in duck['queries'] if q['name'] == b)})"
            for b in bad))
        failed = True
    if not (f["export_members"] == f["export_rows"] == arrow["rows"]):
        checks.append(f"CHECK FAILED: export segment {f['export_members']:,} members, ferry export "
                      f"{f['export_rows']:,} rows, pyarrow {arrow['rows']:,} rows")
        failed = True
    compare = subprocess.run([sys.executable, str(HERE / "bench_export_baselines.py"), "compare", "--env", args.env,
                              "ferry=" + ",".join(f["export_keys"]), f"pyarrow={arrow_key}"],
                             capture_output=True, text=True)
    log(compare.stdout.rstrip())
    if compare.returncode != 0:
        checks.append("CHECK FAILED: the exported files differ in row count: " + compare.stdout.strip().splitlines()[-1])
        failed = True
    elif "contents differ" in compare.stdout:
        checks.append("CHECK FAILED: Ferry's and pyarrow's CSV rows differ (same count): "
                      + compare.stdout.strip().splitlines()[-1])
        failed = True
    else:
        checks.append(f"Checks: the 10 member counts equal DuckDB's; Ferry's CSV and pyarrow's have the same "
                      f"{arrow['rows']:,} rows (parsed, sorted).")

    large = None
    if args.large and n != args.large_profiles:
        jsonl.unlink()
        big = generate(args.large_profiles, args.seed, work)
        log(f"== --large: ferry at {args.large_profiles:,} profiles ==")
        large = ferry_steps(ferry, args.large_profiles, big, work, bucket, env["endpoint"])
        big.unlink()

    meta += (f"; load average (1 min) {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
             " (other work on the machine slows every column)")
    text = table(n, f, duck, arrow_wall, arrow, large, checks, meta)
    return publish(
        text, args.table, work,
        {"ferry": f, "large": large, "duckdb": duck, "pyarrow": arrow, "pyarrow_wall": arrow_wall}, failed)


def publish(text: str, table_file: str | None, work: Path, results: dict, failed) -> int:
    """Prints the table (and writes it to --table), keeps the raw figures in the work folder; the exit status."""
    print(text, flush=True)
    if table_file:
        Path(table_file).write_text(text + "\n")
    with open(work / "results.json", "w") as fh:
        json.dump(results, fh)
    return 1 if failed else 0


def add_run_arguments(run, work_help: str) -> None:
    """The options every store bench's `run` takes."""
    run.add_argument("--ferry", required=True)
    run.add_argument("--env", required=True, help="the S3 fixture's ENV.json")
    run.add_argument("--work", required=True, help=work_help)
    run.add_argument("--profiles", type=int, default=1_000_000)
    run.add_argument("--seed", type=int, default=20261125)
    run.add_argument("--table", help="write the printed table here too")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    add_run_arguments(r, "folder for the generated files and workspaces")
    r.add_argument("--large", action="store_true")
    r.add_argument("--large-profiles", type=int, default=3_000_000, help="the --large size (default 3,000,000)")
    d = sub.add_parser("duckdb")
    d.add_argument("--jsonl", required=True)
    d.add_argument("--result", required=True)
    args = p.parse_args()
    return {"run": cmd_run, "duckdb": cmd_duckdb}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
