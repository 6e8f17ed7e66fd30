"""What Create, Update and Delete do to FinSpace users (docs/DESIGN.md, "Lifecycle").

Pure apart from the injected :class:`~lambda_handler.users.Users`: no crhelper, no
event parsing, no environment. Each function returns what CloudFormation is told.
"""

from __future__ import annotations

import logging
from typing import Any

from .errors import AdoptionRequiredError, ApiCallError, MissingResourceError, ProviderError
from .ids import is_placeholder
from .memberships import sync_memberships
from .properties import UserProperties
from .restore import restore_user, user_prior
from .safeguards import Safeguards
from .stack_view import ROLLBACK
from .users import CREATING, DISABLED, ENABLED, Users, changed_fields

__all__ = ["Outcome", "create", "delete", "delete_unseen", "update"]

logger = logging.getLogger(__name__)


class Outcome:
    """The answer: the userId (PhysicalResourceId) and non-personal attributes."""

    __slots__ = ("status", "user_id")

    def __init__(self, user_id: str, status: str) -> None:
        self.user_id = user_id
        self.status = status

    @property
    def physical_id(self) -> str:
        return self.user_id

    @property
    def data(self) -> dict[str, str]:
        return {"UserId": self.user_id, "Status": self.status}


def create(users: Users, props: UserProperties, safety: Safeguards) -> Outcome:
    """CreateUser (idempotent per request); reclaim a DISABLED user or adopt an ENABLED one;
    then make it a member of its declared permission groups."""
    outcome, current = _create_user(users, props, safety)
    if props.permission_group_ids and not current and props.enabled:  # made now: FinSpace may still be
        # CREATING it, and refuses a CREATING user's memberships with 409, which also means "already a member"
        users.wait_while_creating(outcome.user_id, required=True)
    sync_memberships(users, outcome.user_id, props.permission_group_ids, previously=(), current=current)
    return outcome


def _create_user(users: Users, props: UserProperties, safety: Safeguards) -> tuple[Outcome, dict[str, str]]:
    """The user and whether this request made it. A new enabled user costs one call: FinSpace ends
    CREATING by itself, and a late retry of this request replays the same CreateUser (client token)
    without touching a user that a rollback has disabled since."""
    try:
        user_id = users.create(props, step="create")
    except ApiCallError as error:
        if error.code != "ConflictException":
            raise
        return _take_over(users, props, error, safety)
    if props.enabled:  # answered ENABLED while FinSpace may still be CREATING it: it ends that by itself
        return Outcome(user_id, ENABLED), {}
    users.set_enabled(user_id, False, step="set-disabled")
    return Outcome(user_id, DISABLED), {}


def _take_over(users: Users, props: UserProperties, conflict: ApiCallError,
               safety: Safeguards) -> tuple[Outcome, dict[str, str]]:
    """Adopt (ENABLED, with AdoptExisting) or reclaim (DISABLED) the user that has the email. Its prior
    state is recorded before anything changes, so that a rollback restores it instead of disabling it."""
    existing = users.find_by_email(props.email_address)
    if existing is None:
        raise conflict
    user_id, status = str(existing["userId"]), str(existing["status"])
    if not props.adopt_existing and (status != DISABLED or safety.strict_reenable) \
            and not safety.moved_within_stack(user_id):
        raise AdoptionRequiredError(
            f"EmailAddress belongs to FinSpace user {user_id}, which is {status}; set AdoptExisting: true to "
            "manage it from this stack, or declare another email"
        )
    changes = changed_fields(existing, props)
    safety.role.check_user_change(existing, changes, enabled=props.enabled)
    memberships = users.memberships(user_id)
    safety.keep_prior(user_id, user_prior(existing, changes, memberships))
    logger.info("%s existing user %s (%s)", "Reclaiming" if status == DISABLED else "Adopting", user_id, status)
    users.on_owned(user_id)  # from now on a rollback reaches it, and restores what was there
    status = users.wait_while_creating(user_id, status, required=bool(changes))
    users.update(user_id, changes, step="take-over")
    return _apply_enabled(users, user_id, status, props), memberships


