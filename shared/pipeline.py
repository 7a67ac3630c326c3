"""From a template and data to delivered cards: expand, fit, check, split, then deliver.

One pipeline for every caller that sends a template (`python -m shared send`, the HTTP
trigger, timer runs, the Outgoing Webhook's `send`), so they cannot drift apart. Nothing is
sent unless every channel's card expands (strict: every binding resolved) and passes the
card checks.

Each step runs once per notification, not per channel: a template is expanded again for each
channel only when it reads `$host.channel`. The CPU work (`render`) runs in a worker thread in
`notify` and the HTTP trigger, so that a big card does not hold the event loop and the other
requests on the instance (an Outgoing Webhook that Teams abandons after 5 s) are answered.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from shared import catalog
from shared.cards import RepeatSpan, UnresolvedBindingsError
from shared.cards.check import Problem, check_card, load_checks
from shared.config.settings import current_settings, normalize_channel_name
from shared.heap import settle
from shared.teams.delivery import (
    Delivery,
    DeliveryResult,
    current_delivery,
    new_notification_id,
)
from shared.teams.errors import CardTooLarge
from shared.teams.fitting import fit_card
from shared.teams.splitting import Part, split_card

__all__ = [
    "CardProblems",
    "DecorationError",
    "Inspection",
    "Rendered",
    "deliver_rendered",
    "inspect",
    "notify",
    "render",
]


class CardProblems(ValueError):
    """The expanded card would not show properly in Teams; nothing was sent."""

    def __init__(self, template: str, problems: Sequence[Problem]) -> None:
        self.template = template
        self.problems = list(problems)
        super().__init__(f"template {template!r} gives a card with {len(self.problems)} problem(s)")


@dataclass(frozen=True)
class Rendered:
    """One channel's card (`$host.channel` may make cards differ per channel) and the messages
    it goes out as (channels with the same card share them)."""

    channel: str
    card: dict[str, Any]
    repeats: tuple[RepeatSpan, ...]
    parts: tuple[Part, ...] = ()
    shortened: int = 0
    """How many texts were shortened to fit a message (`shared.teams.fitting`)."""


class DecorationError(ValueError):
    """A card cannot take what `decorate` adds (the HTTP trigger's mentions on a MessageCard)."""


@dataclass(frozen=True)
class Inspection:
    """One channel's card and every problem it has, for a dry run that sends nothing."""

    card: Any
    problems: list[Problem]


def _expanded(
    template: str,
    data: Any,
    channel: str | None,
    moment: datetime,
    *,
    strict: bool,
    headers: Mapping[str, str] | None = None,
) -> Any:
    host = catalog.host_object(template, channel, moment, headers)
    return catalog.compiled(template).expand_traced(data, host, strict=strict)


# `$host.now`, `$host.app`, `$host.headers`, ... do not depend on the channel; anything else said
# of `$host` (`$host.channel`, `$host['channel']`, `$host` as a whole) may.
_HOST_USE = re.compile(r"\$host(?!\.(?:now|app|version|template|headers)\b)")


@cache
def reads_channel(template: str) -> bool:
    """Whether `template` may read `$host.channel` (then each channel's card is expanded)."""
    import json

    return _HOST_USE.search(json.dumps(catalog.get(template).template)) is not None


def _noun(template: str) -> str:
    noun = catalog.options(template).get("items", "items")
    return noun if isinstance(noun, str) else "items"


@cache
def _loaded(template: str) -> None:
    """Before a template's first render in this process: compile it and the card checks, then
    set them aside from the garbage collector with the rest of what is loaded once
    (shared.heap). Done before the data is expanded, so only the request's data (a tree, no
    cycles) is alive besides them."""
    catalog.compiled(template)
    load_checks()
    settle()


def render(
    template: str,
    data: Any,
    channels: Sequence[str],
    *,
    now: datetime | None = None,
    decorate: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    max_parts: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> list[Rendered]:
    """Each channel's card, expanded strictly, changed by `decorate` (the HTTP trigger adds
    mentions there), its over-long texts shortened, checked, and split into at most `max_parts`
    messages (default: the TEAMS_MAX_PARTS setting). The work is done once for all channels
    unless the template reads `$host.channel`. `headers`: the sender's request headers, of which
    templates see the allow-listed ones as `$host.headers` (`catalog.FORWARDED_HEADERS`).

    Raises `catalog.UnknownTemplateError`, `shared.cards.TemplateError` (its subclass
    `UnresolvedBindingsError` lists the bindings), `CardProblems`, or what `decorate` raises.
    """
    moment = now or datetime.now(UTC)
    limit = current_settings().max_parts if max_parts is None else max_parts
    _loaded(template)
    per_channel = reads_channel(template)
    done: dict[str | None, Rendered] = {}
    rendered = []
    for channel in channels:
        name = normalize_channel_name(channel) or channel
        key = name if per_channel else None
        if key not in done:
            done[key] = _render_one(template, data, name, moment, decorate, limit, headers)
        same = done[key]
        rendered.append(Rendered(name, same.card, same.repeats, same.parts, same.shortened))
    return rendered


def _render_one(
    template: str,
    data: Any,
    channel: str,
    moment: datetime,
    decorate: Callable[[dict[str, Any]], dict[str, Any]] | None,
    max_parts: int,
    headers: Mapping[str, str] | None,
) -> Rendered:
    expansion = _expanded(template, data, channel, moment, strict=True, headers=headers)
    card = decorate(expansion.value) if decorate is not None else expansion.value
    fitted = fit_card(card, expansion.repeats)
    problems = check_card(fitted.card, "incoming")
    if problems:
        raise CardProblems(template, problems)
    try:
        parts = split_card(
            fitted.card,
            expansion.repeats,
            max_parts=max_parts,
            noun=_noun(template),
            encoded=fitted.encoded,
            sizes=fitted.sizes,
        )
    except CardTooLarge as error:
        raise CardProblems(template, [Problem("$", error.reason)]) from None
    return Rendered(channel, fitted.card, expansion.repeats, tuple(parts), fitted.shortened)


def inspect(
    template: str,
    data: Any,
    channel: str | None,
    *,
    now: datetime | None = None,
    decorate: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Inspection:
    """What `render` makes for one channel (or none), collecting every problem instead of
    stopping at the first kind: unresolved bindings (the card is then expanded leniently, as the
    SDK would), what `decorate` refuses (`DecorationError`) and the card checks. `headers` as for
    `render`.

    Raises `catalog.UnknownTemplateError` and `shared.cards.TemplateError` other than unresolved
    bindings: with those there is no card to show.
    """
    moment = now or datetime.now(UTC)
    problems: list[Problem] = []
    try:
        expansion = _expanded(template, data, channel, moment, strict=True, headers=headers)
    except UnresolvedBindingsError as error:
        expansion = _expanded(template, data, channel, moment, strict=False, headers=headers)
        problems.extend(
            Problem(binding.path, f"unresolved binding {binding.expression}")
            for binding in error.bindings
        )
    card = expansion.value
    if decorate is not None:
        try:
            card = decorate(card)
        except DecorationError as error:
            problems.append(Problem("$", str(error)))
    # What notify would send: over-long texts shortened to fit.
    card = fit_card(card, expansion.repeats).card
    problems.extend(check_card(card, "incoming"))
    return Inspection(card, problems)


async def notify(
    template: str,
    data: Any,
    channels: Sequence[str],
    *,
    notification_id: str | None = None,
    budget: float | None = None,
    labels: Mapping[str, str] | None = None,
    delivery: Delivery | None = None,
    arrived: float | None = None,
) -> list[DeliveryResult]:
    """Render `template` with `data` for each channel (in a worker thread), then deliver to all
    of them concurrently under one notification id (through `delivery`, by default the
    process's own). `budget` counts from `arrived` (`time.monotonic()`, default now). Raises
    what `render` raises, before anything is sent."""
    arrived = time.monotonic() if arrived is None else arrived
    names = list(dict.fromkeys(normalize_channel_name(c) or c for c in channels))
    rendered = await asyncio.to_thread(render, template, data, names)
    return await deliver_rendered(
        rendered,
        notification_id=notification_id or new_notification_id(),
        budget=budget,
        labels={"template": template, **(labels or {})},
        delivery=delivery,
        arrived=arrived,
    )


async def deliver_rendered(
    rendered: Sequence[Rendered],
    *,
    notification_id: str,
    budget: float | None = None,
    labels: Mapping[str, str] | None = None,
    delivery: Delivery | None = None,
    arrived: float | None = None,
) -> list[DeliveryResult]:
    """Deliver rendered cards to their channels concurrently, under one notification id, within
    `budget` seconds (default: the delivery's setting) counted from `arrived` (a
    `time.monotonic()` reading; default now): the caller's clock, rendering included."""
    sender = delivery or current_delivery()
    total = sender.settings.delivery_budget if budget is None else budget
    spent = 0.0 if arrived is None else max(0.0, time.monotonic() - arrived)
    left = max(0.0, total - spent)

    async def one(item: Rendered) -> list[DeliveryResult]:
        if not item.parts:  # built by hand, not by `render`: delivery splits it
            return await sender.deliver(
                item.card,
                [item.channel],
                notification_id=notification_id,
                repeats=item.repeats,
                budget=left,
                labels=labels,
            )
        result = await sender.deliver_parts(
            item.channel, item.parts, notification_id=notification_id, budget=left, labels=labels
        )
        return [result]

    outcomes = await asyncio.gather(*(one(item) for item in rendered))
    return [result for results in outcomes for result in results]
