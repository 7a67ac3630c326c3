"""JavaScript value semantics that the official SDK's output depends on.

The reference implementation is JavaScript, so numbers print the way JavaScript prints
them, `undefined` differs from `null`, and objects turn into strings the way
`Array.prototype.toString` and `JSON.stringify` turn them. Only what the engine needs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final


class _Undefined:
    """JavaScript's `undefined`: a missing value, distinct from JSON `null` (None)."""

    __slots__ = ()
    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "undefined"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = _Undefined()

# What String.prototype.trim() removes (JavaScript's WhiteSpace and LineTerminator).
JS_WHITESPACE: Final = (
    " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


@dataclass(frozen=True, slots=True)
class BigInt:
    """A `big-integer` value, which AEL's `ticks` returns: not a JavaScript number (no
    arithmetic, `isNumber` false), written as its digits, in JSON as a string of them."""

    value: int

    def __str__(self) -> str:
        return str(self.value)


class JSBytes(bytes):
    """A Uint8Array, which AEL's `binary` and `dataUriToBinary` return: written as its
    numbers joined by commas, and in JSON as an object keyed by index."""

    __slots__ = ()

    def as_object(self) -> dict[str, int]:
        return {str(index): byte for index, byte in enumerate(self)}


def utf8_encode(text: str) -> JSBytes:
    """TextEncoder.encode: UTF-8, each lone surrogate as U+FFFD (Python's "replace"
    would write "?")."""
    return JSBytes(re.sub("[\ud800-\udfff]", "\ufffd", text).encode("utf-8"))


class JSTypeError(Exception):
    """Where JavaScript itself would throw a TypeError (e.g. `null.toString()`)."""


def is_nullish(value: Any) -> bool:
    return value is None or value is UNDEFINED


def is_number(value: Any) -> bool:
    """AEL's FunctionUtils.isNumber: a number that is not NaN."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and not math.isnan(value)


def is_integer(value: Any) -> bool:
    """Number.isInteger."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value.is_integer()


# Integers JavaScript holds exactly; a number beyond is a double, rounded as one.
MAX_SAFE: Final = 2**53


def normalize_number(value: float | int) -> float | int:
    """A number as JavaScript holds it: integral doubles as Python ints (so they print as
    integers) while they are exact, and an integer too large for a double's 53 bits as the
    double JavaScript would hold (`JSON.parse` and arithmetic round it so)."""
    if isinstance(value, int):
        if -MAX_SAFE <= value <= MAX_SAFE or isinstance(value, bool):
            return value
        return float(value)
    if value.is_integer() and -MAX_SAFE <= value <= MAX_SAFE:
        return int(value)
    return value


def js_value(value: Any) -> Any:
    """A value read from the data as the SDK reads it through `JSON.parse`: an integer
    beyond 2^53 becomes the double it rounds to; everything else is as it is."""
    if type(value) is int and not -MAX_SAFE <= value <= MAX_SAFE:
        return float(value)
    return value


def json_number(value: float | int) -> float | int:
    """The Python number that `json.dumps` writes as JSON.stringify writes `value`:
    `30.0` -> 30, `-0.0` -> 0, 1.2345678901234567e19 -> 12345678901234567000 (the digits
    Number::toString gives, not the double's exact binary value), 1e21 stays `1e+21`."""
    value = normalize_number(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(number_to_string(value))
    return value


def number_to_string(value: float | int) -> str:
    """Number.prototype.toString() (ECMAScript Number::toString) for any number."""
    if isinstance(value, int):
        if -MAX_SAFE <= value <= MAX_SAFE:
            return str(value)
        value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    if value.is_integer():
        if abs(value) <= MAX_SAFE:
            return str(int(value))
    else:
        text = repr(value)
        if "e" not in text:
            # Python writes positional notation for 1e-4 <= |value| < 1e16, a range where
            # Number::toString does too, with the same shortest digits (see below).
            return text
    sign = "-" if value < 0 else ""
    # repr gives the shortest digits that read back as the same double, nearest the value
    # on a tie: the digits Number::toString picks.
    decimal = Decimal(repr(abs(value)))
    _, digit_tuple, exponent = decimal.as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    exponent += len(digit_tuple) - len(digits)
    exponent = exponent + len(digits) - 1
    # ECMAScript Number::toString: decimal between 1e-7 and 1e21, exponent form outside.
    n = exponent + 1
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    exp_text = f"{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"
    if k == 1:
        return f"{sign}{digits}e{exp_text}"
    return f"{sign}{digits[0]}.{digits[1:]}e{exp_text}"


def to_string(value: Any) -> str:
    """`value.toString()`; raises JSTypeError for null and undefined as JavaScript does."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return number_to_string(value)
    if isinstance(value, list):
        return ",".join("" if is_nullish(item) else to_string(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, BigInt):
        return str(value)
    if isinstance(value, JSBytes):
        return ",".join(str(byte) for byte in value)
    if value is None:
        raise JSTypeError("Cannot read properties of null (reading 'toString')")
    if value is UNDEFINED:
        raise JSTypeError("Cannot read properties of undefined (reading 'toString')")
    return str(value)


def template_string(value: Any) -> str:
    """`${value}` in a JavaScript template literal (String(value))."""
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    return to_string(value)


_JSON_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
# Control characters, and lone surrogates, which JSON.stringify writes as escapes (a
# surrogate in a Python string is always a lone one: pairs are one astral character).
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f\ud800-\udfff]')


def _json_quote(text: str) -> str:
    def escape(match: re.Match[str]) -> str:
        char = match.group()
        return _JSON_ESCAPES.get(char) or f"\\u{ord(char):04x}"

    return '"' + _NEEDS_ESCAPE.sub(escape, text) + '"'


def json_stringify(value: Any) -> str | None:
    """JSON.stringify(value) with no indentation; None where JavaScript returns undefined."""
    if value is UNDEFINED:
        return None
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _json_quote(value)
    if isinstance(value, BigInt):
        return _json_quote(str(value))  # big-integer's toJSON gives its digits as text
    if isinstance(value, int | float):
        return number_to_string(value) if math.isfinite(value) else "null"
    if isinstance(value, JSBytes):
        value = value.as_object()
    if isinstance(value, list):
        return "[" + ",".join(json_stringify(item) or "null" for item in value) + "]"
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            text = json_stringify(item)
            if text is not None:
                parts.append(_json_quote(str(key)) + ":" + text)
        return "{" + ",".join(parts) + "}"
    return None


def common_stringify(value: Any) -> str:
    """AEL's InternalFunctionUtils.commonStringify."""
    if is_nullish(value):
        return ""
    if isinstance(value, dict | list | JSBytes):
        text = json_stringify(value) or ""
        return text.lstrip("'\"").rstrip("'\"")
    return to_string(value)


def strict_equals(left: Any, right: Any) -> bool:
    """`===` for JSON values (objects compare by identity)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left is right
    if is_number(left) and is_number(right):
        return bool(left == right)
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    if is_nullish(left) or is_nullish(right):
        return left is right
    return left is right


def deep_equal(left: Any, right: Any) -> bool:
    """lodash isEqual on JSON values: structural, with booleans never equal to numbers."""
    if isinstance(left, dict) and isinstance(right, dict):
        if len(left) != len(right):
            return False
        return all(key in right and deep_equal(item, right[key]) for key, item in left.items())
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            deep_equal(a, b) for a, b in zip(left, right, strict=True)
        )
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left):
        return math.isnan(right)
    if isinstance(left, JSBytes) and isinstance(right, JSBytes):
        return bytes(left) == bytes(right)
    return strict_equals(left, right)


def common_equals(left: Any, right: Any) -> bool:
    """AEL's FunctionUtils.commonEquals."""
    if is_nullish(left) or is_nullish(right):
        return is_nullish(left) and is_nullish(right)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            common_equals(a, b) for a, b in zip(left, right, strict=True)
        )
    if isinstance(left, dict) and isinstance(right, dict):
        return deep_equal(left, right)
    if is_number(left) and is_number(right) and abs(left - right) < 2.220446049250313e-16:
        return True
    if isinstance(left, BigInt) and isinstance(right, BigInt):
        return left == right  # lodash isEqual compares the two objects' fields
    if isinstance(left, JSBytes) and isinstance(right, JSBytes):
        return bytes(left) == bytes(right)  # lodash isEqual compares typed arrays' contents
    return strict_equals(left, right)


def is_logic_true(value: Any) -> bool:
    """AEL's truthiness: booleans are themselves, null/undefined are false, all else true."""
    if isinstance(value, bool):
        return value
    return not is_nullish(value)


def js_truthy(value: Any) -> bool:
    """JavaScript's own truthiness (`!value`), used where the SDK tests `if (!x)`."""
    if is_nullish(value) or value is False:
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


_PARSE_INT = re.compile(r"^[" + re.escape(JS_WHITESPACE) + r"]*([+-]?\d+)")


def parse_int(value: Any) -> int | None:
    """parseInt(String(value), 10); None for NaN."""
    text = value if isinstance(value, str) else template_string(value)
    match = _PARSE_INT.match(text)
    return int(match.group(1)) if match else None


_PARSE_FLOAT = re.compile(
    r"^[" + re.escape(JS_WHITESPACE) + r"]*([+-]?(?:Infinity|\d+\.?\d*(?:[eE][+-]?\d+)?"
    r"|\.\d+(?:[eE][+-]?\d+)?))"
)


def parse_float(text: str) -> float | int | None:
    """parseFloat(text); None for NaN."""
    match = _PARSE_FLOAT.match(text)
    if not match:
        return None
    return normalize_number(float(match.group(1)))


def utf16_len(text: str) -> int:
    """String length in UTF-16 code units, as JavaScript counts it."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def to_utf16(text: str) -> str | list[str]:
    """Text as indexable UTF-16 units where it has astral characters, else the text itself."""
    if text.isascii() or all(ord(char) <= 0xFFFF for char in text):
        return text
    units: list[str] = []
    for char in text:
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            units.append(chr(0xD800 + (code >> 10)))
            units.append(chr(0xDC00 + (code & 0x3FF)))
        else:
            units.append(char)
    return units


def from_utf16(units: str | list[str]) -> str:
    if isinstance(units, str):
        return units
    # Pairs join back into their character; a surrogate left alone by a cut stays as it
    # is, as in JavaScript (JSON writes it as a \\uXXXX escape).
    joined = "".join(units)
    return joined.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def js_trim(text: str) -> str:
    return text.strip(JS_WHITESPACE)


_JS_DECIMAL: Final = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_JS_RADIX: Final = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")


def js_number(value: Any) -> float | int:
    """`Number(value)` for a primitive (JSON values, undefined); a number stays as it is."""
    if value is None or value is False:
        return 0
    if value is True:
        return 1
    if is_number(value):
        return value  # type: ignore[no-any-return]
    if isinstance(value, str):
        text = js_trim(value)
        if text == "":
            return 0
        if _JS_DECIMAL.fullmatch(text):
            return float(text)
        if text in ("Infinity", "+Infinity", "-Infinity"):
            return -math.inf if text[0] == "-" else math.inf
        if _JS_RADIX.fullmatch(text):
            return float(int(text, 0))
    return math.nan


def utf16_key(text: str) -> bytes:
    """A sort key that orders strings by UTF-16 code units, as JavaScript compares them
    (big-endian bytes compare unit by unit)."""
    return text.encode("utf-16-be", "surrogatepass")


def js_greater(left: Any, right: Any) -> bool:
    """`left > right` for JSON values, by JavaScript's abstract relational comparison."""
    if isinstance(left, dict | list):
        left = template_string(left)
    if isinstance(right, dict | list):
        right = template_string(right)
    if isinstance(left, str) and isinstance(right, str):
        return utf16_key(left) > utf16_key(right)
    return js_number(left) > js_number(right)
