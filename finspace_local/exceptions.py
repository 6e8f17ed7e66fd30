"""API errors as the FinSpace Data API sends them: each knows its code and HTTP status.

The status of a modelled error comes from the carried model (``error.httpStatusCode`` of the
error shape), so it is never copied by hand; an error AWS answers before the API sees the request
(a signature, :mod:`finspace_local.sigv4`) is in no model and carries its own.
"""

from __future__ import annotations

import json

from lambda_handler.api_model import service_model_dict

__all__ = ["ApiError", "access_denied", "conflict", "not_found", "validation_error"]


class ApiError(Exception):
    """An error answer: ``x-amzn-ErrorType: <code>`` and ``{"message": ...}``."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        """``status``: for a code the model does not list (required then)."""
        super().__init__(message)
        self.code = code
        self.message = message
        self._status = status

    @property
    def status(self) -> int:
        if self._status is not None:
            return self._status
        shape = service_model_dict()["shapes"][self.code]
        status: int = shape["error"]["httpStatusCode"]
        return status

    def body(self) -> bytes:
        return json.dumps({"message": self.message}).encode()


def validation_error(message: str) -> ApiError:
    return ApiError("ValidationException", message)


def access_denied(message: str) -> ApiError:
    return ApiError("AccessDeniedException", message)


def conflict(message: str) -> ApiError:
    return ApiError("ConflictException", message)


def not_found(kind: str, identifier: str) -> ApiError:
    return ApiError("ResourceNotFoundException", f"{kind} {identifier} does not exist")
