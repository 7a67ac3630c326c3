"""Reusing an expression's value within one expansion, where the SDK would compute it again.

Two patterns make big cards slow, and both are common in real templates:
- an expression inside a `$data` repeat that reads the whole data: the Alertmanager card asks,
  for each alert, whether any alert of the group is still firing
  (`count(where($root.alerts, a, a.status != 'resolved'))`). Evaluated per item, that is O(n²):
  3 million lambda calls for a group of 1,000 alerts;
- the same call written several times for one element (a condition repeated in a `$when` and
  in the text it guards): the template's parser already shares one tree between identical
  calls (`_parser.Parser.call`), so each is the same node.

Such a node is evaluated once and its value reused, exactly:
- only calls that walk a collection (and whatever contains one) are kept, and none that is
  time-dependent (`utcNow`);
- a kept value is tied to the scope it was computed in: `Scope.epoch` changes whenever `$data`,
  `$index` or a lambda variable changes, and a value is reused only in the same epoch, unless
  its evaluation read none of those (`Scope.low`, kept by `_scope.memory_get`): then it holds
  for the whole expansion. A lambda body's path that finds nothing falls through to the
  enclosing data (AEL's StackedMemory), so whether an expression depends on the item is decided
  by each evaluation, not by reading the expression;
- a reused value that depends on the item makes whatever encloses it depend on the item too
  (a reuse lowers `Scope.low` as the evaluation did);
- a value is kept per substitution mode (a `${path}` text for a path that finds nothing, on
  in texts, off in conditions). A call asked for without substitution is first evaluated
  with it: when that substitutes nothing, no path it reads differs, so the value holds for
  both modes and a call written in a condition and in the text it guards is evaluated once;
  when it substitutes, it is evaluated again without;
- what an evaluation did besides its value is done again on reuse: the `${path}` texts it
  noted (strict mode reads them) and the error it raised;
- only plain values (strings, numbers, booleans, null) and lists of them are reused, a fresh
  list each time: objects an expression makes have an identity that `union`, `intersection`
  and `unique` tell apart, as the SDK's fresh objects would be. A path into `$root` or `$host`
  with no computed part (`$root.commonLabels`) is the third kind kept, whatever it finds: a
  read makes no object, so the data's own object is what every read returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from ._js import UNDEFINED
from ._parser import ACCESSOR, CONSTANT, ELEMENT, PATH, Node, ParseMemo
from ._scope import EvalError, Fn, HardError, Scope, Unbound

# Calls whose cost grows with a collection: worth keeping, with the calls that contain them.
_WALKS: Final = frozenset(
    (
        "where",
        "foreach",
        "select",
        "any",
        "all",
        "sortBy",
        "sortByDescending",
        "indicesAndValues",
        "unique",
        "union",
        "intersection",
        "flatten",
    )
)
_LAMBDAS: Final = frozenset(("where", "foreach", "select", "any", "all"))
# Calls whose value changes between evaluations without any input changing.
_IMPURE: Final = frozenset(("utcNow",))
# Names that are the same for every element of one expansion (compared lowercase, as AEL
# looks them up).
_FIXED_NAMES: Final = frozenset(("$root", "$host", "$_actemplateversion"))
_PLAIN_TYPES: Final = frozenset((bool, int, float, str, Unbound, type(None), type(UNDEFINED)))
_NOT_CALLS: Final = frozenset((CONSTANT, PATH, ACCESSOR, ELEMENT))
_PATHS: Final = frozenset((PATH, ACCESSOR, ELEMENT))

# (free names, lowercase; whether a collection walk is inside), or None when impure.
_Scan = tuple[frozenset[str], bool] | None
_READS_NOTHING: Final[_Scan] = (frozenset(), False)


def mark_reused(roots: Iterable[Node], parsed: ParseMemo | None = None) -> None:
    """Mark the calls worth keeping among the trees of one template's bindings (`roots`, one
    entry per place a binding is written): those that read only what is fixed for the
    expansion, and those written more than once. `parsed`, the memo the trees were parsed
    with, tells the usual template apart from its tokens alone: with no walk and no name
    that starts with `$` (as `$root` does), nothing is marked."""
    if (
        parsed is not None
        and _WALKS.isdisjoint(parsed.tokens)
        and "\0$" not in "\0" + "\0".join(parsed.tokens)
    ):
        return
    # Who refers to each node (constants aside): its parent once per place it is written
    # there, and None once per binding that is the node itself, so the length of its list is
    # how often it is written.
    referrers: dict[Node, list[Node | None]] = {}
    fixed: list[Node] = []
    walks: list[Node] = []
    # Each node met for the first time, with what refers to it there: the roots have None.
    pending: list[tuple[Node | None, list[Node]]] = [(None, list(roots))]
    while pending:
        parent, children = pending.pop()
        for node in children:
            kind = node.kind
            if kind == CONSTANT:
                continue
            found = referrers.get(node)
            if found is not None:
                found.append(parent)
                continue
            referrers[node] = [parent]
            if kind in _PATHS:
                if _reads_fixed_data(node):
                    fixed.append(node)
            elif kind in _WALKS:
                walks.append(node)
            pending.append((node, node.children))
    if not walks:
        # No call walks a collection, so no call is kept (a call is kept only with a walk
        # inside) and no lambda binds a fixed name.
        for node in fixed:
            node.reused = True
        return
    if any(_binds_fixed_name(node) for node in walks):
        # `foreach(x, $root, ...)`: then `$root` is not the same everywhere in the expansion.
        return
    for node in fixed:
        node.reused = True
    # Only a call with a walk inside may be kept: the walks and whatever contains them, a
    # few nodes of a big template, are all that is scanned.
    holders: set[Node] = set()
    while walks:
        node = walks.pop()
        if node not in holders:
            holders.add(node)
            walks.extend(parent for parent in referrers[node] if parent is not None)
    scans: dict[Node, _Scan] = {}
    for node in holders:
        if node.kind in _NOT_CALLS:
            continue
        scanned = _scan(node, scans)
        if scanned is None or not scanned[1]:
            continue
        if len(referrers[node]) > 1 or scanned[0] <= _FIXED_NAMES:
            node.reused = True


def _reads_fixed_data(node: Node) -> bool:
    """A path into `$root` or `$host` with no computed part (`$root.commonLabels.severity`,
    `$root.alerts[0].generatorURL`): read the same way by every element of the expansion."""
    while node.kind in (ACCESSOR, ELEMENT):
        children = node.children
        if node.kind == ELEMENT:
            if children[1].kind != CONSTANT:
                return False
            node = children[0]
        elif len(children) == 2:
            node = children[1]
        else:
            return str(children[0].value).lower() in _FIXED_NAMES
    if node.kind == PATH:
        return len(node.value) > 1 and str(node.value[0]).lower() in _FIXED_NAMES
    return False


def _binds_fixed_name(node: Node) -> bool:
    children = node.children
    return (
        node.kind in _LAMBDAS
        and len(children) == 3
        and children[1].kind == ACCESSOR
        and str(children[1].children[0].value).lower() in _FIXED_NAMES
    )


def _scan(node: Node, scans: dict[Node, _Scan]) -> _Scan:
    if node in scans:
        return scans[node]
    kind = node.kind
    children = node.children
    result: _Scan
    if kind == CONSTANT:
        result = _READS_NOTHING
    elif kind == PATH:
        result = frozenset((str(node.value[0]).lower(),)), False
    elif kind == ACCESSOR and len(children) == 1:
        result = frozenset((str(children[0].value).lower(),)), False
    elif kind == ACCESSOR:
        result = _scan(children[1], scans)
    elif kind in _IMPURE:
        result = None
    elif kind in _LAMBDAS and len(children) == 3 and children[1].kind == ACCESSOR:
        source, body = _scan(children[0], scans), _scan(children[2], scans)
        bound = str(children[1].children[0].value).lower()
        result = None if source is None or body is None else (source[0] | (body[0] - {bound}), True)
    else:
        names: frozenset[str] = frozenset()
        walks = kind in _WALKS
        result = None
        for child in children:
            if child.kind == CONSTANT:
                continue
            found = _scan(child, scans)
            if found is None:
                break
            child_names, child_walks = found
            if not child_names <= names:
                names = names | child_names if names else child_names
            walks = walks or child_walks
        else:
            result = names, walks
    scans[node] = result
    return result


def _storable(value: Any) -> bool:
    if type(value) in _PLAIN_TYPES:
        return True
    return type(value) is list and all(type(item) in _PLAIN_TYPES for item in value)


def _any_value(value: Any) -> bool:
    return True


def _fresh(error: EvalError | HardError) -> EvalError | HardError:
    """The same error again (a new exception each time, as each evaluation raises its own)."""
    if isinstance(error, EvalError):
        return EvalError(str(error), error.value)
    return HardError(str(error))


def reusing(node: Node, run: Fn) -> Fn:
    """`run`, the closure of a node marked by `mark_reused`, reusing its value where it
    cannot differ (see the module's docstring)."""

    # A path read makes no object: what it finds is the data's own, whatever its type.
    storable = _any_value if node.kind in _NOT_CALLS else _storable
    with_subst = (node, True)
    without_subst = (node, False)

    def replay(scope: Scope, hit: tuple[Any, ...]) -> Any:
        bound, value, unbound, error, low = hit
        if bound is not None and low < scope.low:
            # What it read is read again: an enclosing call kept for reuse depends on it too.
            scope.low = low
        if unbound:
            scope.unbound.extend(unbound)
        if error is not None:
            raise _fresh(error)
        return list(value) if type(value) is list and storable is _storable else value

    def reused(scope: Scope, subst: bool) -> Any:
        memo = scope.memo
        epoch = scope.epoch
        own = with_subst if subst else without_subst
        hit = memo.get(own)
        if hit is not None and (hit[0] is None or hit[0] == epoch) and hit[1] is not _UNKEPT:
            return replay(scope, hit)
        tried = None
        if not subst:
            tried = memo.get(with_subst)
            if tried is not None and not (tried[0] is None or tried[0] == epoch):
                tried = None
            if tried is not None and not tried[2] and tried[1] is not _UNKEPT:
                return replay(scope, tried)
        depth = len(scope.locals)
        outer = scope.low
        # Reads at `depth` or above are of the expression's own lambda variables.
        scope.low = depth
        mark = len(scope.unbound)
        if tried is None and not subst:
            # Evaluated with substitution on, a call that substitutes nothing has read every
            # path it would substitute, so its value is the one without substitution too: a
            # call written in a condition (`$when`, `if`, `&&`, `!`: substitution off) and in
            # a text (on) is evaluated once. When it substitutes, it is evaluated again
            # without, and kept for each.
            try:
                value = run(scope, True)
            except (EvalError, HardError) as error:
                entry = _entry(scope, depth, epoch, mark, None, error)
                memo[with_subst] = entry
                if not entry[2]:
                    memo[without_subst] = entry
                    scope.low = min(outer, scope.low)
                    raise
            else:
                kept = storable(value)
                entry = _entry(scope, depth, epoch, mark, value if kept else _UNKEPT, None)
                memo[with_subst] = entry
                if not entry[2]:
                    if kept:
                        memo[without_subst] = entry
                        value = (
                            list(value) if type(value) is list and storable is _storable else value
                        )
                    scope.low = min(outer, scope.low)
                    return value
            del scope.unbound[mark:]
        try:
            value = run(scope, subst)
        except (EvalError, HardError) as error:
            memo[own] = _entry(scope, depth, epoch, mark, None, error)
            scope.low = min(outer, scope.low)
            raise
        if storable(value):
            memo[own] = _entry(
                scope,
                depth,
                epoch,
                mark,
                list(value) if type(value) is list and storable is _storable else value,
                None,
            )
        scope.low = min(outer, scope.low)
        return value

    return reused


class _Unkept:
    """Kept in place of a value that cannot be reused (an object): only what the evaluation
    substituted is known, so that a condition does not try substitution on again."""

    __slots__ = ()


_UNKEPT: Final = _Unkept()


def _entry(
    scope: Scope,
    depth: int,
    epoch: int,
    mark: int,
    value: Any,
    error: EvalError | HardError | None,
) -> tuple[Any, ...]:
    """A memo entry: the epoch it holds for (None: the whole expansion, when it read nothing
    below `depth`), its value, what it substituted, its error, and the outermost thing it
    read (`Scope.low`)."""
    return (
        None if scope.low >= depth else epoch,
        value,
        tuple(scope.unbound[mark:]),
        None if error is None else _fresh(error),
        scope.low,
    )
