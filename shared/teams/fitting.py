"""Shorten the texts that alone keep a card from fitting in a Teams message, before it is checked.

A stack trace pasted into an alert's description, or one long description shared by a whole alert
group, can make an element larger than a message can carry (28 KB, docs/teams-protocol.md). Refusing
such a card loses the alert: Alertmanager and other senders take a 4xx as final and never retry. So
the longest texts of what does not fit are cut, each ending with a visible marker
"… (shortened, N characters)" that says how much was left out, and the card goes out. Link URLs are
never cut (a cut URL opens the wrong page); only the display texts listed in `_TEXT_KEYS`.

The targets follow `shared.teams.splitting`: a card that fits as a whole is left alone; otherwise
its fixed part (everything but the items) keeps at most half a message when it must give up room,
and each item must fit beside that fixed part.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from shared.teams.splitting import (
    TEAMS_MESSAGE_LIMIT,
    SpanLike,
    encode,
    item_element,
    item_spans,
    item_units,
    part_card,
    unit_sizes,
)

__all__ = ["Fitted", "fit_card", "shorten"]

# Display texts of Adaptive Cards (TextBlock, TextRun, Fact, card titles) and MessageCards.
_TEXT_KEYS = frozenset(
    {"text", "value", "title", "subtitle", "summary", "activityTitle", "activitySubtitle"}
)
# Texts shorter than this are never cut: there is little to gain and a lot to lose.
_KEEP = 200


@dataclass(frozen=True)
class Fitted:
    """The card to check and send, and how many of its texts were shortened (0: unchanged)."""

    card: dict[str, Any]
    shortened: int
    encoded: bytes | None = None
    """`card`'s message as sent, when it was measured whole and left unchanged (for the split)."""
    sizes: tuple[int, ...] | None = None
    """Its items' sizes (`splitting.unit_sizes`), when they were measured and it is unchanged."""


def marker(left_out: int) -> str:
    return f"\u2026 (shortened, {left_out:,} characters)"


def shorten(text: str, max_bytes: int) -> str:
    """`text` cut so that, with its marker, its JSON string takes at most `max_bytes` bytes (at
    least a few characters always stay)."""
    if len(encode(text)) <= max_bytes:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with its marker
        middle = (low + high + 1) // 2
        if len(encode(text[:middle] + marker(len(text) - middle))) <= max_bytes:
            low = middle
        else:
            high = middle - 1
    return text[:low] + marker(len(text) - low)


def _texts(node: Any, skip: frozenset[int]) -> Iterator[tuple[dict[str, Any], str]]:
    """(owner, key) of every display text under `node`, except inside the objects in `skip`."""
    if id(node) in skip:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _TEXT_KEYS and isinstance(value, str) and len(value) > _KEEP:
                yield node, key
            elif isinstance(value, dict | list):
                yield from _texts(value, skip)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value, skip)


def _give_up(node: Any, excess: int, skip: frozenset[int] = frozenset()) -> int:
    """Shorten the longest texts under `node` until `excess` bytes are saved; how many were cut."""
    found = sorted(_texts(node, skip), key=lambda place: -len(place[0][place[1]]))
    cut = 0
    for owner, key in found:
        if excess <= 0:
            break
        text = owner[key]
        before = len(encode(text))
        # Keep at least _KEEP characters' worth; take all the rest if that is what it takes.
        shorter = shorten(text, max(before - excess, len(encode(text[:_KEEP])) + 40))
        if shorter != text:
            owner[key] = shorter
            excess -= before - len(encode(shorter))
            cut += 1
    return cut


def fit_card(
    card: dict[str, Any],
    repeats: Sequence[SpanLike] = (),
    *,
    to_message: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    limit: int = TEAMS_MESSAGE_LIMIT,
) -> Fitted:
    """`card` with the texts shortened that would otherwise keep it from being sent (a copy; the
    caller's card is never changed). Anything that is not a card is returned as it is, for the
    checks to report."""
    if to_message is None:
        from shared.cards.envelope import to_message as envelope

        to_message = envelope
    try:
        encoded = encode(to_message(card))
    except ValueError:
        return Fitted(card, 0)
    if len(encoded) <= limit:
        return Fitted(card, 0, encoded)
    spans = item_spans(card, repeats)
    units = item_units(spans)
    if len(units) < 2:
        card = copy.deepcopy(card)  # the caller's card is never changed
        excess = len(encode(to_message(card))) - limit
        return Fitted(card, _give_up(card, excess))
    total = len(units)
    # Room for the widest line a part may carry, whatever the template calls its items.
    widest = f"Part {total} of {total} \u00b7 \u2026 and {total:,} more {'x' * 24} not shown here"

    def fixed() -> int:
        return len(encode(to_message(part_card(card, spans, (), widest))))

    sizes = unit_sizes(card, spans, units)
    if fixed() + max(sizes) <= limit:
        # The common case: splitting alone makes it fit (and need not measure it again).
        return Fitted(card, 0, encoded, tuple(sizes))
    card = copy.deepcopy(card)  # the caller's card is never changed
    items = frozenset(id(item_element(card, spans, unit)) for unit in units)
    cut = 0
    if fixed() > limit // 2:
        cut += _give_up(card, fixed() - limit // 2, items)
    room = limit - fixed()
    for unit, size in zip(units, sizes, strict=True):
        if size > room:
            cut += _give_up(item_element(card, spans, unit), size - room)
    return Fitted(card, cut)
