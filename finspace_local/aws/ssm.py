"""SSM's Parameter Store over awsJson1.1: PutParameter, GetParameter, DeleteParameter.

Each request is a POST to ``/`` naming its operation in ``X-Amz-Target: AmazonSSM.<Operation>``
with a JSON body; errors are JSON ``{"__type": ..., "message": ...}`` with HTTP 400 (403 for a
signature). The rules live in :mod:`finspace_local.aws.parameters`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from .endpoint import AwsError, Reply
from .parameters import ParameterStore, ParameterVersion

__all__ = ["SsmApi"]

CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "AmazonSSM."
# The JSON protocol's names for what the query protocol calls these.
_JSON_CODES = {"MissingAuthenticationToken": "MissingAuthenticationTokenException",
               "IncompleteSignature": "IncompleteSignatureException",
               "SignatureDoesNotMatch": "InvalidSignatureException",
               "InvalidClientTokenId": "UnrecognizedClientException"}
_REQUIRED = {"PutParameter": ("Name", "Value"), "GetParameter": ("Name",), "DeleteParameter": ("Name",)}


class SsmApi:
    """The awsJson1.1 side of :class:`~finspace_local.aws.endpoint.AwsEndpoint`."""

    signing_name = "ssm"
    endpoint_variable = "AWS_ENDPOINT_URL_SSM"

    def __init__(self, store: ParameterStore) -> None:
        self.store = store
        self._operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "PutParameter": self._put, "GetParameter": self._get, "DeleteParameter": self._delete,
        }

    def claims(self, headers: Mapping[str, str]) -> bool:
        return headers.get("x-amz-target", "").startswith(TARGET_PREFIX)

    def handle(self, headers: Mapping[str, str], body: bytes, request_id: str) -> Reply:
        target = headers.get("x-amz-target", "")
        operation = self._operations.get(target.removeprefix(TARGET_PREFIX)) if self.claims(headers) else None
        try:
            if operation is None:
                raise AwsError("UnknownOperationException", f"Unknown operation {target or '(no X-Amz-Target)'}")
            request = _request(body, target.removeprefix(TARGET_PREFIX))
            answer = operation(request)
        except AwsError as error:
            return self.error(error, request_id)
        return Reply(200, CONTENT_TYPE, json.dumps(answer).encode())

    def error(self, error: AwsError, request_id: str) -> Reply:
        body = {"__type": _JSON_CODES.get(error.code, error.code), "message": error.message}
        return Reply(error.status, CONTENT_TYPE, json.dumps(body).encode())

    # --- operations ----------------------------------------------------------------------
    def _put(self, request: dict[str, Any]) -> dict[str, Any]:
        made = self.store.put(request)
        return {"Version": made.version, "Tier": made.tier}

    def _get(self, request: dict[str, Any]) -> dict[str, Any]:
        found, selector = self.store.get(str(request["Name"]))
        decrypt = bool(request.get("WithDecryption"))
        value = found.value if found.type != "SecureString" or decrypt else _ciphertext(found)
        parameter = {"Name": found.name, "Type": found.type, "Value": value, "Version": found.version,
                     "LastModifiedDate": found.modified_at, "ARN": self.store.arn(found.name),
                     "DataType": found.data_type}
        if selector:
            parameter["Selector"] = selector
        return {"Parameter": parameter}

    def _delete(self, request: dict[str, Any]) -> dict[str, Any]:
        self.store.delete(str(request["Name"]))
        return {}


def _request(body: bytes, operation: str) -> dict[str, Any]:
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        raise AwsError("SerializationException", "Start of structure or map found where not expected.") from None
    if not isinstance(request, dict):
        raise AwsError("SerializationException", "Start of structure or map found where not expected.")
    for member in _REQUIRED[operation]:
        if not isinstance(request.get(member), str):
            field = member[0].lower() + member[1:]
            raise AwsError("ValidationException", f"1 validation error detected: Value null at '{field}' failed to "
                                                  "satisfy constraint: Member must not be null")
    return request


def _ciphertext(version: ParameterVersion) -> str:
    """What GetParameter shows of a SecureString without WithDecryption: a KMS blob, not the value."""
    digest = hashlib.sha256(f"{version.name}:{version.version}:{version.value}".encode()).digest()
    return base64.b64encode(b"\x01\x02\x02\x00x" + digest * 3).decode()
