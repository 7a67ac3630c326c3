"""Compile Adaptive Expression trees into Python closures, with AEL's semantics.

Each node becomes `fn(scope, subst) -> value`. `subst` is AEL's `nullSubstitution`
option: when on, a property path that finds nothing evaluates to the text `${path}`
(the templating SDK's way of showing an unbound field); some functions turn it off
for their arguments, exactly where AEL does. An evaluation error is `EvalError`
(AEL's error string); `HardError` is where the JavaScript SDK itself throws.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from . import _datetime as dates
from ._js import (
    UNDEFINED,
    JSTypeError,
    common_equals,
    common_stringify,
    from_utf16,
    is_integer,
    is_logic_true,
    is_nullish,
    is_number,
    js_number,
    js_trim,
    js_truthy,
    json_stringify,
    normalize_number,
    parse_float,
    parse_int,
    strict_equals,
    template_string,
    to_string,
    to_utf16,
    utf16_len,
)
from ._parser import ACCESSOR, CONSTANT, ELEMENT, PATH, Node, render

# AEL ReturnType flags.
BOOLEAN: Final = 1
NUMBER: Final = 2
OBJECT: Final = 4
STRING: Final = 8
ARRAY: Final = 16


class EvalError(Exception):
    """An AEL evaluation error. AEL returns a value beside its error string, and `||` keeps
    it: undefined for most functions, false for a failed comparison."""

    def __init__(self, message: str, value: Any = UNDEFINED) -> None:
        super().__init__(message)
        self.value = value


class HardError(Exception):
    """Where the JavaScript SDK throws instead of returning an error."""


class ValidationError(ValueError):
    """A function call that AEL rejects when it parses the template."""


class Unbound(str):
    """The text `${path}` that AEL substitutes for a path that found nothing."""

    __slots__ = ()


class Scope:
    """What expressions can see: $root, $data, $index, $host and lambda variables.

    `unbound` collects the substitutions made (strict mode reads it); `strict` makes
    coalesce skip them, since a template author writing `coalesce(x, 'n/a')` means it.
    """

    __slots__ = ("data", "host", "index", "locals", "root", "strict", "unbound")

    def __init__(self, root: Any, host: Any, *, strict: bool = False) -> None:
        self.root = root
        self.host = host
        self.data: Any = root
        self.index: Any = UNDEFINED
        self.locals: tuple[dict[str, Any], ...] = ()
        self.strict = strict
        self.unbound: list[str] = []


Fn = Callable[[Scope, bool], Any]

_TEMPLATE_VERSION: Final = {"major": 2, "minor": 3, "patch": 1, "suffix": ""}
_PATH_SPLIT: Final = re.compile(r"[.\[\]]+")


# --- property access (AEL's accessProperty / accessIndex / SimpleObjectMemory) ---------


def access_property(instance: Any, name: str) -> Any:
    if not js_truthy(instance):
        return UNDEFINED
    if isinstance(instance, dict):
        if name in instance:
            return instance[name]
        lowered = name.lower()
        for key, value in instance.items():
            if key.lower() == lowered:
                return value
        return UNDEFINED
    if isinstance(instance, list | str):
        # Object.keys of an array or string: its indices, as canonical strings.
        if name.isdigit() and (name == "0" or not name.startswith("0")):
            position = int(name)
            if position < (len(instance) if isinstance(instance, list) else utf16_len(instance)):
                return (
                    instance[position]
                    if isinstance(instance, list)
                    else to_utf16(instance)[position]
                )
        return UNDEFINED
    return UNDEFINED


def access_index(instance: Any, position: int) -> Any:
    """AEL's accessIndex; raises EvalError for out-of-range and non-lists."""
    if is_nullish(instance):
        return UNDEFINED
    if isinstance(instance, list):
        if 0 <= position < len(instance):
            return instance[position]
        raise EvalError(f"{position} is out of range for {template_string(instance)}")
    raise EvalError(f"{template_string(instance)} is not a collection.")


def split_path(path: str) -> list[str]:
    parts = []
    for part in _PATH_SPLIT.split(path):
        if not part:
            continue
        if len(part) >= 2 and part[0] == part[-1] and part[0] in "'\"":
            part = part[1:-1]
        parts.append(part)
    return parts


def walk(current: Any, parts: Sequence[str]) -> Any:
    value: Any = UNDEFINED
    for part in parts:
        if type(current) is dict:
            # The usual step: a JSON object with the exact key (objects are always truthy).
            value = current.get(part, _MISSING)
            if value is _MISSING:
                value = access_property(current, part)
        elif isinstance(current, list) and (position := parse_int(part)) is not None:
            if 0 <= position < len(current):
                value = current[position]
            else:
                return UNDEFINED
        else:
            value = access_property(current, part)
        current = value
    return value


_MISSING: Final = object()


def _template_memory(scope: Scope, first: str) -> Any:
    lowered = first.lower()
    if lowered == "$data":
        return scope.data
    if lowered == "$root":
        return scope.root
    if lowered == "$index":
        return scope.index
    if lowered == "$host":
        return scope.host
    if lowered == "$_actemplateversion":
        return _TEMPLATE_VERSION
    return UNDEFINED


