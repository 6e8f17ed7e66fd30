"""The Lambda that serves ``Custom::FinSpaceUser``: one per stack, shared by every user in it."""

from __future__ import annotations

from aws_cdk import Acknowledgment, ArnFormat, CfnOutput, Duration, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from .bundling import HANDLER, handler_code

__all__ = ["FinSpaceUserProvider"]

PROVIDER_ID = "FinSpaceUserProvider"
FUNCTION_TIMEOUT = Duration.minutes(5)
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
    """

    def __init__(self, scope: Construct, construct_id: str, *, role: iam.IRole | None = None,
                 export_name: str | None = None) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.log_group = logs.LogGroup(self, "Logs", retention=LOG_RETENTION)
        self.role = role or self._new_role(stack)
        self.function = lambda_.Function(
            self, "Function",
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler=HANDLER,
            code=handler_code(),
            role=self.role,
            timeout=FUNCTION_TIMEOUT,
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
    def of(cls, scope: Construct) -> FinSpaceUserProvider:
        """The stack's shared provider, created on first use."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(PROVIDER_ID)
        if isinstance(existing, FinSpaceUserProvider):
            return existing
        return cls(stack, PROVIDER_ID)

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
