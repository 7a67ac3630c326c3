"""Adaptive Expressions functions beyond the issue's list: collections, dates, numbers, text.

Each follows the function of the same name in `adaptive-expressions` (its parse-time check,
its argument checks and its result, JavaScript quirks included), and the live differential
test compares them with the official SDK. Importing this module registers them.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

from . import _datetime as dates
from ._expressions import (
    ARRAY,
    BOOLEAN,
    NUMBER,
    OBJECT,
    STRING,
    EvalError,
    Fn,
    HardError,
    Scope,
    Spec,
    _evaluate,
    _lambda,
    _lambda_shape,
    _register,
    _to_list,
    apply,
    arity_any,
    iso_moment,
    order,
    output_format,
    verify_integer,
    verify_number,
    verify_string_or_null,
)
from ._js import (
    JS_WHITESPACE,
    UNDEFINED,
    is_integer,
    is_logic_true,
    is_number,
    js_greater,
    js_truthy,
    normalize_number,
    strict_equals,
    template_string,
    to_string,
    to_utf16,
    utf16_key,
)
from ._parser import Node, render

__all__: list[str] = []


# --- parse-time checks (FunctionUtils.validate*) -------------------------------------------------


_unary_string = arity_any(1, 1, STRING)


# --- argument checks (FunctionUtils.verify*) -----------------------------------------------------


def _verify_string(value: Any, node: Node) -> str | None:
    return None if isinstance(value, str) else f"{render(node)} is not a string."


def _verify_list(value: Any, node: Node) -> str | None:
    return None if isinstance(value, list) else f"{render(node)} is not a list or array."


# --- collections ---------------------------------------------------------------------------------


def _set_key(value: Any) -> tuple[str, Any]:
    """What JavaScript's Set compares: primitives by value (NaN equals NaN, true is not 1),
    objects and arrays by identity."""
    if isinstance(value, bool) or value is None:
        return ("const", value)
    if value is UNDEFINED:
        return ("const", "undefined")
    if is_number(value):
        return ("number", "NaN" if value != value else float(value))
    if isinstance(value, str):
        return ("string", value)
    return ("object", id(value))


def _distinct(values: list[Any]) -> list[Any]:
    """`Array.from(new Set(values))`: first occurrences, in order."""
    seen: set[tuple[str, Any]] = set()
    out = []
    for value in values:
        key = _set_key(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def _unique(args: list[Any]) -> Any:
    return _distinct(args[0])


def _union(args: list[Any]) -> Any:
    return _distinct([item for arg in args for item in arg])


def _intersection(args: list[Any]) -> Any:
    result = args[0]
    for arg in args:
        # indexOf uses strict equality: objects by identity, NaN never found.
        result = [item for item in result if any(strict_equals(item, other) for other in arg)]
    return _distinct(result)


def _flatten(args: list[Any]) -> Any:
    items = args[0]
    if not isinstance(items, list):
        raise EvalError(f"{to_string(items)}.some is not a function")
    depth = args[1] if len(args) > 1 else 100
    if not is_number(depth) or depth < 1:
        depth = 1
    result = list(items)
    level = 0
    while level < depth and any(isinstance(item, list) for item in result):
        flat: list[Any] = []
        for item in result:
            if isinstance(item, list):
                flat.extend(item)
            else:
                flat.append(item)
        result = flat
        level += 1
    return result


def _array_index(name: str) -> int | None:
    """The index a property name stands for on an array (canonical digits only)."""
    if name.isdigit() and name.isascii() and (name == "0" or not name.startswith("0")):
        return int(name)
    return None


def _default_sort_key(value: Any) -> tuple[int, bytes]:
    # Array.prototype.sort without a comparator: undefined last, the rest by String(value).
    if value is UNDEFINED:
        return (1, b"")
    return (0, utf16_key(template_string(value)))


def _sort_by_build(descending: bool) -> Callable[[Node, list[Fn]], Fn]:
    def build(node: Node, children: list[Fn]) -> Fn:
        def run(scope: Scope, subst: bool) -> Any:
            items = children[0](scope, subst)
            if not isinstance(items, list):
                raise EvalError(f"{render(node.children[0])} is not an array")
            if len(children) == 1:
                ordered = sorted(items, key=_default_sort_key)
            else:
                key = children[1](scope, subst)
                name = template_string(key) if js_truthy(key) else ""

                def field(item: Any) -> Any:
                    # `item[name]` in JavaScript: on null it throws, on arrays and strings
                    # an index (or `length`) reads an element.
                    if isinstance(item, dict):
                        return item.get(name, UNDEFINED)
                    if item is None:
                        raise HardError(f"Cannot read properties of null (reading '{name}')")
                    if isinstance(item, list | str):
                        units = to_utf16(item) if isinstance(item, str) else item
                        if name == "length":
                            return len(units)
                        position = _array_index(name)
                        if position is not None and position < len(units):
                            return units[position]
                    return UNDEFINED

                def compare(left: Any, right: Any) -> int:
                    a, b = field(left), field(right)
                    if js_greater(a, b):
                        return 1
                    if js_greater(b, a):
                        return -1
                    return 0

                ordered = sorted(items, key=functools.cmp_to_key(compare))
            if descending:
                ordered.reverse()
            return ordered

        return run

    return build


def _sub_array_build(node: Node, children: list[Fn]) -> Fn:
    def run(scope: Scope, subst: bool) -> Any:
        items = children[0](scope, subst)
        if not isinstance(items, list):
            raise EvalError(f"{render(node.children[0])} is not array.")
        start = children[1](scope, subst)
        if not is_integer(start):
            raise EvalError(f"{render(node.children[1])} is not an integer.")
        if start < 0 or start > len(items):
            raise EvalError(f"{render(node.children[1])}={start} which is out of range")
        end: Any = len(items)
        if len(children) == 3:
            end = children[2](scope, subst)
            if not is_integer(end):
                raise EvalError(f"{render(node.children[2])} is not an integer")
            if end < 0 or end > len(items):
                raise EvalError(f"{render(node.children[2])}={end} which is out of range")
        return items[int(start) : int(end)]

    return run


def _range(args: list[Any]) -> Any:
    start, count = args
    if count <= 0:
        raise EvalError("Second paramter must be more than zero")
    return [normalize_number(start + offset) for offset in range(int(count))]


def _quantifier_build(want_all: bool) -> Callable[[Node, list[Fn]], Fn]:
    def build(node: Node, children: list[Fn]) -> Fn:
        def run(scope: Scope, subst: bool) -> Any:
            # AEL returns its starting result (true for all, false for any) beside an error,
            # and `||` passes that value on.
            try:
                items = _to_list(children[0](scope, subst))
            except EvalError as error:
                raise EvalError(str(error), want_all) from None
            if items is None:
                raise EvalError(
                    f"{render(node.children[0])} is not a collection or structure object "
                    "to run Any",
                    want_all,
                )
            for _item, result, failed in _lambda(node, children, scope, subst, items):
                holds = not failed and is_logic_true(result)
                if want_all and not holds:
                    return False
                if not want_all and holds:
                    return True
            return want_all

        return run

    return build


def _indices_and_values(args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, list):
        return [{"index": index, "value": item} for index, item in enumerate(value)]
    if isinstance(value, dict):
        return [{"index": key, "value": item} for key, item in value.items()]
    if value is None:
        # typeof null is 'object', and Object.entries(null) throws.
        raise EvalError("Cannot convert undefined or null to object")
    raise EvalError(f"{to_string(value)} is not array or object.")


def _merge(args: list[Any]) -> Any:
    result: dict[str, Any] = {}
    for arg in args:
        if isinstance(arg, dict):
            result.update(arg)
        elif isinstance(arg, list):
            # typeof null is 'object' too, and Object.assign skips it.
            for item in arg:
                if not (isinstance(item, dict) or item is None):
                    raise EvalError(
                        f"The argument {template_string(item)} in array must be a JSON object."
                    )
            for item in arg:
                if item is not None:
                    result.update(item)
        else:
            raise EvalError(f"The argument {to_string(arg)} must be a JSON object or array.")
    return result


# --- numbers and text ----------------------------------------------------------------------------


def _sqrt(args: list[Any]) -> Any:
    if args[0] < 0:
        raise EvalError("Do not support square root extraction of negative numbers.")
    return normalize_number(math.sqrt(args[0]))


def _add_ordinal(args: list[Any]) -> Any:
    number = int(args[0])
    text = to_string(args[0])
    if number <= 0:
        return text
    if number % 100 in (11, 12, 13):
        return text + "th"
    return text + {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")


_JS_WHITESPACE_RUN = re.compile("[" + re.escape(JS_WHITESPACE) + "]+")


def _count_word(args: list[Any]) -> Any:
    text = args[0] if isinstance(args[0], str) else ""
    return len(_JS_WHITESPACE_RUN.split(_JS_WHITESPACE_RUN.sub(" ", text).strip(" ")))


# encodeURIComponent leaves A-Z a-z 0-9 - _ . ! ~ * ' ( ) as they are.
_URI_SAFE = "-_.!~*'()"


def _uri_component(args: list[Any]) -> Any:
    try:
        return quote(args[0], safe=_URI_SAFE, encoding="utf-8", errors="strict")
    except UnicodeEncodeError:
        raise EvalError("URI malformed") from None


_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _uri_component_to_string(args: list[Any]) -> Any:
    text: str = args[0]
    if _PERCENT.search(text):
        raise EvalError("URI malformed")
    try:
        return unquote(text, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise EvalError("URI malformed") from None


# --- dates ---------------------------------------------------------------------------------------


def _date_part(part: Callable[[datetime], int]) -> Callable[[list[Any]], Any]:
    def run(args: list[Any]) -> Any:
        return part(iso_moment(args[0]))

    return run


def _start_of_build(unit: str) -> Callable[[Node, list[Fn]], Fn]:
    def build(node: Node, children: list[Fn]) -> Fn:
        def run(scope: Scope, subst: bool) -> Any:
            args = _evaluate(node, children, scope, subst, None)
            fmt = output_format(args, 3)
            if not isinstance(args[0], str):
                raise EvalError(
                    f"{render(node)} should contain an ISO format timestamp and an optional "
                    "output format string."
                )
            moment = iso_moment(args[0])
            moment = moment.replace(minute=0, second=0, microsecond=0)
            if unit in ("day", "month"):
                moment = moment.replace(hour=0)
            if unit == "month":
                moment = moment.replace(day=1)
            return dates.dayjs_format(moment, fmt)

        return run

    return build


def _add_months(moment: datetime, months: int) -> datetime:
    # dayjs sets the month on the 1st, then clamps the day to the new month's length.
    total = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(total, 12)
    following = date(year + 1, 1, 1) if month == 11 else date(year, month + 2, 1)
    day = min(moment.day, (following - date(year, month + 1, 1)).days)
    return moment.replace(year=year, month=month + 1, day=day)


_UNITS = {"Second": "seconds", "Minute": "minutes", "Hour": "hours", "Day": "days", "Week": "weeks"}


def _shift(moment: datetime, amount: int, unit: str | None) -> datetime:
    if unit == "Month":
        return _add_months(moment, amount)
    if unit == "Year":
        return _add_months(moment, amount * 12)
    if unit in _UNITS:
        return moment + timedelta(**{_UNITS[unit]: amount})
    # dayjs adds milliseconds for a unit it does not know.
    return moment + timedelta(milliseconds=amount)


def _shift_time_build(sign: int) -> Callable[[Node, list[Fn]], Fn]:
    def build(node: Node, children: list[Fn]) -> Fn:
        def run(scope: Scope, subst: bool) -> Any:
            args = _evaluate(node, children, scope, subst, None)
            stamp = args[0]
            amount: Any = args[1] if len(args) > 1 else UNDEFINED
            unit: Any = args[2] if len(args) > 2 else UNDEFINED
            if not (isinstance(stamp, str) and is_integer(amount) and isinstance(unit, str)):
                raise EvalError(
                    f"{render(node)} should contain an ISO format timestamp, a time interval "
                    "integer, a string unit of time and an optional output format string."
                )
            fmt = output_format(args, 5)
            known = unit in _UNITS or unit in ("Month", "Year")
            if sign < 0 and not known:
                raise EvalError(f"{unit} is not a valid time unit.")
            moment = iso_moment(stamp)
            try:
                shifted = _shift(moment, sign * int(amount), unit if known else None)
            except (OverflowError, ValueError):
                raise EvalError(f"{stamp} is out of the range of dates") from None
            return dates.dayjs_format(shifted, fmt)

        return run

    return build


def _day_of_year(moment: datetime) -> int:
    return moment.timetuple().tm_yday


# --- registration --------------------------------------------------------------------------------

_register(["sortBy"], Spec(ARRAY, order([STRING], ARRAY), _sort_by_build(False)))
_register(["sortByDescending"], Spec(ARRAY, order([STRING], ARRAY), _sort_by_build(True)))
_register(["unique"], Spec(ARRAY, order([], ARRAY), apply(_unique, _verify_list)))
_register(["union"], Spec(ARRAY, arity_any(1, 2**53, ARRAY), apply(_union, _verify_list)))
_register(
    ["intersection"], Spec(ARRAY, arity_any(1, 2**53, ARRAY), apply(_intersection, _verify_list))
)
_register(["flatten"], Spec(ARRAY, order([NUMBER], ARRAY), apply(_flatten)))
_register(["subArray"], Spec(ARRAY, order([NUMBER], ARRAY, NUMBER), _sub_array_build))
_register(["range"], Spec(ARRAY, arity_any(2, 2, NUMBER), apply(_range, verify_integer)))
_register(["any"], Spec(BOOLEAN, _lambda_shape, _quantifier_build(False)))
_register(["all"], Spec(BOOLEAN, _lambda_shape, _quantifier_build(True)))
_register(["indicesAndValues"], Spec(ARRAY, arity_any(1, 1), apply(_indices_and_values)))
_register(["merge"], Spec(OBJECT, arity_any(1, 2**53), apply(_merge)))
_register(["sqrt"], Spec(NUMBER, arity_any(1, 1, NUMBER), apply(_sqrt, verify_number)))
_register(
    ["addOrdinal"], Spec(STRING, arity_any(1, 1, NUMBER), apply(_add_ordinal, verify_integer))
)
_register(["countWord"], Spec(NUMBER, _unary_string, apply(_count_word, verify_string_or_null)))
_register(["EOL"], Spec(STRING, arity_any(0, 0), apply(lambda _args: "\n")))
_register(["uriComponent"], Spec(STRING, arity_any(1, 1), apply(_uri_component, _verify_string)))
_register(
    ["uriComponentToString"],
    Spec(STRING, arity_any(1, 1), apply(_uri_component_to_string, _verify_string)),
)
for _name, _part in {
    "year": lambda moment: moment.year,
    "month": lambda moment: moment.month,
    "dayOfMonth": lambda moment: moment.day,
    "dayOfWeek": lambda moment: (moment.weekday() + 1) % 7,
    "dayOfYear": _day_of_year,
}.items():
    _register([_name], Spec(NUMBER, _unary_string, apply(_date_part(_part), _verify_string)))
for _name, _unit in {"startOfDay": "day", "startOfHour": "hour", "startOfMonth": "month"}.items():
    _register([_name], Spec(STRING, order([STRING, STRING], STRING), _start_of_build(_unit)))
_register(
    ["addToTime"],
    Spec(STRING, order([STRING, STRING], STRING, NUMBER, STRING), _shift_time_build(1)),
)
_register(
    ["subtractFromTime"],
    Spec(STRING, order([STRING, STRING], STRING, NUMBER, STRING), _shift_time_build(-1)),
)
