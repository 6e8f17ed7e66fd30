"""Emulator throughput with several client threads (a benchmark, not a test).

    python -m benchmarks.emulator_throughput [--threads 8] [--calls 200]

Runs the same mixed workload (GetUser, ListUsers, UpdateUser) over HTTPS and
over plain HTTP in one run, and prints requests per second for each and their
ratio. The design target is at least 300 requests per second over HTTPS.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

from finspace_local import Emulator, EmulatorSettings
from finspace_local.state import BackendSettings
from lambda_handler.client import new_finspace_client

ENVIRONMENT = "bench"
BENCH_KEY, BENCH_SECRET = "AKIABENCH", "secret"
BENCH_ROLE = "arn:aws:iam::123456789012:role/finspace-bench"


def _client() -> object:
    caller = new_finspace_client(region_name="us-east-1", credentials=(BENCH_KEY, BENCH_SECRET, None))
    issued = caller.get_programmatic_access_credentials(environmentId=ENVIRONMENT)["credentials"]
    keys = (issued["accessKeyId"], issued["secretAccessKey"], issued["sessionToken"])
    return new_finspace_client(region_name="us-east-1", credentials=keys)


def _worker(index: int, calls: int) -> None:
    client: object = _client()
    user_id = client.create_user(emailAddress=f"bench{index}@example.com", type="APP_USER")["userId"]  # type: ignore[attr-defined]
    for call in range(calls):
        if call % 3 == 0:
            client.get_user(userId=user_id)  # type: ignore[attr-defined]
        elif call % 3 == 1:
            client.list_users(maxResults=10)  # type: ignore[attr-defined]
        else:
            client.update_user(userId=user_id, firstName=f"n{call}")  # type: ignore[attr-defined]


def measure(tls: bool, threads: int, calls: int) -> float:
    settings = EmulatorSettings(tls=tls, backend=BackendSettings(environments=frozenset({ENVIRONMENT})))
    with Emulator(settings) as emulator:
        # The bootstrap a superuser does once: the caller's role registered as a superuser's principal.
        emulator.backend.assign_role(BENCH_KEY, BENCH_ROLE, secret_access_key=BENCH_SECRET)
        emulator.web_app.register_role(ENVIRONMENT, BENCH_ROLE)
        os.environ.update(emulator.environment())
        if not tls:
            os.environ.pop("AWS_CA_BUNDLE", None)
        workers = [threading.Thread(target=_worker, args=(i, calls)) for i in range(threads)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
        return len(emulator.calls_of()) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    https = measure(True, args.threads, args.calls)
    http = measure(False, args.threads, args.calls)
    print(f"threads={args.threads} calls/thread={args.calls}")
    print(f"HTTPS: {https:8.0f} requests/s  (target >= 300)")
    print(f"HTTP:  {http:8.0f} requests/s")
    print(f"HTTPS/HTTP ratio: {https / http:.2f}")


if __name__ == "__main__":
    main()
