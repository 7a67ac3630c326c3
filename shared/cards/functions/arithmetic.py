"""Math functions: the operators `+ - * / % ^`, sum, average, min, max, round, floor,
ceiling, abs, sqrt and range, with JavaScript's number rules.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any, Final
from weakref import WeakKeyDictionary

from .._js import (
    MAX_SAFE,
    JSTypeError,
    is_integer,
    is_nullish,
    is_number,
    js_number,
    normalize_number,
    template_string,
    to_string,
)
from .._parser import CONSTANT, Node, render
from .._scope import EvalError, Fn, Scope
from .base import (
    ARRAY,
    NUMBER,
    STRING,
    FunctionTable,
    Spec,
    Verify,
    apply,
    arity_any,
    order,
    sequence,
    verify_integer,
    verify_number,
    verify_number_or_numeric_list,
    verify_number_string_or_null,
    verify_numeric_list,
)

_NUMBERS2 = arity_any(2, 2**53, NUMBER)
_NEGATIVE_SAFE: Final = -MAX_SAFE


def _binary(
    node: Node,
    children: list[Fn],
    fast: Callable[[Any, Any], Any],
    general: Callable[[Any, Any], Any],
    verify: Verify,
    *,
    divides: bool = False,
) -> Fn:
    """An operator with two operands, as `sequence(general, verify)` evaluates it, with a
    short way for the usual case of two plain numbers (ints, and floats that are not NaN):
    those pass every check (for a division, unless the divisor is 0), so `fast` computes
    the result directly and it is normalized here as `normalize_number` would.

    Operator chains (`t * 1000 / 5 * 9 / 1000 + 32`) are nested pairs, and real templates
    are full of them: each step through the general fold costs an argument list, a check
    call per operand and two calls more.
    """
    if len(children) != 2:
        return sequence(general, verify)(node, children)
    left, right = children
    left_node, right_node = node.children
    constant = right_node.value
    if (
        right_node.kind == CONSTANT
        and right_node is not left_node
        and type(constant) in (int, float)
        and constant == constant
        and (constant or not divides)
    ):
        return _by_constant(left, left_node, constant, fast, general, verify)

    def run(scope: Scope, subst: bool) -> Any:
        a = left(scope, subst)
        kind = type(a)
        plain = kind is int or (kind is float and a == a)
        if not plain:
            problem = verify(a, left_node)
            if problem:
                raise EvalError(problem)
        b = right(scope, subst)
        kind = type(b)
        if kind is int or (kind is float and b == b):
            if divides and not b:
                plain = False
                problem = verify(b, right_node)
                if problem:
                    raise EvalError(problem)
        else:
            plain = False
            problem = verify(b, right_node)
            if problem:
                raise EvalError(problem)
        try:
            if not plain:
                return general(a, b)
            result = fast(a, b)
            if type(result) is float:
                if result.is_integer() and _NEGATIVE_SAFE <= result <= MAX_SAFE:
                    return int(result)
                return result
            if _NEGATIVE_SAFE <= result <= MAX_SAFE:
                return result
            return float(result)
        except (JSTypeError, TypeError, ValueError, ArithmeticError) as error:
            raise EvalError(str(error)) from None

    return run


# A step of an operator chain: the operator's two ways (see `_binary`), its check, the
# node of its left operand (for messages) and its constant right operand.
_Step = tuple[Callable[[Any, Any], Any], Callable[[Any, Any], Any], Verify, Node, int | float]
# The closures `_by_constant` made, with what they compute: a closure for the chain's first
# operand and the steps after it, so a chain over constants extends into one closure.
_CHAINS: WeakKeyDictionary[Fn, tuple[Fn, tuple[_Step, ...]]] = WeakKeyDictionary()


def _by_constant(
    left: Fn,
    left_node: Node,
    b: int | float,
    fast: Callable[[Any, Any], Any],
    general: Callable[[Any, Any], Any],
    verify: Verify,
) -> Fn:
    """`_binary` where the right operand is a plain number written in the expression (`* 9`):
    it passes its check once and for all, and costs no call. A chain of such steps
    (`t * 1000 / 5 * 9 / 1000 + 32`) is one closure that runs them in turn, each exactly as
    its own closure would (a value reused within the expansion is its own closure, so a
    chain stops there)."""
    step: _Step = (fast, general, verify, left_node, b)
    inner = _CHAINS.get(left)
    if inner is not None:
        first, steps = inner[0], (*inner[1], step)

        def chain(scope: Scope, subst: bool) -> Any:
            a = first(scope, subst)
            try:
                for fast, general, verify, left_node, b in steps:
                    kind = type(a)
                    if kind is int or (kind is float and a == a):
                        a = fast(a, b)
                        if type(a) is float:
                            if a.is_integer() and _NEGATIVE_SAFE <= a <= MAX_SAFE:
                                a = int(a)
                        elif not _NEGATIVE_SAFE <= a <= MAX_SAFE:
                            a = float(a)
                    else:
                        problem = verify(a, left_node)
                        if problem:
                            raise EvalError(problem)
                        a = general(a, b)
            except (JSTypeError, TypeError, ValueError, ArithmeticError) as error:
                raise EvalError(str(error)) from None
            return a

        _CHAINS[chain] = (first, steps)
        return chain

    def run(scope: Scope, subst: bool) -> Any:
        a = left(scope, subst)
        kind = type(a)
        try:
            if kind is int or (kind is float and a == a):
                result = fast(a, b)
                if type(result) is float:
                    if result.is_integer() and _NEGATIVE_SAFE <= result <= MAX_SAFE:
                        return int(result)
                    return result
                if _NEGATIVE_SAFE <= result <= MAX_SAFE:
                    return result
                return float(result)
            problem = verify(a, left_node)
            if problem:
                raise EvalError(problem)
            return general(a, b)
        except (JSTypeError, TypeError, ValueError, ArithmeticError) as error:
            raise EvalError(str(error)) from None

    _CHAINS[run] = (left, (step,))
    return run


def _add(left: Any, right: Any) -> Any:
    if (is_nullish(left) and is_number(right)) or (is_nullish(right) and is_number(left)):
        raise EvalError(
            "Operator '+' or add cannot be applied to operands of type 'number' and null object."
        )
    if is_number(left) and is_number(right):
        return normalize_number(left + right)
    if is_nullish(left) and is_nullish(right):
        return ""
    if is_nullish(left):
        return to_string(right)
    if is_nullish(right):
        return to_string(left)
    return to_string(left) + to_string(right)


def _divide(left: Any, right: Any) -> Any:
    result = js_number(left) / js_number(right)
    if is_integer(left) and is_integer(right):
        return normalize_number(math.floor(result))
    return normalize_number(result)


def _divide_plain(left: int | float, right: int | float) -> int | float:
    """`_divide` for two plain numbers (the caller normalizes the result)."""
    result = left / right
    if (isinstance(left, int) or left.is_integer()) and (
        isinstance(right, int) or right.is_integer()
    ):
        return math.floor(result)
    return result


def _divide_build(node: Node, children: list[Fn]) -> Fn:
    def verify(value: Any, child: Node) -> str | None:
        problem = verify_number(value, child)
        if problem is None and child is not node.children[0] and js_number(value) == 0:
            return f"Cannot divide by 0 from {render(child)}"
        return problem

    return _binary(node, children, _divide_plain, _divide, verify, divides=True)


def _subtract(left: Any, right: Any) -> Any:
    return normalize_number(js_number(left) - js_number(right))


def _multiply(left: Any, right: Any) -> Any:
    return normalize_number(js_number(left) * js_number(right))


def _operator(
    fast: Callable[[Any, Any], Any], general: Callable[[Any, Any], Any], verify: Verify
) -> Callable[[Node, list[Fn]], Fn]:
    def build(node: Node, children: list[Fn]) -> Fn:
        return _binary(node, children, fast, general, verify)

    return build


def _mod(args: list[Any]) -> Any:
    if js_number(args[1]) == 0:
        raise EvalError("Cannot mod by 0.")
    return normalize_number(math.fmod(args[0], args[1]))


def _power(left: Any, right: Any) -> Any:
    try:
        return normalize_number(math.pow(js_number(left), js_number(right)))
    except (OverflowError, ValueError):
        return math.nan


def _sum(args: list[Any]) -> Any:
    values = args[0]
    if not values:
        raise EvalError("Reduce of empty array with no initial value")
    total = values[0]
    for value in values[1:]:
        # Each step rounds as a JavaScript addition of doubles does.
        total = normalize_number(total + value)
    return normalize_number(total)


def _average(args: list[Any]) -> Any:
    values = args[0]
    return normalize_number(_sum(args) / len(values))


def _extreme(pick: Callable[[float, float], float], start: float) -> Callable[[list[Any]], Any]:
    def run(args: list[Any]) -> Any:
        result = start
        for arg in args:
            for value in arg if isinstance(arg, list) else [arg]:
                result = pick(result, value)
        return normalize_number(result)

    return run


def _round(args: list[Any]) -> Any:
    digits = 0
    if len(args) == 2:
        if not is_integer(args[1]):
            raise EvalError(f"The second parameter {template_string(args[1])} must be an integer.")
        digits = int(args[1])
        if digits < 0 or digits > 15:
            raise EvalError(f"The second parameter {digits} must be an integer between 0 and 15;")
    factor = math.pow(10, digits)
    return normalize_number(math.floor(args[0] * factor + 0.5) / factor)


def _js_round_number(func: Callable[[float], float]) -> Callable[[list[Any]], Any]:
    def run(args: list[Any]) -> Any:
        return normalize_number(func(args[0]))

    return run


def _sqrt(args: list[Any]) -> Any:
    if args[0] < 0:
        raise EvalError("Do not support square root extraction of negative numbers.")
    return normalize_number(math.sqrt(args[0]))


def _range(args: list[Any]) -> Any:
    start, count = args
    if count <= 0:
        raise EvalError("Second paramter must be more than zero")
    return [normalize_number(start + offset) for offset in range(int(count))]


def register(table: FunctionTable) -> None:
    """Add this family's functions to `table`."""
    table["+"] = Spec(
        STRING | NUMBER,
        arity_any(2, 2**53, STRING | NUMBER),
        _operator(operator.add, _add, verify_number_string_or_null),
    )
    table["-"] = Spec(NUMBER, _NUMBERS2, _operator(operator.sub, _subtract, verify_number))
    table["*"] = Spec(NUMBER, _NUMBERS2, _operator(operator.mul, _multiply, verify_number))
    table["/"] = Spec(NUMBER, _NUMBERS2, _divide_build)
    table["%"] = Spec(NUMBER, arity_any(2, 2, NUMBER), apply(_mod, verify_integer))
    table["^"] = Spec(NUMBER, _NUMBERS2, sequence(_power, verify_number_or_numeric_list))
    table["sum"] = Spec(NUMBER, order([], ARRAY), apply(_sum, verify_numeric_list))
    table["average"] = Spec(NUMBER, arity_any(1, 1), apply(_average, verify_numeric_list))
    table["min"] = Spec(
        NUMBER, arity_any(1, 2**53), apply(_extreme(min, math.inf), verify_number_or_numeric_list)
    )
    table["max"] = Spec(
        NUMBER, arity_any(1, 2**53), apply(_extreme(max, -math.inf), verify_number_or_numeric_list)
    )
    table["round"] = Spec(NUMBER, arity_any(1, 2, NUMBER), apply(_round, verify_number))
    table["floor"] = Spec(
        NUMBER, arity_any(1, 1, NUMBER), apply(_js_round_number(math.floor), verify_number)
    )
    table["ceiling"] = Spec(
        NUMBER, arity_any(1, 1, NUMBER), apply(_js_round_number(math.ceil), verify_number)
    )
    table["abs"] = Spec(
        NUMBER, arity_any(1, 1, NUMBER), apply(_js_round_number(abs), verify_number)
    )
    table["sqrt"] = Spec(NUMBER, arity_any(1, 1, NUMBER), apply(_sqrt, verify_number))
    table["range"] = Spec(ARRAY, arity_any(2, 2, NUMBER), apply(_range, verify_integer))
