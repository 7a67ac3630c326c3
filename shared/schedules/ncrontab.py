"""NCRONTAB expressions as the Functions host reads them: six fields, seconds first.

`{second} {minute} {hour} {day} {month} {day-of-week}`; each field is `*`, a value, a range
`a-b`, a step `*/n`, `a/n` or `a-b/n`, or a comma-separated list of those. Months and days of the
week may be written as names (`Jan`, `Mon`, any prefix of at least three letters, any case); days
of the week run 0-6 from Sunday. As in the host's NCrontab, a time matches only when the day of
the month *and* the day of the week both match (classic cron takes either).

The library croniter reads seconds as the last field unless told otherwise; writing our own parser
keeps the host's order and keeps the import cheap (this module is on the cold-start path).

Times here are naive wall-clock datetimes: the caller decides which clock they belong to.
"""

import bisect
import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final

__all__ = ["Cron", "CronError", "format_field", "parse"]

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
# How far `next_after` and `latest_at_or_before` look: long enough for any real schedule (29 Feb
# on a Monday recurs within 28 years), short enough to stay a few milliseconds.
SEARCH_YEARS: Final = 30


class CronError(ValueError):
    """An expression the host would not accept (or that never fires)."""


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
    """Parse an NCRONTAB expression; CronError names the field and what is wrong."""
    if not isinstance(text, str):
        raise CronError("must be a string of six fields")
    parts = text.split()
    if len(parts) != len(_FIELDS):
        raise CronError(
            f"has {len(parts)} field(s); NCRONTAB needs six, seconds first: "
            "'{second} {minute} {hour} {day} {month} {day-of-week}', e.g. '0 0 8 * * Mon-Fri'"
        )
    values = [_parse_field(field, part) for field, part in zip(_FIELDS, parts, strict=True)]
    cron = Cron(
        text=" ".join(parts),
        seconds=tuple(sorted(values[0])),
        minutes=tuple(sorted(values[1])),
        hours=tuple(sorted(values[2])),
        days=frozenset(values[3]),
        months=frozenset(values[4]),
        weekdays=frozenset(values[5]),
    )
    if not _some_day_exists(cron):
        raise CronError("never fires: no month has that day of the month")
    return cron


def _some_day_exists(cron: Cron) -> bool:
    # The longest each month gets (February: 29, in leap years). Whether such a day also falls on
    # an allowed weekday is left to next_after: every date meets every weekday within 28 years.
    longest = {month: calendar.monthrange(2024, month)[1] for month in range(1, 13)}
    return any(day <= longest[month] for month in cron.months for day in cron.days)


def _parse_field(field: _Field, text: str) -> set[int]:
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise CronError(f"{field.name} field {text!r} has an empty list item")
        values.update(_parse_item(field, item))
    return values


def _parse_item(field: _Field, item: str) -> range:
    where = f"{field.name} field item {item!r}"
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) == 0:
            raise CronError(f"{where}: the step after '/' must be a whole number above 0")
        step = int(step_text)
    if base == "*":
        return range(field.low, field.high + 1, step)
    first_text, dash, last_text = base.partition("-")
    first = _value(field, first_text, where)
    if dash:
        last = _value(field, last_text, where)
        if last < first:
            raise CronError(f"{where}: the range runs backwards")
    else:
        # `5/15` runs from 5 to the field's end, as in NCrontab; a bare `5` is only 5.
        last = field.high if slash else first
    return range(first, last + 1, step)


def _value(field: _Field, text: str, where: str) -> int:
    if text.isdigit() and text.isascii():
        number = int(text)
        if not field.low <= number <= field.high:
            raise CronError(f"{where}: {number} is outside {field.low}-{field.high}")
        return number
    if field.names and len(text) >= 3 and text.isalpha():
        for index, name in enumerate(field.names):
            if name.lower().startswith(text.lower()):
                return field.low + index
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
