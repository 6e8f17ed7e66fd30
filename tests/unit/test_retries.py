"""Persistence: transient failures are retried until the time budget, nothing else is."""

from __future__ import annotations

import random
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from lambda_handler.deadline import Deadline
from lambda_handler.errors import ApiCallError, is_transient
from lambda_handler.retries import Backoff, Persistence


def client_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "GetUser")


class Clock:
    """A fake clock that ``sleep`` moves forward, so the budget is spent without waiting."""

    def __init__(self, budget_s: float) -> None:
        self.left = budget_s
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.left -= seconds


def failing(times: int, error: Exception) -> Any:
    calls = {"n": 0}

    def call(**_kwargs: Any) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] <= times:
            raise error
        return {"ok": calls["n"]}

    return call


def persistence(clock: Clock) -> Persistence:
    return Persistence(Deadline(lambda: clock.left), clock.sleep, Backoff(base_s=0.2, cap_s=4.0), random.Random(1))


def test_throttling_is_retried_far_beyond_five_attempts_while_time_is_left() -> None:
    clock = Clock(budget_s=300)

    answer = persistence(clock).call("GetUser", failing(40, client_error("ThrottlingException", 400)))

    assert answer == {"ok": 41}
    assert len(clock.slept) == 40
    assert max(clock.slept) <= 4.0  # capped
    assert len(set(clock.slept)) == 40  # jittered: no two containers retry in step


def test_when_time_runs_out_the_last_error_is_reported_with_the_attempts() -> None:
    clock = Clock(budget_s=20)

    with pytest.raises(ApiCallError) as raised:
        persistence(clock).call("DisableUser", failing(10_000, client_error("ThrottlingException", 429)))

    assert raised.value.code == "ThrottlingException"
    assert "DisableUser failed with ThrottlingException after" in str(raised.value)
    assert "README: Sizing" in str(raised.value)
    assert len(str(raised.value)) < 256
    assert clock.left > 0  # stopped inside the budget, margin kept


def test_a_request_error_is_not_retried() -> None:
    clock = Clock(budget_s=300)

    with pytest.raises(ApiCallError) as raised:
        persistence(clock).call("CreateUser", failing(1, client_error("ValidationException", 400)))

    assert raised.value.code == "ValidationException"
    assert clock.slept == []


@pytest.mark.parametrize(("error", "transient"), [
    (client_error("ThrottlingException", 429), True),
    (client_error("InternalServerException", 500), True),
    (client_error("SomethingNew", 503), True),
    (client_error("ConflictException", 409), False),
    (client_error("LimitExceededException", 400), False),
    (client_error("AccessDeniedException", 403), False),
    (EndpointConnectionError(endpoint_url="https://127.0.0.1:1"), True),
    (ReadTimeoutError(endpoint_url="https://127.0.0.1:1"), True),
])
def test_transient_errors_are_throttling_5xx_and_lost_connections(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient  # type: ignore[arg-type]
