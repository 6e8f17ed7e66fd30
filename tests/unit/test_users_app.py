"""Stacks from a users file: nested-stack buckets by email and by group, stable ids, CloudFormation's quotas."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

import app  # the repository's app.py
from finspace_constructs import cloudformation_quotas as quotas
from finspace_constructs.enums import ApplicationPermission, UserType
from finspace_constructs.users_app import (
    BUCKETS,
    GROUP_BUCKETS,
    FinSpaceUsersStack,
    bucket_of,
    group_bucket_of,
)
from finspace_constructs.users_file import ResolvedGroup, ResolvedUser, UsersFileError
from finspace_local.cfn.template import Resolver, load_template

GROUP_TYPE, USER_TYPE = "Custom::FinSpacePermissionGroup", "Custom::FinSpaceUser"
STACK_TYPE = "AWS::CloudFormation::Stack"


def user(email: str, *groups: str) -> ResolvedUser:
    return ResolvedUser("env1", email, UserType.APP_USER, None, None, None, None, True, False, "destroy", groups)


def group(name: str) -> ResolvedGroup:
    return ResolvedGroup("env1", name, (ApplicationPermission.CREATE_DATASET,), None, "destroy")


def synthesized(tmp_path: Path, users: list[ResolvedUser],
                groups: list[ResolvedGroup] | None = None) -> dict[str, dict[str, Any]]:
    """Every template of the assembly, by file name (checked against CloudFormation's quotas as it is
    passed: the top-level one from S3, as cdk deploy uploads it, and so every nested one)."""
    app = cdk.App(outdir=str(tmp_path), context={"aws:cdk:enable-asset-metadata": True})  # as the CLI does
    FinSpaceUsersStack(app, "FinSpaceUsers", users=users, groups=groups or [])
    directory = Path(app.synth().directory)
    templates = {path.name: json.loads(path.read_text()) for path in directory.glob("*.template.json")}
    problems = {name: quotas.template_problem(body, (directory / name).stat().st_size)
                for name, body in templates.items()}
    assert {name: problem for name, problem in problems.items() if problem} == {}
    return templates


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


def group_locations(templates: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """group name -> (template file, logical id)."""
    return {r["Properties"]["Name"]: (name, logical_id)
            for name, body in templates.items() for logical_id, r in body["Resources"].items()
            if r["Type"] == GROUP_TYPE}


def memberships(templates: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """email -> the logical ids of the groups its PermissionGroupIds resolve to, resolved as CloudFormation
    resolves them: each group stack's outputs, passed by the parent as parameters, selected by the user."""
    def resolver(parameters: dict[str, str], lists: frozenset[str], attributes: dict[str, Any]) -> Resolver:
        return Resolver(parameters, {}, {}, attributes, dict, list_parameters=lists)

    parent = next(body for name, body in templates.items() if not name.endswith(".nested.template.json"))
    nested = {lid: templates[r["Metadata"]["aws:asset:path"]] for lid, r in parent["Resources"].items()
              if r["Type"] == STACK_TYPE}
    outputs = {lid: {f"Outputs.{o}": resolver({}, frozenset(), {g: {"PermissionGroupId": g} for g in body["Resources"]})
                     .resolve(value["Value"]) for o, value in body.get("Outputs", {}).items()}
               for lid, body in nested.items()}
    found: dict[str, list[str]] = {}
    for lid, body in nested.items():
        passed = parent["Resources"][lid]["Properties"].get("Parameters", {})
        parameters = resolver({}, frozenset(), outputs).resolve(
            {name: value for name, value in passed.items() if name.startswith("GroupIds")})
        inside = resolver(parameters, load_template(body).list_parameters, {})
        for resource in body["Resources"].values():
            if resource["Type"] == USER_TYPE:
                found[resource["Properties"]["EmailAddress"]] = inside.resolve(
                    resource["Properties"].get("PermissionGroupIds", []))
    return found


def test_groups_are_bucketed_by_environment_and_name_alone() -> None:
    assert {group_bucket_of("env1", f"team-{i}") for i in range(1000)} == set(range(GROUP_BUCKETS))
    assert group_bucket_of("env1", "quants") == group_bucket_of("env1", "quants")
    names = [f"g{i}" for i in range(50)]
    assert [group_bucket_of("env1", n) for n in names] != [group_bucket_of("env2", n) for n in names]


