#!/usr/bin/env python3
"""Checks the test tooling itself (not Ferry): python3 scripts/lib/tooling_selftest.py

Starts s3_fixture.py and fault_proxy.py as child processes and checks, with
boto3 and hand-signed raw requests as clients:
  - signatures over keys/queries with space, '+', '$', '/' pass (moto#5948 fix),
    a wrong secret gets SignatureDoesNotMatch, an unsigned request AccessDenied;
  - the IAM action mapping of every operation Ferry uses, for every user;
  - multipart upload with 5 MiB parts and ListParts for `full`;
  - the proxy: forwarding, keep-alive, Expect: 100-continue, chunked request
    bodies, 60 MiB bodies, concurrency, rules, seeded random faults, the log.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import boto3
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from boto3.s3.transfer import TransferConfig

HERE = os.path.dirname(os.path.abspath(__file__))
MiB = 1 << 20
failures: list[str] = []


def check(cond: bool, what: str) -> None:
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def error_code(fn) -> str:  # type: ignore[no-untyped-def]
    try:
        fn()
        return "ok"
    except ClientError as e:
        return e.response["Error"]["Code"]


def client(env: dict, user: str, endpoint: str | None = None, secret_suffix: str = "",
           retries: int = 1):  # type: ignore[no-untyped-def]
    u = env["users"][user]
    return boto3.client(
        "s3", endpoint_url=endpoint or env["endpoint"], region_name=env["region"],
        aws_access_key_id=u["accessKeyId"], aws_secret_access_key=u["secretAccessKey"] + secret_suffix,
        config=Config(s3={"addressing_style": "path"},
                      retries={"total_max_attempts": retries, "mode": "standard"}))


def raw_signed(env: dict, user: str, method: str, endpoint: str, target: str,
               body: bytes = b"", chunked: bool = False) -> tuple[int, bytes]:
    """Sign target (sent exactly as given) with botocore's S3SigV4Auth and send it."""
    u = env["users"][user]
    host = endpoint.split("://", 1)[1]
    req = AWSRequest(method=method, url=f"http://{host}{target}",
                     headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD" if chunked
                              else hashlib.sha256(body).hexdigest()})
    S3SigV4Auth(Credentials(u["accessKeyId"], u["secretAccessKey"]), "s3", env["region"]).add_auth(req)
    conn = http.client.HTTPConnection(host, timeout=60)
    headers = dict(req.headers.items())
    if chunked:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        for i in range(0, len(body), 7000):
            piece = body[i:i + 7000]
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        conn.send(b"0\r\n\r\n")
    else:
        conn.request(method, target, body=body or None, headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def start_fixture(tmp: str) -> tuple[subprocess.Popen, dict]:
    out = os.path.join(tmp, "env.json")
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "s3_fixture.py"), "start",
                             "--out", out, "--parent-pid", str(os.getpid())])
    while not os.path.exists(out):
        if proc.poll() is not None:
            sys.exit("fixture failed to start")
        time.sleep(0.05)
    check(time.monotonic() - t0 < 10, f"fixture ready in {time.monotonic() - t0:.1f}s (< 10s)")
    with open(out) as f:
        return proc, json.load(f)


def start_proxy(tmp: str, upstream: str, name: str, *extra: str) -> tuple[subprocess.Popen, str, str]:
    ready, log = os.path.join(tmp, f"{name}.port"), os.path.join(tmp, f"{name}.log")
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "fault_proxy.py"), "--upstream", upstream,
                             "--ready-file", ready, "--log-file", log, "--parent-pid", str(os.getpid()),
                             *extra])
    while not os.path.exists(ready):
        if proc.poll() is not None:
            sys.exit("proxy failed to start")
        time.sleep(0.02)
    with open(ready) as f:
        return proc, f"http://127.0.0.1:{int(f.read())}", log


def read_log(path: str) -> list[dict]:
    with open(path) as f:
        return [json.loads(line) for line in f]


