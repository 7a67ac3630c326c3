"""Comparison and logic functions: `== != < <= > >=`, `&& || !`, if, exists, empty and
coalesce, with AEL's rule that a failed argument makes a comparison false.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._js import (
    UNDEFINED,
    JSBytes,
    common_equals,
    is_logic_true,
    is_nullish,
    is_number,
    template_string,
    utf16_key,
)
from .._parser import Node
from .._scope import EvalError, Fn, Scope, Unbound
from .base import (
    BOOLEAN,
    OBJECT,
    FunctionTable,
    Spec,
    arity_any,
    comparison,
    evaluate,
    verify_container_or_null,
    verify_not_null,
)


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[list[Any]], bool]:
    def run(args: list[Any]) -> bool:
        left, right = args
        if is_number(left) and is_number(right):
            return op(left, right)
        if isinstance(left, str) and isinstance(right, str):
            # JavaScript compares strings by UTF-16 code units, not code points.
            return op(utf16_key(left), utf16_key(right))
        raise EvalError(f"{template_string(left)} and {template_string(right)} must be comparable.")

    return run


def _and_build(node: Node, children: list[Fn]) -> Fn:
    def run(scope: Scope, subst: bool) -> Any:
        for child in children:
            try:
                if not is_logic_true(child(scope, False)):
                    return False
            except EvalError:
                return False
        return True

    return run


def _or_build(node: Node, children: list[Fn]) -> Fn:
    def run(scope: Scope, subst: bool) -> Any:
        # AEL's Or never resets its result: with nothing true it is the last value seen.
        result: Any = False
        for child in children:
            try:
                result = child(scope, False)
            except EvalError as error:
                result = error.value
                continue
            if is_logic_true(result):
                return True
        return result

    return run


def _not_build(node: Node, children: list[Fn]) -> Fn:
    (child,) = children

    def run(scope: Scope, subst: bool) -> Any:
        try:
            return not is_logic_true(child(scope, False))
        except EvalError:
            return True

    return run


def _if_build(node: Node, children: list[Fn]) -> Fn:
    condition, when_true, when_false = children

    def run(scope: Scope, subst: bool) -> Any:
        try:
            chosen = when_true if is_logic_true(condition(scope, False)) else when_false
        except EvalError:
            chosen = when_false
        return chosen(scope, subst)

    return run


def _is_empty(args: list[Any]) -> bool:
    value = args[0]
    if is_nullish(value):
        return True
    if isinstance(value, str | list | dict | JSBytes):
        return len(value) == 0
    return False


def _coalesce_build(node: Node, children: list[Fn]) -> Fn:
    def run(scope: Scope, subst: bool) -> Any:
        for value in evaluate(node, children, scope, subst, None):
            if is_nullish(value) or (scope.strict and type(value) is Unbound):
                continue
            return value
        return UNDEFINED

    return run


def register(table: FunctionTable) -> None:
    """Add this family's functions to `table`."""
    table["=="] = Spec(BOOLEAN, arity_any(2, 2), comparison(lambda a: common_equals(a[0], a[1])))
    table["!="] = Spec(
        BOOLEAN, arity_any(2, 2), comparison(lambda a: not common_equals(a[0], a[1]))
    )
    table["<"] = Spec(
        BOOLEAN, arity_any(2, 2), comparison(_compare(lambda a, b: a < b), verify_not_null)
    )
    table["<="] = Spec(
        BOOLEAN, arity_any(2, 2), comparison(_compare(lambda a, b: a <= b), verify_not_null)
    )
    table[">"] = Spec(
        BOOLEAN, arity_any(2, 2), comparison(_compare(lambda a, b: a > b), verify_not_null)
    )
    table[">="] = Spec(
        BOOLEAN, arity_any(2, 2), comparison(_compare(lambda a, b: a >= b), verify_not_null)
    )
    table["&&"] = Spec(BOOLEAN, arity_any(1, 2**53), _and_build)
    table["||"] = Spec(BOOLEAN, arity_any(1, 2**53), _or_build)
    table["!"] = Spec(BOOLEAN, arity_any(1, 1), _not_build)
    table["if"] = Spec(OBJECT, arity_any(3, 3), _if_build)
    table["exists"] = Spec(BOOLEAN, arity_any(1, 1), comparison(lambda a: True, verify_not_null))
    table["empty"] = Spec(BOOLEAN, arity_any(1, 1), comparison(_is_empty, verify_container_or_null))
    table["coalesce"] = Spec(OBJECT, arity_any(1, 2**53), _coalesce_build)
