"""The second tier of a compiled template: Python source generated for it, once it is reused.

A template compiles to a tree of closures (template.py), cheap to build and fine for a
template expanded once. A template the app keeps is expanded again and again, and there a
call per element, per field and per operator is most of the cost. After a few expansions
(template.CompiledTemplate), the closures' plans (what each computes, recorded as they are
built) are turned into one Python function that builds the card with dict and list displays,
writes the static parts as literals (a fresh copy each time: the caller may change the card),
and computes the common expression forms inline:

- paths of names and constant indexes into the current data (`a.b`, `data[0].temp`), with the
  lookup that ignores case as AEL's does (the first matching key, in the object's order);
- constants, `concat`, `if`, `exists`, `+ - * /` on plain numbers, and `${...}` texts.

Everything else is the closure it was (`$data` and `$when` elements, other functions, paths
into `$root` or `$host`). The inline code is a fast path, not a second implementation: it only
reads, and each check it makes (a type, a key that is there, a divisor that is not 0) sends the
whole binding to its closure when it fails, which evaluates it from the start as before. So a
binding that substitutes a `${path}`, fails, or meets a value of an unusual type is computed by
the closure alone, with its texts, errors and `scope.unbound` entries. Values are assigned in
the closures' own order, so the first error raised is the same one.

Only `repr()` of a `str`, an `int`, a finite `float`, a `bool` or `None` goes into the source;
every other value is passed in a table.
"""

from __future__ import annotations

import marshal
import math
from collections.abc import Callable
from typing import Any, Final

from ._compile import _steps
from ._js import MAX_SAFE, UNDEFINED, is_logic_true, number_to_string
from ._parser import ACCESSOR, CONCAT, CONSTANT, ELEMENT, PATH, Node
from ._scope import Scope, split_path

# What a closure of a template computes (template.py records one per closure it builds):
VALUE: Final = "value"  # (VALUE, the value itself: a text without bindings or a scalar)
STATIC: Final = "static"  # (STATIC, marshal blob of a subtree without bindings)
SINGLE: Final = "single"  # (SINGLE, expression): a binding that keeps its value's type
INTERPOLATED: Final = "interpolated"  # (INTERPOLATED, [text or expression, ...])
OBJECT: Final = "object"  # (OBJECT, [(key, value or closure, whether a value), ...])
ARRAY: Final = "array"  # (ARRAY, [(closure, many-closure or None, whether one object), ...])

Plan = tuple[str, Any]
Plans = dict[Callable[..., Any], Plan]

_LITERAL_TYPES: Final = (str, int, bool, type(None))
# Displays and branches nested deeper than this are left to the closures: Python's compiler
# has its own recursion limit.
_MAX_DEPTH: Final = 40
# Templates whose source would be bigger than this keep their closures: compiling the source
# would cost more than it saves for a long time.
_MAX_SOURCE: Final = 400_000
_OPERATORS: Final = frozenset(("+", "-", "*", "/"))


class _Bail(Exception):
    """A fast path's check failed: the binding is its closure's to compute."""


class _NotInline(Exception):
    """An expression form the generator leaves to the closure."""


_BAIL: Final = object()


def _float_text(value: float) -> str:
    """number_to_string for a float, without its general path for the usual case."""
    if not value.is_integer():
        text = repr(value)
        if "e" not in text and "n" not in text:  # no exponent, not inf or nan
            return text
    return number_to_string(value)


def _text(value: Any) -> str:
    """A part of an interpolated text as the closure writes it, for numbers and booleans;
    anything else is the closure's (to_string's errors and its forms)."""
    kind = type(value)
    if kind is float:
        return _float_text(value)
    if kind is int:
        return str(value) if -MAX_SAFE <= value <= MAX_SAFE else number_to_string(value)
    if kind is bool:
        return "true" if value else "false"
    raise _Bail


# For objects of each shape (their keys in order): each key in lowercase with the first key
# that equals it ignoring case, as dict_get finds it. Data of one sender has a few shapes.
_SHAPES: dict[tuple[str, ...], dict[str, str]] = {}
_MAX_SHAPES: Final = 4096
_MAX_SHAPE_KEYS: Final = 64