def test_signing_and_auth(env: dict) -> None:
    b = env["bucket"]
    admin = client(env, "admin")
    key = "a b/c+d$e.txt"
    check(error_code(lambda: admin.put_object(Bucket=b, Key=key, Body=b"x")) == "ok",
          "boto3 PutObject of 'a b/c+d$e.txt' passes signature check")
    listed = admin.list_objects_v2(Bucket=b, Prefix="a b/")
    check([o["Key"] for o in listed.get("Contents", [])] == [key], "ListObjectsV2 prefix 'a b/' finds it")
    status, _ = raw_signed(env, "full", "GET", env["endpoint"], f"/{b}/a%20b/c%2Bd%24e.txt")
    check(status == 200, f"hand-signed GET /a%20b/c%2Bd%24e.txt -> {status}")
    status, body = raw_signed(env, "full", "GET", env["endpoint"], f"/{b}?list-type=2&prefix=a%20b%2F")
    check(status == 200 and b"c+d$e.txt" in body, f"hand-signed list prefix=a%20b%2F -> {status}")
    check(error_code(lambda: client(env, "admin", secret_suffix="x").list_objects_v2(Bucket=b))
          == "SignatureDoesNotMatch", "wrong secret -> SignatureDoesNotMatch")
    conn = http.client.HTTPConnection(env["endpoint"].split("://")[1])
    conn.request("GET", f"/{b}?location")
    r = conn.getresponse()
    check(r.status == 403 and b"AccessDenied" in r.read(), f"unsigned request -> {r.status} AccessDenied")


def test_iam_mapping(env: dict) -> None:
    b = env["bucket"]
    admin = client(env, "admin")
    admin.put_object(Bucket=b, Key="iam/existing", Body=b"x")
    upload_id = admin.create_multipart_upload(Bucket=b, Key="iam/mpu")["UploadId"]
    etag = admin.upload_part(Bucket=b, Key="iam/mpu", UploadId=upload_id, PartNumber=1, Body=b"p")["ETag"]

    def ops(s3, who: str):  # type: ignore[no-untyped-def]
        safe = who.replace(":", "_")
        return {
            "PutObject": ("s3:PutObject", lambda: s3.put_object(Bucket=b, Key=f"iam/{safe}", Body=b"x")),
            "CreateMultipartUpload": ("s3:PutObject", lambda: s3.create_multipart_upload(Bucket=b, Key=f"iam/m-{safe}")),
            "UploadPart": ("s3:PutObject", lambda: s3.upload_part(Bucket=b, Key="iam/mpu", UploadId=upload_id,
                                                                  PartNumber=2, Body=b"p")),
            "ListParts": ("s3:ListMultipartUploadParts", lambda: s3.list_parts(Bucket=b, Key="iam/mpu", UploadId=upload_id)),
            "GetObject": ("s3:GetObject", lambda: s3.get_object(Bucket=b, Key="iam/existing")["Body"].read()),
            "HeadObject": ("s3:GetObject", lambda: s3.head_object(Bucket=b, Key="iam/existing")),
            "GetBucketLocation": ("s3:GetBucketLocation", lambda: s3.get_bucket_location(Bucket=b)),
            "ListObjectsV2": ("s3:ListBucket", lambda: s3.list_objects_v2(Bucket=b, Prefix="iam/")),
            "DeleteObject": ("s3:DeleteObject", lambda: s3.delete_object(Bucket=b, Key="iam/nonexistent")),
        }

    def denied_ok(code: str) -> bool:
        # HEAD has no body, so botocore reports the bare status.
        return code in ("AccessDenied", "403")

    for user in ["full"] + [u for u in env["users"] if u.startswith("no-")]:
        missing = user[3:] if user.startswith("no-") else None
        s3 = client(env, user)
        bad = []
        for op, (perm, fn) in ops(s3, user).items():
            code = error_code(fn)
            expect_denied = perm == missing
            if (denied_ok(code) if expect_denied else code == "ok") is False:
                bad.append(f"{op}->{code}")
        check(not bad, f"{user}: only {missing or 'nothing'} denied" + (f" (wrong: {bad})" if bad else ""))

    full = client(env, "full")
    check(error_code(lambda: full.complete_multipart_upload(
        Bucket=b, Key="iam/mpu", UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})) == "ok",
        "full: CompleteMultipartUpload allowed (s3:PutObject)")
    noput = client(env, "no-s3:PutObject")
    uid2 = admin.create_multipart_upload(Bucket=b, Key="iam/mpu2")["UploadId"]
    e2 = admin.upload_part(Bucket=b, Key="iam/mpu2", UploadId=uid2, PartNumber=1, Body=b"p")["ETag"]
    check(error_code(lambda: noput.complete_multipart_upload(
        Bucket=b, Key="iam/mpu2", UploadId=uid2,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e2}]})) == "AccessDenied",
        "no-s3:PutObject: CompleteMultipartUpload denied")
    for name, fn in {
        "PutBucketTagging": lambda: full.put_bucket_tagging(Bucket=b, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]}),
        "ListMultipartUploads": lambda: full.list_multipart_uploads(Bucket=b),
        "AbortMultipartUpload": lambda: full.abort_multipart_upload(Bucket=b, Key="iam/mpu2", UploadId=uid2),
        "HeadBucket": lambda: full.head_bucket(Bucket=b),
    }.items():
        code = error_code(fn)
        check(denied_ok(code), f"full: {name} outside the six -> {code}")
    r = full.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "iam/existing"}]})
    codes = [e.get("Code") for e in r.get("Errors", [])]
    check(codes == ["AccessDenied"], f"full: DeleteObjects (checked on bucket ARN) -> per-key {codes}")