def memory_get(scope: Scope, parts: Sequence[str]) -> Any:
    """StackedMemory over lambda variables, then the template's own memory."""
    if not parts:
        return UNDEFINED
    for layer in reversed(scope.locals):
        first = parts[0]
        if first in layer:
            value = walk(layer[first], parts[1:]) if len(parts) > 1 else layer[first]
        else:
            value = walk(layer, parts)
        if value is not UNDEFINED:
            return value
    first = parts[0]
    if first.startswith("$"):
        base = _template_memory(scope, first)
        return walk(base, parts[1:]) if len(parts) > 1 else base
    return walk(scope.data, parts)


# --- compiling ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Spec:
    """A function AEL knows: its return type, its parse-time check and its evaluator."""

    returns: int
    validate: Callable[[Node], None]
    build: Callable[[Node, list[Fn]], Fn]


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


_NOTHING_TO_CHECK: Final = frozenset((CONSTANT, PATH))


def check_tree(node: Node) -> None:
    """AEL's parse-time checks (arity, argument types, known functions), bottom-up.

    The SDK throws these when a template is constructed, whether or not a binding is
    ever evaluated, so they run eagerly; closures are built on first use (compile_node).
    """
    kind = node.kind
    if kind in _NOTHING_TO_CHECK or node.checked:
        return
    children = node.children
    for child in children:
        # Constants and paths, most of a tree, need no call.
        if not child.checked and child.kind not in _NOTHING_TO_CHECK:
            check_tree(child)
    if kind == ACCESSOR:
        if not children or children[0].kind != CONSTANT or not isinstance(children[0].value, str):
            raise ValidationError(f"{render(node)} must have a string as first argument.")
        if len(children) > 2:
            raise ValidationError(f"{render(node)} has more than 2 children.")
        if len(children) == 2 and return_type(children[1]) & OBJECT == 0:
            raise ValidationError(f"{render(node)} must have an object as its second argument.")
        node.checked = True
        return
    if kind == ELEMENT:
        _arity(node, 2, 2)
        node.checked = True
        return
    spec = FUNCTIONS.get(kind)
    if spec is None:
        if kind in AEL_FUNCTION_NAMES:
            raise ValidationError(
                f"{kind}() is an Adaptive Expressions function this engine does not "
                "implement; use one from the documented list"
            )
    else:
        spec.validate(node)
    node.checked = True


# A template's closures by node, so a subtree that identical bindings share is compiled
# once. The closures live here and not on the tree: a closure refers to its node (for
# messages), and a node referring back to it would make every compiled template a
# reference cycle, which only the cyclic garbage collector frees (slowly, in bulk).
Closures = dict[Node, Fn]


def compile_node(node: Node, closures: Closures) -> Fn:
    """The closure for a checked tree (see check_tree), built once per `closures`."""
    compiled = closures.get(node)
    if compiled is None:
        compiled = closures[node] = _compile_node(node, closures)
    return compiled


def _compile_node(node: Node, closures: Closures) -> Fn:
    kind = node.kind
    if kind == CONSTANT:
        value = node.value

        def constant(scope: Scope, subst: bool) -> Any:
            return value

        return constant
    if kind in (ACCESSOR, PATH):
        return _compile_accessor(node, closures)
    children = [compile_node(child, closures) for child in node.children]
    if kind == ELEMENT:
        return _compile_element(node, children)
    spec = FUNCTIONS.get(kind)
    if spec is None:

        def unknown(scope: Scope, subst: bool) -> Any:
            # The SDK throws here (no evaluator), through `&&`, `||` and `if` alike.
            raise HardError(f"Unknown function {kind}")

        return unknown
    return spec.build(node, children)


def _compile_accessor(node: Node, closures: Closures) -> Fn:
    if node.kind == PATH:
        return _static_path(list(node.value))
    # AEL's tryAccumulatePath: walk down property and index accesses to a memory path.
    segments: list[str | Fn] = []
    left: Node | None = node
    while left is not None:
        if left.kind == PATH:
            segments.extend(reversed(left.value))
            left = None
        elif left.kind == ACCESSOR:
            segments.append(str(left.children[0].value))
            left = left.children[1] if len(left.children) == 2 else None
        elif left.kind == ELEMENT:
            segments.append(compile_node(left.children[1], closures))
            left = left.children[0]
        else:
            break
    segments.reverse()
    base = compile_node(left, closures) if left is not None else None

    if base is None and all(isinstance(segment, str) for segment in segments):
        return _static_path([str(segment) for segment in segments])

    def dynamic_path(scope: Scope, subst: bool) -> Any:
        texts: list[str] = []
        for segment in segments:
            if isinstance(segment, str):
                texts.append(segment + ".")
                continue
            index = segment(scope, subst)
            if parse_int(index) is not None:
                texts.append(f"[{template_string(index)}].")
            elif isinstance(index, str):
                texts.append(f"['{index}'].")
            else:
                raise EvalError("index doesn't return an int or string")
        path = "".join(texts).rstrip(".").replace(".[", "[")
        if base is None:
            value = memory_get(scope, split_path(path))
        else:
            new_scope = base(scope, subst)
            value = UNDEFINED if new_scope is UNDEFINED else walk(new_scope, split_path(path))
        if value is UNDEFINED and subst:
            substitute = Unbound("${" + path + "}")
            scope.unbound.append(substitute)
            return substitute
        return value

    return dynamic_path


