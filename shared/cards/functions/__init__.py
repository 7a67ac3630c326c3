"""Every Adaptive Expressions function the engine implements, one module per family.

Each family module exposes `register(table)`; importing this package fills `FUNCTIONS`
(the registry `base.return_type` and the compiler read; stringOrValue, which compiles text,
and setPathToValue (setpath.py), which compiles the indices in its path, are added by
_compile.py). `AEL_FUNCTION_NAMES` is every name AEL defines, so a call to one this engine
does not implement is refused when the template is compiled.
"""

from __future__ import annotations

from typing import Final

from . import (
    arithmetic,
    conversions,
    dates,
    expressions,
    jpath,
    lists,
    logic,
    objects,
    strings,
    timex,
    uris,
    xml,
)
from .base import FUNCTIONS

for _family in (
    arithmetic,
    logic,
    conversions,
    strings,
    lists,
    objects,
    dates,
    uris,
    expressions,
    xml,
    timex,
    jpath,
):
    _family.register(FUNCTIONS)

# Every name AEL defines (expressionType.ts plus its aliases): a call to one we do not
# implement is refused when the template is compiled, never silently misread.
AEL_FUNCTION_NAMES: Final = frozenset(
    """
    + - * / min max ^ % average sum count range floor ceiling round abs sqrt < <= == !=
    > >= exists contains empty && || ! concat length replace replaceIgnoreCase split
    substring toLower toUpper trim join endsWith startsWith countWord addOrdinal newGuid
    indexOf lastIndexOf EOL sentenceCase titleCase addDays addHours addMinutes
    addSeconds dayOfMonth dayOfWeek dayOfYear month date year utcNow formatDateTime
    formatEpoch formatTicks subtractFromTime dateReadBack getTimeOfDay getFutureTime
    getPastTime convertFromUTC convertToUTC addToTime startOfDay startOfHour
    startOfMonth ticks ticksToDays ticksToHours ticksToMinutes dateTimeDiff isDefinite
    isTime isDuration isDate isTimeRange isDateRange isPresent getNextViableDate
    getPreviousViableDate getNextViableTime getPreviousViableTime resolve float int
    string bool binary dataUri dataUriToBinary dataUriToString uriComponent
    uriComponentToString formatNumber jsonStringify createArray first last foreach
    select where union intersection skip take filterNotEqual subArray sortBy
    sortByDescending indicesAndValues flatten unique reverse any all if rand json
    addProperty removeProperty setProperty getProperty coalesce jPath setPathToValue
    merge xml xPath uriHost uriPath uriPathAndQuery uriPort uriQuery uriScheme isMatch
    isString isInteger isArray isObject isFloat isDateTime isBoolean stringOrValue
    ignore optional add mul div sub exp mod and equals greater greaterOrEquals less
    lessOrEquals not or & ??
    """.split()
)

_CLOCK = "its value depends on the time it runs, so the card would differ from run to run"

# What the engine refuses when a template is compiled, and why (docs/templates.md and the
# README list these; tests/cards/test_refused.py keeps the lists equal to this table).
REFUSED: Final = {
    "newGuid": "its value is random, so the card would differ from run to run",
    "rand": "its value is random, so the card would differ from run to run",
    "getFutureTime": _CLOCK,
    "getPastTime": _CLOCK,
    "getNextViableDate": _CLOCK,
    "getNextViableTime": _CLOCK,
    "getPreviousViableDate": _CLOCK,
    "getPreviousViableTime": _CLOCK,
}

__all__ = ["AEL_FUNCTION_NAMES", "FUNCTIONS", "REFUSED"]
