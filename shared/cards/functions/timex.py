"""The TIMEX tests: isDefinite, isTime, isDuration, isDate, isTimeRange, isDateRange and
isPresent, over a TIMEX string ("2024-05-01", "XXXX-WXX-3", "T14:30", "PT2H", "TEV",
"PRESENT_REF", "(2024-05-01,2024-05-08,P7D)") or an object of TIMEX fields.

AEL builds a TimexProperty (recognizers-text's timex-expression package) and tests which
of its fields are set. The package's parsing is a table of regular expressions, written
again here from its definition (timexParsing/timexRegex in recognizers-text); a text that
matches none of them has no fields, so every test is false for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from .._js import UNDEFINED, template_string
from .._scope import EvalError
from .base import BOOLEAN, FunctionTable, Spec, apply, arity_any

Fields = dict[str, Any]

# (pattern, field names) per kind, in the package's order: the first match wins.
_DATE: Final = (
    (r"(\d\d\d\d)-(\d\d)-(\d\d)", ("year", "month", "dayOfMonth")),
    (r"XXXX-WXX-(\d)", ("dayOfWeek",)),
    (r"XXXX-(\d\d)-(\d\d)", ("month", "dayOfMonth")),
    (r"(\d\d\d\d)", ("year",)),
    (r"(\d\d\d\d)-(\d\d)", ("year", "month")),
    (r"(SP|SU|FA|WI)", ("season",)),
    (r"(\d\d\d\d)-(SP|SU|FA|WI)", ("year", "season")),
    (r"(\d\d\d\d)-W(\d\d)", ("year", "weekOfYear")),
    (r"(\d\d\d\d)-W(\d\d)-WE", ("year", "weekOfYear", "weekend")),
    (r"XXXX-(\d\d)", ("month",)),
    (r"XXXX-(\d\d)-W(\d\d)", ("month", "weekOfMonth")),
    (r"XXXX-(\d\d)-WXX-(\d)-(\d)", ("month", "weekOfMonth", "dayOfWeek")),
)
_TIME: Final = (
    (r"T(\d\d)", ("hour", "minute", "second")),
    (r"T(\d\d):(\d\d)", ("hour", "minute", "second")),
    (r"T(\d\d):(\d\d):(\d\d)", ("hour", "minute", "second")),
    (r"T(DT|NI|MO|AF|EV)", ("partOfDay",)),
)
_DATE_RE: Final = tuple((re.compile(pattern), names) for pattern, names in _DATE)
_TIME_RE: Final = tuple((re.compile(pattern), names) for pattern, names in _TIME)
_PERIOD: Final = re.compile(r"P(?:(\d*\.?\d+)([YMWD])|T(\d*\.?\d+)([HMS]))")
_DATE_UNITS: Final = {"Y": "years", "M": "months", "W": "weeks", "D": "days"}
_TIME_UNITS: Final = {"H": "hours", "M": "minutes", "S": "seconds"}


def _extract(table: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...], text: str) -> Fields:
    for pattern, names in table:
        match = pattern.fullmatch(text)
        if match:
            # Only whether a field is set matters to the tests; missing minutes and
            # seconds of a time are zero.
            values = [*match.groups(), 0, 0]
            return dict(zip(names, values, strict=False))
    return {}


def _duration(text: str) -> Fields:
    match = _PERIOD.fullmatch(text)
    if not match:
        return {}
    if match.group(2):
        return {_DATE_UNITS[match.group(2)]: match.group(1)}
    return {_TIME_UNITS[match.group(4)]: match.group(3)}


def _date_time(text: str) -> Fields:
    split = text.find("T")
    if split == -1:
        return _extract(_DATE_RE, text)
    return {**_extract(_DATE_RE, text[:split]), **_extract(_TIME_RE, text[split:])}


def parse_timex(text: str) -> Fields:
    """The fields TimexProperty's parseString sets for `text`."""
    if text == "PRESENT_REF":
        return {"now": True}
    if text.startswith("P"):
        return _duration(text)
    if text.startswith("(") and text.endswith(")"):
        parts = text[1:-1].split(",")
        return {**_date_time(parts[0]), **_duration(parts[2])} if len(parts) == 3 else {}
    return _date_time(text)


def _timex_fields(value: Any) -> Fields:
    """AEL's parseTimexProperty: a string is parsed, an object's own fields are taken (an
    `hour` brings minute and second), and anything with no own field is an error."""
    if isinstance(value, str):
        return parse_timex(value)
    fields: Fields = {}
    if isinstance(value, dict):
        fields = {key: item for key, item in value.items() if item is not UNDEFINED}
    elif isinstance(value, list):
        fields = {str(index): item for index, item in enumerate(value)}
    if not fields:
        raise EvalError(
            f"{template_string(value)} requires a TimexProperty or a string as a argument"
        )
    if "hour" in fields:
        fields.setdefault("minute", 0)
        fields.setdefault("second", 0)
    return fields


def _has(fields: Fields, *names: str) -> bool:
    # AEL tests `parsed.name !== undefined`: a field set to null counts.
    return all(name in fields for name in names)


_TESTS: Final[dict[str, Callable[[Fields], bool]]] = {
    "isDefinite": lambda f: _has(f, "year", "month", "dayOfMonth"),
    "isTime": lambda f: _has(f, "hour", "minute", "second"),
    "isDuration": lambda f: any(
        name in f for name in ("years", "months", "weeks", "days", "hours", "minutes", "seconds")
    ),
    "isDate": lambda f: _has(f, "month", "dayOfMonth") or "dayOfWeek" in f,
    "isTimeRange": lambda f: "partOfDay" in f,
    "isDateRange": lambda f: (
        (_has(f, "year") and "dayOfMonth" not in f)
        or (_has(f, "month") and "dayOfMonth" not in f)
        or any(name in f for name in ("season", "weekOfYear", "weekOfMonth"))
    ),
    "isPresent": lambda f: "now" in f,
}


def _test(check: Callable[[Fields], bool]) -> Callable[[list[Any]], bool]:
    def run(args: list[Any]) -> bool:
        return check(_timex_fields(args[0]))

    return run


def register(table: FunctionTable) -> None:
    """Add this family's functions to `table`."""
    for name, check in _TESTS.items():
        table[name] = Spec(BOOLEAN, arity_any(1, 1), apply(_test(check)))
