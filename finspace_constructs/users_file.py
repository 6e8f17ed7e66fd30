"""The GitOps users file (``users.yaml``): its format, and loading it with precise errors.

The pydantic models below are the single definition of the format: the JSON Schema
(``users.schema.json``) is generated from them and the README's reference is checked
against them. Field values are validated with the handler's own limits
(:func:`lambda_handler.properties.value_problem`). Errors name the file, the line and
the field, and never echo an email address or a name.

The provider's own FinSpace user (``provider_user``, or a principal named like the bootstrap's
provider role) is checked at load time: a declaration the handler would refuse as a lockout
(disabled, without API access, another principal, an APP_USER without ManageUsersAndGroups) is
an error here, before any deploy.

Shape (one environment; or ``environments:`` as a list of ``{id, defaults, users}``)::

    defaults: {type: APP_USER}
    environment: abcdefghijklmnopqrstuv
    users:
      - email: ada@example.com
        type: SUPER_USER
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator, model_validator

from ._handler import GROUP_FIELDS, value_problem
from .enums import ApiAccess, ApplicationPermission, UserType
from .provider_identity import PROVIDER_ROLE_PREFIX, names_provider_role

__all__ = [
    "SAFE_LOADER",
    "Declaration",
    "Environment",
    "GroupEntry",
    "ResolvedGroup",
    "ResolvedUser",
    "UserDefaults",
    "UserEntry",
    "UsersFile",
    "UsersFileError",
    "load_declaration",
    "load_users",
]

RemovalPolicyName = Literal["destroy", "retain"]
# libyaml's parser where PyYAML has it (some 20 times faster on a large file), else the pure-Python
# one; both mark every node with its line.
SAFE_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONTRACT_NAMES = {"email": "EmailAddress", "provider_user": "EmailAddress", "first_name": "FirstName",
                   "last_name": "LastName", "api_access_principal_arn": "ApiAccessPrincipalArn", "reapply": "Reapply"}


class UsersFileError(ValueError):
    """Every problem of a users file, one per line: ``file:line: field: problem``."""


def _checked(field: str, value: str | None) -> str | None:
    problem = None if value is None else value_problem(_CONTRACT_NAMES[field], value)
    if problem:
        raise ValueError(problem)
    return value


class UserDefaults(BaseModel):
    """Settings shared by users; a user's own value wins, then its environment's defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: UserType | None = Field(None, description="SUPER_USER or APP_USER")
    api_access: ApiAccess | None = Field(None, description="ENABLED or DISABLED (default: ENABLED with a principal)")
    api_access_principal_arn: str | None = Field(None, description="IAM role ARN that acts as the user in the APIs")
    enabled: StrictBool | None = Field(None, description="the user's FinSpace status (default: true)")
    adopt_existing: StrictBool | None = Field(None, description="take over an ENABLED user with this email")
    removal_policy: RemovalPolicyName | None = Field(
        None, description="destroy (default): disable the user when removed; retain: leave it enabled")
    permission_groups: list[str] | None = Field(
        None, description="names of the environment's permission_groups the user belongs to")
    reapply: str | None = Field(
        None, description="a new value re-applies the declaration on the next deploy (README: Drift); "
                          "in defaults, the environment's permission groups too")

    @field_validator("api_access_principal_arn")
    @classmethod
    def _arn(cls, value: str | None) -> str | None:
        return _checked("api_access_principal_arn", value)

    @field_validator("reapply")
    @classmethod
    def _reapply(cls, value: str | None) -> str | None:
        return _checked("reapply", value)


class UserEntry(UserDefaults):
    """One FinSpace user."""

    email: str = Field(description="the user's identity; a change replaces the user")
    first_name: str | None = Field(None, description="1-50 characters")
    last_name: str | None = Field(None, description="1-50 characters")

    @field_validator("email", "first_name", "last_name")
    @classmethod
    def _personal(cls, value: str | None, info: Any) -> str | None:
        return _checked(info.field_name, value)


