"""From a template and data to delivered cards: expand, check, then deliver.

One pipeline for every caller that sends a template (`python -m shared send`, the HTTP
trigger, timer runs, the Outgoing Webhook's `send`), so they cannot drift apart. Nothing is
sent unless every channel's card expands (strict: every binding resolved) and passes the
card checks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared import catalog
from shared.cards import RepeatSpan, UnresolvedBindingsError
from shared.cards.check import Problem, check_card
from shared.config.settings import normalize_channel_name
from shared.teams.delivery import (
    Delivery,
    DeliveryResult,
    current_delivery,
    new_notification_id,
)

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
    """One channel's card (`$host.channel` may make cards differ per channel)."""

    channel: str
    card: dict[str, Any]
    repeats: tuple[RepeatSpan, ...]


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


def render(
    template: str,
    data: Any,
    channels: Sequence[str],
    *,
    now: datetime | None = None,
    decorate: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> list[Rendered]:
    """Each channel's card, expanded strictly, changed by `decorate` (the HTTP trigger adds
    mentions there) and checked. `headers`: the sender's request headers, of which templates
    see the allow-listed ones as `$host.headers` (`catalog.FORWARDED_HEADERS`).

    Raises `catalog.UnknownTemplateError`, `shared.cards.TemplateError` (its subclass
    `UnresolvedBindingsError` lists the bindings), `CardProblems`, or what `decorate` raises.
    """
    moment = now or datetime.now(UTC)
    rendered = []
    for channel in channels:
        name = normalize_channel_name(channel) or channel
        expansion = _expanded(template, data, name, moment, strict=True, headers=headers)
        card = decorate(expansion.value) if decorate is not None else expansion.value
        problems = check_card(card, "incoming")
        if problems:
            raise CardProblems(template, problems)
        rendered.append(Rendered(name, card, expansion.repeats))
    return rendered


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
    SDK would), what `decorate` refuses (`DecorationError`) and the card checks. `headers` as
    for `render`.

    Raises `catalog.UnknownTemplateError` and `shared.cards.TemplateError` other than unresolved
    bindings: with those there is no card to show.
    """
    moment = now or datetime.now(UTC)
    problems: list[Problem] = []
    try:
        card = _expanded(template, data, channel, moment, strict=True, headers=headers).value
    except UnresolvedBindingsError as error:
        card = _expanded(template, data, channel, moment, strict=False, headers=headers).value
        problems.extend(
            Problem(binding.path, f"unresolved binding {binding.expression}")
            for binding in error.bindings
        )
    if decorate is not None:
        try:
            card = decorate(card)
        except DecorationError as error:
            problems.append(Problem("$", str(error)))
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
) -> list[DeliveryResult]:
    """Render `template` with `data` for each channel, then deliver to all of them concurrently
    under one notification id (through `delivery`, by default the process's own). Raises what
    `render` raises, before anything is sent."""
    names = list(dict.fromkeys(normalize_channel_name(c) or c for c in channels))
    return await deliver_rendered(
        render(template, data, names),
        notification_id=notification_id or new_notification_id(),
        budget=budget,
        labels={"template": template, **(labels or {})},
        delivery=delivery,
    )


async def deliver_rendered(
    rendered: Sequence[Rendered],
    *,
    notification_id: str,
    budget: float | None = None,
    labels: Mapping[str, str] | None = None,
    delivery: Delivery | None = None,
) -> list[DeliveryResult]:
    """Deliver rendered cards to their channels concurrently, under one notification id."""
    sender = delivery or current_delivery()
    deliveries = [
        sender.deliver(
            item.card,
            [item.channel],
            notification_id=notification_id,
            repeats=item.repeats,
            budget=budget,
            labels=labels,
        )
        for item in rendered
    ]
    return [result for results in await asyncio.gather(*deliveries) for result in results]
