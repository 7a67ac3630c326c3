"""Fit a card into Teams' message size limit by splitting it where `$data` repeated elements.

Teams fact (add-incoming-webhook.md): a message over 28 KB is refused. Size is measured in bytes of
the serialized message exactly as it is sent. A card over the limit is split at the element
boundaries the template engine recorded (`RepeatSpan`): each part keeps every other element of the
card (title, summary, actions) plus a small "Part i of n" line, and carries as many consecutive
repeated elements as fit. Only an element that is too large on its own (or a card too large without
any of its repeated elements) is refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shared.cards.check import wire_bytes
from shared.teams.errors import CardTooLarge, InvalidCard

__all__ = ["TEAMS_MESSAGE_LIMIT", "Part", "SpanLike", "encode", "is_message_card", "split_card"]

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
    """One message to post: `index` of `count` (both from 1), the message and its exact bytes."""

    index: int
    count: int
    message: dict[str, Any]
    body: bytes


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


def _build(
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


def split_card(
    card: dict[str, Any],
    repeats: Sequence[SpanLike] = (),
    *,
    to_message: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    limit: int = TEAMS_MESSAGE_LIMIT,
) -> list[Part]:
    """The messages to post for `card`, in order, each at most `limit` bytes.

    Raises CardTooLarge when no split at the repeat boundaries can bring every part within the
    limit.
    """
    if to_message is None:
        from shared.cards.envelope import to_message as envelope

        to_message = envelope
    try:
        whole = to_message(card)
    except ValueError as exc:
        raise InvalidCard(str(exc)) from None
    body = encode(whole)
    if len(body) <= limit:
        return [Part(1, 1, whole, body)]

    spans = _outermost(card, repeats)
    units: list[Unit] = [
        (number, index)
        for number, span in enumerate(spans)
        for index in range(span.start, span.stop)
    ]
    if len(units) < 2:
        raise CardTooLarge(
            f"the card is {len(body):,} bytes, over Teams' {limit:,}-byte limit, and has no "
            "repeated elements to split it at"
        )
    # Reserve the widest "Part i of n" while packing; the final lines are never longer.
    widest = f"Part {len(units)} of {len(units)}"

    def size(chosen: Sequence[Unit]) -> int:
        return len(encode(to_message(_build(card, spans, chosen, widest))))

    fixed = size(())
    if fixed > limit:
        raise CardTooLarge(
            f"without its repeated elements the card is still {fixed:,} bytes, over Teams' "
            f"{limit:,}-byte limit"
        )
    groups: list[Sequence[Unit]] = []
    first = 0
    while first < len(units):
        # The largest run units[first:end] that fits; size grows with the run, so bisect.
        low, high = first, len(units)
        while low < high:
            middle = (low + high + 1) // 2
            if size(units[first:middle]) <= limit:
                low = middle
            else:
                high = middle - 1
        if low == first:
            number, index = units[first]
            alone = size(units[first : first + 1])
            where = _path_text((*spans[number].path, index))
            raise CardTooLarge(
                f"the repeated element {where} alone makes a {alone:,}-byte message, over Teams' "
                f"{limit:,}-byte limit; shorten that element"
            )
        groups.append(units[first:low])
        first = low

    parts = []
    for number, chosen in enumerate(groups, start=1):
        message = to_message(_build(card, spans, chosen, f"Part {number} of {len(groups)}"))
        parts.append(Part(number, len(groups), message, encode(message)))
    return parts