class GroupEntry(BaseModel):
    """One FinSpace permission group."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="1-255 characters; users refer to the group by it")
    application_permissions: list[ApplicationPermission] = Field(
        default_factory=list, description="what members may do, e.g. AccessNotebooks, ViewAuditData")
    description: str | None = Field(None, description="1-4000 characters")
    removal_policy: RemovalPolicyName | None = Field(
        None, description="destroy (default): delete the group when removed; retain: keep it")
    adopt_existing: StrictBool | None = Field(None, description="take over an existing group with this name")

    @field_validator("name", "description")
    @classmethod
    def _limits(cls, value: str | None, info: Any) -> str | None:
        name = {"name": "Name", "description": "Description"}[info.field_name]
        problem = None if value is None else value_problem(name, value, GROUP_FIELDS)
        if problem:
            raise ValueError(problem)
        return value


class Environment(BaseModel):
    """A FinSpace environment, its permission groups and its users."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(min_length=1, max_length=26, description="the FinSpace environment id")]
    defaults: UserDefaults = Field(default=UserDefaults(), description="defaults for this environment")
    permission_groups: list[GroupEntry] = Field(default_factory=list,
                                                description="the permission groups of this environment")
    users: list[UserEntry] = Field(default_factory=list, description="the users of this environment")
    provider_user: str | None = Field(None, description="the provider's user in this environment, when not the "
                                                        "top level's provider_user")

    @field_validator("provider_user")
    @classmethod
    def _provider_user(cls, value: str | None) -> str | None:
        return _checked("provider_user", value)


class UsersFile(BaseModel):
    """The whole file: ``environment`` + ``users``, or ``environments``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    defaults: UserDefaults = Field(default=UserDefaults(), description="defaults for every user")
    environment: str | None = Field(None, description="the environment id, when the file has one environment")
    permission_groups: list[GroupEntry] | None = Field(None, description="the permission groups, with 'environment'")
    users: list[UserEntry] | None = Field(None, description="the users, with 'environment'")
    environments: list[Environment] | None = Field(None, description="several environments, each with its users")
    provider_user: str | None = Field(
        None, description="email of the user registered with the provider role (README: Bootstrap); a declaration "
                          "of it that would lock the provider out is an error")
    reenable_requires_adopt: StrictBool | None = Field(
        None, description="true: re-enabling a user found DISABLED needs adopt_existing (default: false); a "
                          "setting of the provider")

    @field_validator("provider_user")
    @classmethod
    def _provider_user(cls, value: str | None) -> str | None:
        return _checked("provider_user", value)

    @model_validator(mode="after")
    def _one_shape(self) -> UsersFile:
        if (self.environments is None) == (self.environment is None):
            raise ValueError("declare either 'environment' with 'users', or 'environments'")
        if self.environments is not None and (self.users is not None or self.permission_groups is not None):
            raise ValueError("'users' and 'permission_groups' go inside each entry of 'environments'")
        return self

    def all_environments(self) -> list[Environment]:
        if self.environments is not None:
            return self.environments
        return [Environment(id=str(self.environment), users=self.users or [],
                            permission_groups=self.permission_groups or [])]

    def provider_user_of(self, environment: Environment) -> str | None:
        """The provider's user in ``environment`` (its own setting wins), compared as emails are."""
        email = environment.provider_user or self.provider_user
        return email.strip().lower() if email else None


@dataclass(frozen=True)
class ResolvedUser:
    """A user with every default applied: what the construct receives."""

    environment_id: str
    email: str
    type: UserType
    first_name: str | None
    last_name: str | None
    api_access: ApiAccess | None
    api_access_principal_arn: str | None
    enabled: bool
    adopt_existing: bool
    removal_policy: RemovalPolicyName
    permission_groups: tuple[str, ...] = ()  # group names
    reapply: str | None = None


@dataclass(frozen=True)
class ResolvedGroup:
    environment_id: str
    name: str
    application_permissions: tuple[ApplicationPermission, ...]
    description: str | None
    removal_policy: RemovalPolicyName
    adopt_existing: bool = False
    reapply: str | None = None