def test_multipart(env: dict) -> None:
    b, full = env["bucket"], client(env, "full")
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(1234)]
    uid = full.create_multipart_upload(Bucket=b, Key="mpu/five")["UploadId"]
    etags = [full.upload_part(Bucket=b, Key="mpu/five", UploadId=uid, PartNumber=i + 1, Body=p)["ETag"]
             for i, p in enumerate(parts)]
    listed = full.list_parts(Bucket=b, Key="mpu/five", UploadId=uid)
    check([(p["PartNumber"], p["Size"]) for p in listed["Parts"]] == [(1, 5 * MiB), (2, 5 * MiB), (3, 1234)],
          "full: ListParts shows 3 parts with sizes 5 MiB, 5 MiB, 1234")
    full.complete_multipart_upload(Bucket=b, Key="mpu/five", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]})
    got = full.get_object(Bucket=b, Key="mpu/five")["Body"].read()
    check(got == b"".join(parts), "5 MiB-part multipart upload completes and reads back identical")


def test_proxy(env: dict, tmp: str) -> None:
    b = env["bucket"]
    proc, ep, log = start_proxy(tmp, env["endpoint"], "plain")
    try:
        s3 = client(env, "full", endpoint=ep)
        check(error_code(lambda: s3.put_object(Bucket=b, Key="px/a b+$.txt", Body=b"hello")) == "ok",
              "proxy: boto3 PutObject (Expect: 100-continue) with odd key passes")
        check(s3.get_object(Bucket=b, Key="px/a b+$.txt")["Body"].read() == b"hello", "proxy: GetObject")
        check(error_code(lambda: s3.head_object(Bucket=b, Key="px/a b+$.txt")) == "ok", "proxy: HeadObject")
        check(error_code(lambda: s3.get_object(Bucket=b, Key="px/missing")) == "NoSuchKey",
              "proxy: error responses relayed (NoSuchKey)")
        check(error_code(lambda: client(env, "full", endpoint=ep, secret_suffix="x").list_objects_v2(Bucket=b))
              == "SignatureDoesNotMatch", "proxy: wrong secret still SignatureDoesNotMatch")

        big = os.urandom(60 * MiB)
        t0 = time.monotonic()
        s3.put_object(Bucket=b, Key="px/big", Body=big)
        got = s3.get_object(Bucket=b, Key="px/big")["Body"].read()
        check(hashlib.sha256(got).digest() == hashlib.sha256(big).digest(),
              f"proxy: 60 MiB PUT + GET round trip ({time.monotonic() - t0:.1f}s)")

        body = os.urandom(100_000)
        status, _ = raw_signed(env, "full", "PUT", ep, f"/{b}/px/chunked", body=body, chunked=True)
        got = s3.get_object(Bucket=b, Key="px/chunked")["Body"].read()
        check(status == 200 and got == body, f"proxy: Transfer-Encoding: chunked PUT -> {status}, body intact")

        host = ep.split("://")[1]
        conn = http.client.HTTPConnection(host)
        socks = []
        for _ in range(3):
            conn.request("GET", f"/{b}?location")
            r = conn.getresponse()
            r.read()
            socks.append(conn.sock)
            check(r.status == 403 and r.getheader("Connection") == "keep-alive",
                  "proxy: unsigned GET relayed 403, Connection: keep-alive")
        check(socks[0] is not None and all(s is socks[0] for s in socks), "proxy: keep-alive, 3 requests on 1 socket")
        conn.close()

        errors = []

        def worker(i: int) -> None:
            try:
                c = client(env, "full", endpoint=ep)
                data = os.urandom(200_000 + i)
                c.put_object(Bucket=b, Key=f"px/conc/{i}", Body=data)
                if c.get_object(Bucket=b, Key=f"px/conc/{i}")["Body"].read() != data:
                    errors.append(f"{i}: mismatch")
            except Exception as e:  # noqa: BLE001
                errors.append(f"{i}: {e}")
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check(not errors, f"proxy: 12 concurrent clients {errors or ''}")
        entries = read_log(log)
        check(all(set(e) == {"method", "path", "query", "action"} and e["action"] == "forward" for e in entries)
              and {"method": "GET", "path": f"/{b}", "query": "location", "action": "forward"} in entries,
              f"proxy: log has {len(entries)} well-formed forward lines")
    finally:
        proc.terminate()
        proc.wait(10)

    rules = json.dumps([
        {"method": "PUT", "query_contains": "partNumber=2", "nth": 1, "action": "slowdown"},
        {"method": "PUT", "query_contains": "partNumber=3", "nth": 1, "action": "drop"},
        {"method": "PUT", "query_contains": "partNumber=4", "nth": 1, "action": "internal"},
    ])
    proc, ep, log = start_proxy(tmp, env["endpoint"], "rules", "--rules", rules)
    try:
        path = os.path.join(tmp, "mpu.bin")
        data = os.urandom(20 * MiB)
        with open(path, "wb") as f:
            f.write(data)
        s3 = client(env, "full", endpoint=ep, retries=5)
        s3.upload_file(path, b, "px/rules.bin", Config=TransferConfig(
            multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4))
        got = client(env, "full").get_object(Bucket=b, Key="px/rules.bin")["Body"].read()
        check(got == data, "proxy rules: boto3 retries past slowdown/drop/internal, 20 MiB object intact")
        actions = [(e["query"].split("partNumber=")[1].split("&")[0], e["action"])
                   for e in read_log(log) if "partNumber=" in e["query"]]
        check(sorted(a for a in actions if a[1] != "forward") == [("2", "slowdown"), ("3", "drop"), ("4", "internal")]
              and sorted(actions).count(("2", "forward")) == 1 and sorted(actions).count(("3", "forward")) == 1,
              f"proxy rules: log shows each fault once, then a forwarded retry: {sorted(actions)}")
        # (moto answers an unknown uploadId with a 500 KeyError, AWS with 404 NoSuchUpload)
        status, body = raw_signed(env, "full", "PUT", ep, f"/{b}/px/x?partNumber=2&uploadId=nope", body=b"abc")
        check(read_log(log)[-1]["action"] == "forward" and b"SlowDown" not in body,
              f"proxy rules: nth=1 fires once only (later partNumber=2 forwarded -> {status})")
    finally:
        proc.terminate()
        proc.wait(10)

    seqs = []
    for run in range(2):
        proc, ep, log = start_proxy(tmp, env["endpoint"], f"random{run}", "--random-rate", "0.3", "--seed", "7")
        try:
            host = ep.split("://")[1]
            for i in range(40):
                conn = http.client.HTTPConnection(host, timeout=10)
                try:
                    conn.request("GET", f"/{b}?location&i={i}")
                    conn.getresponse().read()
                except (http.client.RemoteDisconnected, ConnectionError):
                    pass
                conn.close()
            seqs.append([e["action"] for e in read_log(log)])
        finally:
            proc.terminate()
            proc.wait(10)
    faults = sum(a != "forward" for a in seqs[0])
    check(seqs[0] == seqs[1] and 4 <= faults <= 20 and {"slowdown", "drop"} <= set(seqs[0]),
          f"proxy random: same seed -> same {faults}/40 faults, both kinds")

    # Expect: 100-continue on a faulted request: the proxy answers 100 itself, then 503.
    proc, ep, log = start_proxy(tmp, env["endpoint"], "expect",
                                "--rules", '[{"method":"PUT","action":"slowdown"}]')
    try:
        import socket
        host, port = ep.split("://")[1].split(":")
        s = socket.create_connection((host, int(port)))
        s.sendall(b"PUT /ferry-test/k HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        first = s.recv(100)
        s.sendall(b"hello")
        time.sleep(0.2)
        rest = s.recv(4096)
        s.close()
        check(first.startswith(b"HTTP/1.1 100") and rest.startswith(b"HTTP/1.1 503")
              and b"<Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
                  b"<RequestId>proxy</RequestId>" in rest,
              "proxy: Expect on a faulted PUT -> 100 Continue, then 503 SlowDown XML")
    finally:
        proc.terminate()
        proc.wait(10)


def test_role_trust(env: dict) -> None:
    """The role trusts only `assume-only`, and only with the external id."""
    import boto3
    from botocore.exceptions import ClientError

    role = env["roles"]["export"]

    def assume(user: str, external_id):  # type: ignore[no-untyped-def]
        keys = env["users"][user]
        sts = boto3.client("sts", endpoint_url=env["endpoint"], region_name=env["region"],
                           aws_access_key_id=keys["accessKeyId"], aws_secret_access_key=keys["secretAccessKey"])
        kwargs = {"RoleArn": role["arn"], "RoleSessionName": "selftest", "DurationSeconds": 900}
        if external_id:
            kwargs["ExternalId"] = external_id
        try:
            return sts.assume_role(**kwargs)["Credentials"]
        except ClientError as e:
            return e.response["Error"]["Code"]

    granted = assume(role["baseUser"], role["externalId"])
    check(isinstance(granted, dict), "role: the base user with the external id gets credentials")
    check(assume(role["baseUser"], "wrong-external-id") == "AccessDenied", "role: a wrong external id -> AccessDenied")
    check(assume(role["baseUser"], None) == "AccessDenied", "role: no external id -> AccessDenied")
    check(assume("full", role["externalId"]) == "AccessDenied", "role: an untrusted user -> AccessDenied")
    if isinstance(granted, dict):
        s3 = boto3.client("s3", endpoint_url=env["endpoint"], region_name=env["region"],
                          aws_access_key_id=granted["AccessKeyId"], aws_secret_access_key=granted["SecretAccessKey"],
                          aws_session_token=granted["SessionToken"])
        s3.put_object(Bucket=env["bucket"], Key="selftest/role", Body=b"x")
        check(s3.get_object(Bucket=env["bucket"], Key="selftest/role")["Body"].read() == b"x",
              "role: its credentials hold the six permissions")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        proc, env = start_fixture(tmp)
        try:
            check(set(env) == {"endpoint", "region", "bucket", "pid", "users", "roles"} and env["pid"] == proc.pid
                  and len(env["users"]) == 9, f"ENV.json shape, users {sorted(env['users'])}")
            test_signing_and_auth(env)
            test_iam_mapping(env)
            test_multipart(env)
            test_proxy(env, tmp)
            test_role_trust(env)
        finally:
            subprocess.run([sys.executable, os.path.join(HERE, "s3_fixture.py"), "stop", "--env",
                            os.path.join(tmp, "env.json")], check=False)
            proc.wait(15)
        check(proc.returncode == 0 and not os.path.exists(os.path.join(tmp, "env.json")),
              "fixture stops via `stop --env`, exit 0, ENV.json removed")
    print(f"\n{len(failures)} failure(s)" + ("" if not failures else ":\n  " + "\n  ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
