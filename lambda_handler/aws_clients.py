"""CloudFormation and SSM clients for the safeguards, built on first use.

Most requests never call them (a Create that makes a new user, an Update), so a cold start does not
pay for their construction. They use the runtime's botocore models and the function's own role;
endpoints follow botocore's usual settings (``AWS_ENDPOINT_URL_CLOUDFORMATION``,
``AWS_ENDPOINT_URL_SSM``), so the local stand-ins can serve them.
"""

from __future__ import annotations

import threading
from typing import Any

import botocore.session

from .client import default_config

__all__ = ["LazyClient"]


class LazyClient:
    """A botocore client of ``service``, made by the first call through it."""

    def __init__(self, session: botocore.session.Session, service: str, region_name: str | None = None) -> None:
        self._session = session
        self._service = service
        self._region_name = region_name
        self._client: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._session.create_client(self._service, region_name=self._region_name,
                                                           config=default_config())
        return getattr(self._client, name)
