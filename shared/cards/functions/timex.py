"""The TIMEX functions: resolve, dateReadBack, and the tests isDefinite, isTime, isDuration, isDate,
isTimeRange, isDateRange and isPresent, over a TIMEX string ("2024-05-01", "XXXX-WXX-3",
"T14:30", "PT2H", "TEV", "PRESENT_REF", "(2024-05-01,2024-05-08,P7D)") or an object of
TIMEX fields.

AEL builds a TimexProperty (recognizers-text's timex-expression package) and tests which
of its fields are set. The package's parsing is a table of regular expressions, written
again here from its definition (timexParsing/timexRegex in recognizers-text); a text that
matches none of them has no fields, so every test is false for it. `resolve` writes the
TIMEX back (the package's timexFormat) and resolves that text with its valueResolver, which
AEL calls without a reference date: what needs one (a date without a year, a weekday) fails.
`dateReadBack` words a date relative to another as the package's English converter does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, Final

from .._js import UNDEFINED, normalize_number, number_to_string, template_string, to_string
from .._scope import EvalError
from .base import BOOLEAN, STRING, FunctionTable, Spec, apply, arity_any, order, verify_string

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
            values = [_number(group) for group in match.groups()] + [0, 0]
            fields = dict(zip(names, values, strict=False))
            if names[-1] == "weekend":
                fields["weekend"] = True
            return fields
    return {}


def _duration(text: str) -> Fields:
    match = _PERIOD.fullmatch(text)
    if not match:
        return {}
    if match.group(2):
        return {_DATE_UNITS[match.group(2)]: _number(match.group(1))}
    return {_TIME_UNITS[match.group(4)]: _number(match.group(3))}


def _number(text: str) -> Any:
    """Number(text) for the digits the patterns capture; other captures stay text."""
    if text[:1].isdigit() or text[:1] == ".":
        return normalize_number(float(text))
    return text


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


# --- resolve ---------------------------------------------------------------------------

_DURATION_FIELDS: Final = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")
_DATE_TIME_FIELDS: Final = (
    "year",
    "month",
    "dayOfMonth",
    "dayOfWeek",
    "weekOfYear",
    "weekOfMonth",
    "season",
    "hour",
    "minute",
    "second",
    "weekend",
    "partOfDay",
)


def _infer(f: Fields) -> set[str]:
    """timexInference.infer: the TIMEX's types."""
    types = {name for name, test in _TYPE_TESTS.items() if test(f)}
    if "present" in types:
        types |= {"date", "time"}
    if {"time", "duration"} <= types:
        types.add("timerange")
    if {"date", "time"} <= types:
        types.add("datetime")
    if {"date", "duration"} <= types:
        types.add("daterange")
    if {"datetime", "duration"} <= types or {"date", "timerange"} <= types:
        types.add("datetimerange")
    return types


def _fixed(value: Any, size: int) -> str:
    text = to_string(value)
    return "0" * (size - len(text)) + text


def _format_date(f: Fields) -> str:
    if _has(f, "year", "month", "dayOfMonth"):
        return f"{_fixed(f['year'], 4)}-{_fixed(f['month'], 2)}-{_fixed(f['dayOfMonth'], 2)}"
    if _has(f, "month", "dayOfMonth"):
        return f"XXXX-{_fixed(f['month'], 2)}-{_fixed(f['dayOfMonth'], 2)}"
    if "dayOfWeek" in f:
        return f"XXXX-WXX-{template_string(f['dayOfWeek'])}"
    return ""


