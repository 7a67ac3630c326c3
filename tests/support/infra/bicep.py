"""Reading the Bicep in infra/ through pycep-parser, the parser checkov uses.

pycep turns a Bicep file into a JSON-like tree: `parameters`, `variables`, `resources`, `modules`,
`outputs`, each keyed by symbolic name. Literal strings and identifiers both come out as plain
strings, and interpolated strings keep their `${...}` text. The helpers here resolve just enough of
that tree to answer what the tests ask: which app settings the function app gets, which resources
exist, and with which properties.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pycep import BicepParser

from tests.support.paths import ROOT

REPO = ROOT
INFRA = REPO / "infra"
MAIN = "main.bicep"
FUNCTION_MODULE = "app/function.bicep"

Tree = dict[str, Any]

_INTERPOLATION = re.compile(r"\$\{[^}]*\}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class BicepResolveError(ValueError):
    """An expression the settings resolver does not understand: fail rather than guess."""


def bicep_files(root: Path = INFRA) -> list[Path]:
    return sorted(root.rglob("*.bicep"))


@functools.cache
def _parser() -> BicepParser:
    # Building the grammar takes about a second: once per process.
    return BicepParser()


def parse(path: Path) -> Tree:
    """Parse one file; pycep raises (lark errors, ValueError) on anything its grammar lacks."""
    tree: Tree = dict(_parser().parse(file_path=path))
    return tree


@functools.cache
def _parse_tree(root: Path) -> dict[str, Tree]:
    return {path.relative_to(root).as_posix(): parse(path) for path in bicep_files(root)}


def parse_infra(root: Path = INFRA) -> dict[str, Tree]:
    """Every .bicep file under `root`, keyed by its relative path (`app/function.bicep`)."""
    return _parse_tree(root.resolve())


def decorators(declaration: Mapping[str, Any]) -> dict[str, Any]:
    """A declaration's decorators as {type: argument}; `@secure()` appears as {"secure": None}."""
    return {item["type"]: item.get("argument") for item in declaration.get("decorators", [])}


