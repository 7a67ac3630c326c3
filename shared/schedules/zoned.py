"""Local-time schedules on a host whose timers run in UTC only.

Flex Consumption ignores `WEBSITE_TIME_ZONE`: every NCRONTAB schedule is read in UTC. An entry
with a `timezone` therefore has two schedules:

- the *registered* one, in UTC, which the host runs: the entry's seconds, and every UTC hour and
  minute that one of its local times can fall on under any UTC offset the zone uses (from a day
  ago to two years ahead; a process lives far shorter), on every day. A 08:00 in Europe/Berlin
  (UTC+1 in winter, UTC+2 in summer) is registered as `0 0 6,7 * * *`;
- the *local* one, the entry's own expression, which each run checks: the run goes ahead only
  when the occurrence it was started for is one of the entry's local times. The other runs end
  at once, without I/O: a few no-op invocations a day buy exact local times all year.

Daylight-saving changes, as cron does them:
- a local time the clocks skip (02:30 on the spring-forward night in Europe) runs once, at the
  first instant after the gap (03:00 local): the transition instant is registered too;
- a local time that happens twice (the fall-back hour) follows the host's own rule for a timer
  in a local time zone (Azure/azure-webjobs-sdk-extensions, `Timers/Scheduling/CronSchedule.cs`,
  `TryAdjustAmbiguousTime`): a point-in-time schedule runs once, on the first pass; an "interval"
  schedule runs on both passes, in real time. A schedule is an interval when, written back as
  NCrontab writes it, its seconds, minutes or hours field has a `*`, `-` or `/`
  (`Cron.is_interval`): `0 */20 * * * *` posts at 01:00, 01:20, 01:40 of both passes of London's
  repeated hour; `0 */20 1 * * *` (written back `0 0,20,40 1`) posts them once.

Entries without a time zone (or in a zone that is always UTC) are registered as written.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cached_property
from typing import Final
from zoneinfo import ZoneInfo

from shared.schedules.ncrontab import Cron, format_field, parse

__all__ = ["TOLERANCE", "ZonedSchedule"]

# How early a run may start and still count as the occurrence ahead (the host fires on time or
# late; this covers clock differences between the scheduler and this process).
TOLERANCE: Final = timedelta(seconds=2)
_HORIZON_BEFORE: Final = timedelta(days=1)
_HORIZON_AFTER: Final = timedelta(days=2 * 366)
_SECOND: Final = timedelta(seconds=1)
_FOLD_MARGIN: Final = timedelta(hours=3)
# How many registered slots `runs_between` walks back at most: a month of a every-minute schedule.
_MAX_SCANNED_SLOTS: Final = 45_000


@dataclass(frozen=True)
class _Transition:
    """The instant (UTC) a zone's offset changes, and the offsets before and after."""

    instant: datetime
    before: timedelta
    after: timedelta

    @property
    def is_gap(self) -> bool:
        return self.after > self.before


