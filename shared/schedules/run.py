"""One timer run of a scheduled entry: which occurrences are due, claim each, fetch, expand, post.

- Which occurrences: decided from what the host reports (`TimerRequest.schedule_status`, kept by
  the host's schedule monitor, `use_monitor=True`), not from the clock alone. `Next` is the slot
  this invocation was started for (the one it missed, when `past_due`), `Last` the previous
  invocation. The run considers each of the entry's local occurrences in (Last, max(Next, now)]:
  the slot it was started for, and every occurrence missed since the previous run (a restart, an
  outage, a run delayed by a long one before it). Without a status (the first run, or a host
  without the monitor), the registered slot at the time of the run.
- A missed occurrence is posted or skipped by the entry's `catch_up`: `latest` (default) posts the
  most recent occurrence only, `all` each one oldest first (at most the latest
  MAX_CATCH_UP), `none` only the slot the run was started for on time. The log names every
  occurrence posted or skipped, in local time and UTC.
- Each occurrence is claimed in the occurrence ledger (shared.schedules.ledger) before anything is
  fetched or posted: a second run for the same occurrence (a restart, an overlapping invocation,
  another instance) finds it claimed and posts nothing.
- With a `source`, the fetched JSON is the data (or, with `data`, what `data` maps it to, written
  in the template language: `${status.description}` reads the fetched answer). A failed fetch
  posts nothing and is logged with the reason. `when` (one `${...}` expression over the fetched
  answer, or the data without a source) decides whether there is anything to post.
- Delivery is the pipeline every sender uses (shared.pipeline). What is still failing when
  the budget ends is handed back for the notifications-retry queue.
"""

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, Protocol

from shared.schedules.entries import ScheduleEntry

__all__ = ["MAX_CATCH_UP", "RunOutcome", "TimerLike", "plan", "run_entry"]

logger = logging.getLogger("shared.schedules")

Status = Literal[
    "not-due",
    "nothing-to-post",
    "source-failed",
    "invalid",
    "sent",
    "skipped",
    "already-posted",
]

# At most this many missed occurrences are posted by one run with `catch_up: all` (the latest
# ones): after a long outage, a burst of old cards would only crowd out the current ones (and
# Teams allows 100 posts an hour per webhook).
MAX_CATCH_UP: Final = 20
# How far ahead of the clock the host's `Next` may be and still be the slot of this run: the host
# fires a little early at times (clock skew; TimerListener adjusts for it). Anything further is
# not a status this run trusts.
_EARLIEST_START: Final = timedelta(minutes=5)
_SECOND: Final = timedelta(seconds=1)
_NEVER: Final = datetime(1900, 1, 1, tzinfo=UTC)


class TimerLike(Protocol):
    """What `azure.functions.TimerRequest` offers that a run uses."""

    @property
    def past_due(self) -> bool: ...


@dataclass(frozen=True)
class RunOutcome:
    """What a run did: `status` of the last occurrence it handled, and every occurrence by fate."""

    status: Status
    detail: str = ""
    results: tuple[Any, ...] = ()
    queue_messages: tuple[str, ...] = field(default=(), repr=False)
    posted: tuple[datetime, ...] = ()
    skipped: tuple[datetime, ...] = ()
    already: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class _Window:
    """The occurrences one invocation answers for, (after, until], and the registered slot it
    was started for."""

    after: datetime
    until: datetime
    slot: datetime


def _now() -> datetime:
    """The clock a run reads (a seam for tests)."""
    return datetime.now(UTC)


def _reported_time(status: Mapping[str, Any], key: str) -> datetime | None:
    """A time from the host's schedule status ("2016-10-04T10:15:00+00:00"; .NET writes
    `DateTime.MinValue` for a Last that never happened), aware UTC; naive means UTC, the only
    clock timers have on Flex Consumption."""
    value = status.get(key) if isinstance(status, Mapping) else None
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return None if moment < _NEVER else moment


def _window(entry: ScheduleEntry, timer: TimerLike, now: datetime) -> _Window:
    status: Mapping[str, Any] = getattr(timer, "schedule_status", None) or {}
    reported_next = _reported_time(status, "Next")
    reported_last = _reported_time(status, "Last")
    if reported_next is not None and reported_next - now <= _EARLIEST_START:
        slot = reported_next.replace(microsecond=0)
    else:
        try:
            slot = entry.zoned.occurrence(now)
        except ValueError:  # a schedule that never fires, run by hand: nothing is due
            slot = now.replace(microsecond=0)
    after = reported_last if reported_last is not None and reported_last < slot else None
    return _Window(after or slot - _SECOND, max(slot, now), slot)


def _choose(
    entry: ScheduleEntry, runs: list[datetime], window: _Window, past_due: bool
) -> tuple[list[datetime], list[datetime]]:
    """(to post, skipped) under the entry's catch_up; `runs` oldest first."""
    if not runs:
        return [], []
    on_time = [run for run in runs if run == window.slot and not past_due]
    if entry.catch_up == "all":
        chosen = runs
    elif entry.catch_up == "none":
        chosen = on_time
    else:
        chosen = runs[-1:]
    return chosen, [run for run in runs if run not in chosen]


def plan(
    entry: ScheduleEntry, timer: TimerLike, now: datetime
) -> tuple[_Window, list[datetime], list[datetime], list[datetime], bool]:
    """What an invocation started at `now` answers for, without I/O: (the window, the entry's
    occurrences in it, those to post, those skipped by catch_up, whether older ones were left
    out). Occurrences are aware UTC instants, oldest first."""
    window = _window(entry, timer, now)
    runs, older_left_out = entry.zoned.runs_between(window.after, window.until, MAX_CATCH_UP)
    to_post, skipped = _choose(entry, runs, window, timer.past_due)
    return window, runs, to_post, skipped, older_left_out


