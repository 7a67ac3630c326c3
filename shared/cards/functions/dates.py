"""Date and time functions on ISO timestamps, formatted the Day.js way the SDK does:
formatDateTime, utcNow, addDays/Hours/Minutes/Seconds, addToTime, subtractFromTime,
year, month, dayOfMonth, dayOfWeek, dayOfYear and startOfDay/Hour/Month.
"""

from __future__ import annotations

import functools
import math
import re
import zoneinfo
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from .. import _datetime as dates
from .._js import (
    UNDEFINED,
    BigInt,
    is_integer,
    is_number,
    normalize_number,
    template_string,
    to_string,
)
from .._parser import Node, render
from .._scope import EvalError, Fn, Scope
from .base import (
    BOOLEAN,
    NUMBER,
    STRING,
    FunctionTable,
    Spec,
    apply,
    arity_any,
    evaluate,
    order,
    verify_string,
)

_unary_string = arity_any(1, 1, STRING)


def output_format(args: list[Any], most: int, default: str = dates.DEFAULT_FORMAT) -> str:
    """AEL's determineFormatAndLocale: the format among a call's optional last arguments
    (format, then locale), for a function that takes at most `most` arguments."""
    if len(args) == most and isinstance(args[-1], str) and isinstance(args[-2], str):
        return dates.formatter_for(args[-2]) if args[-2] != "" else dates.DEFAULT_FORMAT
    if len(args) == most - 1 and isinstance(args[-1], str):
        return dates.formatter_for(args[-1])
    return default


def iso_moment(value: str) -> datetime:
    """AEL's verifyISOTimestamp: a date JavaScript parses, written exactly as toISOString."""
    moment = dates.parse_timestamp(value)
    if moment is None:
        raise EvalError(f"{value} is not a valid datetime string.")
    if dates.to_iso(moment) != value:
        raise EvalError(f"{value} is not a ISO format datetime string.")
    return moment


def _format_date_time(args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, str):
        moment = dates.parse_timestamp(value)
        if moment is None:
            raise EvalError(f"{value} is not a valid datetime string.")
        if not value.endswith("Z"):
            # AEL reads `${value}Z` first and the value itself only when that is no date:
            # the appended Z can override an offset the text has ("... +0200Z" is UTC).
            moment = dates.parse_timestamp(value + "Z") or moment
    else:
        raise EvalError(f"{template_string(value)}.toISOString is not a function")
    return dates.dayjs_format(moment, output_format(args, 3))


# .NET ticks: 100 ns steps since 0001-01-01; the Unix epoch is this many ticks.
_EPOCH_TICKS: Final = 621355968000000000
_TICKS_PER_MS: Final = 10000


def _from_epoch_ms(ms: float | int, args: list[Any]) -> str:
    """`dayjs(new Date(ms).toISOString()).utc().format(...)`."""
    if not math.isfinite(ms) or abs(ms) > 8.64e15:
        raise EvalError("Invalid time value")
    whole = math.trunc(ms)  # TimeClip drops the fraction of a millisecond
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=whole)
    return dates.dayjs_format(moment, output_format(args, 3))


def _format_epoch(args: list[Any]) -> Any:
    seconds = args[0]
    if not is_number(seconds):
        raise EvalError(f"formatEpoch first argument {template_string(seconds)} must be a number")
    return _from_epoch_ms(seconds * 1000, args)


def _format_ticks(args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, BigInt):
        ticks = value.value
    elif is_number(value) or isinstance(value, str):
        text = to_string(value)
        if not re.fullmatch(r"[+-]?\d+", text.strip()):
            raise EvalError(
                f"The number {text} cannot be converted to a BigInt because it is not an integer"
            )
        ticks = int(text)
    else:
        raise EvalError(
            f"formatTicks first argument {template_string(value)} is not a number, numeric "
            "string or bigInt"
        )
    # big-integer divides toward zero.
    shifted = ticks - _EPOCH_TICKS
    ms = abs(shifted) // _TICKS_PER_MS * (1 if shifted >= 0 else -1)
    return _from_epoch_ms(normalize_number(ms), args)