@dataclass(frozen=True)
class ZonedSchedule:
    """An NCRONTAB schedule read in `zone` (None: UTC)."""

    local: Cron
    zone: ZoneInfo | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC), compare=False)

    @classmethod
    def build(
        cls, expression: str, zone_name: str | None, now: datetime | None = None
    ) -> "ZonedSchedule":
        """Raises CronError for the expression, ZoneInfoNotFoundError/ValueError for the zone."""
        zone = ZoneInfo(zone_name) if zone_name else None
        return cls(parse(expression), zone, now or datetime.now(UTC))

    @property
    def timezone(self) -> str | None:
        return self.zone.key if self.zone is not None else None

    @cached_property
    def _transitions(self) -> tuple[_Transition, ...]:
        if self.zone is None:
            return ()
        return tuple(_transitions(self.zone, self.now - _HORIZON_BEFORE, self.now + _HORIZON_AFTER))

    @cached_property
    def _offsets(self) -> frozenset[timedelta]:
        if self.zone is None:
            return frozenset({timedelta(0)})
        first = _offset(self.zone, self.now - _HORIZON_BEFORE)
        return frozenset({first, *(t.after for t in self._transitions)})

    @property
    def is_utc(self) -> bool:
        return self._offsets == {timedelta(0)} and not self._transitions

    @cached_property
    def registered(self) -> Cron:
        """The UTC schedule the host runs (see the module docstring)."""
        if self.is_utc:
            return self.local
        local = self.local
        seconds = set(local.seconds)
        times: set[int] = set()  # minutes of the UTC day
        for offset in self._offsets:
            shift = int(offset.total_seconds()) // 60
            for hour in local.hours:
                for minute in local.minutes:
                    times.add((hour * 60 + minute - shift) % 1440)
        for transition in self._transitions:
            if transition.is_gap and self._skips_a_time(transition):
                moment = transition.instant
                times.add(moment.hour * 60 + moment.minute)
                seconds.add(moment.second)
        text = " ".join(
            [
                format_field(seconds, 0, 59),
                format_field({t % 60 for t in times}, 0, 59),
                format_field({t // 60 for t in times}, 0, 23),
                "*",
                "*",
                "*",
            ]
        )
        return parse(text)

    @property
    def registered_expression(self) -> str:
        return self.registered.text

    def _skips_a_time(self, gap: _Transition) -> bool:
        """True when a local time of the schedule falls into the wall-clock times `gap` skips."""
        start = (gap.instant + gap.before).replace(tzinfo=None)
        end = (gap.instant + gap.after).replace(tzinfo=None)
        found = self.local.next_after(start - _SECOND)
        return found is not None and found < end

    # --- running ----------------------------------------------------------------------------

    def occurrence(self, now: datetime) -> datetime:
        """The registered occurrence a run started at `now` belongs to (aware, UTC)."""
        moment = now.astimezone(UTC).replace(tzinfo=None) + TOLERANCE
        found = self.registered.latest_at_or_before(moment)
        if found is None:  # only for a UTC schedule that never fires: the host never runs it
            raise ValueError("the registered schedule has no occurrence")
        return found.replace(tzinfo=UTC)

    def runs_between(
        self, after: datetime, until: datetime, limit: int
    ) -> tuple[list[datetime], bool]:
        """The entry's runs (aware, UTC, oldest first) in (after, until]: the latest `limit` of
        them, and whether older ones (or ones beyond the scan bound) were left out.

        A run is a registered slot that `is_due`; walking the slots backwards keeps the common
        cases (one slot, or only the latest wanted) to a step or two."""
        stop = after.astimezone(UTC).replace(tzinfo=None)
        moment = until.astimezone(UTC).replace(tzinfo=None, microsecond=0)
        found: list[datetime] = []
        for _ in range(_MAX_SCANNED_SLOTS):
            slot = self.registered.latest_at_or_before(moment)
            if slot is None or slot <= stop:
                return found[::-1], False
            instant = slot.replace(tzinfo=UTC)
            if self.is_due(instant):
                if len(found) == limit:
                    return found[::-1], True
                found.append(instant)
            moment = slot - _SECOND
        return found[::-1], True

    def is_due(self, instant: datetime) -> bool:
        """True when the registered occurrence `instant` is one of the entry's local times."""
        instant = instant.astimezone(UTC)
        if self.zone is None:
            return self.local.matches(instant.replace(tzinfo=None))
        local = instant.astimezone(self.zone)
        if local.fold and not self.local.is_interval:
            return False  # the second pass through a repeated hour: it ran the first time
        if self.local.matches(local.replace(tzinfo=None)):
            return True
        before = _offset(self.zone, instant - _SECOND)
        after = _offset(self.zone, instant)
        if after > before:  # the instant the clocks sprang forward: run what the gap skipped
            return self._skips_a_time(_Transition(instant, before, after))
        return False

    def next_run(self, after: datetime) -> datetime:
        """The first run after `after`, aware, in the entry's time zone (UTC without one)."""
        zone: tzinfo = self.zone or UTC
        start = after.astimezone(UTC)
        best: datetime | None = None
        for candidate in self._local_candidates(start):
            instants = self._instants_of(candidate)
            for instant in instants:
                if instant > start and (best is None or instant < best):
                    best = instant
            # The second pass of a repeated hour comes after later wall times' first passes:
            # look on until the wall times are clearly past the best run found.
            if best is not None and instants[0] > best + _FOLD_MARGIN:
                return best.astimezone(zone)
        if best is not None:
            return best.astimezone(zone)
        raise ValueError("the schedule has no run ahead")

    def _instants_of(self, wall: datetime) -> list[datetime]:
        first = self._instant_of(wall)
        if self.zone is None or not self.local.is_interval:
            return [first]
        second = wall.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        return [first, second] if second > first else [first]

    def _local_candidates(self, start: datetime) -> Iterator[datetime]:
        zone: tzinfo = self.zone or UTC
        # Start a little before the local wall time of `start`: a time skipped by a gap runs at
        # the gap's end, later than its own wall time.
        wall = start.astimezone(zone).replace(tzinfo=None) - timedelta(hours=3)
        candidate = self.local.next_after(wall)
        while candidate is not None:
            yield candidate
            candidate = self.local.next_after(candidate)

    def _instant_of(self, wall: datetime) -> datetime:
        """When a local wall time happens: the first pass of a repeated time, the end of a gap
        for a skipped one."""
        if self.zone is None:
            return wall.replace(tzinfo=UTC)
        first = wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        if first.astimezone(self.zone).replace(tzinfo=None) == wall:
            return first
        # Skipped: with fold=0 the offset before the gap applies, with fold=1 the one after; the
        # transition lies between the two readings.
        second = wall.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        low, high = sorted((first, second))
        return _first_with_offset(self.zone, low, high, _offset(self.zone, high))


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    return offset if offset is not None else timedelta(0)


def _first_with_offset(
    zone: ZoneInfo, low: datetime, high: datetime, offset: timedelta
) -> datetime:
    """The first instant in (low, high] whose offset is `offset` (it holds at `high`), to the
    second: offsets change on whole seconds."""
    while high - low > _SECOND:
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle <= low:
            middle = low + _SECOND
        if _offset(zone, middle) == offset:
            high = middle
        else:
            low = middle
    return high


def _transitions(zone: ZoneInfo, start: datetime, end: datetime) -> Iterator[_Transition]:
    """Every offset change between `start` and `end`, found by sampling every 12 hours (zones
    keep an offset for months) and narrowing each change down to the second."""
    step = timedelta(hours=12)
    moment = start.astimezone(UTC).replace(microsecond=0)
    offset = _offset(zone, moment)
    while moment < end:
        following = moment + step
        new = _offset(zone, following)
        if new != offset:
            instant = _first_with_offset(zone, moment, following, new)
            yield _Transition(instant, offset, new)
            offset = new
        moment = following
