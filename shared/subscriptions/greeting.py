"""The welcome and goodbye cards, posted straight to a webhook that is not stored (yet, or any
more): one try, so the page can show Teams' own answer at once.

The welcome card is the proof that the URL works: a subscription is stored only when Teams took
it. Teams' reason is passed on (it never holds the URL: shared.teams.outcome scrubs it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Final

from pydantic import SecretStr

from shared.config.settings import Channel
from shared.pipeline import render
from shared.subscriptions.model import ScheduleChoice, TeamsRefused, TopicChoice
from shared.teams.channels import ChannelKind
from shared.teams.delivery import new_notification_id
from shared.teams.errors import DeliveryError, TransientDeliveryError
from shared.teams.transports import transport_for

__all__ = ["GOODBYE", "WELCOME", "goodbye_data", "post_card", "welcome_data"]

WELCOME: Final = "subscription-welcome"
GOODBYE: Final = "subscription-goodbye"
_TIMEOUT: Final = 10.0


def welcome_data(
    channel_name: str,
    created_by: str,
    topics: Sequence[TopicChoice],
    topic_descriptions: dict[str, str],
    schedules: Sequence[ScheduleChoice],
    schedule_labels: dict[str, str],
) -> dict[str, Any]:
    return {
        "channelName": channel_name,
        "createdBy": created_by or "someone",
        "topics": [
            {
                "name": topic.name,
                "description": topic_descriptions.get(topic.name, topic.name),
                "filter": topic.filter,
            }
            for topic in topics
        ],
        "schedules": [
            {
                "label": schedule_labels.get(choice.entry, choice.entry),
                "timeOfDay": choice.time_of_day,
                "timeZone": choice.time_zone,
                "detail": choice.parameters.get("city", ""),
            }
            for choice in schedules
        ],
    }


def goodbye_data(channel_name: str, removed_by: str) -> dict[str, Any]:
    return {"channelName": channel_name, "removedBy": removed_by or "someone"}


async def post_card(
    template: str, data: dict[str, Any], *, name: str, kind: ChannelKind, url: str
) -> None:
    """Render `template` and post it to `url`, one try per part. Raises TeamsRefused."""
    channel = Channel(name=name, setting="subscription", kind=kind, url=SecretStr(url))
    [rendered] = await asyncio.to_thread(render, template, data, [name])
    transport = transport_for(channel)
    notification_id = new_notification_id()
    try:
        for part in rendered.parts:
            transport.check(part.message)
            await transport.send(part, notification_id=notification_id, timeout=_TIMEOUT)
    except DeliveryError as error:
        raise TeamsRefused(
            error.reason,
            transient=isinstance(error, TransientDeliveryError),
            status=error.status,
        ) from None
