#!/usr/bin/env python3
"""What moto recorded about an object's server-side encryption, as JSON:

    sse_report.py ENV.json KEY
    {"object": "AES256", "kmsKeyId": null, "parts": ["AES256", ...]}

`parts` has one entry per part of a multipart object (HeadObject with
PartNumber), and one for a single-part object.  Read with the fixture's
admin user, so the answer does not depend on the exporter's permissions."""

import json
import sys

import boto3
from botocore.config import Config


def main() -> int:
    env = json.load(open(sys.argv[1]))
    key = sys.argv[2]
    admin = env["users"]["admin"]
    s3 = boto3.client("s3", endpoint_url=env["endpoint"], region_name=env["region"],
                      aws_access_key_id=admin["accessKeyId"], aws_secret_access_key=admin["secretAccessKey"],
                      config=Config(s3={"addressing_style": "path"}))
    head = s3.head_object(Bucket=env["bucket"], Key=key)
    etag = head["ETag"].strip('"')
    count = int(etag.split("-")[1]) if "-" in etag else 1
    parts = [s3.head_object(Bucket=env["bucket"], Key=key, PartNumber=n).get("ServerSideEncryption")
             for n in range(1, count + 1)]
    json.dump({"object": head.get("ServerSideEncryption"), "kmsKeyId": head.get("SSEKMSKeyId"),
               "parts": parts}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
