"""jPath(json, path): the JSPath query language, with the results of AEL's jPath.

AEL hands the path to the npm package `jspath` 0.4, which parses it and writes it out as
JavaScript source; what that code does is the language's meaning, so this module reads the
same grammar and evaluates it with the JavaScript semantics the generated code has:

- a location path (`.a.b`, `..a` at any depth, `.*`, `."quoted name"`, `^` for the root,
  `$name` for a substitution, which AEL never passes: always undefined) gives a list; arrays
  met on the way are spread one level into it, and undefined is left out (null is kept);
- `{...}` keeps the items for which a predicate holds: comparisons (`==` ignores case
  between two strings, `===` is strict, `^=`/`$=`/`*=` starts/ends with/contains ignoring
  case, `^==`/`$==`/`*==` the same with case, `==^`/`=^`... with the operands swapped), `<`,
  `>`, `+ - * / %`, `&& || !`, with JavaScript's `==`, `<` and `+`; a path operand is a list,
  true for a predicate when not empty, and a comparison holds when any of its items does;
- `[n]` (from the end when negative), `[from:to]`, `[:to]`, `[from:]` pick by position;
  a path whose last step is `[n]` gives that item (or undefined), not a list;
- `(path | path)` joins results, and a group may be followed by predicates.

Where the generated code would read a JavaScript built-in (`.length` of an array or string is
read; a method such as `.toString`, or `__proto__`), the engine raises instead of giving the
function the SDK would put in the card (docs/templates.md lists this difference).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from .._js import (
    UNDEFINED,
    BigInt,
    JSBytes,
    js_number,
    js_trim,
    js_truthy,
    js_value,
    normalize_number,
    template_string,
    to_string,
    to_utf16,
    utf16_key,
    utf16_len,
)
from .._scope import EvalError
from .base import OBJECT, STRING, FunctionTable, Spec, apply, order
from .objects import json_parse


class JSPathError(Exception):
    """Where jspath throws: a path it cannot parse, or generated code that is not valid
    JavaScript (the text is the JavaScript error's `String(e)`)."""


class BuiltInRead(Exception):
    """A read of a JavaScript built-in (a method, `__proto__`), which the engine does not give."""


# --- the language: tokens ------------------------------------------------------------

_ID, _NUM, _STR, _BOOL, _NULL, _PUNCT, _END = range(7)

_SPACE: Final = " \r\n\t"
_ID_START: Final = frozenset("$@_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ID_PART: Final = _ID_START | frozenset("0123456789")
_DIGITS: Final = frozenset("0123456789")
_SINGLE: Final = ":{}()[]^+-*/%!><|"


@dataclass(frozen=True, slots=True)
class _Token:
    kind: int
    value: Any
    end: int


def _next_token(path: str, at: int) -> _Token:
    """The token at `at` (after white space), as jspath's lexer reads it."""
    length = len(path)
    while at < length and path[at] in _SPACE:
        at += 1
    if at >= length:
        return _Token(_END, None, at)
    token = _punctuator(path, at) or _identifier(path, at) or _string(path, at)
    token = token or _numeric(path, at)
    if token is None:
        raise JSPathError(f'Error: Unexpected token "{path[at]}"')
    return token


def _punctuator(path: str, at: int) -> _Token | None:
    first = path[at]
    second = path[at + 1] if at + 1 < len(path) else ""
    if first == ".":
        if second and second in _DIGITS:
            return None  # a number such as .5
        if second == ".":
            return _Token(_PUNCT, "..", at + 2)
        return _Token(_PUNCT, ".", at + 1)
    if second == "=":
        third = path[at + 2] if at + 2 < len(path) else ""
        if third == "=":
            if first in "=!^$*":
                return _Token(_PUNCT, first + "==", at + 3)
        elif third and third in "^$*":
            if first == "=":
                return _Token(_PUNCT, "==" + third, at + 3)
        elif first in "=!^$*><":
            return _Token(_PUNCT, first + "=", at + 2)
    elif first == "=" and second and second in "^$*":
        return _Token(_PUNCT, first + second, at + 2)
    if first == second and first in "|&":
        return _Token(_PUNCT, first * 2, at + 2)
    if first in _SINGLE:
        return _Token(_PUNCT, first, at + 1)
    return None


def _identifier(path: str, at: int) -> _Token | None:
    if path[at] not in _ID_START:
        return None
    end = at + 1
    while end < len(path) and path[end] in _ID_PART:
        end += 1
    word = path[at:end]
    if word in ("true", "false"):
        return _Token(_BOOL, word == "true", end)
    if word == "null":
        return _Token(_NULL, None, end)
    return _Token(_ID, word, end)


def _string(path: str, at: int) -> _Token | None:
    quote = path[at]
    if quote not in "'\"":
        return None
    out: list[str] = []
    at += 1
    while at < len(path):
        char = path[at]
        at += 1
        if char == "\\":
            if at >= len(path):
                return None  # a backslash that ends the path: the string never ends
            char = path[at]
            at += 1
        elif char == quote:
            return _Token(_STR, "".join(out), at)
        out.append(char)
    return None


def _numeric(path: str, at: int) -> _Token | None:
    start = at
    if path[at] != "." and path[at] not in _DIGITS:
        return None
    is_float = path[at] == "."
    at += 1
    while at < len(path):
        char = path[at]
        if char == ".":
            if is_float:
                return None
            is_float = True
        elif char not in _DIGITS:
            break
        at += 1
    text = path[start:at]
    value = float(text) if is_float else int(text)
    return _Token(_NUM, normalize_number(value), at)


# --- the language: syntax ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Path:
    from_root: bool
    subst: str | None
    parts: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Selector:
    descendant: bool
    prop: str | None


@dataclass(frozen=True, slots=True)
class ObjectPredicate:
    arg: Any


@dataclass(frozen=True, slots=True)
class PositionPredicate:
    index: Any = None
    start: Any = None
    stop: Any = None


@dataclass(frozen=True, slots=True)
class Logical:
    op: str
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class Arithmetic:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class Union:
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    arg: Any


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any


_EQUALITY: Final = frozenset("== != === !== ^== ==^ ^= =^ $== ==$ $= =$ *== ==* *= =*".split())
_RELATIONAL: Final = frozenset(("<", ">", "<=", ">="))


class _Parser:
    """jspath's recursive-descent parser, one method per rule."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.at = 0
        self.ahead: _Token | None = None

    def peek(self) -> _Token:
        if self.ahead is None:
            self.ahead = _next_token(self.path, self.at)
        return self.ahead

    def take(self) -> _Token:
        token = self.peek()
        self.ahead = None
        self.at = token.end
        return token

    def match(self, value: str) -> bool:
        token = self.peek()
        return token.kind == _PUNCT and token.value == value

    def expect(self, value: str) -> None:
        token = self.take()
        if token.kind != _PUNCT or token.value != value:
            raise _unexpected(token)

    def parse(self) -> Any:
        result = self.union()
        token = self.take()
        if token.kind != _END:
            raise _unexpected(token)
        return result

    def union(self) -> Any:
        first = self.union_part()
        args = [first]
        while self.match("|"):
            self.take()
            args.append(self.union_part())
        return Union(tuple(args)) if len(args) > 1 else first

    def union_part(self) -> Any:
        return self.group() if self.match("(") else self.location()

    def group(self) -> Any:
        self.expect("(")
        inner = self.union()
        self.expect(")")
        predicates = []
        while (predicate := self.predicate()) is not None:
            predicates.append(predicate)
        if not predicates:
            return inner
        if isinstance(inner, Path):
            return Path(inner.from_root, inner.subst, (*inner.parts, *predicates))
        return Path(False, None, (inner, *predicates))

    def predicate(self) -> Any:
        if self.match("["):
            return self.position()
        if self.match("{"):
            self.expect("{")
            arg = self.logical_or()
            self.expect("}")
            return ObjectPredicate(arg)
        if self.match("("):
            return self.group()
        return None

    def at_location(self) -> bool:
        return self.at_selector() or self.at_subst() or self.match("^")

    def at_selector(self) -> bool:
        token = self.peek()
        return token.kind == _PUNCT and token.value in (".", "..")

    def at_subst(self) -> bool:
        token = self.peek()
        return token.kind == _ID and token.value.startswith("$")

    def location(self) -> Path:
        if not self.at_location():
            raise _unexpected(self.take())
        from_root, subst = False, None
        if self.match("^"):
            self.take()
            from_root = True
        elif self.at_subst():
            subst = self.take().value[1:]
        parts: list[Any] = []
        while True:
            part = self.selector() if self.at_selector() else self.predicate()
            if part is None:
                return Path(from_root, subst, tuple(parts))
            parts.append(part)

    def selector(self) -> Selector:
        descendant = self.take().value == ".."
        token = self.peek()
        prop = None
        if self.match("*") or token.kind in (_ID, _STR):
            prop = self.take().value
        return Selector(descendant, prop)

    def position(self) -> PositionPredicate:
        self.expect("[")
        if self.match(":"):
            self.take()
            result = PositionPredicate(stop=self.unary())
        else:
            start = self.unary()
            if self.match(":"):
                self.take()
                if self.match("]"):
                    result = PositionPredicate(start=start)
                else:
                    result = PositionPredicate(start=start, stop=self.unary())
            else:
                result = PositionPredicate(index=start)
        self.expect("]")
        return result

    def logical_or(self) -> Any:
        return self._logical("||", self.logical_and)

    def logical_and(self) -> Any:
        return self._logical("&&", self.equality)

    def _logical(self, op: str, operand: Callable[[], Any]) -> Any:
        args = [operand()]
        while self.match(op):
            self.take()
            args.append(operand())
        return Logical(op, tuple(args)) if len(args) > 1 else args[0]

    def _at_op(self, ops: frozenset[str]) -> bool:
        token = self.peek()
        return token.kind == _PUNCT and token.value in ops

    # jspath nests equality, relational and multiplicative operators to the right
    # (`a / b / c` is `a / (b / c)`) and additive ones to the left.
    def equality(self) -> Any:
        expr = self.relational()
        while self._at_op(_EQUALITY):
            op = self.take().value
            expr = Comparison(op, expr, self.equality())
        return expr

    def relational(self) -> Any:
        expr = self.additive()
        while self._at_op(_RELATIONAL):
            op = self.take().value
            expr = Comparison(op, expr, self.relational())
        return expr

    def additive(self) -> Any:
        expr = self.multiplicative()
        while self.match("+") or self.match("-"):
            op = self.take().value
            expr = Arithmetic(op, expr, self.multiplicative())
        return expr

    def multiplicative(self) -> Any:
        expr = self.unary()
        while self.match("*") or self.match("/") or self.match("%"):
            op = self.take().value
            expr = Arithmetic(op, expr, self.multiplicative())
        return expr

    def unary(self) -> Any:
        if self.match("!") or self.match("-"):
            op = self.take().value
            return Unary(op, self.unary())
        token = self.peek()
        if token.kind in (_STR, _NUM, _BOOL, _NULL):
            return Literal(self.take().value)
        if self.at_location():
            return self.location()
        if self.match("("):
            self.expect("(")
            expr = self.logical_or()
            self.expect(")")
            return expr
        raise _unexpected(self.take())


def _unexpected(token: _Token) -> JSPathError:
    if token.kind == _END:
        return JSPathError("Error: Unexpected end of path")
    # jspath formats the value with `|| ''`: a falsy token shows as nothing.
    value = token.value
    text = "" if value in (None, False, 0, "") else template_string(value)
    return JSPathError(f'Error: Unexpected token "{text}"')


# --- JavaScript values ---------------------------------------------------------------

# Own property names of the prototypes (Node 20) that a read on a JSON value can reach.
_OBJECT_PROTO: Final = frozenset(
    "__defineGetter__ __defineSetter__ __lookupGetter__ __lookupSetter__ __proto__ "
    "constructor hasOwnProperty isPrototypeOf propertyIsEnumerable toLocaleString "
    "toString valueOf".split()
)
_ARRAY_PROTO: Final = _OBJECT_PROTO | frozenset(
    "at concat copyWithin entries every fill filter find findIndex findLast findLastIndex "
    "flat flatMap forEach includes indexOf join keys lastIndexOf map pop push reduce "
    "reduceRight reverse shift slice some sort splice toReversed toSorted toSpliced "
    "unshift values with".split()
)
_STRING_PROTO: Final = _OBJECT_PROTO | frozenset(
    "anchor at big blink bold charAt charCodeAt codePointAt concat endsWith fixed "
    "fontcolor fontsize includes indexOf isWellFormed italics lastIndexOf link "
    "localeCompare match matchAll normalize padEnd padStart repeat replace replaceAll "
    "search slice small split startsWith strike sub substr substring sup "
    "toLocaleLowerCase toLocaleUpperCase toLowerCase toUpperCase toWellFormed trim "
    "trimEnd trimLeft trimRight trimStart".split()
)
_NUMBER_PROTO: Final = _OBJECT_PROTO | frozenset("toExponential toFixed toPrecision".split())

# An ECMAScript array index (what `for...in` lists first, in ascending order).
_INDEX: Final = re.compile(r"0|[1-9][0-9]*")


def _builtin(name: str) -> BuiltInRead:
    return BuiltInRead(
        f"jPath reads the JavaScript built-in {name!r} here, which the engine does not give"
    )


def _is_index(name: str, length: int) -> bool:
    return _INDEX.fullmatch(name) is not None and int(name) < length


def get(value: Any, name: str) -> Any:
    """`value[name]` in JavaScript, for a JSON value that is not null or undefined."""
    if type(value) is dict and name in value:  # the usual case
        return js_value(value[name])
    if isinstance(value, dict):
        if name in value:
            return js_value(value[name])
        if name in _OBJECT_PROTO:
            raise _builtin(name)
        return UNDEFINED
    if isinstance(value, list):
        if _is_index(name, len(value)):
            return js_value(value[int(name)])
        if name == "length":
            return len(value)
        if name in _ARRAY_PROTO:
            raise _builtin(name)
        return UNDEFINED
    if isinstance(value, str):
        if _is_index(name, utf16_len(value)):
            return to_utf16(value)[int(name)]
        if name == "length":
            return utf16_len(value)
        if name in _STRING_PROTO:
            raise _builtin(name)
        return UNDEFINED
    if isinstance(value, bool):
        if name in _OBJECT_PROTO:
            raise _builtin(name)
        return UNDEFINED
    if isinstance(value, int | float):
        if name in _NUMBER_PROTO:
            raise _builtin(name)
        return UNDEFINED
    raise _unmodelled(value)


def _unmodelled(value: Any) -> BuiltInRead:
    return BuiltInRead(f"jPath reads JSON values; {template_string(value)!r} is not one")


def own_items(value: dict[str, Any]) -> list[Any]:
    """The values `for (key in value) if (value.hasOwnProperty(key))` visits, in its order."""
    for key in value:
        if key[:1] in _DIGITS:
            break
    else:  # no key can be an array index: the object's own order
        return list(map(js_value, value.values()))
    indices = sorted(
        (int(key), key) for key in value if _INDEX.fullmatch(key) and int(key) < 2**32 - 1
    )
    if not indices:
        return [js_value(item) for item in value.values()]
    named = [key for key in value if not (_INDEX.fullmatch(key) and int(key) < 2**32 - 1)]
    return [js_value(value[key]) for key in [key for _, key in indices] + named]


def _is_object(value: Any) -> bool:
    """`typeof value === "object"` (null included)."""
    return value is None or isinstance(value, dict | list | JSBytes | BigInt)


def append(out: list[Any], value: Any) -> None:
    """jspath's inlineAppendToArray: an array is spread one level, undefined is left out."""
    if value is UNDEFINED:
        return
    if isinstance(value, list):
        out.extend(js_value(item) for item in value)
    else:
        out.append(value)


def _primitive(value: Any) -> Any:
    """ToPrimitive: an array is its items joined by commas, an object "[object Object]"."""
    if isinstance(value, dict | list):
        return to_string(value)
    if isinstance(value, JSBytes | BigInt):
        raise _unmodelled(value)
    return value


def to_number(value: Any) -> float | int:
    return js_number(_primitive(value))


def loose_equals(left: Any, right: Any) -> bool:
    """JavaScript's `==` (IsLooselyEqual)."""
    left_object = isinstance(left, dict | list)
    right_object = isinstance(right, dict | list)
    if left_object and right_object:
        return left is right
    if left is None or left is UNDEFINED or right is None or right is UNDEFINED:
        return (left is None or left is UNDEFINED) and (right is None or right is UNDEFINED)
    if left_object:
        return loose_equals(_primitive(left), right)
    if right_object:
        return loose_equals(left, _primitive(right))
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    if isinstance(left, bool) and isinstance(right, bool):
        return left is right
    # Numbers with numbers, strings or booleans: both as numbers (NaN equals nothing).
    return bool(js_number(left) == js_number(right))


def strict_equals(left: Any, right: Any) -> bool:
    """JavaScript's `===`."""
    if isinstance(left, dict | list) or isinstance(right, dict | list):
        return left is right
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left is right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return bool(left == right)
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    return left is right


_NUMBERS: Final = (int, float)


def _order(left: Any, right: Any) -> int | None:
    """JavaScript's relational comparison: -1, 0 or 1; None where it is undefined (NaN)."""
    if type(left) in _NUMBERS and type(right) in _NUMBERS:  # the usual case, bool excluded
        if left != left or right != right:
            return None
        return (left > right) - (left < right)  # type: ignore[no-any-return]
    left, right = _primitive(left), _primitive(right)
    if isinstance(left, str) and isinstance(right, str):
        a, b = utf16_key(left), utf16_key(right)
        return (a > b) - (a < b)
    x, y = js_number(left), js_number(right)
    if math.isnan(x) or math.isnan(y):
        return None
    return (x > y) - (x < y)


def _less(left: Any, right: Any) -> bool:
    return _order(left, right) == -1


def _less_or_equal(left: Any, right: Any) -> bool:
    found = _order(left, right)
    return found is not None and found <= 0


def _text(value: Any) -> str:
    """`value.toString()` (never called on null or undefined here)."""
    if isinstance(value, JSBytes | BigInt):
        raise _unmodelled(value)
    return to_string(value)


def _starts_with(left: Any, right: Any) -> bool:
    if left is None or left is UNDEFINED or right is None or right is UNDEFINED:
        return False
    return _text(left).lower().startswith(_text(right).lower())


def _ends_with(left: Any, right: Any) -> bool:
    if left is None or left is UNDEFINED or right is None or right is UNDEFINED:
        return False
    return _text(left).lower().endswith(_text(right).lower())


def _contains(left: Any, right: Any) -> bool:
    if left is None or left is UNDEFINED or right is None or right is UNDEFINED:
        return False
    return _text(right).lower() in _text(left).lower()


def _both_strings(left: Any, right: Any) -> bool:
    return isinstance(left, str) and isinstance(right, str)


def _equals_ignoring_case(left: Any, right: Any) -> bool:
    if _both_strings(left, right):
        return bool(left.lower() == right.lower())
    return loose_equals(left, right)


_COMPARISONS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "===": strict_equals,
    "==": _equals_ignoring_case,
    "!==": lambda a, b: not strict_equals(a, b),
    "!=": lambda a, b: not loose_equals(a, b),
    ">=": lambda a, b: _less_or_equal(b, a),
    ">": lambda a, b: _less(b, a),
    "<=": _less_or_equal,
    "<": _less,
    "^==": lambda a, b: _both_strings(a, b) and a.startswith(b),
    "==^": lambda a, b: _both_strings(a, b) and b.startswith(a),
    "^=": _starts_with,
    "=^": lambda a, b: _starts_with(b, a),
    "$==": lambda a, b: _both_strings(a, b) and a.endswith(b),
    "==$": lambda a, b: _both_strings(a, b) and b.endswith(a),
    "$=": _ends_with,
    "=$": lambda a, b: _ends_with(b, a),
    "*==": lambda a, b: _both_strings(a, b) and b in a,
    "==*": lambda a, b: _both_strings(a, b) and a in b,
    "*=": _contains,
    "=*": lambda a, b: _contains(b, a),
}


def _add(left: Any, right: Any) -> Any:
    """JavaScript's `+`: text when either side is text (after ToPrimitive), else a sum."""
    left, right = _primitive(left), _primitive(right)
    if isinstance(left, str) or isinstance(right, str):
        return _string_of(left) + _string_of(right)
    return float(js_number(left)) + float(js_number(right))


def _string_of(value: Any) -> str:
    return value if isinstance(value, str) else template_string(value)


def _divide(x: float, y: float) -> float:
    if y == 0:
        if x == 0 or math.isnan(x):
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1, y)
    try:
        return x / y
    except OverflowError:
        return math.copysign(math.inf, x) * math.copysign(1, y)


