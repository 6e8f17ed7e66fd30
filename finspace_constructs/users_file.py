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

A users file comes from a pull request, and CI loads it: no file may exhaust the loader (README:
"The users file"). Anchors and aliases stay allowed (``<<: *base`` merges shared settings,
``*analysts`` repeats a list), but PyYAML builds an alias by reference while everything after it
(the line index, pydantic) walks it as a copy: 388 bytes of nested aliases (a "billion laughs")
stood for 10 million values, 12.5 s and 2.3 GB. So the parser's events are counted first, before
any node is built, each alias as the whole value it repeats (:class:`_Bounds`, which keeps only
the open nesting and the anchors), and the file is refused at the line that passes a limit: :data:`MAX_BYTES`
bytes, :data:`MAX_NODES` values (YAML nodes, aliases expanded), :data:`MAX_DEPTH` levels of
nesting (the format needs 6); an alias inside the very value it names (recursive) is refused at
its line. A file within the limits costs what a plain file of its size costs (at the limits, about
a second and 100 MB). A value its tag cannot make (an integer of 5,000 digits, the 13th month), a
byte that is not UTF-8 and a reused anchor name are errors at their line, never tracebacks; and a
file with thousands of problems lists its first :data:`_LISTED`, found without building the others
(:class:`_Model`).

Emails follow the handler's one rule (:func:`lambda_handler.properties.email_key`): a blank around
an email is refused, the pattern is matched whole, and the duplicate check compares exactly what
the users app's logical ids use.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import gc
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    StrictBool,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails

from .enums import ApiAccess, ApplicationPermission, UserType
from .handler_shared import GROUP_FIELDS, email_key, value_problem
from .provider_identity import PROVIDER_ROLE_PREFIX, names_provider_role

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
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
# What a users file may hold (README: The users file). 200,000 values are some 13,000 users as
# `finspace-users import` writes them (about 15 values each: names, principal, groups), 18,000 as
# benchmarks/synth_per_user.py does, more than one deploy serves (README: Sizing).
MAX_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 10
_LISTED = 100  # problems listed at most; the first ones are found without building the others
_CHUNK = 10  # items of a list validated at a time
_CONTRACT_NAMES = {"email": "EmailAddress", "provider_user": "EmailAddress", "first_name": "FirstName",
                   "last_name": "LastName", "api_access_principal_arn": "ApiAccessPrincipalArn", "reapply": "Reapply"}


class UsersFileError(ValueError):
    """Every problem of a users file, one per line: ``file:line: field: problem``."""


def _checked(field: str, value: str | None) -> str | None:
    problem = None if value is None else value_problem(_CONTRACT_NAMES[field], value)
    if problem:
        raise ValueError(problem)
    return value


class _Model(BaseModel):
    """A model of the file: unknown keys are errors, values are frozen. A wrong file costs what its
    first :data:`_LISTED` problems cost: pydantic would build every problem of a list of 100,000
    wrong entries, or of a mapping of 100,000 unknown keys, each about 1 KB and tens of
    microseconds, before the first one could be listed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="wrap")
    @classmethod
    def _few_unknown_keys(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        if isinstance(data, dict) and len(data) > _LISTED:  # (model_fields alone takes microseconds)
            known = cls.model_fields
            unknown = set(itertools.islice((key for key in data if key not in known), _LISTED))
            data = {key: value for key, value in data.items() if key in known or key in unknown}
        return handler(data)

    @field_validator("environments", "users", "permission_groups", "application_permissions", mode="wrap",
                     check_fields=False)
    @classmethod
    def _few_item_problems(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """A list validated :data:`_CHUNK` items at a time, up to its first :data:`_LISTED` problems."""
        if not isinstance(value, list) or len(value) <= _CHUNK:
            return handler(value)
        items: list[Any] = []
        problems: list[InitErrorDetails] = []
        for start in range(0, len(value), _CHUNK):
            try:
                items += handler(value[start:start + _CHUNK])
            except ValidationError as error:
                problems += [_shifted(problem, start) for problem in error.errors(include_url=False)]
                if len(problems) >= _LISTED:
                    break
        if problems:
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return items


def _shifted(problem: Any, start: int) -> InitErrorDetails:
    """A problem of a list's chunk, placed in the whole list."""
    loc = tuple(problem["loc"])
    details = InitErrorDetails(type=problem["type"], loc=(loc[0] + start, *loc[1:]) if loc else loc,
                               input=problem["input"])
    if "ctx" in problem:
        details["ctx"] = problem["ctx"]
    return details


