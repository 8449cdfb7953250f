#!/usr/bin/env python3
"""Python baselines for `scripts/bench export`: the same export Ferry does, in one script.

usage: bench_export_baselines.py run --engine pandas|pyarrow --jsonl FILE --bucket B --key KEY
                                     [--born-before YEAR] [--result FILE.json]
       bench_export_baselines.py compare --env ENV.json NAME=KEY[,KEY...] ...
       bench_export_baselines.py summary --work DIR --profiles N --sizes N [N2 ...]

Reads the profiles JSON Lines, keeps the profiles with person.birthYear < YEAR
(default 1975; the bench's Ferry segment is `person.birthYear < YEAR`), writes
five columns as CSV to a buffer and uploads it with boto3 upload_fileobj
(16 MiB parts, 4 at a time, like `ferry export`'s defaults):

    email       identityMap.Email (the primary id)
    first_name  person.name.firstName
    last_name   person.name.lastName
    country     homeAddress.countryCode
    points      loyalty.points (empty when missing)

  pandas:  json.loads per line, pd.json_normalize, boolean filter, to_csv.
  pyarrow: pyarrow.json.read_json, pyarrow.compute filter, pyarrow.csv.write_csv.

`run`: credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, endpoint
from AWS_ENDPOINT_URL_S3, region from AWS_REGION (default us-east-1).  Prints
and (with --result) writes JSON: engine, rows, bytes, and the seconds of each
phase: imports (python modules), load (read + parse the JSON Lines), transform
(filter + columns + CSV into a buffer), upload, total (inside the script).

`compare`: downloads each NAME's objects (the fixture's admin user from
ENV.json), parses them as CSV (so quoting style does not matter), and prints per
NAME the header, the data rows and a sha256 over the sorted rows.  Exits 1 when
the row counts differ; different contents with equal counts are reported as
a warning line starting with "contents differ".

`summary`: prints the table of `scripts/bench export` from the measure.py JSON
files and `ferry export` outputs it left in DIR.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import sys
import time

MiB = 1 << 20
COLUMNS = ["email", "first_name", "last_name", "country", "points"]


def parse_csv(data: bytes) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    return (rows[0] if rows else []), rows[1:]


def rows_digest(rows: list[list[str]]) -> str:
    h = hashlib.sha256()
    for line in sorted("\x1f".join(r) for r in rows):
        h.update(line.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def run_pandas(jsonl: str, born_before: int, phases: dict) -> bytes:
    import pandas as pd

    t0 = time.perf_counter()
    with open(jsonl, encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    df = pd.json_normalize(records)
    del records
    t1 = time.perf_counter()
    sub = df.loc[df["person.birthYear"] < born_before]

    def primary(ids):
        for entry in ids:
            if entry.get("primary"):
                return entry["id"]
        return ids[0]["id"] if ids else None

    out = pd.DataFrame({
        "email": sub["identityMap.Email"].map(primary),
        "first_name": sub["person.name.firstName"],
        "last_name": sub["person.name.lastName"],
        "country": sub["homeAddress.countryCode"],
        "points": sub["loyalty.points"].astype("Int64"),
    })
    buf = io.BytesIO()
    out.to_csv(buf, index=False)
    data = buf.getvalue()
    t2 = time.perf_counter()
    phases["load"], phases["transform"] = t1 - t0, t2 - t1
    phases["rows"] = len(out)
    return data


def run_pyarrow(jsonl: str, born_before: int, phases: dict) -> bytes:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.json as pajson

    t0 = time.perf_counter()
    table = pajson.read_json(jsonl)
    t1 = time.perf_counter()
    person = table["person"]
    sub = table.filter(pc.less(pc.struct_field(person, "birthYear"), born_before))
    emails = pc.struct_field(pc.list_element(pc.struct_field(sub["identityMap"], "Email"), 0), "id")
    name = pc.struct_field(sub["person"], "name")
    out = pa.table({
        "email": emails,
        "first_name": pc.struct_field(name, "firstName"),
        "last_name": pc.struct_field(name, "lastName"),
        "country": pc.struct_field(sub["homeAddress"], "countryCode"),
        "points": pc.struct_field(sub["loyalty"], "points"),
    })
    sink = pa.BufferOutputStream()
    pacsv.write_csv(out, sink, write_options=pacsv.WriteOptions(quoting_style="needed"))
    data = sink.getvalue().to_pybytes()
    t2 = time.perf_counter()
    phases["load"], phases["transform"] = t1 - t0, t2 - t1
    phases["rows"] = out.num_rows
    return data


def upload(data: bytes, bucket: str, key: str) -> None:
    from boto3.s3.transfer import TransferConfig

    s3_client().upload_fileobj(io.BytesIO(data), bucket, key, Config=TransferConfig(
        multipart_threshold=16 * MiB, multipart_chunksize=16 * MiB, max_concurrency=4))


def s3_client(env: dict | None = None):
    import boto3
    from botocore.config import Config

    kw = {}
    if env is not None:
        admin = env["users"]["admin"]
        kw = dict(aws_access_key_id=admin["accessKeyId"], aws_secret_access_key=admin["secretAccessKey"])
    return boto3.client(
        "s3",
        endpoint_url=env["endpoint"] if env else os.environ["AWS_ENDPOINT_URL_S3"],
        region_name=env["region"] if env else os.environ.get("AWS_REGION", "us-east-1"),
        config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard"}),
        **kw,
    )


def cmd_run(args) -> int:
    start = time.perf_counter()
    phases: dict = {}
    if args.engine == "pandas":
        import pandas  # noqa: F401  (import time is reported on its own)
    else:
        import pyarrow.compute, pyarrow.csv, pyarrow.json  # noqa: F401,E401
    import boto3  # noqa: F401
    imports = time.perf_counter() - start
    run = run_pandas if args.engine == "pandas" else run_pyarrow
    data = run(args.jsonl, args.born_before, phases)
    t = time.perf_counter()
    upload(data, args.bucket, args.key)
    phases["upload"] = time.perf_counter() - t
    total = time.perf_counter() - start
    header = data.split(b"\n", 1)[0].decode()
    if header.replace('"', "") != ",".join(COLUMNS):
        print(f"warning: unexpected header {header!r}", file=sys.stderr)
    result = {
        "engine": args.engine, "rows": phases["rows"], "bytes": len(data),
        "imports_seconds": imports, "load_seconds": phases["load"],
        "transform_seconds": phases["transform"], "upload_seconds": phases["upload"],
        "total_seconds": total, "key": args.key,
    }
    text = json.dumps(result)
    print(text)
    if args.result:
        with open(args.result, "w") as f:
            f.write(text + "\n")
    return 0


def cmd_compare(args) -> int:
    with open(args.env) as f:
        env = json.load(f)
    s3 = s3_client(env)
    results = []
    for spec in args.sets:
        name, _, keys = spec.partition("=")
        header, rows = None, []
        for key in filter(None, keys.split(",")):
            h, r = parse_csv(s3.get_object(Bucket=env["bucket"], Key=key)["Body"].read())
            if header is not None and h != header:
                print(f"warning: {name}: {key} has header {h}, the first file {header}")
            header = header or h
            rows.extend(r)
        digest = rows_digest(rows)
        results.append((name, len(rows), digest))
        print(f"{name:<8} rows {len(rows):>9}  sha256(sorted rows) {digest[:16]}  header {','.join(header or [])}")
    counts = {n for _, n, _ in results}
    if len(counts) != 1:
        print("ROW COUNTS DIFFER: " + ", ".join(f"{name} {n}" for name, n, _ in results))
        return 1
    if len({d for _, _, d in results}) != 1:
        print("contents differ (same row counts): " + ", ".join(f"{name} {d[:16]}" for name, _, d in results))
    else:
        print(f"row counts match ({results[0][1]}) and contents are identical")
    return 0


def cmd_summary(args) -> int:
    import re

    work, n = args.work, args.profiles

    def load(name):
        with open(f"{work}/{name}.json") as f:
            return json.load(f)

    def export_rows(size):
        with open(f"{work}/export-{size}.out") as f:
            text = f.read()
        return sum(int(m) for m in re.findall(r"^run \S+ success: (\d+) rows", text, re.M))

    rows = export_rows(n)
    fx, fi, fe = load(f"ferry-export-{n}"), load(f"ferry-import-{n}"), load(f"ferry-evaluate-{n}")
    ferry_all = fi["wall_seconds"] + fe["wall_seconds"] + fx["wall_seconds"]
    print(f"== export: {n:,} profiles -> {rows:,} rows (person.birthYear < {args.born_before}), 5 columns ==")
    print(f"{'':<42} {'seconds':>9} {'rows/s':>11} {'peak RSS MiB':>13}")

    def line(label, secs, rss):
        rss_text = rss if isinstance(rss, str) else f"{rss:.1f}"
        print(f"{label:<42} {secs:>9.2f} {rows / secs:>11,.0f} {rss_text:>13}")

    line("ferry export", fx["wall_seconds"], fx["peak_rss_mib"])
    line("ferry import + evaluate + export", ferry_all,
         max(fi["peak_rss_mib"], fe["peak_rss_mib"], fx["peak_rss_mib"]))
    base, status = {}, 0
    for engine in ("pandas", "pyarrow"):
        whole, ph = load(engine), load(f"{engine}-phases")
        if ph["rows"] != rows:
            print(f"ROW COUNT MISMATCH: ferry {rows}, {engine} {ph['rows']}")
            status = 1
        no_load = ph["transform_seconds"] + ph["upload_seconds"]
        base[engine] = (whole["wall_seconds"], no_load)
        line(f"{engine} (whole script)", whole["wall_seconds"], whole["peak_rss_mib"])
        line(f"{engine} (without imports + JSON load)", no_load, "-")
    print()
    for engine in base:
        ph = load(f"{engine}-phases")
        print(f"{engine} phases: imports {ph['imports_seconds']:.2f}s, JSON load {ph['load_seconds']:.2f}s,"
              f" filter+columns+CSV {ph['transform_seconds']:.2f}s, upload {ph['upload_seconds']:.2f}s")
    print(f"ferry: import {fi['wall_seconds']:.2f}s, evaluate {fe['wall_seconds']:.2f}s, export {fx['wall_seconds']:.2f}s")
    print()
    for engine, (whole, no_load) in base.items():
        print(f"ferry export vs {engine}: {whole / fx['wall_seconds']:.2f}x the rows/s of the whole script,"
              f" {no_load / fx['wall_seconds']:.2f}x without its imports + JSON load;"
              f" ferry import+evaluate+export: {whole / ferry_all:.2f}x")
    print()
    for size in args.sizes:
        x, i = load(f"ferry-export-{size}"), load(f"ferry-import-{size}")
        r = export_rows(size)
        print(f"ferry export at {size:,} profiles ({r:,} rows): peak RSS {x['peak_rss_mib']:.1f} MiB,"
              f" {x['wall_seconds']:.2f}s, {r / x['wall_seconds']:,.0f} rows/s"
              f"  (import {i['wall_seconds']:.2f}s, peak RSS {i['peak_rss_mib']:.1f} MiB)")
    return status


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--engine", required=True, choices=["pandas", "pyarrow"])
    r.add_argument("--jsonl", required=True)
    r.add_argument("--bucket", required=True)
    r.add_argument("--key", required=True)
    r.add_argument("--born-before", type=int, default=1975)
    r.add_argument("--result", help="write the JSON result here too")
    c = sub.add_parser("compare")
    c.add_argument("--env", required=True, help="the fixture's ENV.json")
    c.add_argument("sets", nargs="+", metavar="NAME=KEY[,KEY...]")
    m = sub.add_parser("summary")
    m.add_argument("--work", required=True)
    m.add_argument("--profiles", type=int, required=True)
    m.add_argument("--born-before", type=int, default=1975)
    m.add_argument("--sizes", type=int, nargs="+", required=True)
    args = p.parse_args()
    return {"run": cmd_run, "compare": cmd_compare, "summary": cmd_summary}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
