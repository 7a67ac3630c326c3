"""Functions about expressions themselves: ignore (its argument's value), and the two names
AEL has no evaluator for (optional, filterNotEqual), which fail wherever the SDK evaluates
them. stringOrValue, which compiles text, lives with the compiler (_compile.py).
"""

from __future__ import annotations

from typing import Any

from .._parser import Node
from .._scope import Fn, HardError, Scope
from .base import BOOLEAN, OBJECT, FunctionTable, Spec, order


def _ignore_build(node: Node, children: list[Fn]) -> Fn:
    (child,) = children
    return child


def _no_evaluator(name: str) -> Spec:
    """A function AEL names but the SDK cannot run: constructing the template works, and
    evaluating the call throws (a TypeError for optional, "Unknown function" for
    filterNotEqual), even inside `||` or coalesce; an `if` branch not taken is fine."""

    def build(node: Node, children: list[Fn]) -> Fn:
        def run(scope: Scope, subst: bool) -> Any:
            raise HardError(
                f"{name}() cannot be evaluated: the official SDK has no evaluator for it"
            )

        return run

    return Spec(BOOLEAN if name == "optional" else OBJECT, _VALIDATE[name], build)


def _accept_any(node: Node) -> None:
    """filterNotEqual is in no function table of the SDK, so nothing checks its arguments."""


_VALIDATE = {"optional": order([], BOOLEAN), "filterNotEqual": _accept_any}


def register(table: FunctionTable) -> None:
    """Add this family's functions to `table`."""
    table["ignore"] = Spec(BOOLEAN, order([], BOOLEAN), _ignore_build)
    table["optional"] = _no_evaluator("optional")
    table["filterNotEqual"] = _no_evaluator("filterNotEqual")
