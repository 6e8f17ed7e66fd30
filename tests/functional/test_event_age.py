"""An event's age (lambda_handler/event_age.py): the handler works only while CloudFormation still waits,
judged from the event's own ResponseURL (X-Amz-Date) and ServiceTimeout, whatever the template says."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ENVIRONMENT_ID
from tests.functional.stack_harness import TOKEN, StackHarness, user


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StackHarness]:
    harness = StackHarness(tmp_path)
    yield harness
    harness.close()


def queued_event(harness: StackHarness, email: str, *, age_s: float,
                 service_timeout: str) -> tuple[dict[str, Any], str]:
    """A Create as CloudFormation sent it ``age_s`` seconds ago (its URL signed then), and that URL."""
    url = harness.driver.inbox.new_url()
    signed = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - age_s))
    url = re.sub(r"X-Amz-Date=\w+", f"X-Amz-Date={signed}", url)
    properties = {**user(email)["Properties"], "ServiceTimeout": service_timeout}
    event = {"RequestType": "Create", "ResponseURL": url, "ServiceToken": TOKEN, "ServiceTimeout": service_timeout,
             "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/users/0", "RequestId": f"late-{age_s}",
             "LogicalResourceId": "Late", "ResourceType": "Custom::FinSpaceUser", "ResourceProperties": properties}
    return event, url


def test_an_event_queued_past_its_service_timeout_makes_no_user(stack: StackHarness) -> None:
    event, url = queued_event(stack, "late@example.com", age_s=700, service_timeout="600")
    stack.emulator.clear_calls()

    stack.function.invoke(event)
    answer = json.loads(stack.driver.inbox.wait(url, 10) or b"{}")

    assert answer["Status"] == "FAILED"
    assert "no longer waits" in answer["Reason"]
    assert stack.emulator.calls_of() == []
    assert stack.emulator.web_app.find_user(ENVIRONMENT_ID, "late@example.com") is None


def test_an_event_still_awaited_is_served(stack: StackHarness) -> None:
    event, url = queued_event(stack, "early@example.com", age_s=30, service_timeout="600")

    stack.function.invoke(event)
    answer = json.loads(stack.driver.inbox.wait(url, 30) or b"{}")

    assert answer["Status"] == "SUCCESS"
    assert stack.users()["early@example.com"]["status"] == "ENABLED"