def _static_path(parts: list[str]) -> Fn:
    """A path of names only (`a.b.c`), looked up in memory; `${a.b.c}` when it finds nothing
    and substitution is on."""
    substitute = Unbound("${" + ".".join(parts) + "}")
    single = parts[0] if len(parts) == 1 and not parts[0].startswith("$") else None

    def static_path(scope: Scope, subst: bool) -> Any:
        if single is not None and not scope.locals:
            value = access_property(scope.data, single)
        else:
            value = memory_get(scope, parts)
        if value is UNDEFINED and subst:
            scope.unbound.append(substitute)
            return substitute
        return value

    return static_path


def _compile_element(node: Node, children: list[Fn]) -> Fn:
    instance_fn, index_fn = children

    def element(scope: Scope, subst: bool) -> Any:
        try:
            instance = instance_fn(scope, subst)
        except EvalError as error:
            # AEL's Element returns nothing here, and the SDK trips over that.
            raise HardError(str(error)) from None
        index = index_fn(scope, False)
        if is_integer(index):
            return access_index(instance, int(index))
        if isinstance(index, str):
            return access_property(instance, index)
        raise EvalError(f"Could not coerce {render(node.children[1])} to an int or string.")

    return element


# --- validation helpers (AEL's FunctionUtils.validate*) --------------------------------


def _arity(node: Node, low: int, high: int) -> None:
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
            _arity(node, low, high)
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


def _lambda_shape(node: Node) -> None:
    if len(node.children) != 3:
        raise ValidationError(f"Lambda expression expect 3 parameters, found {len(node.children)}")
    second = node.children[1]
    if not (second.kind == ACCESSOR and len(second.children) == 1):
        raise ValidationError(f"Second parameter is not an identifier : {render(second)}")


# --- evaluation helpers (AEL's FunctionUtils.apply*) -----------------------------------

Verify = Callable[[Any, Node], "str | None"]


def _evaluate(
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
        def run(scope: Scope, subst: bool) -> Any:
            args = _evaluate(node, children, scope, subst, verify)
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
        def run(scope: Scope, subst: bool) -> Any:
            try:
                args = _evaluate(node, children, scope, False, verify)
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
    if isinstance(value, str | list | dict):
        return None
    return f"{render(node)} must be a string, list, map or object."


def verify_container_or_null(value: Any, node: Node) -> str | None:
    if is_nullish(value) or isinstance(value, str | list | dict):
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


def _string_arg(value: Any) -> str:
    """AEL's parseStringOrUndefined."""
    return value if isinstance(value, str) else ""


# --- the functions ------------------------------------------------------------------------


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


def _divide_build(node: Node, children: list[Fn]) -> Fn:
    def verify(value: Any, child: Node) -> str | None:
        problem = verify_number(value, child)
        if problem is None and child is not node.children[0] and js_number(value) == 0:
            return f"Cannot divide by 0 from {render(child)}"
        return problem

    def divide(left: Any, right: Any) -> Any:
        result = js_number(left) / js_number(right)
        if is_integer(left) and is_integer(right):
            return normalize_number(math.floor(result))
        return normalize_number(result)

    return sequence(divide, verify)(node, children)


def _mod(args: list[Any]) -> Any:
    if js_number(args[1]) == 0:
        raise EvalError("Cannot mod by 0.")
    return normalize_number(math.fmod(args[0], args[1]))


def _power(left: Any, right: Any) -> Any:
    try:
        return normalize_number(math.pow(js_number(left), js_number(right)))
    except (OverflowError, ValueError):
        return math.nan


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[list[Any]], bool]:
    def run(args: list[Any]) -> bool:
        left, right = args
        if (is_number(left) and is_number(right)) or (
            isinstance(left, str) and isinstance(right, str)
        ):
            return op(left, right)
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


def _concat(left: Any, right: Any) -> Any:
    if is_nullish(left) and is_nullish(right):
        return UNDEFINED
    if is_nullish(left) and isinstance(right, list):
        return right
    if is_nullish(right) and isinstance(left, list):
        return left
    if isinstance(left, list) and isinstance(right, list):
        return left + right
    return common_stringify(left) + common_stringify(right)


def _is_empty(args: list[Any]) -> bool:
    value = args[0]
    if is_nullish(value):
        return True
    if isinstance(value, str | list | dict):
        return len(value) == 0
    return False


