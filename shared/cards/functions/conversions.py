"""Conversion and type-checking functions: string, int, float, bool, formatNumber,
jsonStringify and the isString/isInteger/... tests, numbers written the d3-format way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from .. import _d3 as d3
from .._js import (
    UNDEFINED,
    JSBytes,
    common_stringify,
    is_integer,
    is_logic_true,
    is_number,
    json_stringify,
    normalize_number,
    parse_float,
    parse_int,
    template_string,
    to_string,
)
from .._locales import number_locale
from .._scope import EvalError
from .base import (
    BOOLEAN,
    NUMBER,
    OBJECT,
    STRING,
    FunctionTable,
    Spec,
    apply,
    arity_any,
    comparison,
    order,
)


def _string(args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, str):
        return value
    if type(value) is int and 0 <= value < 1000 and len(args) == 1:
        # What d3's ",.0f" gives for these (no group separator, no sign): `string($index)`
        # for every item of a repeat.
        return str(value)
    if is_number(value):
        text = to_string(value)
        precision = len(text.split(".")[1]) if "." in text else 0
        locale = number_locale(args[1]) if len(args) == 2 else None
        return d3.fixed(value, precision, locale or d3.DEFAULT)
    if isinstance(value, JSBytes):
        return value.decode("utf-8", "replace")  # TextDecoder, as AEL's string does
    return common_stringify(value)


def _number_text(value: str, parse: Callable[[str], Any]) -> Any:
    """A string read as a number by `parse`; AEL hands NaN back beside the error when it is
    not one, and `||` passes that on."""
    result = parse(value)
    if result is None:
        raise EvalError(f"parameter {value} is not a valid number string.", math.nan)
    return result


def _int(args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, str):
        # parseInt gives a JavaScript number: digits beyond 2^53 round as a double.
        return normalize_number(_number_text(value, parse_int))
    if is_number(value):
        result = parse_int(to_string(value))
        return math.nan if result is None else result
    return UNDEFINED


def _float(args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, str):
        return _number_text(value, parse_float)
    if is_number(value):
        return value
    return UNDEFINED


def _bool(args: list[Any]) -> bool:
    value = args[0]
    if is_number(value):
        return bool(value != 0)
    if re.search("false", template_string(value), re.IGNORECASE):
        return False
    return is_logic_true(value)


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
    locale = number_locale(args[2]) if len(args) == 3 else None
    return d3.fixed(rounded, digits, locale or d3.DEFAULT)


def _json_stringify(args: list[Any]) -> Any:
    text = json_stringify(args[0])
    return UNDEFINED if text is None else text


def _type_test(test: Callable[[Any], bool]) -> Callable[[list[Any]], Any]:
    def run(args: list[Any]) -> Any:
        return test(args[0])

    return run


def register(table: FunctionTable) -> None:
    """Add this family's functions to `table`."""
    table["string"] = Spec(STRING, order([STRING], OBJECT), apply(_string))
    table["int"] = Spec(NUMBER, arity_any(1, 1), apply(_int))
    table["float"] = Spec(NUMBER, arity_any(1, 1), apply(_float))
    table["bool"] = Spec(BOOLEAN, arity_any(1, 1), comparison(_bool))
    table["formatNumber"] = Spec(STRING, order([STRING], NUMBER, NUMBER), apply(_format_number))
    table["jsonStringify"] = Spec(STRING, arity_any(1, 1), apply(_json_stringify))
    table["isString"] = Spec(
        BOOLEAN, arity_any(1, 1), apply(_type_test(lambda v: isinstance(v, str)))
    )
    table["isArray"] = Spec(
        BOOLEAN, arity_any(1, 1), apply(_type_test(lambda v: isinstance(v, list)))
    )
    table["isBoolean"] = Spec(
        BOOLEAN, arity_any(1, 1), apply(_type_test(lambda v: isinstance(v, bool)))
    )
    table["isInteger"] = Spec(
        BOOLEAN, arity_any(1, 1), apply(_type_test(lambda v: is_number(v) and is_integer(v)))
    )
    table["isFloat"] = Spec(
        BOOLEAN, arity_any(1, 1), apply(_type_test(lambda v: is_number(v) and not is_integer(v)))
    )
    table["isObject"] = Spec(
        BOOLEAN,
        arity_any(1, 1),
        apply(_type_test(lambda v: v is None or isinstance(v, dict | list | JSBytes))),
    )
