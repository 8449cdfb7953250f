#!/usr/bin/env python3
"""Start moto's S3/IAM server in-process on 127.0.0.1, with IAM auth enforced.

Usage as a library (what s3_fixture.py does):

    import moto_launcher
    server = moto_launcher.start(port=0, initial_no_auth_action_count=25)
    server.port  # the bound port
    server.stop()

Usage as a command (for poking at moto by hand):

    python3 moto_launcher.py [--port N] [--no-auth-count N] [--verbose]

Why this exists instead of plain `moto_server`: moto 5.2.x (getmoto/moto#5948)
verifies SigV4 signatures against a URL it rebuilds from werkzeug's *decoded*
request, not against the bytes the client sent.  Correctly signed requests
whose key or query contains `/` (`prefix=a%2Fb`), `+`, `$` or a space then fail
with SignatureDoesNotMatch (boto3 fails the same way).  The raw request target
is in the WSGI environ (`RAW_URI` / `REQUEST_URI`), so we capture it in
BaseResponse.setup_class and let
ActionAuthenticatorMixin._authenticate_and_authorize_action (which reads
`self.uri`) verify against it.  Correct signatures then pass for every key,
wrong ones still fail.  Second small fix: once auth is enforced, moto answers a
request without an Authorization header with a 500 (KeyError); we answer 403
AccessDenied as S3 does for anonymous requests.  Side effect worth knowing: the check is now byte-exact,
i.e. the path/query a client puts on the wire must be the same encoding it
signed (real S3 is at least that strict for the canonical URI).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading


def _patch_moto_raw_uri() -> None:
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.exceptions import AccessDeniedError
    from moto.core.responses import BaseResponse
    from moto.iam.access_control import S3IAMRequest
    from moto.s3.exceptions import S3AccessDeniedError

    if getattr(BaseResponse, "_ferry_raw_uri_patch", False):
        return

    original_setup_class = BaseResponse.setup_class
    original_authenticate = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def setup_class(self, request, full_url, headers, use_raw_body=False):  # type: ignore[no-untyped-def]
        original_setup_class(self, request, full_url, headers, use_raw_body)
        environ = getattr(request, "environ", None) or {}
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        # Prefix scheme+host so that a target starting with "//" is not parsed
        # as a netloc by urlparse; only path and query are used afterwards.
        self._ferry_raw_uri = f"http://raw{raw}" if raw and raw.startswith("/") else None

    def authenticate(self, iam_request_cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        if (ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT
                and "Authorization" not in self.headers
                and self.headers.get("X-Amz-Target") not in self.PUBLIC_OPERATIONS):
            if iam_request_cls is S3IAMRequest:
                raise S3AccessDeniedError()
            raise AccessDeniedError("anonymous", self._get_action())
        raw = getattr(self, "_ferry_raw_uri", None)
        if raw is None:
            return original_authenticate(self, iam_request_cls, *args, **kwargs)
        decoded_uri = self.uri
        self.uri = raw
        try:
            return original_authenticate(self, iam_request_cls, *args, **kwargs)
        finally:
            self.uri = decoded_uri

    BaseResponse.setup_class = setup_class  # type: ignore[method-assign]
    ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate  # type: ignore[method-assign]
    BaseResponse._ferry_raw_uri_patch = True  # type: ignore[attr-defined]


def _patch_moto_trust_policies() -> None:
    """moto 5.2.1 hands out a role's credentials to any caller allowed
    sts:AssumeRole, whatever the role's trust policy says.  AWS also checks
    the trust policy: the caller must be a trusted principal, and an
    `sts:ExternalId` condition must match the ExternalId given.  This checks
    both (Allow statements with an AWS principal and StringEquals
    conditions, which is what the fixture writes) and answers AccessDenied
    as AWS does otherwise."""
    import json
    import re

    from moto.core.exceptions import AccessDeniedError
    from moto.iam.models import iam_backends
    from moto.sts.responses import TokenResponse

    if getattr(TokenResponse, "_ferry_trust_patch", False):
        return
    original = TokenResponse.assume_role

    def trusted(statement: dict, caller_arn: str, account: str, params: dict) -> bool:
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if statement.get("Effect") != "Allow" or not ({"sts:AssumeRole", "sts:*", "*"} & set(actions)):
            return False
        principals = (statement.get("Principal") or {}).get("AWS", [])
        principals = [principals] if isinstance(principals, str) else principals
        if not ({caller_arn, f"arn:aws:iam::{account}:root", account, "*"} & set(principals)):
            return False
        for key, expected in ((statement.get("Condition") or {}).get("StringEquals") or {}).items():
            expected = [expected] if isinstance(expected, str) else expected
            if params.get(key.lower()) not in expected:
                return False
        return True

    def assume_role(self):  # type: ignore[no-untyped-def]
        match = re.search(r"Credential=([^/]+)/", self.headers.get("Authorization", ""))
        iam = iam_backends[self.current_account][self.partition]
        user = iam.get_user_from_access_key_id(match.group(1)) if match else None
        caller_arn = user.arn if user else "anonymous"
        role_arn = self._get_param("RoleArn") or ""
        try:
            role = iam.get_role_by_arn(role_arn)
            document = json.loads(role.assume_role_policy_document)
        except Exception:  # noqa: BLE001 - an unknown role is refused like an untrusting one
            document = {"Statement": []}
        statements = document.get("Statement", [])
        statements = [statements] if isinstance(statements, dict) else statements
        params = {"sts:externalid": self._get_param("ExternalId")}
        if not any(trusted(s, caller_arn, self.current_account, params) for s in statements):
            raise AccessDeniedError(user_arn=caller_arn, action="sts:AssumeRole")
        return original(self)

    TokenResponse.assume_role = assume_role  # type: ignore[method-assign]
    TokenResponse._ferry_trust_patch = True  # type: ignore[attr-defined]


class Server:
    def __init__(self, wsgi_server, thread: threading.Thread):  # type: ignore[no-untyped-def]
        self._wsgi_server = wsgi_server
        self._thread = thread
        self.host, self.port = wsgi_server.server_address[:2]
        self.endpoint = f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._wsgi_server.shutdown()
        self._wsgi_server.server_close()
        self._thread.join(5)


def set_initial_no_auth_action_count(count: float) -> None:
    """The first `count` authorising requests are free, every later one needs
    a valid signature from an IAM user whose policy allows the action.
    moto reads the setting at call time; the counter starts at zero."""
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(count)
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    settings.INITIAL_NO_AUTH_ACTION_COUNT = float(count)
    ActionAuthenticatorMixin.request_count = 0


def authorised_request_count() -> int:
    """How many free (counted) requests moto has seen so far."""
    from moto.core.authorization import ActionAuthenticatorMixin

    return ActionAuthenticatorMixin.request_count


def start(host: str = "127.0.0.1", port: int = 0,
          initial_no_auth_action_count: float = float("inf"),
          verbose: bool = False) -> Server:
    # Must be in the environment before moto.settings is first imported.
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(initial_no_auth_action_count)
    if not verbose:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    _patch_moto_raw_uri()
    _patch_moto_trust_policies()
    set_initial_no_auth_action_count(initial_no_auth_action_count)
    # What moto.server.ThreadedMotoServer does, minus its thread: a bind error
    # there exits only that thread and start() then waits forever.
    app = DomainDispatcherApplication(create_backend_app)
    try:
        wsgi_server = make_server(host, port, app, threaded=True)
    except SystemExit:  # werkzeug has already printed why
        raise RuntimeError(f"cannot listen on {host}:{port}") from None
    thread = threading.Thread(target=wsgi_server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    return Server(wsgi_server, thread)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-auth-count", type=float, default=float("inf"),
                        help="INITIAL_NO_AUTH_ACTION_COUNT (default: auth never enforced)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    server = start(port=args.port, initial_no_auth_action_count=args.no_auth_count,
                   verbose=args.verbose)
    print(server.endpoint, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(1):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