def _format_date_range(f: Fields) -> str:
    if _has(f, "year", "weekOfYear", "weekend"):
        return f"{_fixed(f['year'], 4)}-W{_fixed(f['weekOfYear'], 2)}-WE"
    if _has(f, "year", "weekOfYear"):
        return f"{_fixed(f['year'], 4)}-W{_fixed(f['weekOfYear'], 2)}"
    if _has(f, "year", "season"):
        return f"{_fixed(f['year'], 4)}-{template_string(f['season'])}"
    if "season" in f:
        return template_string(f["season"])
    if _has(f, "year", "month"):
        return f"{_fixed(f['year'], 4)}-{_fixed(f['month'], 2)}"
    if "year" in f:
        return _fixed(f["year"], 4)
    if _has(f, "month", "weekOfMonth", "dayOfWeek"):
        week, day = template_string(f["weekOfMonth"]), template_string(f["dayOfWeek"])
        return f"XXXX-{_fixed(f['month'], 2)}-WXX-{week}-{day}"
    if _has(f, "month", "weekOfMonth"):
        return f"XXXX-{_fixed(f['month'], 2)}-WXX-{template_string(f['weekOfMonth'])}"
    if "month" in f:
        return f"XXXX-{_fixed(f['month'], 2)}"
    return ""


def _format_time(f: Fields) -> str:
    hour, minute, second = f.get("hour", UNDEFINED), f.get("minute"), f.get("second")
    if minute == 0 and second == 0 and minute is not False and second is not False:
        return f"T{_fixed(hour, 2)}"
    if second == 0 and second is not False:
        return f"T{_fixed(hour, 2)}:{_fixed(minute, 2)}"
    return f"T{_fixed(hour, 2)}:{_fixed(minute, 2)}:{_fixed(second, 2)}"


def _format_duration(f: Fields) -> str:
    for name, unit in zip(
        _DURATION_FIELDS, ("PY", "PM", "PW", "PD", "PTH", "PTM", "PTS"), strict=True
    ):
        if name in f:
            return f"{unit[:-1]}{template_string(f[name])}{unit[-1]}"
    return ""


def _format(f: Fields) -> str:
    """timexFormat.format: the TIMEX text of `f` (TimexProperty's `timex`)."""
    types = _infer(f)
    if "present" in types:
        return "PRESENT_REF"
    if types & {"datetimerange", "daterange", "timerange"} and "duration" in types:
        start = {key: value for key, value in f.items() if key not in _DURATION_FIELDS}
        duration = {key: value for key, value in f.items() if key not in _DATE_TIME_FIELDS}
        # The end (start plus duration) is the middle part, which parsing skips.
        return f"({_format(start)},,{_format(duration)})"
    part_of_day = f"T{template_string(f['partOfDay'])}" if "partOfDay" in f else ""
    if "datetimerange" in types:
        return _format_date(f) + part_of_day
    if "daterange" in types:
        return _format_date_range(f)
    if "timerange" in types:
        return part_of_day
    if "datetime" in types:
        return _format_date(f) + _format_time(f)
    if "duration" in types:
        return _format_duration(f)
    if "date" in types:
        return _format_date(f)
    if "time" in types:
        return _format_time(f)
    return ""


class _NeedsReferenceDate(Exception):
    """The resolver read the reference date, which AEL never passes (a TypeError there)."""


def _date_value(f: Fields) -> Any:
    if _has(f, "year", "month", "dayOfMonth"):
        return f"{_fixed(f['year'], 4)}-{_fixed(f['month'], 2)}-{_fixed(f['dayOfMonth'], 2)}"
    return ""


def _time_value(f: Fields) -> str:
    if _has(f, "hour", "minute", "second"):
        return f"{_fixed(f['hour'], 2)}:{_fixed(f['minute'], 2)}:{_fixed(f['second'], 2)}"
    return ""


def _relative_date(f: Fields) -> Any:
    """resolveDate's value (the last of the two candidates is never read): it needs the
    reference date for a month and day or a weekday, and is undefined otherwise."""
    if _has(f, "month", "dayOfMonth") or "dayOfWeek" in f:
        raise _NeedsReferenceDate
    return UNDEFINED


_SECONDS: Final = (31536000, 2592000, 604800, 86400, 3600, 60, 1)


