"""A small crhelper handler for the CloudFormation driver's own tests.

Properties steer it: ``Value`` is echoed in ``Data``; ``Replace: "true"`` makes an
Update answer a new id; ``PhysicalId`` is the id a Create answers (default: ``echo-<logical
id>-<Value>``); ``Behaviour`` (``DeleteBehaviour`` for Delete) is one of
``ok``, ``fail``, ``oversized``, ``sleep`` (past the Lambda timeout), ``silent``
(no answer), ``crash-once`` (a function error on the first try, marker file in
``Marker``), ``fail-while-marker`` (fails while the file ``Marker`` exists);
``Journal`` names a file that gets one line per invocation; ``Hold`` (seconds) keeps the
container that long before the answer.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from crhelper import CfnResource

helper = CfnResource(log_level="INFO", sleep_on_delete=0, ssl_verify=os.environ.get("AWS_CA_BUNDLE"))


def _behave(event: dict[str, Any]) -> None:
    properties = event["ResourceProperties"]
    key = "DeleteBehaviour" if event["RequestType"] == "Delete" else "Behaviour"
    behaviour = properties.get(key, "ok")
    if behaviour == "fail" or (behaviour == "fail-while-marker" and Path(properties["Marker"]).exists()):
        raise ValueError(f"{event['RequestType']} asked to fail")
    if behaviour == "oversized":
        helper.Data["Blob"] = "x" * 5000
    if behaviour == "sleep":
        time.sleep(600)


@helper.create
def create(event: dict[str, Any], _context: Any) -> str:
    _behave(event)
    properties = event["ResourceProperties"]
    helper.Data["Echo"] = properties.get("Value", "")
    return str(properties.get("PhysicalId") or f"echo-{event['LogicalResourceId']}-{properties.get('Value', '')}")


@helper.update
def update(event: dict[str, Any], _context: Any) -> str:
    _behave(event)
    properties = event["ResourceProperties"]
    helper.Data["Echo"] = properties.get("Value", "")
    if properties.get("Replace") == "true":
        return f"echo-{event['LogicalResourceId']}-{properties.get('Value', '')}"
    return str(event["PhysicalResourceId"])


@helper.delete
def delete(event: dict[str, Any], _context: Any) -> None:
    _behave(event)


def handler(event: dict[str, Any], context: Any) -> None:
    properties = event["ResourceProperties"]
    if "Journal" in properties:
        with open(properties["Journal"], "a") as journal:
            journal.write(f"{event['RequestType']} {event['RequestId']} {event['LogicalResourceId']}\n")
    time.sleep(float(properties.get("Hold", 0)))
    if properties.get("Behaviour") == "silent" and event["RequestType"] != "Delete":
        return
    marker = Path(properties.get("Marker", "/nonexistent/marker"))
    if properties.get("Behaviour") == "crash-once" and not marker.exists():
        marker.touch()
        raise RuntimeError("function error before any answer")
    helper(event, context)
