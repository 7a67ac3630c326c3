"""Adaptive Card Template Language: compile a template once, expand it many times.

Semantics are those of Microsoft's `adaptivecards-templating` (Template.expand): the
template is walked once at compile time into a tree of closures, so an expansion only
evaluates what depends on the data; a template that is reused then tiers up to generated
Python source that calls the same closures for what it does not inline (_codegen).
`$data` repeats an element per item, `$when` keeps it only when it is the boolean true,
`$index`, `$root` and `$host` are in scope, and a binding that finds nothing shows as the
literal `${path}`, as the SDK shows it.
"""

from __future__ import annotations

import marshal
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from . import _codegen
from ._codegen import ARRAY, INTERPOLATED, OBJECT, SINGLE, STATIC, VALUE, Plans, add_item, add_many
from ._compile import Closures, check_tree, compile_node
from ._js import (
    MAX_SAFE,
    UNDEFINED,
    BigInt,
    JSBytes,
    JSTypeError,
    js_truthy,
    json_number,
    number_to_string,
    to_string,
)
from ._parser import (
    CONCAT,
    CONSTANT,
    ExpressionSyntaxError,
    Node,
    ParseMemo,
    parse_interpolated,
    render,
)
from ._reuse import mark_reused
from ._scope import EvalError, Fn, HardError, Scope, Unbound, ValidationError
from .errors import (
    Binding,
    TemplateExpansionError,
    TemplateSyntaxError,
    UnresolvedBindingsError,
)

_RESERVED: Final = frozenset(("$data", "$when", "$root", "$index", "$host", "$_acTemplateVersion"))
_IDENTIFIER: Final = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")

Path = tuple[str | int, ...]


class Memo:
    """What compiling one template keeps: parsed bindings by text (so repeats are parsed
    once) and the expressions' closures, built on first use and kept by the template's own
    closures."""

    __slots__ = ("closures", "numbers", "parsed", "plans", "roots")

    def __init__(self) -> None:
        self.parsed = ParseMemo()
        # Each binding's tree, once per place it is written (see _reuse.mark_reused).
        self.roots: list[Node] = []
        self.closures: Closures = {}
        # What each closure of the template computes, for the generated tier (_codegen).
        self.plans: Plans = {}
        # Whether the template holds a number JSON.stringify writes differently from
        # json.dumps (a float, or an integer beyond 2^53): see _json_numbers.
        self.numbers = False


def _note_number(value: Any, memo: Memo) -> None:
    """Note a number JSON.stringify writes differently from json.dumps."""
    kind = type(value)
    if kind is float or (kind is int and not -MAX_SAFE <= value <= MAX_SAFE):
        memo.numbers = True


# Repeat spans are recorded against the output list object itself; its path is found
# after the expansion, once the card's shape is final.
Trace = list[tuple[list[Any], int, int]]
Expand = Callable[[Scope, "Trace | None"], Any]
# The elements an object with `$data` or `$when` makes, and whether `$data` repeated it.
Many = Callable[[Scope, "Trace | None"], tuple[list[Any], bool]]


@dataclass(frozen=True, slots=True)
class RepeatSpan:
    """Elements [start, stop) of the output array at `path` came from one `$data` array."""

    path: Path
    start: int
    stop: int


@dataclass(frozen=True, slots=True)
class Expansion:
    """An expanded card and where its `$data` repeats are."""

    value: Any
    repeats: tuple[RepeatSpan, ...]


def json_path(path: Path) -> str:
    """`$.body[2].text` for ("body", 2, "text")."""
    out = ["$"]
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.match(part):
            out.append(f".{part}")
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            out.append(f"['{escaped}']")
    return "".join(out)


# Expansions of a template on its closures before they are turned into generated Python
# source (_codegen): compiling that source costs as much as tens of expansions, so a template
# expanded once or twice (parsed each time) never pays for it.
TIER_UP_AFTER: Final = 2