def _bool(args: list[Any]) -> bool:
    value = args[0]
    if is_number(value):
        return bool(value != 0)
    if re.search("false", template_string(value), re.IGNORECASE):
        return False
    return is_logic_true(value)


MINUS: Final = "\u2212"  # d3-format's minus sign, which the SDK's numbers carry


# d3-format's default locale (en-US): "," groups, "." decimal, U+2212 minus sign.
def _d3_fixed(value: float | int, precision: int) -> str:
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else (MINUS + "Infinity" if value < 0 else "Infinity")
    quantum = Decimal(1).scaleb(-precision)
    exact = Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    negative = exact < 0 and exact != 0
    text = f"{abs(exact):f}"
    whole, dot, fraction = text.partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    body = ",".join(groups) + (dot + fraction if dot else "")
    return (MINUS if negative else "") + body


def _string(args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, str):
        return value
    if is_number(value):
        text = to_string(value)
        precision = len(text.split(".")[1]) if "." in text else 0
        return _d3_fixed(value, precision)
    return common_stringify(value)


def _int(args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, str):
        result = parse_int(value)
        if result is None:
            # AEL hands NaN back beside the error, and `||` passes it on.
            raise EvalError(f"parameter {value} is not a valid number string.", math.nan)
        return result
    if is_number(value):
        result = parse_int(to_string(value))
        return math.nan if result is None else result
    return UNDEFINED


def _float(args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, str):
        result = parse_float(value)
        if result is None:
            # AEL hands NaN back beside the error, and `||` passes it on.
            raise EvalError(f"parameter {value} is not a valid number string.", math.nan)
        return result
    if is_number(value):
        return value
    return UNDEFINED


def _case(transform: Callable[[str], str]) -> Callable[[list[Any]], Any]:
    def run(args: list[Any]) -> Any:
        value = args[0]
        if isinstance(value, str) or value is UNDEFINED:
            return transform(_string_arg(value))
        return UNDEFINED

    return run


def _substring_build(node: Node, children: list[Fn]) -> Fn:
    def run(scope: Scope, subst: bool) -> Any:
        text = children[0](scope, subst)
        if text is UNDEFINED:
            return ""
        if not isinstance(text, str):
            raise EvalError(f"{render(node.children[0])} is neither a string nor a null object.")
        units = to_utf16(text)
        start = children[1](scope, subst)
        if not is_integer(start):
            raise EvalError(f"{render(node.children[1])} is not an integer.")
        if start < 0 or start > len(units):
            raise EvalError(f"{render(node.children[1])}={start} which is out of range for {text}")
        start = int(start)
        if len(children) == 2:
            length = len(units) - start
        else:
            length = children[2](scope, subst)
            if not is_integer(length):
                raise EvalError(f"{render(node.children[2])} is not an integer")
            if length < 0 or start + length > len(units):
                raise EvalError(f"{render(node.children[2])}={length} which is out of range")
            length = int(length)
        return from_utf16(units[start : start + length])

    return run


def _length(args: list[Any]) -> Any:
    return utf16_len(_string_arg(args[0]))


def _js_index_of(haystack: str, needle: str, last: bool = False) -> int:
    """indexOf, or AEL's `lastIndexOf(needle, length - 1)`, in UTF-16 positions."""
    hay = to_utf16(haystack)
    need = to_utf16(needle)
    hay_text = hay if isinstance(hay, str) else "".join(hay)
    need_text = need if isinstance(need, str) else "".join(need)
    if not last:
        return hay_text.find(need_text)
    # A match may start at most at length - 1 (at 0 for an empty string).
    return hay_text.rfind(need_text, 0, max(len(hay_text) - 1, 0) + len(need_text))


def _index_of_build(last: bool) -> Callable[[Node, list[Fn]], Fn]:
    def build(node: Node, children: list[Fn]) -> Fn:
        def run(scope: Scope, subst: bool) -> Any:
            # AEL's IndexOf starts from -1 and returns it beside any error, its children's
            # included; `||` passes that value on.
            try:
                first, second = _evaluate(node, children, scope, subst, None)
            except EvalError as error:
                raise EvalError(str(error), -1) from None
            if is_nullish(first) or isinstance(first, str):
                if second is UNDEFINED or isinstance(second, str):
                    return _js_index_of(_string_arg(first), _string_arg(second), last)
                raise EvalError(f"Can only look for indexof string in {render(node)}", -1)
            if isinstance(first, list):
                positions = [i for i, item in enumerate(first) if strict_equals(item, second)]
                if not positions:
                    return -1
                return positions[-1] if last else positions[0]
            raise EvalError(f"{render(node)} works only on string or list.", -1)

        return run

    return build


def _replace(args: list[Any]) -> Any:
    old = _string_arg(args[1])
    if old == "":
        raise EvalError(f"{template_string(args[1])} should be a string with length at least 1")
    return _string_arg(args[0]).replace(old, _string_arg(args[2]))


def _split(args: list[Any]) -> Any:
    text = _string_arg(args[0])
    separator = _string_arg(args[1]) if len(args) > 1 and js_truthy(args[1]) else ""
    if separator == "":
        units = to_utf16(text)
        return list(units)
    return text.split(separator)


