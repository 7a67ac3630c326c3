"""Compile Adaptive Expression trees into Python closures, with AEL's semantics.

Each node becomes `fn(scope, subst) -> value`. `subst` is AEL's `nullSubstitution`
option: when on, a property path that finds nothing evaluates to the text `${path}`
(the templating SDK's way of showing an unbound field); some functions turn it off
for their arguments, exactly where AEL does. An evaluation error is `EvalError`
(AEL's error string); `HardError` is where the JavaScript SDK itself throws.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final

from ._js import MAX_SAFE, UNDEFINED, is_integer, parse_int, template_string
from ._parser import (
    ACCESSOR,
    CONCAT,
    CONSTANT,
    ELEMENT,
    PATH,
    ExpressionSyntaxError,
    Node,
    parse_expression,
    render,
)
from ._reuse import reusing
from ._scope import (
    EvalError,
    Fn,
    HardError,
    Scope,
    Unbound,
    ValidationError,
    access_index,
    access_property,
    memory_get,
    split_path,
    substitute,
    walk,
)
from .functions import AEL_FUNCTION_NAMES, FUNCTIONS, REFUSED, setpath
from .functions.base import OBJECT, STRING, Spec, check_arity, order, return_type

_NOTHING_TO_CHECK: Final = frozenset((CONSTANT, PATH))


def check_tree(node: Node) -> None:
    """AEL's parse-time checks (arity, argument types, known functions), bottom-up.

    The SDK throws these when a template is constructed, whether or not a binding is
    ever evaluated, so they run eagerly; closures are built on first use (compile_node).
    """
    kind = node.kind
    if kind in _NOTHING_TO_CHECK or node.checked:
        return
    children = node.children
    for child in children:
        # Constants and paths, most of a tree, need no call.
        if not child.checked and child.kind not in _NOTHING_TO_CHECK:
            check_tree(child)
    if kind == ACCESSOR:
        if not children or children[0].kind != CONSTANT or not isinstance(children[0].value, str):
            raise ValidationError(f"{render(node)} must have a string as first argument.")
        if len(children) > 2:
            raise ValidationError(f"{render(node)} has more than 2 children.")
        if len(children) == 2 and return_type(children[1]) & OBJECT == 0:
            raise ValidationError(f"{render(node)} must have an object as its second argument.")
        node.checked = True
        return
    if kind == ELEMENT:
        check_arity(node, 2, 2)
        node.checked = True
        return
    spec = FUNCTIONS.get(kind)
    if spec is None:
        if kind in REFUSED:
            raise ValidationError(f"{kind}() is refused: {REFUSED[kind]}")
        if kind in AEL_FUNCTION_NAMES:
            raise ValidationError(
                f"{kind}() is an Adaptive Expressions function this engine does not "
                "implement; use one from the documented list"
            )
    else:
        spec.validate(node)
    node.checked = True


# A template's closures by node, so a subtree that identical bindings share is compiled
# once. The closures live here and not on the tree: a closure refers to its node (for
# messages), and a node referring back to it would make every compiled template a
# reference cycle, which only the cyclic garbage collector frees (slowly, in bulk).
Closures = dict[Node, Fn]


def compile_node(node: Node, closures: Closures) -> Fn:
    """The closure for a checked tree (see check_tree), built once per `closures`."""
    compiled = closures.get(node)
    if compiled is None:
        compiled = _compile_node(node, closures)
        if node.reused:
            compiled = reusing(node, compiled)
        closures[node] = compiled
    return compiled


def _constant(value: Any) -> Fn:
    def constant(scope: Scope, subst: bool) -> Any:
        return value

    return constant


def _compile_node(node: Node, closures: Closures) -> Fn:
    kind = node.kind
    if kind == CONSTANT:
        return _constant(node.value)
    if kind in (ACCESSOR, PATH):
        return _compile_accessor(node, closures)
    # A constant argument (a third of most trees) is never kept for reuse: its closure is
    # made here, without the two calls and the look-up compile_node spends on it.
    children = [
        _constant(child.value) if child.kind == CONSTANT else compile_node(child, closures)
        for child in node.children
    ]
    if kind == ELEMENT:
        return _compile_element(node, children)
    spec = FUNCTIONS.get(kind)
    if spec is None:

        def unknown(scope: Scope, subst: bool) -> Any:
            # The SDK throws here (no evaluator), through `&&`, `||` and `if` alike.
            raise HardError(f"Unknown function {kind}")

        return unknown
    return spec.build(node, children)


def _compile_accessor(node: Node, closures: Closures) -> Fn:
    if node.kind == PATH:
        return _static_path(list(node.value))
    children = node.children
    if len(children) == 1:  # a lone name, the commonest accessor
        return _static_path([str(children[0].value)])
    # AEL's tryAccumulatePath: walk down property and index accesses to a memory path.
    # A segment is a name, the text of a constant index (`[0].`), or an index's closure.
    segments: list[str | _IndexText | Fn] = []
    left: Node | None = node
    while left is not None:
        if left.kind == PATH:
            segments.extend(reversed(left.value))
            left = None
        elif left.kind == ACCESSOR:
            segments.append(str(left.children[0].value))
            left = left.children[1] if len(left.children) == 2 else None
        elif left.kind == ELEMENT:
            index_node = left.children[1]
            segments.append(_constant_index(index_node) or compile_node(index_node, closures))
            left = left.children[0]
        else:
            break
    segments.reverse()
    base = compile_node(left, closures) if left is not None else None

    texts = [segment for segment in segments if isinstance(segment, str)]  # _IndexText too
    if base is None and len(texts) == len(segments):
        if not any(type(text) is _IndexText for text in texts):
            return _static_path(texts)
        # `a[0].b`: the path is known now, so it is split once, not on every evaluation.
        path = _path_text(texts)
        parts = split_path(path)
        # A path into `$data` (the usual `items[0].name`) outside any lambda is a walk from
        # the data, as memory_get would find it, without its look-ups.
        in_data = bool(parts) and not parts[0].startswith("$")
        steps = _steps(parts)

        def constant_path(scope: Scope, subst: bool) -> Any:
            if in_data and not scope.locals:
                scope.low = -1
                value = _walk_steps(scope.data, steps)
            else:
                value = memory_get(scope, parts)
            if value is UNDEFINED and subst:
                return substitute(scope, path)
            return value

        return constant_path

    def dynamic_path(scope: Scope, subst: bool) -> Any:
        texts: list[str] = []
        for segment in segments:
            if isinstance(segment, str):
                texts.append(segment)
                continue
            texts.append(_index_text(segment(scope, subst)))
        path = _path_text(texts)
        if base is None:
            value = memory_get(scope, split_path(path))
        else:
            new_scope = base(scope, subst)
            value = UNDEFINED if new_scope is UNDEFINED else walk(new_scope, split_path(path))
        if value is UNDEFINED and subst:
            return substitute(scope, path)
        return value

    return dynamic_path


class _IndexText(str):
    """The path text of an index (`[0].`, `['a b'].`)."""

    __slots__ = ()


def _index_text(index: Any) -> _IndexText:
    """AEL's path text for an element index: raises EvalError for what is neither an
    integer nor a string (at compile time, a constant like that keeps its closure)."""
    if parse_int(index) is not None:
        return _IndexText(f"[{template_string(index)}].")
    if isinstance(index, str):
        return _IndexText(f"['{index}'].")
    raise EvalError("index doesn't return an int or string")


def _constant_index(node: Node) -> _IndexText | None:
    if node.kind != CONSTANT:
        return None
    try:
        return _index_text(node.value)
    except EvalError:
        return None  # evaluated (and refused) on each expansion, as before


def _path_text(texts: list[str]) -> str:
    """Segments (`name` or an index's text) joined as AEL writes a path: `a[0].b`."""
    joined = "".join(text if type(text) is _IndexText else text + "." for text in texts)
    return joined.rstrip(".").replace(".[", "[")


# A path's segments for _walk_steps: (name, its parseInt (an index into a list), its length
# and its lowercase form (for dict_get's match ignoring case)).
_Step = tuple[str, int | None, int, str]


def _steps(parts: list[str]) -> list[_Step]:
    return [
        (
            part,
            int(part)
            if part.isdigit() and part.isascii()
            # parseInt of a name that starts with a letter (nearly every part) is NaN.
            else None
            if part[:1].isalpha()
            else parse_int(part),
            len(part),
            part.lower(),
        )
        for part in parts
    ]


def _walk_steps(current: Any, steps: list[_Step]) -> Any:
    """`_scope.walk(current, parts)` with each part's index and lowercase form worked out
    once, and dict_get's loop inline: calls are most of the cost of a path."""
    value: Any = UNDEFINED
    for part, position, length, lowered in steps:
        if type(current) is dict:
            value = UNDEFINED
            for key in current:
                if key == part or (
                    (len(key) == length or not key.isascii()) and key.lower() == lowered
                ):
                    value = current[key]
                    break
        elif position is not None and isinstance(current, list):
            if not 0 <= position < len(current):
                return UNDEFINED
            value = current[position]
        else:
            value = access_property(current, part)
        current = value
    if type(value) is int and not -MAX_SAFE <= value <= MAX_SAFE:
        return float(value)  # as JSON.parse reads it
    return value


def _static_path(parts: list[str]) -> Fn:
    """A path of names only (`a.b.c`), looked up in memory; `${a.b.c}` when it finds nothing
    and substitution is on."""
    if len(parts) == 1 and not parts[0].startswith("$"):
        return _name_path(parts)
    # Built once here (not per miss as `substitute` does): a hot path.
    unbound = Unbound("${" + ".".join(parts) + "}")
    in_data = bool(parts) and not parts[0].startswith("$")
    steps = _steps(parts)

    def static_path(scope: Scope, subst: bool) -> Any:
        if scope.locals or not in_data:
            value = memory_get(scope, parts)
        else:
            scope.low = -1
            value = _walk_steps(scope.data, steps)
        if value is UNDEFINED and subst:
            scope.unbound.append(unbound)
            return unbound
        return value

    return static_path


def _name_path(parts: list[str]) -> Fn:
    """_static_path of one name into the data (`city`), the commonest path of all: its own
    closure, so compiling it builds nothing the lookup does not use."""
    name = parts[0]
    unbound = Unbound("${" + name + "}")
    length = len(name)
    lowered = name.lower()

    def name_path(scope: Scope, subst: bool) -> Any:
        if scope.locals:
            value = memory_get(scope, parts)
        else:
            scope.low = -1
            data = scope.data
            if type(data) is dict:
                # access_property's usual case, without its checks (an object is truthy),
                # and dict_get's loop inline.
                value = UNDEFINED
                for key in data:
                    if key == name or (
                        (len(key) == length or not key.isascii()) and key.lower() == lowered
                    ):
                        value = data[key]
                        if type(value) is int and not -MAX_SAFE <= value <= MAX_SAFE:
                            value = float(value)
                        break
            else:
                value = access_property(data, name)
        if value is UNDEFINED and subst:
            scope.unbound.append(unbound)
            return unbound
        return value

    return name_path


def _compile_element(node: Node, children: list[Fn]) -> Fn:
    instance_fn, index_fn = children

    def element(scope: Scope, subst: bool) -> Any:
        try:
            instance = instance_fn(scope, subst)
        except EvalError as error:
            # AEL's Element returns nothing here, and the SDK trips over that.
            raise HardError(str(error)) from None
        index = index_fn(scope, False)
        if is_integer(index):
            return access_index(instance, int(index))
        if isinstance(index, str):
            return access_property(instance, index)
        raise EvalError(f"Could not coerce {render(node.children[1])} to an int or string.")

    return element


# --- stringOrValue: text compiled at evaluation time (so it lives with the compiler) ---


class _Unreadable:
    """Text that stringOrValue cannot parse: the SDK throws from Expression.parse."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


@lru_cache(maxsize=256)
def _template_string(text: str) -> Fn | _Unreadable:
    """`text` compiled as AEL's Expression.parse('`' + text + '`') would read it; a string
    that is one binding and nothing else (`${x}`) evaluates to that binding's value."""
    try:
        node = parse_expression("`" + text + "`")
        check_tree(node)
    except (ExpressionSyntaxError, ValidationError, RecursionError) as error:
        return _Unreadable(f"stringOrValue cannot parse {text!r}: {error}")
    if node.kind == CONCAT and len(node.children) == 2:
        first, second = node.children
        if first.kind == CONSTANT and first.value == "" and second.kind != CONSTANT:
            node = second
    return compile_node(node, {})


def _string_or_value_build(node: Node, children: list[Fn]) -> Fn:
    (child,) = children

    def run(scope: Scope, subst: bool) -> Any:
        text = child(scope, subst)
        if not isinstance(text, str):
            raise EvalError("Parameter should be a string.")
        compiled = _template_string(text)
        if isinstance(compiled, _Unreadable):
            raise HardError(compiled.message)
        return compiled(scope, subst)

    return run


FUNCTIONS["stringOrValue"] = Spec(OBJECT, order([], STRING), _string_or_value_build)
# The indices in setPathToValue's path lie below its arguments: it compiles them with this.
FUNCTIONS["setPathToValue"] = setpath.spec(lambda node: compile_node(node, {}))
