"""FinSpace clients signed with programmatic access credentials, cached per environment.

User operations must be signed with the credentials GetProgrammaticAccessCredentials
returns (the call itself is signed with the Lambda role's own credentials). They
are cached per environment while the container is warm and renewed before they
expire; the response carries no expiry time, so it is computed from the duration.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import botocore.session

from .client import new_finspace_client, new_session
from .retries import Persistence

if TYPE_CHECKING:
    from mypy_boto3_finspace_data import FinSpaceDataClient

__all__ = ["ProgrammaticCredentials"]

logger = logging.getLogger(__name__)

DURATION_MINUTES = 60  # the API's maximum
RENEW_MARGIN_S = 600.0  # renew when less than this is left: more than one invocation can last
STANDALONE_BUDGET_S = 60.0  # how long a caller without its own deadline keeps retrying the exchange


_Cached = tuple["FinSpaceDataClient", float]  # a signed client, and when its credentials expire (epoch s)


class ProgrammaticCredentials:
    """Hands out a signed ``finspace-data`` client per environment id."""

    def __init__(
        self,
        session: botocore.session.Session | None = None,
        *,
        region_name: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._session = session
        self._region_name = region_name
        self._clock = clock
        self._cache: dict[str, _Cached] = {}
        self._caller: FinSpaceDataClient | None = None
        self._lock = threading.Lock()

    def _botocore_session(self) -> botocore.session.Session:
        if self._session is None:
            self._session = new_session()
        return self._session

    def client_for(self, environment_id: str, persistence: Persistence | None = None) -> FinSpaceDataClient:
        """The environment's signed client; the exchange, when one is due, retries transient
        failures within ``persistence`` (default: a budget of its own)."""
        with self._lock:
            cached = self._cache.get(environment_id)
            if cached is not None and cached[1] - RENEW_MARGIN_S > self._clock():
                return cached[0]
            cached = self._issue(environment_id, persistence or Persistence.for_seconds(STANDALONE_BUDGET_S))
            self._cache[environment_id] = cached
            return cached[0]

    def _issue(self, environment_id: str, persistence: Persistence) -> _Cached:
        session = self._botocore_session()
        if self._caller is None:
            self._caller = new_finspace_client(session, region_name=self._region_name)
        issued_at = self._clock()
        response = persistence.call("GetProgrammaticAccessCredentials",
                                    self._caller.get_programmatic_access_credentials,
                                    environmentId=environment_id, durationInMinutes=DURATION_MINUTES)
        issued = response["credentials"]
        keys = (issued["accessKeyId"], issued["secretAccessKey"], issued["sessionToken"])
        minutes = response.get("durationInMinutes", DURATION_MINUTES)
        logger.info("Programmatic access credentials issued for environment %s (%d min)", environment_id, minutes)
        client = new_finspace_client(session, region_name=self._region_name, credentials=keys)
        return client, issued_at + minutes * 60
