"""NCRONTAB expressions as the Functions host reads them, field for field.

`{second} {minute} {hour} {day} {month} {day-of-week}`; each field is `*`, a value, a range
`a-b`, a step `*/n`, `a/n` or `a-b/n`, or a comma-separated list of those. Months and days of the
week may be written as names (any case); days of the week run 0-6 from Sunday. As in the host's
NCrontab, a time matches only when the day of the month *and* the day of the week both match
(classic cron takes either).

What the host accepts, this module accepts, read the way NCrontab reads it (atifaziz/NCrontab,
`NCrontab/CrontabFieldImpl.cs` `InternalParse` and `ParseValue`, `NCrontab/CrontabField.cs`
`Accumulate`, `NCrontab/CrontabSchedule.cs` `TryParse`), so a schedule the host runs is never
dropped by the app:
- five fields: the seconds field is left out and read as `0`. Microsoft Learn, "Timer trigger for
  Azure Functions", section "NCRONTAB expressions": "NCRONTAB expression supports both five field
  and six field format"; the host parses with seconds unless there are exactly five
  space-separated parts (Azure/azure-webjobs-sdk-extensions, `Timers/Scheduling/CronSchedule.cs`,
  `HasSeconds`). Fields are separated by spaces only: both split on ' ';
- a range that runs backwards is swapped: `17-9` is 9-17 and `Fri-Mon` is Mon-Fri;
- a step below 1 (`*/0`, `*/-5`) counts as 1, and a step may carry a sign (`*/+5`);
- a name may be any prefix of a month or day name, even one letter (`M-F`): the first name, in
  calendar order, that starts with it (so `S` is Sunday and `M` as a month is March).
Where that reading is probably not what a person meant (a swapped range, a step below 1, an
ambiguous prefix, a schedule that never fires), `warnings()` says so for `python -m shared
check`; nothing the host takes is refused.

The library croniter reads seconds as the last field unless told otherwise and refuses some of the
above; our own parser keeps the host's reading and keeps the import cheap (this module is on the
cold-start path).

Times here are naive wall-clock datetimes: the caller decides which clock they belong to.
"""

import bisect
import calendar
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime, time, timedelta
from typing import Final

__all__ = ["Cron", "CronError", "format_field", "parse", "warnings"]

_MONTHS: Final = tuple(calendar.month_name[1:])
_WEEKDAYS: Final = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()


_FIELDS: Final = (
    _Field("second", 0, 59),
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day", 1, 31),
    _Field("month", 1, 12, _MONTHS),
    _Field("day of week", 0, 6, _WEEKDAYS),
)
_DIGITS: Final = re.compile(r"[0-9]+")
_SIGNED: Final = re.compile(r"[+-]?[0-9]+")
_INT32_MIN: Final = -(2**31)
_INT32_MAX: Final = 2**31 - 1
# How far `next_after` and `latest_at_or_before` look: long enough for any real schedule (29 Feb
# on a Monday recurs within 28 years), short enough to stay a few milliseconds.
SEARCH_YEARS: Final = 30


class CronError(ValueError):
    """An expression the host would not accept."""