def _remainder(x: float, y: float) -> float:
    if math.isnan(x) or math.isnan(y) or math.isinf(x) or y == 0:
        return math.nan
    if math.isinf(y):
        return x
    return math.fmod(x, y)


_NUMERIC: Final[dict[str, Callable[[float, float], float]]] = {
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": _divide,
    "%": _remainder,
}


def _to_integer(value: Any) -> float:
    number = float(to_number(value))
    if math.isnan(number):
        return 0
    return number if math.isinf(number) else float(math.trunc(number))


def _slice(items: list[Any], start: Any, stop: Any) -> list[Any]:
    """Array.prototype.slice(start, stop) (stop UNDEFINED: to the end)."""
    length = len(items)

    def bound(value: Any) -> int:
        relative = _to_integer(value)
        if relative < 0:
            return int(max(length + relative, 0))
        return int(min(relative, length))

    first = bound(start)
    last = length if stop is UNDEFINED else bound(stop)
    return items[first:last]


def _property_key(value: Any) -> str:
    """ToPropertyKey for a value used as `array[value]`."""
    if isinstance(value, str):
        return value
    if isinstance(value, JSBytes | BigInt):
        raise _unmodelled(value)
    return template_string(value)


# --- evaluation: each node becomes fn(context, root) ---------------------------------

