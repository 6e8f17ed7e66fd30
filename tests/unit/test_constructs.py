"""Synthesized templates: FinSpaceUser and its shared provider."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import lint_all

from finspace_constructs import (
    ApiAccess,
    ApplicationPermission,
    FinSpacePermissionGroup,
    FinSpaceUser,
    FinSpaceUserProvider,
    UserType,
)
from finspace_constructs.handler_shared import email_key
from finspace_constructs.users_app import bucket_of, user_id_of
from lambda_handler.api_model import enum_values

ROLE = "arn:aws:iam::123456789012:role/analytics"


def new_stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "Users", env=cdk.Environment(account="123456789012", region="eu-west-1"))


def add_user(stack: cdk.Stack, construct_id: str = "Ada", **props: Any) -> FinSpaceUser:
    base: dict[str, Any] = {"environment_id": "env1", "email_address": f"{construct_id.lower()}@example.com",
                            "type": UserType.APP_USER}
    return FinSpaceUser(stack, construct_id, **{**base, **props})


def test_enums_match_the_carried_model() -> None:
    assert tuple(t.value for t in UserType) == enum_values("UserType")
    assert set(a.value for a in ApiAccess) == set(enum_values("ApiAccess"))


def test_user_properties_are_strings_with_service_timeout() -> None:
    stack = new_stack()
    add_user(stack, first_name="Ada", last_name="Lovelace", enabled=False)

    Template.from_stack(stack).has_resource_properties("Custom::FinSpaceUser", {
        "EnvironmentId": "env1", "EmailAddress": "ada@example.com", "Type": "APP_USER", "FirstName": "Ada",
        "LastName": "Lovelace", "ApiAccess": "DISABLED", "Enabled": "false", "AdoptExisting": "false",
        "ServiceTimeout": "3600", "ServiceToken": {"Fn::GetAtt": [Match.string_like_regexp("FinSpaceUserProvider"),
                                                                 "Arn"]},
    })


def test_a_principal_role_enables_api_access_and_is_referenced_by_arn() -> None:
    stack = new_stack()
    role = iam.Role(stack, "Analytics", assumed_by=iam.AccountRootPrincipal())
    add_user(stack, api_access_principal=role)
    add_user(stack, "Bob", api_access_principal=ROLE)

    template = Template.from_stack(stack)
    template.has_resource_properties("Custom::FinSpaceUser", {
        "ApiAccess": "ENABLED", "ApiAccessPrincipalArn": {"Fn::GetAtt": [Match.string_like_regexp("Analytics"), "Arn"]},
    })
    template.has_resource_properties("Custom::FinSpaceUser", {"ApiAccess": "ENABLED", "ApiAccessPrincipalArn": ROLE})


def test_many_users_share_one_provider() -> None:
    stack = new_stack()
    for name in ("Ada", "Bob", "Cy"):
        add_user(stack, name)

    template = Template.from_stack(stack)
    template.resource_count_is("AWS::Lambda::Function", 1)
    template.resource_count_is("Custom::FinSpaceUser", 3)
    assert isinstance(stack.node.try_find_child("FinSpaceUserProvider"), FinSpaceUserProvider)


def test_provider_role_may_only_get_credentials_read_stacks_keep_records_and_write_its_logs() -> None:
    stack = new_stack()
    add_user(stack)

    template = Template.from_stack(stack)
    (role,) = template.find_resources("AWS::IAM::Role").values()
    (log_group_id,) = template.find_resources("AWS::Logs::LogGroup")
    statements = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert role["Properties"].get("ManagedPolicyArns") is None
    assert len(role["Properties"]["Policies"]) == 1
    assert statements == [
        {"Action": "finspace-api:GetProgrammaticAccessCredentials", "Effect": "Allow",
         "Resource": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
                                        ":finspace-api:eu-west-1:123456789012:/credentials/programmatic"]]}},
        {"Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Effect": "Allow",
         "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]}},
        {"Action": ["cloudformation:DescribeStacks", "cloudformation:ListStackResources"], "Effect": "Allow",
         "Resource": [{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
                                         f":cloudformation:eu-west-1:123456789012:stack/{name}/*"]]}
                      for name in (stack.stack_name, f"{stack.stack_name}-*")]},
        {"Action": ["ssm:PutParameter", "ssm:GetParameter", "ssm:DeleteParameter"], "Effect": "Allow",
         "Resource": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
                                        ":ssm:eu-west-1:123456789012:parameter/finspace-user-provider/adopted/*"]]}},
    ]
    template.resource_count_is("AWS::IAM::Policy", 0)
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables["FINSPACE_PROVIDER_ROLE_ARN"] == {"Fn::GetAtt": [next(iter(
        template.find_resources("AWS::IAM::Role"))), "Arn"]}
    assert variables["FINSPACE_REENABLE_REQUIRES_ADOPT"] == "false"
    assert variables["FINSPACE_ALLOWED_STACKS"] == stack.stack_name  # its own stack (and nested ones) by default


def test_fails_if_allowed_stacks_is_empty_or_not_a_stack_name_pattern() -> None:
    with pytest.raises(ValueError, match="allowed_stacks is empty"):
        FinSpaceUserProvider(new_stack(), "P", allowed_stacks=[])
    with pytest.raises(ValueError, match="allowed_stacks entry 'team_b' is not a stack name pattern"):
        FinSpaceUserProvider(new_stack(), "P", allowed_stacks=["team_b"])


def test_allowed_stacks_reach_the_handler_and_scope_the_stack_reads() -> None:
    stack = new_stack()
    FinSpaceUserProvider(stack, "P", allowed_stacks=["FinSpaceUsers", "team-*"])

    template = Template.from_stack(stack)
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    (role,) = template.find_resources("AWS::IAM::Role").values()
    reads = next(s for s in role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
                 if s["Action"][0].startswith("cloudformation:"))
    assert function["Properties"]["Environment"]["Variables"]["FINSPACE_ALLOWED_STACKS"] == "FinSpaceUsers,team-*"
    assert [r["Fn::Join"][1][-1].rsplit(":", 1)[1] for r in reads["Resource"]] == [
        "stack/FinSpaceUsers/*", "stack/FinSpaceUsers-*/*", "stack/team-*/*", "stack/team-*-*/*"]


def test_provider_runs_python_3_13_with_a_log_retention_and_exports_its_token() -> None:
    stack = new_stack()
    add_user(stack)

    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::Lambda::Function", {
        "Runtime": "python3.13", "Handler": "lambda_handler.index.handler", "Timeout": 300})
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 90})
    outputs = template.find_outputs("*")
    assert any(o.get("Export", {}).get("Name") == "Users-FinSpaceUserServiceToken" for o in outputs.values())
    assert any("apiAccessPrincipalArn" in o.get("Description", "") for o in outputs.values())


def test_an_existing_role_replaces_the_new_one() -> None:
    stack = new_stack()
    role = iam.Role.from_role_arn(stack, "Given", "arn:aws:iam::123456789012:role/provider")
    add_user(stack, provider=FinSpaceUserProvider(stack, "Custom", role=role, export_name="my-token"))

    template = Template.from_stack(stack)
    template.resource_count_is("AWS::IAM::Role", 0)
    template.has_resource_properties("AWS::Lambda::Function", {"Role": "arn:aws:iam::123456789012:role/provider"})


@pytest.mark.parametrize(("policy", "expected"), [(cdk.RemovalPolicy.RETAIN, "Retain"),
                                                   (cdk.RemovalPolicy.DESTROY, "Delete")])
def test_removal_policy_sets_the_deletion_policy(policy: cdk.RemovalPolicy, expected: str) -> None:
    stack = new_stack()
    add_user(stack, removal_policy=policy)

    Template.from_stack(stack).has_resource("Custom::FinSpaceUser", {"DeletionPolicy": expected})


def test_user_id_and_status_are_attributes() -> None:
    stack = new_stack()
    user = add_user(stack)
    cdk.CfnOutput(stack, "Id", value=user.user_id)
    cdk.CfnOutput(stack, "Status", value=user.status)

    outputs = Template.from_stack(stack).find_outputs("*")
    assert outputs["Id"]["Value"]["Fn::GetAtt"][1] == "UserId"
    assert outputs["Status"]["Value"]["Fn::GetAtt"][1] == "Status"


def test_adopting_warns_at_synthesis() -> None:
    stack = new_stack()
    add_user(stack, adopt_existing=True)

    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("adopt_existing takes over"))
    assert len(warnings) == 1


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"email_address": "not-an-email"}, "FinSpaceUser Users/Ada: email_address is not a valid email address"),
        ({"first_name": " "}, "FinSpaceUser Users/Ada: first_name must contain a non-blank character"),
        ({"last_name": "x" * 51}, "FinSpaceUser Users/Ada: last_name is longer than 50 characters"),
        ({"environment_id": "e" * 27},
         "FinSpaceUser Users/Ada: environment_id (got '" + "e" * 27 + "') is longer than 26"),
        ({"api_access_principal": "arn:aws:iam::123456789012:user/bob"},
         "api_access_principal (got 'arn:aws:iam::123456789012:user/bob') must be an IAM role ARN"),
        ({"api_access": ApiAccess.DISABLED, "api_access_principal": ROLE},
         "api_access_principal needs api_access=ApiAccess.ENABLED"),
        ({"type": "ROOT"}, "'ROOT' is not a valid UserType"),
    ],
)
def test_fails_if_a_literal_value_breaks_the_limits(props: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValueError) as exc:  # noqa: PT011 - the message is checked below
        add_user(new_stack(), **props)

    assert expected in str(exc.value)


def test_fails_without_echoing_a_personal_value() -> None:
    with pytest.raises(ValueError, match="email_address") as exc:
        add_user(new_stack(), email_address="jane.secret-at-bank")

    assert "jane.secret" not in str(exc.value)


def test_tokens_are_left_to_deploy_time() -> None:
    stack = new_stack()
    email = cdk.CfnParameter(stack, "Email").value_as_string

    add_user(stack, email_address=email)

    Template.from_stack(stack).has_resource_properties("Custom::FinSpaceUser", {"EmailAddress": {"Ref": "Email"}})


PROVIDER_ROLE = "arn:aws:iam::123456789012:role/FinSpaceUserProvider-eu-west-1"


@pytest.mark.parametrize(
    ("props", "refused"),
    [
        ({"api_access_principal": PROVIDER_ROLE, "enabled": False}, "enabled=False would lock the provider out"),
        ({"api_access_principal": PROVIDER_ROLE, "api_access": ApiAccess.DISABLED},
         "api_access=ApiAccess.DISABLED would lock the provider out"),
        ({"api_access_principal": "arn:aws:iam::123456789012:role/path/FinSpaceUserProvider-eu-west-1",
          "enabled": False, "api_access": ApiAccess.DISABLED},
         "enabled=False and api_access=ApiAccess.DISABLED would lock the provider out"),
    ],
)
def test_the_provider_s_own_user_cannot_be_disabled_or_lose_api_access(props: dict[str, Any], refused: str) -> None:
    with pytest.raises(ValueError, match="provider's own FinSpace user") as exc:
        add_user(new_stack(), **props)

    assert refused in str(exc.value)
    assert "FinSpaceUser Users/Ada: api_access_principal is the provider's role" in str(exc.value)
    assert "register another user for the provider role first (README: Bootstrap)" in str(exc.value)


def test_the_provider_s_role_object_marks_its_own_user_too() -> None:
    stack = new_stack()
    provider = FinSpaceUserProvider.of(stack)

    with pytest.raises(ValueError, match="enabled=False would lock the provider out"):
        add_user(stack, api_access_principal=provider.role, enabled=False)


def test_other_roles_and_tokens_may_be_disabled() -> None:
    stack = new_stack()
    imported = iam.Role.from_role_arn(stack, "Imported", cdk.Fn.import_value("SomeRoleArn"))

    add_user(stack, "Ada", api_access_principal=ROLE, enabled=False)
    add_user(stack, "Bob", api_access_principal=imported, enabled=False)
    add_user(stack, "Cy", api_access_principal="arn:aws:iam::123456789012:role/FinSpaceUserProviderTeamB-x",
             enabled=False)  # another name, not the bootstrap's provider role

    assert len(Template.from_stack(stack).find_resources("Custom::FinSpaceUser",
                                                         {"Properties": {"Enabled": "false"}})) == 3


def test_synthesized_template_passes_cfn_lint_without_errors() -> None:
    stack = new_stack()
    add_user(stack, api_access_principal=ROLE)

    matches = lint_all(json.dumps(Template.from_stack(stack).to_json()))

    assert [m for m in matches if m.rule.id.startswith("E")] == []


def test_cdk_nag_aws_solutions_finds_no_unacknowledged_error(tmp_path: Any) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Nagged")
    add_user(stack)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))

    app.synth()  # raises ValidationFailed on any unacknowledged error

    (report,) = json.loads((tmp_path / "validation-report.json").read_text())["pluginReports"]
    assert (report["pluginName"], report["conclusion"], report["violations"]) == ("AwsSolutions", "success", [])
    assert all(v["reason"] for v in report["suppressedViolations"])  # every acknowledgment says why


def test_asset_hash_is_stable_between_syntheses() -> None:
    def asset_code() -> Any:
        stack = new_stack()
        add_user(stack)
        (function,) = Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
        return function["Properties"]["Code"]

    assert asset_code() == asset_code()


def test_application_permissions_match_the_carried_model() -> None:
    assert tuple(p.value for p in ApplicationPermission) == enum_values("ApplicationPermission")


def test_permission_group_resource_and_user_membership() -> None:
    stack = new_stack()
    quants = FinSpacePermissionGroup(stack, "Quants", environment_id="env1", name="quants",
                                     application_permissions=[ApplicationPermission.ACCESS_NOTEBOOKS],
                                     description="Quant research")
    add_user(stack, permission_groups=[quants, "existinggroupid"])

    template = Template.from_stack(stack)
    template.has_resource_properties("Custom::FinSpacePermissionGroup", {
        "EnvironmentId": "env1", "Name": "quants", "Description": "Quant research",
        "ApplicationPermissions": ["AccessNotebooks"], "ServiceTimeout": "3600"})
    template.has_resource_properties("Custom::FinSpaceUser", {"PermissionGroupIds": [
        {"Fn::GetAtt": [Match.string_like_regexp("Quants"), "PermissionGroupId"]}, "existinggroupid"]})
    template.resource_count_is("AWS::Lambda::Function", 1)


@pytest.mark.parametrize(("user_type", "groups", "warned"), [
    (UserType.APP_USER, (), True), (UserType.APP_USER, ("g1",), False), (UserType.SUPER_USER, (), False)])
def test_an_app_user_without_groups_gets_a_warning(user_type: UserType, groups: tuple[str, ...], warned: bool) -> None:
    stack = new_stack()
    add_user(stack, type=user_type, permission_groups=groups)

    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("only from permission groups"))
    assert len(warnings) == (1 if warned else 0)


def test_group_less_app_users_of_one_scope_share_one_warning() -> None:
    stack = new_stack()
    for name in ("Ada", "Bob", "Cy"):
        add_user(stack, name, type=UserType.APP_USER)

    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("only from permission groups"))
    assert len(warnings) == 1
    assert "Users/Ada" in str(warnings[0].entry.data)


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"name": " "}, "FinSpacePermissionGroup Users/G: name must contain a non-blank character"),
        ({"description": ""}, "FinSpacePermissionGroup Users/G: description is shorter than 1 characters"),
        ({"application_permissions": ["Fly"]}, "'Fly' is not a valid ApplicationPermission"),
    ],
)
def test_fails_if_a_group_value_breaks_the_limits(props: dict[str, Any], expected: str) -> None:
    base: dict[str, Any] = {"environment_id": "env1", "name": "g", "application_permissions": []}

    with pytest.raises(ValueError) as exc:  # noqa: PT011 - the message is checked below
        FinSpacePermissionGroup(new_stack(), "G", **{**base, **props})

    assert expected in str(exc.value)


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("Eve <eve@example.com>", "email_address is not a valid email address"),  # the pattern, matched whole
        ("eve@example.com, mallory@example.com", "email_address is not a valid email address"),
        ("ada@example.com ", "email_address has a blank (space, tab, line break) at its start or end: remove it"),
        (" ada@example.com", "email_address has a blank (space, tab, line break) at its start or end: remove it"),
    ],
)
def test_an_email_address_that_is_not_exactly_an_email_is_refused_at_synthesis(email: str, expected: str) -> None:
    with pytest.raises(ValueError) as exc:  # noqa: PT011 - the message is checked below
        add_user(new_stack(), email_address=email)

    assert f"FinSpaceUser Users/Ada: {expected}" in str(exc.value)
    assert "eve@" not in str(exc.value)
    assert "ada@" not in str(exc.value)


def test_email_duplicates_are_found_by_what_the_users_app_ids_use() -> None:
    stack = new_stack()
    add_user(stack, "Ada", email_address="Ada@Example.com")

    with pytest.raises(ValueError, match="the same email_address is already declared by Users/Ada"):
        add_user(stack, "Again", email_address="ada@example.COM")
    assert email_key("Ada@Example.com") == email_key("ada@example.COM")
    assert user_id_of("env1", "Ada@Example.com") == user_id_of("env1", "ada@example.COM")
    assert bucket_of("Ada@Example.com") == bucket_of("ada@example.COM")