class UserDefaults(_Model):
    """Settings shared by users; a user's own value wins, then its environment's defaults."""

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


class GroupEntry(_Model):
    """One FinSpace permission group."""

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


class Environment(_Model):
    """A FinSpace environment, its permission groups and its users."""

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


class UsersFile(_Model):
    """The whole file: ``environment`` + ``users``, or ``environments``."""

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
        """The provider's user in ``environment`` (its own setting wins), as its :func:`email_key`."""
        email = environment.provider_user or self.provider_user
        return email_key(email) if email else None


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
    text = _read(path)
    with _collector_paused():
        return _declaration(path, text, provider_role_prefix)


def _read(path: Path) -> str:
    """The file's text: at most :data:`MAX_BYTES` are read, whatever the file (``/dev/zero`` too)."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as error:
        raise UsersFileError(f"{path}: cannot read the users file ({error.strerror})") from error
    if len(data) > MAX_BYTES:
        line = data.count(b"\n", 0, MAX_BYTES) + 1
        raise UsersFileError(f"{path}:{line}: the file passes {MAX_BYTES // 2**20} MiB here, the most a users file "
                             "may hold: split it into several files, one users stack each (README: The users file)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise UsersFileError(f"{path}:{line}: not UTF-8 text (byte {error.start + 1} of the file): save it as "
                             "UTF-8") from None


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
        found = [lines.describe(e["loc"], _message(e)) for e in error.errors(include_url=False)]
        raise UsersFileError(_listing(path, found, more=error.error_count() >= _LISTED)) from None
    problems: list[str] = []
    groups = _resolve_groups(parsed, lines, problems)
    placed = _resolve(parsed, lines, problems, {(g.environment_id, g.name) for g in groups})
    guard = _ProviderGuard(parsed, lines, groups, provider_role_prefix)
    for user, loc in placed:
        problems += guard.problems(user, loc)
    if problems:
        raise UsersFileError(_listing(path, problems))
    provider_users = {e.id: email for e in parsed.all_environments() if (email := parsed.provider_user_of(e))}
    return Declaration([user for user, _loc in placed], groups, bool(parsed.reenable_requires_adopt), provider_users)


def _listing(path: Path, problems: list[str], *, more: bool = False) -> str:
    """The problems, one a line, the first :data:`_LISTED` of them."""
    shown = problems[:_LISTED]
    if more or len(problems) > _LISTED:
        shown.append(f"{path}: these are the first problems of the file, which may hold more: fix them and load "
                     "it again")
    return "\n".join(shown)


def _known_keys() -> list[str]:
    """Every key the file's models accept, for "did you mean" (an unknown key is most often a typo)."""
    models, keys = list(_Model.__subclasses__()), set[str]()
    while models:
        model = models.pop()
        models.extend(model.__subclasses__())
        keys.update(field.alias or name for name, field in model.model_fields.items())
    return sorted(keys)


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(error["loc"][-1]), _known_keys(), n=1, cutoff=0.6)
        return f"unknown key: did you mean {close[0]}?" if close else "unknown key: remove it or fix its spelling"
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
            key = (environment.id, email_key(user.email))
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
                problems.append(lines.describe(where, f"names group(s) not declared in this environment's "
                                                      f"permission_groups ({', '.join(unknown)}); declare them or "
                                                      "fix the name"))
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
        return (email_key(user.email) == self.emails.get(user.environment_id)
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


class _Bounds:
    """The parser's events counted before any node is built, each alias as the whole value it repeats:
    nothing is built for an alias here, so a billion laughs costs what its few hundred bytes cost.
    A limit passed is a :class:`UsersFileError` at the line of the event that passes it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.values = 0  # values so far, aliases expanded: a mapping's or list's own are those counted while open
        self.open: list[list[Any]] = []  # each open mapping or list: [anchor, values before it, levels]
        self.anchors: dict[str, tuple[int, int]] = {}  # each anchor's values and levels of nesting
        self.lines: dict[str, int] = {}  # where each anchor is defined

    def check(self, text: str) -> None:
        parser = SAFE_LOADER(text)  # the events only: no node, no value
        try:
            while (event := parser.get_event()) is not None:
                if type(event) is yaml.ScalarEvent and event.anchor is None:  # most events: only counted
                    self.values += 1
                    if self.values > MAX_NODES:
                        self._too_many(event)
                else:
                    self._see(event)
        finally:
            parser.dispose()

    def _see(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.AliasEvent):
            self._alias(event)
        elif isinstance(event, yaml.ScalarEvent):  # with an anchor
            self._define(event)
            self.values += 1
            self.anchors[str(event.anchor)] = (1, 0)
            if self.values > MAX_NODES:
                self._too_many(event)
        elif isinstance(event, yaml.CollectionStartEvent):
            if len(self.open) >= MAX_DEPTH:
                self._refuse(event, f"nests more than {MAX_DEPTH} levels deep here (the format needs 6): check its "
                                    "indentation")
            self._define(event)
            self.open.append([event.anchor, self.values, 1])
            self.values += 1
            if self.values > MAX_NODES:
                self._too_many(event)
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, before, levels = self.open.pop()
            if anchor is not None:
                self.anchors[anchor] = (self.values - before, levels)
            self._nested(levels)

    def _alias(self, event: yaml.AliasEvent) -> None:
        if any(frame[0] == event.anchor for frame in self.open):
            self._refuse(event, "this alias stands inside the value it names (a recursive alias), which never "
                                "ends: write the value out")
        values, levels = self.anchors.get(str(event.anchor), (1, 0))  # an undefined one: the composer says so
        if len(self.open) + levels > MAX_DEPTH:
            self._refuse(event, f"this alias nests its value more than {MAX_DEPTH} levels deep (the format needs 6)")
        if self.values + values > MAX_NODES:
            self._refuse(event, f"this alias repeats {values:,} values, which takes the file past {MAX_NODES:,} "
                                "values (YAML nodes, each alias counted as the value it repeats), the most a "
                                "users file may hold: write fewer aliases (README: The users file)")
        self.values += values
        self._nested(levels)

    def _nested(self, levels: int) -> None:
        """A value of ``levels`` levels (an alias's, or a mapping's or list's just closed) in the open one."""
        if self.open and levels + 1 > self.open[-1][2]:
            self.open[-1][2] = levels + 1

    def _define(self, event: yaml.NodeEvent) -> None:
        if event.anchor is None:
            return
        if event.anchor in self.lines:
            self._refuse(event, f"this anchor's name is already defined at line {self.lines[event.anchor]}: rename "
                                "one")
        self.lines[event.anchor] = _line(event)

    def _too_many(self, event: yaml.Event) -> None:
        self._refuse(event, f"the file passes {MAX_NODES:,} values (YAML nodes) here, the most a users file may hold: "
                            "split it into several files, one users stack each (README: The users file)")

    def _refuse(self, event: yaml.Event, problem: str) -> None:
        raise UsersFileError(f"{self.path}:{_line(event)}: {problem}")


def _line(event: yaml.Event) -> int:
    return event.start_mark.line + 1 if event.start_mark else 1


class _ValueMarks(yaml.constructor.SafeConstructor):
    """Mixed into the loader: a value its tag cannot make (an integer of 5,000 digits, the 13th month,
    ``!!bool maybe``) is a YAML error at its line, never a traceback; the value itself is not shown."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ArithmeticError, AttributeError, LookupError, TypeError, ValueError):  # !!bool maybe, !!timestamp x
            kind = str(node.tag).removeprefix("tag:yaml.org,2002:")
            raise yaml.constructor.ConstructorError(
                None, None, f"this value cannot be read as a YAML {kind}: quote it to make it text",
                node.start_mark) from None


_LOADERS: dict[type, Any] = {}


def _loader_class(base: type) -> Any:
    """:data:`SAFE_LOADER` with :class:`_ValueMarks` (one class per base)."""
    if base not in _LOADERS:
        _LOADERS[base] = type("UsersFileLoader", (_ValueMarks, base), {})
    return _LOADERS[base]


def _parse(path: Path, text: str) -> tuple[yaml.Node | None, Any]:
    """The document parsed once within the limits (:class:`_Bounds`): its node tree (the lines) and
    the data built from that tree."""
    _Bounds(path).check(text)
    loader = _loader_class(SAFE_LOADER)(text)
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
            node, self.data = _parse(path, text)
        except yaml.reader.ReaderError as error:  # a character YAML does not allow: no mark, a position
            at = text.count("\n", 0, error.position) + 1
            raise UsersFileError(f"{path}:{at}: not valid YAML (character #x{error.character:04x} is not "
                                 "allowed)") from None
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = f"{mark.line + 1}" if mark else "?"
            raise UsersFileError(f"{path}:{line}: not valid YAML ({getattr(error, 'problem', error)})") from None
        if node is not None:
            self._walk(node, ())
        if self._duplicates:
            raise UsersFileError(_listing(path, self._duplicates))
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
