"""A user's permission-group memberships: associate and disassociate only the declared difference,
then wait, bounded, for FinSpace's asynchronous membership status to settle."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from .errors import ApiCallError, DeadlineError, PropertyError
from .users import Users

__all__ = ["membership_changes", "sync_memberships"]

logger = logging.getLogger(__name__)

MEMBERSHIP_WAIT_S = 60.0
ADDED, ADDING, REMOVING = "ADDITION_SUCCESS", "ADDITION_IN_PROGRESS", "REMOVAL_IN_PROGRESS"


def sync_memberships(users: Users, user_id: str, declared: tuple[str, ...], previously: tuple[str, ...],
                     current: dict[str, str] | None = None, *, exact: bool = False,
                     before_leaving: Callable[[list[str]], None] = lambda _groups: None) -> None:
    """Make ``user_id`` a member of every declared group (re-adding one removed outside); remove it
    from groups that the previous declaration had and this one drops. Memberships made outside the
    stack are left alone, unless ``exact`` (a re-apply): then every undeclared one is removed.
    ``current``: the memberships when already known (a user made by this request has none);
    ``before_leaving`` may refuse the groups about to be left (the provider's own user)."""
    if not declared and not previously and not exact:
        return  # nothing declared now or before: not even a look-up
    if current is None:
        current = users.memberships(user_id)
    added, dropped = membership_changes(declared, previously, current, exact=exact)
    if dropped:
        before_leaving(dropped)
    vanished = {g for g in added if not _associate(users, user_id, g, newly_declared=g not in previously)}
    for group_id in dropped:
        _disassociate(users, user_id, group_id)
    if added or dropped:
        logger.info("User %s: %d group(s) added, %d removed", user_id, len(added) - len(vanished), len(dropped))
        _wait_until_settled(users, user_id, set(declared) - vanished, set(dropped))


def membership_changes(declared: tuple[str, ...], previously: tuple[str, ...], current: Mapping[str, str], *,
                       exact: bool = False) -> tuple[list[str], list[str]]:
    """(groups to join, groups to leave): the rule :func:`sync_memberships` applies, for plans too."""
    removable = current if exact else previously
    dropped = [g for g in removable if g not in declared and g in current and current[g] != REMOVING]
    return [g for g in declared if current.get(g) not in (ADDED, ADDING)], dropped


def _associate(users: Users, user_id: str, group_id: str, *, newly_declared: bool) -> bool:
    """Add the membership; False when the group has vanished. A newly declared group that does not
    exist fails the request. One declared before that has vanished (deleted outside the stack) is
    skipped with a log line: failing there would also fail the rollback, which declares it too."""
    try:
        users.call("AssociateUserToPermissionGroup", users.client.associate_user_to_permission_group,
                   permissionGroupId=group_id, userId=user_id, clientToken=users.token(f"add-{group_id}"))
    except ApiCallError as error:
        if error.code == "ResourceNotFoundException" and newly_declared:
            raise PropertyError(f"PermissionGroupIds: permission group {group_id} does not exist; create it "
                                "or remove it from the declaration") from error
        if error.code == "ResourceNotFoundException":
            logger.warning("Permission group %s no longer exists (deleted outside the stack); skipped", group_id)
            return False
        if error.code != "ConflictException":  # Conflict: already a member
            raise
    return True


def _disassociate(users: Users, user_id: str, group_id: str) -> None:
    try:
        users.call("DisassociateUserFromPermissionGroup", users.client.disassociate_user_from_permission_group,
                   permissionGroupId=group_id, userId=user_id, clientToken=users.token(f"remove-{group_id}"))
    except ApiCallError as error:
        if error.code != "ResourceNotFoundException":  # gone already: nothing to remove
            raise


def _wait_until_settled(users: Users, user_id: str, expected: set[str], dropped: set[str]) -> None:
    def pending() -> list[str]:
        current = users.memberships(user_id)
        return sorted(g for g in expected if current.get(g) != ADDED) + sorted(g for g in dropped if g in current)

    waiting = pending()
    for _ in users.polls(MEMBERSHIP_WAIT_S):
        if not waiting:
            return
        waiting = pending()
    if waiting:
        raise DeadlineError(f"Memberships of user {user_id} in {', '.join(waiting)} did not settle in time "
                            "(still in progress in FinSpace); deploy again")
