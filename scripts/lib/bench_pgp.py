#!/usr/bin/env python3
"""PGP export benchmark (issue 13): a ~500 MB export encrypted to a gpg key.

    bench_pgp.py --ferry BIN --env S3-ENV.json --work DIR [--megabytes 500] [--key rsa3072|cv25519]

Generates profiles whose CSV export is about --megabytes, imports them with
the given (release) ferry, makes a key with Debian's gpg in a temporary
GNUPGHOME, creates two destinations on the moto S3 (plain and
--pgp-public-key), exports both at the same scheduled time and measures the
encrypted one (wall time, peak RSS) beside the plain one.  Then it downloads the encrypted
object, decrypts it with gpg and checks it equals the plain object, byte
for byte.  Target: peak RSS under 150 MiB.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, env=None, **kw):
    return subprocess.run(cmd, check=True, env=env, **kw)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--ferry", required=True)
    p.add_argument("--env", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--megabytes", type=int, default=500)
    p.add_argument("--key", choices=["rsa3072", "cv25519"], default="rsa3072")
    args = p.parse_args()

    import boto3
    from botocore.config import Config

    s3env = json.load(open(args.env))
    full = s3env["users"]["full"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=full["accessKeyId"], AWS_SECRET_ACCESS_KEY=full["secretAccessKey"],
               AWS_ENDPOINT_URL_S3=s3env["endpoint"], AWS_REGION=s3env["region"])
    ws = os.path.join(args.work, "ws")
    gnupg = os.path.join(args.work, "gnupg")
    os.makedirs(gnupg, mode=0o700, exist_ok=True)

    # ~2 KB per row: an email and a 2,000-character name.
    row_bytes = 2030
    rows = args.megabytes * 1_000_000 // row_bytes
    jsonl = os.path.join(args.work, "profiles.jsonl")
    name = "n" * 2000
    with open(jsonl, "w") as f:
        for i in range(rows):
            f.write('{"identityMap":{"Email":[{"id":"p%d@x.io","primary":true}]},"person":{"name":"%s"}}\n'
                    % (i, name))
    ferry = lambda *a: run([args.ferry, *a, "--workspace", ws], env=env, stdout=subprocess.DEVNULL)  # noqa: E731
    print(f"importing {rows} profiles", file=sys.stderr, flush=True)
    ferry("profiles", "import", jsonl)
    os.unlink(jsonl)
    ferry("segments", "create", "all", "--pql", 'person.name like "n%"')

    gpg = ["gpg", "--batch", "--no-tty", "--homedir", gnupg]
    uid = f"Bench <{args.key}@example.com>"
    primary = "rsa3072" if args.key == "rsa3072" else "ed25519"
    run(gpg + ["--passphrase", "", "--quick-gen-key", uid, primary, "sign,cert", "never"], stderr=subprocess.DEVNULL)
    listing = run(gpg + ["--with-colons", "--list-keys", uid], capture_output=True, text=True).stdout
    fpr = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    run(gpg + ["--passphrase", "", "--quick-add-key", fpr, args.key, "encr", "never"], stderr=subprocess.DEVNULL)
    keyfile = os.path.join(args.work, "key.asc")
    with open(keyfile, "wb") as f:
        f.write(run(gpg + ["--armor", "--export", fpr], capture_output=True).stdout)

    bucket = s3env["bucket"]
    ferry("destinations", "create", "plain", "--bucket", bucket, "--folder-path", "bench/pgp-plain")
    ferry("destinations", "create", "sealed", "--bucket", bucket, "--folder-path", "bench/pgp-sealed",
          "--pgp-public-key", keyfile)
    for dest in ("plain", "sealed"):
        ferry("activations", "create", dest, "--destination", dest, "--segment", "all",
              "--map", "identityMap.Email=email", "--map", "person.name=name")
    ferry("segments", "evaluate")
    when = "2026-01-01T00:00:00Z"
    plain_measured = os.path.join(args.work, "plain.json")
    run([sys.executable, os.path.join(HERE, "measure.py"), "--label", "ferry export (no PGP)",
         "--json", plain_measured, "--", args.ferry, "export", "plain", "--at", when, "--workspace", ws],
        env=env, stdout=subprocess.DEVNULL)
    plain_result = json.load(open(plain_measured))
    measured = os.path.join(args.work, "sealed.json")
    started = time.monotonic()
    run([sys.executable, os.path.join(HERE, "measure.py"), "--label", f"ferry export --pgp ({args.key})",
         "--json", measured, "--", args.ferry, "export", "sealed", "--at", when, "--workspace", ws],
        env=env, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - started
    result = json.load(open(measured))

    admin = s3env["users"]["admin"]
    s3 = boto3.client("s3", endpoint_url=s3env["endpoint"], region_name=s3env["region"],
                      aws_access_key_id=admin["accessKeyId"], aws_secret_access_key=admin["secretAccessKey"],
                      config=Config(s3={"addressing_style": "path"}))

    def only(prefix):
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
        assert len(keys) == 1, keys
        return keys[0]

    plain_path = os.path.join(args.work, "plain.csv")
    sealed_path = os.path.join(args.work, "sealed.csv.gpg")
    s3.download_file(bucket, only("bench/pgp-plain/"), plain_path)
    sealed_key = only("bench/pgp-sealed/")
    s3.download_file(bucket, sealed_key, sealed_path)
    plain_size = os.path.getsize(plain_path)
    sealed_size = os.path.getsize(sealed_path)
    decrypted = os.path.join(args.work, "decrypted.csv")
    started = time.monotonic()
    run(gpg + ["--pinentry-mode", "loopback", "--passphrase", "", "--output", decrypted, "--decrypt", sealed_path],
        stderr=subprocess.DEVNULL)
    gpg_seconds = time.monotonic() - started

    def digest(path):
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()

    same = digest(decrypted) == digest(plain_path)
    rss = result["peak_rss_mib"]
    print()
    print(f"key                 {args.key} ({fpr})")
    print(f"rows                {rows}")
    print(f"plain CSV           {plain_size / 1e6:.1f} MB")
    print(f"encrypted object    {sealed_size / 1e6:.1f} MB  ({sealed_key})")
    print(f"ferry export --pgp  {wall:.1f} s wall, {result['cpu_seconds']:.1f} s cpu, "
          f"{plain_size / 1e6 / wall:.1f} MB/s, peak RSS {rss:.1f} MiB (target < 150 MiB: "
          f"{'met' if rss < 150 else 'MISSED'})")
    print(f"ferry export        {plain_result['wall_seconds']:.1f} s wall, peak RSS "
          f"{plain_result['peak_rss_mib']:.1f} MiB (the same export without PGP)")
    print(f"gpg --decrypt       {gpg_seconds:.1f} s; decrypted == plain export: {same}")
    run(["gpgconf", "--homedir", gnupg, "--kill", "gpg-agent"])
    return 0 if same and result["exit_status"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
