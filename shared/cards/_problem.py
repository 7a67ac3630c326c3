"""A problem found in a card and the JSON path it is at: what `check` and `_schema` share.

Both describe values and walk card trees the same way, so the pieces live here, below both
of them (`check` loads `_schema` lazily, and neither needs to import the other's module
to report a problem).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from shared.cards.template import json_path

PathPart = str | int


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a card: where (`$.body[2].text`) and what, in a sentence."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def format_path(parts: Sequence[PathPart]) -> str:
    """`("body", 2, "text")` -> `$.body[2].text`, written as the template engine writes paths."""
    return json_path(tuple(parts))


def describe(value: Any) -> str:
    """The JSON type of a value with its article, for messages: 'a string', 'an array'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def walk(value: Any, path: tuple[PathPart, ...] = ()) -> Iterator[tuple[tuple[PathPart, ...], Any]]:
    """Every value in a JSON tree with its path, parents before children."""
    yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from walk(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from walk(child, (*path, index))
