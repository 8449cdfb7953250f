#!/usr/bin/env python3
"""Versioned buckets for the exactly-once tests, as the admin user of a fixture.

    s3_versions.py ENV.json create BUCKET      creates BUCKET with versioning on
    s3_versions.py ENV.json versions BUCKET    prints {"key": number of versions, ...}

A second PutObject or CompleteMultipartUpload of a key shows up as a second
version, so these tests see a double delivery that a plain listing hides.
"""

import json
import sys

import boto3


def main() -> int:
    env_path, command, bucket = sys.argv[1:4]
    with open(env_path) as f:
        env = json.load(f)
    admin = env["users"]["admin"]
    s3 = boto3.client(
        "s3", endpoint_url=env["endpoint"], region_name=env["region"],
        aws_access_key_id=admin["accessKeyId"], aws_secret_access_key=admin["secretAccessKey"])
    if command == "create":
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        return 0
    if command == "versions":
        counts: dict[str, int] = {}
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for version in page.get("Versions", []):
                counts[version["Key"]] = counts.get(version["Key"], 0) + 1
        print(json.dumps(counts))
        return 0
    print(f"unknown command {command}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
