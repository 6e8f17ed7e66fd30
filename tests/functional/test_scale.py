"""Guard tests of the scale benchmark (``make bench-scale``), small enough for ``make test``:
the users file, the synthesized app, the driver and the bundled handler against a throttling,
failing emulator. Sized for 2 cores: 40 users and 16 warm containers keep the machine idle enough
that the provider, not the CPU, decides the outcome; the rate (5/s) makes the throttle bite. Lambda's
queue runs at 1/20 of its real schedule (50 ms for its first second): events beyond the containers
wait its growing intervals, and the template's maximum event age (3300 s) is 165 s here."""

from __future__ import annotations

import math

from finspace_local.faults import FaultSettings
from finspace_local.scale import ScaleSettings, run_scale

QUEUE_SCALE = 0.05


def test_a_deploy_under_throttling_and_server_errors_converges_with_no_failed_resource() -> None:
    faults = FaultSettings(throttle_rate=5, throttle_burst=5, error_rate=0.15, seed=7)
    settings = ScaleSettings(users=40, faults=faults, containers=16, update_share=0, queue_scale=QUEUE_SCALE)

    deploy, destroy = run_scale(settings, say=lambda _line: None)

    assert (deploy.status, deploy.failed, deploy.enabled) == ("CREATE_COMPLETE", 0, 40)
    assert deploy.calls[("CreateUser", "ThrottlingException")] > 0  # the throttle really bit
    assert deploy.calls[("CreateUser", "InternalServerException")] > 0
    assert deploy.calls[("CreateUser", "200")] == 40  # one successful CreateUser per user
    assert deploy.throttled > 0  # events beyond the 16 containers waited in Lambda's queue, none too long
    assert deploy.dropped == 0
    assert (destroy.status, destroy.failed, destroy.enabled) == ("DELETE_COMPLETE", 0, 0)
    assert destroy.calls[("DisableUser", "200")] == 40


def test_a_failing_user_rolls_everything_back_and_the_fixed_file_then_deploys() -> None:
    faults = FaultSettings(throttle_rate=5, throttle_burst=5, seed=3)
    settings = ScaleSettings(users=30, faults=faults, containers=8, invalid=1, queue_scale=QUEUE_SCALE)

    failed, redeployed, destroy = run_scale(settings, say=lambda _line: None)

    assert failed.status == "ROLLBACK_COMPLETE"
    assert failed.failed >= 1
    assert failed.enabled == 0  # every user the failed deploy made is DISABLED again
    assert (redeployed.status, redeployed.failed, redeployed.enabled) == ("CREATE_COMPLETE", 0, 30)
    # Reclaiming disabled users pages ListUsers at most once per warm container, not once per user.
    pages_per_scan = math.ceil((30 + 3) / 100)
    assert redeployed.calls[("ListUsers", "200")] <= settings.containers * pages_per_scan
    assert destroy.status == "DELETE_COMPLETE"
