"""Number locales for `formatNumber(n, digits, locale)` and `string(n, locale)`.

AEL formats numbers with d3-format and looks the locale up, by its exact name, in a table
of 56 locales it ships (`localeInfo`); any other name (`de`, `de-de`, `xx-YY`) gets d3's
default, which is en-US. The names below are that table's; the symbols come from CLDR
through `babel`, which agrees with AEL's table on 51 of them. Where they differ, the SDK's
value wins so the engine writes what the SDK writes, and tests/test_template_engine.py shows
each difference (`CLDR_DIFFERENCES`).

Dates are another matter: AEL passes the locale to Day.js without loading Day.js locales,
so `formatDateTime(t, 'MMMM', 'fr-FR')` is English in the SDK, and in the engine too.

`babel` is imported on the first call with a locale, never at import time (cold start).
"""

from __future__ import annotations

from functools import cache
from typing import Final

from ._d3 import NumberLocale

# The locales AEL's localeInfo table holds (adaptive-expressions 4.23, src/localeInfo.ts).
SDK_LOCALES: Final = frozenset(
    """
    ar-001 ar-AE ar-BH ar-DJ ar-DZ ar-EG ar-EH ar-ER ar-IL ar-IQ ar-JO ar-KM ar-KW ar-LB
    ar-LY ar-MA ar-MR ar-OM ar-PS ar-QA ar-SA ar-SD ar-SO ar-SS ar-SY ar-TD ar-TN ar-YE
    ca-ES cs-CZ de-CH de-DE en-CA en-GB en-IE en-IN en-US es-BO es-ES es-MX fi-FI fr-CA
    fr-FR he-IL hu-HU it-IT ja-JP ko-KR mk-MK nl-NL pl-PL pt-BR ru-RU sv-SE uk-UA zh-CN
    """.split()
)

_ARABIC_DIGITS: Final = "".join(chr(0x660 + digit) for digit in range(10))

# Where AEL's table and CLDR (babel 2.19) disagree; the SDK's value is what it writes.
CLDR_DIFFERENCES: Final[dict[str, NumberLocale]] = {
    # CLDR now writes Latin digits and "." "," for ar-001 and ar-AE; AEL keeps Arabic ones.
    "ar-001": NumberLocale("\u066b", "\u066c", (3,), _ARABIC_DIGITS),
    "ar-AE": NumberLocale("\u066b", "\u066c", (3,), _ARABIC_DIGITS),
    # CLDR: "." decimal in Swiss German; AEL: ",".
    "de-CH": NumberLocale(",", "'", (3,)),
    # CLDR groups French with a narrow no-break space (U+202F); AEL with U+00A0.
    "fr-FR": NumberLocale(",", "\u00a0", (3,)),
    # CLDR groups Polish with a no-break space; AEL with ".".
    "pl-PL": NumberLocale(",", ".", (3,)),
}

# Numbering systems other than Latin digits that the table's locales use: their zero.
_ZEROS: Final = {"arab": 0x660, "arabext": 0x6F0}


def _grouping(pattern: str) -> tuple[int, ...]:
    """d3's grouping from a CLDR pattern: `#,##,##0.###` -> (3, 2, 2, ...)."""
    whole = pattern.split(";")[0].split(".")[0]
    sizes = [len(part) for part in whole.split(",")]
    if len(sizes) == 1:
        return (0,)
    primary = sizes[-1]
    secondary = sizes[-2] if len(sizes) > 2 else primary
    # d3 cycles through its list; AEL's tables repeat the secondary size nine times.
    return (primary,) if secondary == primary else (primary, *[secondary] * 9)


@cache
def cldr_locale(name: str) -> NumberLocale:
    """The d3 locale CLDR gives for `name` (a locale name like `de-DE`)."""
    from babel import Locale  # lazy: see the module docstring

    locale = Locale.parse(name.replace("-", "_"))
    system = locale.default_numbering_system
    symbols = locale.number_symbols.get(system) or locale.number_symbols["latn"]
    pattern = locale.decimal_formats[None].pattern
    zero = _ZEROS.get(system)
    numerals = None if zero is None else "".join(chr(zero + digit) for digit in range(10))
    return NumberLocale(symbols["decimal"], symbols["group"], _grouping(pattern), numerals)


def number_locale(name: object) -> NumberLocale | None:
    """The locale AEL formats numbers in for `name`; None for d3's default (en-US)."""
    if not isinstance(name, str) or name not in SDK_LOCALES:
        return None
    return CLDR_DIFFERENCES.get(name) or cldr_locale(name)
