"""Fit a card into Teams' message size limit by splitting it where `$data` repeated its items.

Teams fact (add-incoming-webhook.md): a message over 28 KB is refused. Size is measured in bytes of
the serialized message exactly as it is sent. A card over the limit is split at the element
boundaries the template engine recorded (`RepeatSpan`) for its items (`item_spans`: the repeats
directly in the card's body, such as the alerts of an alert group; other repeated elements, such as
a common-labels fact table, stay whole in every part). Each part keeps every other element of the
card (title, summary, actions) plus a small "Part i of n" line, and carries as many consecutive
items as fit. Each part works on its own: its `Action.ToggleVisibility` targets only elements in
that part (`self_contained`). At most `max_parts` parts go out: the last then says how many items
were left out. Only an item too large on its own (or a card too large without any of its items) is
refused; `shared.teams.fitting` shortens long texts first so that this does not happen.

Each item is measured once and parts are packed greedily from those sizes (an upper bound: one
comma per item), so the work is in proportion to the card, whatever the number of items.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shared.cards.check import wire_bytes
from shared.teams.errors import CardTooLarge, InvalidCard

__all__ = [
    "TEAMS_MESSAGE_LIMIT",
    "Part",
    "SpanLike",
    "encode",
    "is_message_card",
    "item_element",
    "item_spans",
    "item_units",
    "part_card",
    "self_contained",
    "split_card",
    "unit_sizes",
]

TEAMS_MESSAGE_LIMIT = 28 * 1024
"""28 KB, in bytes of the serialized message (28,672)."""


class SpanLike(Protocol):
    """The shape of `shared.cards.RepeatSpan`: the array at `path` holds, at [start, stop), the
    elements one `$data` array produced."""

    @property
    def path(self) -> tuple[str | int, ...]: ...

    @property
    def start(self) -> int: ...

    @property
    def stop(self) -> int: ...


@dataclass(frozen=True)
class Part:
    """One message to post: `index` of `count` (both from 1), the message and its exact bytes;
    `items` of the card's repeated items it carries, and (on the last part only) how many were
    `left_out` because the card would have needed more than the allowed number of parts."""

    index: int
    count: int
    message: dict[str, Any]
    body: bytes
    items: int = 0
    left_out: int = 0


def encode(message: Any) -> bytes:
    """The bytes sent for `message` (`shared.cards.check.wire_bytes`: one definition of the wire
    form, so the checks and the splitter measure what is sent)."""
    return wire_bytes(message)


def is_message_card(card: Any) -> bool:
    return isinstance(card, dict) and card.get("@type") == "MessageCard"


def _path_text(path: Sequence[str | int]) -> str:
    out = "$"
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif step.isidentifier():
            out += f".{step}"
        else:
            out += "[" + json.dumps(step) + "]"
    return out


def _resolve(root: Any, path: Sequence[str | int]) -> list[Any] | None:
    node = root
    for step in path:
        in_list = isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node)
        in_dict = isinstance(step, str) and isinstance(node, dict) and step in node
        if not (in_list or in_dict):
            return None
        node = node[step]
    return node if isinstance(node, list) else None


def _outermost(card: Any, spans: Sequence[SpanLike]) -> list[SpanLike]:
    """The spans to split at: those in the card's content (`body`, or a MessageCard's `sections`)
    that do not sit inside another span's elements (those travel with the element that holds
    them). Repeats elsewhere (mention entities, actions) stay whole in every part."""
    content = "sections" if is_message_card(card) else "body"
    usable = []
    for span in spans:
        if not span.path or span.path[0] != content:
            continue
        array = _resolve(card, span.path)
        if array is not None and 0 <= span.start < span.stop <= len(array):
            usable.append(span)

    def inside(inner: SpanLike, outer: SpanLike) -> bool:
        depth = len(outer.path)
        if len(inner.path) <= depth or tuple(inner.path[:depth]) != tuple(outer.path):
            return False
        index = inner.path[depth]
        return isinstance(index, int) and outer.start <= index < outer.stop

    return [s for s in usable if not any(o is not s and inside(s, o) for o in usable)]


def _part_line(card: dict[str, Any], text: str) -> None:
    if is_message_card(card):
        card.setdefault("sections", []).append({"text": text})
    else:
        card.setdefault("body", []).append(
            {"type": "TextBlock", "text": text, "size": "Small", "isSubtle": True, "wrap": True}
        )


Unit = tuple[int, int]
"""(span number, element index in that span's array)."""


def _own_path(root: dict[str, Any], path: Sequence[str | int], owned: set[int]) -> Any:
    """Walk `path` from `root`, replacing each container on the way by a copy this part owns, so the
    original card is never changed and nothing else is copied."""
    node: Any = root
    for step in path:
        child = node[step]
        if id(child) not in owned:
            child = list(child) if isinstance(child, list) else dict(child)
            node[step] = child
            owned.add(id(child))
        node = child
    return node


def part_card(
    card: dict[str, Any], spans: Sequence[SpanLike], keep: Sequence[Unit], line: str | None
) -> dict[str, Any]:
    part = dict(card)
    owned = {id(part)}
    # Own every array before filtering any, so that filtering one cannot shift another's path.
    arrays: list[list[Any]] = [_own_path(part, span.path, owned) for span in spans]
    kept: dict[int, set[int]] = {}
    for number, index in keep:
        kept.setdefault(number, set()).add(index)
    dropped: dict[int, set[int]] = {}
    by_id: dict[int, list[Any]] = {}
    for number, (span, array) in enumerate(zip(spans, arrays, strict=True)):
        drop = set(range(span.start, span.stop)) - kept.get(number, set())
        dropped.setdefault(id(array), set()).update(drop)
        by_id[id(array)] = array
    for key, array in by_id.items():
        gone = dropped[key]
        array[:] = [element for i, element in enumerate(array) if i not in gone]
    if line is not None:
        field = "sections" if is_message_card(part) else "body"
        if isinstance(part.get(field), list):
            _own_path(part, (field,), owned)
        _part_line(part, line)
    return part


_TOGGLE = "Action.ToggleVisibility"


def _element_ids(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        if isinstance(node.get("id"), str) and "type" in node:
            found.add(node["id"])
        for value in node.values():
            _element_ids(value, found)
    elif isinstance(node, list):
        for value in node:
            _element_ids(value, found)
    return found


def _target_id(target: Any) -> Any:
    return target.get("elementId") if isinstance(target, dict) else target


_GONE: Any = object()  # what `_contained` answers for a toggle left with nothing to do


def _toggle_in(action: dict[str, Any], ids: set[str]) -> Any:
    """`action` targeting only the elements in `ids`; _GONE when it has nothing left to toggle."""
    targets = action.get("targetElements")
    if not isinstance(targets, list):
        return action
    kept = [t for t in targets if _target_id(t) in ids]
    if len(kept) == len(targets):
        return action
    if not kept:
        return _GONE
    changed = {**action, "targetElements": kept}
    # "Show 5 resolved" in a part that folds 2 of them says 2: a count of the targets in the
    # title follows the targets (only when the title holds that number exactly once).
    title = action.get("title")
    count = re.compile(rf"(?<!\d){len(targets)}(?!\d)")
    if isinstance(title, str) and len(count.findall(title)) == 1:
        changed["title"] = count.sub(str(len(kept)), title)
    return changed


def _contained(node: Any, ids: set[str]) -> Any:
    """`node` with its toggles narrowed to `ids`, copying only what changes; _GONE for a toggle,
    or an ActionSet, left with nothing to do."""
    if isinstance(node, dict):
        if node.get("type") == _TOGGLE:
            return _toggle_in(node, ids)
        changed: dict[str, Any] | None = None
        for key, value in node.items():
            new = _contained(value, ids)
            if new is value:
                continue
            changed = dict(node) if changed is None else changed
            if new is _GONE or (key == "actions" and new == []):
                del changed[key]
            else:
                changed[key] = new
        if changed is None:
            return node
        if node.get("type") == "ActionSet" and not changed.get("actions"):
            return _GONE
        return changed
    if isinstance(node, list):
        items = [_contained(value, ids) for value in node]
        if all(new is old for new, old in zip(items, node, strict=True)):
            return node
        return [item for item in items if item is not _GONE]
    return node


def self_contained(card: dict[str, Any]) -> dict[str, Any]:
    """A part of a split card that works on its own: each `Action.ToggleVisibility` targets only
    elements in this part, and one with none of its targets here is left out (with an ActionSet
    it leaves empty). Teams shows each part as its own message, so a toggle cannot reach into
    another; an Alertmanager group's resolved alerts folded in an earlier part stay reachable
    from that part. The caller's card is not changed; only what changes is copied."""
    result = _contained(card, _element_ids(card, set()))
    return result if isinstance(result, dict) else card


def item_spans(card: Any, repeats: Sequence[SpanLike]) -> list[SpanLike]:
    """The spans that carry the card's items, the only places it may be split.

    The repeats directly in the card's content array (`body`, or a MessageCard's `sections`) are
    the items: an alert group's alerts, a digest's entries. Repeats nested in an element (the
    common labels' facts) are part of that element and stay whole in every part. Only when the
    content holds no repeat directly are the outermost nested ones used (a long fact table in a
    message)."""
    outer = _outermost(card, repeats)
    content = "sections" if is_message_card(card) else "body"
    top = [span for span in outer if tuple(span.path) == (content,)]
    return top or outer


def item_units(spans: Sequence[SpanLike]) -> list[Unit]:
    return [
        (number, index)
        for number, span in enumerate(spans)
        for index in range(span.start, span.stop)
    ]


def item_element(card: dict[str, Any], spans: Sequence[SpanLike], unit: Unit) -> Any:
    number, index = unit
    array = _resolve(card, spans[number].path)
    assert array is not None  # _outermost kept only spans that resolve
    return array[index]


def unit_sizes(card: dict[str, Any], spans: Sequence[SpanLike], units: Sequence[Unit]) -> list[int]:
    """Bytes each item adds to a message: its JSON and the comma before it (an upper bound)."""
    return [len(encode(item_element(card, spans, unit))) + 1 for unit in units]


def _line(index: int, count: int, left_out: int, noun: str) -> str | None:
    words = [f"Part {index} of {count}"] if count > 1 else []
    if left_out:
        words.append(f"… and {left_out:,} more {noun} not shown here")
    return " · ".join(words) or None


def _pack(sizes: Sequence[int], capacity: int) -> list[tuple[int, int]] | int:
    """Consecutive runs [first, stop) of items, each run's sizes summing to at most `capacity`,
    packed greedily (each part as full as it goes); or the position of an item that fits nowhere."""
    runs: list[tuple[int, int]] = []
    first, total = 0, 0
    for position, size in enumerate(sizes):
        if size > capacity:
            return position
        if total + size > capacity:
            runs.append((first, position))
            first, total = position, 0
        total += size
    if first < len(sizes):
        runs.append((first, len(sizes)))
    return runs


def split_card(
    card: dict[str, Any],
    repeats: Sequence[SpanLike] = (),
    *,
    to_message: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    limit: int = TEAMS_MESSAGE_LIMIT,
    max_parts: int | None = None,
    noun: str = "items",
    encoded: bytes | None = None,
    sizes: Sequence[int] | None = None,
) -> list[Part]:
    """The messages to post for `card`, in order, each at most `limit` bytes, at most `max_parts`
    of them (the last then says how many `noun` were left out). `encoded` (the message for the
    whole card) and `sizes` (`unit_sizes`) are what the caller measured of this very card
    already (`shared.teams.fitting.Fitted`), so that a big card is not encoded twice.

    Raises CardTooLarge when no split at the item boundaries can bring every part within the
    limit, InvalidCard when `card` is not a card.
    """
    if to_message is None:
        from shared.cards.envelope import to_message as envelope

        to_message = envelope
    try:
        whole = to_message(card)
        body = encode(whole) if encoded is None else encoded
    except ValueError as exc:
        raise InvalidCard(str(exc)) from None
    spans = item_spans(card, repeats)
    units = item_units(spans)
    if len(body) <= limit:
        return [Part(1, 1, whole, body, items=len(units))]
    if len(units) < 2:
        raise CardTooLarge(
            f"the card is {len(body):,} bytes, over Teams' {limit:,}-byte limit, and has no "
            "repeated elements to split it at"
        )
    sizes = unit_sizes(card, spans, units) if sizes is None else list(sizes)
    total = len(units)

    def fixed_size(line: str) -> int:
        return len(encode(to_message(part_card(card, spans, (), line))))

    # Reserve the widest "Part i of n" while packing; the final lines are never longer.
    fixed = fixed_size(f"Part {total} of {total}")
    if fixed > limit:
        raise CardTooLarge(
            f"without its repeated elements the card is still {fixed:,} bytes, over Teams' "
            f"{limit:,}-byte limit"
        )
    runs = _pack(sizes, limit - fixed)
    if isinstance(runs, int):
        raise _alone_too_large(card, spans, units[runs], fixed, sizes[runs], limit)
    left_out = 0
    if max_parts is not None and len(runs) > max_parts:
        # Room in the last part for the line that says what was left out.
        widest = _line(total, total, total, noun) or ""
        capacity = limit - fixed_size(widest)
        runs = runs[:max_parts]
        first, stop = runs[-1]
        used = sum(sizes[first:stop])
        while stop > first and used > capacity:
            stop -= 1
            used -= sizes[stop]
        runs[-1] = (first, stop)
        left_out = total - stop

    count = len(runs)
    parts = []
    # Without a toggle anywhere (its type would be in the card's text) every part is
    # self-contained as it is: no walk over each part's elements.
    toggles = f'"{_TOGGLE}"'.encode() in body
    for number, (first, stop) in enumerate(runs, start=1):
        missing = left_out if number == count else 0
        line = _line(number, count, missing, noun)
        part = part_card(card, spans, units[first:stop], line)
        message = to_message(self_contained(part) if toggles else part)
        encoded = encode(message)
        if len(encoded) > limit:  # the sizes are upper bounds: this cannot happen
            raise CardTooLarge(f"part {number} came out at {len(encoded):,} bytes")
        parts.append(Part(number, count, message, encoded, items=stop - first, left_out=missing))
    return parts


def _alone_too_large(
    card: dict[str, Any],
    spans: Sequence[SpanLike],
    unit: Unit,
    fixed: int,
    size: int,
    limit: int,
) -> CardTooLarge:
    number, index = unit
    where = _path_text((*spans[number].path, index))
    return CardTooLarge(
        f"the repeated element {where} alone makes a {fixed + size:,}-byte message, over Teams' "
        f"{limit:,}-byte limit; shorten that element"
    )
