#!/usr/bin/env python3
"""A moto S3 server with IAM users for Ferry's integration tests.

    s3_fixture.py start --out ENV.json [--port N] [--parent-pid PID] [--verbose]
    s3_fixture.py stop --env ENV.json

`start` runs moto in this process (see moto_launcher.py), spends exactly the
free setup requests creating the bucket and users, then writes ENV.json
atomically (tmp + rename) and serves until SIGTERM/SIGINT or until
--parent-pid dies (polled every second).  It removes ENV.json on exit.

ENV.json:
    {"endpoint": "http://127.0.0.1:PORT", "region": "us-east-1",
     "bucket": "ferry-test", "pid": N,
     "users": {"admin": {"accessKeyId": .., "secretAccessKey": ..},
               "full": {..},
               "no-s3:DeleteObject": {..}, ... one per permission,
               "assume-only": {..}},
     "roles": {"export": {"arn": .., "externalId": .., "baseUser": "assume-only"}}}

`admin` has s3:* on everything.  `full` has exactly the six permissions Ferry
needs (PERMISSIONS below); `no-s3:X` has the six minus s3:X.  (IAM user names
cannot contain ':', so the IAM user behind "no-s3:X" is named "no-X".)

How moto 5.2.1 maps S3 requests to IAM actions (moto/s3/responses.py ACTION_MAP
and the _authenticate_and_authorize_s3_action calls; checked by
tooling_selftest.py):
  PutObject, CreateMultipartUpload (POST ?uploads), UploadPart (PUT
    ?partNumber&uploadId), CompleteMultipartUpload (POST ?uploadId)
                                           -> s3:PutObject on bucket/key
  ListParts (GET key?uploadId)              -> s3:ListMultipartUploadParts on bucket/key
  GetObject, HeadObject                     -> s3:GetObject on bucket/key
  DeleteObject                              -> s3:DeleteObject on bucket/key
  AbortMultipartUpload (DELETE ?uploadId)   -> s3:AbortMultipartUpload (NOT one of the six:
                                               `full` cannot abort uploads)
  GetBucketLocation (GET ?location)         -> s3:GetBucketLocation on the bucket
  ListObjects/ListObjectsV2 (GET bucket)    -> s3:ListBucket on the bucket
  ListMultipartUploads (GET bucket?uploads) -> s3:ListBucketMultipartUploads on the bucket
  HeadBucket                                -> s3:HeadBucket (AWS uses s3:ListBucket)
  DeleteObjects (POST ?delete)              -> s3:DeleteObject checked on the *bucket* ARN;
                                               when denied moto still answers 200 with a
                                               per-key AccessDenied <Error> for each key.
  An unsigned request after setup gets 403 AccessDenied (moto: "No Authorization header").
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

REGION = "us-east-1"
BUCKET = "ferry-test"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
PERMISSIONS = [
    "s3:DeleteObject",
    "s3:GetBucketLocation",
    "s3:GetObject",
    "s3:ListBucket",
    "s3:PutObject",
    "s3:ListMultipartUploadParts",
]
BUCKET_LEVEL = {"s3:ListBucket", "s3:GetBucketLocation"}
# moto's default account.  The role holds the six permissions and trusts the
# `assume-only` user, whose own policy allows nothing but sts:AssumeRole,
# when the caller gives EXTERNAL_ID (moto_launcher enforces the trust policy).
ACCOUNT = "123456789012"
ROLE_NAME = "ferry-export"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE_NAME}"
EXTERNAL_ID = "ferry-test-external-id"


def _policy(actions: list[str]) -> dict:
    on_bucket = [a for a in actions if a in BUCKET_LEVEL]
    on_objects = [a for a in actions if a not in BUCKET_LEVEL]
    statements = []
    if on_bucket:
        statements.append({"Effect": "Allow", "Action": on_bucket, "Resource": BUCKET_ARN})
    if on_objects:
        statements.append({"Effect": "Allow", "Action": on_objects, "Resource": f"{BUCKET_ARN}/*"})
    return {"Version": "2012-10-17", "Statement": statements}


def _users() -> list[tuple[str, str, dict]]:
    """(key in ENV.json, IAM user name, policy document)."""
    users = [
        ("admin", "admin",
         {"Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
        ("full", "full", _policy(PERMISSIONS)),
    ]
    for missing in PERMISSIONS:
        users.append((f"no-{missing}", f"no-{missing.split(':', 1)[1]}",
                      _policy([p for p in PERMISSIONS if p != missing])))
    users.append(("assume-only", "assume-only",
                  {"Version": "2012-10-17",
                   "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE_ARN}]}))
    return users


def _trust_policy() -> dict:
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                           "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/assume-only"},
                           "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}}]}


# Every setup request below must be counted here: CreateBucket, then per user
# CreateUser + PutUserPolicy + CreateAccessKey, then CreateRole + PutRolePolicy.
# Each of these passes through moto's _authenticate_and_authorize_action exactly once.
SETUP_REQUESTS = 1 + 3 * len(_users()) + 2


def _write_atomically(path: str, data: dict) -> None:
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _setup(endpoint: str) -> dict:
    import boto3
    from botocore.config import Config

    cfg = Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1},
                 connect_timeout=5, read_timeout=30)
    # Free requests need no valid signature; these keys do not exist.
    kw = dict(endpoint_url=endpoint, region_name=REGION, config=cfg,
              aws_access_key_id="setup", aws_secret_access_key="setup")
    s3 = boto3.client("s3", **kw)
    iam = boto3.client("iam", **kw)
    s3.create_bucket(Bucket=BUCKET)
    users = {}
    for env_key, name, policy in _users():
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="ferry-test",
                            PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        users[env_key] = {"accessKeyId": key["AccessKeyId"],
                          "secretAccessKey": key["SecretAccessKey"]}
    iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(_trust_policy()),
                    MaxSessionDuration=3600)
    iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="ferry-test", PolicyDocument=json.dumps(_policy(PERMISSIONS)))
    return users


def _check_unsigned_refused(endpoint: str) -> None:
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(f"{endpoint}/{BUCKET}?location", timeout=10)
    except urllib.error.HTTPError as e:
        if e.code == 403:
            return
        raise RuntimeError(f"unsigned request after setup got HTTP {e.code}, expected 403")
    raise RuntimeError("unsigned request after setup was accepted: IAM auth is not enforced")


def cmd_start(args: argparse.Namespace) -> int:
    import moto_launcher

    started = time.monotonic()
    out = os.path.abspath(args.out)
    if os.path.exists(out):
        os.unlink(out)
    server = moto_launcher.start(port=args.port, initial_no_auth_action_count=SETUP_REQUESTS,
                                 verbose=args.verbose)
    try:
        users = _setup(server.endpoint)
        used = moto_launcher.authorised_request_count()
        if used != SETUP_REQUESTS:
            raise RuntimeError(f"setup used {used} free requests, expected {SETUP_REQUESTS}")
        _check_unsigned_refused(server.endpoint)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        _write_atomically(out, {"endpoint": server.endpoint, "region": REGION,
                                "bucket": BUCKET, "pid": os.getpid(), "users": users,
                                "roles": {"export": {"arn": ROLE_ARN, "externalId": EXTERNAL_ID,
                                                     "baseUser": "assume-only"}}})
        print(f"s3_fixture: moto ready at {server.endpoint} in "
              f"{time.monotonic() - started:.1f}s, env in {out}", file=sys.stderr, flush=True)
        while not stop.wait(1):
            if args.parent_pid and not _alive(args.parent_pid):
                print(f"s3_fixture: parent {args.parent_pid} is gone, stopping",
                      file=sys.stderr, flush=True)
                break
    finally:
        try:
            if os.path.exists(out):
                with open(out) as f:
                    if json.load(f).get("pid") == os.getpid():
                        os.unlink(out)
        except (OSError, ValueError):
            pass
        server.stop()
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    try:
        with open(args.env) as f:
            pid = int(json.load(f)["pid"])
    except FileNotFoundError:
        print(f"s3_fixture: {args.env} not found; nothing to stop", file=sys.stderr)
        return 0
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not _alive(pid):
            return 0
        time.sleep(0.1)
    print(f"s3_fixture: pid {pid} ignored SIGTERM for 10s, killing", file=sys.stderr)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="moto S3 + IAM fixture for Ferry's tests")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("start")
    p.add_argument("--out", required=True, help="where to write ENV.json once ready")
    p.add_argument("--port", type=int, default=0, help="default: a free port")
    p.add_argument("--parent-pid", type=int, default=0, help="stop when this process dies")
    p.add_argument("--verbose", action="store_true", help="log every request")
    p = sub.add_parser("stop")
    p.add_argument("--env", required=True)
    args = parser.parse_args()
    try:
        return cmd_start(args) if args.cmd == "start" else cmd_stop(args)
    except Exception as e:  # noqa: BLE001 - print clearly, exit non-zero
        if args.cmd == "start" and getattr(args, "verbose", False):
            traceback.print_exc()
        print(f"s3_fixture {args.cmd}: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