@dataclass(frozen=True)
class Declaration:
    """Everything a users file declares; ``provider_users``: the provider's user (lowercased email)
    by environment id, where the file names it."""

    users: list[ResolvedUser]
    groups: list[ResolvedGroup]
    reenable_requires_adopt: bool = False
    provider_users: dict[str, str] = field(default_factory=dict)


def load_users(path: Path) -> list[ResolvedUser]:
    """The users of ``path`` (see :func:`load_declaration`)."""
    return load_declaration(path).users


def load_declaration(path: Path, *, provider_role_prefix: str = PROVIDER_ROLE_PREFIX) -> Declaration:
    """Load, validate and resolve ``path``; :class:`UsersFileError` lists every problem.
    ``provider_role_prefix``: how the provider role's name starts (``<provider stack name>-``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsersFileError(f"{path}: cannot read the users file ({error.strerror})") from error
    with _collector_paused():
        return _declaration(path, text, provider_role_prefix)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while the file becomes objects: a large file makes
    hundreds of thousands of them and no garbage cycles, and the collections it would trigger
    meanwhile took more than half of the load time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _declaration(path: Path, text: str, provider_role_prefix: str) -> Declaration:
    lines = _LineIndex(path, text)
    try:
        parsed = UsersFile.model_validate(lines.data)
    except ValidationError as error:
        raise UsersFileError("\n".join(lines.describe(e["loc"], _message(e)) for e in error.errors())) from None
    problems: list[str] = []
    groups = _resolve_groups(parsed, lines, problems)
    placed = _resolve(parsed, lines, problems, {(g.environment_id, g.name) for g in groups})
    guard = _ProviderGuard(parsed, lines, groups, provider_role_prefix)
    for user, loc in placed:
        problems += guard.problems(user, loc)
    if problems:
        raise UsersFileError("\n".join(problems))
    provider_users = {e.id: email for e in parsed.all_environments() if (email := parsed.provider_user_of(e))}
    return Declaration([user for user, _loc in placed], groups, bool(parsed.reenable_requires_adopt), provider_users)


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key: remove it or fix its spelling"
    if error["type"] == "missing":
        return "is required"
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    if error["type"] in ("enum", "literal_error"):
        return f"must be {error['ctx']['expected']}"
    if error["type"] == "bool_type":
        return "must be true or false"
    return str(error["msg"]).lower()


def _base(parsed: UsersFile, env_index: int, key: str, index: int) -> tuple[Any, ...]:
    return ("environments", env_index, key, index) if parsed.environments is not None else (key, index)


def _resolve_groups(parsed: UsersFile, lines: _LineIndex, problems: list[str]) -> list[ResolvedGroup]:
    groups: list[ResolvedGroup] = []
    seen: dict[tuple[str, str], int] = {}
    for env_index, environment in enumerate(parsed.all_environments()):
        reapply = environment.defaults.reapply or parsed.defaults.reapply
        for index, group in enumerate(environment.permission_groups):
            loc = (*_base(parsed, env_index, "permission_groups", index), "name")
            key = (environment.id, group.name)
            if key in seen:
                problems.append(lines.describe(loc, f"duplicates the group at line {seen[key]}; declare it once"))
                continue
            seen[key] = lines.line_of(loc)
            groups.append(ResolvedGroup(environment.id, group.name, tuple(group.application_permissions),
                                        group.description, group.removal_policy or "destroy",
                                        bool(group.adopt_existing), reapply))
    return groups


def _resolve(parsed: UsersFile, lines: _LineIndex, problems: list[str],
             groups: set[tuple[str, str]]) -> list[tuple[ResolvedUser, tuple[Any, ...]]]:
    """The resolved users, each with its place in the file."""
    resolved: list[tuple[ResolvedUser, tuple[Any, ...]]] = []
    seen: dict[tuple[str, str], int] = {}
    for env_index, environment in enumerate(parsed.all_environments()):
        defaults = {**_set(parsed.defaults), **_set(environment.defaults)}  # once per environment
        for user_index, user in enumerate(environment.users):
            loc = _base(parsed, env_index, "users", user_index)
            merged = {**defaults, **_set(user)}
            key = (environment.id, user.email.lower())
            if key in seen:
                problems.append(lines.describe((*loc, "email"), f"duplicates the email at line {seen[key]}; "
                                                                "declare each user once per environment"))
                continue
            seen[key] = lines.line_of((*loc, "email"))
            if "type" not in merged:
                problems.append(lines.describe((*loc, "type"), "is required (here or in defaults)"))
                continue
            member_of = tuple(dict.fromkeys(merged.get("permission_groups", [])))
            unknown = [name for name in member_of if (environment.id, name) not in groups]
            if unknown:
                where = (*loc, "permission_groups") if user.permission_groups is not None else (*loc, "email")
                problems.append(lines.describe(where, f"names {len(unknown)} group(s) not declared in this "
                                                      "environment's permission_groups; declare them or fix the name"))
                continue
            resolved.append((ResolvedUser(
                environment_id=environment.id, email=user.email, type=merged["type"],
                first_name=merged.get("first_name"), last_name=merged.get("last_name"),
                api_access=merged.get("api_access"), api_access_principal_arn=merged.get("api_access_principal_arn"),
                enabled=merged.get("enabled", True), adopt_existing=merged.get("adopt_existing", False),
                removal_policy=merged.get("removal_policy", "destroy"), permission_groups=member_of,
                reapply=merged.get("reapply"),
            ), loc))
    return resolved


_MANAGE_USERS = ApplicationPermission.MANAGE_USERS_AND_GROUPS
_INSTEAD = "or register another user for the provider role first (README: Bootstrap)"


class _ProviderGuard:
    """The declarations of the provider's own user that the handler would refuse as a lockout
    (``lambda_handler.self_access``), found in the file: its user is the one ``provider_user``
    names, or one whose principal is named like the bootstrap's provider role."""

    def __init__(self, parsed: UsersFile, lines: _LineIndex, groups: list[ResolvedGroup], role_prefix: str) -> None:
        self.lines = lines
        self.role_prefix = role_prefix
        self.emails = {e.id: email for e in parsed.all_environments() if (email := parsed.provider_user_of(e))}
        self.groups = {(g.environment_id, g.name): g for g in groups}
        self.group_locs = {(e.id, g.name): _base(parsed, env_index, "permission_groups", index)
                           for env_index, e in enumerate(parsed.all_environments())
                           for index, g in enumerate(e.permission_groups)}

    def owns(self, user: ResolvedUser) -> bool:
        principal = user.api_access_principal_arn
        return (user.email.strip().lower() == self.emails.get(user.environment_id)
                or (principal is not None and names_provider_role(principal, self.role_prefix)))

    def problems(self, user: ResolvedUser, loc: tuple[Any, ...]) -> list[str]:
        """What the handler would refuse, each at the line that sets it; the email is never shown."""
        if not self.owns(user):
            return []
        found = []
        if not user.enabled:
            found.append(self._at(loc, "enabled", "is false for {user}, which the provider signs in as: keep it "
                                                  f"enabled, {_INSTEAD}"))
        found += self._access_problems(user, loc)
        if user.type is UserType.APP_USER:
            found += self._right_problems(user, loc)
        return found

    def _access_problems(self, user: ResolvedUser, loc: tuple[Any, ...]) -> list[str]:
        principal = user.api_access_principal_arn
        if user.api_access is ApiAccess.DISABLED:
            return [self._at(loc, "api_access", "is DISABLED for {user}, which would lose its API access: keep "
                                                f"ENABLED with the provider role as principal, {_INSTEAD}")]
        if principal is not None and not names_provider_role(principal, self.role_prefix):
            return [self._at(loc, "api_access_principal_arn", f"names another role than the provider's "
                             f"({self.role_prefix}<region>) for {{user}}, which would lose its API access: declare "
                             f"the provider role, {_INSTEAD}")]
        if principal is None and user.api_access is None:
            return [self.lines.describe((*loc, "email"), "is the provider's own user, declared without "
                                        "api_access_principal_arn (API access DISABLED): declare the provider role "
                                        f"as its principal (or api_access: ENABLED), {_INSTEAD}")]
        return []

    def _right_problems(self, user: ResolvedUser, loc: tuple[Any, ...]) -> list[str]:
        """An APP_USER manages users only through a group with ManageUsersAndGroups."""
        groups = [self.groups[(user.environment_id, name)] for name in user.permission_groups]
        if any(_MANAGE_USERS in g.application_permissions for g in groups):
            return []
        if not groups:
            return [self._at(loc, "type", f"is APP_USER for {{user}}, in no permission group with {_MANAGE_USERS}: "
                                          "it could not manage users, and the provider signs in as it: make it "
                                          f"SUPER_USER or add it to a group with {_MANAGE_USERS}, {_INSTEAD}")]
        user_line = self.lines.line_of((*loc, "email"))
        return [self.lines.describe(
            self._group_key(g), f"lacks {_MANAGE_USERS}, which the provider's own user (line {user_line}), an "
            "APP_USER, needs from one of its groups: add it here or to another of that user's groups, or make that "
            f"user SUPER_USER, {_INSTEAD}") for g in groups]

    def _group_key(self, group: ResolvedGroup) -> tuple[Any, ...]:
        loc = self.group_locs[(group.environment_id, group.name)]
        return (*loc, "application_permissions") if self.lines.has((*loc, "application_permissions")) \
            else (*loc, "name")

    def _at(self, loc: tuple[Any, ...], key: str, problem: str) -> str:
        """``problem`` at the line that gives the user ``key``: its own, its environment's defaults, the file's."""
        places = ((*loc, key), (*loc[:-2], "defaults", key), ("defaults", key))
        place = next((p for p in places if self.lines.has(p)), (*loc, key))
        user = "the provider's own user" + ("" if place == places[0] else
                                             f" (line {self.lines.line_of((*loc, 'email'))})")
        return self.lines.describe(place, problem.format(user=user))