class CompiledTemplate:
    """A template parsed and compiled once; `expand` is safe to call from many threads.

    `tier_up_after`: expansions before the generated tier takes over (0: from the first; the
    tests run both tiers with it)."""

    def __init__(self, template: Any, *, tier_up_after: int | None = None) -> None:
        try:
            memo = Memo()
            self._root: Expand = _compile(template, (), memo)
            if memo.numbers:
                memo = Memo()
                self._root = _compile(_json_numbers(template), (), memo)
            mark_reused(memo.roots, memo.parsed)
        except RecursionError:
            raise TemplateSyntaxError("$", "", "the template is nested too deeply") from None
        # Until the template tiers up: its plans, and how many more expansions before then.
        self._plans: Plans | None = memo.plans
        self._countdown = TIER_UP_AFTER if tier_up_after is None else tier_up_after
        self._generated: _codegen.Generated | None = None

    def _tier_up(self) -> None:
        plans, self._plans = self._plans, None
        if plans is None:
            return  # another thread did it
        try:
            generated = _codegen.generate(self._root, plans, _clean)
        except RecursionError:
            generated = None
        self._generated = generated

    def expand(self, data: Any, host: Any = None, *, strict: bool = False) -> Any:
        """The expanded card, as `new Template(t).expand({$root: data, $host: host})`."""
        return self._run(data, host, strict, None)

    def expand_traced(self, data: Any, host: Any = None, *, strict: bool = False) -> Expansion:
        """The expanded card and the spans of elements that `$data` arrays produced."""
        trace: Trace = []
        value = self._run(data, host, strict, trace)
        return Expansion(value, _locate(value, trace))

    def _run(self, data: Any, host: Any, strict: bool, trace: Trace | None) -> Any:
        if self._plans is not None:
            if self._countdown <= 0:
                self._tier_up()
            else:
                self._countdown -= 1
        host = UNDEFINED if host is None else host
        scope: Scope | None
        try:
            if self._generated is not None:
                value, scope = self._generated(data, host, strict, trace)
            else:
                scope = Scope(data, host, strict=strict)
                value = self._root(scope, trace)
        except RecursionError:
            raise TemplateExpansionError("$", "", "the data is nested too deeply") from None
        if strict and scope is not None and scope.unbound:
            bindings = _find_unbound(value, set(scope.unbound))
            if bindings:
                raise UnresolvedBindingsError(bindings)
        return None if value is UNDEFINED else value


