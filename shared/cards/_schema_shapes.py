"""Judge each element shape once per card: the compiled schema validator, minus the repeats.

A card expanded from a template repeats the same element for each item of a `$data` array:
1,000 alert containers that differ only in their texts. The schema cannot tell such elements
apart, so validating each of them again was most of `check_card`'s time on a big card.

An element's *shape* is the element with every string that no schema rule reads replaced by
one marker: a string under a property whose every schema (wherever the property is defined,
through `$ref`, `allOf`, `anyOf`, `if`, ...) says no more than "a string". Keys, numbers,
booleans, nulls, list lengths and every other string stay as they are. Two elements with the
same shape are valid or invalid together, so an element whose shape already passed in this
card passes without being validated again. That holds only for a schema without the keywords
that compare whole values (`uniqueItems`, an `enum` or `const` of objects or lists) and whose
`additionalProperties` and `patternProperties` read no string's content: `constrained_keys`
answers None otherwise, and then nothing is cached.

Only the "is this card valid" answer is cached. A card with a problem still goes through
`jsonschema` whole (`_schema.schema_problems`), which names every problem with its path.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, Final

# Keywords that read a string's content (format included, though neither validator checks it).
_CONTENT: Final = frozenset(("enum", "const", "pattern", "format", "minLength", "maxLength"))
# Subschemas applied to the value itself (a string reaches these and nothing else).
_SAME_VALUE_LISTS: Final = ("allOf", "anyOf", "oneOf")
_SAME_VALUE: Final = ("not", "if", "then", "else")
# Shapes are taken this many wrapped validators deep at most: an element nested in cached
# elements is shaped again for each level, so the cost stays linear in the card.
MAX_DEPTH: Final = 3

Validate = Callable[..., Any]


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


_TEXT: Final = _Marker("text")
_OBJECT: Final = _Marker("object")
_LIST: Final = _Marker("list")
_END: Final = _Marker("end")


def constrained_keys(schema: dict[str, Any]) -> frozenset[str] | None:
    """The property names whose string values some rule of `schema` reads (a string under any
    other key is free), or None when the schema has a rule that makes shapes unsound (see the
    module docstring)."""
    decided: dict[int, bool] = {}

    def resolve(reference: str) -> Any:
        if not reference.startswith("#/"):
            raise _Unsound
        node: Any = schema
        for part in reference[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def reads_text(start: Any) -> bool:
        """Whether validating a string against `start` can depend on the string's content:
        whether any subschema it applies to the same value (through `$ref`, `allOf`, `if`,
        ...) has a content rule. Found by a walk of its own, as cycles through `$ref` make a
        node's answer depend on where the walk began."""
        if not isinstance(start, dict):
            return False
        if id(start) in decided:
            return decided[id(start)]
        seen: set[int] = set()
        stack: list[Any] = [start]
        found = False
        while stack and not found:
            node = stack.pop()
            if not isinstance(node, dict) or id(node) in seen:
                continue
            seen.add(id(node))
            found = any(word in node for word in _CONTENT)
            reference = node.get("$ref")
            if isinstance(reference, str):
                stack.append(resolve(reference))
            for word in _SAME_VALUE_LISTS:
                children = node.get(word)
                if isinstance(children, list):
                    stack.extend(children)
            stack.extend(node.get(word) for word in _SAME_VALUE)
        decided[id(start)] = found
        return found

    constrained: set[str] = set()
    try:
        for node in _schema_nodes(schema):
            if node.get("uniqueItems") is True:
                return None
            values = (
                [*node.get("enum", ()), node.get("const")]
                if "enum" in node or "const" in node
                else []
            )
            if any(isinstance(value, dict | list) for value in values):
                return None
            if reads_text(node.get("additionalProperties")):
                return None
            patterns = node.get("patternProperties")
            if isinstance(patterns, dict) and any(reads_text(sub) for sub in patterns.values()):
                return None
            properties = node.get("properties")
            if isinstance(properties, dict):
                constrained.update(name for name, sub in properties.items() if reads_text(sub))
    except (_Unsound, KeyError, TypeError):
        return None
    return frozenset(constrained)


class _Unsound(Exception):
    """A `$ref` this module does not follow."""


def _schema_nodes(node: Any) -> Iterator[dict[str, Any]]:
    stack = [node]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            yield value
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def shape(value: dict[str, Any], constrained: frozenset[str]) -> tuple[Any, ...]:
    """`value` as a flat, hashable sequence with its free strings replaced by one marker."""
    out: list[Any] = []
    append = out.append

    def add(item: Any) -> None:
        kind = type(item)
        if kind is dict:
            append(_OBJECT)
            for key, child in item.items():
                append(key)
                if type(child) is str and key not in constrained:
                    append(_TEXT)
                else:
                    add(child)
            append(_END)
        elif kind is list:
            append(_LIST)
            for child in item:
                add(child)
            append(_END)
        elif kind is str:
            append(item)
        else:
            # The type too: True == 1 == 1.0 in Python, not in the schema.
            append(kind)
            append(item)

    add(value)
    return tuple(out)


class ShapeCache:
    """Wraps the compiled validator's element functions so that, within one `judging()` call
    on this thread, each element shape is validated once."""

    def __init__(self, constrained: frozenset[str]) -> None:
        self._constrained = constrained
        self._local = threading.local()

    def wrap(self, validate: Validate) -> Validate:
        constrained = self._constrained
        local = self._local

        def cached(data: Any, custom_formats: Any = None, name_prefix: Any = None) -> Any:
            passed: set[tuple[Any, ...]] | None = getattr(local, "passed", None)
            depth: int = getattr(local, "depth", 0)
            if passed is None or type(data) is not dict or depth >= MAX_DEPTH:
                return validate(data, custom_formats or {}, name_prefix)
            key = shape(data, constrained)
            if key in passed:
                return data
            local.depth = depth + 1
            try:
                validate(data, custom_formats or {}, name_prefix)
            finally:
                local.depth = depth
            passed.add(key)
            return data

        return cached

    def judging(self, run: Callable[[], Any]) -> Any:
        """`run()` with a fresh set of passed shapes on this thread."""
        local = self._local
        outer = getattr(local, "passed", None), getattr(local, "depth", 0)
        local.passed, local.depth = set(), 0
        try:
            return run()
        finally:
            local.passed, local.depth = outer
