"""Programmatic access credentials: issued per environment, cached while warm, renewed in time."""

from __future__ import annotations

import pytest

from finspace_local import Emulator
from lambda_handler.credentials import DURATION_MINUTES, RENEW_MARGIN_S, ProgrammaticCredentials
from lambda_handler.errors import ApiCallError
from tests.conftest import ENVIRONMENT_ID, REGION


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def credential_calls(emulator: Emulator) -> int:
    return len(emulator.calls_of("GetProgrammaticAccessCredentials"))


def test_credentials_are_reused_while_warm_and_renewed_before_expiry(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAPROVIDERROLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "provider-secret")
    clock = Clock()
    credentials = ProgrammaticCredentials(region_name=REGION, clock=clock)

    first = credentials.client_for(ENVIRONMENT_ID)
    first.list_users(maxResults=1)
    again = credentials.client_for(ENVIRONMENT_ID)
    clock.now += DURATION_MINUTES * 60 - RENEW_MARGIN_S + 1
    renewed = credentials.client_for(ENVIRONMENT_ID)
    renewed.list_users(maxResults=1)

    assert again is first
    assert renewed is not first
    assert credential_calls(emulator) == 2


def test_an_unknown_environment_fails_with_the_api_error_and_its_fix(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAPROVIDERROLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "provider-secret")

    with pytest.raises(ApiCallError) as exc:
        ProgrammaticCredentials(region_name=REGION).client_for("nosuchenv")

    assert str(exc.value).startswith("GetProgrammaticAccessCredentials failed with AccessDeniedException: register")
