"""The stand-ins are as strict as AWS about who calls: every SigV4 signature is recomputed with the
secret of its access key, session tokens and times are checked, and the emulator's administration
takes its admin token. Real boto3 over HTTPS."""

from __future__ import annotations

import datetime
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import urllib3
from botocore.config import Config
from botocore.exceptions import ClientError

from finspace_local import Emulator, EmulatorSettings, LocalCA
from finspace_local.aws import AwsEndpoint, ParameterStore, SsmApi
from finspace_local.sigv4 import SIGNATURE_MISMATCH, UNRECOGNIZED_KEY_MESSAGE, SigningKey
from finspace_local.state import BackendSettings
from lambda_handler.client import new_finspace_client
from tests.conftest import CALLER_KEYS, CALLER_ROLE_ARN, ENVIRONMENT_ID, REGION, caller_client

NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})
SIGNATURE_EXPIRED = "Signature expired: "


def refusal(call: Callable[..., Any], **request: Any) -> tuple[str, str, int]:
    """The error code, message and HTTP status ``call`` was refused with."""
    with pytest.raises(ClientError) as refused:
        call(**request)
    response = refused.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def issued_keys() -> tuple[str, str, str]:
    issued = caller_client(NO_RETRY).get_programmatic_access_credentials(environmentId=ENVIRONMENT_ID)["credentials"]
    return issued["accessKeyId"], issued["secretAccessKey"], issued["sessionToken"]


def finspace(access_key_id: str, secret_access_key: str, session_token: str | None = None) -> Any:
    return new_finspace_client(region_name=REGION, credentials=(access_key_id, secret_access_key, session_token),
                               config=NO_RETRY)


def emails(emulator: Emulator) -> set[str]:
    return {row["emailAddress"] for row in emulator.web_app.users(ENVIRONMENT_ID)}


# --- SigV4 at the FinSpace emulator ---------------------------------------------------------------
def test_iam_keys_signed_with_a_wrong_secret_get_no_credentials(emulator: Emulator) -> None:
    code, message, status = refusal(finspace(str(CALLER_KEYS[0]), "not-the-secret").get_programmatic_access_credentials,
                                    environmentId=ENVIRONMENT_ID)

    assert (code, message, status) == ("InvalidSignatureException", SIGNATURE_MISMATCH, 403)
    assert [(c.operation, c.status, c.error) for c in emulator.calls_of()] == [
        ("GetProgrammaticAccessCredentials", 403, "InvalidSignatureException")]


def test_an_access_key_iam_does_not_know_is_unrecognized(emulator: Emulator) -> None:
    unknown = finspace("AKIANOBODYKNOWS", str(CALLER_KEYS[1]))

    assert refusal(unknown.get_programmatic_access_credentials, environmentId=ENVIRONMENT_ID) == (
        "UnrecognizedClientException", UNRECOGNIZED_KEY_MESSAGE, 403)
    assert refusal(unknown.list_users, maxResults=1)[0] == "UnrecognizedClientException"


def test_issued_credentials_signed_with_a_wrong_secret_are_refused(emulator: Emulator) -> None:
    access_key_id, _, session_token = issued_keys()

    forged = finspace(access_key_id, "not-the-secret", session_token)

    assert refusal(forged.create_user, emailAddress="ada@example.com", type="APP_USER") == (
        "InvalidSignatureException", SIGNATURE_MISMATCH, 403)
    assert "ada@example.com" not in emails(emulator)


def test_valid_issued_credentials_work(emulator: Emulator) -> None:
    user_id = finspace(*issued_keys()).create_user(emailAddress="ada@example.com", type="APP_USER")["userId"]

    assert "ada@example.com" in emails(emulator)
    assert emulator.calls_of("CreateUser")[-1].error is None
    assert user_id