Eval = Callable[[Any, Any], Any]


def _single(node: Any, fn: Eval) -> Eval:
    """jspath's convertToSingleValue: a path's first item; any list's first item."""
    if isinstance(node, Literal):
        return fn
    if isinstance(node, Path):
        return lambda context, root: found[0] if (found := fn(context, root)) else UNDEFINED

    def single(context: Any, root: Any) -> Any:
        value = fn(context, root)
        if isinstance(value, list):
            return value[0] if value else UNDEFINED
        return value

    return single


def _boolean(node: Any, fn: Eval) -> Callable[[Any, Any], bool]:
    """jspath's convertToBool: a path is true when it finds anything."""
    if isinstance(node, Logical | Comparison) or (isinstance(node, Unary) and node.op == "!"):
        return fn  # always a boolean
    if isinstance(node, Literal):
        return lambda context, root: js_truthy(fn(context, root))
    if isinstance(node, Path):
        return lambda context, root: len(fn(context, root)) > 0

    def boolean(context: Any, root: Any) -> bool:
        value = fn(context, root)
        if isinstance(value, bool):
            return value
        if isinstance(value, list):
            return len(value) > 0
        return js_truthy(value)

    return boolean


def _compile(node: Any) -> Eval:
    if isinstance(node, Path):
        return _compile_path(node)
    if isinstance(node, Union):
        return _compile_union(node)
    if isinstance(node, Comparison):
        return _compile_comparison(node)
    if isinstance(node, Arithmetic):
        return _compile_arithmetic(node)
    if isinstance(node, Logical):
        return _compile_logical(node)
    if isinstance(node, Unary):
        return _compile_unary(node)
    assert isinstance(node, Literal)
    value = node.value
    if isinstance(value, str) and ("\n" in value or "\r" in value):
        # jspath writes the text into its generated JavaScript unescaped: a syntax error.
        raise JSPathError("SyntaxError: Invalid or unexpected token")
    return lambda context, root: value


