"""JavaScript regular expressions (without the `u` flag) run by Python's `re`.

AEL's `isMatch` and `replaceIgnoreCase` hand their pattern to JavaScript's RegExp. Most of
the syntax means the same in both; what differs is rewritten here: `\\d`, `\\w`, `\\b` are
ASCII in JavaScript, `\\s` is JavaScript's whitespace, `.` stops at any line terminator,
`$` is the very end (without `m`), named groups are `(?<name>)` and `\\k<name>`, and
`[^]` is any character. `replace_js` applies a JavaScript replacement string ($&, $1, ...).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ._js import JS_WHITESPACE

_SPACE = "".join(f"\\u{ord(char):04x}" for char in JS_WHITESPACE)
_LINE_ENDS = "\\n\\r\\u2028\\u2029"
_CLASS_ESCAPES = {
    "d": "0-9",
    "w": "A-Za-z0-9_",
    "s": _SPACE,
}
_ESCAPES = {
    "d": "[0-9]",
    "D": "[^0-9]",
    "w": "[A-Za-z0-9_]",
    "W": "[^A-Za-z0-9_]",
    "s": f"[{_SPACE}]",
    "S": f"[^{_SPACE}]",
    "b": "(?:(?<=[A-Za-z0-9_])(?![A-Za-z0-9_])|(?<![A-Za-z0-9_])(?=[A-Za-z0-9_]))",
    "B": "(?:(?<=[A-Za-z0-9_])(?=[A-Za-z0-9_])|(?<![A-Za-z0-9_])(?![A-Za-z0-9_]))",
}


def translate(source: str, flags: str) -> str:
    """The Python pattern for a JavaScript pattern with `flags` (of "gimsy")."""
    out: list[str] = []
    index = 0
    in_class = False
    while index < len(source):
        char = source[index]
        if char == "\\" and index + 1 < len(source):
            following = source[index + 1]
            if in_class and following in _CLASS_ESCAPES:
                out.append(_CLASS_ESCAPES[following])
            elif in_class and following in "DWSbB":
                raise ValueError("negated class escape inside a class")
            elif following in _ESCAPES:
                out.append(_ESCAPES[following])
            elif following == "k" and source.startswith("<", index + 2):
                end = source.index(">", index)
                out.append(f"(?P={source[index + 3 : end]})")
                index = end + 1
                continue
            elif following == "c" or (following == "u" and source.startswith("{", index + 2)):
                raise ValueError("escape with no Python equivalent")
            else:
                out.append(source[index : index + 2])
            index += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            elif char == "[":
                out.append("\\[")
                index += 1
                continue
            out.append(char)
        elif char == "[":
            if source.startswith("[^]", index):
                out.append("[\\s\\S]")
                index += 3
                continue
            if source.startswith("[]", index):
                out.append("(?!)")
                index += 2
                continue
            in_class = True
            out.append(char)
            if source.startswith("[^", index):
                out.append("^")
                index += 1
            if source.startswith("]", index + 1):
                out.append("\\]")
                index += 1
        elif char == ".":
            out.append("[\\s\\S]" if "s" in flags else f"[^{_LINE_ENDS}]")
        elif char == "$":
            out.append(f"(?=[{_LINE_ENDS}]|\\Z)" if "m" in flags else "\\Z")
        elif char == "^" and "m" in flags:
            out.append(f"(?:(?<=[{_LINE_ENDS}])|\\A)")
        elif char == "(" and source.startswith("(?<", index) and source[index + 3] not in "=!":
            out.append("(?P<")
            index += 3
            continue
        else:
            out.append(char)
        index += 1
    return "".join(out)


@lru_cache(maxsize=256)
def compile_js(source: str, flags: str = "") -> re.Pattern[str]:
    """Raises ValueError (re.error is one) for a pattern this cannot run as JavaScript does."""
    # Unicode case-insensitivity, as JavaScript's `i` (which upper-cases both sides);
    # \d, \w and \b are spelled out in ASCII above.
    options = re.IGNORECASE if "i" in flags else 0
    try:
        return re.compile(translate(source, flags), options)
    except re.error as error:
        raise ValueError(str(error)) from None


_REPLACEMENT = re.compile(r"\$(\$|&|`|'|\d{1,2}|<[^>]*>)")


def replace_js(pattern: re.Pattern[str], text: str, replacement: str, everywhere: bool) -> str:
    """`text.replace(regex, replacement)`, with JavaScript's `$` patterns."""

    def expand(match: re.Match[str]) -> str:
        def one(token: re.Match[str]) -> str:
            code = token.group(1)
            if code == "$":
                return "$"
            if code == "&":
                return match.group()
            if code == "`":
                return text[: match.start()]
            if code == "'":
                return text[match.end() :]
            if code.startswith("<"):
                name = code[1:-1]
                if not pattern.groupindex:
                    return token.group()
                return match.group(name) or "" if name in pattern.groupindex else ""
            number = int(code)
            if 1 <= number <= pattern.groups:
                return match.group(number) or ""
            if len(code) == 2 and 1 <= int(code[0]) <= pattern.groups:
                return (match.group(int(code[0])) or "") + code[1]
            return token.group()

        return _REPLACEMENT.sub(one, replacement)

    return pattern.sub(expand, text, count=0 if everywhere else 1)
