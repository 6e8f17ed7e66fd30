"""What an adopted user or group looked like before this stack took it over, kept where a later
Delete finds it (docs/DESIGN.md, "Do no harm").

A rollback must put an adopted object back as it was, but its Delete event carries only the new
declaration. So the Create that adopts (or reclaims) writes the object's prior state to an SSM
SecureString parameter before it changes anything, keyed by stack, logical id and object id: a
rollback Delete reads it back and restores; any other Delete drops it. The record of an object this
stack created does not exist, which is how a rollback tells "disable what we made" from "restore
what we found". Prior first and last names are kept only when the adoption changes them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from typing import Any

from .errors import ApiCallError
from .retries import Persistence

__all__ = ["DEFAULT_RECORDS_PATH", "RECORDS_PATH_VARIABLE", "AdoptionRecords"]

logger = logging.getLogger(__name__)

RECORDS_PATH_VARIABLE = "FINSPACE_RECORDS_PATH"
DEFAULT_RECORDS_PATH = "/finspace-user-provider/adopted"
STANDARD_TIER_CHARS = 4096  # larger values need the Advanced tier (8 KB)
NOT_FOUND = "ParameterNotFound"
RECORDS_FIX = ("the provider could not keep its adoption record; grant ssm:PutParameter, GetParameter and "
               "DeleteParameter on its records path (README: Bootstrap)")


class AdoptionRecords:
    """Prior states in Parameter Store, through an injected SSM client."""

    def __init__(self, client: Any, persistence: Persistence, path: str | None = None) -> None:
        self.client = client
        self.persistence = persistence
        self.path = (path or os.environ.get(RECORDS_PATH_VARIABLE) or DEFAULT_RECORDS_PATH).rstrip("/")

    def name(self, stack_id: str, logical_id: str, object_id: str) -> str:
        """A parameter name that reveals nothing: the logical id may be made from an email."""
        digest = hashlib.sha256(f"{stack_id}|{logical_id}|{object_id}".encode()).hexdigest()[:48]
        return f"{self.path}/{digest}"

    def keep(self, name: str, prior: dict[str, Any]) -> None:
        value = json.dumps(prior, sort_keys=True, separators=(",", ":"))
        tier = "Standard" if len(value) <= STANDARD_TIER_CHARS else "Advanced"
        self._call("PutParameter", self.client.put_parameter, Name=name, Value=value, Type="SecureString",
                   Overwrite=True, Tier=tier)
        logger.info("Kept the prior state of an adopted object (%s tier)", tier)

    def find(self, name: str) -> dict[str, Any] | None:
        try:
            response = self._call("GetParameter", self.client.get_parameter, Name=name, WithDecryption=True)
        except ApiCallError as error:
            if error.code == NOT_FOUND:
                return None
            raise
        found: dict[str, Any] = json.loads(response["Parameter"]["Value"])
        return found

    def drop(self, name: str) -> None:
        try:
            self._call("DeleteParameter", self.client.delete_parameter, Name=name)
        except ApiCallError as error:
            if error.code != NOT_FOUND:
                raise

    def _call(self, operation: str, function: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return self.persistence.call(operation, function, **kwargs)
        except ApiCallError as error:
            if error.code in ("AccessDeniedException", "AccessDenied"):
                raise ApiCallError(operation, error.code, RECORDS_FIX) from error
            raise
