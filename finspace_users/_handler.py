"""The handler's client, credentials, retries and paging, wherever the handler lives.

In the repository it is the top-level ``lambda_handler`` package; installed from the wheel, only
the copy inside the constructs' Lambda asset (see :mod:`finspace_constructs._handler`). Reading
FinSpace reuses that code instead of a second client.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from finspace_constructs._handler import HANDLER_PACKAGE

__all__ = ["ADDED", "ADDING", "ApiCallError", "ApiSession", "DeadlineError", "Persistence",
           "ProgrammaticCredentials", "RequestIdentity", "new_session"]

if TYPE_CHECKING:
    from lambda_handler.api import ApiSession
    from lambda_handler.client import new_session
    from lambda_handler.credentials import ProgrammaticCredentials
    from lambda_handler.errors import ApiCallError, DeadlineError
    from lambda_handler.ids import RequestIdentity
    from lambda_handler.memberships import ADDED, ADDING
    from lambda_handler.retries import Persistence
else:
    def _module(name: str):  # typed through the TYPE_CHECKING imports above
        return import_module(f"{HANDLER_PACKAGE}.{name}")

    ApiSession = _module("api").ApiSession
    new_session = _module("client").new_session
    ProgrammaticCredentials = _module("credentials").ProgrammaticCredentials
    ApiCallError, DeadlineError = _module("errors").ApiCallError, _module("errors").DeadlineError
    RequestIdentity = _module("ids").RequestIdentity
    ADDED, ADDING = _module("memberships").ADDED, _module("memberships").ADDING
    Persistence = _module("retries").Persistence
