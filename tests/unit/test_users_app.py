"""Stacks from a users file: nested-stack buckets by email, stable ids, CloudFormation's limits."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

import app  # the repository's app.py
from finspace_constructs.enums import UserType
from finspace_constructs.users_app import BUCKETS, FinSpaceUsersStack, bucket_of
from finspace_constructs.users_file import ResolvedUser, UsersFileError

MAX_RESOURCES = 500
MAX_TEMPLATE_BYTES = 1_000_000  # CloudFormation's limit for a template in S3


def user(email: str) -> ResolvedUser:
    return ResolvedUser("env1", email, UserType.APP_USER, None, None, None, None, True, False, "destroy")


def synthesized(tmp_path: Path, users: list[ResolvedUser]) -> dict[str, dict[str, Any]]:
    """Every template of the assembly, by file name."""
    app = cdk.App(outdir=str(tmp_path))
    FinSpaceUsersStack(app, "FinSpaceUsers", users=users)
    directory = Path(app.synth().directory)
    return {path.name: json.loads(path.read_text()) for path in directory.glob("*.template.json")}


def user_locations(templates: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """email -> (template file, logical id)."""
    return {r["Properties"]["EmailAddress"]: (name, logical_id)
            for name, body in templates.items() for logical_id, r in body["Resources"].items()
            if r["Type"] == "Custom::FinSpaceUser"}


def test_buckets_depend_on_the_email_alone() -> None:
    assert bucket_of("Ada@Example.com ") == bucket_of("ada@example.com")
    assert {bucket_of(f"u{i}@example.com") for i in range(2000)} == set(range(BUCKETS))


def test_reordering_users_changes_no_template(tmp_path: Path) -> None:
    users = [user(f"person{i}@example.com") for i in range(40)]
    shuffled = users[:]
    random.Random(7).shuffle(shuffled)

    first = synthesized(tmp_path / "a", users)
    second = synthesized(tmp_path / "b", shuffled)

    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_five_thousand_users_fit_cloudformation_limits_and_adding_users_moves_nobody(tmp_path: Path) -> None:
    base = [user(f"user{i:05d}@example.com") for i in range(5000)]
    more = base + [user(f"added{i:03d}@example.com") for i in range(100)]

    before = synthesized(tmp_path / "base", base)
    after = synthesized(tmp_path / "more", more)

    for body in before.values():
        assert len(body["Resources"]) <= MAX_RESOURCES
        assert len(json.dumps(body)) < MAX_TEMPLATE_BYTES
    assert len(before) <= BUCKETS + 1
    located_before, located_after = user_locations(before), user_locations(after)
    assert len(located_before) == 5000
    assert all(located_after[email] == where for email, where in located_before.items())


def test_app_gives_the_provider_the_users_file_s_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "teams.yaml"
    path.write_text("reenable_requires_adopt: true\nprovider_user: robot@example.com\nenvironment: e\nusers:\n"
                    "  - {email: robot@example.com, type: SUPER_USER,\n"
                    "     api_access_principal_arn: 'arn:aws:iam::123456789012:role/TeamB-us-east-1'}\n")
    monkeypatch.chdir(tmp_path)  # no users.yaml here

    def switch(context: dict[str, str]) -> str:
        stacks = app.build(cdk.App(context=context))
        (function,) = Template.from_stack(stacks[0]).find_resources("AWS::Lambda::Function").values()
        variables: dict[str, str] = function["Properties"]["Environment"]["Variables"]
        return variables["FINSPACE_REENABLE_REQUIRES_ADOPT"]

    assert switch({"usersFile": str(path), "providerStackName": "TeamB"}) == "true"  # its role: TeamB-<region>
    assert switch({"usersFile": str(path), "providerStackName": "TeamB", "providerOnly": "true"}) == "true"
    assert switch({"providerOnly": "true"}) == "false"  # no users file: the default
    with pytest.raises(UsersFileError, match="names another role than the provider's"):
        switch({"usersFile": str(path)})  # the default provider's role is another


def test_logical_ids_carry_no_email_so_stack_events_and_ci_logs_do_not(tmp_path: Path) -> None:
    templates = synthesized(tmp_path, [user("grace.hopper@navy.example.com"), user("Ada@Example.com")])

    ids = [logical_id for body in templates.values() for logical_id in body["Resources"]]
    assert len(user_locations(templates)) == 2
    assert not [i for i in ids if any(word in i.lower() for word in ("grace", "hopper", "navy", "ada", "example"))]
    assert all(i.startswith("User") for _, i in user_locations(templates).values())
