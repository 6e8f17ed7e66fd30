"""The echo handler, after recording what CloudFormation's read API shows at that moment.

With an ``Observations`` property (a file path), every event first appends one JSON line: the
request (type, logical and physical id, ``Value``), the stack and its parents as DescribeStacks
shows them (following ``ParentId``), every resource of the stack and of its parent
(ListStackResources, all pages), and the status of each nested stack it lists. With a
``Parameter`` property it also puts ``<RequestType> <LogicalResourceId>`` there in SSM Parameter
Store. It asks with boto3 and the function's environment only, as the provider's handler will.
Then ``echo_handler`` answers.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import echo_handler

NESTED = "AWS::CloudFormation::Stack"
_clients: dict[str, Any] = {}


def _client(service: str) -> Any:
    if service not in _clients:
        _clients[service] = boto3.client(service)
    return _clients[service]


def _stacks(stack_id: str | None) -> list[dict[str, str]]:
    chain = []
    while stack_id:
        stack = _client("cloudformation").describe_stacks(StackName=stack_id)["Stacks"][0]
        chain.append({"id": stack["StackId"], "name": stack["StackName"], "status": stack["StackStatus"],
                      "parent": stack.get("ParentId", ""), "root": stack.get("RootId", "")})
        stack_id = stack.get("ParentId")
    return chain


def _resources(stack_id: str) -> list[dict[str, str]]:
    pages = _client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=stack_id)
    return [{"logical": row["LogicalResourceId"], "physical": row.get("PhysicalResourceId", ""),
             "type": row["ResourceType"], "status": row["ResourceStatus"]}
            for page in pages for row in page["StackResourceSummaries"]]


def _observe(event: dict[str, Any]) -> dict[str, Any]:
    properties = event["ResourceProperties"]
    seen: dict[str, Any] = {"request": event["RequestType"], "logical": event["LogicalResourceId"],
                            "physical": event.get("PhysicalResourceId", ""), "value": properties.get("Value", "")}
    try:
        seen["stacks"] = _stacks(event["StackId"])
        seen["resources"] = _resources(event["StackId"])
        if len(seen["stacks"]) > 1:
            seen["parent_resources"] = _resources(seen["stacks"][1]["id"])
        seen["nested"] = {row["logical"]: _stacks(row["physical"])[0]["status"]
                          for row in seen["resources"] if row["type"] == NESTED and row["physical"]}
    except Exception as error:  # recorded for the test to show, and the event still answered
        seen["error"] = repr(error)
    return seen


def handler(event: dict[str, Any], context: Any) -> None:
    properties = event["ResourceProperties"]
    if "Observations" in properties:
        with open(properties["Observations"], "a") as observations:
            observations.write(json.dumps(_observe(event)) + "\n")
    if "Parameter" in properties:
        _client("ssm").put_parameter(Name=properties["Parameter"], Type="SecureString", Overwrite=True,
                                     Tier="Standard", Value=f"{event['RequestType']} {event['LogicalResourceId']}")
    echo_handler.handler(event, context)