def _ticks(node: Node, children: list[Fn]) -> Fn:
    def run(scope: Scope, subst: bool) -> Any:
        (stamp,) = evaluate(node, children, scope, subst, None)
        if not isinstance(stamp, str):
            raise EvalError(f"{render(node)} should contain an ISO format timestamp.")
        moment = iso_moment(stamp)
        ms = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
        return BigInt(_EPOCH_TICKS + ms * _TICKS_PER_MS)

    return run


def _ticks_to(per: int) -> Callable[[Node, list[Fn]], Fn]:
    def build(node: Node, children: list[Fn]) -> Fn:
        def run(scope: Scope, subst: bool) -> Any:
            (value,) = evaluate(node, children, scope, subst, None)
            if isinstance(value, BigInt):
                value = normalize_number(value.value)
            elif not is_integer(value):
                raise EvalError(f"{render(node)} should contain an integer of ticks")
            return normalize_number(value / per)

        return run

    return build


def _date_time_diff(node: Node, children: list[Fn]) -> Fn:
    def run(scope: Scope, subst: bool) -> Any:
        first, second = evaluate(node, children, scope, subst, None)
        if not isinstance(first, str):
            raise EvalError(f"{template_string(first)} is not a valid datetime string.")
        start = iso_moment(first)
        if not isinstance(second, str):
            raise EvalError(f"{template_string(second)} is not a valid datetime string.")
        end = iso_moment(second)
        return normalize_number((start - end) // timedelta(milliseconds=1) * _TICKS_PER_MS)

    return run


# convertFromUTC's default: .NET's round-trip format without the zone, as AEL writes it.
_LOCAL_DEFAULT_FORMAT: Final = "YYYY-MM-DDTHH:mm:ss.SSS0000"


@functools.cache
def _windows_zones() -> dict[str, str]:
    """Windows zone name -> IANA zone (CLDR windowsZones, territory 001, through babel)."""
    from babel.core import get_global  # lazy: off the cold-start path

    return dict(get_global("windows_zone_mapping"))


def _zone(name: str) -> ZoneInfo:
    """AEL's windowsToIana then a check that the zone exists. AEL's own list of zones also
    refuses some old IANA aliases (US/Eastern, Asia/Calcutta) that the engine accepts."""
    iana = _windows_zones().get(name, name)
    try:
        if iana in zoneinfo.available_timezones():
            return ZoneInfo(iana)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        pass
    raise EvalError(f"{name} is not a valid timezone")


def _convert_from_utc(node: Node, children: list[Fn]) -> Fn:
    def run(scope: Scope, subst: bool) -> Any:
        args = evaluate(node, children, scope, subst, None)
        if not (isinstance(args[0], str) and isinstance(args[1], str)):
            raise EvalError(
                f"{render(node)} should contain an ISO format timestamp, an origin time zone "
                "string and an optional output format string."
            )
        fmt = output_format(args, 4, _LOCAL_DEFAULT_FORMAT)
        moment = iso_moment(args[0])
        return dates.dayjs_format(moment.astimezone(_zone(args[1])), fmt)

    return run


def _zone_offset_minutes(instant_ms: int, zone: ZoneInfo) -> int:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=instant_ms)
    offset = moment.astimezone(zone).utcoffset()
    return 0 if offset is None else int(offset.total_seconds()) // 60


def _wall_time_in_zone(local_ms: int, zone: ZoneInfo) -> int:
    """Day.js tz's fixOffset: the instant whose wall clock in `zone` reads `local_ms` (a
    wall clock written as if it were UTC); in a gap or an overlap, the instant it picks."""
    first = _zone_offset_minutes(local_ms, zone)
    guess = local_ms - first * 60000
    second = _zone_offset_minutes(guess, zone)
    if first == second:
        return guess
    guess -= (second - first) * 60000
    third = _zone_offset_minutes(guess, zone)
    if second == third:
        return guess
    return local_ms - min(second, third) * 60000


def _convert_to_utc(node: Node, children: list[Fn]) -> Fn:
    def run(scope: Scope, subst: bool) -> Any:
        args = evaluate(node, children, scope, subst, None)
        if not (isinstance(args[0], str) and isinstance(args[1], str)):
            raise EvalError(
                f"{render(node)} should contain an ISO format timestamp, a destination time "
                "zone string and an optional output format string."
            )
        fmt = output_format(args, 4)
        zone = _zone(args[1])
        moment = dates.parse_timestamp(args[0])
        if moment is None:
            raise EvalError(f"{args[0]} is a invalid datetime")
        # The text's wall clock (in UTC, where an offset or Z is applied first) read as a
        # wall clock in the zone.
        local_ms = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
        instant = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
            milliseconds=_wall_time_in_zone(local_ms, zone)
        )
        return dates.dayjs_format(instant, fmt)

    return run


