"""What the configuration page offers: the topics, and the subscribable schedule entries with the
parameters each asks for."""

from __future__ import annotations

from shared.schedules.entries import ScheduleEntry, current_schedules
from shared.subscriptions.model import Offer, OfferedParameter, OfferedSchedule, OfferedTopic
from shared.subscriptions.topics import current_topics

__all__ = ["current_offer", "subscribable_entries"]


def subscribable_entries() -> dict[str, ScheduleEntry]:
    return {entry.name: entry for entry in current_schedules().entries if entry.subscribable}


def current_offer() -> Offer:
    return Offer(
        topics=tuple(OfferedTopic(t.name, t.description) for t in current_topics().topics),
        schedules=tuple(
            OfferedSchedule(
                entry.name,
                entry.label,
                entry.description,
                tuple(OfferedParameter(p.name, p.label, p.kind) for p in entry.parameters),
            )
            for entry in subscribable_entries().values()
        ),
    )
