"""What the configuration page and the subscriptions service exchange, and how they fail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "Draft",
    "NotFound",
    "Offer",
    "OfferedParameter",
    "OfferedSchedule",
    "OfferedTopic",
    "Person",
    "Place",
    "ScheduleChoice",
    "SubscriptionProblem",
    "SubscriptionView",
    "SubscriptionsUnavailable",
    "TeamsRefused",
    "TopicChoice",
]


@dataclass(frozen=True)
class Person:
    """Who acts; recorded as a subscription's creator."""

    id: str
    """Entra object id, or "local" when running locally."""
    name: str
    """Display name or UPN, for the page only."""


@dataclass(frozen=True)
class TopicChoice:
    name: str
    filter: str | None = None
    """One ${...} expression over the notification's data, or None (everything)."""


@dataclass(frozen=True)
class ScheduleChoice:
    entry: str
    """A subscribable entry of shared/schedules.json."""
    time_of_day: str
    """"HH:MM", local to `time_zone`."""
    time_zone: str
    """An IANA name."""
    parameters: Mapping[str, str] = field(default_factory=dict)
    """The entry's declared parameters (for weather: city, latitude, longitude)."""


@dataclass(frozen=True)
class Draft:
    channel_name: str
    webhook_url: str | None
    """Required on create; None on update keeps the stored one."""
    topics: tuple[TopicChoice, ...] = ()
    schedules: tuple[ScheduleChoice, ...] = ()


@dataclass(frozen=True)
class SubscriptionView:
    """What the page may show of a subscription: never the URL."""

    id: str
    channel_name: str
    fingerprint: str
    topics: tuple[TopicChoice, ...]
    schedules: tuple[ScheduleChoice, ...]
    active: bool
    paused_reason: str | None
    created_by: Person
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class OfferedTopic:
    name: str
    description: str


@dataclass(frozen=True)
class OfferedParameter:
    name: str
    label: str
    kind: str
    """"place" (a city looked up with `places()`, giving city, latitude, longitude) or "text"."""


@dataclass(frozen=True)
class OfferedSchedule:
    name: str
    label: str
    description: str
    parameters: tuple[OfferedParameter, ...]


@dataclass(frozen=True)
class Offer:
    """What the page's form offers."""

    topics: tuple[OfferedTopic, ...]
    schedules: tuple[OfferedSchedule, ...]


@dataclass(frozen=True)
class Place:
    """A geocoding result for the weather city picker."""

    name: str
    """"Berlin, Land Berlin, Germany": what the page shows."""
    city: str
    latitude: float
    longitude: float
    time_zone: str | None
    country: str | None = None


class SubscriptionProblem(Exception):
    """Bad input: answered 422 naming the field (`webhookUrl`, `topics[0].filter`, ...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class TeamsRefused(Exception):
    """Teams did not take the welcome card, so nothing was stored. `reason` is Teams' own (no
    URL); `transient` tells a refusal (422) from Teams being unreachable or failing (502)."""

    def __init__(self, reason: str, *, transient: bool = False, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.status = status


class NotFound(LookupError):
    """No such subscription, or not this person's (404 either way: ids are not confirmed)."""


class SubscriptionsUnavailable(RuntimeError):
    """Subscriptions cannot work here: storage or the key is not configured, or the table did
    not answer. The message names the setting, never a value."""
