"""Date handling for formatDateTime, utcNow and addDays/addHours/addMinutes/addSeconds.

AEL converts .NET custom format strings to Day.js formats and lets Day.js print them;
this module does both steps the same way, in UTC and the `en` locale.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final

from ._legacy_date import parse_legacy

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


@functools.lru_cache(maxsize=256)
@functools.lru_cache(maxsize=256)
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


def _offset(moment: datetime, colon: str) -> str:
    """Day.js `Z`/`ZZ`: the moment's UTC offset (+00:00 for UTC moments)."""
    offset = moment.utcoffset()
    minutes = 0 if offset is None else int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{colon}{minutes:02d}"


_TOKEN_VALUES: Final[dict[str, Callable[[datetime, int], str]]] = {
    "YY": lambda m, w: str(m.year)[-2:],
    "YYYY": lambda m, w: f"{m.year:04d}",
    "M": lambda m, w: str(m.month),
    "MM": lambda m, w: f"{m.month:02d}",
    "MMM": lambda m, w: _MONTHS[m.month - 1][:3],
    "MMMM": lambda m, w: _MONTHS[m.month - 1],
    "D": lambda m, w: str(m.day),
    "DD": lambda m, w: f"{m.day:02d}",
    "d": lambda m, w: str(w),
    "dd": lambda m, w: _WEEKDAYS[w][:2],
    "ddd": lambda m, w: _WEEKDAYS[w][:3],
    "dddd": lambda m, w: _WEEKDAYS[w],
    "H": lambda m, w: str(m.hour),
    "HH": lambda m, w: f"{m.hour:02d}",
    "h": lambda m, w: str(m.hour % 12 or 12),
    "hh": lambda m, w: f"{m.hour % 12 or 12:02d}",
    "a": lambda m, w: "am" if m.hour < 12 else "pm",
    "A": lambda m, w: "AM" if m.hour < 12 else "PM",
    "m": lambda m, w: str(m.minute),
    "mm": lambda m, w: f"{m.minute:02d}",
    "s": lambda m, w: str(m.second),
    "ss": lambda m, w: f"{m.second:02d}",
    "SSS": lambda m, w: f"{m.microsecond // 1000:03d}",
    "Z": lambda m, w: _offset(m, ":"),
    "ZZ": lambda m, w: _offset(m, ""),
}


def dayjs_format(moment: datetime, fmt: str) -> str:
    """Day.js `format` in UTC mode with the `en` locale."""
    weekday = (moment.weekday() + 1) % 7
    return "".join(
        piece if isinstance(piece, str) else piece(moment, weekday) for piece in _pieces(fmt)
    )


_Piece = str | Callable[[datetime, int], str]


@functools.lru_cache(maxsize=256)
def _pieces(fmt: str) -> tuple[_Piece, ...]:
    """`fmt` read once (a template formats every item's date with the same format): its
    literal text and its tokens' functions, in order."""
    pieces: list[_Piece] = []
    end = 0
    for match in _DAYJS_TOKENS.finditer(fmt):
        if match.start() > end:
            pieces.append(fmt[end : match.start()])
        end = match.end()
        literal = match.group(1)
        if literal is not None:
            pieces.append(literal)
            continue
        # Day.js prints its zone without a colon for anything it does not know ('ZZ').
        pieces.append(_TOKEN_VALUES.get(match.group(), "+0000"))
    if end < len(fmt):
        pieces.append(fmt[end:])
    return tuple(pieces)


# --- parsing -----------------------------------------------------------------------------

_ISO: Final = re.compile(
    r"^([+-]\d{6}|\d{4})(?:-(\d{2})(?:-(\d{2}))?)?"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_timestamp(text: str) -> datetime | None:
    """`new Date(text)` for the forms JavaScript accepts; None for Invalid Date.

    Date-only ISO forms are UTC; other forms without an offset are local time, which is
    UTC where this product runs (and where the differential test runs the SDK). Text that
    is not ES5 ISO goes through V8's legacy rules (`_legacy_date`).
    """
    match = _ISO.match(text)
    if match:
        year, month, day, hour, minute, second, fraction, zone = match.groups()
        if hour is None and zone is not None:
            return None
        return _build(year, month or "1", day or "1", hour, minute, second, fraction, zone)
    return parse_legacy(text)


def _build(
    year: str,
    month: str,
    day: str,
    hour: str | None,
    minute: str | None,
    second: str | None,
    fraction: str | None,
    zone: str | None,
) -> datetime | None:
    if hour is not None and int(hour) > 23:
        return None
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:3].ljust(3, "0")) * 1000,
            tzinfo=UTC,
        )
    except ValueError:
        return None
    if zone and zone.upper() not in ("Z", "GMT", "UTC"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment


def to_iso(moment: datetime) -> str:
    """Date.prototype.toISOString()."""
    moment = moment.astimezone(UTC)
    # %Y does not pad years before 1000 on every platform; toISOString writes four digits.
    return (
        f"{moment.year:04d}"
        + moment.strftime("-%m-%dT%H:%M:%S.")
        + (f"{moment.microsecond // 1000:03d}Z")
    )


def now() -> datetime:
    return datetime.now(UTC)
