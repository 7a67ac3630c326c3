"""d3-format's fixed notation (`,.Nf`), the way AEL's `string` and `formatNumber` write
numbers, in d3's default locale or in one of the locales AEL knows.

d3 formats `Math.abs(value).toFixed(precision)`, groups the digits before the first
character that is not a digit, swaps the decimal point for the locale's, and puts its minus
sign (U+2212 unless the locale says otherwise) before a value that does not round to zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from ._js import MAX_SAFE, number_to_string

MINUS: Final = "\u2212"  # d3-format's minus sign, which the SDK's numbers carry


@dataclass(frozen=True, slots=True)
class NumberLocale:
    """What a d3 locale definition says about numbers."""

    decimal: str = "."
    thousands: str = ","
    grouping: tuple[int, ...] = (3,)
    numerals: str | None = None  # the ten digits, 0 to 9, when not ASCII
    minus: str = MINUS


DEFAULT: Final = NumberLocale()


def to_fixed(value: float | int, precision: int) -> str:
    """`Number.prototype.toFixed` for a finite number >= 0: the exact value rounded half up,
    and `toString()` from 1e21 on."""
    if value >= 1e21:
        return number_to_string(value)
    if type(value) is float:
        text = repr(value)
        point = text.find(".")
        if (
            point >= 0
            and len(text) - point - 1 == precision
            and "e" not in text
            and len(text.replace(".", "").lstrip("0")) <= 15
        ):
            # The shortest digits, when there are at most 15 of them and exactly
            # `precision` after the point, are the nearest such decimal to the double by far
            # (an ulp is under a thousandth of that last place): what toFixed gives.
            return text
    quantum = Decimal(1).scaleb(-precision)
    return f"{Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP):f}"


def _group(digits: str, locale: NumberLocale) -> str:
    parts: list[str] = []
    end = len(digits)
    index = 0
    size = locale.grouping[0]
    while end > 0 and size > 0:
        parts.append(digits[max(end - size, 0) : end])
        end -= size
        index = (index + 1) % len(locale.grouping)
        size = locale.grouping[index]
    return locale.thousands.join(reversed(parts))


def fixed(value: float | int, precision: int, locale: NumberLocale = DEFAULT) -> str:
    """d3 `format(",.{precision}f")(value)` in `locale`."""
    precision = max(0, min(20, precision))
    if (
        type(value) is int
        and locale is DEFAULT
        and -MAX_SAFE <= value <= MAX_SAFE
        and precision <= 12  # as below: within Decimal's 28 digits
    ):
        # The usual case (`string(42)`): an exact integer, grouped as Python groups it.
        text = f"{abs(value):,}"
        if precision:
            text += "." + "0" * precision
        return MINUS + text if value < 0 else text
    if isinstance(value, int) and not -MAX_SAFE <= value <= MAX_SAFE:
        value = float(value)  # a JavaScript number is a double
    if math.isnan(value):
        return "NaN"
    negative = value < 0
    text = "Infinity" if math.isinf(value) else to_fixed(abs(value), precision)
    if negative and not math.isinf(value) and float(text) == 0:
        negative = False  # d3 drops the sign of a value that rounds to zero
    cut = 0
    while cut < len(text) and text[cut].isdigit():
        cut += 1
    whole, suffix = text[:cut], text[cut:]
    if suffix.startswith("."):
        suffix = locale.decimal + suffix[1:]
    out = (locale.minus if negative else "") + _group(whole, locale) + suffix
    if locale.numerals is not None:
        out = out.translate(str.maketrans("0123456789", locale.numerals))
    return out
