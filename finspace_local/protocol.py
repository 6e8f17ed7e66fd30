"""The rest-json wire protocol of the carried model: routes, request parsing, answers.

Routes are compiled from each operation's ``http.requestUri``; members are read
from the URI, the query string, headers or the JSON body as the model's
``location`` says. Nothing here knows an operation by name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote

from botocore.model import OperationModel, ServiceModel, Shape

from lambda_handler.api_model import service_model_dict

from .exceptions import ApiError, validation_error

__all__ = ["Answer", "Route", "find_route", "parse_input", "read_only_operations", "render_output", "service_model"]

_LABEL = re.compile(r"\{(\w+)(\+?)\}")


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    operation: OperationModel


@dataclass
class Answer:
    """What an operation returns: an HTTP status, headers and a JSON body."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)

    def encoded(self) -> bytes:
        return json.dumps(self.body).encode()


@cache
def service_model() -> ServiceModel:
    return ServiceModel(service_model_dict(), service_name="finspace-data")


@cache
def _routes() -> tuple[Route, ...]:
    model = service_model()
    routes = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        uri = operation.http["requestUri"].split("?")[0]
        regex = _LABEL.sub(lambda m: f"(?P<{m[1]}>{'.+' if m[2] else '[^/]+'})", uri)
        routes.append(Route(operation.http["method"], re.compile(f"{regex}/?"), operation))
    return tuple(routes)


@cache
def read_only_operations() -> frozenset[str]:
    """Operations that change nothing: the model's GET routes."""
    model = service_model()
    return frozenset(n for n in model.operation_names if model.operation_model(n).http["method"] == "GET")


def find_route(method: str, path: str) -> tuple[OperationModel, dict[str, str]] | None:
    """The operation serving ``method path`` and its URI labels, or ``None``."""
    for route in _routes():
        match = route.pattern.fullmatch(path)
        if match and route.method == method:
            return route.operation, {k: unquote(v) for k, v in match.groupdict().items()}
    return None


def parse_input(
    operation: OperationModel, labels: dict[str, str], query: str, headers: dict[str, str], body: bytes
) -> dict[str, Any]:
    """Collect the operation's input members from every location of the request."""
    shape = operation.input_shape
    if shape is None:
        return {}
    try:
        params: dict[str, Any] = json.loads(body) if body.strip() else {}
    except ValueError as exc:
        raise ApiError("ValidationException", "The request body is not valid JSON") from exc
    if not isinstance(params, dict):
        raise validation_error("The request body must be a JSON object")
    query_values = parse_qs(query, keep_blank_values=True)
    lowered_headers = {k.lower(): v for k, v in headers.items()}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location == "uri" and wire_name in labels:
            params[name] = labels[wire_name]
        elif location == "querystring" and wire_name in query_values:
            params[name] = _from_text(member, query_values[wire_name], name)
        elif location == "header" and wire_name.lower() in lowered_headers:
            params[name] = _from_text(member, [lowered_headers[wire_name.lower()]], name)
    return params


def _from_text(shape: Shape, values: list[str], name: str) -> Any:
    if shape.type_name == "list":
        return values
    text = values[-1]
    if shape.type_name in ("integer", "long"):
        try:
            return int(text)
        except ValueError as exc:
            raise validation_error(f"Value at '{name}' failed to satisfy constraint: Member must be a number") from exc
    if shape.type_name == "boolean":
        return text.lower() == "true"
    return text


def render_output(operation: OperationModel, result: dict[str, Any]) -> Answer:
    """Place result members where the output shape says: status code, headers or body."""
    answer = Answer()
    shape = operation.output_shape
    members = shape.members if shape is not None else {}
    for name, value in result.items():
        if value is None or name not in members:
            continue
        location = members[name].serialization.get("location")
        if location == "statusCode":
            answer.status = int(value)
        elif location == "header":
            answer.headers[members[name].serialization.get("name", name)] = str(value)
        else:
            answer.body[name] = value
    return answer