def update(users: Users, new: UserProperties, physical_id: str, old_identity: tuple[str, str], safety: Safeguards,
           old_groups: tuple[str, ...] = (), *, reapply: bool = False) -> Outcome:
    """Change only what differs; a new identity (email or environment) is a replacement.
    ``old_groups``: the permission groups the previous declaration had. ``reapply``: the
    declaration is re-applied, so memberships made outside the stack are removed too."""
    actual = None if is_placeholder(physical_id) else _declared_by(users, physical_id, new, old_identity)
    if actual is None:
        logger.info("Replacement: the user's identity changed; creating or reclaiming the new user")
        return _replace(users, new, safety)
    changes = changed_fields(actual, new)
    safety.role.check_user_change(actual, changes, enabled=new.enabled)
    status = users.wait_while_creating(physical_id, str(actual["status"]), required=bool(changes))
    users.update(physical_id, changes, step="update")
    outcome = _apply_enabled(users, physical_id, status, new)
    if not changes and outcome.status == status:
        logger.info("User %s fields and status already match the declaration", physical_id)
    if outcome.status == CREATING and (new.permission_group_ids or old_groups or reapply):
        users.wait_while_creating(physical_id, CREATING, required=True)  # memberships: as in create
    sync_memberships(users, physical_id, new.permission_group_ids, previously=old_groups, exact=reapply,
                     before_leaving=lambda groups: safety.role.check_leaving(users, actual, groups))
    return outcome


def _declared_by(users: Users, physical_id: str, new: UserProperties,
                 old_identity: tuple[str, str]) -> dict[str, Any] | None:
    """The user ``physical_id`` names if it is the one ``new`` declares, else ``None`` (a replacement).
    An identity that changed back to this user's own is the rollback of a failed replacement
    (CloudFormation keeps the old id and swaps the properties): it is updated in place."""
    if old_identity == new.identity:
        return users.get(physical_id)
    try:
        actual = users.get(physical_id)
    except MissingResourceError:
        return None  # not in the new environment either
    same = str(actual.get("emailAddress", "")).strip().lower() == new.email_address.strip().lower()
    return actual if same else None


def _replace(users: Users, new: UserProperties, safety: Safeguards) -> Outcome:
    """Create the new user; if that fails half-way, undo it here: disable a user it made, restore one
    it adopted or reclaimed. CloudFormation ignores the id of a failed Update, so no rollback Delete
    would ever reach that user."""
    owned: list[str] = []
    report = users.on_owned

    def own(user_id: str) -> None:
        owned.append(user_id)
        report(user_id)

    users.on_owned = own
    try:
        return create(users, new, safety)
    except ProviderError:
        for user_id in owned:
            prior = safety.prior_state(user_id)
            if prior is None:
                users.set_enabled(user_id, False, step="undo-replacement", missing_ok=True)
            else:
                restore_user(users, user_id, prior)
                safety.forget(user_id)
        raise
    finally:
        users.on_owned = report


def delete(users: Users, physical_id: str, safety: Safeguards) -> None:
    """DisableUser, unless that would harm what existed before this stack (docs/DESIGN.md, "Do no harm"):
    a rollback of the Create that adopted the user restores it; a user another resource of the stack
    took over in this update (a renamed logical id) is left to it; the provider's own user stays
    enabled. A missing or already disabled user is success."""
    if safety.phase() == ROLLBACK:
        prior = safety.prior_state(physical_id)
        if prior is not None:
            restore_user(users, physical_id, prior)
            safety.forget(physical_id)
            return
    elif safety.taken_over_by_rename(physical_id):
        safety.forget(physical_id)
        return
    try:
        user = users.get(physical_id)
    except MissingResourceError:
        logger.info("User %s does not exist; nothing to disable", physical_id)
        return
    if safety.role.may_disable(user) and user["status"] != DISABLED:
        users.set_enabled(physical_id, False, step="delete", missing_ok=True)
    safety.forget(physical_id)


def _apply_enabled(users: Users, user_id: str, status: str, props: UserProperties) -> Outcome:
    desired = ENABLED if props.enabled else DISABLED
    if status == desired or (status == CREATING and props.enabled):
        return Outcome(user_id, status)
    users.set_enabled(user_id, props.enabled, step=f"set-{desired.lower()}")
    return Outcome(user_id, desired)


def delete_unseen(users: Users, email: str, since_ms: int, safety: Safeguards) -> None:
    """The rollback Delete of a Create whose CreateUser may have taken effect unseen: the user with the
    declared email that appeared since that Create started is the one it made; disable it."""
    made = users.made_since(email, since_ms) if email else None
    if made is None:
        logger.info("No user appeared for the uncertain Create; nothing to disable")
        return
    delete(users, str(made["userId"]), safety)
