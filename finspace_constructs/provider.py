"""The Lambda that serves ``Custom::FinSpaceUser``: one per stack, shared by every user in it."""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, ArnFormat, CfnOutput, Duration, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from .bundling import HANDLER, handler_code

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
SERVICE_TIMEOUT = Duration.minutes(30)
LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
CREDENTIALS_ACTION = "finspace-api:GetProgrammaticAccessCredentials"


class FinSpaceUserProvider(Construct):
    """The provider Lambda (Python 3.13, crhelper bundled, the ``finspace-data`` model carried).

    Usually not created by hand: :meth:`of` finds the stack's provider or creates it
    at the stack's root with the id ``FinSpaceUserProvider``, and every
    :class:`~finspace_constructs.FinSpaceUser` in the stack shares it.

    :param role: an existing role for the function. Default: - a new role that may only
        call ``finspace-api:GetProgrammaticAccessCredentials`` on this account's and
        region's credentials ARN and write the function's own log group.
    :param export_name: the export name of the service token, for plain CloudFormation
        templates (``!ImportValue``). Default: - ``<stack name>-FinSpaceUserServiceToken``.
    :param reserved_concurrency: the function's reserved concurrency: the most containers calling
        FinSpace at once. ``None`` reserves nothing (for accounts without unreserved concurrency to
        spare). Default: 10.
    :param timeout: the function's timeout: how long one request may keep retrying a throttled
        FinSpace before it answers FAILED. Default: 5 minutes.
    :param service_timeout: how long CloudFormation waits for each resource's answer, time queued in
        Lambda included; must exceed ``timeout``. Default: 30 minutes.
    """

    def __init__(self, scope: Construct, construct_id: str, *, role: iam.IRole | None = None,
                 export_name: str | None = None, reserved_concurrency: int | None = RESERVED_CONCURRENCY,
                 timeout: Duration = FUNCTION_TIMEOUT, service_timeout: Duration = SERVICE_TIMEOUT) -> None:
        super().__init__(scope, construct_id)
        _check_timeouts(timeout, service_timeout, reserved_concurrency)
        self.service_timeout = service_timeout
        stack = Stack.of(self)
        self.log_group = logs.LogGroup(self, "Logs", retention=LOG_RETENTION)
        self.role = role or self._new_role(stack)
        self.function = lambda_.Function(
            self, "Function",
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler=HANDLER,
            code=handler_code(),
            role=self.role,
            timeout=timeout,
            reserved_concurrent_executions=reserved_concurrency,
            memory_size=256,
            log_group=self.log_group,
            description="Serves Custom::FinSpaceUser (FinSpace Data API users as code)",
        )
        Validations.of(self.function).acknowledge(Acknowledgment(
            id="AwsSolutions::AwsSolutions-L1",
            reason="Python 3.13 is the runtime the handler is built and tested for; move with a tested release",
        ))
        CfnOutput(self, "ServiceToken", value=self.service_token,
                  export_name=export_name or f"{stack.stack_name}-FinSpaceUserServiceToken",
                  description="ServiceToken for Custom::FinSpaceUser resources in plain CloudFormation templates")
        CfnOutput(self, "RoleArn", value=self.role.role_arn,
                  description="One-time step: register this role as apiAccessPrincipalArn of a FinSpace user "
                              "with ApiAccess ENABLED that may manage users (README: Bootstrap)")

    @property
    def service_token(self) -> str:
        """The function's ARN, the ServiceToken of every ``Custom::FinSpaceUser``."""
        return self.function.function_arn

    @classmethod
    def of(cls, scope: Construct, **options: Any) -> FinSpaceUserProvider:
        """The stack's shared provider, created on first use with ``options`` (the constructor's
        keyword arguments)."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(PROVIDER_ID)
        if isinstance(existing, FinSpaceUserProvider):
            return existing
        return cls(stack, PROVIDER_ID, **options)

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
            ])},
        )


def _check_timeouts(timeout: Duration, service_timeout: Duration, reserved_concurrency: int | None) -> None:
    """Fail at synthesis on settings CloudFormation or Lambda would refuse, or that lose answers."""
    function_s, service_s = timeout.to_seconds(), service_timeout.to_seconds()
    if not 1 <= function_s <= 900:
        raise ValueError(f"FinSpaceUserProvider timeout must be 1 s to 15 min (got {function_s:g} s)")
    if not function_s < service_s <= 3600:
        raise ValueError(f"FinSpaceUserProvider service_timeout must exceed timeout ({function_s:g} s) and be at "
                         f"most 3600 s (got {service_s:g} s)")
    if reserved_concurrency is not None and reserved_concurrency < 1:
        raise ValueError(f"FinSpaceUserProvider reserved_concurrency must be at least 1, or None to reserve "
                         f"nothing (got {reserved_concurrency})")