def _set(model: BaseModel) -> dict[str, Any]:
    """The settings ``model`` gives a value (read directly: model_dump would copy every user)."""
    return {name: value for name in _setting_names(type(model)) if (value := getattr(model, name)) is not None}


@functools.cache
def _setting_names(model_type: type[BaseModel]) -> tuple[str, ...]:
    return tuple(name for name in model_type.model_fields if name not in ("users", "defaults", "id"))


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """The document parsed once: its node tree (the lines) and the data built from that tree."""
    loader = SAFE_LOADER(text)
    try:
        node = loader.get_single_node()
        return node, None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


class _LineIndex:
    """The YAML document with the line of every key and item, and duplicate keys found."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self._lines: dict[tuple[Any, ...], int] = {}
        self._duplicates: list[str] = []
        try:
            node, self.data = _parse(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = f"{mark.line + 1}" if mark else "?"
            raise UsersFileError(f"{path}:{line}: not valid YAML ({getattr(error, 'problem', error)})") from None
        if node is not None:
            self._walk(node, ())
        if self._duplicates:
            raise UsersFileError("\n".join(self._duplicates))
        if not isinstance(self.data, dict):
            raise UsersFileError(f"{path}:1: the file must be a mapping with 'environment' or 'environments'")

    def _walk(self, node: yaml.Node, loc: tuple[Any, ...]) -> None:
        self._lines[loc] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key, key_loc = key_node.value, (*loc, key_node.value)
                if key in seen:
                    self._duplicates.append(self.describe(key_loc, "is declared twice in the same mapping",
                                                          key_node.start_mark.line + 1))
                seen.add(key)
                if not isinstance(value_node, yaml.ScalarNode):  # a scalar's line is its key's
                    self._walk(value_node, key_loc)
                self._lines[key_loc] = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._walk(item, (*loc, index))

    def has(self, loc: tuple[Any, ...]) -> bool:
        """Whether the document itself has this key or item."""
        return loc in self._lines

    def line_of(self, loc: tuple[Any, ...]) -> int:
        while loc and loc not in self._lines:
            loc = loc[:-1]
        return self._lines.get(loc, 1)

    def describe(self, loc: tuple[Any, ...], problem: str, line: int | None = None) -> str:
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".") or "(file)"
        return f"{self.path}:{line or self.line_of(loc)}: {field}: {problem}"
