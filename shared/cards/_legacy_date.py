"""The dates JavaScript's `Date` reads outside ISO 8601, as V8 reads them.

`new Date(text)` first tries the ES5 date-time format (see `_datetime._ISO`); anything else
goes to V8's legacy parser, which real payloads rely on: US `03/15/2018 1:05 PM`, RFC 2822
`Thu, 15 Mar 2018 12:00:00 +0200`, `Date.prototype.toString()` output
`Thu Mar 15 2018 12:00:00 GMT+0000 (Coordinated Universal Time)`, dotted `1.1.2022`.

The rules below are V8's (src/date/dateparser*.h), written from its documented behaviour:
the text is cut into numbers, words, signs and other symbols (a parenthesised comment is
skipped); `n:` starts a clock, `.` before milliseconds, `+`/`-` after a clock or `GMT` an
offset; a word counts by its first three letters (month names also in full, and AM/PM,
UT/UTC/GMT/Z and the US zone names), and any other word is ignored before the first number
and refused after it. Up to three date numbers are read month/day/year, or year/month/day
when the first cannot be a day; a named month takes the day and year from the numbers.
Two-digit years are 1950-2049. With no zone the time is local, which is UTC here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

_MONTHS: Final = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)
# Zone names V8 knows, with their offsets in hours.
_ZONES: Final = {
    "ut": 0,
    "utc": 0,
    "gmt": 0,
    "z": 0,
    "edt": -4,
    "est": -5,
    "cdt": -5,
    "cst": -6,
    "mdt": -6,
    "mst": -7,
    "pdt": -7,
    "pst": -8,
}
_TOKEN: Final = re.compile(r"(\d+)|([A-Za-z\u0080-\U0010ffff]+)|(\s+)|(\()|(.)", re.S)
_NONE: Final = -1


@dataclass
class _Token:
    kind: str  # "number", "word", "space", "symbol", "end"
    text: str = ""

    @property
    def number(self) -> int:
        return int(self.text)


def _tokens(text: str) -> list[_Token] | None:
    out: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        assert match is not None  # the last alternative takes any character
        number, word, space, paren, symbol = match.groups()
        position = match.end()
        if number is not None:
            out.append(_Token("number", number))
        elif word is not None:
            out.append(_Token("word", word.lower()))
        elif space is not None:
            out.append(_Token("space"))
        elif paren is not None:
            # A comment: skip to the matching parenthesis (or the end).
            depth = 1
            while position < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[position], 0)
                position += 1
            out.append(_Token("unknown"))
        else:
            out.append(_Token("symbol", symbol))
    out.append(_Token("end"))
    return out


def _keyword(word: str) -> tuple[str, int] | None:
    """(type, value) of a word, matched on its first three letters as V8 does; a word of
    more than three letters matches only a month name."""
    prefix = word[:3]
    if prefix in _MONTHS:
        return ("month", _MONTHS.index(prefix) + 1)
    if len(word) > 3:
        return None
    if word in ("am", "pm"):
        return ("ampm", 0 if word == "am" else 12)
    if word in _ZONES:
        return ("zone", _ZONES[word])
    if word == "t":
        return ("t", 0)
    return None


@dataclass
class _State:
    day: list[int] = field(default_factory=list)
    named_month: int = _NONE
    iso_date: bool = False
    time: list[int] = field(default_factory=list)
    hour_offset: int = _NONE
    tz_sign: int = 0  # 0: no zone (local time)
    tz_hour: int = _NONE
    tz_minute: int = _NONE

    def time_expecting(self, n: int) -> bool:
        index = len(self.time)
        return (
            (index == 1 and 0 <= n <= 59)
            or (index == 2 and 0 <= n <= 59)
            or (index == 3 and 0 <= n <= 999)
        )

    def add_time(self, n: int) -> bool:
        if len(self.time) >= 4:
            return False
        self.time.append(n)
        return True

    def tz_expecting(self, n: int) -> bool:
        return self.tz_hour != _NONE and self.tz_minute == _NONE and 0 <= n <= 59

    def tz_set(self, hours: int) -> None:
        self.tz_sign = -1 if hours < 0 else 1
        self.tz_hour = abs(hours)
        self.tz_minute = 0


class _Scanner:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def next(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def skip_symbol(self, symbol: str) -> bool:
        token = self.peek()
        if token.kind == "symbol" and token.text == symbol:
            self.index += 1
            return True
        return False


def _fixed_number(token: _Token, length: int) -> bool:
    return token.kind == "number" and len(token.text) == length


def _es5_prefix(scanner: _Scanner, state: _State) -> _Token | None:
    """V8's ES5 pass up to where it hands over to the legacy parser: the first token the
    legacy loop reads, or None where the text is invalid."""
    if _fixed_number(scanner.peek(), 4):
        state.day.append(scanner.next().number)
    else:
        return scanner.next()
    if scanner.skip_symbol("-"):
        if not (_fixed_number(scanner.peek(), 2) and 1 <= scanner.peek().number <= 12):
            return scanner.next()
        state.day.append(scanner.next().number)
        if scanner.skip_symbol("-"):
            if not (_fixed_number(scanner.peek(), 2) and 1 <= scanner.peek().number <= 31):
                return scanner.next()
            state.day.append(scanner.next().number)
    token = scanner.peek()
    if token.kind == "word" and token.text == "t":
        return None  # an ES5 time part that the ES5 pattern did not take
    if token.kind == "end":
        # A complete ES5 date that the ES5 pattern did not take cannot happen; be safe.
        state.iso_date = True
        state.tz_set(0)
        return token
    return scanner.next()


def _milliseconds(token: _Token) -> int:
    digits = token.text
    if len(digits) >= 3:
        return int(digits[:3])
    return int(digits.ljust(3, "0"))


def _read(scanner: _Scanner, state: _State, token: _Token) -> bool:
    has_read_number = bool(state.day)  # V8: a year read by the ES5 pass counts
    while token.kind != "end":
        if token.kind == "number":
            has_read_number = True
            n = token.number
            if scanner.skip_symbol(":"):
                if scanner.skip_symbol(":"):
                    if state.time:
                        return False
                    state.time.extend((n, 0))
                else:
                    if not state.add_time(n):
                        return False
                    if scanner.peek().kind == "symbol" and scanner.peek().text == ".":
                        scanner.next()
            elif scanner.skip_symbol(".") and state.time_expecting(n):
                state.add_time(n)
                if scanner.peek().kind != "number":
                    return False
                state.add_time(_milliseconds(scanner.next()))  # V8 ignores a full clock here
                state.time.extend([0] * (4 - len(state.time)))
            elif state.tz_expecting(n):
                state.tz_minute = n
            elif state.time_expecting(n):
                state.add_time(n)
                state.time.extend([0] * (4 - len(state.time)))
                after = scanner.peek()
                if not (
                    after.kind in ("end", "space")
                    or (after.kind == "word" and after.text == "z")
                    or (after.kind == "symbol" and after.text in "+-")
                ):
                    return False
            else:
                if len(state.day) >= 3:
                    return False
                state.day.append(n)
                scanner.skip_symbol("-")
        elif token.kind == "word":
            keyword = _keyword(token.text)
            if keyword is not None and keyword[0] == "ampm" and state.time:
                state.hour_offset = keyword[1]
            elif keyword is not None and keyword[0] == "month":
                state.named_month = keyword[1]
                scanner.skip_symbol("-")
            elif keyword is not None and keyword[0] == "zone" and has_read_number:
                state.tz_set(keyword[1])
            else:
                if has_read_number or scanner.peek().kind == "number":
                    return False
        elif (
            token.kind == "symbol"
            and token.text in "+-"
            and ((state.tz_hour == 0 and state.tz_minute == 0) or state.time)
        ):
            state.tz_sign = 1 if token.text == "+" else -1
            digits = ""
            if scanner.peek().kind == "number":
                digits = scanner.next().text
            has_read_number = True
            n = int(digits or "0")
            if scanner.peek().kind == "symbol" and scanner.peek().text == ":":
                state.tz_hour, state.tz_minute = n, _NONE
            elif len(digits) in (1, 2):
                state.tz_hour, state.tz_minute = n, 0
            elif len(digits) in (3, 4):
                state.tz_hour, state.tz_minute = n // 100, n % 100
            else:
                return False
        elif token.kind == "symbol" and token.text in "+-)" and has_read_number:
            return False
        token = scanner.next()
    return True


def _moment(state: _State) -> datetime | None:
    if not state.day:
        return None
    comps = state.day + [1] * (3 - len(state.day))
    year = 0
    if state.named_month == _NONE:
        if state.iso_date or not 1 <= comps[0] <= 31:
            year, month, day = comps
        else:
            month, day, year = comps
    else:
        month = state.named_month
        if not 1 <= comps[0] <= 31:
            year, day = comps[0], comps[1]
        else:
            day, year = comps[0], comps[1]
    if not state.iso_date:
        if 0 <= year <= 49:
            year += 2000
        elif 50 <= year <= 99:
            year += 1900
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    hour, minute, second, milli = state.time + [0] * (4 - len(state.time))
    if state.hour_offset != _NONE:
        if not 0 <= hour <= 12:
            return None
        hour = hour % 12 + state.hour_offset
    in_range = 0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59 and 0 <= milli <= 999
    # Hour 24 is the next midnight, and only exactly that.
    if not in_range and (hour, minute, second, milli) != (24, 0, 0, 0):
        return None
    try:
        # The day may run past the month's end (2/30 is March 2), as MakeDay allows.
        moment = datetime(year, month, 1, tzinfo=UTC) + timedelta(
            days=day - 1, hours=hour, minutes=minute, seconds=second, milliseconds=milli
        )
    except (OverflowError, ValueError):
        return None
    if state.tz_sign:
        offset = (0 if state.tz_hour == _NONE else state.tz_hour) * 60 + (
            0 if state.tz_minute == _NONE else state.tz_minute
        )
        moment -= timedelta(minutes=state.tz_sign * offset)
    return moment


def parse_legacy(text: str) -> datetime | None:
    """`new Date(text)` by V8's legacy rules, in UTC as local time; None for Invalid Date."""
    tokens = _tokens(text)
    if tokens is None:
        return None
    scanner = _Scanner(tokens)
    state = _State()
    first = _es5_prefix(scanner, state)
    if first is None or not _read(scanner, state, first):
        return None
    return _moment(state)