def _join_text(items: list[Any], separator: str) -> str:
    return separator.join("" if is_nullish(item) else to_string(item) for item in items)


def _join_build(node: Node, children: list[Fn]) -> Fn:
    def run(scope: Scope, subst: bool) -> Any:
        args = _evaluate(node, children, scope, subst, None)
        items = args[0]
        if not isinstance(items, list):
            raise EvalError(f"{render(node.children[0])} evaluates to a value which is not a list.")

        def separator(value: Any) -> str:
            return "," if value is UNDEFINED else template_string(value)

        if len(args) == 2:
            return _join_text(items, separator(args[1]))
        if len(items) < 3:
            return _join_text(items, separator(args[2]))
        head = _join_text(items[:-1], separator(args[1]))
        last = items[-1]
        return head + separator(args[2]) + ("" if is_nullish(last) else to_string(last))

    return run


def _count(args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, str):
        return utf16_len(value)
    return len(value)


def _first(args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, str) and value:
        return to_utf16(value)[0]
    if isinstance(value, list) and value:
        return value[0]
    return UNDEFINED


def _last(args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, str) and value:
        return to_utf16(value)[-1]
    if isinstance(value, list) and value:
        return value[-1]
    return UNDEFINED


def _contains_build(node: Node, children: list[Fn]) -> Fn:
    def run(scope: Scope, subst: bool) -> Any:
        try:
            first, second = _evaluate(node, children, scope, subst, None)
        except EvalError:
            return False
        if isinstance(first, str) and isinstance(second, str):
            return second in first
        if isinstance(first, list):
            return any(common_equals(item, second) for item in first)
        if isinstance(second, str):
            return access_property(first, second) is not UNDEFINED
        return False

    return run


def _to_list(value: Any) -> list[Any] | None:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [{"key": key, "value": item} for key, item in value.items()]
    if value is None:
        raise HardError("Cannot convert undefined or null to object")
    return None


def _lambda(
    node: Node, children: list[Fn], scope: Scope, subst: bool, items: list[Any]
) -> list[tuple[Any, Any, bool]]:
    """Evaluate the lambda body per item: (item, result, failed)."""
    name = str(node.children[1].children[0].value)
    body = children[2]
    results = []
    saved = scope.locals
    try:
        for item in items:
            scope.locals = (*saved, {name: item})
            try:
                results.append((item, body(scope, subst), False))
            except EvalError:
                results.append((item, UNDEFINED, True))
    finally:
        scope.locals = saved
    return results


def _foreach_build(node: Node, children: list[Fn]) -> Fn:
    def run(scope: Scope, subst: bool) -> Any:
        collection = children[0](scope, subst)
        if not js_truthy(collection):
            raise EvalError(f"'{render(node.children[0])}' evaluated to null.")
        items = _to_list(collection)
        if items is None:
            raise EvalError(f"{render(node.children[0])} is not a collection or structure object")
        out = []
        for _item, result, failed in _lambda(node, children, scope, subst, items):
            if failed:
                raise EvalError(f"{render(node)} failed")
            out.append(result)
        return out

    return run


def _where_build(node: Node, children: list[Fn]) -> Fn:
    def run(scope: Scope, subst: bool) -> Any:
        collection = children[0](scope, subst)
        items = _to_list(collection)
        if items is None:
            raise EvalError(f"{render(node.children[0])} is not a collection or structure object")
        kept = [
            item
            for item, result, failed in _lambda(node, children, scope, subst, items)
            if not failed and is_logic_true(result)
        ]
        if isinstance(collection, dict):
            return {item["key"]: item["value"] for item in kept}
        return kept

    return run


def _sum(args: list[Any]) -> Any:
    values = args[0]
    if not values:
        raise EvalError("Reduce of empty array with no initial value")
    total = values[0]
    for value in values[1:]:
        total = total + value
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


def _format_number(args: list[Any]) -> Any:
    number, precision = args[0], args[1]
    if not is_number(number):
        raise EvalError(f"formatNumber first argument {template_string(number)} must be a number")
    if not is_number(precision):
        raise EvalError(
            f"formatNumber second argument {template_string(precision)} must be a number"
        )
    if not is_integer(precision) or precision < 0:
        raise EvalError("invalid format")
    digits = int(precision)
    scaled = number * math.pow(10, digits)
    rounded = math.floor(scaled + 0.5) / math.pow(10, digits)
    return _d3_fixed(rounded, digits)


def _format_date_time(args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, str):
        moment = dates.parse_timestamp(value)
        if moment is None:
            raise EvalError(f"{value} is not a valid datetime string.")
    else:
        raise EvalError(f"{template_string(value)}.toISOString is not a function")
    return dates.dayjs_format(moment, output_format(args, 3))


def _utc_now(args: list[Any]) -> Any:
    return dates.dayjs_format(dates.now(), output_format(args, 2))


