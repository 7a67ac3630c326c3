"""Every Adaptive Expressions function the engine implements, one module per family.

Each family module exposes `register(table)`; importing this package fills `FUNCTIONS`
(the registry `base.return_type` and the compiler read). `AEL_FUNCTION_NAMES` is every
name AEL defines, so a call to one this engine does not implement is refused when the
template is compiled.
"""

from __future__ import annotations

from typing import Final

from . import arithmetic, conversions, dates, lists, logic, objects, strings, uris
from .base import FUNCTIONS

for _family in (arithmetic, logic, conversions, strings, lists, objects, dates, uris):
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

__all__ = ["AEL_FUNCTION_NAMES", "FUNCTIONS"]