# A substitution's name is written as `subst.NAME` in the generated JavaScript.
_JS_NAME: Final = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def _compile_path(node: Path) -> Eval:
    steps: list[Callable[[list[Any], Any], list[Any]]] = []
    for part in node.parts:
        step = _compile_step(part)
        if step is not None:
            steps.append(step)
    # jspath tests the name for truth: `$` alone (no name) reads the context.
    if node.subst:
        name = node.subst
        if not _JS_NAME.fullmatch(name):
            raise JSPathError("SyntaxError: Unexpected token")
    from_root, subst = node.from_root, node.subst or None

    def path(context: Any, root: Any) -> list[Any]:
        if subst is not None:
            # AEL passes no substitutions: `$name` reads an empty object.
            if subst in _OBJECT_PROTO:
                raise _builtin(subst)
            start = UNDEFINED
        else:
            start = root if from_root else context
        items = start if isinstance(start, list) else [start]
        for step in steps:
            items = step(items, root)
        return items

    return path


def _compile_step(part: Any) -> Callable[[list[Any], Any], list[Any]] | None:
    if isinstance(part, Selector):
        prop = part.prop or ""  # jspath tests the name for truth: `.""` has none
        if part.descendant:
            return _descendants(prop)
        return _children(prop) if prop else None  # `.` alone: the items as they are
    if isinstance(part, ObjectPredicate):
        return _filter(part)
    if isinstance(part, PositionPredicate):
        return _position(part)
    if isinstance(part, Union):
        union = _compile_union(part)
        return lambda items, root: union(items, root)  # type: ignore[no-any-return]
    return None  # jspath's translator skips a bare group inside a path: `.a(.b)` is `.a`