@dataclass(frozen=True)
class Cron:
    """A parsed expression: the set of values each field allows."""

    text: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday, as in cron
    # Where the host's reading is probably not what was meant (see `warnings`).
    notes: tuple[str, ...] = dataclass_field(default=(), compare=False)

    @property
    def is_interval(self) -> bool:
        """The host's "interval" schedule, which runs through both passes of a repeated hour.

        The rule of Azure/azure-webjobs-sdk-extensions, `Timers/Scheduling/CronSchedule.cs` (the
        constructor sets `IsInterval`, `TryAdjustAmbiguousTime` applies it): the schedule as
        NCrontab writes it back (`CrontabSchedule.ToString()`: `*` for a whole field, runs of
        consecutive values as `a-b`, steps expanded) has a `*`, `-` or `/` in its seconds,
        minutes or hours field. So `0 */20 * * * *` and `0 0-1 8 * * *` (even `0 0,1 8 * * *`,
        written back as `0 0-1 8`) are intervals; `0 */20 1 * * *` (written back as
        `0 0,20,40 1`) and `0 30 2 * * *` are not."""
        written = (
            format_field(self.seconds, 0, 59),
            format_field(self.minutes, 0, 59),
            format_field(self.hours, 0, 23),
        )
        return any(mark in text for text in written for mark in "*-/")

    def matches(self, moment: datetime) -> bool:
        return self.day_matches(moment.date()) and self.time_matches(moment.time())

    def day_matches(self, day: date) -> bool:
        return (
            day.month in self.months
            and day.day in self.days
            and (day.weekday() + 1) % 7 in self.weekdays
        )

    def time_matches(self, moment: time) -> bool:
        return (
            moment.hour in self.hours
            and moment.minute in self.minutes
            and moment.second in self.seconds
        )

    def next_after(self, moment: datetime) -> datetime | None:
        """The first matching time strictly after `moment` (None: none within SEARCH_YEARS)."""
        start = moment.replace(microsecond=0) + timedelta(seconds=1)
        day, earliest = start.date(), start.time()
        for _ in range(SEARCH_YEARS * 366):
            if self.day_matches(day):
                found = self._first_time_from(earliest)
                if found is not None:
                    return datetime.combine(day, found)
            day += timedelta(days=1)
            earliest = time(0, 0, 0)
        return None

    def latest_at_or_before(self, moment: datetime) -> datetime | None:
        """The last matching time at or before `moment` (None: none within SEARCH_YEARS)."""
        day, latest = moment.date(), moment.time().replace(microsecond=0)
        for _ in range(SEARCH_YEARS * 366):
            if self.day_matches(day):
                found = self._last_time_to(latest)
                if found is not None:
                    return datetime.combine(day, found)
            day -= timedelta(days=1)
            latest = time(23, 59, 59)
        return None

    def _first_time_from(self, earliest: time) -> time | None:
        for hour in self.hours[bisect.bisect_left(self.hours, earliest.hour) :]:
            minutes = self.minutes
            if hour == earliest.hour:
                minutes = minutes[bisect.bisect_left(minutes, earliest.minute) :]
            for minute in minutes:
                seconds = self.seconds
                if hour == earliest.hour and minute == earliest.minute:
                    seconds = seconds[bisect.bisect_left(seconds, earliest.second) :]
                if seconds:
                    return time(hour, minute, seconds[0])
        return None

    def _last_time_to(self, latest: time) -> time | None:
        for hour in reversed(self.hours[: bisect.bisect_right(self.hours, latest.hour)]):
            minutes = self.minutes
            if hour == latest.hour:
                minutes = minutes[: bisect.bisect_right(minutes, latest.minute)]
            for minute in reversed(minutes):
                seconds = self.seconds
                if hour == latest.hour and minute == latest.minute:
                    seconds = seconds[: bisect.bisect_right(seconds, latest.second)]
                if seconds:
                    return time(hour, minute, seconds[-1])
        return None


def parse(text: str) -> Cron:
    """Parse an NCRONTAB expression as the host does; CronError names the field and what is wrong.

    The Cron's `notes` say where the host's reading is probably not what was meant."""
    if not isinstance(text, str):
        raise CronError("must be a string of six fields")
    parts = [part for part in text.split(" ") if part]
    if any(not part.isprintable() for part in parts):
        raise CronError("separate the fields with spaces (the host splits on spaces only)")
    if len(parts) == len(_FIELDS) - 1:
        parts = ["0", *parts]  # five fields: no seconds field, read as second 0
    if len(parts) != len(_FIELDS):
        raise CronError(
            f"has {len(parts)} field(s); NCRONTAB needs six, seconds first: "
            "'{second} {minute} {hour} {day} {month} {day-of-week}', e.g. '0 0 8 * * Mon-Fri' "
            "(or five, without the seconds)"
        )
    notes: list[str] = []
    values = [_parse_field(f, part, notes) for f, part in zip(_FIELDS, parts, strict=True)]
    return Cron(
        text=" ".join(parts),
        seconds=tuple(sorted(values[0])),
        minutes=tuple(sorted(values[1])),
        hours=tuple(sorted(values[2])),
        days=frozenset(values[3]),
        months=frozenset(values[4]),
        weekdays=frozenset(values[5]),
        notes=tuple(notes),
    )


def warnings(cron: Cron, now: datetime) -> list[str]:
    """Where the host's reading of `cron` is probably not what was meant (never a refusal)."""
    found = list(cron.notes)
    if cron.next_after(now) is None:
        found.append(
            f"never fires (no matching date within {SEARCH_YEARS} years): the host accepts it "
            "and never runs it"
        )
    return found


