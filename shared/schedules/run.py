"""One timer run of a scheduled entry: is it due, fetch its data, expand, check, deliver.

- The host runs the entry's registered UTC schedule; a run goes ahead only when its occurrence is
  one of the entry's local times (shared.schedules.zoned). The other runs end at once.
- A run the host reports as past due says so in the log, then follows the same rule.
- With a `source`, the fetched JSON is the data (or, with `data`, what `data` maps it to, written
  in the template language: `${status.description}` reads the fetched answer). A failed fetch
  posts nothing and is logged with the reason. `when` (one `${...}` expression over the fetched
  answer, or the data without a source) decides whether there is anything to post.
- Delivery is the pipeline every sender uses (shared.pipeline). What is still failing when
  the budget ends is handed back for the notifications-retry queue.
"""

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from shared.schedules.entries import ScheduleEntry

__all__ = ["RunOutcome", "TimerLike", "run_entry"]

logger = logging.getLogger("shared.schedules")

Status = Literal["not-due", "nothing-to-post", "source-failed", "invalid", "sent"]


class TimerLike(Protocol):
    """What `azure.functions.TimerRequest` offers that a run uses."""

    @property
    def past_due(self) -> bool: ...


@dataclass(frozen=True)
class RunOutcome:
    status: Status
    detail: str = ""
    results: tuple[Any, ...] = ()
    queue_messages: tuple[str, ...] = field(default=(), repr=False)


def _now() -> datetime:
    """The clock a run reads (a seam for tests)."""
    return datetime.now(UTC)


async def run_entry(
    entry: ScheduleEntry,
    timer: TimerLike,
    *,
    invocation_id: str = "",
    now: datetime | None = None,
    environ: Mapping[str, str] | None = None,
) -> RunOutcome:
    """Run `entry` for the timer invocation that fired at `now` (default: the current time)."""
    started = time.monotonic()
    moment = now or _now()
    occurrence = entry.zoned.occurrence(moment)
    if timer.past_due:
        logger.warning(
            "schedule %s: this run is past due (occurrence %s UTC, started %s UTC) "
            "invocation_id=%s",
            entry.name,
            f"{occurrence:%Y-%m-%d %H:%M:%S}",
            f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S}",
            invocation_id,
        )
    if not entry.zoned.is_due(occurrence):
        logger.debug(
            "schedule %s: %s UTC is not one of its local times; nothing to do",
            entry.name,
            f"{occurrence:%H:%M:%S}",
        )
        return RunOutcome("not-due")
    outcome = await _post(entry, invocation_id, environ)
    logger.info(
        "schedule %s: %s%s invocation_id=%s ms=%d",
        entry.name,
        outcome.status,
        f" ({outcome.detail})" if outcome.detail else "",
        invocation_id,
        round((time.monotonic() - started) * 1000),
    )
    return outcome


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
