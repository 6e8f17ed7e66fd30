"""Synthesis cost per user (a benchmark, not a test).

    python -m benchmarks.synth_per_user [--rounds 10] [--small 10] [--large 450] [--file-users 5000]

Marginal cost: each round synthesizes FinSpaceUsersStack (the provider, 64 nested-stack buckets,
FinSpaceUser with its validation) and a bare CustomResource stack with the same resource
properties in the same buckets, at two sizes, interleaved; (large - small) / (large - small users)
is the cost of one more user, free of fixed costs. Every app writes to one output directory, so
CDK's asset cache reuses the provider's asset bundled once in the warm-up: pip stays out of the
measured loop, the provider's constructs are still built in every round.

And a users file of --file-users users: its load time (5 runs, before jsii starts), and its whole
synthesis (load, build, synth) per user, fixed costs included.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# isort: off
from finspace_constructs.enums import UserType  # first: jsii starts before anything is timed
from finspace_constructs.users_app import FinSpaceUsersStack, bucket_of, user_construct_id
from finspace_constructs.users_file import ResolvedUser, load_declaration
import aws_cdk as cdk

# isort: on

Build = Callable[[cdk.App, list[ResolvedUser]], None]
PROVIDER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:provider"


def users_of(count: int, user_type: UserType = UserType.APP_USER) -> list[ResolvedUser]:
    return [ResolvedUser("env1", f"user{i}@example.com", user_type, None, None, None, None, True, False, "destroy")
            for i in range(count)]


def finspace_users(app: cdk.App, users: list[ResolvedUser]) -> None:
    FinSpaceUsersStack(app, "Users", users=users)


def bare_custom_resources(app: cdk.App, users: list[ResolvedUser]) -> None:
    """The floor: the same resources (properties, ids, buckets) without this project's code."""
    stack = cdk.Stack(app, "Bare")
    nested: dict[int, cdk.NestedStack] = {}
    timeout = cdk.Duration.minutes(30)
    for user in users:
        bucket = bucket_of(user.email)
        if bucket not in nested:
            nested[bucket] = cdk.NestedStack(stack, f"Users{bucket:02d}")
        cdk.CustomResource(nested[bucket], user_construct_id(user), service_token=PROVIDER_ARN,
                           resource_type="Custom::FinSpaceUser", service_timeout=timeout,
                           properties={"EnvironmentId": user.environment_id, "EmailAddress": user.email,
                                       "Type": user.type.value, "ApiAccess": "DISABLED",
                                       "Enabled": "true", "AdoptExisting": "false"})


def seconds(build: Build, users: list[ResolvedUser], outdir: str) -> float:
    started = time.perf_counter()
    app = cdk.App(outdir=outdir)
    build(app, users)
    app.synth()
    return time.perf_counter() - started


def marginal_ms(rounds: int, small: int, large: int, outdir: str) -> dict[str, list[float]]:
    """Per round and per workload, the milliseconds one more user costs."""
    workloads: dict[str, tuple[Build, UserType]] = {
        "FinSpaceUser": (finspace_users, UserType.APP_USER),  # without groups: one warning per nested stack
        "  as SUPER_USER": (finspace_users, UserType.SUPER_USER),  # no warning at all
        "CustomResource": (bare_custom_resources, UserType.APP_USER),
    }
    users = {(name, size): users_of(size, user_type) for name, (_, user_type) in workloads.items()
             for size in (small, large)}
    marginal: dict[str, list[float]] = {name: [] for name in workloads}
    for round_index in range(rounds):  # interleaved, the order flipped each round: noise hits all alike
        order = list(workloads.items())[:: 1 if round_index % 2 == 0 else -1]
        timings = {(name, size): seconds(build, users[(name, size)], outdir)
                   for size in (small, large) for name, (build, _) in order}
        for name in workloads:
            marginal[name].append((timings[(name, large)] - timings[(name, small)]) / (large - small) * 1000)
    return marginal


def write_users_file(path: Path, count: int) -> None:
    """A file shaped like a real one: groups, defaults, names, some API users."""
    lines = ["environment: env1", "defaults: {type: APP_USER}", "permission_groups:",
             "  - {name: analysts, application_permissions: [AccessNotebooks]}",
             "  - {name: engineers, application_permissions: [CreateDataset, AccessNotebooks]}", "users:"]
    for i in range(count):
        lines += [f"  - email: user{i:05d}@example.com", f"    first_name: First{i}", f"    last_name: Last{i}",
                  f"    permission_groups: [{'analysts' if i % 2 else 'engineers'}]"]
        if i % 10 == 0:
            lines += ["    api_access_principal_arn: arn:aws:iam::123456789012:role/analytics"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def load_seconds(path: Path, runs: int = 5) -> list[float]:
    """The file's load time, ``runs`` times."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        load_declaration(path)
        timings.append(time.perf_counter() - started)
    return timings


def whole_synthesis_seconds(path: Path, outdir: str) -> float:
    """Load, build and synthesize the file's app, as ``cdk synth`` of app.py does."""
    started = time.perf_counter()
    declaration = load_declaration(path)
    app = cdk.App(outdir=outdir)
    FinSpaceUsersStack(app, "Users", users=declaration.users, groups=declaration.groups)
    app.synth()
    return time.perf_counter() - started


def spread(values: list[float]) -> str:
    return f"min {min(values):5.2f}  median {statistics.median(values):5.2f}  max {max(values):5.2f}"


def report(marginal: dict[str, list[float]], how: str) -> None:
    print(f"marginal ms per user ({how}):")
    for name, values in marginal.items():
        print(f"  {name:<15} {spread(values)}")
    bare = marginal["CustomResource"]
    for name in ("FinSpaceUser", "  as SUPER_USER"):
        paired = [ours / floor for ours, floor in zip(marginal[name], bare, strict=True)]
        print(f"  ratio {name.strip():<13} {statistics.median(marginal[name]) / statistics.median(bare):.2f}x "
              f"(of medians; per round: {spread(paired)}; goal: at most 2.0x)")
    print("  (FinSpaceUser: APP_USERs without groups, one synthesis warning per nested stack)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=450)
    parser.add_argument("--file-users", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="synth-bench-") as outdir:
        users_file = Path(outdir) / "users.yaml"
        write_users_file(users_file, args.file_users)
        loads = load_seconds(users_file)
        print(f"{args.file_users}-user file, load: {spread(loads)} s, 5 runs (goal: under 0.5 s)")
        bundled = seconds(finspace_users, users_of(1), outdir)  # bundles the asset, and warms jsii up
        seconds(bare_custom_resources, users_of(1), outdir)
        print(f"first synthesis (bundles the provider's asset, once): {bundled:.2f} s")
        marginal = marginal_ms(args.rounds, args.small, args.large, outdir)
        report(marginal, f"{args.large} vs {args.small} users, interleaved, {args.rounds} rounds")
        whole = whole_synthesis_seconds(users_file, outdir)
    print(f"{args.file_users}-user file, whole synthesis (load, build, synth): {whole:.1f} s, "
          f"{whole / args.file_users * 1000:.2f} ms per user (fixed costs included, asset already bundled)")


if __name__ == "__main__":
    main()
