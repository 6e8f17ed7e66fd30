"""Synthesis time per user: FinSpaceUser (with its validation and nested-stack buckets) against a
bare CustomResource of the same count, measured side by side in one run (a benchmark, not a test).

    python -m benchmarks.synth_per_user [--users 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

# isort: off
from finspace_constructs.enums import UserType  # first: quiets jsii before aws_cdk starts it
from finspace_constructs.users_app import FinSpaceUsersStack, bucket_of
from finspace_constructs.users_file import ResolvedUser
import aws_cdk as cdk

# isort: on


def finspace_users(app: cdk.App, count: int) -> None:
    users = [ResolvedUser("env1", f"user{i}@example.com", UserType.APP_USER, None, None, None, None, True, False,
                          "destroy") for i in range(count)]
    FinSpaceUsersStack(app, "Users", users=users)


def bare_custom_resources(app: cdk.App, count: int) -> None:
    """The same shape without this project's code: 64 nested stacks of plain CustomResources."""
    stack = cdk.Stack(app, "Bare")
    service = "arn:aws:lambda:us-east-1:123456789012:function:provider"
    nested: dict[int, cdk.NestedStack] = {}
    for i in range(count):
        email = f"user{i}@example.com"
        bucket = bucket_of(email)
        if bucket not in nested:
            nested[bucket] = cdk.NestedStack(stack, f"Users{bucket:02d}")
        cdk.CustomResource(nested[bucket], email, service_token=service, resource_type="Custom::FinSpaceUser",
                           properties={"EnvironmentId": "env1", "EmailAddress": email, "Type": "APP_USER"})


def seconds(build: Callable[[cdk.App, int], None], count: int) -> float:
    started = time.perf_counter()
    app = cdk.App(outdir=tempfile.mkdtemp(prefix="synth-bench-"))
    build(app, count)
    app.synth()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    seconds(finspace_users, 1)  # warm up jsii and bundle the asset once
    ours, bare = [], []
    for _ in range(args.rounds):  # interleaved, so machine noise hits both alike
        ours.append(seconds(finspace_users, args.users))
        bare.append(seconds(bare_custom_resources, args.users))
    ours_ms, bare_ms = (statistics.median(v) / args.users * 1000 for v in (ours, bare))
    print(f"users={args.users} rounds={args.rounds} (median)")
    print(f"FinSpaceUser:    {ours_ms:6.2f} ms per user")
    print(f"CustomResource:  {bare_ms:6.2f} ms per user")
    print(f"ratio: {ours_ms / bare_ms:.2f}x")


if __name__ == "__main__":
    main()
