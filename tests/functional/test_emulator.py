"""The emulator speaks the FinSpace Data API: real boto3 over HTTPS, the carried model."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import urllib3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from finspace_local import Emulator, FaultSettings
from finspace_local.sigv4 import SIGNATURE_MISMATCH
from finspace_local.state import FIRST_SUPERUSER_EMAIL
from finspace_local.webapp import PROVIDER_USER_EMAIL
from lambda_handler.client import default_config, new_finspace_client
from tests.conftest import (
    CALLER_KEYS,
    CALLER_ROLE_ARN,
    ENVIRONMENT_ID,
    REGION,
    EmulatorFactory,
    caller_client,
    user_client,
)

if TYPE_CHECKING:
    from mypy_boto3_finspace_data import FinSpaceDataClient

NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})
UNVALIDATED = Config(parameter_validation=False, retries={"total_max_attempts": 1})


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = exc.value.response["Error"]
    return error["Code"], error["Message"]


def test_user_operations_round_trip(client: FinSpaceDataClient) -> None:
    user_id = client.create_user(emailAddress="ada@example.com", type="APP_USER", firstName="Ada")["userId"]

    client.update_user(userId=user_id, type="SUPER_USER", lastName="Lovelace")
    client.disable_user(userId=user_id)
    disabled = client.get_user(userId=user_id)
    client.enable_user(userId=user_id)
    password = client.reset_user_password(userId=user_id)["temporaryPassword"]

    assert disabled["status"] == "DISABLED"
    assert disabled["type"] == "SUPER_USER"
    assert (disabled["firstName"], disabled["lastName"]) == ("Ada", "Lovelace")
    assert client.get_user(userId=user_id)["status"] == "ENABLED"
    assert 8 <= len(password) <= 20


def test_list_users_paginates_with_max_results(client: FinSpaceDataClient) -> None:
    created = [client.create_user(emailAddress=f"u{i}@example.com", type="APP_USER")["userId"] for i in range(5)]

    pages = list(client.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 3}))

    listed = [u for page in pages for u in page["users"]]
    assert [len(page["users"]) for page in pages] == [3, 3, 1]  # the environment's 2 administrators first
    assert [u["emailAddress"] for u in listed[:2]] == [FIRST_SUPERUSER_EMAIL, PROVIDER_USER_EMAIL]
    assert [u["userId"] for u in listed[2:]] == created


def test_permission_group_operations_round_trip(client: FinSpaceDataClient) -> None:
    user_id = client.create_user(emailAddress="grace@example.com", type="APP_USER")["userId"]
    group_id = client.create_permission_group(name="analysts", applicationPermissions=["ViewAuditData"])[
        "permissionGroupId"
    ]

    client.update_permission_group(permissionGroupId=group_id, name="quants", applicationPermissions=["CreateDataset"])
    client.associate_user_to_permission_group(permissionGroupId=group_id, userId=user_id)
    by_user = client.list_permission_groups_by_user(userId=user_id, maxResults=10)["permissionGroups"]
    by_group = client.list_users_by_permission_group(permissionGroupId=group_id, maxResults=10)["users"]
    listed = client.list_permission_groups(maxResults=10)["permissionGroups"]
    client.disassociate_user_from_permission_group(permissionGroupId=group_id, userId=user_id)
    client.delete_permission_group(permissionGroupId=group_id)

    assert [(g["name"], g["membershipStatus"]) for g in by_user] == [("quants", "ADDITION_SUCCESS")]
    assert [u["userId"] for u in by_group] == [user_id]
    assert listed[0]["applicationPermissions"] == ["CreateDataset"]
    with pytest.raises(ClientError) as exc:
        client.get_permission_group(permissionGroupId=group_id)
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_membership_status_is_asynchronous(make_emulator: EmulatorFactory) -> None:
    emu = make_emulator(membership_seconds=30)
    client = user_client()
    user_id = client.create_user(emailAddress="m@example.com", type="APP_USER")["userId"]
    group_id = client.create_permission_group(name="g", applicationPermissions=["AccessNotebooks"])[
        "permissionGroupId"
    ]
    client.associate_user_to_permission_group(permissionGroupId=group_id, userId=user_id)
    pending = client.list_permission_groups_by_user(userId=user_id, maxResults=5)["permissionGroups"]
    emu.backend.advance(31)
    settled = client.list_permission_groups_by_user(userId=user_id, maxResults=5)["permissionGroups"]
    client.disassociate_user_from_permission_group(permissionGroupId=group_id, userId=user_id)
    removing = client.list_permission_groups_by_user(userId=user_id, maxResults=5)["permissionGroups"]
    emu.backend.advance(31)
    gone = client.list_permission_groups_by_user(userId=user_id, maxResults=5)["permissionGroups"]

    assert [g["membershipStatus"] for g in pending] == ["ADDITION_IN_PROGRESS"]
    assert [g["membershipStatus"] for g in settled] == ["ADDITION_SUCCESS"]
    assert [g["membershipStatus"] for g in removing] == ["REMOVAL_IN_PROGRESS"]
    assert gone == []


@pytest.mark.parametrize(
    ("call", "member", "constraint"),
    [
        (lambda c: c.create_user(emailAddress="not-an-email", type="APP_USER"), "emailAddress", "pattern"),
        (lambda c: c.create_user(emailAddress="a@example.com", type="ROOT"), "type", "enum value set"),
        (lambda c: c.create_user(emailAddress="a@example.com", type="APP_USER", firstName="x" * 51),
         "firstName", "less than or equal to 50"),
        (lambda c: c.create_user(emailAddress="a@example.com", type="APP_USER", apiAccessPrincipalArn="arn:bad-role"),
         "apiAccessPrincipalArn", "greater than or equal to 20"),
        (lambda c: c.list_users(maxResults=101), "maxResults", "less than or equal to 100"),
        (lambda c: c.list_users(maxResults=0), "maxResults", "greater than or equal to 1"),
        (lambda c: c.create_user(type="APP_USER"), "emailAddress", "must not be null"),
    ],
)
def test_bad_input_gets_validation_exception_naming_the_member(
    emulator: Emulator, call: object, member: str, constraint: str
) -> None:
    client = user_client(config=UNVALIDATED)

    with pytest.raises(ClientError) as exc:
        call(client)  # type: ignore[operator]

    code, message = error_of(exc)
    assert code == "ValidationException"
    assert f"'{member}'" in message
    assert constraint in message
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_validation_error_does_not_echo_a_sensitive_value(emulator: Emulator) -> None:
    with pytest.raises(ClientError) as exc:
        user_client(config=UNVALIDATED).create_user(emailAddress="secret.person@nowhere", type="APP_USER")

    assert "secret.person" not in error_of(exc)[1]


def test_unsigned_call_is_denied(emulator: Emulator) -> None:
    client = new_finspace_client(region_name=REGION, config=Config(signature_version=UNSIGNED))

    with pytest.raises(ClientError) as exc:
        client.list_users(maxResults=10)

    assert error_of(exc) == ("MissingAuthenticationTokenException", "Request is missing Authentication Token")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_call_signed_with_the_callers_own_iam_keys_is_denied(emulator: Emulator) -> None:
    with pytest.raises(ClientError) as exc:
        caller_client().create_user(emailAddress="a@example.com", type="APP_USER")

    assert error_of(exc) == ("AccessDeniedException",  # a valid signature, but not the credentials FinSpace issues
                             "User operations must be signed with programmatic access credentials")


def test_call_with_a_forged_secret_is_denied(emulator: Emulator) -> None:
    issued = caller_client().get_programmatic_access_credentials(environmentId=ENVIRONMENT_ID)["credentials"]
    forged = new_finspace_client(
        region_name=REGION, credentials=(issued["accessKeyId"], "not-the-secret", issued["sessionToken"])
    )

    with pytest.raises(ClientError) as exc:
        forged.list_users(maxResults=1)

    assert error_of(exc) == ("InvalidSignatureException", SIGNATURE_MISMATCH)


def test_expired_credentials_are_denied(emulator: Emulator) -> None:
    client = user_client()
    client.list_users(maxResults=1)
    emulator.backend.advance(61 * 60)

    with pytest.raises(ClientError) as exc:
        client.list_users(maxResults=1)

    assert error_of(exc) == ("ExpiredTokenException", "The security token included in the request is expired")


def test_credentials_for_an_unknown_environment_are_denied(emulator: Emulator) -> None:
    with pytest.raises(ClientError) as exc:
        caller_client().get_programmatic_access_credentials(environmentId="otherenv")

    assert error_of(exc)[0] == "AccessDeniedException"


def test_client_token_replays_the_first_answer(client: FinSpaceDataClient) -> None:
    first = client.create_user(emailAddress="t@example.com", type="APP_USER", clientToken="tok-1")["userId"]

    again = client.create_user(emailAddress="t@example.com", type="APP_USER", clientToken="tok-1")["userId"]

    assert again == first
    assert [u["emailAddress"] for u in client.list_users(maxResults=10)["users"]].count("t@example.com") == 1


def test_client_token_reused_with_other_parameters_conflicts(client: FinSpaceDataClient) -> None:
    client.create_user(emailAddress="t@example.com", type="APP_USER", clientToken="tok-1")

    with pytest.raises(ClientError) as exc:
        client.create_user(emailAddress="u@example.com", type="APP_USER", clientToken="tok-1")

    assert error_of(exc)[0] == "ConflictException"


def test_client_token_expires_after_ten_minutes(emulator: Emulator) -> None:
    client = user_client()
    client.create_user(emailAddress="t@example.com", type="APP_USER", clientToken="tok-1")
    emulator.backend.advance(601)
    client = user_client()

    with pytest.raises(ClientError) as exc:
        client.create_user(emailAddress="t@example.com", type="APP_USER", clientToken="tok-1")

    assert error_of(exc) == ("ConflictException", "A user with this email address already exists")


def test_duplicate_email_conflicts_case_insensitively(client: FinSpaceDataClient) -> None:
    client.create_user(emailAddress="Dup@Example.com", type="APP_USER")

    with pytest.raises(ClientError) as exc:
        client.create_user(emailAddress="dup@example.com", type="SUPER_USER")

    assert error_of(exc)[0] == "ConflictException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_new_user_stays_creating_for_the_configured_time(make_emulator: EmulatorFactory) -> None:
    emu = make_emulator(creating_seconds=20)
    client = user_client()
    user_id = client.create_user(emailAddress="slow@example.com", type="APP_USER")["userId"]
    before = client.get_user(userId=user_id)["status"]
    emu.backend.advance(21)
    after = client.get_user(userId=user_id)["status"]

    assert (before, after) == ("CREATING", "ENABLED")


@pytest.mark.parametrize(("mode", "expected"), [("succeed", None), ("conflict", "ConflictException")])
def test_disabling_a_disabled_user_answers_as_configured(
    make_emulator: EmulatorFactory, mode: str, expected: str | None
) -> None:
    make_emulator(redundant_state_change=mode)
    client = user_client()
    user_id = client.create_user(emailAddress="d@example.com", type="APP_USER")["userId"]
    client.disable_user(userId=user_id)
    try:
        client.disable_user(userId=user_id)
        outcome = None
    except ClientError as error:
        outcome = error.response["Error"]["Code"]

    assert outcome == expected


def test_unknown_user_is_not_found(client: FinSpaceDataClient) -> None:
    with pytest.raises(ClientError) as exc:
        client.disable_user(userId="nosuchuser")

    assert error_of(exc)[0] == "ResourceNotFoundException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_throttling_follows_a_token_bucket_and_is_logged(emulator: Emulator) -> None:
    client = user_client(config=NO_RETRY)
    emulator.faults.configure(FaultSettings(throttle_rate=0.001, throttle_burst=3, operations=frozenset({"ListUsers"})))
    outcomes = []
    for _ in range(5):
        try:
            client.list_users(maxResults=1)
            outcomes.append("ok")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])

    assert outcomes == ["ok", "ok", "ok", "ThrottlingException", "ThrottlingException"]
    assert [c.status for c in emulator.calls_of("ListUsers")] == [200, 200, 200, 429, 429]


def test_server_errors_are_retried_by_botocore(emulator: Emulator) -> None:
    client = user_client(config=default_config(max_attempts=10))
    emulator.faults.configure(FaultSettings(error_rate=0.5, seed=7, operations=frozenset({"CreateUser"})))

    user_id = client.create_user(emailAddress="r@example.com", type="APP_USER")["userId"]

    statuses = [c.status for c in emulator.calls_of("CreateUser")]
    assert statuses[-1] == 200
    assert 500 in statuses
    assert client.get_user(userId=user_id)["status"] == "ENABLED"


def test_faults_are_reproducible_with_a_seed(emulator: Emulator) -> None:
    client = user_client(config=NO_RETRY)

    def run() -> list[int]:
        emulator.clear_calls()
        emulator.faults.configure(FaultSettings(error_rate=0.5, seed=42, operations=frozenset({"ListUsers"})))
        for _ in range(12):
            with contextlib.suppress(ClientError):
                client.list_users(maxResults=1)
        return [c.status for c in emulator.calls_of("ListUsers")]

    first, second = run(), run()
    assert first == second
    assert set(first) == {200, 500}


def test_dropped_connection_surfaces_as_a_connection_error(emulator: Emulator) -> None:
    client = user_client(config=NO_RETRY)
    emulator.faults.configure(FaultSettings(drop_rate=1.0, operations=frozenset({"ListUsers"})))

    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        client.list_users(maxResults=1)

    assert emulator.calls_of("ListUsers")[-1].error == "Dropped"


def test_state_survives_a_restart_with_a_database_file(tmp_path: Path, make_emulator: EmulatorFactory) -> None:
    db = str(tmp_path / "state.sqlite")
    first = make_emulator(db)
    user_id = user_client().create_user(emailAddress="p@example.com", type="APP_USER")["userId"]
    first.stop()

    make_emulator(db)
    status = user_client().get_user(userId=user_id)["status"]

    assert status == "ENABLED"


def test_command_line_prints_endpoint_ca_bundle_and_admin_token(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "finspace_local.emulator", "--db", str(tmp_path / "s.sqlite"),
         "--environment", ENVIRONMENT_ID, "--state-dir", str(tmp_path),
         "--role", str(CALLER_KEYS[0]), str(CALLER_KEYS[1]), CALLER_ROLE_ARN, "--register", CALLER_ROLE_ARN],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert process.stdout is not None
        endpoint = process.stdout.readline().split(": ", 1)[1].strip()
        bundle = process.stdout.readline().split(": ", 1)[1].strip()
        admin_token = process.stdout.readline().split(": ", 1)[1].strip()
        monkeypatch.setenv("AWS_ENDPOINT_URL_FINSPACE_DATA", endpoint)
        monkeypatch.setenv("AWS_CA_BUNDLE", bundle)
        users = user_client().list_users(maxResults=5)["users"]
        answer = urllib3.PoolManager(ca_certs=bundle).request(
            "GET", f"{endpoint}/_emulator/calls", headers={"Authorization": f"Bearer {admin_token}"})
        calls = [call["operation"] for call in json.loads(answer.data)["calls"]]
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert endpoint.startswith("https://127.0.0.1:")
    assert Path(bundle).is_file()
    assert {u["emailAddress"]: u["type"] for u in users} == {FIRST_SUPERUSER_EMAIL: "SUPER_USER",
                                                             PROVIDER_USER_EMAIL: "SUPER_USER"}
    assert calls == ["GetProgrammaticAccessCredentials", "ListUsers"]


@pytest.mark.parametrize("email", ["Eve <eve@example.com>", "eve@example.museum", "eve@example.com\n"])
def test_an_email_is_matched_whole_against_the_model_s_pattern(client: FinSpaceDataClient, email: str) -> None:
    with pytest.raises(ClientError) as refused:
        client.create_user(emailAddress=email, type="APP_USER")

    assert error_of(refused)[0] == "ValidationException"
