"""What an expression sees and how it reads it: the Scope ($root, $data, $index, $host and
lambda variables), AEL's property and index access, and the errors evaluation raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Final

from ._js import (
    MAX_SAFE,
    UNDEFINED,
    JSBytes,
    is_nullish,
    js_truthy,
    js_value,
    parse_int,
    template_string,
    to_utf16,
    utf16_len,
)


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
    `low`, `epoch` and `memo` serve values reused within the expansion (`_reuse`): `low` is
    the outermost thing read (-1 for `$data`, `$index` and the current item, N for lambda
    variable layer N; `$root` and `$host` lower nothing), and `epoch` names the current
    `data`, `index` and `locals`: a new number whenever they change, the old one when they
    are restored.
    """

    __slots__ = (
        "data",
        "epoch",
        "epochs",
        "host",
        "index",
        "locals",
        "low",
        "memo",
        "root",
        "strict",
        "unbound",
    )

    def __init__(self, root: Any, host: Any, *, strict: bool = False) -> None:
        self.root = root
        self.host = host
        self.data: Any = root
        self.index: Any = UNDEFINED
        self.locals: tuple[dict[str, Any], ...] = ()
        self.strict = strict
        self.unbound: list[str] = []
        self.low = 0
        self.epoch = self.epochs = 0
        self.memo: dict[tuple[Any, bool], tuple[Any, ...]] = {}

    def new_epoch(self) -> int:
        self.epochs += 1
        return self.epochs


Fn = Callable[[Scope, bool], Any]


def substitute(scope: Scope, path: str) -> Unbound:
    """AEL's nullSubstitution for a path that found nothing: the text `${path}`, noted in
    the scope for strict mode."""
    text = Unbound("${" + path + "}")
    scope.unbound.append(text)
    return text


_TEMPLATE_VERSION: Final = {"major": 2, "minor": 3, "patch": 1, "suffix": ""}

_PATH_SPLIT: Final = re.compile(r"[.\[\]]+")


def dict_get(instance: dict[str, Any], name: str) -> Any:
    """AEL's accessProperty on an object: the first key (in the object's order) that equals
    `name` ignoring case, even where a later key matches `name` exactly."""
    length = len(name)
    lowered = None
    for key in instance:
        if key == name:
            return instance[key]
        # An ASCII key keeps its length when lowered, and no other text lowers to ASCII of
        # another length (only U+0130 grows, to non-ASCII): so a key of another length
        # cannot match, and most keys of an object are skipped without lowering them.
        if len(key) == length or not key.isascii():
            if lowered is None:
                lowered = name.lower()
            if key.lower() == lowered:
                return instance[key]
    return UNDEFINED


def _js_number(value: Any) -> Any:
    """A value read from the data as JSON.parse reads it: an integer beyond 2^53 is the
    double it rounds to (the same as `js_value`, inlined on the hot path)."""
    if type(value) is int and not -MAX_SAFE <= value <= MAX_SAFE:
        return float(value)
    return value


def access_property(instance: Any, name: str) -> Any:
    if not js_truthy(instance):
        return UNDEFINED
    if isinstance(instance, dict):
        return _js_number(dict_get(instance, name))
    if isinstance(instance, JSBytes):
        return dict_get(instance.as_object(), name)
    if isinstance(instance, list | str):
        # Object.keys of an array or string: its indices, as canonical strings.
        if name.isdigit() and (name == "0" or not name.startswith("0")):
            position = int(name)
            if position < (len(instance) if isinstance(instance, list) else utf16_len(instance)):
                return (
                    js_value(instance[position])
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
            return js_value(instance[position])
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
            # The usual step: a JSON object (objects are always truthy).
            value = dict_get(current, part)
        elif isinstance(current, list) and (
            (position := int(part) if part.isdigit() and part.isascii() else parse_int(part))
            is not None
        ):
            if 0 <= position < len(current):
                value = current[position]
            else:
                return UNDEFINED
        else:
            value = access_property(current, part)
        current = value
    return _js_number(value)


def _template_memory(scope: Scope, first: str) -> Any:
    lowered = first.lower()
    if lowered == "$data":
        scope.low = -1
        return scope.data
    if lowered == "$root":
        return scope.root
    if lowered == "$index":
        scope.low = -1
        return scope.index
    if lowered == "$host":
        return scope.host
    if lowered == "$_actemplateversion":
        return _TEMPLATE_VERSION
    # Not fixed for the expansion: a lambda variable of that name elsewhere would be found.
    scope.low = -1
    return UNDEFINED


def memory_get(scope: Scope, parts: Sequence[str]) -> Any:
    """StackedMemory over lambda variables, then the template's own memory."""
    if not parts:
        return UNDEFINED
    first = parts[0]
    layers = scope.locals
    depth = len(layers)
    while depth:
        depth -= 1
        layer = layers[depth]
        if first in layer:
            value = walk(layer[first], parts[1:]) if len(parts) > 1 else js_value(layer[first])
        else:
            value = walk(layer, parts)
        if value is not UNDEFINED:
            if depth < scope.low:
                scope.low = depth
            return value
    if first.startswith("$"):
        base = _template_memory(scope, first)
        return walk(base, parts[1:]) if len(parts) > 1 else js_value(base)
    scope.low = -1
    return walk(scope.data, parts)
