"""The Lambda that serves ``Custom::FinSpaceUser``: one per stack, shared by every user in it."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import aws_cdk
from aws_cdk import ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from .bundling import HANDLER, handler_code
from .handler_shared import (
    ALLOWED_STACKS_VARIABLE,
    PROVIDER_ROLE_VARIABLE,
    RECORDS_PATH,
    RECORDS_PATH_VARIABLE,
    REENABLE_VARIABLE,
    STACK_PATTERN,
)
from .tokens import is_token

__all__ = ["FinSpaceUserProvider"]

PROVIDER_ID = "FinSpaceUserProvider"
# Each call is retried (capped backoff, full jitter) while the invocation has time left, so the
# timeout is the patience of one request under throttling.
FUNCTION_TIMEOUT = Duration.minutes(5)
# CloudFormation invokes the function asynchronously; events beyond the reserved concurrency wait in
# Lambda's queue (retried for up to 6 hours, 1 s to 5 min apart) instead of failing. 10 containers ask
# FinSpace for more than its observed burst, so the function is never the bottleneck, while the burst
# (and one credentials exchange per container) stays bounded at its source.
RESERVED_CONCURRENCY = 10
# CloudFormation's wait for one answer, queueing in Lambda included (README: Sizing).
SERVICE_TIMEOUT = Duration.minutes(60)  # CloudFormation's maximum: room for Lambda's queue (README: Sizing)
MIN_EVENT_AGE_S = 60  # Lambda's lower bound for MaximumEventAgeInSeconds (ServiceTimeout - timeout)
LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
# Logs are audit evidence of who was created or disabled: they outlive the stack unless asked otherwise.
LOG_REMOVAL_POLICY = RemovalPolicy.RETAIN
CREDENTIALS_ACTION = "finspace-api:GetProgrammaticAccessCredentials"
# Read-only: a Delete learns whether its stack is rolling back or renamed a resource (README: Security).
STACK_READ_ACTIONS = ["cloudformation:DescribeStacks", "cloudformation:ListStackResources"]
# The prior state of adopted users and groups, which a rollback restores (README: Security).
RECORDS_ACTIONS = ["ssm:PutParameter", "ssm:GetParameter", "ssm:DeleteParameter"]

# Every provider, by the top-level stack it belongs to (nested stacks included): how `of` finds the
# stack's provider whatever its id or depth, and notices a second one.
_PROVIDERS: weakref.WeakKeyDictionary[Stack, list[FinSpaceUserProvider]] = weakref.WeakKeyDictionary()


class FinSpaceUserProvider(Construct):
    """The provider Lambda (Python 3.13, crhelper bundled, the ``finspace-data`` model carried).

    Usually not created by hand: :meth:`of` finds the stack's provider (created under any id, at any
    depth, in the stack or one of its nested stacks) or creates it at the top-level stack's root
    with the id ``FinSpaceUserProvider``; every :class:`~finspace_constructs.FinSpaceUser` and
    :class:`~finspace_constructs.FinSpacePermissionGroup` not given a ``provider`` shares it.

    :param role: an existing role for the function; it is given the same statements as the new role
        would have (an imported, immutable role must already have them).
        :default: - a new role that may only call ``finspace-api:GetProgrammaticAccessCredentials``
        on this account's and region's credentials ARN, read CloudFormation stacks (``DescribeStacks``,
        ``ListStackResources``), keep adoption records under the SSM path ``/finspace-user-provider/adopted``
        and write the function's own log group (plus the network interface permissions Lambda needs when
        ``vpc`` is given).
    :param allowed_stacks: the stacks that may use this provider: names, ``*`` standing for any
        characters; each also allows its nested stacks (``NAME-*``). A request from any other stack is
        refused before any FinSpace call, and the role may read only these stacks.
        :default: - this provider's own top-level stack (and its nested stacks)
    :param reenable_requires_adopt: whether re-enabling a DISABLED user (one disabled outside the stacks,
        or by a removal) takes ``AdoptExisting: true`` on its declaration.
        :default: False
    :param reserved_concurrency: the most containers calling FinSpace at once; ``None`` reserves
        nothing (for accounts without unreserved concurrency to spare).
        :default: 10
    :param timeout: how long one request may keep retrying a throttled FinSpace before it answers FAILED.
        :default: 5 minutes
    :param service_timeout: how long CloudFormation waits for each resource's answer, time queued in
        Lambda included; must exceed ``timeout``.
        :default: 60 minutes
    :param vpc: the VPC to run the function in. It must reach the FinSpace API and CloudFormation's
        S3 ResponseURL (a NAT gateway, or VPC endpoints).
        :default: - no VPC (Lambda's own network)
    :param vpc_subnets: where in ``vpc`` to place the function; only with ``vpc``.
        :default: - the VPC's private subnets
    :param security_groups: the function's security groups; only with ``vpc``.
        :default: - a new group allowing all outbound traffic
    :param function_name: the function's name.
        :default: - a name CloudFormation generates
    :param log_retention: how long the function's log group keeps its events.
        :default: three months
    :param log_removal_policy: what happens to the log group when it leaves the stack.
        :default: ``RemovalPolicy.RETAIN``
    :param log_encryption_key: a KMS key for the log group. A key created in this stack is granted to
        CloudWatch Logs here; an imported key's policy must already allow ``logs.<region>.amazonaws.com``.
        :default: - CloudWatch Logs' own encryption
    :param outputs: whether to add the stack outputs ``ServiceToken`` and ``RoleArn``.
        :default: True
    :param export_service_token: whether to export the ``ServiceToken`` output (for plain
        CloudFormation templates' ``!ImportValue``); only with ``outputs``.
        :default: True
    :param export_name: the export name of the service token.
        :default: - ``<stack name>-FinSpaceUserServiceToken``
    """

    def __init__(self, scope: Construct, construct_id: str, *, role: iam.IRole | None = None,
                 reserved_concurrency: int | None = RESERVED_CONCURRENCY,
                 timeout: Duration = FUNCTION_TIMEOUT, service_timeout: Duration = SERVICE_TIMEOUT,
                 vpc: ec2.IVpc | None = None, vpc_subnets: ec2.SubnetSelection | None = None,
                 security_groups: Sequence[ec2.ISecurityGroup] | None = None, function_name: str | None = None,
                 log_retention: logs.RetentionDays = LOG_RETENTION,
                 log_removal_policy: RemovalPolicy = LOG_REMOVAL_POLICY, log_encryption_key: kms.IKey | None = None,
                 outputs: bool = True, export_service_token: bool = True, export_name: str | None = None,
                 reenable_requires_adopt: bool = False, allowed_stacks: Sequence[str] | None = None) -> None:
        super().__init__(scope, construct_id)
        _check_timeouts(self, timeout, service_timeout, reserved_concurrency)
        _check_network(self, vpc, vpc_subnets, security_groups)
        self.service_timeout = service_timeout
        self._users: dict[tuple[str, str], Construct] = {}
        stack = Stack.of(self)
        self.allowed_stacks = _allowed_stacks(self, allowed_stacks, _top_level_stack(stack))
        _register(self, stack)
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention, removal_policy=log_removal_policy,
                                       encryption_key=log_encryption_key)
        if isinstance(log_encryption_key, kms.Key):
            log_encryption_key.grant_encrypt_decrypt(iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com"))
        self.role = role or self._new_role(stack)
        _acknowledge_wildcards(self.role, self.allowed_stacks)
        if role is not None:
            for statement in _safeguard_statements(stack, self.allowed_stacks):
                role.add_to_principal_policy(statement)
        self.function = lambda_.Function(
            self, "Function",
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler=HANDLER,
            code=handler_code(),
            role=self.role,
            timeout=timeout,
            reserved_concurrent_executions=reserved_concurrency,
            # Lambda keeps queued asynchronous events for up to 6 hours and drops one only when it is
            # older than this as it leaves the queue; it then runs for up to `timeout`. Dropping it
            # earlier than ServiceTimeout - timeout means no Create runs after CloudFormation stopped
            # waiting, which would make a user no stack owns.
            max_event_age=Duration.seconds(service_timeout.to_seconds() - timeout.to_seconds()),
            memory_size=256,
            log_group=self.log_group,
            function_name=function_name,
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=list(security_groups) if security_groups is not None else None,
            description="Serves Custom::FinSpaceUser (FinSpace Data API users as code)",
            environment={PROVIDER_ROLE_VARIABLE: self.role.role_arn, RECORDS_PATH_VARIABLE: RECORDS_PATH,
                         REENABLE_VARIABLE: "true" if reenable_requires_adopt else "false",
                         ALLOWED_STACKS_VARIABLE: ",".join(self.allowed_stacks)},
        )
        _acknowledge_runtime(self.function)
        if outputs:
            self._add_outputs(stack, export_name if export_service_token else None, export_service_token)

    @property
    def service_token(self) -> str:
        """The function's ARN, the ServiceToken of every ``Custom::FinSpaceUser``.

        Read from jsii once and kept: every user asks for it, and each read is a round trip to Node."""
        token: str | None = vars(self).get("_service_token")
        if token is None:
            token = vars(self)["_service_token"] = self.function.function_arn
        return token

    @classmethod
    def of(cls, scope: Construct, **options: Any) -> FinSpaceUserProvider:
        """The provider of ``scope``'s top-level stack (nested stacks share their parent's), created on
        first use with ``options`` (the constructor's keyword arguments).

        Fails if the stack has several providers (pass ``provider=`` to choose), or if ``options`` are
        given for a provider that already exists (they belong where it is created)."""
        root = _top_level_stack(Stack.of(scope))
        existing = _PROVIDERS.get(root, [])
        if len(existing) > 1:
            paths = ", ".join(p.node.path for p in existing)
            raise ValueError(f"stack {root.node.path} has several FinSpaceUserProviders ({paths}): pass provider= "
                             f"to each FinSpaceUser and FinSpacePermissionGroup under {scope.node.path}")
        if existing and options:
            raise ValueError(f"{scope.node.path}: the stack's FinSpaceUserProvider already exists at "
                             f"{existing[0].node.path}; give its options ({', '.join(sorted(options))}) there")
        return existing[0] if existing else cls(root, PROVIDER_ID, **options)

    def check_user(self, user: Construct, environment_id: str, email_address: str,
                   permission_groups: Sequence[Any]) -> None:
        """Fail at synthesis on a user declared twice in this provider's stack (same environment and
        email, compared by ``email_key`` as the users file and the handler compare them) or given a group
        of another environment. Tokens are left to deploy time; the message names construct paths, never
        the email."""
        from .handler_shared import email_key  # the one definition of an email's identity, the handler's

        if is_token(environment_id):
            return
        for group in permission_groups:
            group_environment = getattr(group, "environment_id", None)
            if isinstance(group_environment, str) and not is_token(group_environment) \
                    and group_environment != environment_id:
                raise ValueError(f"{user.node.path}: permission group {group.node.path} belongs to environment "
                                 f"{group_environment}, not {environment_id}; give the user its own environment's "
                                 "groups")
        if is_token(email_address):
            return
        first = self._users.setdefault((environment_id, email_key(email_address)), user)
        if first is not user:
            raise ValueError(f"{user.node.path}: the same email_address is already declared by {first.node.path} in "
                             f"environment {environment_id}; declare each FinSpace user once per stack")

    def _add_outputs(self, stack: Stack, export_name: str | None, export: bool) -> None:
        CfnOutput(self, "ServiceToken", value=self.service_token,
                  export_name=(export_name or f"{stack.stack_name}-FinSpaceUserServiceToken") if export else None,
                  description="ServiceToken for Custom::FinSpaceUser resources in plain CloudFormation templates")
        CfnOutput(self, "RoleArn", value=self.role.role_arn,
                  description="One-time step: register this role as apiAccessPrincipalArn of a FinSpace user "
                              "with ApiAccess ENABLED that may manage users (README: Bootstrap)")

    def _new_role(self, stack: Stack) -> iam.Role:
        credentials_arn = stack.format_arn(service="finspace-api", resource="/credentials/programmatic",
                                           arn_format=ArnFormat.NO_RESOURCE_NAME)
        return iam.Role(
            self, "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="FinSpace user provider: programmatic access credentials and its own logs only",
            inline_policies={"FinSpaceUserProvider": iam.PolicyDocument(statements=[
                iam.PolicyStatement(actions=[CREDENTIALS_ACTION], resources=[credentials_arn]),
                iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                                    resources=[self.log_group.log_group_arn]),
                *_safeguard_statements(stack, self.allowed_stacks),
            ])},
        )


def _allowed_stacks(provider: Construct, given: Sequence[str] | None, root: Stack) -> list[str]:
    """The allow-list, checked at synthesis: stack names with ``*`` wildcards (tokens left to deploy time)."""
    patterns = list(given) if given is not None else [root.stack_name]
    if not patterns:
        raise ValueError(f"{provider.node.path}: allowed_stacks is empty, so no stack could use the provider; name "
                         "at least one stack (\"*\" allows every stack of the account and region)")
    for pattern in patterns:
        if not is_token(pattern) and not STACK_PATTERN.fullmatch(pattern):
            raise ValueError(f"{provider.node.path}: allowed_stacks entry {pattern!r} is not a stack name pattern: use "
                             "letters, digits, hyphens and * (for any characters), starting with a letter or *")
    return patterns


def _stack_arns(stack: Stack, patterns: Sequence[str]) -> list[str]:
    """Each allowed stack and its nested stacks (``NAME-*``), as IAM resources."""
    return [stack.format_arn(service="cloudformation", resource="stack", resource_name=f"{name}/*")
            for pattern in patterns for name in dict.fromkeys((pattern, f"{pattern}-*"))]


def _safeguard_statements(stack: Stack, patterns: Sequence[str]) -> list[iam.PolicyStatement]:
    """Reading the stacks it serves, and its adoption records (docs/DESIGN.md, "Do no harm")."""
    records = stack.format_arn(service="ssm", resource="parameter", resource_name=f"{RECORDS_PATH.strip('/')}/*")
    return [iam.PolicyStatement(actions=STACK_READ_ACTIONS, resources=_stack_arns(stack, patterns)),
            iam.PolicyStatement(actions=RECORDS_ACTIONS, resources=[records])]


def _top_level_stack(stack: Stack) -> Stack:
    while stack.nested_stack_parent is not None:
        stack = stack.nested_stack_parent
    return stack


def _register(provider: FinSpaceUserProvider, stack: Stack) -> None:
    """Remember ``provider`` under its top-level stack; a second one there is legal but gets a warning."""
    providers = _PROVIDERS.setdefault(_top_level_stack(stack), [])
    if providers:
        aws_cdk.Annotations.of(provider).add_warning_v2(
            "finspace:secondProvider",
            f"a second FinSpaceUserProvider in this stack (the first is {providers[0].node.path}): every "
            "FinSpaceUser and FinSpacePermissionGroup in it must now be given provider=",
        )
    providers.append(provider)


def _acknowledge_runtime(function: lambda_.Function) -> None:
    """cdk-nag's AwsSolutions-L1 asks for the newest runtime; the handler moves only with a tested release."""
    if not hasattr(aws_cdk, "Acknowledgment"):  # aws-cdk-lib before policy-validation acknowledgments
        return
    aws_cdk.Validations.of(function).acknowledge(aws_cdk.Acknowledgment(
        id="AwsSolutions::AwsSolutions-L1",
        reason="Python 3.13 is the runtime the handler is built and tested for; move with a tested release",
    ))


def _acknowledge_wildcards(role: iam.IRole, patterns: Sequence[str]) -> None:
    """cdk-nag's AwsSolutions-IAM5: the wildcards are as narrow as the handler's needs allow."""
    if not hasattr(aws_cdk, "Acknowledgment"):
        return
    prefix = "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>"
    stacks = [(f":cloudformation:<AWS::Region>:<AWS::AccountId>:stack/{name}/*",
               "read-only DescribeStacks/ListStackResources of the allowed stacks; a stack's id ends in a UUID")
              for pattern in patterns if not is_token(pattern) for name in dict.fromkeys((pattern, f"{pattern}-*"))]
    for resource, reason in (
        *stacks,
        (f":ssm:<AWS::Region>:<AWS::AccountId>:parameter{RECORDS_PATH}/*",
         "the provider's own adoption records, one parameter per adopted object, named at run time"),
    ):
        aws_cdk.Validations.of(role).acknowledge(aws_cdk.Acknowledgment(id=f"{prefix}{resource}]", reason=reason))


def _check_timeouts(provider: Construct, timeout: Duration, service_timeout: Duration,
                    reserved_concurrency: int | None) -> None:
    """Fail at synthesis on settings CloudFormation or Lambda would refuse, or that lose answers."""
    function_s, service_s = timeout.to_seconds(), service_timeout.to_seconds()
    if not 1 <= function_s <= 900:
        raise ValueError(f"{provider.node.path}: timeout must be 1 s to 15 min (got {function_s:g} s)")
    if not function_s + MIN_EVENT_AGE_S <= service_s <= 3600:
        raise ValueError(f"{provider.node.path}: service_timeout must exceed timeout ({function_s:g} s) by at least "
                         f"{MIN_EVENT_AGE_S} s and be at most 3600 s (got {service_s:g} s)")
    if reserved_concurrency is not None and reserved_concurrency < 1:
        raise ValueError(f"{provider.node.path}: reserved_concurrency must be at least 1, or None to reserve "
                         f"nothing (got {reserved_concurrency})")


def _check_network(provider: Construct, vpc: ec2.IVpc | None, vpc_subnets: ec2.SubnetSelection | None,
                   security_groups: Sequence[ec2.ISecurityGroup] | None) -> None:
    if vpc is None and (vpc_subnets is not None or security_groups):
        raise ValueError(f"{provider.node.path}: vpc_subnets and security_groups need vpc; pass the VPC too")
