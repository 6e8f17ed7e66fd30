"""The driver's SSM Parameter Store over HTTPS with boto3, the signature every request needs, and how
the driver's functions learn of its endpoint."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from finspace_local import LocalCA
from finspace_local.cfn import Driver, HandlerSpec, LambdaFunction
from tests.functional.aws_harness import HANDLERS, ApiHarness


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    harness = ApiHarness(tmp_path)
    yield harness
    harness.close()


def error_of(call: Any, **request: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as refused:
        call(**request)
    return refused.value.response["Error"]["Code"], refused.value.response["Error"].get("Message", "")


def test_put_get_overwrite_and_delete_a_secure_string(api: ApiHarness) -> None:
    ssm = api.client("ssm")

    first = ssm.put_parameter(Name="/finspace/adopted/u1", Value="v1", Type="SecureString", Overwrite=False,
                              Tier="Standard")
    second = ssm.put_parameter(Name="/finspace/adopted/u1", Value="v2", Type="SecureString", Overwrite=True,
                               Tier="Standard")
    current = ssm.get_parameter(Name="/finspace/adopted/u1", WithDecryption=True)["Parameter"]
    older = ssm.get_parameter(Name="/finspace/adopted/u1:1", WithDecryption=True)["Parameter"]
    encrypted = ssm.get_parameter(Name="/finspace/adopted/u1")["Parameter"]["Value"]
    kept = api.driver.parameters()
    ssm.delete_parameter(Name="/finspace/adopted/u1")

    assert (first["Version"], first["Tier"], second["Version"]) == (1, "Standard", 2)
    assert {k: current[k] for k in ("Name", "Type", "Value", "Version", "ARN")} == {
        "Name": "/finspace/adopted/u1", "Type": "SecureString", "Value": "v2", "Version": 2,
        "ARN": "arn:aws:ssm:us-east-1:123456789012:parameter/finspace/adopted/u1"}
    assert current["LastModifiedDate"] >= older["LastModifiedDate"]
    assert (older["Value"], older["Selector"]) == ("v1", ":1")
    assert encrypted not in ("v1", "v2")  # without WithDecryption: the ciphertext
    assert kept == {"/finspace/adopted/u1": "v2"}
    assert api.driver.parameters() == {}
    assert error_of(ssm.get_parameter, Name="/finspace/adopted/u1")[0] == "ParameterNotFound"
    assert error_of(ssm.delete_parameter, Name="/finspace/adopted/u1")[0] == "ParameterNotFound"


@pytest.mark.parametrize(("request_", "code"), [
    ({"Name": "awsThing"}, "ValidationException"),
    ({"Name": "/SSM/thing"}, "ValidationException"),
    ({"Name": "/a b"}, "ValidationException"),
    ({"Name": "relative/path"}, "ValidationException"),
    ({"Name": "/x" * 16}, "HierarchyLevelLimitExceededException"),
    ({"Name": "/" + "n" * 2048}, "ValidationException"),
    ({"Name": "/" + "n" * 1000}, "ValidationException"),  # 1011 characters at most, the ARN before it included
    ({"Value": "v" * 4097}, "ValidationException"),
    ({"Value": "v" * 8193, "Tier": "Advanced"}, "ValidationException"),
    ({"Value": "é" * 2049}, "ValidationException"),  # 4098 bytes
    ({"Value": ""}, "ValidationException"),
    ({"Value": "{{ssm:other}}"}, "ValidationException"),
    ({"Tier": "Premium"}, "ValidationException"),
    ({"KeyId": "alias/mine"}, "InvalidKeyId"),
    ({"AllowedPattern": "^[0-9]+$"}, "ParameterPatternMismatchException"),
])
def test_put_parameter_refuses_what_ssm_refuses(api: ApiHarness, request_: dict[str, Any], code: str) -> None:
    request = {"Name": "/ok/name", "Value": "value", "Type": "SecureString", "Overwrite": True, **request_}

    assert error_of(api.client("ssm").put_parameter, **request)[0] == code
    assert api.driver.parameters() == {}


def test_overwrite_rules_and_versions(api: ApiHarness) -> None:
    ssm = api.client("ssm")
    ssm.put_parameter(Name="/big", Value="v" * 5000, Type="SecureString", Tier="Advanced")
    versions = [ssm.put_parameter(Name="/small", Value=str(n), Type="SecureString", Overwrite=True)["Version"]
                for n in range(3)]

    assert versions == [1, 2, 3]
    assert error_of(ssm.put_parameter, Name="/small", Value="x", Type="SecureString")[0] == "ParameterAlreadyExists"
    assert error_of(ssm.put_parameter, Name="/small", Value="x", Type="String", Overwrite=True)[0] == \
        "HierarchyTypeMismatchException"
    assert error_of(ssm.put_parameter, Name="/small", Value="x", Overwrite=True,
                    Tags=[{"Key": "k", "Value": "v"}])[0] == "ValidationException"
    code, message = error_of(ssm.put_parameter, Name="/big", Value="x", Type="SecureString", Overwrite=True,
                             Tier="Standard")
    assert (code, "can't downgrade" in message) == ("ValidationException", True)
    assert error_of(ssm.put_parameter, Name="/fresh", Value="x")[0] == "ValidationException"  # no Type
    assert error_of(ssm.get_parameter, Name="/small:9")[0] == "ParameterVersionNotFound"
    assert api.driver.parameters() == {"/big": "v" * 5000, "/small": "2"}


def test_parameters_survive_a_new_driver_on_the_same_folder(api: ApiHarness) -> None:
    api.client("ssm").put_parameter(Name="/kept", Value="v1", Type="SecureString")
    api.driver.close()

    api.driver = api.new_driver()

    assert api.driver.parameters() == {"/kept": "v1"}
    assert api.client("ssm").put_parameter(Name="/kept", Value="v2", Type="SecureString", Overwrite=True)[
        "Version"] == 2


def test_a_handler_reaches_ssm_through_the_variables_the_driver_gave_it(api: ApiHarness) -> None:
    result = api.driver.create_stack("s1", {"Resources": {"A": api.echo(Value="a", Parameter="/records/a")}})

    assert result.status == "CREATE_COMPLETE"
    assert api.driver.parameters() == {"/records/a": "Create A"}
    environment = api.function.environment
    assert environment["AWS_ENDPOINT_URL_CLOUDFORMATION"] == environment["AWS_ENDPOINT_URL_SSM"] == \
        api.driver.endpoint_url
    assert environment["AWS_CA_BUNDLE"] == str(api.ca.bundle_path)


def test_containers_warm_before_the_driver_are_retired(tmp_path: Path) -> None:
    harness = ApiHarness(tmp_path, warm=1)  # warmed before the driver gave its variables
    try:
        result = harness.driver.create_stack("s1", {"Resources": {"A": harness.echo(Value="a")}})
        seen = harness.seen("Create", "A")
    finally:
        harness.close()

    assert result.status == "CREATE_COMPLETE"
    assert seen["stacks"][0]["status"] == "CREATE_IN_PROGRESS"


def test_a_function_trusting_another_ca_is_refused(tmp_path: Path) -> None:
    other = LocalCA(tmp_path / "other")
    function = LambdaFunction(HandlerSpec(code_dir=HANDLERS, handler="echo_handler.handler",
                                          environment={"AWS_CA_BUNDLE": str(other.bundle_path)}))

    with pytest.raises(ValueError, match="does not trust the driver's LocalCA"):
        Driver(tmp_path / "stacks", LocalCA(tmp_path / "ca"), default_function=function)


def raw_post(api: ApiHarness, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """A request botocore would not send: unsigned, or signed badly."""
    context = ssl.create_default_context(cafile=str(api.ca.bundle_path))
    request = urllib.request.Request(api.driver.endpoint_url + "/", data=body, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, context=context) as answer:  # noqa: S310 - our own HTTPS endpoint
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_unsigned_requests_are_refused(api: ApiHarness) -> None:
    query = b"Action=DescribeStacks&Version=2010-05-15"
    ssm_headers = {"X-Amz-Target": "AmazonSSM.GetParameter", "Content-Type": "application/x-amz-json-1.1"}

    unsigned_query = raw_post(api, query, {})
    malformed_query = raw_post(api, query, {"Authorization": "Basic dXNlcjpwYXNz"})
    unsigned_json = raw_post(api, b'{"Name": "/x"}', ssm_headers)

    assert unsigned_query[0] == malformed_query[0] == unsigned_json[0] == 403
    assert b"<Code>MissingAuthenticationToken</Code>" in unsigned_query[1]
    assert b"<Code>IncompleteSignature</Code>" in malformed_query[1]
    assert json.loads(unsigned_json[1])["__type"] == "MissingAuthenticationTokenException"


def test_a_request_signed_for_another_region_is_refused(api: ApiHarness) -> None:
    assert error_of(api.client("cloudformation", region="eu-west-1").describe_stacks)[0] == "SignatureDoesNotMatch"
    assert error_of(api.client("ssm", region="eu-west-1").get_parameter, Name="/x")[0] == \
        "InvalidSignatureException"
