"""Run the FinSpace Data API emulator from the command line.

    python -m finspace_local.emulator --port 8443 --db state.sqlite --environment finspace-local \
        --role AKIAEXAMPLE example-secret arn:aws:iam::123456789012:role/FinSpaceUserProvider-us-east-1 \
        --register arn:aws:iam::123456789012:role/FinSpaceUserProvider-us-east-1

prints the endpoint URL, the CA bundle path and the admin token (``Authorization: Bearer <token>``
for ``/_emulator/calls`` and ``/_emulator/faults``), then serves until interrupted.
``--role`` tells the emulator which IAM role signs with an access key, and the key's secret that
its signatures are checked with (what IAM knows); ``--register`` does the web application's
bootstrap step for a role in every environment.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from pathlib import Path

from .server import Emulator, EmulatorSettings
from .state import BackendSettings

__all__ = ["main"]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m finspace_local.emulator", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--db", default=":memory:", help="SQLite file for the state (default: in memory)")
    parser.add_argument("--http", action="store_true", help="serve plain HTTP instead of HTTPS")
    parser.add_argument("--state-dir", type=Path, help="where the CA bundle is written (default: a temp dir)")
    parser.add_argument("--environment", action="append", help="a known environment id (repeatable)")
    parser.add_argument("--creating-seconds", type=float, default=0.0, help="how long new users stay CREATING")
    parser.add_argument("--role", action="append", nargs=3, default=[],
                        metavar=("ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "ROLE_ARN"),
                        help="requests signed with this access key and secret come from this IAM role (repeatable)")
    parser.add_argument("--register", action="append", default=[], metavar="ROLE_ARN",
                        help="register this role as IAM principal of a SUPER_USER with API access (repeatable)")
    parser.add_argument("--redundant", choices=("succeed", "conflict"), default="succeed",
                        help="answer to disabling a disabled (enabling an enabled) user")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    backend = BackendSettings(creating_seconds=args.creating_seconds, redundant_state_change=args.redundant)
    if args.environment:
        backend.environments = frozenset(args.environment)
    settings = EmulatorSettings(db_path=args.db, tls=not args.http, port=args.port, state_dir=args.state_dir,
                                backend=backend)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Emulator(settings) as emulator:
        for access_key_id, secret_access_key, role_arn in args.role:
            emulator.backend.assign_role(access_key_id, role_arn, secret_access_key=secret_access_key)
        for role_arn in args.register:
            for environment_id in sorted(backend.environments):
                emulator.web_app.register_role(environment_id, role_arn)
        print(f"endpoint: {emulator.endpoint_url}", flush=True)
        print(f"ca-bundle: {emulator.ca_bundle or '-'}", flush=True)
        print(f"admin-token: {emulator.admin_token}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


if __name__ == "__main__":
    main()
