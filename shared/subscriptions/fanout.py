"""Fan-out to a topic: which subscriptions get a notification, and what their deliveries tell.

`topic_targets(topic, data)` reads the active subscriptions of the topic, keeps those whose
filter accepts the data, opens their URLs and hands the channels to delivery (so the pipeline
delivers to `sub-<id>` names like to any channel: limiter, retries, retry queue, duplicates,
parts). `note_outcomes` then counts, per subscription, deliveries that Teams answered with "this
webhook is gone" (HTTP 404 or 410) or "refused" (401 or 403), directly or wrapped in a classic
connector's 200: after
GONE_LIMIT in a row the subscription is paused with the reason, which its creator sees on the
page; a delivery that gets through starts the count again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from shared.state.store import StateUnavailable
from shared.subscriptions.channels import channel_of, current_subscription_channels
from shared.subscriptions.crypto import KeyProblem
from shared.subscriptions.filters import accepts
from shared.subscriptions.model import NotFound
from shared.subscriptions.service import (
    channel_name_for,
    current_subscriptions,
    subscription_id_of,
)
from shared.subscriptions.table import Changed
from shared.subscriptions.topics import current_topics
from shared.teams.delivery import DeliveryResult
from shared.teams.errors import PermanentDeliveryError

__all__ = [
    "GONE_LIMIT",
    "GONE_STATUSES",
    "Target",
    "UnknownTopic",
    "note_outcomes",
    "topic_targets",
]

logger = logging.getLogger("shared.subscriptions")

# 404/410: the workflow, its trigger or the connector was deleted. 401/403: the URL's signature no
# longer opens it (the workflow's URL was regenerated, or the flow or connector was turned off for
# the channel). Each is permanent for that URL; three in a row pause the subscription.
GONE_STATUSES: Final = frozenset({401, 403, 404, 410})
GONE_LIMIT: Final = 3


class UnknownTopic(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.known = known


@dataclass(frozen=True)
class Target:
    """One subscription a notification goes to."""

    id: str
    channel_name: str
    gone_count: int = 0

    @property
    def delivery_name(self) -> str:
        return channel_name_for(self.id)


async def topic_targets(topic: str, data: Any) -> list[Target]:
    """The active subscriptions of `topic` whose filter accepts `data`. Raises UnknownTopic,
    SubscriptionsUnavailable (not configured, or the table did not answer)."""
    from shared.subscriptions.model import SubscriptionsUnavailable

    known = current_topics()
    if known.get(topic) is None:
        raise UnknownTopic(topic, known.names())
    service = current_subscriptions()
    try:
        rows = await asyncio.to_thread(service.table.query, "active eq true")
    except StateUnavailable as error:
        raise SubscriptionsUnavailable(
            f"the subscriptions table did not answer ({error})"
        ) from None
    channels = current_subscription_channels()
    targets: list[Target] = []
    for row in sorted(rows, key=lambda r: r.created_at):
        choice = next((t for t in row.topics if t.name == topic), None)
        if choice is None or not accepts(choice.filter, data):
            continue
        try:
            url = service.sealer.open(row.sealed, row.id)
        except KeyProblem as error:
            # Listed, so the sender sees it failed; delivery reports the channel unusable.
            logger.error("subscription id=%s cannot be opened: %s", row.id, error.message)
        else:
            channels.remember(channel_of(row, url))
        targets.append(Target(row.id, row.channel_name, row.gone_count))
    return targets


def _gone_status(result: DeliveryResult) -> int | None:
    error = result.error
    gone = (
        result.status == "failed"
        and isinstance(error, PermanentDeliveryError)
        and error.status in GONE_STATUSES
    )
    return error.status if gone and error is not None else None


async def note_outcomes(results: Sequence[DeliveryResult], targets: Sequence[Target]) -> None:
    """Count gone answers per subscription and pause at GONE_LIMIT; reset on success."""
    counts = {target.id: target.gone_count for target in targets}
    for result in results:
        id = subscription_id_of(result.channel)
        if id is None:
            continue
        status = _gone_status(result)
        if status is not None:
            await asyncio.to_thread(_count_gone, id, status)
        elif result.ok and counts.get(id, 0) > 0:
            await asyncio.to_thread(_reset_gone, id)


def _count_gone(id: str, status: int) -> None:
    table = current_subscriptions().table
    for _ in range(5):
        try:
            row = table.get(id)
            count = row.gone_count + 1
            if count >= GONE_LIMIT and row.active:
                what = "refused" if status in (401, 403) else "gone"
                why = (
                    "the workflow was probably turned off or its URL regenerated"
                    if status in (401, 403)
                    else "the workflow or channel was probably deleted"
                )
                reason = (
                    f"Teams reported the webhook {what} (HTTP {status}) {count} times in a row: "
                    f"{why}. Paste a new workflow URL (edit), then resume."
                )
                table.replace(row.changed(gone_count=count, active=False, paused_reason=reason))
                logger.warning(
                    "subscription paused id=%s webhook=#%s: gone (HTTP %d) %d times",
                    id,
                    row.fingerprint,
                    status,
                    count,
                )
            else:
                table.replace(row.changed(gone_count=count))
            return
        except Changed:
            continue
        except (NotFound, StateUnavailable) as error:
            logger.warning("subscription id=%s gone count not kept (%s)", id, type(error).__name__)
            return


def _reset_gone(id: str) -> None:
    table = current_subscriptions().table
    try:
        row = table.get(id)
        if row.gone_count:
            table.replace(row.changed(gone_count=0))
    except (Changed, NotFound, StateUnavailable):
        pass  # the next delivery that gets through resets it