@pytest.mark.parametrize("session_token", [None, "not-the-session-token"])
def test_issued_credentials_need_their_own_session_token(emulator: Emulator, session_token: str | None) -> None:
    access_key_id, secret_access_key, _ = issued_keys()

    client = finspace(access_key_id, secret_access_key, session_token)

    assert refusal(client.list_users, maxResults=1) == ("UnrecognizedClientException", UNRECOGNIZED_KEY_MESSAGE, 403)


def test_temporary_iam_keys_need_their_session_token(emulator: Emulator) -> None:
    emulator.backend.assign_role("ASIATEMPORARY", CALLER_ROLE_ARN, secret_access_key="temporary-secret",
                                 session_token="role-session-token")

    without = refusal(finspace("ASIATEMPORARY", "temporary-secret").get_programmatic_access_credentials,
                      environmentId=ENVIRONMENT_ID)
    issued = finspace("ASIATEMPORARY", "temporary-secret", "role-session-token").get_programmatic_access_credentials(
        environmentId=ENVIRONMENT_ID)

    assert without[0] == "UnrecognizedClientException"
    assert issued["credentials"]["accessKeyId"]


def _tamper_body(request: Any, **_: Any) -> None:
    request.body = request.body.replace(b"ada@", b"eve@")  # same length: only the signature can tell


def _tamper_query(request: Any, **_: Any) -> None:
    request.url = request.url.replace("maxResults=1", "maxResults=9")


@pytest.mark.parametrize(("event", "tamper", "call"), [
    ("before-send.finspace-data.CreateUser", _tamper_body,
     lambda client: client.create_user(emailAddress="ada@example.com", type="APP_USER")),
    ("before-send.finspace-data.ListUsers", _tamper_query, lambda client: client.list_users(maxResults=1)),
])
def test_a_request_changed_after_signing_is_refused(emulator: Emulator, event: str, tamper: Callable[..., None],
                                                    call: Callable[[Any], Any]) -> None:
    client = finspace(*issued_keys())
    client.meta.events.register(event, tamper)

    assert refusal(call, client=client) == ("InvalidSignatureException", SIGNATURE_MISMATCH, 403)
    assert not {"ada@example.com", "eve@example.com"} & emails(emulator)


@pytest.mark.parametrize(("skew_minutes", "refused"), [
    (-6, "Signature expired: "), (6, "Signature not yet current: "), (-4, None), (4, None)])
def test_a_signature_is_good_for_5_minutes_either_side(emulator: Emulator, monkeypatch: pytest.MonkeyPatch,
                                                      skew_minutes: int, refused: str | None) -> None:
    client = finspace(*issued_keys())
    skewed = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(minutes=skew_minutes)
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: skewed)  # the time botocore signs with

    if refused is None:
        assert client.list_users(maxResults=1)["users"]
    else:
        code, message, status = refusal(client.list_users, maxResults=1)
        assert (code, status, message.startswith(refused)) == ("InvalidSignatureException", 403, True)


def test_a_state_file_of_the_previous_version_keeps_its_keys_only_once_given_their_secret(tmp_path: Path) -> None:
    db = tmp_path / "v2.sqlite"
    with sqlite3.connect(db) as old:  # what the emulator wrote before keys had secrets
        old.execute("CREATE TABLE principals (accessKeyId TEXT PRIMARY KEY, roleArn TEXT)")
        old.execute("INSERT INTO principals VALUES (?, ?)", ("AKIAKEPT", CALLER_ROLE_ARN))
        old.execute("PRAGMA user_version=2")
    old.close()
    settings = EmulatorSettings(db_path=str(db), backend=BackendSettings(environments=frozenset({ENVIRONMENT_ID})))
    emulator = Emulator(settings)

    before = emulator.backend.principal("AKIAKEPT")
    emulator.backend.assign_role("AKIAKEPT", CALLER_ROLE_ARN, secret_access_key="kept-secret")

    assert before is None
    assert emulator.backend.principal("AKIAKEPT") is not None
    assert emulator.backend.principal("AKIAKEPT").signing_key == SigningKey("AKIAKEPT", "kept-secret")  # type: ignore[union-attr]