def _keys(instance: dict[str, Any]) -> dict[str, str]:
    keys = tuple(instance)
    found = _SHAPES.get(keys)
    if found is None:
        found = {}
        for key in keys:
            # dict_get's test: for a text key, `key == name or (...) and key.lower() ==
            # name.lower()` is key.lower() == name.lower() (see _scope.dict_get).
            found.setdefault(key.lower(), key)
        if len(keys) <= _MAX_SHAPE_KEYS:
            if len(_SHAPES) >= _MAX_SHAPES:
                _SHAPES.clear()
            _SHAPES[keys] = found
    return found


def _literal(text: str) -> bool:
    """Whether generated source text is a number literal (`5`, `-2.5`, `1e+21`)."""
    return text[0].isdigit() or text[0] == "-"


def _integer_literal(text: str) -> bool:
    """Whether generated source text is an int literal (`5`, `-3`)."""
    return text.lstrip("-").isdigit()


class _Source:
    def __init__(self, plans: Plans) -> None:
        self.plans = plans
        self.lines: list[str] = []
        self.tables: list[Any] = []
        self.count = 0
        # Each path the bindings read is walked once per expansion, before anything else, by
        # the prelude's lines (nothing changes the data during an expansion, and a walk only
        # reads): `_BAIL` where the walk meets what only the closures handle.
        self.walks: dict[tuple[str, ...], str] = {(): "data"}
        self.leaves: dict[tuple[str, ...], str] = {}
        # Temps that hold an arithmetic result: an int in the safe range or a float, NaN at
        # worst; and those of them known not to be NaN.
        self.numbers: set[str] = set()
        self.not_nan: set[str] = set()

    def temp(self) -> str:
        self.count += 1
        return f"t{self.count}"

    def table(self, value: Any) -> str:
        self.tables.append(value)
        return f"T[{len(self.tables) - 1}]"

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    # --- the card's structure ---------------------------------------------------------

    def value(self, fn: Callable[..., Any], indent: int, depth: int) -> str:
        """Statements computing what `fn` computes; returns an expression with no side
        effects (a temp, a literal or a display of them) for its value."""
        plan = self.plans.get(fn)
        kind = plan[0] if plan is not None else None
        if depth > _MAX_DEPTH or plan is None:
            return self.call(fn, indent)
        if kind == VALUE:
            return self.literal(plan[1])
        if kind == STATIC:
            # The template's own subtree, dumped by template._frozen.
            return self.static(marshal.loads(plan[1]), 0)  # noqa: S302
        if kind == OBJECT:
            return self.object(plan[1], indent, depth)
        if kind == ARRAY:
            return self.array(fn, plan[1], indent, depth)
        if kind == SINGLE:
            return self.single(fn, plan[1], indent)
        if kind == INTERPOLATED:
            return self.interpolated(fn, plan[1], indent)
        return self.call(fn, indent)

    def need_scope(self, indent: int) -> None:
        """The closures' Scope, made when the first of them is called: an expansion that
        computes everything inline makes none."""
        self.emit(indent, "if scope is None:")
        self.emit(indent + 1, "scope = _Scope(data, host, strict=strict)")

    def call(self, fn: Callable[..., Any], indent: int) -> str:
        name = self.temp()
        self.need_scope(indent)
        self.emit(indent, f"{name} = {self.table(fn)}(scope, trace)")
        return name

    def literal(self, value: Any) -> str:
        kind = type(value)
        if kind in _LITERAL_TYPES or (kind is float and math.isfinite(value)):
            return repr(value)
        return self.table(value)

    def static(self, value: Any, depth: int) -> str:
        """A display building a fresh copy of a subtree without bindings."""
        if depth > _MAX_DEPTH:
            return f"_loads({self.table(marshal.dumps(value))})"
        if type(value) is dict:
            if not all(type(key) is str for key in value):
                return f"_loads({self.table(marshal.dumps(value))})"
            items = ", ".join(
                f"{key!r}: {self.static(item, depth + 1)}" for key, item in value.items()
            )
            return "{" + items + "}"
        if type(value) is list:
            return "[" + ", ".join(self.static(item, depth + 1) for item in value) + "]"
        kind = type(value)
        if kind in _LITERAL_TYPES or kind is float:
            return self.literal(value)
        # Anything else a template built in Python may hold (a tuple, a set): copied as
        # template._frozen copies it.
        return f"_loads({self.table(marshal.dumps(value))})"

    def object(self, fields: list[tuple[str, Any, bool]], indent: int, depth: int) -> str:
        items: list[str] = []
        maybe_undefined: list[tuple[str, str]] = []
        for key, field, literal in fields:
            if type(key) is not str:
                raise _NotInline
            if literal:
                items.append(f"{key!r}: {self.literal(field)}")
                continue
            expression = self.value(field, indent, depth + 1)
            items.append(f"{key!r}: {expression}")
            plan = self.plans.get(field)
            if plan is None or plan[0] == SINGLE:
                maybe_undefined.append((key, expression))
        display = "{" + ", ".join(items) + "}"
        if not maybe_undefined:
            return display
        # A field that expands to undefined is left out, where it was.
        name = self.temp()
        self.emit(indent, f"{name} = {display}")
        for key, expression in maybe_undefined:
            self.emit(indent, f"if {expression} is UNDEFINED:")
            self.emit(indent + 1, f"del {name}[{key!r}]")
        return name

    def array(
        self,
        fn: Callable[..., Any],
        items: list[tuple[Callable[..., Any], Any, bool]],
        indent: int,
        depth: int,
    ) -> str:
        if all(one for _single, _many, one in items):
            return (
                "[" + ", ".join(self.value(item, indent, depth + 1) for item, _m, _o in items) + "]"
            )
        # As template._compile_list's `array`: elements of `$data` and `$when` objects are
        # appended as their closure makes them, nulls dropped and nested arrays merged.
        name = self.temp()
        self.emit(indent, f"{name} = []")
        for single, many, one in items:
            if one:
                self.emit(indent, f"{name}.append({self.value(single, indent, depth + 1)})")
            elif many is not None:
                self.need_scope(indent)
                self.emit(indent, f"_many({name}, {self.table(many)}, scope, trace)")
            else:
                item = self.value(single, indent, depth + 1)
                self.emit(indent, f"_item({name}, {item})")
        return name

    # --- bindings ---------------------------------------------------------------------

    def single(self, fn: Callable[..., Any], expression: Node, indent: int) -> str:
        name = self.temp()
        mark = self.mark()
        try:
            self.emit(indent, "try:")
            result = self.expression(expression, True, indent + 1, 0)
            # The closure's clean-up: a copy of a list or object, numbers as JSON writes them.
            self.emit(
                indent + 1, f"{name} = {result} if type({result}) is str else _clean({result})"
            )
        except _NotInline:
            self.undo(mark)
            return self.call(fn, indent)
        self.fallback(fn, name, indent)
        return name

    def interpolated(self, fn: Callable[..., Any], parts: list[Node | str], indent: int) -> str:
        name = self.temp()
        mark = self.mark()
        try:
            self.emit(indent, "try:")
            pieces: list[str] = []
            for part in parts:
                if isinstance(part, str):
                    pieces.append(repr(part))
                    continue
                value = self.expression(part, True, indent + 1, 0)
                piece = self.temp()
                if value in self.numbers:
                    # _float_text inline: most arithmetic ends in a float that is not integral.
                    self.emit(
                        indent + 1, f"if type({value}) is float and not {value}.is_integer():"
                    )
                    self.emit(indent + 2, f"{piece} = repr({value})")
                    self.emit(indent + 2, f"if 'e' in {piece} or 'n' in {piece}:")
                    self.emit(indent + 3, f"{piece} = _text({value})")
                    self.emit(indent + 1, "else:")
                    self.emit(indent + 2, f"{piece} = _text({value})")
                else:
                    self.emit(
                        indent + 1,
                        f"{piece} = {value} if type({value}) is str else _text({value})",
                    )
                pieces.append(piece)
            if not pieces:
                joined = "''"
            elif len(pieces) <= 3:
                joined = " + ".join(pieces)
            else:
                joined = "''.join((" + ", ".join(pieces) + "))"
            self.emit(indent + 1, f"{name} = {joined}")
        except _NotInline:
            self.undo(mark)
            return self.call(fn, indent)
        self.fallback(fn, name, indent)
        return name

    def mark(self) -> tuple[int, int, int]:
        return len(self.lines), len(self.walks), len(self.leaves)

    def undo(self, mark: tuple[int, int, int]) -> None:
        """Forget what a binding left to its closure added (dicts keep insertion order)."""
        lines, walks, leaves = mark
        del self.lines[lines:]
        for table, size in ((self.walks, walks), (self.leaves, leaves)):
            for key in list(table)[size:]:
                del table[key]

    def fallback(self, fn: Callable[..., Any], name: str, indent: int) -> None:
        self.emit(indent, "except Exception:")
        self.emit(indent + 1, f"{name} = _BAIL")
        self.emit(indent, f"if {name} is _BAIL:")
        self.need_scope(indent + 1)
        self.emit(indent + 1, f"{name} = {self.table(fn)}(scope, trace)")

    # --- expressions: statements that compute a value or raise _Bail ------------------

    def expression(self, node: Node, subst: bool, indent: int, depth: int) -> str:
        """Statements computing `node` as its closure would when that raises nothing and
        substitutes nothing; returns a temp or a literal. Raises _NotInline for a form the
        closure keeps."""
        if depth > _MAX_DEPTH or node.reused:
            raise _NotInline
        kind = node.kind
        children = node.children
        if kind == CONSTANT:
            value = node.value
            if type(value) in _LITERAL_TYPES or (type(value) is float and math.isfinite(value)):
                return repr(value)
            raise _NotInline
        if kind in (PATH, ACCESSOR, ELEMENT):
            return self.path(node, subst, indent)
        if kind == "exists" and len(children) == 1:
            value = self.expression(children[0], False, indent, depth + 1)
            name = self.temp()
            self.emit(indent, f"{name} = {value} is not None and {value} is not UNDEFINED")
            return name
        if kind == "if" and len(children) == 3:
            condition = self.expression(children[0], False, indent, depth + 1)
            name = self.temp()
            if condition.startswith("t") and self.boolean(children[0]):
                self.emit(indent, f"if {condition}:")
            else:
                self.emit(indent, f"if _true({condition}):")
            for branch, child in enumerate(children[1:]):
                if branch:
                    self.emit(indent, "else:")
                value = self.expression(child, subst, indent + 1, depth + 1)
                self.emit(indent + 1, f"{name} = {value}")
            return name
        if kind == CONCAT and len(children) >= 2:
            values = [self.expression(child, subst, indent, depth + 1) for child in children]
            name = self.temp()
            # AEL's concat of texts is their join; any other value is the closure's.
            checks = " or ".join(f"type({value}) is not str" for value in values)
            self.emit(indent, f"if {checks}:")
            self.emit(indent + 1, "raise _Bail")
            self.emit(indent, f"{name} = " + " + ".join(values))
            return name
        if kind in _OPERATORS and len(children) == 2:
            return self.arithmetic(node, subst, indent, depth)
        raise _NotInline

    @staticmethod
    def boolean(node: Node) -> bool:
        return node.kind == "exists" and not node.reused

    def number(self, value: str, indent: int, *, divisor: bool = False) -> None:
        """Guard: a plain number (an int, or a float that is not NaN), as arithmetic._binary's
        fast way requires; a divisor must not be 0."""
        if _literal(value):
            constant = float(value)
            if math.isnan(constant) or (divisor and constant == 0):
                raise _NotInline
            return
        if value in self.not_nan:
            if not divisor:
                return
            test = f"not {value}"
        elif value in self.numbers:
            test = f"{value} != {value}"
        else:
            test = f"not (type({value}) is int or (type({value}) is float and {value} == {value}))"
        if divisor:
            test += f" or not {value}"
        self.emit(indent, f"if {test}:")
        self.emit(indent + 1, "raise _Bail")

    def operand(self, node: Node, subst: bool, indent: int, depth: int) -> str:
        """An operand of `+ - * /`, to be checked by `number` next."""
        if node.kind in (PATH, ACCESSOR, ELEMENT) and not node.reused:
            return self.path(node, subst, indent, number=True)
        value = self.expression(node, subst, indent, depth + 1)
        if value in ("True", "False", "None") or value.startswith("'"):
            raise _NotInline
        return value

    def arithmetic(self, node: Node, subst: bool, indent: int, depth: int) -> str:
        left, right = node.children
        a = self.operand(left, subst, indent, depth)
        self.number(a, indent)
        b = self.operand(right, subst, indent, depth)
        self.number(b, indent, divisor=node.kind == "/")
        name = self.temp()
        low, high = -MAX_SAFE, MAX_SAFE
        # As arithmetic._binary computes and normalizes a result: integral floats in the safe
        # range as ints, ints beyond it as floats.
        if node.kind == "/":
            # arithmetic._divide_plain: two integral numbers divide to the floor (an int).
            self.emit(indent, f"{name} = {a} / {b}")
            integral = [
                f"(type({value}) is int or ({value}).is_integer())"
                for value in (a, b)
                if not _integer_literal(value)
            ]
            self.emit(indent, f"if {' and '.join(integral) or 'True'}:")
            self.emit(indent + 1, f"{name} = _floor({name})")
            self.emit(indent + 1, f"if not {low} <= {name} <= {high}:")
            self.emit(indent + 2, f"{name} = float({name})")
            self.emit(indent, f"elif {name}.is_integer() and {low} <= {name} <= {high}:")
            self.emit(indent + 1, f"{name} = int({name})")
        else:
            self.emit(indent, f"{name} = {a} {node.kind} {b}")
            self.emit(indent, f"if type({name}) is float:")
            self.emit(indent + 1, f"if {name}.is_integer() and {low} <= {name} <= {high}:")
            self.emit(indent + 2, f"{name} = int({name})")
            self.emit(indent, f"elif not {low} <= {name} <= {high}:")
            self.emit(indent + 1, f"{name} = float({name})")
        self.numbers.add(name)
        # Two numbers that are not NaN make NaN only with an infinity: inf * 0, inf - inf,
        # inf / inf. With a finite constant on the right, only `* 0` can.
        if _literal(b) and math.isfinite(float(b)) and not (node.kind == "*" and float(b) == 0):
            self.not_nan.add(name)
        return name

    def path(self, node: Node, subst: bool, indent: int, *, number: bool = False) -> str:
        """A path of names and constant indexes into the current data: its value, walked by
        the prelude. `number`: the caller checks for a plain number next, which neither
        undefined nor `_BAIL` is."""
        parts = _constant_path(node)
        if not parts or parts[0].startswith("$"):
            raise _NotInline
        name = self.leaf(tuple(parts))
        if number:
            return name
        # A path that finds nothing is substituted: the closure's to do.
        test = f"{name} is UNDEFINED or {name} is _BAIL" if subst else f"{name} is _BAIL"
        self.emit(indent, f"if {test}:")
        self.emit(indent + 1, "raise _Bail")
        return name

    def leaf(self, parts: tuple[str, ...]) -> str:
        """The prelude's temp for the value a path finds, as _compile._walk_steps gives it
        (an integer beyond 2^53 as the double JSON.parse makes of it)."""
        name = self.leaves.get(parts)
        if name is None:
            self.walk(parts)
            name = self.leaves[parts] = self.temp()
        return name

    def walk(self, parts: tuple[str, ...]) -> str:
        """The prelude's temp for what a path reaches (the parent's first)."""
        name = self.walks.get(parts)
        if name is None:
            self.walk(parts[:-1])
            name = self.walks[parts] = self.temp()
        return name

    def write_prelude(self) -> list[str]:
        """The walks, each one step from its parent's: an object read by several steps is
        indexed once by its keys in lowercase (the first key of each, as dict_get finds it)."""
        steps: dict[tuple[str, ...], int] = {}
        for parts in self.walks:
            if parts:
                steps[parts[:-1]] = steps.get(parts[:-1], 0) + 1
        lines: list[str] = []
        indexed: dict[str, str] = {}

        def index(parts: tuple[str, ...], name: str) -> None:
            if steps.get(parts, 0) >= 3:
                indexed[name] = by_key = self.temp()
                lines.append(f"{by_key} = _keys({name}) if type({name}) is dict else None")

        index((), "data")
        for parts, name in self.walks.items():
            if not parts:
                continue
            parent = self.walks[parts[:-1]]
            ((part, position, length, lowered),) = _steps([parts[-1]])
            lines.append(f"if type({parent}) is dict:")
            by_key = indexed.get(parent)
            if by_key is not None:
                lines.append(
                    f"    {name} = {parent}[{by_key}[{lowered!r}]] if {lowered!r} in {by_key} "
                    "else UNDEFINED"
                )
            else:
                lines += [
                    f"    for k in {parent}:",
                    f"        if k == {part!r} or ((len(k) == {length} or not k.isascii()) "
                    f"and k.lower() == {lowered!r}):",
                    f"            {name} = {parent}[k]",
                    "            break",
                    "    else:",
                    f"        {name} = UNDEFINED",
                ]
            if position is not None:
                lines += [
                    f"elif type({parent}) is list:",
                    f"    {name} = {parent}[{position}] if 0 <= {position} < len({parent}) "
                    "else UNDEFINED",
                ]
            # access_property finds nothing in null and undefined; anything else (a string,
            # binary, `_BAIL` itself) is the closures'.
            lines += [
                f"elif {parent} is None or {parent} is UNDEFINED:",
                f"    {name} = UNDEFINED",
                "else:",
                f"    {name} = _BAIL",
            ]
            index(parts, name)
        for parts, name in self.leaves.items():
            walked = self.walks[parts]
            lines.append(
                f"{name} = float({walked}) if type({walked}) is int and not "
                f"{-MAX_SAFE} <= {walked} <= {MAX_SAFE} else {walked}"
            )
        return lines


