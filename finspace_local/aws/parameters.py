"""Parameter Store's rules, as SSM enforces them, and its parameters kept in a JSON file.

Names: 1-2048 characters by the model, at most 1011 counting the ARN before them, letters, digits and
``_.-``, ``/`` between the levels of a hierarchy (at most 15) that then starts with ``/``, never
beginning with ``aws`` or ``ssm`` (any case). Values: not empty, 4 KB (Standard) or 8 KB (Advanced)
counted in UTF-8 bytes, no ``{{...}}``. A parameter keeps its type, and an Advanced one cannot go
back to Standard; every overwrite makes a new version (the 100 newest are kept).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from .endpoint import AwsError

__all__ = ["MAX_VERSIONS", "ParameterStore", "ParameterVersion"]

TYPES = ("String", "StringList", "SecureString")
TIERS = ("Standard", "Advanced", "Intelligent-Tiering")
DATA_TYPES = ("text", "aws:ec2:image", "aws:ssm:integration")
VALUE_LIMITS = {"Standard": 4096, "Advanced": 8192}
MAX_NAME = 2048
MAX_NAME_WITH_ARN = 1011
MAX_LEVELS = 15
MAX_VERSIONS = 100
DEFAULT_KEY = "alias/aws/ssm"
_NAME = re.compile(r"/?[a-zA-Z0-9_.\-]+(/[a-zA-Z0-9_.\-]+)*")
BAD_NAME = ('Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can '
            "consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers "
            "and the following 3 symbols .-_")


@dataclass(frozen=True)
class ParameterVersion:
    name: str
    value: str
    type: str
    tier: str
    version: int
    modified_at: float
    description: str = ""
    allowed_pattern: str = ""
    data_type: str = "text"
    key_id: str = ""


class ParameterStore:
    """One account's parameters in one region; ``path``: the JSON file that keeps them (``None``: memory)."""

    def __init__(self, path: Path | None, *, region: str, account: str) -> None:
        self.path, self.region, self.account = path, region, account
        self._lock = threading.Lock()
        self._history: dict[str, list[ParameterVersion]] = self._load()

    def arn(self, name: str) -> str:
        return f"arn:aws:ssm:{self.region}:{self.account}:parameter/{name.lstrip('/')}"

    # --- operations ---------------------------------------------------------------------
    def put(self, request: Mapping[str, Any]) -> ParameterVersion:
        name = self.checked_name(str(request["Name"]).strip(" "), creating=True)
        value = str(request["Value"])
        with self._lock:
            versions = self._history.get(name, [])
            latest = versions[-1] if versions else None
            if latest is not None and not request.get("Overwrite"):
                raise AwsError("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set "
                                                         "the overwrite option in the request to true.")
            if latest is not None and request.get("Tags"):
                raise AwsError("ValidationException", "Invalid request: tags and overwrite can't be used together. "
                               "To create a parameter with tags, please remove overwrite flag. To update tags for an "
                               "existing parameter, please use AddTagsToResource API.")
            made = _new_version(name, value, request, latest)
            self._history[name] = [*versions, made][-MAX_VERSIONS:]
            self._save()
        return made

    def get(self, name: str) -> tuple[ParameterVersion, str]:
        """The version ``name`` (``name:version`` for an older one) selects, and the selector."""
        bare, colon, selector = name.partition(":")
        bare = self.checked_name(bare)
        with self._lock:
            versions = list(self._history.get(bare, []))
        if not versions:
            raise AwsError("ParameterNotFound", "")
        if not colon:
            return versions[-1], ""
        found = [v for v in versions if selector.isdigit() and v.version == int(selector)]
        if not found:
            raise AwsError("ParameterVersionNotFound", f"Systems Manager could not find version {selector} of "
                                                       f"{bare}. Verify the version and try again.")
        return found[0], f":{selector}"

    def delete(self, name: str) -> None:
        name = self.checked_name(name)
        with self._lock:
            if self._history.pop(name, None) is None:
                raise AwsError("ParameterNotFound", "")
            self._save()

    def values(self) -> dict[str, str]:
        """Every parameter's current value, by name."""
        with self._lock:
            return {name: versions[-1].value for name, versions in sorted(self._history.items())}

    # --- rules ---------------------------------------------------------------------------
    def checked_name(self, name: str, *, creating: bool = False) -> str:
        _length("name", name, 1, MAX_NAME)
        if "/" in name and not name.startswith("/"):
            raise AwsError("ValidationException", "Parameter name must be a fully qualified name.")
        if not _NAME.fullmatch(name):
            raise AwsError("ValidationException", BAD_NAME)
        levels = name.lstrip("/").split("/")
        if creating and levels[0].lower().startswith(("aws", "ssm")):
            raise AwsError("ValidationException", BAD_NAME)
        if len(levels) > MAX_LEVELS:
            raise AwsError("HierarchyLevelLimitExceededException", f"A hierarchy can have a maximum of {MAX_LEVELS} "
                           "levels. For more information, see Requirements and constraints for parameter names.")
        if creating and len(self.arn(name)) > MAX_NAME_WITH_ARN:
            raise AwsError("ValidationException", f"Parameter name: the name with the ARN before it "
                           f"({self.arn('')}) can be at most {MAX_NAME_WITH_ARN} characters long.")
        return name

    # --- the file ------------------------------------------------------------------------
    def _load(self) -> dict[str, list[ParameterVersion]]:
        if self.path is None or not self.path.exists():
            return {}
        raw: dict[str, list[dict[str, Any]]] = json.loads(self.path.read_text())
        return {name: [ParameterVersion(**v) for v in versions] for name, versions in raw.items()}

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({n: [asdict(v) for v in vs] for n, vs in self._history.items()}, indent=1))
        tmp.replace(self.path)