def _local(entry: ScheduleEntry, instant: datetime) -> str:
    zone = entry.zoned.zone
    if zone is None:
        return f"{instant:%Y-%m-%d %H:%M:%S} UTC"
    local = instant.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M:%S %Z} ({instant:%H:%M:%S} UTC)"


async def run_entry(
    entry: ScheduleEntry,
    timer: TimerLike,
    *,
    invocation_id: str = "",
    now: datetime | None = None,
    environ: Mapping[str, str] | None = None,
) -> RunOutcome:
    """Run `entry` for the timer invocation that started at `now` (default: the current time)."""
    started = time.monotonic()
    moment = (now or _now()).astimezone(UTC)
    window, runs, to_post, skipped, older_left_out = plan(entry, timer, moment)
    if timer.past_due:
        logger.warning(
            "schedule %s: this run is past due (the host missed %s, started %s UTC); "
            "missed occurrences: %s; catch_up %s posts %s invocation_id=%s",
            entry.name,
            f"{window.slot:%Y-%m-%d %H:%M:%S} UTC",
            f"{moment:%Y-%m-%d %H:%M:%S}",
            ", ".join(_local(entry, run) for run in runs) or "none",
            entry.catch_up,
            ", ".join(_local(entry, run) for run in to_post) or "none",
            invocation_id,
        )
    for run in skipped:
        logger.warning(
            "schedule %s: occurrence %s skipped (missed; catch_up %s) invocation_id=%s",
            entry.name,
            _local(entry, run),
            entry.catch_up,
            invocation_id,
        )
    if older_left_out and runs:
        logger.warning(
            "schedule %s: occurrences before %s are not considered (a run looks back at most "
            "%d occurrences) invocation_id=%s",
            entry.name,
            _local(entry, runs[0]),
            MAX_CATCH_UP,
            invocation_id,
        )
    if not runs:
        logger.debug(
            "schedule %s: %s UTC is not one of its local times; nothing to do",
            entry.name,
            f"{window.slot:%H:%M:%S}",
        )
        return RunOutcome("not-due")
    return await _post_each(entry, to_post, skipped, invocation_id, environ, started)


async def _post_each(
    entry: ScheduleEntry,
    to_post: list[datetime],
    skipped: list[datetime],
    invocation_id: str,
    environ: Mapping[str, str] | None,
    started: float,
) -> RunOutcome:
    from shared.schedules.ledger import current_ledger

    ledger = current_ledger()
    outcome = RunOutcome("skipped", f"catch_up {entry.catch_up}") if skipped else None
    results: list[Any] = []
    queued: list[str] = []
    posted: list[datetime] = []
    already: list[datetime] = []
    for occurrence in to_post:
        claim = await asyncio.to_thread(ledger.claim, entry.name, occurrence, invocation_id)
        if claim == "taken":
            logger.info(
                "schedule %s: occurrence %s was already claimed by another run; not posted "
                "invocation_id=%s",
                entry.name,
                _local(entry, occurrence),
                invocation_id,
            )
            already.append(occurrence)
            outcome = RunOutcome("already-posted", _local(entry, occurrence))
            continue
        outcome = await _post(entry, invocation_id, environ)
        posted.append(occurrence)
        results.extend(outcome.results)
        queued.extend(outcome.queue_messages)
        logger.info(
            "schedule %s: occurrence %s %s%s invocation_id=%s ms=%d",
            entry.name,
            _local(entry, occurrence),
            outcome.status,
            f" ({outcome.detail})" if outcome.detail else "",
            invocation_id,
            round((time.monotonic() - started) * 1000),
        )
    assert outcome is not None  # `runs` was not empty: something was posted, skipped or taken
    return RunOutcome(
        outcome.status,
        outcome.detail,
        tuple(results),
        tuple(queued),
        tuple(posted),
        tuple(skipped),
        tuple(already),
    )


async def _post(
    entry: ScheduleEntry, invocation_id: str, environ: Mapping[str, str] | None
) -> RunOutcome:
    from shared.cards import TemplateError, expand
    from shared.pipeline import CardProblems, notify

    answer: Any = entry.data
    if entry.source is not None:
        from shared.schedules.source import SourceError, fetch_json

        try:
            answer = await fetch_json(entry.source, environ)
        except SourceError as error:
            logger.warning(
                "schedule %s: source %s failed, nothing posted: %s",
                entry.name,
                entry.source.host,
                error.reason,
            )
            return RunOutcome("source-failed", error.reason)
    try:
        if entry.when is not None and expand(entry.when, answer, strict=True) is not True:
            return RunOutcome("nothing-to-post", f"{entry.when} is not true")
        mapped = entry.source is not None and entry.data is not None
        data = expand(entry.data, answer, strict=True) if mapped else answer
        results = await notify(
            entry.template,
            data,
            list(entry.channels),
            labels={"schedule": entry.name, "invocation_id": invocation_id},
        )
    except CardProblems as error:
        found = "; ".join(str(problem) for problem in error.problems[:5])
        logger.error("schedule %s: the card has problems, nothing posted: %s", entry.name, found)
        return RunOutcome("invalid", found)
    except TemplateError as error:
        logger.error("schedule %s: %s; nothing posted", entry.name, error)
        return RunOutcome("invalid", str(error))
    queued = tuple(message for result in results for message in result.queue_messages)
    summary = ", ".join(f"{result.channel} {result.status}" for result in results)
    return RunOutcome("sent", summary, tuple(results), queued)
