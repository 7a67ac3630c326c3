"""Date handling for formatDateTime, utcNow and addDays/addHours/addMinutes/addSeconds.

AEL converts .NET custom format strings to Day.js formats and lets Day.js print them;
this module does both steps the same way, in UTC and the `en` locale.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Final

DEFAULT_FORMAT: Final = "YYYY-MM-DDTHH:mm:ss.SSS[Z]"

_MONTHS: Final = """
    January February March April May June July August September October November
    December
    """.split()
_WEEKDAYS: Final = """
    Sunday Monday Tuesday Wednesday Thursday Friday Saturday
    """.split()


class DateError(ValueError):
    pass


# --- .NET format -> Day.js format (AEL's convertCSharpDateTimeToDayjs) ----------------

_RUNS: Final = {
    # character: (maximum run length, Day.js text for run lengths 1..max; None = unsupported)
    "d": ("D", "DD", "ddd", "dddd"),
    "f": (None, None, "SSS"),
    "F": (None, None, "SSS"),
    "g": (None,),
    "h": ("h", "hh"),
    "H": ("H", "HH"),
    "m": ("m", "mm"),
    "M": ("M", "MM", "MMM", "MMMM"),
    "s": ("s", "ss"),
    "t": ("A", "A"),
    "y": ("YY", "YY", "YYYY", "YYYY"),
    "z": ("ZZ", "ZZ", "Z"),
}


def convert_format(fmt: str) -> str:
    """The Day.js format for a .NET format string; raises DateError where AEL throws."""
    if fmt == "":
        return ""
    if len(fmt) == 1:
        if fmt in "Rr":
            raise DateError("RFC 1123 not supported")
        if fmt in "Oo":
            fmt = "YYYY-MM-DDTHH:mm:ss.SSS0000Z"
        elif fmt in "Uu":
            raise DateError("format not supported")
    out: list[str] = []
    run_char = ""
    run_length = 0
    literal: list[str] | None = None
    literal_end = ""
    escape = False

    def flush() -> None:
        nonlocal run_char, run_length
        if run_char:
            text = _RUNS[run_char][run_length - 1]
            if text is None:
                raise DateError("format specifier not supported")
            out.append(text)
        run_char, run_length = "", 0

    for char in fmt:
        if escape:
            out.append(char)
            escape = False
            continue
        if literal is not None:
            if char == literal_end:
                out.extend(literal)
                literal = None
            else:
                literal.append(char)
            continue
        if char in _RUNS:
            if char == run_char:
                run_length = min(run_length + 1, len(_RUNS[char]))
            else:
                flush()
                run_char, run_length = char, 1
            continue
        flush()
        if char == "K":
            out.append("Z")
        elif char == "`" or char == "'":
            literal, literal_end = [], char
        elif char == "%":
            pass
        elif char == "\\":
            escape = True
        else:
            out.append(char)
    if escape or literal is not None:
        raise DateError("Invalid Format String")
    flush()
    return "".join(out)


def formatter_for(fmt: str) -> str:
    """AEL's timestampFormatter: conversion errors fall back to the raw string."""
    if not fmt:
        return DEFAULT_FORMAT
    try:
        return convert_format(fmt)
    except DateError:
        return fmt


# --- Day.js format -----------------------------------------------------------------------

_DAYJS_TOKENS: Final = re.compile(
    r"\[([^\]]+)]|YYYY|YY|M{1,4}|D{1,2}|d{1,4}|H{1,2}|h{1,2}|a|A|m{1,2}|s{1,2}|Z{1,2}|SSS"
)


def dayjs_format(moment: datetime, fmt: str) -> str:
    """Day.js `format` in UTC mode with the `en` locale."""

    def token(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(1)
        text = match.group()
        hour = moment.hour
        weekday = (moment.weekday() + 1) % 7
        values = {
            "YY": str(moment.year)[-2:],
            "YYYY": f"{moment.year:04d}",
            "M": str(moment.month),
            "MM": f"{moment.month:02d}",
            "MMM": _MONTHS[moment.month - 1][:3],
            "MMMM": _MONTHS[moment.month - 1],
            "D": str(moment.day),
            "DD": f"{moment.day:02d}",
            "d": str(weekday),
            "dd": _WEEKDAYS[weekday][:2],
            "ddd": _WEEKDAYS[weekday][:3],
            "dddd": _WEEKDAYS[weekday],
            "H": str(hour),
            "HH": f"{hour:02d}",
            "h": str(hour % 12 or 12),
            "hh": f"{hour % 12 or 12:02d}",
            "a": "am" if hour < 12 else "pm",
            "A": "AM" if hour < 12 else "PM",
            "m": str(moment.minute),
            "mm": f"{moment.minute:02d}",
            "s": str(moment.second),
            "ss": f"{moment.second:02d}",
            "SSS": f"{moment.microsecond // 1000:03d}",
            "Z": "+00:00",
        }
        return values.get(text, "+0000")

    return _DAYJS_TOKENS.sub(token, fmt)


# --- parsing -----------------------------------------------------------------------------

_ISO: Final = re.compile(
    r"^([+-]\d{6}|\d{4})(?:-(\d{2})(?:-(\d{2}))?)?"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"(Z|[+-]\d{2}:\d{2})?$"
)


def parse_timestamp(text: str) -> datetime | None:
    """`new Date(text)` for the ISO 8601 forms JavaScript accepts; None for Invalid Date.

    Date-only forms are UTC; date-time forms without an offset are local time, which is
    UTC where this product runs (and where the differential test runs the SDK).
    """
    match = _ISO.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if hour is None and zone is not None:
        return None
    try:
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:3].ljust(3, "0")) * 1000,
            tzinfo=UTC,
        )
    except ValueError:
        return None
    if hour == "24":
        return None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        moment -= sign * offset
    return moment


def to_iso(moment: datetime) -> str:
    """Date.prototype.toISOString()."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now() -> datetime:
    return datetime.now(UTC)