def _children(prop: str) -> Callable[[list[Any], Any], list[Any]]:
    if "\n" in prop or "\r" in prop:
        raise JSPathError("SyntaxError: Invalid or unexpected token")
    if prop == "*":

        def every_child(items: list[Any], root: Any) -> list[Any]:
            out: list[Any] = []
            for item in items:
                if isinstance(item, list):
                    append(out, item)
                elif isinstance(item, dict):
                    for value in own_items(item):
                        append(out, value)
                elif isinstance(item, JSBytes | BigInt):
                    raise _unmodelled(item)
            return out

        return every_child

    def child(items: list[Any], root: Any) -> list[Any]:
        out: list[Any] = []
        for item in items:
            if item is not None and item is not UNDEFINED:
                append(out, get(item, prop))
        return out

    return child


def _descendants(prop: str) -> Callable[[list[Any], Any], list[Any]]:
    # jspath writes this name into its JavaScript between double quotes, unescaped.
    if '"' in prop or "\n" in prop or "\r" in prop:
        raise JSPathError("SyntaxError: Unexpected identifier")
    if "\\" in prop:
        raise BuiltInRead(
            "jPath: a `..` name with a backslash is read as a JavaScript escape by the SDK, "
            "which the engine does not do"
        )
    every = prop == "*"

    def descendants(items: list[Any], root: Any) -> list[Any]:
        out: list[Any] = []
        pending = list(reversed(items))  # a stack: depth first, in document order
        while pending:
            item = pending.pop()
            children: list[Any] = []
            if isinstance(item, list):
                for value in item:
                    if _is_object(value):
                        append(children, value)
            elif isinstance(item, dict):
                values = own_items(item)
                if not every:
                    append(out, get(item, prop))
                for value in values:
                    if type(value) is list:
                        children.extend(map(js_value, value))
                    else:
                        children.append(value)
                if every:
                    for value in values:
                        append(out, value)
            elif isinstance(item, JSBytes | BigInt):
                raise _unmodelled(item)
            pending.extend(reversed(children))
        return out

    def everything(items: list[Any], root: Any) -> list[Any]:
        out: list[Any] = []
        pending = list(reversed(items))
        while pending:
            item = pending.pop()
            children: list[Any] = []
            if isinstance(item, list):
                for value in item:
                    append(children, value)
            else:
                append(out, item)
                if isinstance(item, dict):
                    for value in own_items(item):
                        append(children, value)
                elif isinstance(item, JSBytes | BigInt):
                    raise _unmodelled(item)
            pending.extend(reversed(children))
        return out

    return everything if prop == "" else descendants


