"""The page's JSON (camelCase) <-> the subscription service's objects.

Reading a draft checks only the JSON's shape (types, and sizes that keep a request small); what
the values mean (allowed webhook hosts, known topics, filters, times) is the service's to judge.
A shape problem names its field the way the service does (`topics[0].filter`), so the page puts
either next to the same field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from shared.subscriptions.model import (
    Draft,
    Offer,
    Place,
    ScheduleChoice,
    SubscriptionProblem,
    SubscriptionView,
    TopicChoice,
)

__all__ = ["draft_from", "offer_json", "place_json", "view_json"]

_MAX_ITEMS: Final = 50
_MAX_TEXT: Final = 4096
_MAX_PARAMETERS: Final = 20


def _optional(value: Any, field: str, label: str) -> str | None:
    """Text, or None for null or blank."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise SubscriptionProblem(field, f"{label} must be text")
    if len(value) > _MAX_TEXT:
        raise SubscriptionProblem(field, f"{label} is too long (at most {_MAX_TEXT} characters)")
    return value.strip() or None


def _required(value: Any, field: str, label: str) -> str:
    text = _optional(value, field, label)
    if text is None:
        raise SubscriptionProblem(field, f"{label} is required")
    return text


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SubscriptionProblem(field, "must be a list")
    if len(value) > _MAX_ITEMS:
        raise SubscriptionProblem(field, f"at most {_MAX_ITEMS} entries")
    return value


def _object(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise SubscriptionProblem(field, "must be an object")
    return value


def _topic(value: Any, index: int) -> TopicChoice:
    field = f"topics[{index}]"
    item = _object(value, field)
    name = _required(item.get("name"), f"{field}.name", "the topic")
    return TopicChoice(
        name=name, filter=_optional(item.get("filter"), f"{field}.filter", "the filter")
    )


def _parameters(value: Any, field: str) -> dict[str, str]:
    if value is None:
        return {}
    items = _object(value, field)
    if len(items) > _MAX_PARAMETERS:
        raise SubscriptionProblem(field, f"at most {_MAX_PARAMETERS} parameters")
    parameters: dict[str, str] = {}
    for key, raw in items.items():
        # Coordinates arrive as numbers from some clients; the service takes text.
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raw = repr(raw)
        text = _optional(raw, f"{field}.{key}", f"parameter {key[:40]!r}")
        if text is not None:
            parameters[key] = text
    return parameters


def _schedule(value: Any, index: int) -> ScheduleChoice:
    field = f"schedules[{index}]"
    item = _object(value, field)
    return ScheduleChoice(
        entry=_required(item.get("entry"), f"{field}.entry", "the update"),
        time_of_day=_required(item.get("timeOfDay"), f"{field}.timeOfDay", "the time of day"),
        time_zone=_required(item.get("timeZone"), f"{field}.timeZone", "the time zone"),
        parameters=_parameters(item.get("parameters"), f"{field}.parameters"),
    )


def draft_from(body: Mapping[str, Any], *, creating: bool) -> Draft:
    """A draft from the page's JSON; on update an empty or missing URL keeps the stored one."""
    url_field, url_label = "webhookUrl", "the webhook URL"
    return Draft(
        channel_name=_required(body.get("channelName"), "channelName", "the channel name"),
        webhook_url=(
            _required(body.get(url_field), url_field, url_label)
            if creating
            else _optional(body.get(url_field), url_field, url_label)
        ),
        topics=tuple(_topic(t, i) for i, t in enumerate(_list(body.get("topics"), "topics"))),
        schedules=tuple(
            _schedule(s, i) for i, s in enumerate(_list(body.get("schedules"), "schedules"))
        ),
    )


def _topic_json(topic: TopicChoice) -> dict[str, Any]:
    return {"name": topic.name, "filter": topic.filter}


def _schedule_json(schedule: ScheduleChoice) -> dict[str, Any]:
    return {
        "entry": schedule.entry,
        "timeOfDay": schedule.time_of_day,
        "timeZone": schedule.time_zone,
        "parameters": dict(schedule.parameters),
    }


def view_json(view: SubscriptionView) -> dict[str, Any]:
    """What the page shows of a subscription: never the URL (the view has none)."""
    return {
        "id": view.id,
        "channelName": view.channel_name,
        "fingerprint": view.fingerprint,
        "topics": [_topic_json(t) for t in view.topics],
        "schedules": [_schedule_json(s) for s in view.schedules],
        "active": view.active,
        "pausedReason": view.paused_reason,
        "createdBy": {"id": view.created_by.id, "name": view.created_by.name},
        "createdAt": view.created_at.isoformat(),
        "updatedAt": view.updated_at.isoformat(),
    }


def offer_json(offer: Offer) -> dict[str, Any]:
    return {
        "topics": [{"name": t.name, "description": t.description} for t in offer.topics],
        "schedules": [
            {
                "name": s.name,
                "label": s.label,
                "description": s.description,
                "parameters": [
                    {"name": p.name, "label": p.label, "kind": p.kind} for p in s.parameters
                ],
            }
            for s in offer.schedules
        ],
    }


def place_json(place: Place) -> dict[str, Any]:
    """A city for the picker, with the schedule parameters choosing it sets."""
    return {
        "name": place.name,
        "city": place.city,
        "country": place.country,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "timeZone": place.time_zone,
        "parameters": {
            "city": place.city,
            "latitude": repr(place.latitude),
            "longitude": repr(place.longitude),
        },
    }
