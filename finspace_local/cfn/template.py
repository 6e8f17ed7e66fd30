"""Templates: loading (JSON or YAML with CloudFormation's short tags), dependencies and
intrinsic functions, resolved the way CloudFormation hands properties to a custom resource."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Resolver", "Template", "load_template", "stringify"]

PSEUDO_PARAMETERS = ("AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::StackId", "AWS::Partition",
                     "AWS::URLSuffix", "AWS::NoValue")
SKIPPED_TYPES = frozenset({"AWS::CDK::Metadata"})


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns ``!Ref x`` into ``{"Ref": "x"}`` and so on."""


def _short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _short_tag)


@dataclass(frozen=True)
class Template:
    body: dict[str, Any]

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.body.get("Resources", {}).items() if v.get("Type") not in SKIPPED_TYPES}

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        params: dict[str, dict[str, Any]] = self.body.get("Parameters", {})
        return params

    @property
    def list_parameters(self) -> frozenset[str]:
        """Parameters whose ``Ref`` is a list: ``CommaDelimitedList`` and ``List<...>`` types."""
        return frozenset(name for name, declared in self.parameters.items()
                         if str(declared.get("Type", "")) == "CommaDelimitedList"
                         or str(declared.get("Type", "")).startswith("List<"))

    def dependencies(self, logical_id: str) -> set[str]:
        """Resources ``logical_id`` depends on: DependsOn, Ref and Fn::GetAtt."""
        resource = self.resources[logical_id]
        depends = resource.get("DependsOn", [])
        found = {depends} if isinstance(depends, str) else set(depends)
        _collect_references(resource.get("Properties", {}), found)
        return {name for name in found if name in self.resources and name != logical_id}


def load_template(source: str | Path | Mapping[str, Any]) -> Template:
    """A template from a dict, a JSON/YAML file path, or JSON/YAML text."""
    if isinstance(source, Mapping):
        return Template(dict(source))
    text = Path(source).read_text(encoding="utf-8") if isinstance(source, Path) or "\n" not in source else source
    text = text.strip()
    body = json.loads(text) if text.startswith("{") else yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - safe loader subclass
    return Template(body)


def _collect_references(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        if "Ref" in node and isinstance(node["Ref"], str):
            found.add(node["Ref"])
        if "Fn::GetAtt" in node:
            target = node["Fn::GetAtt"]
            found.add(target[0] if isinstance(target, list) else str(target).split(".")[0])
        if "Fn::Sub" in node:
            text = node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0]
            found.update(m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text))
        for value in node.values():
            _collect_references(value, found)
    elif isinstance(node, list):
        for item in node:
            _collect_references(item, found)


def stringify(value: Any) -> Any:
    """CloudFormation hands every scalar property to a custom resource as a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        return {k: stringify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [stringify(v) for v in value]
    return value


_NO_VALUE = object()


@dataclass
class Resolver:
    """Resolves intrinsic functions against parameters, resources and exports."""

    parameters: dict[str, str]
    pseudo: dict[str, str]
    physical_ids: dict[str, str]
    attributes: dict[str, dict[str, Any]]
    exports: Callable[[], dict[str, str]]  # read only when an Fn::ImportValue needs them
    list_parameters: frozenset[str] = frozenset()  # their Ref splits the value at commas

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.resolve(item) for item in node) if v is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            function = self._functions().get(key)
            if function is not None:
                return function(arg)
        resolved = {k: self.resolve(v) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}

    def _functions(self) -> dict[str, Any]:
        return {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::ImportValue": lambda arg: self._import(self.resolve(arg)),
            "Fn::Join": lambda arg: str(self.resolve(arg[0])).join(str(v) for v in self.resolve(arg[1])),
            "Fn::Select": self._select,
            "Fn::Sub": self._sub,
        }

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            value = self.parameters[name]
            return value.split(",") if name in self.list_parameters and isinstance(value, str) else value
        if name in self.physical_ids:
            return self.physical_ids[name]
        raise KeyError(f"Unresolved reference {name!r}")

    def _select(self, arg: Any) -> Any:
        """``Fn::Select``; a string (a list parameter's value, where the resolver was not told its type) is
        split at commas, as CloudFormation hands a CommaDelimitedList to it."""
        index, values = int(self.resolve(arg[0])), self.resolve(arg[1])
        if isinstance(values, str):
            values = values.split(",")
        if not 0 <= index < len(values):
            raise KeyError(f"Template error: Fn::Select cannot select nonexistent value at index {index}")
        return values[index]

    def _get_att(self, arg: Any) -> Any:
        logical_id, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
        try:
            return self.attributes[logical_id][self.resolve(attribute)]
        except KeyError as exc:
            raise KeyError(f"Unresolved attribute {logical_id}.{attribute}") from exc

    def _import(self, name: str) -> str:
        exports = self.exports()
        if name not in exports:
            raise KeyError(f"No export named {name}")
        return exports[name]

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def replace(match: re.Match[str]) -> str:
            name = match[1]
            if name in variables:
                return str(variables[name])
            if "." in name:
                return str(self._get_att(name))
            return str(self._ref(name))

        return re.sub(r"\$\{([^!}][^}]*)\}", replace, text)
