"""The `notifications-retry-poison` queue trigger's body: keep the message, say so in Teams.

The host moves a retry message here after `maxDequeueCount` failed redeliveries. It is stored as
a dead letter (shared.state.deadletters, 14 days) and, when TEAMS_DEADLETTER_CHANNEL names a
channel, an "undeliverable notification" card goes there: the notification id, channel name,
template, first failure time and the last reason (from the parts ledger). Never a URL: the
message holds cards and a channel name, and delivery's reasons are already free of URLs. If the
table cannot be reached this raises, so the host keeps the poison message for another try.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from shared.state.deadletters import DeadLetter, DeadLetters, current_dead_letters
from shared.state.parts import current_parts_ledger
from shared.teams.delivery import Delivery, DeliveryResult, current_delivery
from shared.teams.redelivery import QueueMessageLike

__all__ = ["dead_letter_card", "take_poison"]

logger = logging.getLogger("shared.teams.undeliverable")


def dead_letter_card(letter: DeadLetter) -> dict[str, Any]:
    """The card posted to the dead-letter channel (facts only; `replay ID` puts it back)."""
    facts = [
        {"title": "Notification", "value": letter.notification_id},
        {"title": "Channel", "value": letter.channel},
        {"title": "Template", "value": letter.template or "(unknown)"},
        {"title": "First failure", "value": letter.first_failure},
        {"title": "Last reason", "value": letter.last_reason or "(not recorded)"},
    ]
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "msteams": {"width": "Full"},
        "body": [
            {
                "type": "TextBlock",
                "text": "Undeliverable notification",
                "weight": "Bolder",
                "size": "Medium",
                "color": "Attention",
                "wrap": True,
            },
            {
                "type": "TextBlock",
                "text": "Every redelivery failed, so it was kept as a dead letter for 14 days. "
                f"Replay it with `python -m shared replay {letter.notification_id}` or the "
                f"command `replay {letter.notification_id}`.",
                "wrap": True,
            },
            {"type": "FactSet", "facts": facts},
        ],
    }


def _fields(body: str) -> dict[str, str]:
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        return {"id": "unreadable", "channel": "?", "first_failure": ""}
    return {
        "id": str(parsed.get("id") or "unreadable")[:100],
        "channel": str(parsed.get("channel") or "?")[:100],
        "template": str(parsed.get("template") or "")[:100],
        "first_failure": str(parsed.get("first_failure") or "")[:40],
    }


async def take_poison(
    message: QueueMessageLike,
    *,
    delivery: Delivery | None = None,
    letters: DeadLetters | None = None,
) -> tuple[DeadLetter, DeliveryResult | None]:
    """Store one poison message and post the dead-letter card (when a channel is set)."""
    sender = delivery or current_delivery()
    table = letters or current_dead_letters()
    if table is None:
        raise RuntimeError(
            "no storage is configured (AzureWebJobsStorage): the poison message stays queued"
        )
    body = message.get_body().decode("utf-8", "replace")
    fields = _fields(body)
    ledger = sender.ledger or current_parts_ledger()
    reason = (
        await ledger.last_failure(fields["id"], fields["channel"]) if ledger is not None else None
    )
    letter = await asyncio.to_thread(
        table.keep,
        body,
        notification_id=fields["id"],
        channel=fields["channel"],
        template=fields.get("template") or None,
        first_failure=fields["first_failure"],
        last_reason=reason or "",
    )
    logger.error(
        "dead letter id=%s channel=%s template=%s first_failure=%s: every redelivery failed; "
        "kept for 14 days (replay with `python -m shared replay %s`)",
        letter.notification_id,
        letter.channel,
        letter.template,
        letter.first_failure,
        letter.notification_id,
    )
    await asyncio.to_thread(table.purge_expired)
    target = sender.settings.deadletter_channel
    if target is None:
        return letter, None
    [result] = await sender.deliver(
        dead_letter_card(letter),
        [target],
        labels={"source": "dead-letter", "dead_letter": letter.notification_id},
    )
    return letter, result
