"""Lambda's asynchronous queue in the stand-in (finspace_local.cfn.lambda_runtime.AsyncQueue): an event
that finds the function at its reserved concurrency waits growing intervals, then tries again; one older
than the maximum event age is dropped, never run. Intervals and ages scaled by 0.01 (the real schedule's
1 s is 10 ms here); real worker processes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from finspace_local import LocalCA
from finspace_local.cfn import Driver, HandlerSpec, LambdaFunction
from finspace_local.cfn.lambda_runtime import MAX_EVENT_AGE_S, AsyncQueue

HANDLERS = Path(__file__).resolve().parent / "handlers"
SCALE = 0.01


def one_container(queue: AsyncQueue) -> LambdaFunction:
    function = LambdaFunction(HandlerSpec(code_dir=HANDLERS, handler="hold_handler.handler", timeout_s=30,
                                          max_concurrency=1, queue=queue))
    function.warm(1)
    return function


def ran(journal: Path) -> list[str]:
    return journal.read_text().split() if journal.exists() else []


def hold_the_container(function: LambdaFunction, journal: Path, seconds: float) -> None:
    """Event ``holder`` takes the only container for ``seconds``; returns once it runs."""
    function.invoke_async({"RequestId": "holder", "Journal": str(journal), "Hold": seconds})
    deadline = time.monotonic() + 10
    while "holder" not in ran(journal) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ran(journal) == ["holder"]


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    return tmp_path / "journal.txt"


def test_events_beyond_the_reserved_concurrency_wait_growing_intervals_then_run(journal: Path) -> None:
    function = one_container(AsyncQueue(time_scale=SCALE, seed=1))
    try:
        hold_the_container(function, journal, 1.5)
        for name in ("b", "c", "d"):
            function.invoke_async({"RequestId": name, "Journal": str(journal)})
        function.drain(30)
    finally:
        function.close()

    assert sorted(ran(journal)) == ["b", "c", "d", "holder"]  # each once: none lost, none run twice
    records = {r.request_id: r for r in function.queued}
    assert records["holder"].intervals == []
    assert records["holder"].queued_s is not None
    for name in ("b", "c", "d"):
        record = records[name]
        assert (record.outcome, record.runs) == ("ok", 1)
        # 1.5 s held: 1-2 s, 2-4 s, 4-8 s, ... (scaled) leave at least 6 throttles before it ends.
        assert record.throttles >= 6
        for k, interval in enumerate(record.intervals):
            assert SCALE * 2 ** k <= interval <= SCALE * min(300, 2 ** (k + 1))
        assert record.intervals == sorted(record.intervals)  # growing
        assert record.queued_s is not None
        assert record.queued_s >= max(1.0, sum(record.intervals) - 0.01)


def test_an_event_older_than_the_maximum_event_age_is_dropped_and_never_runs(journal: Path) -> None:
    function = one_container(AsyncQueue(max_event_age_s=50, time_scale=SCALE))  # 0.5 s here
    try:
        hold_the_container(function, journal, 2.0)
        function.invoke_async({"RequestId": "late", "Journal": str(journal)})
        function.drain(30)
        function.invoke_async({"RequestId": "after", "Journal": str(journal)})  # a free container now
        function.drain(30)
    finally:
        function.close()

    assert ran(journal) == ["holder", "after"]
    late = next(r for r in function.queued if r.request_id == "late")
    assert (late.outcome, late.runs, late.queued_s) == ("dropped", 0, None)
    assert 0.5 <= sum(late.intervals) < 2.0  # it stopped trying at its age, not when the container freed


def test_a_function_s_spec_takes_its_maximum_event_age_from_the_template(tmp_path: Path) -> None:
    function = {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "index.handler", "Timeout": 300,
                                                                "ReservedConcurrentExecutions": 10}}
    config = {"Type": "AWS::Lambda::EventInvokeConfig",
              "Properties": {"FunctionName": {"Ref": "Fn"}, "Qualifier": "$LATEST", "MaximumEventAgeInSeconds": 1500}}
    template = {"Resources": {"Fn": function, "Config": config}}

    declared = HandlerSpec.for_function(function, tmp_path, template=template)
    assert declared.queue == AsyncQueue(max_event_age_s=1500, time_scale=1.0)  # the real schedule by default
    assert HandlerSpec.for_function(function, tmp_path).queue == AsyncQueue(MAX_EVENT_AGE_S)  # Lambda's 6 hours
    assert HandlerSpec.for_function(function, tmp_path, template=template, queue_time_scale=0.1).queue == \
        AsyncQueue(1500, 0.1)
    assert HandlerSpec.for_function(function, tmp_path, queue_time_scale=None).queue is None
    assert HandlerSpec(code_dir=tmp_path, handler="index.handler").queue is None  # a spec built directly


def echo(journal: Path, hold: float) -> dict[str, Any]:
    return {"Type": "Custom::Echo", "Properties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:e",
                                                   "ServiceTimeout": 10, "Journal": str(journal), "Hold": hold}}


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[tuple[Driver, LambdaFunction]]:
    ca = LocalCA(tmp_path / "ca")
    function = LambdaFunction(HandlerSpec(
        code_dir=HANDLERS, handler="echo_handler.handler", timeout_s=20, max_concurrency=1,
        environment={"AWS_REGION": "us-east-1", "AWS_CA_BUNDLE": str(ca.bundle_path)},
        queue=AsyncQueue(max_event_age_s=50, time_scale=SCALE)))
    local = Driver(tmp_path / "stacks", ca, default_function=function, timeout_scale=0.5)  # ServiceTimeout 5 s
    function.warm(1)
    yield local, function
    local.close()
    function.close()


def test_cloudformation_gets_no_answer_for_a_dropped_event_and_rolls_back(
        driver: tuple[Driver, LambdaFunction], journal: Path) -> None:
    local, function = driver
    template = {"Resources": {name: echo(journal, 1.5) for name in ("A", "B", "C")}}

    result = local.create_stack("queued", template)

    assert result.status == "ROLLBACK_COMPLETE"
    creates = [line.split()[2] for line in journal.read_text().splitlines() if line.startswith("Create")]
    assert len(creates) == 1  # the one container's first event; the others aged out in the queue
    failed = [e for e in result.events if e.status == "CREATE_FAILED"]
    assert sorted(e.logical_id for e in failed) == sorted({"A", "B", "C"} - set(creates))
    assert all("did not receive a response" in e.reason for e in failed)
    dropped = [r for r in function.queued if r.outcome == "dropped"]
    assert sorted(r.logical_id for r in dropped) == sorted(e.logical_id for e in failed)
