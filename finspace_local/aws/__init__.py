"""AWS APIs the CloudFormation driver serves to the functions it invokes, as AWS serves them.

:class:`~finspace_local.aws.endpoint.AwsEndpoint` is one HTTPS server on loopback answering
several services at one URL, told apart by the service named in each request's SigV4 credential
scope: :class:`~finspace_local.aws.cloudformation.CloudFormationApi` (query protocol, read-only:
DescribeStacks, ListStackResources) and :class:`~finspace_local.aws.ssm.SsmApi` (awsJson1.1:
PutParameter, GetParameter, DeleteParameter). A function reaches them with botocore's standard
per-service overrides (``AWS_ENDPOINT_URL_CLOUDFORMATION``, ``AWS_ENDPOINT_URL_SSM``).
"""

from .cloudformation import CloudFormationApi, ResourceRow, StackView
from .endpoint import AwsEndpoint, AwsError
from .parameters import ParameterStore
from .ssm import SsmApi

__all__ = ["AwsEndpoint", "AwsError", "CloudFormationApi", "ParameterStore", "ResourceRow", "SsmApi", "StackView"]
