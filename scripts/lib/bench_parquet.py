#!/usr/bin/env python3
"""pyarrow's side of `scripts/bench export --file-type parquet`.

usage: bench_parquet.py run --jsonl FILE --bucket B --key KEY [--born-before YEAR] [--result FILE.json]
       bench_parquet.py compare --env ENV.json --ferry KEY[,KEY...] --pyarrow KEY [--format parquet|json]

`run`: the same export as Ferry's in one script: pyarrow.json.read_json, a
pyarrow.compute filter on person.birthYear < YEAR, the bench's five columns,
pyarrow.parquet.write_table (snappy, pyarrow's default) into a buffer, and a
boto3 upload_fileobj (16 MiB parts, 4 at a time).  Prints and (with --result)
writes JSON: rows, bytes and the seconds of each phase.

`compare`: downloads Ferry's files and pyarrow's (the fixture's admin user)
and checks that they hold the same rows (sorted by email) with the same
values.  Ferry's files are read twice, by two readers a user might have:
Parquet with pyarrow and with DuckDB's read_parquet; JSON Lines (--format
json) with Python's json module and with DuckDB's read_json.  Prints each
side's rows, bytes, column types and row groups.  Exits 1 when any differ.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time

MiB = 1 << 20


def run(args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    import boto3
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj
    import pyarrow.parquet as pq
    from boto3.s3.transfer import TransferConfig
    t_imports = time.perf_counter()
    table = pj.read_json(args.jsonl, read_options=pj.ReadOptions(block_size=64 * MiB))
    t_load = time.perf_counter()
    table = table.filter(pc.less(pc.struct_field(table.column("person"), ["birthYear"]), args.born_before))
    emails = pc.struct_field(table.column("identityMap"), ["Email"])
    email = pc.struct_field(pc.list_element(emails, 0), ["id"])
    name = pc.struct_field(table.column("person"), ["name"])
    out = pa.table({
        "email": email,
        "first_name": pc.struct_field(name, ["firstName"]),
        "last_name": pc.struct_field(name, ["lastName"]),
        "country": pc.struct_field(table.column("homeAddress"), ["countryCode"]),
        "points": pc.struct_field(table.column("loyalty"), ["points"]),
    })
    buffer = io.BytesIO()
    pq.write_table(out, buffer, compression="snappy")
    t_transform = time.perf_counter()
    size = buffer.tell()
    buffer.seek(0)
    s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"],
                      region_name=os.environ.get("AWS_REGION", "us-east-1"))
    s3.upload_fileobj(buffer, args.bucket, args.key,
                      Config=TransferConfig(multipart_chunksize=16 * MiB, max_concurrency=4))
    t_upload = time.perf_counter()
    result = {"engine": "pyarrow write_table", "rows": out.num_rows, "bytes": size,
              "imports": t_imports - t0, "load": t_load - t_imports, "transform": t_transform - t_load,
              "upload": t_upload - t_transform, "total": t_upload - t0}
    print(json.dumps(result))
    if args.result:
        with open(args.result, "w") as f:
            json.dump(result, f)


def arrow_of(relation):  # type: ignore[no-untyped-def]
    """A DuckDB result as a pyarrow Table, under DuckDB 1.x and 2.x names."""
    if hasattr(relation, "to_arrow_table"):
        return relation.to_arrow_table()
    return relation.fetch_arrow_table()


def compare(args: argparse.Namespace) -> None:
    import tempfile

    import boto3
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq
    with open(args.env) as f:
        env = json.load(f)
    admin = env["users"]["admin"]
    s3 = boto3.client("s3", endpoint_url=env["endpoint"], region_name=env["region"],
                      aws_access_key_id=admin["accessKeyId"], aws_secret_access_key=admin["secretAccessKey"])
    scratch = tempfile.mkdtemp(prefix="bench-compare-")
    arrow_path = os.path.join(scratch, "pyarrow.parquet")
    s3.download_file(env["bucket"], args.pyarrow, arrow_path)
    arrow = pq.read_table(arrow_path).sort_by("email")
    print(f"pyarrow: {arrow.num_rows} rows, {os.path.getsize(arrow_path)} bytes; "
          + ", ".join(f"{f.name}:{f.type}" for f in arrow.schema))
    paths = []
    for i, key in enumerate(args.ferry.split(",")):
        paths.append(os.path.join(scratch, f"ferry-{i}" + os.path.splitext(key)[1]))
        s3.download_file(env["bucket"], key, paths[-1])
    size = sum(os.path.getsize(p) for p in paths)
    sides = {}
    if args.format == "parquet":
        files = [pq.ParquetFile(p) for p in paths]
        groups = sum(f.metadata.num_row_groups for f in files)
        per_file = [f.metadata.num_rows for f in files]
        sides["ferry read by pyarrow"] = pa.concat_tables([f.read() for f in files])
        sides["ferry read by duckdb"] = arrow_of(duckdb.sql(
            "SELECT * FROM read_parquet($paths)", params={"paths": paths}))
        detail = f"{groups} row groups"
    else:
        rows = []
        per_file = []
        for p in paths:
            with open(p, encoding="utf-8") as f:
                lines = [json.loads(line) for line in f]
            per_file.append(len(lines))
            rows.extend(lines)
        sides["ferry read by json"] = pa.Table.from_pylist(rows)
        sides["ferry read by duckdb"] = arrow_of(duckdb.sql(
            "SELECT * FROM read_json($paths, format = 'newline_delimited')", params={"paths": paths}))
        detail = "JSON Lines"
    print(f"ferry: {len(paths)} file(s) of {per_file} rows, {size} bytes, {detail}")
    failed = False
    for name, table in sides.items():
        table = table.sort_by("email")
        types = ", ".join(f"{f.name}:{f.type}" for f in table.schema)
        print(f"{name}: {table.num_rows} rows; {types}")
        if table.num_rows != arrow.num_rows:
            print(f"{name}: row count differs from pyarrow's")
            failed = True
            continue
        for column in arrow.column_names:
            a = arrow.column(column).to_pylist()
            b = table.column(column).to_pylist()
            if a != b:
                diffs = [(x, y) for x, y in zip(a, b) if x != y][:3]
                print(f"{name}: column {column} differs, e.g. pyarrow/ferry {diffs}")
                failed = True
    if failed:
        sys.exit(1)
    print("same rows and values in every reader")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--jsonl", required=True)
    r.add_argument("--bucket", required=True)
    r.add_argument("--key", required=True)
    r.add_argument("--born-before", type=int, default=1975)
    r.add_argument("--result")
    c = sub.add_parser("compare")
    c.add_argument("--env", required=True)
    c.add_argument("--ferry", required=True)
    c.add_argument("--pyarrow", required=True)
    c.add_argument("--format", choices=["parquet", "json"], default="parquet")
    args = parser.parse_args()
    run(args) if args.command == "run" else compare(args)


if __name__ == "__main__":
    main()