def _filter(part: ObjectPredicate) -> Callable[[list[Any], Any], list[Any]]:
    test = _boolean(part.arg, _compile(part.arg))

    def keep(items: list[Any], root: Any) -> list[Any]:
        return [item for item in items if test(item, root)]

    return keep


def _position(part: PositionPredicate) -> Callable[[list[Any], Any], list[Any]]:
    # The positions are evaluated against the whole list, not each item.
    if part.index is not None:
        index = _compile(part.index)

        def pick(items: list[Any], root: Any) -> list[Any]:
            value = index(items, root)
            if _less(value, 0):
                value = _add(len(items), value)
            found = get(items, _property_key(value))
            return [] if found is None or found is UNDEFINED else [found]

        return pick
    start = _compile(part.start) if part.start is not None else None
    stop = _compile(part.stop) if part.stop is not None else None

    def cut(items: list[Any], root: Any) -> list[Any]:
        first = start(items, root) if start is not None else 0
        last = stop(items, root) if stop is not None else UNDEFINED
        return _slice(items, first, last)

    return cut


def _compile_union(node: Union) -> Eval:
    parts = [_compile(arg) for arg in node.args]

    def union(context: Any, root: Any) -> list[Any]:
        out: list[Any] = []
        for part in parts:
            append(out, part(context, root))
        return out

    return union