def output_format(args: list[Any], most: int) -> str:
    """AEL's determineFormatAndLocale: the format among a call's optional last arguments
    (format, then locale), for a function that takes at most `most` arguments."""
    if len(args) == most and isinstance(args[-1], str) and isinstance(args[-2], str):
        return dates.formatter_for(args[-2]) if args[-2] != "" else dates.DEFAULT_FORMAT
    if len(args) == most - 1 and isinstance(args[-1], str):
        return dates.formatter_for(args[-1])
    return dates.DEFAULT_FORMAT


def iso_moment(value: str) -> datetime:
    """AEL's verifyISOTimestamp: a date JavaScript parses, written exactly as toISOString."""
    moment = dates.parse_timestamp(value)
    if moment is None:
        raise EvalError(f"{value} is not a valid datetime string.")
    if dates.to_iso(moment) != value:
        raise EvalError(f"{value} is not a ISO format datetime string.")
    return moment


def _time_transform(unit: str) -> Callable[[Node, list[Fn]], Fn]:
    def build(node: Node, children: list[Fn]) -> Fn:
        def run(scope: Scope, subst: bool) -> Any:
            args = _evaluate(node, children, scope, subst, None)
            fmt = output_format(args, 4)
            stamp, amount = args[0], args[1]
            if not (isinstance(stamp, str) and is_number(amount)):
                raise EvalError(
                    f"{render(node)} should contain an ISO format timestamp and a time interval "
                    "integer."
                )
            moment = iso_moment(stamp) + timedelta(**{unit: math.trunc(amount)})
            return dates.dayjs_format(moment, fmt)

        return run

    return build


def _json_parse(args: list[Any]) -> Any:
    text = args[0]
    if not isinstance(text, str):
        raise EvalError("args[0].trim is not a function")

    def reject(constant: str) -> Any:
        raise EvalError(f"Unexpected token {constant} in JSON")

    try:
        return json.loads(
            js_trim(text),
            parse_constant=reject,
            parse_float=lambda number: normalize_number(float(number)),
        )
    except json.JSONDecodeError as error:
        raise EvalError(f"Invalid JSON: {error.msg}") from None


def _coalesce_build(node: Node, children: list[Fn]) -> Fn:
    def run(scope: Scope, subst: bool) -> Any:
        for value in _evaluate(node, children, scope, subst, None):
            if is_nullish(value) or (scope.strict and type(value) is Unbound):
                continue
            return value
        return UNDEFINED

    return run


def _set_property(args: list[Any]) -> Any:
    target = dict(args[0]) if isinstance(args[0], dict) else args[0]
    if not isinstance(target, dict):
        raise EvalError("setProperty needs an object")
    target[template_string(args[1])] = args[2]
    return target


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


def _slice_build(take: bool) -> Callable[[Node, list[Fn]], Fn]:
    def build(node: Node, children: list[Fn]) -> Fn:
        def run(scope: Scope, subst: bool) -> Any:
            collection = children[0](scope, subst)
            allowed = isinstance(collection, list) or (take and isinstance(collection, str))
            if not allowed:
                raise EvalError(f"{render(node.children[0])} is not array or string.")
            count = children[1](scope, subst)
            if not is_integer(count):
                raise EvalError(f"{render(node.children[1])} is not an integer.")
            count = max(int(count), 0)
            return collection[:count] if take else collection[count:]

        return run

    return build


def _js_round_number(func: Callable[[float], float]) -> Callable[[list[Any]], Any]:
    def run(args: list[Any]) -> Any:
        return normalize_number(func(args[0]))

    return run


def _type_test(test: Callable[[Any], bool]) -> Callable[[list[Any]], Any]:
    def run(args: list[Any]) -> Any:
        return test(args[0])

    return run


def _json_stringify(args: list[Any]) -> Any:
    text = json_stringify(args[0])
    return UNDEFINED if text is None else text


_UNARY_STRING = arity_any(1, 2, STRING)
_NUMBERS2 = arity_any(2, 2**53, NUMBER)

FUNCTIONS: Final[dict[str, Spec]] = {}


def _register(names: Sequence[str], spec: Spec) -> None:
    for name in names:
        FUNCTIONS[name] = spec