def _new_version(name: str, value: str, request: Mapping[str, Any],
                 latest: ParameterVersion | None) -> ParameterVersion:
    """The version ``request`` makes of the parameter whose newest version is ``latest``."""
    kind = _kind(request, latest)
    key_id = _key_id(request, kind, latest)
    pattern = _pattern(request, latest)
    _check_value(value, pattern)
    tier = _tier(request, value, latest)
    description = str(request.get("Description", latest.description if latest else ""))
    _length("description", description, 0, 1024)
    data_type = str(request.get("DataType") or (latest.data_type if latest else "text"))
    if data_type not in DATA_TYPES:
        raise AwsError("ValidationException", f"The following data type is not supported: {data_type} "
                                              "(Data type names are all lowercase.)")
    fresh = ParameterVersion(name, value, kind, tier, 1, time.time(), description, pattern, data_type, key_id)
    return replace(fresh, version=latest.version + 1) if latest else fresh


def _kind(request: Mapping[str, Any], latest: ParameterVersion | None) -> str:
    kind = request.get("Type")
    if kind is None:
        if latest is None:
            raise AwsError("ValidationException", "A parameter type is required when you create a parameter.")
        return latest.type
    _enum("type", str(kind), TYPES)
    if latest is not None and kind != latest.type:
        raise AwsError("HierarchyTypeMismatchException", "The parameter type specified does not match the existing "
                       f"parameter type ({latest.type}). You must create a new, unique parameter.")
    return str(kind)


def _key_id(request: Mapping[str, Any], kind: str, latest: ParameterVersion | None) -> str:
    """No KMS here: only the account's default key for Parameter Store exists."""
    key_id = request.get("KeyId")
    if key_id is None:
        return (latest.key_id if latest else "") or (DEFAULT_KEY if kind == "SecureString" else "")
    if kind != "SecureString":
        raise AwsError("ValidationException", "KeyId can be specified only for a SecureString parameter.")
    if key_id != DEFAULT_KEY:
        raise AwsError("InvalidKeyId", f"Key {key_id} not found (only {DEFAULT_KEY} exists here).")
    return DEFAULT_KEY


def _pattern(request: Mapping[str, Any], latest: ParameterVersion | None) -> str:
    pattern = str(request.get("AllowedPattern", latest.allowed_pattern if latest else ""))
    _length("allowedPattern", pattern, 0, 1024)
    try:
        re.compile(pattern)
    except re.error as error:
        raise AwsError("InvalidAllowedPatternException", f"The allowed pattern is not valid: {error}") from None
    return pattern


def _check_value(value: str, pattern: str) -> None:
    if not value:
        raise AwsError("ValidationException", "1 validation error detected: Value at 'value' failed to satisfy "
                                              "constraint: Member must have length greater than or equal to 1")
    if re.search(r"\{\{.*\}\}", value):
        raise AwsError("ValidationException", 'Parameter value can\'t nest another parameter. Do not use "{{}}" in '
                                              "the value.")
    if pattern and re.fullmatch(pattern, value) is None:
        raise AwsError("ParameterPatternMismatchException", f"Parameter value, cannot be validated against "
                                                            f"allowedPattern: {pattern}")


def _tier(request: Mapping[str, Any], value: str, latest: ParameterVersion | None) -> str:
    """The tier asked for (none: the parameter's own, else Standard); Intelligent-Tiering picks the
    smallest that fits. The value must fit the tier, which never goes from Advanced to Standard."""
    size = len(value.encode())
    asked = request.get("Tier")
    if asked is None:
        tier = latest.tier if latest else "Standard"
    else:
        _enum("tier", str(asked), TIERS)
        tier = str(asked)
    if tier == "Intelligent-Tiering":
        tier = "Standard" if size <= VALUE_LIMITS["Standard"] and not request.get("Policies") else "Advanced"
    if latest is not None and latest.tier == "Advanced" and tier == "Standard":
        raise AwsError("ValidationException", "This parameter uses the advanced-parameter tier. You can't downgrade a "
                       "parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you "
                       "can delete the advanced parameter and recreate it as a standard parameter.")
    if tier == "Standard" and request.get("Policies"):
        raise AwsError("ValidationException", "Parameter policies can only be attached to advanced parameters.")
    if size > VALUE_LIMITS[tier]:
        advice = (" To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier."
                  if tier == "Standard" else "")
        raise AwsError("ValidationException", f"{tier} tier parameters support a maximum parameter value of "
                                              f"{VALUE_LIMITS[tier]} characters.{advice}")
    return tier


def _length(member: str, value: str, low: int, high: int) -> None:
    if not low <= len(value) <= high:
        bound = f"greater than or equal to {low}" if len(value) < low else f"less than or equal to {high}"
        raise AwsError("ValidationException", f"1 validation error detected: Value '{value[:64]}' at '{member}' "
                                              f"failed to satisfy constraint: Member must have length {bound}")


def _enum(member: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise AwsError("ValidationException", f"1 validation error detected: Value '{value}' at '{member}' failed to "
                                              f"satisfy constraint: Member must satisfy enum value set: "
                                              f"[{', '.join(allowed)}]")
