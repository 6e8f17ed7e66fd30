"""One CloudFormation request, from event to outcome, with injected FinSpace clients.

This is everything the crhelper functions do, minus crhelper: parse the event,
pick the environment's client, call the lifecycle function.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import lifecycle, permission_groups
from .api import ApiSession
from .callers import AllowedStacks
from .deadline import Deadline
from .directory import UserDirectory
from .errors import PropertyError
from .ids import RequestIdentity, is_placeholder, uncertain_since
from .lifecycle import Outcome
from .permission_groups import GroupOutcome
from .properties import declared_groups_of, field_problem, identity_of, is_reapply, parse_properties
from .retries import Persistence
from .safeguards import Safeguards
from .users import Users

if TYPE_CHECKING:
    from mypy_boto3_finspace_data import FinSpaceDataClient

__all__ = ["ClientFactory", "SafeguardsFactory", "fallback_id", "serve"]

logger = logging.getLogger(__name__)

ClientFactory = Callable[[str, Persistence], "FinSpaceDataClient"]
"""(environment id, the request's persistence) -> a client signed for that environment."""
SafeguardsFactory = Callable[[RequestIdentity, Persistence], Safeguards]
"""(the request, its persistence) -> what keeps it from harming what existed before."""


def fallback_id(event: dict[str, Any]) -> str:
    """The id to answer with if nothing better comes: the event's own, or a placeholder."""
    return str(event.get("PhysicalResourceId") or RequestIdentity.from_event(event).placeholder_id())


def serve(event: dict[str, Any], deadline: Deadline, clients: ClientFactory, safeguards: SafeguardsFactory,
          sleep: Callable[[float], None] = time.sleep,
          on_owned: Callable[[str], None] = lambda _user_id: None,
          directory: UserDirectory | None = None, allowed: AllowedStacks | None = None,
          ) -> Outcome | GroupOutcome | None:
    """Carry out the request; ``None`` for a Delete (which keeps its id).

    ``on_owned`` learns the user id as soon as this resource owns a user (see :class:`Users`);
    ``directory`` is the container's email index (default: one for this request only); ``allowed``: the
    stacks the provider serves (default: as its environment says).
    """
    request = RequestIdentity.from_event(event)
    request_type = event["RequestType"]
    logger.info("%s of %s", request_type, event.get("PhysicalResourceId", "a new resource"))
    persistence = Persistence(deadline, sleep)
    safety = safeguards(request, persistence)
    if request_type == "Delete" and is_placeholder(event["PhysicalResourceId"]):
        since = uncertain_since(event["PhysicalResourceId"])
        if since is None:
            logger.info("Delete of a resource whose Create failed: nothing to remove")
            return None
    (allowed or AllowedStacks()).check(request.stack_id)  # before any call, FinSpace's or AWS's
    if event.get("ResourceType") == permission_groups.RESOURCE_TYPE:
        return _serve_group(event, request, deadline, clients, persistence, on_owned, safety)
    def users_of(environment_id: str) -> Users:
        return Users(clients(environment_id, persistence), request, deadline, sleep, on_owned, persistence,
                     emails=(directory or UserDirectory()).of(environment_id))

    if request_type == "Delete":
        users = users_of(_environment_of(event))
        since = uncertain_since(event["PhysicalResourceId"])
        if since is not None:
            lifecycle.delete_unseen(users, str(event["ResourceProperties"].get("EmailAddress", "")), since, safety)
        else:
            lifecycle.delete(users, event["PhysicalResourceId"], safety)
        return None
    props = parse_properties(event["ResourceProperties"])
    users = users_of(props.environment_id)
    if request_type == "Create":
        return lifecycle.create(users, props, safety)
    old = event.get("OldResourceProperties", {})
    return lifecycle.update(users, props, event["PhysicalResourceId"], identity_of(old), safety,
                            declared_groups_of(old), reapply=is_reapply(event["ResourceProperties"], old))


def _serve_group(event: dict[str, Any], request: RequestIdentity, deadline: Deadline, clients: ClientFactory,
                 persistence: Persistence, on_owned: Callable[[str], None],
                 safety: Safeguards) -> GroupOutcome | None:
    def session(environment_id: str) -> ApiSession:
        return ApiSession(clients(environment_id, persistence), request, deadline, persistence.sleep, on_owned,
                          persistence)

    if event["RequestType"] == "Delete":
        permission_groups.delete(session(_environment_of(event)), event["PhysicalResourceId"], safety)
        return None
    props = permission_groups.parse_group(event["ResourceProperties"])
    if event["RequestType"] == "Create":
        return permission_groups.create(session(props.environment_id), props, safety)
    old_environment = str(event.get("OldResourceProperties", {}).get("EnvironmentId", ""))
    return permission_groups.update(session(props.environment_id), props, event["PhysicalResourceId"],
                                    old_environment, safety)


def _environment_of(event: dict[str, Any]) -> str:
    """The EnvironmentId a Delete needs (all other properties may be stale)."""
    environment_id = event["ResourceProperties"].get("EnvironmentId")
    problem = "EnvironmentId is required: declare it" if environment_id is None else \
        field_problem("EnvironmentId", environment_id)
    if problem:
        raise PropertyError(f"Invalid properties: {problem}")
    return str(environment_id)
