"""Object functions: json (parse), getProperty, addProperty, removeProperty, setProperty
and merge."""

from __future__ import annotations

import json
from typing import Any

from .._js import (
    UNDEFINED,
    JSBytes,
    is_nullish,
    js_trim,
    normalize_number,
    template_string,
    to_string,
)
from .._parser import Node, render
from .._scope import EvalError, Fn, Scope, memory_get, split_path, substitute, walk
from .base import OBJECT, STRING, FunctionTable, Spec, apply, arity_any, order


def _json_parse(args: list[Any]) -> Any:
    return json_parse(args[0])


def json_parse(text: Any) -> Any:
    """JSON.parse, with numbers as JavaScript reads them."""
    if not isinstance(text, str):
        raise EvalError("args[0].trim is not a function")

    def reject(constant: str) -> Any:
        raise EvalError(f"Unexpected token {constant} in JSON")

    try:
        return json.loads(
            js_trim(text),
            parse_constant=reject,
            parse_float=lambda number: normalize_number(float(number)),
            parse_int=lambda number: normalize_number(int(number)),
        )
    except json.JSONDecodeError as error:
        raise EvalError(f"Invalid JSON: {error.msg}") from None


def _set_property(args: list[Any]) -> Any:
    target = dict(args[0]) if isinstance(args[0], dict) else args[0]
    if not isinstance(target, dict):
        raise EvalError("setProperty needs an object")
    target[template_string(args[1])] = args[2]
    return target


def _add_property(args: list[Any]) -> Any:
    """addProperty: an error when the key is there (exactly: JavaScript's `in`)."""
    target, key = args[0], template_string(args[1])
    if not isinstance(target, dict):
        raise EvalError("addProperty needs an object")
    if key in target:
        raise EvalError(f"{key} already exists")
    return {**target, key: args[2]}


def _remove_property(args: list[Any]) -> Any:
    target, key = args[0], template_string(args[1])
    if not isinstance(target, dict):
        raise EvalError("removeProperty needs an object")
    return {name: value for name, value in target.items() if name != key}


def _merge(args: list[Any]) -> Any:
    result: dict[str, Any] = {}
    for arg in args:
        if isinstance(arg, JSBytes):
            arg = arg.as_object()  # Object.assign copies a Uint8Array's indices
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


def _get_property(node: Node, children: list[Fn]) -> Fn:
    """getProperty(path) reads memory like a binding; getProperty(object, path) reads a
    path inside the object. Either shows `${path}` where it finds nothing, as bindings do."""

    def run(scope: Scope, subst: bool) -> Any:
        first = children[0](scope, subst)
        if len(children) == 1:
            if not isinstance(first, str):
                raise EvalError(f'"Single parameter {render(node.children[0])} is not a string."')
            path = first
            value = memory_get(scope, split_path(path))
        else:
            path = to_string(children[1](scope, subst))
            value = UNDEFINED if is_nullish(first) else walk(first, split_path(path))
        if value is UNDEFINED and subst:
            return substitute(scope, path)
        return value

    return run


def register(table: FunctionTable) -> None:
    """Add this family's functions to `table`."""
    table["json"] = Spec(OBJECT, order([], STRING), apply(_json_parse))
    # The SDK changes the object in place, so a later binding that reads the same data sees
    # the change; the engine never changes the caller's data and returns a changed copy.
    table["addProperty"] = Spec(OBJECT, order([], OBJECT, STRING, OBJECT), apply(_add_property))
    table["removeProperty"] = Spec(OBJECT, order([], OBJECT, STRING), apply(_remove_property))
    table["getProperty"] = Spec(OBJECT, order([STRING], OBJECT), _get_property)
    table["setProperty"] = Spec(OBJECT, order([], OBJECT, STRING, OBJECT), apply(_set_property))
    table["merge"] = Spec(OBJECT, arity_any(1, 2**53), apply(_merge))
