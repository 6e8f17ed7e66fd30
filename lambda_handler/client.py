"""Build ``finspace-data`` clients from the carried model.

botocore releases after 1.43.116 no longer ship the ``finspace-data`` model, and
the Lambda runtime's botocore is recent; so the client is always built from the
model carried in this package, whatever botocore is installed.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import botocore.session
from botocore.config import Config

from .api_model import SERVICE_NAME, model_loader

if TYPE_CHECKING:
    from mypy_boto3_finspace_data import FinSpaceDataClient

__all__ = ["WORST_CALL_S", "Credentials", "default_config", "new_finspace_client", "new_session", "shared_session"]

Credentials = tuple[str, str, str | None]
"""(access key id, secret access key, session token)"""


def new_session() -> botocore.session.Session:
    """A botocore session whose loader finds the carried model first."""
    session = botocore.session.Session()
    session.register_component("data_loader", model_loader())
    return session


@functools.cache
def shared_session() -> botocore.session.Session:
    """The process's one session, made boto3's default too (boto3.setup_default_session): crhelper's
    clients and the finspace-data clients then load endpoints, partitions and retry rules once,
    which a second session would redo (about 100 ms of a cold start)."""
    import boto3  # the Lambda runtime's; imported here so that botocore alone serves everything else

    session = new_session()
    boto3.setup_default_session(botocore_session=session)
    return session


# One attempt per botocore call: lambda_handler.retries repeats transient failures for as long as
# the invocation's time allows, which a fixed number of attempts cannot do.
MAX_ATTEMPTS = 1
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 10.0
WORST_CALL_S = (CONNECT_TIMEOUT_S + READ_TIMEOUT_S) * MAX_ATTEMPTS + 2  # + answering CloudFormation


def default_config(
    *, max_attempts: int = MAX_ATTEMPTS, connect_timeout: float = CONNECT_TIMEOUT_S,
    read_timeout: float = READ_TIMEOUT_S,
) -> Config:
    """Timeouts that bound one attempt to ``WORST_CALL_S``; retries are the caller's
    (:class:`lambda_handler.retries.Persistence`)."""
    return Config(
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )


def new_finspace_client(
    session: botocore.session.Session | None = None,
    *,
    region_name: str | None = None,
    credentials: Credentials | None = None,
    config: Config | None = None,
    endpoint_url: str | None = None,
) -> FinSpaceDataClient:
    """A ``finspace-data`` client; endpoint and CA bundle follow botocore's usual settings.

    ``credentials`` default to the session's own (the caller's IAM identity), which is
    what ``GetProgrammaticAccessCredentials`` needs; user operations need the
    credentials that call returns.
    """
    session = session or new_session()
    access_key, secret_key, token = credentials if credentials else (None, None, None)
    client: FinSpaceDataClient = session.create_client(  # type: ignore[assignment] # the stubs type it BaseClient
        SERVICE_NAME,
        region_name=region_name,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        aws_session_token=token,
        config=config or default_config(),
        endpoint_url=endpoint_url,
    )
    return client
