"""A driver whose function records what CloudFormation's read API shows (``observer_handler``), and
boto3 clients for the driver's CloudFormation and SSM, over HTTPS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from finspace_local import LocalCA
from finspace_local.cfn import Driver, HandlerSpec, LambdaFunction
from finspace_local.sigv4 import SigningKey

HANDLERS = Path(__file__).resolve().parent / "handlers"
REGION = "us-east-1"
TOKEN = "arn:aws:lambda:us-east-1:123456789012:function:observer"
NESTED = "AWS::CloudFormation::Stack"


class ApiHarness:
    """The function is given no ``AWS_CA_BUNDLE`` and no endpoints: the driver gives them."""

    def __init__(self, tmp_path: Path, *, warm: int = 0) -> None:
        self.tmp_path = tmp_path
        self.ca = LocalCA(tmp_path / "ca")
        self.function = LambdaFunction(HandlerSpec(
            code_dir=HANDLERS, handler="observer_handler.handler", timeout_s=30,
            environment={"AWS_REGION": REGION, "AWS_ACCESS_KEY_ID": "AKIAOBSERVER",
                         "AWS_SECRET_ACCESS_KEY": "observer-secret"},
        ))
        if warm:
            self.function.warm(warm)
        self.observations = tmp_path / "observations.jsonl"
        self.driver = self.new_driver()

    def new_driver(self) -> Driver:
        driver = Driver(self.tmp_path / "stacks", self.ca, default_function=self.function, timeout_scale=0.5)
        driver.services.trust(SigningKey("AKIATEST", "test-secret"))  # the tests' own client (client())
        return driver

    def echo(self, depends_on: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
        resource: dict[str, Any] = {"Type": "Custom::Echo", "Properties": {
            "ServiceToken": TOKEN, "ServiceTimeout": 60, "Observations": str(self.observations), **properties}}
        if depends_on:
            resource["DependsOn"] = list(depends_on)
        return resource

    def nested(self, file_name: str, child: dict[str, Any], depends_on: tuple[str, ...] = ()) -> dict[str, Any]:
        """A nested stack resource whose template is written to ``file_name`` beside the parent's."""
        (self.tmp_path / file_name).write_text(json.dumps(child))
        resource: dict[str, Any] = {"Type": NESTED, "Properties": {"TemplateURL": file_name},
                                    "Metadata": {"aws:asset:path": file_name}}
        if depends_on:
            resource["DependsOn"] = list(depends_on)
        return resource

    def seen(self, request: str, logical_id: str, **matching: str) -> dict[str, Any]:
        """The one observation of ``request`` on ``logical_id`` (whose other fields match ``matching``)."""
        lines = [json.loads(line) for line in self.observations.read_text().splitlines()]
        found = [o for o in lines if o["request"] == request and o["logical"] == logical_id
                 and all(o.get(k) == v for k, v in matching.items())]
        assert len(found) == 1, f"{request} {logical_id} {matching}: {found or lines}"
        assert "error" not in found[0], found[0]["error"]
        return found[0]

    def client(self, service: str, region: str = REGION) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=self.driver.endpoint_url,
                            verify=str(self.ca.bundle_path), aws_access_key_id="AKIATEST",
                            aws_secret_access_key="test-secret")

    def close(self) -> None:
        self.driver.close()
        self.function.close()


def rows(observation: dict[str, Any], key: str = "resources") -> dict[str, tuple[str, str]]:
    """logical id -> (status, physical id), as an observation's ListStackResources showed them."""
    return {row["logical"]: (row["status"], row["physical"]) for row in observation[key]}


def statuses(observation: dict[str, Any]) -> list[str]:
    """The stack's status, then its parent's, and so on."""
    return [stack["status"] for stack in observation["stacks"]]
