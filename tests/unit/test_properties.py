"""Property parsing: CloudFormation's strings to one typed value, every problem in one message."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_handler.errors import PropertyError
from lambda_handler.properties import UserProperties, parse_properties

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
