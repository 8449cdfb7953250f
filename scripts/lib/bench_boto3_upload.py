#!/usr/bin/env python3
"""boto3 baseline for `scripts/bench s3`: bench_boto3_upload.py FILE BUCKET KEY

Credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, endpoint from
AWS_ENDPOINT_URL_S3, region from AWS_REGION (default us-east-1).  Uploads with
upload_file and 16 MiB parts, 4 at a time (the same shape as
`ferry s3 cp --part-size 16 --concurrency 4`).
"""

import os
import sys

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

MiB = 1 << 20


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    path, bucket, key = sys.argv[1:]
    s3 = boto3.client(
        "s3",
        endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"],
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard"}),
    )
    s3.upload_file(path, bucket, key, Config=TransferConfig(
        multipart_threshold=16 * MiB, multipart_chunksize=16 * MiB, max_concurrency=4))
    return 0


if __name__ == "__main__":
    sys.exit(main())
