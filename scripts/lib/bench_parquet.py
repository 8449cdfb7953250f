#!/usr/bin/env python3
"""pyarrow's side of `scripts/bench export --file-type parquet`.

usage: bench_parquet.py run --jsonl FILE --bucket B --key KEY [--born-before YEAR] [--result FILE.json]
       bench_parquet.py compare --env ENV.json --ferry KEY[,KEY...] --pyarrow KEY

`run`: the same export as Ferry's in one script: pyarrow.json.read_json, a
pyarrow.compute filter on person.birthYear < YEAR, the bench's five columns,
pyarrow.parquet.write_table (snappy, pyarrow's default) into a buffer, and a
boto3 upload_fileobj (16 MiB parts, 4 at a time).  Prints and (with --result)
writes JSON: rows, bytes and the seconds of each phase.

`compare`: downloads Ferry's files and pyarrow's (the fixture's admin user),
reads both with pyarrow, and checks that they hold the same rows (sorted by
email) with the same values; prints each side's rows, bytes, column types and
row groups.  Exits 1 when they differ.
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


def compare(args: argparse.Namespace) -> None:
    import boto3
    import pyarrow as pa
    import pyarrow.parquet as pq
    with open(args.env) as f:
        env = json.load(f)
    admin = env["users"]["admin"]
    s3 = boto3.client("s3", endpoint_url=env["endpoint"], region_name=env["region"],
                      aws_access_key_id=admin["accessKeyId"], aws_secret_access_key=admin["secretAccessKey"])
    sides = {}
    for name, keys in (("ferry", args.ferry.split(",")), ("pyarrow", [args.pyarrow])):
        tables, size, groups = [], 0, 0
        for key in keys:
            body = s3.get_object(Bucket=env["bucket"], Key=key)["Body"].read()
            size += len(body)
            file = pq.ParquetFile(io.BytesIO(body))
            groups += file.metadata.num_row_groups
            tables.append(file.read())
        table = pa.concat_tables(tables).sort_by("email")
        sides[name] = table
        types = ", ".join(f"{f.name}:{f.type}" for f in table.schema)
        print(f"{name}: {table.num_rows} rows, {size} bytes in {len(keys)} file(s), {groups} row groups; {types}")
    ferry, arrow = sides["ferry"], sides["pyarrow"]
    if ferry.num_rows != arrow.num_rows:
        print("row counts differ")
        sys.exit(1)
    for column in arrow.column_names:
        a = arrow.column(column).to_pylist()
        b = ferry.column(column).to_pylist()
        if a != b:
            diffs = [(x, y) for x, y in zip(a, b) if x != y][:3]
            print(f"column {column} differs, e.g. pyarrow/ferry {diffs}")
            sys.exit(1)
    print("same rows and values")


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
    args = parser.parse_args()
    run(args) if args.command == "run" else compare(args)


if __name__ == "__main__":
    main()