def _parse_field(field: _Field, text: str, notes: list[str]) -> set[int]:
    values: set[int] = set()
    # NCrontab reads a list only when the comma is not the first character; a leading comma
    # then fails as a value, as the empty first item fails here.
    for item in text.split(","):
        if not item:
            raise CronError(f"{field.name} field {text!r} has an empty list item")
        values.update(_parse_item(field, item, notes))
    return values


def _parse_item(field: _Field, item: str, notes: list[str]) -> range:
    where = f"{field.name} field item {item!r}"
    slash = item.find("/")
    step: int | None = None
    base = item
    if slash > 0:
        step = _step(item[slash + 1 :], where)
        base = item[:slash]
        if step < 1:
            notes.append(f"{where}: a step below 1 is read as 1 (every value)")
    if base == "*":
        return _accumulate(field, None, None, 1 if step is None else step, where, notes)
    dash = base.find("-")
    if dash > 0:
        first = _value(field, base[:dash], where, notes)
        last = _value(field, base[dash + 1 :], where, notes)
        return _accumulate(field, first, last, 1 if step is None else step, where, notes)
    value = _value(field, base, where, notes)
    if step is None:
        return _accumulate(field, value, value, 1, where, notes)
    # `5/15` runs from 5 to the field's end, as in NCrontab; a bare `5` is only 5.
    return _accumulate(field, value, field.high, step, where, notes)


def _accumulate(
    field: _Field, first: int | None, last: int | None, step: int, where: str, notes: list[str]
) -> range:
    """NCrontab's `Accumulate`: None for `*`, a backwards range swapped, a step below 1 as 1."""
    if first is None or last is None:
        first, last = field.low, field.high
    elif first == last:
        _in_range(field, first, where)
    else:
        if first > last:
            notes.append(
                f"{where} runs backwards and is read as {last}-{first} (NCrontab swaps it); "
                f"to wrap past the end of the field write '{first}-{field.high},{field.low}-{last}'"
            )
            first, last = last, first
        _in_range(field, first, where)
        _in_range(field, last, where)
    return range(first, last + 1, max(step, 1))


def _in_range(field: _Field, number: int, where: str) -> None:
    if not field.low <= number <= field.high:
        raise CronError(f"{where}: {number} is outside {field.low}-{field.high}")


def _step(text: str, where: str) -> int:
    # .NET int.Parse with the invariant culture: an optional sign and ASCII digits, in Int32.
    if not _SIGNED.fullmatch(text) or not _INT32_MIN <= int(text) <= _INT32_MAX:
        raise CronError(f"{where}: the step after '/' must be a whole number")
    return int(text)


def _value(field: _Field, text: str, where: str, notes: list[str]) -> int:
    if not text:
        raise CronError(f"{where}: a value is missing")
    if text[0] in "0123456789":
        # NCrontab parses anything that starts with a digit as a number, whole or not at all.
        if not _DIGITS.fullmatch(text):
            raise CronError(f"{where}: {text!r} is not a number {field.low}-{field.high}")
        return int(text)
    if field.names and text.isascii() and text.isalpha():
        lowered = text.lower()
        matching = [i for i, name in enumerate(field.names) if name.lower().startswith(lowered)]
        if len(matching) > 1:
            others = ", ".join(field.names[i] for i in matching[1:])
            notes.append(
                f"{where}: {text!r} is read as {field.names[matching[0]]}, the first name it "
                f"starts (not {others}); write three letters or more"
            )
        if matching:
            return field.low + matching[0]
    if field.names:
        examples = ", ".join(name[:3] for name in field.names)
        raise CronError(f"{where}: {text!r} is neither {field.low}-{field.high} nor {examples}")
    raise CronError(f"{where}: {text!r} is not a number {field.low}-{field.high}")


def format_field(values: frozenset[int] | set[int] | tuple[int, ...], low: int, high: int) -> str:
    """Values as a field: `*` for all of them, else ranges and single values (`0,6-8`)."""
    ordered = sorted(set(values))
    if ordered == list(range(low, high + 1)):
        return "*"
    runs: list[str] = []
    start = previous = ordered[0]
    for value in [*ordered[1:], None]:
        if value is not None and value == previous + 1:
            previous = value
            continue
        runs.append(str(start) if start == previous else f"{start}-{previous}")
        if value is not None:
            start = previous = value
    return ",".join(runs)
