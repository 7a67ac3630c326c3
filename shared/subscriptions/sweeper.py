"""Scheduled updates per subscription: one UTC timer sweeps the due ones.

Flex Consumption runs timers in UTC only, and a team's "every day at 07:30 Europe/Berlin" moves
against UTC twice a year, so the timer (`subscriptions_sweeper`, every SWEEP_MINUTES) does not
encode anyone's time: each run looks at every active subscription's scheduled updates and
computes, for the local dates around now, the instant each is due (`due_times`). A due instant in
(now - LOOKBACK, now] that is after the subscription was created is claimed in the table (one row
per subscription, update and local due time; shared.subscriptions.table.claim): the one run that
creates the claim posts it, every other run (another instance, an overlapping or restarted run)
finds it taken. At most once per due time, even across instances and restarts; a run that fails
after its claim does not post twice (a missed update is better than a repeated one here).

Local times that fall in a DST gap (02:30 on the spring-forward night) are due at the same wall
clock reading before the change (zoneinfo's fold=0), which is the instant the gap starts plus the
minutes past; an ambiguous time (the fall-back night) is due at its first occurrence. Either way,
once per local day.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, Final
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from shared.schedules.entries import ScheduleEntry, Source
from shared.subscriptions.model import ScheduleChoice
from shared.subscriptions.table import CLAIM_DAYS, StoredSubscription

__all__ = [
    "LOOKBACK",
    "SWEEP_MINUTES",
    "SweepOutcome",
    "due_times",
    "run_sweeper",
    "source_for",
    "sweep",
]

logger = logging.getLogger("shared.subscriptions.sweeper")

SWEEP_MINUTES: Final = 5
SWEEP_SCHEDULE: Final = f"0 */{SWEEP_MINUTES} * * * *"
LOOKBACK: Final = timedelta(minutes=60)
"""How late a due update may still be posted: a sweep missed by a restart or a slow run is made
up by the next ones; anything older is skipped (yesterday's forecast helps nobody)."""


def due_times(choice: ScheduleChoice, around: datetime) -> list[datetime]:
    """The UTC instants `choice` is due on the local dates around `around` (yesterday, today,
    tomorrow in its zone), ascending."""
    zone = ZoneInfo(choice.time_zone)
    hour, minute = (int(part) for part in choice.time_of_day.split(":"))
    today = around.astimezone(zone).date()
    instants = []
    for offset in (-1, 0, 1):
        day = today + timedelta(days=offset)
        local = datetime.combine(day, time(hour, minute), tzinfo=zone)  # fold=0
        instants.append(local.astimezone(UTC))
    return sorted(set(instants))


def _claim_key(row: StoredSubscription, choice: ScheduleChoice, due: datetime) -> str:
    local = due.astimezone(ZoneInfo(choice.time_zone))
    what = json.dumps(
        [choice.entry, choice.time_zone, sorted(choice.parameters.items())], sort_keys=True
    )
    digest = hashlib.sha256(what.encode()).hexdigest()[:12]
    return f"{row.id}-{digest}-{local:%Y-%m-%dT%H%M}"


def source_for(entry: ScheduleEntry, choice: ScheduleChoice) -> Source | None:
    """The entry's source with the subscription's values put into its URL ({latitude},
    {longitude}, {timezone}, {city} and each parameter), each percent-encoded."""
    from shared.subscriptions.places import open_meteo_url

    if entry.source is None:
        return None
    values = {"timezone": choice.time_zone, **choice.parameters}
    url = entry.source.url
    for name, value in values.items():
        url = url.replace("{" + name + "}", quote(str(value), safe=""))
    url = open_meteo_url(url)
    host = (urlsplit(url).hostname or "").lower()
    return Source(url=url, host=host, headers=entry.source.headers, timeout=entry.source.timeout)


@dataclass
class SweepOutcome:
    posted: list[tuple[str, str, datetime]] = field(default_factory=list)
    """(subscription id, entry, due UTC) of each update posted (or handed to the retry queue)."""
    taken: int = 0
    forgotten: int = 0
    """Claims of a long-past day deleted by this run."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    queue_messages: list[str] = field(default_factory=list)


async def sweep(
    now: datetime | None = None,
    *,
    invocation_id: str = "",
    rows: Iterable[StoredSubscription] | None = None,
    environ: Mapping[str, str] | None = None,
) -> SweepOutcome:
    """Post every scheduled update due in (now - LOOKBACK, now] that no run has claimed yet."""
    from shared.subscriptions.offer import subscribable_entries
    from shared.subscriptions.service import current_subscriptions

    moment = (now or datetime.now(UTC)).astimezone(UTC)
    service = current_subscriptions()
    if rows is None:
        rows = await asyncio.to_thread(service.table.query, "active eq true")
    entries = subscribable_entries()
    outcome = SweepOutcome()
    if moment.hour == 0 and moment.minute < SWEEP_MINUTES:
        # Once a day: drop the claims no sweep can look back to any more.
        stale = (moment - timedelta(days=CLAIM_DAYS)).date()
        outcome.forgotten = await asyncio.to_thread(service.table.forget_claims, stale)
    for row in rows:
        if not row.active:
            continue
        for choice in row.schedules:
            entry = entries.get(choice.entry)
            if entry is None:
                continue
            for due in due_times(choice, moment):
                if not (moment - LOOKBACK < due <= moment) or due <= row.created_at:
                    continue
                key = _claim_key(row, choice, due)
                claimed = await asyncio.to_thread(
                    service.table.claim, due.date(), key, invocation_id
                )
                if not claimed:
                    outcome.taken += 1
                    continue
                await _post(row, entry, choice, due, outcome, invocation_id, environ)
    return outcome


async def _post(
    row: StoredSubscription,
    entry: ScheduleEntry,
    choice: ScheduleChoice,
    due: datetime,
    outcome: SweepOutcome,
    invocation_id: str,
    environ: Mapping[str, str] | None,
) -> None:
    from shared.cards import TemplateError, expand
    from shared.pipeline import CardProblems, notify
    from shared.schedules.source import SourceError, fetch_json
    from shared.subscriptions.fanout import Target, note_outcomes
    from shared.subscriptions.service import channel_name_for

    local = due.astimezone(ZoneInfo(choice.time_zone))
    label = f"subscription={row.id} entry={entry.name} due={local:%Y-%m-%d %H:%M %Z}"
    parameters: dict[str, Any] = {
        **choice.parameters,
        "timeOfDay": choice.time_of_day,
        "timeZone": choice.time_zone,
        "due": due.isoformat().replace("+00:00", "Z"),
    }
    answer: Any = entry.data
    source = source_for(entry, choice)
    try:
        if source is not None:
            fetched = await fetch_json(source, environ)
            answer = {**fetched, "parameters": parameters} if isinstance(fetched, dict) else fetched
        if entry.when is not None and expand(entry.when, answer, strict=True) is not True:
            logger.info("scheduled update %s: nothing to post (%s)", label, entry.when)
            return
        data = expand(entry.data, answer, strict=True) if source is not None else entry.data
        results = await notify(
            entry.template,
            data,
            [channel_name_for(row.id)],
            labels={"subscription": row.id, "schedule": entry.name, "invocation_id": invocation_id},
        )
    except SourceError as error:
        logger.warning(
            "scheduled update %s: source failed, nothing posted: %s", label, error.reason
        )
        outcome.failed.append((row.id, error.reason))
        return
    except (CardProblems, TemplateError) as error:
        logger.error("scheduled update %s: %s; nothing posted", label, type(error).__name__)
        outcome.failed.append((row.id, str(error)))
        return
    await note_outcomes(results, [Target(row.id, row.channel_name, row.gone_count)])
    outcome.queue_messages.extend(m for r in results for m in r.queue_messages)
    status = ", ".join(r.status for r in results)
    logger.info("scheduled update %s: %s", label, status)
    if all(r.ok or r.status == "queued" for r in results):
        outcome.posted.append((row.id, entry.name, due))
    else:
        outcome.failed.append((row.id, "; ".join(r.detail for r in results)))


async def run_sweeper(invocation_id: str) -> list[str]:
    """The timer's run: sweep now; subscriptions off (no key or storage) is not an error. Returns
    the messages for the retry queue."""
    from shared.state.store import StateUnavailable
    from shared.subscriptions.model import SubscriptionsUnavailable

    try:
        outcome = await sweep(invocation_id=invocation_id)
    except SubscriptionsUnavailable:
        logger.debug("subscriptions sweeper: subscriptions are off")
        return []
    except StateUnavailable as error:
        logger.warning("subscriptions sweeper: the table did not answer (%s)", error)
        return []
    if outcome.posted or outcome.failed:
        logger.info(
            "subscriptions sweeper: %d posted, %d failed, %d already claimed invocation_id=%s",
            len(outcome.posted),
            len(outcome.failed),
            outcome.taken,
            invocation_id,
        )
    return outcome.queue_messages