def _compile_comparison(node: Comparison) -> Eval:
    left, right = _compile(node.left), _compile(node.right)
    left_is_path = isinstance(node.left, Path)
    right_is_literal = isinstance(node.right, Literal)
    test = _COMPARISONS[node.op]

    def compare(context: Any, root: Any) -> bool:
        a, b = left(context, root), right(context, root)
        a_many = left_is_path or isinstance(a, list)
        b_many = not right_is_literal and isinstance(b, list)
        if a_many and len(a) == 1:
            a, a_many = a[0], False
        if b_many and len(b) == 1:
            b, b_many = b[0], False
        if a_many and b_many:
            return any(test(x, y) for x in a for y in b)
        if a_many:
            return any(test(x, b) for x in a)
        if b_many:
            return any(test(a, y) for y in b)
        return test(a, b)

    return compare


def _compile_arithmetic(node: Arithmetic) -> Eval:
    left = _single(node.left, _compile(node.left))
    right = _single(node.right, _compile(node.right))
    if node.op == "+":
        return lambda context, root: _add(left(context, root), right(context, root))
    operate = _NUMERIC[node.op]

    def arithmetic(context: Any, root: Any) -> Any:
        x = float(to_number(left(context, root)))
        y = float(to_number(right(context, root)))
        return operate(x, y)

    return arithmetic