def _constant_path(node: Node) -> list[str] | None:
    """The parts of a path of names and constant indexes, split as
    _compile._compile_accessor splits them; None for any other accessor."""
    if node.kind == PATH:
        return [str(part) for part in node.value]
    # Each segment a name, or the text of an index (`[0].`), as _compile_accessor has them.
    segments: list[str | int] = []
    left: Node | None = node
    while left is not None:
        if left.reused:
            return None
        if left.kind == PATH:
            segments.extend(reversed([str(part) for part in left.value]))
            left = None
        elif left.kind == ACCESSOR:
            if len(left.children) not in (1, 2) or left.children[0].kind != CONSTANT:
                return None
            segments.append(str(left.children[0].value))
            left = left.children[1] if len(left.children) == 2 else None
        elif left.kind == ELEMENT:
            index = left.children[1]
            # Only a non-negative integer written in the expression: other indexes keep the
            # closure (text keys, computed ones, and the errors of the others).
            if index.kind != CONSTANT or type(index.value) is not int or index.value < 0:
                return None
            segments.append(index.value)
            left = left.children[0]
        else:
            return None
    segments.reverse()
    if all(type(segment) is str for segment in segments):
        return [str(segment) for segment in segments]
    # As _compile._path_text joins them (a name is "name.", an index "[n].") and split_path
    # splits the text again.
    joined = "".join(f"[{s}]." if type(s) is int else f"{s}." for s in segments)
    return split_path(joined.rstrip(".").replace(".[", "["))