def files_of_600_groups(users: int) -> tuple[list[ResolvedGroup], list[ResolvedUser]]:
    """600 groups; users in 1 to 3 of them, except the users of bucket 0, who together name 250 groups."""
    groups = [group(f"team-{i:03d}") for i in range(600)]
    emails = [f"user{i:05d}@example.com" for i in range(users)]
    crowded = [e for e in emails if bucket_of(e) == 0]
    picks = random.Random(19)
    per = -(-250 // len(crowded))  # a few each (14 among 1,200 users, 4 among 5,000), 250 together
    named = {e: [f"team-{(per * j + t) % 250:03d}" for t in range(per)] for j, e in enumerate(crowded)}
    resolved = [user(e, *dict.fromkeys(named.get(e) or picks.sample([g.name for g in groups], picks.randint(1, 3))))
                for e in emails]
    assert len({name for e in crowded for name in named[e]}) == 250  # the premise: 250 over the 200 parameters
    return groups, resolved


def test_600_groups_and_5000_users_fit_cloudformation_quotas_and_each_user_gets_its_groups(tmp_path: Path) -> None:
    groups, users = files_of_600_groups(5000)

    templates = synthesized(tmp_path, users, groups)  # checks every template against the quotas

    assert len(group_locations(templates)) == 600
    assert all(location[0].startswith("FinSpaceUsersGroups") for location in group_locations(templates).values())
    by_name = {name: logical_id for name, (_, logical_id) in group_locations(templates).items()}
    assert memberships(templates) == {u.email: [by_name[g] for g in u.permission_groups] for u in users}
    crowded = next(body for body in templates.values()
                   if any(r["Type"] == USER_TYPE and bucket_of(r["Properties"]["EmailAddress"]) == 0
                          for r in body["Resources"].values()))
    assert 8 < len(crowded["Parameters"]) <= GROUP_BUCKETS + 1  # one list per group bucket, and the service token
    assert all(p["Type"] == "CommaDelimitedList" for name, p in crowded["Parameters"].items()
               if name.startswith("GroupIds"))


def test_adding_users_and_groups_moves_no_user_and_no_group(tmp_path: Path) -> None:
    groups = [group(f"team-{i:03d}") for i in range(150)]
    picks = random.Random(7)
    users = [user(f"user{i:03d}@example.com", *picks.sample([g.name for g in groups], 2)) for i in range(300)]
    more_groups = [*groups, *(group(f"added-{i:02d}") for i in range(20))]
    more_users = [*users, *(user(f"added{i:03d}@example.com", f"added-{i % 20:02d}") for i in range(60))]

    before = synthesized(tmp_path / "base", users, groups)
    after = synthesized(tmp_path / "more", more_users, more_groups)

    users_before, users_after = user_locations(before), user_locations(after)
    groups_before, groups_after = group_locations(before), group_locations(after)
    assert (len(users_before), len(groups_before), len(groups_after)) == (300, 150, 170)
    assert all(users_after[email] == where for email, where in users_before.items())
    assert all(groups_after[name] == where for name, where in groups_before.items())
    assert len(before) <= BUCKETS + GROUP_BUCKETS + 1


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


def test_a_group_construct_given_to_a_user_of_another_nested_stack_still_works(tmp_path: Path) -> None:
    """The constructs' own API, outside the users app: CDK passes the id as a parameter of its own."""
    from finspace_constructs import FinSpacePermissionGroup, FinSpaceUser

    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Mixed")
    analysts = FinSpacePermissionGroup(cdk.NestedStack(stack, "Groups"), "Analysts", environment_id="env1",
                                       name="analysts", application_permissions=[ApplicationPermission.CREATE_DATASET])
    FinSpaceUser(cdk.NestedStack(stack, "People"), "Ada", environment_id="env1", email_address="ada@example.com",
                 type=UserType.APP_USER, permission_groups=[analysts])
    directory = Path(app.synth().directory)

    (people,) = [json.loads(p.read_text()) for p in directory.glob("MixedPeople*.nested.template.json")]
    (ada,) = [r for r in people["Resources"].values() if r["Type"] == USER_TYPE]
    (reference,) = ada["Properties"]["PermissionGroupIds"]
    assert reference["Ref"] in people["Parameters"]
    with pytest.raises(ValueError, match="belongs to environment env1, not env2"):
        FinSpaceUser(cdk.NestedStack(stack, "Others"), "Bob", environment_id="env2", email_address="bob@example.com",
                     type=UserType.APP_USER, permission_groups=[analysts])
