"""Collection functions over arrays (and objects as key/value lists): count, first,
last, contains, createArray, select/foreach, where, any, all, take, skip, subArray,
sortBy, sortByDescending, unique, union, intersection, flatten and indicesAndValues.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .._js import (
    UNDEFINED,
    JSBytes,
    common_equals,
    is_integer,
    is_logic_true,
    is_number,
    js_greater,
    js_truthy,
    strict_equals,
    template_string,
    to_string,
    to_utf16,
    utf16_key,
    utf16_len,
)
from .._parser import ACCESSOR, Node, render
from .._scope import EvalError, Fn, HardError, Scope, ValidationError, access_property
from .base import (
    ARRAY,
    BOOLEAN,
    NUMBER,
    OBJECT,
    STRING,
    FunctionTable,
    Spec,
    apply,
    arity_any,
    evaluate,
    order,
    verify_container,
    verify_list,
)


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
            first, second = evaluate(node, children, scope, subst, None)
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


def lambda_shape(node: Node) -> None:
    if len(node.children) != 3:
        raise ValidationError(f"Lambda expression expect 3 parameters, found {len(node.children)}")
    second = node.children[1]
    if not (second.kind == ACCESSOR and len(second.children) == 1):
        raise ValidationError(f"Second parameter is not an identifier : {render(second)}")


def to_list(value: Any) -> list[Any] | None:
    if isinstance(value, list):
        return value
    if isinstance(value, JSBytes):
        value = value.as_object()  # a Uint8Array is an object keyed by index
    if isinstance(value, dict):
        return [{"key": key, "value": item} for key, item in value.items()]
    if value is None:
        raise HardError("Cannot convert undefined or null to object")
    return None


def run_lambda(
    node: Node, children: list[Fn], scope: Scope, subst: bool, items: list[Any]
) -> list[tuple[Any, Any, bool]]:
    """Evaluate the lambda body per item: (item, result, failed)."""
    name = str(node.children[1].children[0].value)
    body = children[2]
    results = []
    saved, saved_epoch = scope.locals, scope.epoch
    try:
        for item in items:
            scope.locals = (*saved, {name: item})
            scope.epoch = scope.new_epoch()
            try:
                results.append((item, body(scope, subst), False))
            except EvalError:
                results.append((item, UNDEFINED, True))
    finally:
        scope.locals, scope.epoch = saved, saved_epoch
    return results


def _foreach_build(node: Node, children: list[Fn]) -> Fn:
    def run(scope: Scope, subst: bool) -> Any:
        collection = children[0](scope, subst)
        if not js_truthy(collection):
            raise EvalError(f"'{render(node.children[0])}' evaluated to null.")
        items = to_list(collection)
        if items is None:
            raise EvalError(f"{render(node.children[0])} is not a collection or structure object")
        out = []
        for _item, result, failed in run_lambda(node, children, scope, subst, items):
            if failed:
                raise EvalError(f"{render(node)} failed")
            out.append(result)
        return out

    return run


def _where_build(node: Node, children: list[Fn]) -> Fn:
    def run(scope: Scope, subst: bool) -> Any:
        collection = children[0](scope, subst)
        items = to_list(collection)
        if items is None:
            raise EvalError(f"{render(node.children[0])} is not a collection or structure object")
        kept = [
            item
            for item, result, failed in run_lambda(node, children, scope, subst, items)
            if not failed and is_logic_true(result)
        ]
        if isinstance(collection, dict | JSBytes):
            return {item["key"]: item["value"] for item in kept}
        return kept

    return run


def _quantifier_build(want_all: bool) -> Callable[[Node, list[Fn]], Fn]:
    def build(node: Node, children: list[Fn]) -> Fn:
        def run(scope: Scope, subst: bool) -> Any:
            # AEL returns its starting result (true for all, false for any) beside an error,
            # and `||` passes that value on.
            try:
                items = to_list(children[0](scope, subst))
            except EvalError as error:
                raise EvalError(str(error), want_all) from None
            if items is None:
                raise EvalError(
                    f"{render(node.children[0])} is not a collection or structure object "
                    "to run Any",
                    want_all,
                )
            for _item, result, failed in run_lambda(node, children, scope, subst, items):
                holds = not failed and is_logic_true(result)
                if want_all and not holds:
                    return False
                if not want_all and holds:
                    return True
            return want_all

        return run

    return build


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


def _indices_and_values(args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, list):
        return [{"index": index, "value": item} for index, item in enumerate(value)]
    if isinstance(value, JSBytes):
        value = value.as_object()
    if isinstance(value, dict):
        return [{"index": key, "value": item} for key, item in value.items()]
    if value is None:
        # typeof null is 'object', and Object.entries(null) throws.
        raise EvalError("Cannot convert undefined or null to object")
    raise EvalError(f"{to_string(value)} is not array or object.")


def register(table: FunctionTable) -> None:
    """Add this family's functions to `table`."""
    table["count"] = Spec(NUMBER, order([], STRING | ARRAY), apply(_count, verify_container))
    table["first"] = Spec(OBJECT, arity_any(1, 1), apply(_first))
    table["last"] = Spec(OBJECT, arity_any(1, 1), apply(_last))
    table["contains"] = Spec(BOOLEAN, arity_any(2, 2), _contains_build)
    table["createArray"] = Spec(ARRAY, arity_any(0, 2**53), apply(list))
    table.update(dict.fromkeys(["select", "foreach"], Spec(ARRAY, lambda_shape, _foreach_build)))
    table["where"] = Spec(ARRAY, lambda_shape, _where_build)
    table["any"] = Spec(BOOLEAN, lambda_shape, _quantifier_build(False))
    table["all"] = Spec(BOOLEAN, lambda_shape, _quantifier_build(True))
    table["take"] = Spec(ARRAY | STRING, order([], ARRAY | STRING, NUMBER), _slice_build(True))
    table["skip"] = Spec(ARRAY, order([], ARRAY, NUMBER), _slice_build(False))
    table["subArray"] = Spec(ARRAY, order([NUMBER], ARRAY, NUMBER), _sub_array_build)
    table["sortBy"] = Spec(ARRAY, order([STRING], ARRAY), _sort_by_build(False))
    table["sortByDescending"] = Spec(ARRAY, order([STRING], ARRAY), _sort_by_build(True))
    table["unique"] = Spec(ARRAY, order([], ARRAY), apply(_unique, verify_list))
    table["union"] = Spec(ARRAY, arity_any(1, 2**53, ARRAY), apply(_union, verify_list))
    table["intersection"] = Spec(
        ARRAY, arity_any(1, 2**53, ARRAY), apply(_intersection, verify_list)
    )
    table["flatten"] = Spec(ARRAY, order([NUMBER], ARRAY), apply(_flatten))
    table["indicesAndValues"] = Spec(ARRAY, arity_any(1, 1), apply(_indices_and_values))
