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


def _exists_build(node: Node, children: list[Fn]) -> Fn:
    """`comparison(lambda a: True, verify_not_null)` written out: no argument list, no
    exception for a path that finds nothing (most `exists` calls in a condition)."""
    (child,) = children

    def run(scope: Scope, subst: bool) -> Any:
        try:
            value = child(scope, False)
        except EvalError:
            return False
        return not is_nullish(value)

    return run


_CONTAINERS = (str, list, dict, JSBytes)


def _empty_build(node: Node, children: list[Fn]) -> Fn:
    """`comparison(_is_empty, verify_container_or_null)` written out: anything that is no
    container and not null fails the check, which a comparison answers with false."""
    (child,) = children

    def run(scope: Scope, subst: bool) -> Any:
        try:
            value = child(scope, False)
        except EvalError:
            return False
        if is_nullish(value):
            return True
        if isinstance(value, _CONTAINERS):
            return len(value) == 0
        return False

    return run


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
    table["exists"] = Spec(BOOLEAN, arity_any(1, 1), _exists_build)
    table["empty"] = Spec(BOOLEAN, arity_any(1, 1), _empty_build)
    table["coalesce"] = Spec(OBJECT, arity_any(1, 2**53), _coalesce_build)