def _resolved_value(f: Fields) -> Any:
    """valueResolver.resolve([timex]).values[0].value, as resolveTimex chooses it."""
    types = _infer(f)
    if "datetimerange" in types:
        return UNDEFINED  # a range has a start and an end, not a value
    if {"definite", "time"} <= types:
        return f"{_date_value(f)} {_time_value(f)}"
    if {"definite", "daterange"} <= types:
        return UNDEFINED
    if "definite" in types:
        return _date_value(f)
    if "daterange" in types:
        if "season" in f:
            return "not resolved"
        if _has(f, "year", "month") or _has(f, "year", "weekOfYear"):
            return UNDEFINED
        if "month" in f:
            raise _NeedsReferenceDate
        if "year" in f:
            return UNDEFINED
        raise _NeedsReferenceDate  # no candidate at all: values[0] is undefined
    if "timerange" in types:
        return UNDEFINED
    if "datetime" in types:
        return f"{template_string(_relative_date(f))} {_time_value(f)}"
    if "duration" in types:
        for name, seconds in zip(_DURATION_FIELDS, _SECONDS, strict=True):
            if name in f:
                return number_to_string(normalize_number(seconds * f[name]))
        return ""
    if "date" in types:
        return _relative_date(f)
    if "time" in types:
        return _time_value(f)
    raise _NeedsReferenceDate


def _resolve(args: list[Any]) -> Any:
    fields = _timex_fields(args[0])
    if not _infer(fields):
        raise EvalError(f"The parsed TimexProperty of {template_string(args[0])} has no types.")
    text = _format(fields)
    try:
        return _resolved_value(parse_timex(text))
    except _NeedsReferenceDate:
        raise EvalError(f"{template_string(args[0])} is not a valid argument.") from None


# --- dateReadBack ------------------------------------------------------------------------

_DAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# The package's own spelling, "Februrary" included.
_MONTHS: Final = (
    "January",
    "Februrary",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# By the last digit only, as the package does ("11st", "12nd").
_ORDINAL: Final = ("th", "st", "nd", "rd", "th", "th", "th", "th", "th", "th")


def _week_of(day: date, start: date) -> bool:
    return start <= day < start + timedelta(days=7)


def _relative_words(day: date, reference: date) -> str:
    """convertTimexToStringRelative for a definite date (timexRelativeConvert.convertDate):
    weeks start on Sunday, as JavaScript's getDay counts."""
    if day == reference:
        return "today"
    if day == reference + timedelta(days=1):
        return "tomorrow"
    if day == reference - timedelta(days=1):
        return "yesterday"
    name = _DAYS[day.weekday()]
    sunday = reference - timedelta(days=(reference.weekday() + 1) % 7)
    if _week_of(day, sunday):
        return f"this {name}"
    if _week_of(day, sunday + timedelta(days=7)):
        return f"next {name}"
    if _week_of(day, sunday - timedelta(days=7)):
        return f"last {name}"
    number = str(day.day)
    return f"{number}{_ORDINAL[int(number[-1])]} {_MONTHS[day.month - 1]} {day.year}"


def _date_read_back(args: list[Any]) -> Any:
    # Imported here: dates imports the registry's base module too.
    from .dates import iso_moment

    reference = iso_moment(args[0])
    moment = iso_moment(args[1])
    # Both read in the process time zone, which the SDK's differential test pins to UTC.
    return _relative_words(moment.date(), reference.date())


_TYPE_TESTS: Final[dict[str, Callable[[Fields], bool]]] = {
    "present": _TESTS["isPresent"],
    "definite": _TESTS["isDefinite"],
    "date": _TESTS["isDate"],
    "daterange": _TESTS["isDateRange"],
    "duration": _TESTS["isDuration"],
    "time": _TESTS["isTime"],
    "timerange": _TESTS["isTimeRange"],
}


def register(table: FunctionTable) -> None:
    """Add this family's functions to `table`."""
    for name, check in _TESTS.items():
        table[name] = Spec(BOOLEAN, arity_any(1, 1), apply(_test(check)))
    table["resolve"] = Spec(STRING, arity_any(1, 1), apply(_resolve))
    table["dateReadBack"] = Spec(
        STRING, order([], STRING, STRING), apply(_date_read_back, verify_string)
    )
