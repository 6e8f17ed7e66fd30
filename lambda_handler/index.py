"""Lambda entry point (``lambda_handler.index.handler``): crhelper wiring and nothing else.

crhelper pitfalls handled here (see docs/FACTS.md): its PhysicalResourceId is reset to
"" on every event, so a placeholder is set before any API call (its timeout path
then answers a valid id); its Delete sleep defaults to 120 s; its DEBUG logging
prints whole events, and its JSON logging stamps every line with the LogicalResourceId
(which an app may make from an email), so the provider formats its own lines
(:mod:`lambda_handler.logs`); it needs ``ssl_verify`` for a private CA.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # loaded as top-level "index" from inside lambda_handler/
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crhelper import CfnResource

from lambda_handler.aws_clients import LazyClient
from lambda_handler.client import shared_session
from lambda_handler.credentials import ProgrammaticCredentials
from lambda_handler.deadline import Deadline
from lambda_handler.directory import UserDirectory
from lambda_handler.errors import ProviderError
from lambda_handler.event_age import waited_for
from lambda_handler.ids import RequestIdentity
from lambda_handler.logs import JsonLines, correlate
from lambda_handler.permission_groups import GROUP_FIELDS
from lambda_handler.properties import personal_values_of
from lambda_handler.reasons import render_reason
from lambda_handler.records import AdoptionRecords
from lambda_handler.retries import Persistence
from lambda_handler.safeguards import Safeguards
from lambda_handler.self_access import ProviderRole
from lambda_handler.service import fallback_id, serve
from lambda_handler.stack_view import HolderIndex, StackView

__all__ = ["handler", "helper"]

logger = logging.getLogger("lambda_handler")

# 1 s means "no sleep" to crhelper (it sleeps only above 1 s); Lambda flushes logs itself.
SLEEP_ON_DELETE_S = 1

_session = shared_session()  # before CfnResource: its boto3 clients then share this session's loaded data
helper = CfnResource(
    json_logging=False,  # its JSON lines carry the LogicalResourceId; ours (lambda_handler.logs) do not
    log_level="INFO",
    boto_level="ERROR",
    sleep_on_delete=SLEEP_ON_DELETE_S,
    ssl_verify=os.environ.get("AWS_CA_BUNDLE") or None,  # type: ignore[arg-type] # its stubs lag: a path works
)
for _handler in logging.getLogger().handlers:  # Lambda's own handler: JSON from the first line on
    _handler.setFormatter(JsonLines())
_credentials = ProgrammaticCredentials(_session, region_name=os.environ.get("AWS_REGION"))
_directory = UserDirectory()  # email -> userId, kept while the container is warm
_cloudformation = LazyClient(_session, "cloudformation", os.environ.get("AWS_REGION"))
_ssm = LazyClient(_session, "ssm", os.environ.get("AWS_REGION"))
_role = ProviderRole()
_holders = HolderIndex()  # who holds which FinSpace object, per tree of stacks and phase, while warm


class RequestFailedError(Exception):
    """Carries the rendered Reason to crhelper, which answers FAILED with ``str(error)``."""


@helper.create
@helper.update
@helper.delete
def answer(event: dict[str, Any], context: Any) -> str:
    """Serve one request; the returned id is the PhysicalResourceId."""
    helper.PhysicalResourceId = fallback_id(event)  # before any API call: crhelper reset it to ""
    try:
        deadline = Deadline.from_context(context, waited_for(event))  # no work CloudFormation won't wait for
        outcome = serve(event, deadline, _credentials.client_for, _safeguards, on_owned=_own, directory=_directory)
    except Exception as error:  # every failure becomes one clear, personal-data-free Reason
        reason = render_reason(error, event["RequestId"], _personal_values(event))
        if not isinstance(error, ProviderError):  # a bug: name it for the operator, without the message
            logger.error("Unexpected %s at %s", type(error).__name__, _where(error))
        raise RequestFailedError(reason) from None  # crhelper logs and answers this reason
    if outcome is None:
        return str(helper.PhysicalResourceId)
    helper.Data.update(outcome.data)
    return outcome.physical_id


def _safeguards(request: RequestIdentity, persistence: Persistence) -> Safeguards:
    return Safeguards(StackView(_cloudformation, request.stack_id, persistence, _holders),
                      AdoptionRecords(_ssm, persistence), request, _role)


def _own(resource_id: str) -> None:
    """From now on even crhelper's timeout answer names the object, so a rollback reaches it."""
    helper.PhysicalResourceId = resource_id


def _personal_values(event: dict[str, Any]) -> tuple[str, ...]:
    properties = event.get("ResourceProperties", {})
    return personal_values_of(properties) + personal_values_of(properties, GROUP_FIELDS)


def _where(error: BaseException) -> str:
    """file:line of the innermost frame: enough to find the bug, no values."""
    frames = traceback.extract_tb(error.__traceback__)
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "unknown"


def handler(event: dict[str, Any], context: Any) -> None:
    """The Lambda handler."""
    correlate(event, context)
    helper(event, context)