def resource_body(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The object of a resource, inside any loop or condition wrapper."""
    config: dict[str, Any] = resource["config"]
    while "config" in config and ("loop_type" in config or "condition" in config):
        config = config["config"]
    return config


def resources_of_type(tree: Tree, resource_type: str) -> dict[str, dict[str, Any]]:
    """Resources declared (not `existing`) in one file with this type, by symbolic name."""
    return {
        name: resource
        for name, resource in tree.get("resources", {}).items()
        if resource["type"] == resource_type and not resource["existing"]
    }


def all_resources(infra: Mapping[str, Tree]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(file, symbolic name, resource) for every resource declared in any file."""
    for file, tree in infra.items():
        for name, resource in tree.get("resources", {}).items():
            if not resource["existing"]:
                yield file, name, resource


def module_call(tree: Tree, path: str) -> dict[str, Any]:
    """The `module` declaration in `tree` that deploys the local file `path`."""
    for module in tree.get("modules", {}).values():
        if module["type"] == "local" and module["detail"]["path"] == path:
            config: dict[str, Any] = module["config"]
            return config
    raise BicepResolveError(f"no module deploys {path}")


def accessor_path(value: Any) -> list[str]:
    """`a.b.c` (a nested property_accessor) as ["a", "b", "c"]; a bare identifier as [it]."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and value.get("operator", {}).get("type") == "property_accessor":
        operands = value["operator"]["operands"]
        return [*accessor_path(operands["operand_1"]), *accessor_path(operands["operand_2"])]
    raise BicepResolveError(f"not a property access: {value!r}")


def as_pattern(text: str) -> str:
    """A setting name with its interpolations replaced by `<NAME>` (`TEAMS_WEBHOOK_<NAME>`)."""
    return _INTERPOLATION.sub("<NAME>", text)


@dataclass
class _Scope:
    """One file's names, and for a module the parameter values its caller passes."""

    tree: Tree
    caller: _Scope | None = None
    passed: Mapping[str, Any] = field(default_factory=dict)
    loop_items: Mapping[str, list[str]] = field(default_factory=dict)

    def with_loop(self, item: str, values: list[str]) -> _Scope:
        return _Scope(self.tree, self.caller, self.passed, {**self.loop_items, item: values})

    def is_name(self, text: str) -> bool:
        return _IDENTIFIER.fullmatch(text) is not None and (
            text in self.loop_items
            or text in self.tree.get("variables", {})
            or text in self.tree.get("parameters", {})
        )

    def lookup(self, name: str) -> tuple[Any, _Scope]:
        """The expression a variable or module parameter stands for, and the scope to read it in."""
        variables = self.tree.get("variables", {})
        if name in variables:
            return variables[name]["value"], _Scope(self.tree, self.caller, self.passed)
        if name in self.tree.get("parameters", {}) and self.caller is not None:
            if name not in self.passed:
                raise BicepResolveError(f"module parameter {name} is not passed by its caller")
            return self.passed[name], self.caller
        raise BicepResolveError(f"{name} is neither a variable nor a parameter passed in")


def _setting_names(expr: Any, scope: _Scope) -> set[str]:
    """Names of the {name, value} entries an app-settings array expression can produce."""
    if isinstance(expr, list):
        names: set[str] = set()
        for element in expr:
            if isinstance(element, dict) and "name" in element and "value" in element:
                names |= _name_values(element["name"], scope)
            else:
                names |= _setting_names(element, scope)
        return names
    if isinstance(expr, str) and scope.is_name(expr):
        value, value_scope = scope.lookup(expr)
        return _setting_names(value, value_scope)
    if isinstance(expr, dict) and "function" in expr:
        function = expr["function"]
        if function["type"] in ("concat", "flatten"):
            names = set()
            for argument in function["parameters"].values():
                names |= _setting_names(argument, scope)
            return names
        raise BicepResolveError(f"function {function['type']} in app settings")
    if isinstance(expr, dict) and expr.get("operator", {}).get("type") == "conditional":
        operands = expr["operator"]["operands"]
        # Either branch may be deployed: both count as settings the Bicep can set.
        return _setting_names(operands["true_value"], scope) | _setting_names(
            operands["false_value"], scope
        )
    if isinstance(expr, dict) and "loop_type" in expr:
        loop = expr["loop_type"]
        detail = loop["detail"]
        if loop["type"] == "object":
            # `for x in items(obj)`: names come from x.key, which is open-ended: a pattern.
            body_scope = scope.with_loop(detail["item_name"], [])
        elif loop["type"] == "array":
            values, _ = scope.lookup(detail["array_name"])
            if not (isinstance(values, list) and all(isinstance(v, str) for v in values)):
                raise BicepResolveError(f"loop over {detail['array_name']}: not a literal list")
            body_scope = scope.with_loop(detail["item_name"], values)
        else:
            raise BicepResolveError(f"loop of type {loop['type']} in app settings")
        return _setting_names([expr["config"]], body_scope)
    raise BicepResolveError(f"cannot tell which settings {expr!r} produces")


def _name_values(name: Any, scope: _Scope) -> set[str]:
    if not isinstance(name, str):
        raise BicepResolveError(f"setting name is an expression: {name!r}")
    if name in scope.loop_items:
        return set(scope.loop_items[name])
    if scope.is_name(name):
        value, value_scope = scope.lookup(name)
        return _name_values(value, value_scope)
    return {as_pattern(name)}


def site_app_settings(infra: Mapping[str, Tree]) -> set[str]:
    """Every app setting name the function app can be deployed with; dynamic ones as patterns.

    Follows `siteConfig.appSettings` of the Microsoft.Web/sites resource through variables, concat,
    flatten, conditionals and loops, and from app/function.bicep's parameters to what main.bicep
    passes. Anything else raises BicepResolveError, so a new construct cannot hide a setting.
    """
    main = infra[MAIN]
    function = infra[FUNCTION_MODULE]
    sites = resources_of_type(function, "Microsoft.Web/sites")
    if len(sites) != 1:
        raise BicepResolveError(f"expected one Microsoft.Web/sites in {FUNCTION_MODULE}")
    (site,) = sites.values()
    expr = resource_body(site)["properties"]["siteConfig"]["appSettings"]
    main_scope = _Scope(main)
    call = module_call(main, FUNCTION_MODULE)
    return _setting_names(expr, _Scope(function, main_scope, call["params"]))