def _date(args: list[Any]) -> Any:
    return dates.dayjs_format(iso_moment(args[0]), "M/DD/YYYY")


def _time_of_day(args: list[Any]) -> Any:
    text = args[0]
    try:
        moment = iso_moment(text)
    except EvalError:
        # Also a local time written in convertFromUTC's default format.
        local = dates.parse_timestamp(text)
        if local is None or dates.dayjs_format(local, _LOCAL_DEFAULT_FORMAT) != text:
            raise
        moment = local
    clock = moment.hour * 100 + moment.minute
    if clock == 0:
        return "midnight"
    if clock < 1200:
        return "morning"
    if clock == 1200:
        return "noon"
    if clock < 1800:
        return "afternoon"
    return "evening" if clock <= 2200 else "night"


def _is_date_time(args: list[Any]) -> bool:
    """isDateTime: a string written exactly as toISOString writes it."""
    if not isinstance(args[0], str):
        return False
    moment = dates.parse_timestamp(args[0])
    return moment is not None and dates.to_iso(moment) == args[0]


def _utc_now(args: list[Any]) -> Any:
    return dates.dayjs_format(dates.now(), output_format(args, 2))


def _time_transform(unit: str) -> Callable[[Node, list[Fn]], Fn]:
    def build(node: Node, children: list[Fn]) -> Fn:
        def run(scope: Scope, subst: bool) -> Any:
            args = evaluate(node, children, scope, subst, None)
            fmt = output_format(args, 4)
            stamp, amount = args[0], args[1]
            if not (isinstance(stamp, str) and is_number(amount)):
                raise EvalError(
                    f"{render(node)} should contain an ISO format timestamp and a time interval "
                    "integer."
                )
            moment = iso_moment(stamp) + timedelta(**{unit: math.trunc(amount)})
            return dates.dayjs_format(moment, fmt)

        return run

    return build


def _date_part(part: Callable[[datetime], int]) -> Callable[[list[Any]], Any]:
    def run(args: list[Any]) -> Any:
        return part(iso_moment(args[0]))

    return run


def _day_of_year(moment: datetime) -> int:
    return moment.timetuple().tm_yday


def _start_of_build(unit: str) -> Callable[[Node, list[Fn]], Fn]:
    def build(node: Node, children: list[Fn]) -> Fn:
        def run(scope: Scope, subst: bool) -> Any:
            args = evaluate(node, children, scope, subst, None)
            fmt = output_format(args, 3)
            if not isinstance(args[0], str):
                raise EvalError(
                    f"{render(node)} should contain an ISO format timestamp and an optional "
                    "output format string."
                )
            moment = iso_moment(args[0])
            moment = moment.replace(minute=0, second=0, microsecond=0)
            if unit in ("day", "month"):
                moment = moment.replace(hour=0)
            if unit == "month":
                moment = moment.replace(day=1)
            return dates.dayjs_format(moment, fmt)

        return run

    return build


def _add_months(moment: datetime, months: int) -> datetime:
    # dayjs sets the month on the 1st, then clamps the day to the new month's length.
    total = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(total, 12)
    following = date(year + 1, 1, 1) if month == 11 else date(year, month + 2, 1)
    day = min(moment.day, (following - date(year, month + 1, 1)).days)
    return moment.replace(year=year, month=month + 1, day=day)


_UNITS = {"Second": "seconds", "Minute": "minutes", "Hour": "hours", "Day": "days", "Week": "weeks"}


def _shift(moment: datetime, amount: int, unit: str | None) -> datetime:
    if unit == "Month":
        return _add_months(moment, amount)
    if unit == "Year":
        return _add_months(moment, amount * 12)
    if unit in _UNITS:
        return moment + timedelta(**{_UNITS[unit]: amount})
    # dayjs adds milliseconds for a unit it does not know.
    return moment + timedelta(milliseconds=amount)


