"""setPathToValue(path, value): the value, as the SDK's binding gets it, without the write.

AEL's SetPathToValue turns its first argument into a memory path (tryAccumulatePath), then
writes the value there (SimpleObjectMemory.setValue) and returns the value. The templating
SDK evaluates each binding over a fresh memory object holding `$root`, `$data`, `$index`,
`$host` and `$_acTemplateVersion`, so:

- a path that does not start with one of those names (`setPathToValue(total, 5)`) is written
  onto that throwaway object: no later binding can read it, and the engine does the same;
- a path through one of them (`$root.x`, `$data.items[0].done`) is written into the data
  itself, which every later read then sees. The engine does not write: it gives the value
  for this binding only, and never changes the caller's data or what a compiled template
  keeps between expansions (docs/templates.md lists this difference).

Where the SDK's write throws, the engine throws too: inside a lambda (`foreach`, `where`,
`select`, `any`, `all` read a stacked memory, which refuses writes) and where the object
the path ends in is null or a string, number or boolean (strict-mode JavaScript refuses to
set a property there).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from .._js import UNDEFINED, parse_int, template_string
from .._parser import ACCESSOR, ELEMENT, PATH, Node, render
from .._scope import (
    EvalError,
    Fn,
    HardError,
    Scope,
    access_index,
    access_property,
    split_path,
)
from .base import OBJECT, Spec, check_arity

# What `$_acTemplateVersion` holds (the templating SDK's version).
_TEMPLATE_VERSION: Final = {"major": 2, "minor": 3, "patch": 1, "suffix": ""}


def _validate(node: Node) -> None:
    check_arity(node, 2, 2)


class _Index:
    """An index in the path (`items[i]`): evaluated when the binding is, as AEL does."""

    __slots__ = ("node", "run")

    def __init__(self, node: Node, run: Fn) -> None:
        self.node = node
        self.run = run


def _segments(
    node: Node, compile_subtree: Callable[[Node], Fn]
) -> tuple[list[str | _Index], Node | None]:
    """AEL's tryAccumulatePath up to the values it needs: each segment a name or an index;
    the node left over is what cannot be read as a path."""
    segments: list[str | _Index] = []
    left: Node | None = node
    while left is not None:
        if left.kind == PATH:
            segments.extend(reversed([str(name) for name in left.value]))
            left = None
        elif left.kind == ACCESSOR:
            segments.append(str(left.children[0].value))
            left = left.children[1] if len(left.children) == 2 else None
        elif left.kind == ELEMENT:
            index = left.children[1]
            segments.append(_Index(index, compile_subtree(index)))
            left = left.children[0]
        else:
            break
    segments.reverse()
    return segments, left


def _index_text(value: Any, node: Node) -> str:
    if parse_int(value) is not None:
        return f"[{template_string(value)}]."
    if isinstance(value, str):
        return f"['{value}']."
    raise EvalError(f"{render(node)} doesn't return an int or string")


def _container(scope: Scope, parts: list[str]) -> tuple[bool, Any]:
    """Follow SimpleObjectMemory.setValue to the object it would write into: (found, it)."""
    # The SDK's templating memory, its keys in the order they are made (TemplateObjectMemory).
    memory: dict[str, Any] = {
        "_memory": UNDEFINED,
        "$root": scope.root,
        "$data": scope.data,
        "$index": scope.index,
        "$host": scope.host,
        "$_acTemplateVersion": _TEMPLATE_VERSION,
    }
    current: Any = memory
    for part in parts[:-1]:
        position = parse_int(part)
        if position is not None and isinstance(current, list):
            try:
                current = access_index(current, position)
            except EvalError:
                return False, UNDEFINED
        else:
            current = access_property(current, part)
        if current is UNDEFINED:
            return False, UNDEFINED
    return True, current


def _check_write(scope: Scope, path: str) -> None:
    """Raise where the SDK's write throws (see the module's docstring)."""
    if scope.locals:
        raise HardError(f"Can't set value to {path}, stacked memory is read-only")
    parts = split_path(path)
    if not parts or parse_int(parts[-1]) is not None:
        return  # an index into something that is not a list is an error AEL ignores
    found, container = _container(scope, parts)
    if not found:
        return
    name = parts[-1]
    if container is None:
        raise HardError(f"Cannot set properties of null (setting '{name}')")
    if isinstance(container, str | bool | int | float):
        kind = "string" if isinstance(container, str) else "boolean"
        if not isinstance(container, str | bool):
            kind = "number"
        raise HardError(f"Cannot create property '{name}' on {kind} '{template_string(container)}'")


def spec(compile_subtree: Callable[[Node], Fn]) -> Spec:
    """setPathToValue's Spec. The indices in its path lie below its own arguments, so it
    needs the compiler for them: the compiler (which imports this package) passes its entry
    for a subtree in, and adds the Spec to the registry (as it does stringOrValue)."""

    def build(node: Node, children: list[Fn]) -> Fn:
        target = node.children[0]
        segments, left = _segments(target, compile_subtree)
        value_fn = children[1]

        def run(scope: Scope, subst: bool) -> Any:
            texts = []
            for segment in segments:
                if isinstance(segment, _Index):
                    texts.append(_index_text(segment.run(scope, subst), segment.node))
                else:
                    texts.append(segment + ".")
            path = "".join(texts).rstrip(".").replace(".[", "[")
            if left is not None or not path:
                raise EvalError(f"{render(target)} is not a valid path to set value")
            value = value_fn(scope, subst)
            _check_write(scope, path)
            return value

        return run

    return Spec(OBJECT, _validate, build)
