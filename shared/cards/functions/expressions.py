"""Functions about expressions themselves: stringOrValue (text read as a template string
and evaluated), ignore (its argument's value), and the two names AEL has no evaluator for
(optional, filterNotEqual), which fail wherever the SDK evaluates them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .._parser import CONCAT, CONSTANT, ExpressionSyntaxError, Node, parse_expression
from .._scope import EvalError, Fn, HardError, Scope, ValidationError
from .base import BOOLEAN, OBJECT, STRING, FunctionTable, Spec, order


class _Unreadable:
    """Text that stringOrValue cannot parse: the SDK throws from Expression.parse."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


@lru_cache(maxsize=256)
def _template_string(text: str) -> Fn | _Unreadable:
    """`text` compiled as AEL's Expression.parse('`' + text + '`') would read it; a string
    that is one binding and nothing else (`${x}`) evaluates to that binding's value."""
    # Imported here: the compiler imports this package to build its function table.
    from .._compile import check_tree, compile_node

    try:
        node = parse_expression("`" + text + "`")
        check_tree(node)
    except (ExpressionSyntaxError, ValidationError, RecursionError) as error:
        return _Unreadable(f"stringOrValue cannot parse {text!r}: {error}")
    if node.kind == CONCAT and len(node.children) == 2:
        first, second = node.children
        if first.kind == CONSTANT and first.value == "" and second.kind != CONSTANT:
            node = second
    return compile_node(node, {})


def _string_or_value_build(node: Node, children: list[Fn]) -> Fn:
    (child,) = children

    def run(scope: Scope, subst: bool) -> Any:
        text = child(scope, subst)
        if not isinstance(text, str):
            raise EvalError("Parameter should be a string.")
        compiled = _template_string(text)
        if isinstance(compiled, _Unreadable):
            raise HardError(compiled.message)
        return compiled(scope, subst)

    return run


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
    table["stringOrValue"] = Spec(OBJECT, order([], STRING), _string_or_value_build)
    table["ignore"] = Spec(BOOLEAN, order([], BOOLEAN), _ignore_build)
    table["optional"] = _no_evaluator("optional")
    table["filterNotEqual"] = _no_evaluator("filterNotEqual")