_register(
    ["+"],
    Spec(
        STRING | NUMBER,
        arity_any(2, 2**53, STRING | NUMBER),
        sequence(_add, verify_number_string_or_null),
    ),
)
_register(
    ["-"],
    Spec(
        NUMBER,
        _NUMBERS2,
        sequence(lambda a, b: normalize_number(js_number(a) - js_number(b)), verify_number),
    ),
)
_register(
    ["*"],
    Spec(
        NUMBER,
        _NUMBERS2,
        sequence(lambda a, b: normalize_number(js_number(a) * js_number(b)), verify_number),
    ),
)
_register(["/"], Spec(NUMBER, _NUMBERS2, _divide_build))
_register(["%"], Spec(NUMBER, arity_any(2, 2, NUMBER), apply(_mod, verify_integer)))
_register(["^"], Spec(NUMBER, _NUMBERS2, sequence(_power, verify_number_or_numeric_list)))
_register(
    ["=="],
    Spec(BOOLEAN, arity_any(2, 2), comparison(lambda a: common_equals(a[0], a[1]))),
)
_register(
    ["!="], Spec(BOOLEAN, arity_any(2, 2), comparison(lambda a: not common_equals(a[0], a[1])))
)
_register(
    ["<"],
    Spec(BOOLEAN, arity_any(2, 2), comparison(_compare(lambda a, b: a < b), verify_not_null)),
)
_register(
    ["<="],
    Spec(BOOLEAN, arity_any(2, 2), comparison(_compare(lambda a, b: a <= b), verify_not_null)),
)
_register(
    [">"],
    Spec(BOOLEAN, arity_any(2, 2), comparison(_compare(lambda a, b: a > b), verify_not_null)),
)
_register(
    [">="],
    Spec(BOOLEAN, arity_any(2, 2), comparison(_compare(lambda a, b: a >= b), verify_not_null)),
)
_register(["&&"], Spec(BOOLEAN, arity_any(1, 2**53), _and_build))
_register(["||"], Spec(BOOLEAN, arity_any(1, 2**53), _or_build))
_register(["!"], Spec(BOOLEAN, arity_any(1, 1), _not_build))
_register(["if"], Spec(OBJECT, arity_any(3, 3), _if_build))
_register(["concat"], Spec(STRING | ARRAY, arity_any(1, 2**53), sequence(_concat)))
_register(["exists"], Spec(BOOLEAN, arity_any(1, 1), comparison(lambda a: True, verify_not_null)))
_register(
    ["empty"], Spec(BOOLEAN, arity_any(1, 1), comparison(_is_empty, verify_container_or_null))
)
_register(["bool"], Spec(BOOLEAN, arity_any(1, 1), comparison(_bool)))
_register(["string"], Spec(STRING, order([STRING], OBJECT), apply(_string)))
_register(["int"], Spec(NUMBER, arity_any(1, 1), apply(_int)))
_register(["float"], Spec(NUMBER, arity_any(1, 1), apply(_float)))
_register(["toUpper"], Spec(STRING, _UNARY_STRING, apply(_case(str.upper), verify_string_or_null)))
_register(["toLower"], Spec(STRING, _UNARY_STRING, apply(_case(str.lower), verify_string_or_null)))
_register(
    ["trim"], Spec(STRING, arity_any(1, 1, STRING), apply(_case(js_trim), verify_string_or_null))
)
_register(["substring"], Spec(STRING, order([NUMBER], STRING, NUMBER), _substring_build))
_register(["length"], Spec(NUMBER, arity_any(1, 1, STRING), apply(_length, verify_string_or_null)))
_register(["indexOf"], Spec(NUMBER, order([], STRING | ARRAY, OBJECT), _index_of_build(False)))
_register(["lastIndexOf"], Spec(NUMBER, order([], STRING | ARRAY, OBJECT), _index_of_build(True)))
_register(
    ["replace"], Spec(STRING, arity_any(3, 3, STRING), apply(_replace, verify_string_or_null))
)
_register(["split"], Spec(ARRAY, arity_any(1, 2, STRING), apply(_split, verify_string_or_null)))
_register(["join"], Spec(STRING, order([STRING], ARRAY, STRING), _join_build))
_register(["count"], Spec(NUMBER, order([], STRING | ARRAY), apply(_count, verify_container)))
_register(["first"], Spec(OBJECT, arity_any(1, 1), apply(_first)))
_register(["last"], Spec(OBJECT, arity_any(1, 1), apply(_last)))
_register(["contains"], Spec(BOOLEAN, arity_any(2, 2), _contains_build))
_register(
    ["startsWith"],
    Spec(
        BOOLEAN,
        arity_any(2, 2, STRING),
        apply(lambda a: _string_arg(a[0]).startswith(_string_arg(a[1])), verify_string_or_null),
    ),
)
_register(
    ["endsWith"],
    Spec(
        BOOLEAN,
        arity_any(2, 2, STRING),
        apply(lambda a: _string_arg(a[0]).endswith(_string_arg(a[1])), verify_string_or_null),
    ),
)
_register(["select", "foreach"], Spec(ARRAY, _lambda_shape, _foreach_build))
_register(["where"], Spec(ARRAY, _lambda_shape, _where_build))
_register(["sum"], Spec(NUMBER, order([], ARRAY), apply(_sum, verify_numeric_list)))
_register(["average"], Spec(NUMBER, arity_any(1, 1), apply(_average, verify_numeric_list)))
_register(
    ["min"],
    Spec(
        NUMBER, arity_any(1, 2**53), apply(_extreme(min, math.inf), verify_number_or_numeric_list)
    ),
)
_register(
    ["max"],
    Spec(
        NUMBER, arity_any(1, 2**53), apply(_extreme(max, -math.inf), verify_number_or_numeric_list)
    ),
)
_register(["formatNumber"], Spec(STRING, order([STRING], NUMBER, NUMBER), apply(_format_number)))
_register(
    ["formatDateTime"], Spec(STRING, order([STRING, STRING], STRING), apply(_format_date_time))
)
_register(["utcNow"], Spec(STRING, order([STRING, STRING]), apply(_utc_now)))
_register(
    ["addDays"], Spec(STRING, order([STRING, STRING], STRING, NUMBER), _time_transform("days"))
)
_register(
    ["addHours"], Spec(STRING, order([STRING, STRING], STRING, NUMBER), _time_transform("hours"))
)
_register(
    ["addMinutes"],
    Spec(STRING, order([STRING, STRING], STRING, NUMBER), _time_transform("minutes")),
)
_register(
    ["addSeconds"],
    Spec(STRING, order([STRING, STRING], STRING, NUMBER), _time_transform("seconds")),
)
_register(["json"], Spec(OBJECT, order([], STRING), apply(_json_parse)))
_register(["coalesce"], Spec(OBJECT, arity_any(1, 2**53), _coalesce_build))
_register(["createArray"], Spec(ARRAY, arity_any(0, 2**53), apply(list)))
_register(["setProperty"], Spec(OBJECT, order([], OBJECT, STRING, OBJECT), apply(_set_property)))
_register(["round"], Spec(NUMBER, arity_any(1, 2, NUMBER), apply(_round, verify_number)))
_register(
    ["floor"],
    Spec(NUMBER, arity_any(1, 1, NUMBER), apply(_js_round_number(math.floor), verify_number)),
)
_register(
    ["ceiling"],
    Spec(NUMBER, arity_any(1, 1, NUMBER), apply(_js_round_number(math.ceil), verify_number)),
)
_register(
    ["abs"], Spec(NUMBER, arity_any(1, 1, NUMBER), apply(_js_round_number(abs), verify_number))
)
_register(["take"], Spec(ARRAY | STRING, order([], ARRAY | STRING, NUMBER), _slice_build(True)))
_register(["skip"], Spec(ARRAY, order([], ARRAY, NUMBER), _slice_build(False)))
_register(["jsonStringify"], Spec(STRING, arity_any(1, 1), apply(_json_stringify)))
_register(
    ["isString"], Spec(BOOLEAN, arity_any(1, 1), apply(_type_test(lambda v: isinstance(v, str))))
)
_register(
    ["isArray"], Spec(BOOLEAN, arity_any(1, 1), apply(_type_test(lambda v: isinstance(v, list))))
)
_register(
    ["isBoolean"], Spec(BOOLEAN, arity_any(1, 1), apply(_type_test(lambda v: isinstance(v, bool))))
)
_register(
    ["isInteger"],
    Spec(BOOLEAN, arity_any(1, 1), apply(_type_test(lambda v: is_number(v) and is_integer(v)))),
)
_register(
    ["isFloat"],
    Spec(BOOLEAN, arity_any(1, 1), apply(_type_test(lambda v: is_number(v) and not is_integer(v)))),
)
_register(
    ["isObject"],
    Spec(
        BOOLEAN,
        arity_any(1, 1),
        apply(_type_test(lambda v: v is None or isinstance(v, dict | list))),
    ),
)