def _shift_time_build(sign: int) -> Callable[[Node, list[Fn]], Fn]:
    def build(node: Node, children: list[Fn]) -> Fn:
        def run(scope: Scope, subst: bool) -> Any:
            args = evaluate(node, children, scope, subst, None)
            stamp = args[0]
            amount: Any = args[1] if len(args) > 1 else UNDEFINED
            unit: Any = args[2] if len(args) > 2 else UNDEFINED
            if not (isinstance(stamp, str) and is_integer(amount) and isinstance(unit, str)):
                raise EvalError(
                    f"{render(node)} should contain an ISO format timestamp, a time interval "
                    "integer, a string unit of time and an optional output format string."
                )
            fmt = output_format(args, 5)
            known = unit in _UNITS or unit in ("Month", "Year")
            if sign < 0 and not known:
                raise EvalError(f"{unit} is not a valid time unit.")
            moment = iso_moment(stamp)
            try:
                shifted = _shift(moment, sign * int(amount), unit if known else None)
            except (OverflowError, ValueError):
                raise EvalError(f"{stamp} is out of the range of dates") from None
            return dates.dayjs_format(shifted, fmt)

        return run

    return build


def register(table: FunctionTable) -> None:
    """Add this family's functions to `table`."""
    table["formatEpoch"] = Spec(STRING, order([STRING, STRING], NUMBER), apply(_format_epoch))
    table["formatTicks"] = Spec(STRING, order([STRING, STRING], NUMBER), apply(_format_ticks))
    table["ticks"] = Spec(NUMBER, arity_any(1, 1, STRING), _ticks)
    table["ticksToDays"] = Spec(NUMBER, arity_any(1, 1, NUMBER), _ticks_to(864000000000))
    table["ticksToHours"] = Spec(NUMBER, arity_any(1, 1, NUMBER), _ticks_to(36000000000))
    table["ticksToMinutes"] = Spec(NUMBER, arity_any(1, 1, NUMBER), _ticks_to(600000000))
    table["convertFromUTC"] = Spec(
        STRING, order([STRING, STRING], STRING, STRING), _convert_from_utc
    )
    table["convertToUTC"] = Spec(STRING, order([STRING, STRING], STRING, STRING), _convert_to_utc)
    table["isDateTime"] = Spec(BOOLEAN, arity_any(1, 1), apply(_is_date_time))
    table["date"] = Spec(STRING, arity_any(1, 1, STRING), apply(_date, verify_string))
    table["getTimeOfDay"] = Spec(
        STRING, arity_any(1, 1, STRING), apply(_time_of_day, verify_string)
    )
    table["dateTimeDiff"] = Spec(NUMBER, arity_any(2, 2, STRING), _date_time_diff)
    table["formatDateTime"] = Spec(
        STRING, order([STRING, STRING], STRING), apply(_format_date_time)
    )
    table["utcNow"] = Spec(STRING, order([STRING, STRING]), apply(_utc_now))
    table["addDays"] = Spec(
        STRING, order([STRING, STRING], STRING, NUMBER), _time_transform("days")
    )
    table["addHours"] = Spec(
        STRING, order([STRING, STRING], STRING, NUMBER), _time_transform("hours")
    )
    table["addMinutes"] = Spec(
        STRING, order([STRING, STRING], STRING, NUMBER), _time_transform("minutes")
    )
    table["addSeconds"] = Spec(
        STRING, order([STRING, STRING], STRING, NUMBER), _time_transform("seconds")
    )
    table["addToTime"] = Spec(
        STRING, order([STRING, STRING], STRING, NUMBER, STRING), _shift_time_build(1)
    )
    table["subtractFromTime"] = Spec(
        STRING, order([STRING, STRING], STRING, NUMBER, STRING), _shift_time_build(-1)
    )
    for name, part in {
        "year": lambda moment: moment.year,
        "month": lambda moment: moment.month,
        "dayOfMonth": lambda moment: moment.day,
        "dayOfWeek": lambda moment: (moment.weekday() + 1) % 7,
        "dayOfYear": _day_of_year,
    }.items():
        table[name] = Spec(NUMBER, _unary_string, apply(_date_part(part), verify_string))
    for name, unit in {"startOfDay": "day", "startOfHour": "hour", "startOfMonth": "month"}.items():
        table[name] = Spec(STRING, order([STRING, STRING], STRING), _start_of_build(unit))
