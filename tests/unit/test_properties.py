"""Property parsing: CloudFormation's strings to one typed value, every problem in one message."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_handler.errors import PropertyError
from lambda_handler.properties import UserProperties, email_key, identity_of, parse_properties

VALID = {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p", "EnvironmentId": "env1",
         "EmailAddress": "ada@example.com", "Type": "APP_USER"}
ROLE = "arn:aws:iam::123456789012:role/finspace-api"


def problems_for(**changes: Any) -> str:
    raw = {**VALID, **changes}
    for name in [k for k, v in raw.items() if v is None]:
        del raw[name]
    with pytest.raises(PropertyError) as exc:
        parse_properties(raw)
    return str(exc.value)


def test_minimal_declaration_gets_the_contract_defaults() -> None:
    props = parse_properties(VALID)

    assert props == UserProperties(environment_id="env1", email_address="ada@example.com", user_type="APP_USER")
    assert (props.api_access, props.enabled, props.adopt_existing) == ("DISABLED", True, False)


def test_every_property_is_parsed_from_strings() -> None:
    props = parse_properties({**VALID, "FirstName": "Ada", "LastName": "Lovelace", "ApiAccess": "ENABLED",
                              "ApiAccessPrincipalArn": ROLE, "Enabled": "false", "AdoptExisting": "true",
                              "ServiceTimeout": "600"})

    assert (props.first_name, props.last_name, props.api_access_principal_arn) == ("Ada", "Lovelace", ROLE)
    assert (props.enabled, props.adopt_existing) == (False, True)


def test_repr_keeps_personal_data_out() -> None:
    text = repr(parse_properties({**VALID, "FirstName": "Ada", "LastName": "Lovelace"}))

    assert "ada@example.com" not in text
    assert "Lovelace" not in text
    assert "env1" in text


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"EnvironmentId": None}, "EnvironmentId is required: declare it"),
        ({"EmailAddress": None}, "EmailAddress is required: declare it"),
        ({"Type": None}, "Type is required: declare it"),
        ({"EmailAddress": "not-an-email"},
         "EmailAddress is not a valid email address: use a name, an @ and a domain with a dot"),
        ({"EmailAddress": "a@b"}, "EmailAddress is shorter than 4 characters"),
        ({"EmailAddress": "a" * 320 + "@example.com"}, "EmailAddress is longer than 320 characters"),
        ({"Type": "ADMIN"}, "Type must be one of SUPER_USER, APP_USER"),
        ({"FirstName": ""}, "FirstName is shorter than 1 characters"),
        ({"FirstName": "   "}, "FirstName must contain a non-blank character"),
        ({"LastName": "x" * 51}, "LastName is longer than 50 characters"),
        ({"ApiAccess": "YES"}, "ApiAccess must be one of ENABLED, DISABLED"),
        ({"ApiAccess": "ENABLED", "ApiAccessPrincipalArn": "arn:aws:iam::123:user/bob-the-user"},
         "ApiAccessPrincipalArn must be an IAM role ARN like arn:aws:iam::123456789012:role/Name"),
        ({"ApiAccessPrincipalArn": ROLE}, "ApiAccessPrincipalArn needs ApiAccess: ENABLED; set ApiAccess or remove"),
        ({"Enabled": "yes"}, "Enabled must be true or false"),
        ({"AdoptExisting": "True"}, "AdoptExisting must be true or false"),
        ({"Enabld": "true"}, "Unknown property Enabld: remove it or fix its spelling"),
        ({"FirstName": ["Ada"]}, "FirstName must be a string, not a list"),
        ({"EnvironmentId": "e" * 27}, "EnvironmentId is longer than 26 characters"),
    ],
)
def test_each_problem_is_named_with_its_fix(changes: dict[str, Any], expected: str) -> None:
    message = problems_for(**changes)

    assert message.startswith("Invalid properties: ")
    assert expected in message


def test_all_problems_are_reported_at_once_under_256_characters() -> None:
    message = problems_for(EmailAddress="bad", Type="ADMIN", Enabled="maybe", Colour="blue", FirstName=" ",
                           LastName=" ", ApiAccess="NO", EnvironmentId="e" * 40, AdoptExisting="1")

    assert len(message) < 256
    for name in ("Colour", "EnvironmentId", "EmailAddress"):
        assert name in message
    assert message.endswith("more)")


def test_invalid_personal_values_are_described_never_echoed() -> None:
    message = problems_for(EmailAddress="jane.doe-at-bank", FirstName="\t", LastName="Doe" * 20)

    assert "jane.doe" not in message
    assert "DoeDoe" not in message


PADDED = "has a blank (space, tab, line break) at its start or end: remove it"


@pytest.mark.parametrize("email", ["ada@example.com ", " ada@example.com", "ada@example.com\n", "\tada@example.com"])
def test_a_blank_around_the_email_is_refused_never_stripped(email: str) -> None:
    message = problems_for(EmailAddress=email)

    assert f"EmailAddress {PADDED}" in message
    assert "ada@" not in message


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # the model's patterns describe the whole value: one that merely contains a match is refused
        ({"EmailAddress": "Eve <eve@example.com>"}, "EmailAddress is not a valid email address"),
        ({"EmailAddress": "eve@example.com, mallory@example.com"}, "EmailAddress is not a valid email address"),
        ({"EmailAddress": "first.last+tag@mail.example.co"}, None),
        # the model's pattern, whole, ends with 2-4 letters: a longer last label is refused (a search found ".muse")
        ({"EmailAddress": "eve@example.museum"}, "EmailAddress is not a valid email address"),
        ({"ApiAccess": "ENABLED", "ApiAccessPrincipalArn": ROLE + "\n"}, "ApiAccessPrincipalArn must be an IAM role"),
        ({"ApiAccess": "ENABLED", "ApiAccessPrincipalArn": "see " + ROLE}, "ApiAccessPrincipalArn must be an IAM role"),
        ({"FirstName": "Ada\nLovelace"}, "FirstName must contain a non-blank character and no line break"),
        ({"FirstName": " Ada "}, None),  # a name may keep its blanks, as FinSpace's pattern allows
    ],
)
def test_patterns_are_matched_whole(changes: dict[str, Any], expected: str | None) -> None:
    if expected is None:
        parse_properties({**VALID, **changes})
        return
    message = problems_for(**changes)

    assert expected in message
    assert "eve@" not in message
    assert "Lovelace" not in message


def test_emails_are_one_user_by_email_key_in_old_and_new_properties() -> None:
    props = parse_properties({**VALID, "EmailAddress": "Ada@Example.COM"})

    assert email_key("Ada@Example.COM") == "ada@example.com"
    assert props.identity == identity_of({**VALID, "EmailAddress": "ada@example.com"}) == ("env1", "ada@example.com")
