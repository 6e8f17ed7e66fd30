"""The demo's emulator as a person at the FinSpace web application meets it: its environments, and
the changes made there by hand (``finspace-users local VERB``) that ``drift --local`` then reports.

Like the emulator's web application (:mod:`finspace_local.webapp`), a verb changes the demo's saved
state directly: no API call (the call log stays empty), no stack, nothing the provider did. Each
value is checked against the API model first, as FinSpace would check it. The stand-ins are part of
the repository only, so they are imported when a command runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import EXIT_OK, CheckoutNeededError, CommandError
from .output import Output

if TYPE_CHECKING:
    from .local import Backend

__all__ = ["FIELDS", "VERBS", "demo_environments", "environment_ids", "local_verb"]

# set-field's FIELD: UpdateUser's members, by their API name or the users file's name.
FIELDS = {"type": "type", "firstName": "firstName", "lastName": "lastName", "apiAccess": "apiAccess",
          "apiAccessPrincipalArn": "apiAccessPrincipalArn", "first_name": "firstName", "last_name": "lastName",
          "api_access": "apiAccess", "api_access_principal_arn": "apiAccessPrincipalArn"}
VERBS = {
    "disable-user": "disable a user (drift: status)",
    "enable-user": "enable a user (drift: status, for one the file declares disabled)",
    "set-field": "change a field of a user: type, firstName, lastName, apiAccess, apiAccessPrincipalArn (drift: field)",
    "remove-membership": "take a user out of a permission group (drift: membership-removed)",
    "add-membership": "put a user in a permission group (drift: membership-added)",
}


def environment_ids() -> frozenset[str]:
    """The demo emulator's environments."""
    try:
        from .local import ENVIRONMENTS
    except ImportError as error:
        raise CheckoutNeededError("the demo's emulator (finspace_local) is part of the repository checkout") from error
    return ENVIRONMENTS


def demo_environments(names: Iterable[str], where: str, kind: str) -> None:
    """Refuse an environment the demo's emulator does not have, naming the ones it has: FinSpace
    would only answer AccessDeniedException, which registering the provider's role cannot fix."""
    known = environment_ids()
    unknown = sorted(set(names) - known)
    if unknown:
        raise CommandError(f"{where}: environment {', '.join(unknown)} is unknown to the demo's emulator, which "
                           f"has only {' and '.join(sorted(known))}: name one of those locally (a real FinSpace "
                           "environment is read with --region instead of --local, and deployed with cdk deploy)", kind)


def local_verb(args: argparse.Namespace, out: Output) -> int:
    """One change by hand, as a person in the web application makes it."""
    environments = environment_ids()
    from .local import ApiError, open_emulator  # found, since environment_ids() found it
    state: Path = args.state_dir
    if args.environment_id:
        demo_environments([args.environment_id], "--environment-id", "usage")
    if not (state / "finspace.sqlite").exists():
        raise CommandError(f"no emulator state in {state}: run 'finspace-users deploy' (make demo) first, "
                           "or pass --state-dir", "setup")
    emulator = open_emulator(state)
    backend = emulator.backend
    environment, user = _user(emulator.web_app.find_user, sorted(environments), args)
    try:
        done = _change(backend, environment, user, args)
    except ApiError as error:
        raise CommandError(f"FinSpace (the emulator) refused it: {error.code}: {error.message}") from error
    report = {"verb": args.verb, "environmentId": environment, "email": str(user["emailAddress"]),
              "userId": str(user["userId"]), **done}
    out.emit({"changed": report})
    out.say(f"{report['email']} ({environment}){_what(args.verb, done)}, by hand as in the FinSpace web application "
            f"(no API call, no stack). What drift reports: finspace-users drift --local --state-dir {state}")
    return EXIT_OK


def _user(find: Callable[[str, str], dict[str, Any] | None], environments: list[str], args: argparse.Namespace
          ) -> tuple[str, dict[str, Any]]:
    """The environment and user the email names (the one environment that has it, or --environment-id)."""
    searched = [args.environment_id] if args.environment_id else environments
    found = [(e, user) for e in searched if (user := find(e, args.email)) is not None]
    if not found:
        raise CommandError(f"no user with that email in {' or '.join(searched)} (finspace-users users --local "
                           "--include-administrators lists them)", "usage")
    if len(found) > 1:
        raise CommandError(f"a user with that email is in {' and '.join(e for e, _ in found)}: pass --environment-id",
                           "usage")
    return found[0]


def _change(backend: Backend, environment: str, user: dict[str, Any], args: argparse.Namespace) -> dict[str, str]:
    user_id = str(user["userId"])
    if args.verb in ("disable-user", "enable-user"):
        status = "DISABLED" if args.verb == "disable-user" else "ENABLED"
        if user["status"] == status:
            raise CommandError(f"that user is already {status}", "usage")
        _call(backend, environment, "DisableUser" if status == "DISABLED" else "EnableUser", {"userId": user_id})
        return {"status": status}
    if args.verb == "set-field":
        field = FIELDS[args.field]
        _call(backend, environment, "UpdateUser", {"userId": user_id, field: args.value})
        return {"field": field}
    group = _group_id(backend, environment, args.group)
    member = user_id in _members(backend, environment, group)
    if args.verb == "remove-membership":
        if not member:
            raise CommandError("that user is not a member of that permission group", "usage")
        _call(backend, environment, "DisassociateUserFromPermissionGroup", {"permissionGroupId": group,
                                                                            "userId": user_id})
    else:
        if member:
            raise CommandError("that user is already a member of that permission group", "usage")
        _call(backend, environment, "AssociateUserToPermissionGroup", {"permissionGroupId": group, "userId": user_id})
    return {"group": args.group}


def _call(backend: Backend, environment: str, operation: str, params: dict[str, Any]) -> None:
    """The operation on the state, its input checked against the API model first."""
    from .local import service_model, validate_input

    validate_input(service_model().operation_model(operation).input_shape, params)
    backend.call(operation, params, environment_id=environment)


def _items(backend: Backend, environment: str, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        page = backend.call(operation, {**params, "maxResults": 100, **({"nextToken": token} if token else {})},
                            environment_id=environment)
        yield from page[key]
        token = page.get("nextToken")
        if not token:
            return


def _group_id(backend: Backend, environment: str, name: str) -> str:
    found = [str(g["permissionGroupId"]) for g in _items(backend, environment, "ListPermissionGroups",
                                                         "permissionGroups") if g["name"] == name]
    if not found:
        raise CommandError(f"no permission group of that name in {environment}", "usage")
    return found[0]


def _members(backend: Backend, environment: str, group_id: str) -> set[str]:
    """The group's members, but those whose removal is already under way."""
    return {str(m["userId"]) for m in _items(backend, environment, "ListUsersByPermissionGroup", "users",
                                             permissionGroupId=group_id)
            if m.get("membershipStatus") != "REMOVAL_IN_PROGRESS"}


def _what(verb: str, done: dict[str, str]) -> str:
    if "status" in done:
        return f" is now {done['status']}"
    if "field" in done:
        return f": {done['field']} changed"
    return f" {'left' if verb == 'remove-membership' else 'joined'} {done['group']}"
