"""CloudFormation's read API over its query protocol: DescribeStacks and ListStackResources.

Requests are form-encoded POSTs (``Action=...&Version=2010-05-15``); answers are XML in the
2010-05-15 namespace, wrapped in ``<Action>Result`` as botocore's model says, errors an
``<ErrorResponse>`` with HTTP 400. What a stack looks like comes from a :class:`StackSource`
(the driver's live view: statuses as they are at this moment, operations in progress included).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from .endpoint import AwsError, Reply

__all__ = ["CloudFormationApi", "ResourceRow", "StackSource", "StackView"]

NAMESPACE = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
VERSION = "2010-05-15"
PAGE_SIZE = 100  # ListStackResources' page; DescribeStacks' too


@dataclass(frozen=True)
class ResourceRow:
    """One StackResourceSummary."""

    logical_id: str
    type: str
    physical_id: str
    status: str
    updated_at: float
    reason: str = ""


@dataclass(frozen=True)
class StackView:
    """A stack as DescribeStacks and ListStackResources show it at one moment."""

    stack_id: str
    name: str
    status: str
    created_at: float
    updated_at: float = 0.0  # 0: never updated (no LastUpdatedTime)
    deleted_at: float = 0.0
    parent_id: str = ""
    root_id: str = ""
    description: str = ""
    parameters: Mapping[str, str] = field(default_factory=dict)
    outputs: Mapping[str, str] = field(default_factory=dict)
    resources: tuple[ResourceRow, ...] = ()


class StackSource(Protocol):
    def find(self, name_or_id: str) -> StackView | None:
        """A stack by name (not deleted) or by id (deleted ones too), or ``None``."""

    def every(self) -> list[StackView]:
        """Every stack not deleted."""


class CloudFormationApi:
    """The query protocol's side of :class:`~finspace_local.aws.endpoint.AwsEndpoint`."""

    signing_name = "cloudformation"
    endpoint_variable = "AWS_ENDPOINT_URL_CLOUDFORMATION"

    def __init__(self, stacks: StackSource) -> None:
        self._stacks = stacks

    def claims(self, headers: Mapping[str, str]) -> bool:
        return "x-amz-target" not in headers

    def handle(self, headers: Mapping[str, str], body: bytes, request_id: str) -> Reply:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        action = form.get("Action", "")
        try:
            if form.get("Version") != VERSION:
                raise AwsError("InvalidParameterValue" if "Version" in form else "MissingParameter",
                               f"The request must contain the parameter Version={VERSION}")
            if action == "DescribeStacks":
                result = self._describe_stacks(form)
            elif action == "ListStackResources":
                result = self._list_stack_resources(form)
            else:
                raise AwsError("InvalidAction", f"The action {action or '(none)'} is not valid for this web service.")
        except AwsError as error:
            return self.error(error, request_id)
        document = (f'<{action}Response xmlns="{NAMESPACE}">{_xml(f"{action}Result", result)}'
                    f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>")
        return Reply(200, "text/xml", document.encode())

    def error(self, error: AwsError, request_id: str) -> Reply:
        kind = "Receiver" if error.status >= 500 else "Sender"
        document = (f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{kind}</Type>'
                    f"<Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message></Error>"
                    f"<RequestId>{request_id}</RequestId></ErrorResponse>")
        return Reply(error.status, "text/xml", document.encode())

    # --- actions --------------------------------------------------------------------
    def _describe_stacks(self, form: Mapping[str, str]) -> dict[str, Any]:
        name = form.get("StackName", "")
        stacks = [self._stack(name)] if name else sorted(self._stacks.every(), key=lambda s: s.created_at)
        page, token = _page(stacks, form.get("NextToken"), scope=name or "*")
        return {"Stacks": [_stack_member(s) for s in page], "NextToken": token}

    def _list_stack_resources(self, form: Mapping[str, str]) -> dict[str, Any]:
        name = form.get("StackName", "")
        if not name:
            raise AwsError("ValidationError", "1 validation error detected: Value null at 'stackName' failed to "
                                              "satisfy constraint: Member must not be null")
        stack = self._stack(name)
        rows = sorted(stack.resources, key=lambda r: r.logical_id)
        page, token = _page(rows, form.get("NextToken"), scope=stack.stack_id)
        return {"StackResourceSummaries": [_summary(r) for r in page], "NextToken": token}

    def _stack(self, name: str) -> StackView:
        stack = self._stacks.find(name)
        if stack is None:
            raise AwsError("ValidationError", f"Stack with id {name} does not exist")
        return stack


def _page(items: Sequence[Any], token: str | None, *, scope: str) -> tuple[Sequence[Any], str | None]:
    """One page of ``items`` from ``token`` on, and the token of the next page (``None``: last)."""
    start = _offset(token, scope) if token else 0
    end = start + PAGE_SIZE
    following = base64.urlsafe_b64encode(f"{scope}|{end}".encode()).decode() if end < len(items) else None
    return items[start:end], following


def _offset(token: str, scope: str) -> int:
    try:
        token_scope, _, offset = base64.urlsafe_b64decode(token.encode()).decode().rpartition("|")
        if token_scope == scope:
            return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise AwsError("ValidationError", "Invalid NextToken")


def _stack_member(stack: StackView) -> dict[str, Any]:
    return {
        "StackId": stack.stack_id, "StackName": stack.name, "Description": stack.description or None,
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in stack.parameters.items()],
        "CreationTime": _time(stack.created_at),
        "DeletionTime": _time(stack.deleted_at) if stack.deleted_at else None,
        "LastUpdatedTime": _time(stack.updated_at) if stack.updated_at else None,
        "RollbackConfiguration": {}, "StackStatus": stack.status, "DisableRollback": False,
        "NotificationARNs": [], "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in stack.outputs.items()],
        "Tags": [], "EnableTerminationProtection": False,
        "ParentId": stack.parent_id or None, "RootId": stack.root_id or None,
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }


def _summary(row: ResourceRow) -> dict[str, Any]:
    return {
        "LogicalResourceId": row.logical_id, "PhysicalResourceId": row.physical_id or None,
        "ResourceType": row.type, "LastUpdatedTimestamp": _time(row.updated_at), "ResourceStatus": row.status,
        "ResourceStatusReason": row.reason or None,
        "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
    }


def _time(epoch: float) -> str:
    """ISO 8601 with milliseconds, as CloudFormation writes its timestamps."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _xml(name: str, value: Any) -> str:
    """``value`` as the query protocol writes it: structures as elements, lists as ``member``s;
    ``None`` members are left out."""
    if isinstance(value, dict):
        inner = "".join(_xml(key, item) for key, item in value.items() if item is not None)
    elif isinstance(value, list):
        inner = "".join(_xml("member", item) for item in value)
    elif isinstance(value, bool):
        inner = "true" if value else "false"
    else:
        inner = escape(str(value))
    return f"<{name}>{inner}</{name}>"
