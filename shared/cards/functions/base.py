"""The pieces every function family is built from: AEL's return-type flags, the `Spec` a
function is registered with, the registry, and AEL's FunctionUtils (parse-time checks
`arity_any`/`order`, argument checks `verify_*`, evaluators `apply`/`sequence`/`comparison`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .._js import (
    UNDEFINED,
    JSBytes,
    JSTypeError,
    is_integer,
    is_nullish,
    is_number,
    template_string,
)
from .._parser import ACCESSOR, CONSTANT, ELEMENT, PATH, Node, render
from .._scope import EvalError, Fn, Scope, ValidationError

# AEL ReturnType flags.
BOOLEAN: Final = 1

NUMBER: Final = 2

OBJECT: Final = 4

STRING: Final = 8

ARRAY: Final = 16


@dataclass(frozen=True, slots=True)
class Spec:
    """A function AEL knows: its return type, its parse-time check and its evaluator."""

    returns: int
    validate: Callable[[Node], None]
    build: Callable[[Node, list[Fn]], Fn]


FunctionTable = dict[str, Spec]

# The registry: filled by the family modules' `register` (see functions/__init__.py).
FUNCTIONS: Final[FunctionTable] = {}


def return_type(node: Node) -> int:
    if node.kind == CONSTANT:
        value = node.value
        if isinstance(value, str):
            return STRING
        if isinstance(value, bool):
            return BOOLEAN
        if is_number(value):
            return NUMBER
        if isinstance(value, list):
            return ARRAY
        return OBJECT
    if node.kind in (ACCESSOR, ELEMENT, PATH):
        return OBJECT
    spec = FUNCTIONS.get(node.kind)
    return spec.returns if spec else STRING


def check_arity(node: Node, low: int, high: int) -> None:
    count = len(node.children)
    if count < low:
        raise ValidationError(f"{render(node)} should have at least {low} children.")
    if count > high:
        raise ValidationError(f"{render(node)} can't have more than {high} children.")


def _type_error(node: Node, child: Node) -> ValidationError:
    return ValidationError(f"{render(child)} has the wrong type in {render(node)}.")


def arity_any(low: int, high: int, kind: int = OBJECT) -> Callable[[Node], None]:
    def validate(node: Node) -> None:
        if not low <= len(node.children) <= high:
            check_arity(node, low, high)
        if kind & OBJECT == 0:
            for child in node.children:
                child_type = return_type(child)
                if child_type & OBJECT == 0 and kind & child_type == 0:
                    raise _type_error(node, child)

    return validate


def order(optional: Sequence[int], *kinds: int) -> Callable[[Node], None]:
    expected = [*kinds, *optional]

    def validate(node: Node) -> None:
        count = len(node.children)
        if count < len(kinds) or count > len(expected):
            raise ValidationError(f"{render(node)} has the wrong number of arguments.")
        for child, kind in zip(node.children, expected, strict=False):
            child_type = return_type(child)
            if kind & OBJECT == 0 and child_type & OBJECT == 0 and kind & child_type == 0:
                raise _type_error(node, child)

    return validate


Verify = Callable[[Any, Node], "str | None"]


def evaluate(
    node: Node, children: list[Fn], scope: Scope, subst: bool, verify: Verify | None
) -> list[Any]:
    if verify is None:
        return [child(scope, subst) for child in children]
    args = []
    for child_node, child in zip(node.children, children):  # noqa: B905 (same length)
        value = child(scope, subst)
        if verify is not None:
            problem = verify(value, child_node)
            if problem:
                raise EvalError(problem)
        args.append(value)
    return args


def apply(func: Callable[[list[Any]], Any], verify: Verify | None = None) -> Callable[..., Fn]:
    """Evaluate every argument (with the caller's substitution), check each, then call."""

    def build(node: Node, children: list[Fn]) -> Fn:
        if len(children) == 1:
            # Most calls have one argument (`string(x)`, `exists(x)`): no loop, no zip.
            (child,) = children
            (child_node,) = node.children

            def run_one(scope: Scope, subst: bool) -> Any:
                value = child(scope, subst)
                if verify is not None:
                    problem = verify(value, child_node)
                    if problem:
                        raise EvalError(problem)
                try:
                    return func([value])
                except (JSTypeError, TypeError, ValueError, ArithmeticError) as error:
                    raise EvalError(str(error)) from None

            return run_one

        def run(scope: Scope, subst: bool) -> Any:
            args = evaluate(node, children, scope, subst, verify)
            try:
                return func(args)
            except (JSTypeError, TypeError, ValueError, ArithmeticError) as error:
                raise EvalError(str(error)) from None

        return run

    return build


def sequence(func: Callable[[Any, Any], Any], verify: Verify | None = None) -> Callable[..., Fn]:
    def fold(args: list[Any]) -> Any:
        result = args[0]
        for item in args[1:]:
            result = func(result, item)
        return result

    return apply(fold, verify)


def comparison(
    func: Callable[[list[Any]], bool], verify: Verify | None = None
) -> Callable[..., Fn]:
    """AEL's ComparisonEvaluator: no substitution, and argument errors mean false."""

    def build(node: Node, children: list[Fn]) -> Fn:
        if len(children) in (1, 2):
            return _comparison_of_few(node, children, func, verify)

        def run(scope: Scope, subst: bool) -> Any:
            try:
                args = evaluate(node, children, scope, False, verify)
            except EvalError:
                return False
            try:
                return func(args)
            except EvalError as error:
                raise EvalError(str(error), False) from None
            except (JSTypeError, TypeError, ValueError) as error:
                raise EvalError(str(error), False) from None

        return run

    return build


def _comparison_of_few(
    node: Node, children: list[Fn], func: Callable[[list[Any]], bool], verify: Verify | None
) -> Fn:
    """`comparison` for one or two arguments (`exists(x)`, `a == b`), without the loop."""
    first, *rest = children
    first_node = node.children[0]
    second = rest[0] if rest else None
    second_node = node.children[1] if rest else first_node

    def run(scope: Scope, subst: bool) -> Any:
        try:
            a = first(scope, False)
            if verify is not None and verify(a, first_node):
                return False
            if second is None:
                args = [a]
            else:
                b = second(scope, False)
                if verify is not None and verify(b, second_node):
                    return False
                args = [a, b]
        except EvalError:
            return False
        try:
            return func(args)
        except EvalError as error:
            raise EvalError(str(error), False) from None
        except (JSTypeError, TypeError, ValueError) as error:
            raise EvalError(str(error), False) from None

    return run


def verify_number(value: Any, node: Node) -> str | None:
    return None if is_number(value) else f"{render(node)} is not a number."


def verify_integer(value: Any, node: Node) -> str | None:
    return None if is_integer(value) else f"{render(node)} is not a integer."


def verify_not_null(value: Any, node: Node) -> str | None:
    return f"{render(node)} is null." if is_nullish(value) else None


def verify_string_or_null(value: Any, node: Node) -> str | None:
    if isinstance(value, str) or value is UNDEFINED:
        return None
    return f"{render(node)} is neither a string nor a null object."


def verify_number_string_or_null(value: Any, node: Node) -> str | None:
    if isinstance(value, str) or value is UNDEFINED or is_number(value):
        return None
    return f"{render(node)} is neither a number nor string"


def verify_container(value: Any, node: Node) -> str | None:
    if isinstance(value, str | list | dict | JSBytes):
        return None
    return f"{render(node)} must be a string, list, map or object."


def verify_container_or_null(value: Any, node: Node) -> str | None:
    if is_nullish(value) or isinstance(value, str | list | dict | JSBytes):
        return None
    return f"{render(node)} must be a string, list, map or object."


def verify_numeric_list(value: Any, node: Node) -> str | None:
    if not isinstance(value, list):
        return f"{render(node)} is not a list."
    for item in value:
        if not is_number(item):
            return f"{template_string(item)} is not a number in {render(node)}."
    return None


def verify_number_or_numeric_list(value: Any, node: Node) -> str | None:
    if is_number(value):
        return None
    if not isinstance(value, list):
        return f"{render(node)} is neither a list nor a number."
    return verify_numeric_list(value, node)


def verify_string(value: Any, node: Node) -> str | None:
    return None if isinstance(value, str) else f"{render(node)} is not a string."


def verify_list(value: Any, node: Node) -> str | None:
    return None if isinstance(value, list) else f"{render(node)} is not a list or array."


def string_arg(value: Any) -> str:
    """AEL's parseStringOrUndefined."""
    return value if isinstance(value, str) else ""
