"""From a template and data to delivered cards: expand, check, then deliver.

One pipeline for every caller that sends a template (`python -m shared send`, the HTTP
trigger, timer runs, the Outgoing Webhook's `send`), so they cannot drift apart. Nothing is
sent unless every channel's card expands (strict: every binding resolved) and passes the
card checks.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared import catalog
from shared.cards import RepeatSpan
from shared.cards.check import Problem, check_card
from shared.config.settings import Settings, get_settings, normalize_channel_name
from shared.teams.delivery import (
    DeliveryResult,
    RetryPolicy,
    deliver,
    new_notification_id,
)
from shared.teams.limiter import RateLimiter

__all__ = ["CardProblems", "Rendered", "deliver_rendered", "notify", "render"]


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


def render(
    template: str,
    data: Any,
    channels: Sequence[str],
    *,
    now: datetime | None = None,
    decorate: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> list[Rendered]:
    """Each channel's card, expanded strictly, changed by `decorate` (the HTTP trigger adds
    mentions there) and checked.

    Raises `catalog.UnknownTemplateError`, `shared.cards.TemplateError` (its subclass
    `UnresolvedBindingsError` lists the bindings), `CardProblems`, or what `decorate` raises.
    """
    compiled = catalog.compiled(template)
    moment = now or datetime.now(UTC)
    rendered = []
    for channel in channels:
        name = normalize_channel_name(channel) or channel
        host = catalog.host_object(template, name, moment)
        expansion = compiled.expand_traced(data, host, strict=True)
        card = decorate(expansion.value) if decorate is not None else expansion.value
        problems = check_card(card, "incoming")
        if problems:
            raise CardProblems(template, problems)
        rendered.append(Rendered(name, card, expansion.repeats))
    return rendered


async def notify(
    template: str,
    data: Any,
    channels: Sequence[str],
    *,
    notification_id: str | None = None,
    budget: float | None = None,
    settings: Settings | None = None,
    limiter: RateLimiter | None = None,
    policy: RetryPolicy | None = None,
    rng: random.Random | None = None,
    labels: Mapping[str, str] | None = None,
) -> list[DeliveryResult]:
    """Render `template` with `data` for each channel, then deliver to all of them concurrently
    under one notification id. Raises what `render` raises, before anything is sent."""
    names = list(dict.fromkeys(normalize_channel_name(c) or c for c in channels))
    return await deliver_rendered(
        render(template, data, names),
        notification_id=notification_id or new_notification_id(),
        budget=budget,
        settings=settings,
        limiter=limiter,
        policy=policy,
        rng=rng,
        labels={"template": template, **(labels or {})},
    )


async def deliver_rendered(
    rendered: Sequence[Rendered],
    *,
    notification_id: str,
    budget: float | None = None,
    settings: Settings | None = None,
    limiter: RateLimiter | None = None,
    policy: RetryPolicy | None = None,
    rng: random.Random | None = None,
    labels: Mapping[str, str] | None = None,
) -> list[DeliveryResult]:
    """Deliver rendered cards to their channels concurrently, under one notification id."""
    deliveries = [
        deliver(
            item.card,
            [item.channel],
            notification_id=notification_id,
            repeats=item.repeats,
            budget=budget,
            settings=settings or get_settings(),
            limiter=limiter,
            policy=policy,
            rng=rng,
            labels=labels,
        )
        for item in rendered
    ]
    return [result for results in await asyncio.gather(*deliveries) for result in results]