# Every name AEL defines (expressionType.ts plus its aliases): a call to one we do not
# implement is refused when the template is compiled, never silently misread.
AEL_FUNCTION_NAMES: Final = frozenset(
    """
    + - * / min max ^ % average sum count range floor ceiling round abs sqrt < <= == !=
    > >= exists contains empty && || ! concat length replace replaceIgnoreCase split
    substring toLower toUpper trim join endsWith startsWith countWord addOrdinal newGuid
    indexOf lastIndexOf EOL sentenceCase titleCase addDays addHours addMinutes
    addSeconds dayOfMonth dayOfWeek dayOfYear month date year utcNow formatDateTime
    formatEpoch formatTicks subtractFromTime dateReadBack getTimeOfDay getFutureTime
    getPastTime convertFromUTC convertToUTC addToTime startOfDay startOfHour
    startOfMonth ticks ticksToDays ticksToHours ticksToMinutes dateTimeDiff isDefinite
    isTime isDuration isDate isTimeRange isDateRange isPresent getNextViableDate
    getPreviousViableDate getNextViableTime getPreviousViableTime resolve float int
    string bool binary dataUri dataUriToBinary dataUriToString uriComponent
    uriComponentToString formatNumber jsonStringify createArray first last foreach
    select where union intersection skip take filterNotEqual subArray sortBy
    sortByDescending indicesAndValues flatten unique reverse any all if rand json
    addProperty removeProperty setProperty getProperty coalesce jPath setPathToValue
    merge xml xPath uriHost uriPath uriPathAndQuery uriPort uriQuery uriScheme isMatch
    isString isInteger isArray isObject isFloat isDateTime isBoolean stringOrValue
    ignore optional add mul div sub exp mod and equals greater greaterOrEquals less
    lessOrEquals not or & ??
    """.split()
)