def _compile_logical(node: Logical) -> Eval:
    tests = [_boolean(arg, _compile(arg)) for arg in node.args]
    if node.op == "&&":
        return lambda context, root: all(test(context, root) for test in tests)
    return lambda context, root: any(test(context, root) for test in tests)


def _compile_unary(node: Unary) -> Eval:
    if node.op == "!":
        test = _boolean(node.arg, _compile(node.arg))
        return lambda context, root: not test(context, root)
    value = _single(node.arg, _compile(node.arg))
    return lambda context, root: -float(to_number(value(context, root)))


@dataclass(frozen=True, slots=True)
class _Query:
    """A compiled path: its evaluator, and whether it gives one item rather than a list."""

    run: Eval
    single: bool


@lru_cache(maxsize=256)
def compile_path(path: str) -> _Query | JSPathError | BuiltInRead:
    """`path` parsed and compiled once (jspath caches its compiled paths too)."""
    try:
        tree = _Parser(path).parse()
        run = _compile(tree)
    except (JSPathError, BuiltInRead) as error:
        return error
    except RecursionError:
        return JSPathError("RangeError: Maximum call stack size exceeded")
    last = tree.parts[-1] if isinstance(tree, Path) and tree.parts else None
    return _Query(run, isinstance(last, PositionPredicate) and last.index is not None)


def query(data: Any, path: str) -> Any:
    """jspath.apply(path, data): a list of what the path finds, or one item (undefined if
    none) for a path whose last step is `[n]`."""
    compiled = compile_path(path)
    if not isinstance(compiled, _Query):
        # A fresh exception each time: raising the cached one would grow its traceback.
        raise type(compiled)(str(compiled))
    found = compiled.run(data, data)
    if compiled.single:
        return found[0] if found else UNDEFINED
    return list(found)


# --- AEL's jPath ---------------------------------------------------------------------

# What JSON.parse skips around a value (it does not trim as String.prototype.trim does).
_JSON_SPACE: Final = " \t\n\r"


def _jpath(args: list[Any]) -> Any:
    source, path = args[0], to_string(args[1])
    if isinstance(source, str):
        if js_trim(source) != source.strip(_JSON_SPACE):
            raise EvalError(f"{source} is not a valid json string")
        try:
            data = json_parse(source)
        except EvalError:
            raise EvalError(f"{source} is not a valid json string") from None
    elif source is None or isinstance(source, dict | list):
        data = source
    elif isinstance(source, JSBytes | BigInt):
        raise EvalError(f"jPath reads JSON values; {template_string(source)!r} is not one")
    else:
        raise EvalError("the first parameter should be either an object or a string")
    try:
        return query(data, path)
    except JSPathError as error:
        raise EvalError(f"{path} is not a valid path + {error}") from None
    except BuiltInRead as error:
        raise EvalError(str(error)) from None


def register(table: FunctionTable) -> None:
    """Add this family's functions to `table`."""
    table["jPath"] = Spec(OBJECT, order([], OBJECT, STRING), apply(_jpath))


__all__ = ["compile_path", "query", "register"]