# --- the emulator's administration ----------------------------------------------------------------
def admin(emulator: Emulator, method: str, route: str, token: str | None, body: bytes | None = None
          ) -> urllib3.BaseHTTPResponse:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return urllib3.PoolManager(ca_certs=emulator.ca_bundle).request(
        method, f"{emulator.endpoint_url}/_emulator/{route}", headers=headers, body=body)


@pytest.mark.parametrize("token", [None, "", "not-the-admin-token"])
def test_administration_without_the_admin_token_is_refused(emulator: Emulator, token: str | None) -> None:
    faults = admin(emulator, "POST", "faults", token, b'{"error_rate": 1.0}')
    calls = admin(emulator, "GET", "calls", token)

    expected = 403 if token else 401
    assert (faults.status, calls.status) == (expected, expected)
    assert (faults.headers.get("WWW-Authenticate") is not None) == (expected == 401)
    assert emulator.faults.settings.error_rate == 0.0
    assert b"calls" not in calls.data


def test_administration_with_the_admin_token_works(emulator: Emulator) -> None:
    caller_client(NO_RETRY).get_programmatic_access_credentials(environmentId=ENVIRONMENT_ID)

    faults = admin(emulator, "POST", "faults", emulator.admin_token, b'{"error_rate": 0.25, "seed": 3}')
    calls = admin(emulator, "GET", "calls", emulator.admin_token)

    assert (faults.status, calls.status) == (200, 200)
    assert (emulator.faults.settings.error_rate, emulator.faults.settings.seed) == (0.25, 3)
    assert [c["operation"] for c in json.loads(calls.data)["calls"]] == ["GetProgrammaticAccessCredentials"]
    assert emulator.admin_token not in emulator.environment().values()  # the handler is never given it


def test_each_emulator_has_its_own_admin_token() -> None:
    first, second = Emulator(), Emulator()

    assert first.admin_token != second.admin_token
    assert len(first.admin_token) >= 32


# --- SigV4 at the driver's AWS endpoint, given the keys ---------------------------------------------
@pytest.fixture
def ssm_endpoint(tmp_path: Path) -> Iterator[tuple[AwsEndpoint, LocalCA]]:
    ca = LocalCA(tmp_path / "ca")
    store = ParameterStore(None, region=REGION, account="123456789012")
    keys = {"AKIAFUNCTION": SigningKey("AKIAFUNCTION", "function-secret")}
    endpoint = AwsEndpoint(ca.server_context(), [SsmApi(store)], region=REGION, keys=keys)
    yield endpoint, ca
    endpoint.close()


def ssm(endpoint: tuple[AwsEndpoint, LocalCA], access_key_id: str, secret_access_key: str) -> Any:
    return boto3.client("ssm", region_name=REGION, endpoint_url=endpoint[0].url, verify=str(endpoint[1].bundle_path),
                        aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key, config=NO_RETRY)


def test_the_aws_endpoint_given_keys_checks_signatures_too(ssm_endpoint: tuple[AwsEndpoint, LocalCA]) -> None:
    good = ssm(ssm_endpoint, "AKIAFUNCTION", "function-secret")

    good.put_parameter(Name="/kept", Value="v1", Type="SecureString")
    wrong = refusal(ssm(ssm_endpoint, "AKIAFUNCTION", "not-the-secret").get_parameter, Name="/kept")
    unknown = refusal(ssm(ssm_endpoint, "AKIANOBODYKNOWS", "function-secret").get_parameter, Name="/kept")

    assert good.get_parameter(Name="/kept", WithDecryption=True)["Parameter"]["Value"] == "v1"
    assert wrong == ("InvalidSignatureException", SIGNATURE_MISMATCH, 403)
    assert unknown == ("UnrecognizedClientException", UNRECOGNIZED_KEY_MESSAGE, 403)