def _json_numbers(node: Any) -> Any:
    """The template with its numbers as the SDK writes them back (`30.0` -> 30, `-0.0` -> 0,
    digits beyond a double's precision rounded): it reads the template with JSON.parse."""
    if isinstance(node, dict):
        return {key: _json_numbers(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_json_numbers(item) for item in node]
    if isinstance(node, int | float) and not isinstance(node, bool) and math.isfinite(node):
        return json_number(node)
    return node


def compile_template(template: Any) -> CompiledTemplate:
    return CompiledTemplate(template)


def expand(template: Any, data: Any, host: Any = None, *, strict: bool = False) -> Any:
    """Expand a template once (compile and expand); keep a CompiledTemplate to reuse."""
    return CompiledTemplate(template).expand(data, host, strict=strict)


# --- compiling ------------------------------------------------------------------------


def _compile(node: Any, path: Path, memo: Memo) -> Expand:
    if isinstance(node, str):
        return _compile_string(node, path, memo)
    if isinstance(node, list):
        expand = _compile_list(node, path, memo)
    elif isinstance(node, dict):
        expand = _compile_object(node, path, memo)[0]
    else:
        _note_number(node, memo)
        return _literal(node, memo)
    return _frozen(node, memo) if expand is None else expand


def _literal(value: Any, memo: Memo) -> Expand:
    def literal(scope: Scope, trace: Trace | None) -> Any:
        return value

    memo.plans[literal] = (VALUE, value)
    return literal


def _parse(text: str, path: Path, memo: Memo) -> Node | None:
    """The expression a template string holds, or None when it is plain text."""
    if "${" not in text:
        return None
    try:
        node = parse_interpolated(text, memo.parsed)
    except (ExpressionSyntaxError, RecursionError) as error:
        raise TemplateSyntaxError(json_path(path), text, str(error)) from None
    except (IndexError, ValueError) as error:  # a parser gap must still be a clear error
        raise TemplateSyntaxError(json_path(path), text, f"invalid expression ({error})") from None
    if node.kind != CONCAT:
        return None
    memo.roots.append(node)
    children = node.children
    if len(children) == 2 and _is_empty_constant(children[0]) and children[1].kind != CONSTANT:
        # One binding and nothing else: the value keeps its type (number, object, ...).
        return children[1]
    return node


def _is_empty_constant(node: Node) -> bool:
    return node.kind == CONSTANT and node.value == ""


def _compile_expression(node: Node, text: str, path: Path) -> Node:
    """Check the binding now, as the SDK does at construction. Its closure is built when
    it is first evaluated (see _binding), so bindings in elements that are never shown
    cost no compile."""
    try:
        check_tree(node)
    except (ValidationError, RecursionError) as error:
        raise TemplateSyntaxError(json_path(path), text, str(error)) from None
    return node


def _compile_string(text: str, path: Path, memo: Memo) -> Expand:
    node = _parse(text, path, memo)
    if node is None:
        return _literal(text, memo)
    return _binding(node, text, path, memo)


def _binding(node: Node, text: str, path: Path, memo: Memo) -> Expand:
    """Evaluate a template binding as the SDK does, with substitution on.

    A binding whose expression is a concat (an interpolated string, and also a user's
    own `concat(...)` or `&`) is joined piece by piece, and a piece that fails shows as
    its own text; any other binding keeps its value's type, and its failure is fatal.
    The expressions' closures are built on the first expansion that reaches them.
    """
    closures = memo.closures
    if node.kind != CONCAT:
        expression = _compile_expression(node, text, path)
        run: Fn | None = None

        def single(scope: Scope, trace: Trace | None) -> Any:
            nonlocal run
            if run is None:
                run = compile_node(expression, closures)
            try:
                value = run(scope, True)
            except (EvalError, HardError) as error:
                raise TemplateExpansionError(json_path(path), text, str(error)) from None
            if value is UNDEFINED or isinstance(value, bool | str):
                return str(value) if type(value) is Unbound else value
            if type(value) is int and -MAX_SAFE <= value <= MAX_SAFE:
                return value
            return _clean(value)

        memo.plans[single] = (SINGLE, expression)
        return single

    parts: list[Node | str] = []
    for child in node.children:
        if child.kind == CONSTANT and isinstance(child.value, str):
            if child.value:
                parts.append(child.value)
        else:
            parts.append(_compile_expression(child, text, path))

    # Each part as (its text, or None and its expression with the expression's closure).
    runs: list[tuple[str | None, Node | None, Fn | None]] | None = None

    def interpolated(scope: Scope, trace: Trace | None) -> Any:
        nonlocal runs
        if runs is None:
            runs = [
                (part, None, None)
                if isinstance(part, str)
                else (None, part, compile_node(part, closures))
                for part in parts
            ]
        pieces: list[str] = []
        for constant, expression, run in runs:
            if run is None:
                pieces.append(constant)  # type: ignore[arg-type]
                continue
            try:
                value = run(scope, True)
            except (EvalError, HardError):
                # The SDK writes a failed binding back as its own text.
                value = "${" + render(expression) + "}"  # type: ignore[arg-type]
                scope.unbound.append(value)
            kind = type(value)
            if kind is str:
                pieces.append(value)
                continue
            if kind is float or kind is int:
                pieces.append(number_to_string(value))
                continue
            try:
                pieces.append(to_string(value))
            except JSTypeError as error:
                raise TemplateExpansionError(json_path(path), text, str(error)) from None
        return "".join(pieces)

    memo.plans[interpolated] = (INTERPOLATED, parts)
    return interpolated


def _compile_list(items: list[Any], path: Path, memo: Memo) -> Expand | None:
    """The list's expansion, or None when it has nothing to expand (see _frozen)."""
    # Each item's expansion (None for one with nothing to expand, made a value below), its
    # elements' (for an object with `$data` or `$when`), and whether it is always one object
    # (an object with neither), appended as it is.
    compiled: list[tuple[Any, Many | None, bool]] = []
    # Arrays drop nulls and merge nested arrays, so a list with those is no copy.
    plain = type(items) is list
    # Whether an item is a value or a part with nothing to expand (None in `compiled` until
    # the list is known to be no copy as a whole).
    values = False
    for index, item in enumerate(items):
        kind = type(item)
        if isinstance(item, dict):
            single, many = _compile_object(item, (*path, index), memo)
            compiled.append((single, many, many is None))
            if single is None:
                values = True
            else:
                plain = False
            continue
        if kind is str:
            if "${" not in item:
                compiled.append((None, None, False))
                values = True
                continue
        elif kind is list:
            compiled.append((_compile_list(item, (*path, index), memo), None, False))
            plain = False
            values = True
            continue
        elif kind is bool or kind is int or kind is float:
            if kind is not bool:
                _note_number(item, memo)
            compiled.append((None, None, False))
            values = True
            continue
        compiled.append((_compile(item, (*path, index), memo), None, False))
        plain = False
    if plain:
        return None
    ready: list[tuple[Expand, Many | None, bool]] = compiled
    if values:
        ready = [
            (_as_value(item, memo) if single is None else single, many, one)
            for item, (single, many, one) in zip(items, compiled, strict=True)
        ]

    if all(one for _single, _many, one in ready):
        objects = [single for single, _many, _one in ready]

        def array_of_objects(scope: Scope, trace: Trace | None) -> Any:
            return [single(scope, trace) for single in objects]

        memo.plans[array_of_objects] = (ARRAY, [(single, None, True) for single in objects])
        return array_of_objects

    def array(scope: Scope, trace: Trace | None) -> Any:
        out: list[Any] = []
        for single, many, one in ready:
            if one:
                out.append(single(scope, trace))
                continue
            if many is not None:
                add_many(out, many, scope, trace)
            else:
                add_item(out, single(scope, trace))
        return out

    memo.plans[array] = (ARRAY, ready)
    return array


def _as_value(item: Any, memo: Memo) -> Expand:
    """A list item with nothing to expand: a copy of a list or object, else the value."""
    return _frozen(item, memo) if type(item) is dict or type(item) is list else _literal(item, memo)


def _frozen(node: Any, memo: Memo) -> Expand:
    """A subtree with no bindings: each expansion gets a fresh copy (marshal copies JSON
    values in C, several times faster than walking them in Python)."""
    blob = marshal.dumps(node)
    loads = marshal.loads

    def copy(scope: Scope, trace: Trace | None) -> Any:
        return loads(blob)

    memo.plans[copy] = (STATIC, blob)
    return copy


def _compile_object(
    node: dict[str, Any], path: Path, memo: Memo
) -> tuple[Expand | None, Many | None]:
    """The object's expansion as one value and, for an object with `$data` or `$when`,
    as the list of elements it makes in an array; None when that is always the one value
    (an array appends it like any other value, with no list built per expansion). (None,
    None) for an object with nothing to expand (see _frozen)."""
    # Literal fields (strings without bindings, numbers, booleans) are kept as values, so an
    # expansion copies them without a call; the others are compiled (None for a list or
    # object with nothing to expand: copied, unless this whole object is).
    fields: list[tuple[str, Any, bool]] = []
    # The object's keys in order, the literal ones with their values: an expansion copies it
    # and sets the others in place (a field that expands to undefined is taken out again).
    base: dict[str, Any] = {}
    plain = type(node) is dict
    copies = False
    for key, value in node.items():
        kind = type(value)
        if kind is str:
            literal = "${" not in value
        elif value is None or kind is bool:
            literal = True
        elif kind is int or kind is float:
            _note_number(value, memo)
            literal = True
        else:
            literal = False
        if key in _RESERVED:
            plain = False
            continue
        if literal:
            fields.append((key, value, True))
            base[key] = value
            continue
        if kind is dict:
            field = _compile_object(value, (*path, key), memo)[0]
        elif kind is list:
            field = _compile_list(value, (*path, key), memo)
        else:
            field = _compile(value, (*path, key), memo)
        if field is None:
            copies = True
        else:
            plain = False
        fields.append((key, field, False))
        base[key] = None
    if plain:
        return None, None
    if copies:
        fields = [
            (key, _frozen(node[key], memo) if field is None and not literal else field, literal)
            for key, field, literal in fields
        ]
    computed = [(key, field) for key, field, literal in fields if not literal]

    def expand_fields(scope: Scope, trace: Trace | None) -> dict[str, Any]:
        result = base.copy()
        for key, field in computed:
            value = field(scope, trace)
            if value is UNDEFINED:
                del result[key]
            else:
                result[key] = value
        return result

    if "$data" not in node and "$when" not in node:
        # The usual object: no scope change, no condition, exactly one result.
        memo.plans[expand_fields] = (OBJECT, fields)
        return expand_fields, None
    return _compile_conditional(node, path, memo, expand_fields)


def _compile_conditional(
    node: dict[str, Any], path: Path, memo: Memo, expand_fields: Expand
) -> tuple[Expand, Many]:
    """An object with `$data` or `$when`: the elements it makes, and the one value."""
    has_data = "$data" in node
    data_node = (
        _parse(node["$data"], (*path, "$data"), memo)
        if isinstance(node.get("$data"), str)
        else None
    )
    data_text = node.get("$data")
    closures = memo.closures
    data_fn = _binding(data_node, str(data_text), (*path, "$data"), memo) if data_node else None
    data_literal = (
        None if data_node else _compile(data_text, (*path, "$data"), memo) if has_data else None
    )
    when_raw = node.get("$when", UNDEFINED)
    when_node = _parse(when_raw, (*path, "$when"), memo) if isinstance(when_raw, str) else None
    when_fn = _compile_expression(when_node, str(when_raw), (*path, "$when")) if when_node else None
    # A `$when` that is no expression drops the element when it is truthy (SDK rule).
    when_drops = when_fn is None and js_truthy(when_raw)

    when_run: Fn | None = None

    def keep(scope: Scope) -> bool:
        nonlocal when_run
        if when_fn is None:
            return not when_drops
        if when_run is None:
            when_run = compile_node(when_fn, closures)
        try:
            return when_run(scope, False) is True
        except EvalError:
            return False
        except HardError as error:
            raise TemplateExpansionError(
                json_path((*path, "$when")), str(when_raw), str(error)
            ) from None

    def many(scope: Scope, trace: Trace | None) -> tuple[list[Any], bool]:
        saved_data, saved_index, saved_epoch = scope.data, scope.index, scope.epoch
        try:
            if not has_data:
                return ([expand_fields(scope, trace)] if keep(scope) else []), False
            if data_fn is not None:
                context = data_fn(scope, trace)
            else:
                assert data_literal is not None
                context = data_literal(scope, trace)
            results: list[Any] = []
            if isinstance(context, list):
                for index, item in enumerate(context):
                    scope.index = index
                    scope.data = item
                    scope.epoch = scope.new_epoch()
                    if keep(scope):
                        results.append(expand_fields(scope, trace))
                return results, True
            if context is not UNDEFINED:
                scope.data = context
                scope.epoch = scope.new_epoch()
            if keep(scope):
                results.append(expand_fields(scope, trace))
            return results, False
        finally:
            scope.data, scope.index, scope.epoch = saved_data, saved_index, saved_epoch

    def single(scope: Scope, trace: Trace | None) -> Any:
        results, _repeated = many(scope, trace)
        if not results:
            return None
        if len(results) == 1:
            return results[0]
        return results

    return single, many


# --- after the expansion ------------------------------------------------------------------


def _locate(value: Any, trace: Trace) -> tuple[RepeatSpan, ...]:
    if not trace:
        return ()
    paths = {id(node): path for path, node in _arrays(value)}
    spans = [
        RepeatSpan(paths[id(array)], start, stop)
        for array, start, stop in trace
        if id(array) in paths
    ]
    return tuple(sorted(spans, key=lambda span: (len(span.path), repr(span.path), span.start)))


def _arrays(value: Any) -> list[tuple[Path, list[Any]]]:
    """Every array in an expanded card with its path: only containers are visited (a big card's
    strings and numbers are most of its values)."""
    found: list[tuple[Path, list[Any]]] = []
    stack: list[tuple[Path, Any]] = [((), value)]
    while stack:
        path, node = stack.pop()
        if type(node) is list:
            found.append((path, node))
            stack.extend(
                ((*path, index), item)
                for index, item in enumerate(node)
                if type(item) is list or type(item) is dict
            )
        elif type(node) is dict:
            stack.extend(
                ((*path, key), item)
                for key, item in node.items()
                if type(item) is list or type(item) is dict
            )
    return found


def _find_unbound(value: Any, literals: set[str]) -> list[Binding]:
    ordered = sorted(literals)
    return [
        Binding(json_path(path), literal)
        for path, node in _nodes(value)
        if isinstance(node, str)
        for literal in ordered
        if literal in node
    ]


def _nodes(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every value in an expanded card with its path, parents before children."""
    yield path, value
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nodes(item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, (*path, key))


def _clean(value: Any) -> Any:
    """A copy as plain JSON: `undefined` and NaN become null, as JSON.stringify makes them.

    Values that expressions return may be the caller's own data; the card gets a copy.
    """
    if value is UNDEFINED:
        return None
    if type(value) is float or (type(value) is int and not -MAX_SAFE <= value <= MAX_SAFE):
        # As JSON.stringify writes it: NaN and the infinities as null, 30.0 as 30, -0 as 0.
        return json_number(value) if math.isfinite(value) else None
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items() if item is not UNDEFINED}
    if type(value) is Unbound or isinstance(value, BigInt):
        return str(value)
    if isinstance(value, JSBytes):
        return value.as_object()  # a Uint8Array, as JSON.stringify writes it
    return value
