"""FinSpaceUserProvider: its options, the one-per-stack rule, and the stack-wide checks it runs."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Annotations, Match, Template

from finspace_constructs import (
    ApplicationPermission,
    FinSpacePermissionGroup,
    FinSpaceUser,
    FinSpaceUserProvider,
    UserType,
)


def new_stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "Users", env=cdk.Environment(account="123456789012", region="eu-west-1"))


def add_user(scope: Any, construct_id: str = "Ada", **props: Any) -> FinSpaceUser:
    base: dict[str, Any] = {"environment_id": "env1", "email_address": f"{construct_id.lower()}@example.com",
                            "type": UserType.SUPER_USER}
    return FinSpaceUser(scope, construct_id, **{**base, **props})


def add_group(scope: Any, construct_id: str = "Analysts", environment_id: str = "env1") -> FinSpacePermissionGroup:
    return FinSpacePermissionGroup(scope, construct_id, environment_id=environment_id, name=construct_id,
                                   application_permissions=[ApplicationPermission.ACCESS_NOTEBOOKS])


def test_users_find_a_provider_created_under_any_id_at_any_depth() -> None:
    stack = new_stack()
    provider = FinSpaceUserProvider(cdk.NestedStack(stack, "Deep"), "Anything")

    assert add_user(stack).provider is provider
    assert add_user(cdk.NestedStack(stack, "Team"), "Bob").provider is provider


def test_users_in_a_nested_stack_share_the_parent_provider() -> None:
    stack = new_stack()
    nested = cdk.NestedStack(stack, "Users00")

    user = add_user(nested)

    assert user.provider.node.path == "Users/FinSpaceUserProvider"
    assert add_user(stack, "Bob").provider is user.provider


def test_fails_if_the_stack_has_two_providers_and_none_is_passed() -> None:
    stack = new_stack()
    FinSpaceUserProvider(stack, "First")
    second = FinSpaceUserProvider(stack, "Second")

    with pytest.raises(ValueError, match=r"\(Users/First, Users/Second\): pass provider="):
        add_user(stack)
    assert add_user(stack, "Bob", provider=second).provider is second
    warnings = Annotations.from_stack(stack).find_warning("/Users/Second", Match.string_like_regexp("second"))
    assert len(warnings) == 1


def test_fails_if_options_are_given_for_an_existing_provider() -> None:
    stack = new_stack()
    FinSpaceUserProvider.of(stack, reserved_concurrency=5)

    with pytest.raises(ValueError, match=r"exists at Users/FinSpaceUserProvider; give its options \(reserved_conc"):
        FinSpaceUserProvider.of(stack, reserved_concurrency=6)


def test_network_logs_and_name_options_reach_the_template() -> None:
    stack = new_stack()
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    group = ec2.SecurityGroup(stack, "Egress", vpc=vpc)
    key = kms.Key(stack, "LogKey")
    private = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    FinSpaceUserProvider.of(stack, vpc=vpc, vpc_subnets=private, security_groups=[group],
                            function_name="finspace-users", log_retention=logs.RetentionDays.ONE_YEAR,
                            log_removal_policy=cdk.RemovalPolicy.DESTROY,
                            log_encryption_key=key)

    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::Lambda::Function", {
        "FunctionName": "finspace-users",
        "VpcConfig": {"SecurityGroupIds": [{"Fn::GetAtt": [Match.string_like_regexp("Egress"), "GroupId"]}],
                      "SubnetIds": Match.any_value()}})
    template.has_resource("AWS::Logs::LogGroup", {
        "Properties": {"RetentionInDays": 365, "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("LogKey"), "Arn"]}},
        "DeletionPolicy": "Delete"})
    template.has_resource_properties("AWS::KMS::Key", {"KeyPolicy": {"Statement": Match.array_with([
        Match.object_like({"Principal": {"Service": "logs.eu-west-1.amazonaws.com"}})])}})


def test_logs_are_kept_three_months_and_retained_by_default() -> None:
    stack = new_stack()
    FinSpaceUserProvider.of(stack)

    Template.from_stack(stack).has_resource("AWS::Logs::LogGroup", {
        "Properties": {"RetentionInDays": 90}, "DeletionPolicy": "Retain"})


@pytest.mark.parametrize(("options", "outputs", "exports"), [
    ({}, 2, 1), ({"export_service_token": False}, 2, 0), ({"outputs": False}, 0, 0)])
def test_outputs_and_the_export_can_be_left_out(options: dict[str, Any], outputs: int, exports: int) -> None:
    stack = new_stack()
    FinSpaceUserProvider.of(stack, **options)

    declared = Template.from_stack(stack).to_json().get("Outputs", {})
    assert len(declared) == outputs
    assert sum("Export" in output for output in declared.values()) == exports


def test_fails_if_subnets_or_security_groups_come_without_a_vpc() -> None:
    with pytest.raises(ValueError, match="Users/P: vpc_subnets and security_groups need vpc"):
        FinSpaceUserProvider(new_stack(), "P", vpc_subnets=ec2.SubnetSelection(subnet_group_name="x"))


def test_fails_if_timeouts_are_refused_naming_the_construct_path() -> None:
    with pytest.raises(ValueError, match="Users/P: service_timeout must exceed timeout"):
        FinSpaceUserProvider(new_stack(), "P", service_timeout=cdk.Duration.minutes(1))


def test_fails_if_two_users_of_a_stack_share_an_email() -> None:
    stack = new_stack()
    add_user(stack, "Ada", email_address="ada@example.com")

    with pytest.raises(ValueError) as exc:  # noqa: PT011 - the message is checked below
        add_user(cdk.NestedStack(stack, "Team"), "Again", email_address="ADA@example.com")

    message = str(exc.value)
    assert "Users/Team/Again: the same email_address is already declared by Users/Ada in environment env1" in message
    assert "ada@" not in message.lower()


def test_the_same_email_in_two_environments_is_two_users() -> None:
    stack = new_stack()
    add_user(stack, "Ada", email_address="ada@example.com")

    add_user(stack, "AdaElsewhere", email_address="ada@example.com", environment_id="env2")


def test_fails_if_a_user_gets_a_group_of_another_environment() -> None:
    stack = new_stack()
    group = add_group(stack, environment_id="env2")

    with pytest.raises(ValueError, match="Users/Ada: permission group Users/Analysts belongs to environment env2, "
                                         "not env1"):
        add_user(stack, permission_groups=[group])


def test_the_burst_and_the_queue_are_bounded_by_default() -> None:
    stack = new_stack()
    add_user(stack)

    template = Template.from_stack(stack)

    template.has_resource_properties("AWS::Lambda::Function", {"ReservedConcurrentExecutions": 10, "Timeout": 300})
    # A queued event is dropped once a run could no longer answer within the ServiceTimeout.
    template.has_resource_properties("AWS::Lambda::EventInvokeConfig", {"MaximumEventAgeInSeconds": 3300})
    template.has_resource_properties("Custom::FinSpaceUser", {"ServiceTimeout": "3600"})


def test_sizing_props_reach_the_function_and_every_user() -> None:
    stack = new_stack()
    provider = FinSpaceUserProvider(stack, "P", reserved_concurrency=None, timeout=cdk.Duration.minutes(15),
                                    service_timeout=cdk.Duration.hours(1))
    add_user(stack, provider=provider)

    template = Template.from_stack(stack)

    function = template.find_resources("AWS::Lambda::Function")
    (properties,) = [f["Properties"] for f in function.values()]
    assert "ReservedConcurrentExecutions" not in properties
    assert properties["Timeout"] == 900
    template.has_resource_properties("AWS::Lambda::EventInvokeConfig", {"MaximumEventAgeInSeconds": 2700})
    template.has_resource_properties("Custom::FinSpaceUser", {"ServiceTimeout": "3600"})


def test_fails_if_reserved_concurrency_is_below_one() -> None:
    with pytest.raises(ValueError, match="reserved_concurrency must be at least 1"):
        FinSpaceUserProvider(new_stack(), "P", reserved_concurrency=0)