# The generated function: (data, host, strict, trace) -> (the card, the Scope the closures
# used, or None when none was needed).
Generated = Callable[[Any, Any, bool, Any], tuple[Any, Scope | None]]


def generate(
    root: Callable[..., Any], plans: Plans, clean: Callable[[Any], Any]
) -> Generated | None:
    """The generated function for a template whose root closure is `root`, or None when the
    closures are as good (a root that is one closure) or the source would be too big."""
    if plans.get(root) is None:
        return None  # the root is one closure ($data or $when on the card itself)
    source = _Source(plans)
    try:
        result = source.value(root, 1, 0)
    except (_NotInline, RecursionError):
        return None
    source.emit(1, f"return {result}, scope")
    lines = ["def expand(data, host, strict, trace):", "    scope = None"]
    prelude = source.write_prelude()
    if prelude:
        # A walk that raises (a key that is no string: the closures raise there, if they
        # read it at all) leaves the whole expansion to them.
        lines.append("    try:")
        lines += ["        " + line for line in prelude]
        lines += [
            "    except Exception:",
            "        scope = _Scope(data, host, strict=strict)",
            f"        return {source.table(root)}(scope, trace), scope",
        ]
    text = "\n".join(lines + source.lines) + "\n"
    if len(text) > _MAX_SOURCE:
        return None
    namespace: dict[str, Any] = {
        "T": source.tables,
        "UNDEFINED": UNDEFINED,
        "_BAIL": _BAIL,
        "_Bail": _Bail,
        "_Scope": Scope,
        "_clean": clean,
        "_floor": math.floor,
        "_item": add_item,
        "_keys": _keys,
        "_loads": marshal.loads,
        "_many": add_many,
        "_text": _text,
        "_true": is_logic_true,
    }
    try:
        code = compile(text, "<template>", "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return None
    exec(code, namespace)  # noqa: S102 - the source holds only repr() of plain values
    generated: Generated = namespace["expand"]
    return generated


def add_many(out: list[Any], many: Callable[..., Any], scope: Any, trace: Any) -> None:
    """Append to an expanded array an element with `$data` or `$when` (both tiers use it)."""
    results, repeated = many(scope, trace)
    if repeated and trace is not None and results:
        trace.append((out, len(out), len(out) + len(results)))
    out.extend(results)


def add_item(out: list[Any], value: Any) -> None:
    """Append any other item of an array that is not always one object: null is dropped,
    undefined written as null, a nested array merged (both tiers use it)."""
    if value is None:
        return
    if value is UNDEFINED:
        out.append(None)
    elif isinstance(value, list):
        out.extend(value)
    else:
        out.append(value)
