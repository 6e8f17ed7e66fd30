"""A local CloudFormation for ``Custom::`` resources: templates in, real events out.

:class:`~finspace_local.cfn.engine.Driver` runs create-stack, update-stack and
delete-stack as CloudFormation does (dependency order, parallel branches,
replacement and cleanup, rollback), invoking a real handler in Lambda-like worker
processes and receiving each answer on an HTTPS ResponseURL served on loopback. Templates beyond
CloudFormation's quotas are refused with its messages (:class:`TemplateValidationError`).
"""

from .engine import Driver
from .errors import StackStateError, TemplateValidationError, ValidationError
from .lambda_runtime import HandlerSpec, LambdaFunction
from .run import StackEvent, StackResult

__all__ = ["Driver", "HandlerSpec", "LambdaFunction", "StackEvent", "StackResult", "StackStateError",
           "TemplateValidationError", "ValidationError"]
