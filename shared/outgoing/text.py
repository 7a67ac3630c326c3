"""From the text of a Teams message to a command and its arguments.

Teams sends what the user wrote with the webhook's @mention as `<at>Name</at>`, sometimes wrapped
in HTML (`<div>`, `<p>`, `<br>`) and with entities such as `&nbsp;` and `&amp;`.
"""

import html
import re
from dataclasses import dataclass

# Every pattern stops at the next `<`, so no text, however crafted, makes matching quadratic.
_MENTION = re.compile(r"<at\b[^<>]*>[^<]*</at\s*>", re.IGNORECASE)
# Tags that separate words when rendered: they become a space, other tags disappear.
_BREAKING_TAG = re.compile(
    r"</?(?:br|p|div|li|ul|ol|tr|td|th|h[1-6]|blockquote|pre)\b[^<>]*>", re.IGNORECASE
)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
# A decimal character reference html.unescape would read with int(), which refuses more than
# 4,300 digits. Past seven significant digits it is beyond U+10FFFF, and so U+FFFD anyway.
_LONG_DECIMAL_REFERENCE = re.compile(r"&#([0-9]{8,});?")

# Opening quote -> the quotes that close it. Double quotes may open anywhere in a word
# (name="a b"); single quotes only at the start of a word, so apostrophes (don't) stay literal.
_DOUBLE_QUOTES = {'"': '"', "\u201c": "\u201d\u201c", "\u201e": "\u201c\u201d", "\u00ab": "\u00bb"}
_SINGLE_QUOTES = {"'": "'", "\u2018": "\u2019", "\u201a": "\u2018\u2019"}


@dataclass(frozen=True)
class CommandLine:
    """`name` is the first word in lower case ("" for an empty message); `args` the other words."""

    name: str
    args: tuple[str, ...]


def clean_text(text: str) -> str:
    """The words of a message as the user sees them: no mentions, no markup, single spaces."""
    text = _MENTION.sub(" ", text)
    text = _BREAKING_TAG.sub(" ", text)
    text = _TAG.sub("", text)
    text = _LONG_DECIMAL_REFERENCE.sub(_shorten_reference, text)
    text = html.unescape(text).translate(_INVISIBLE)
    # str.split() without arguments splits on every Unicode space, non-breaking ones included.
    return " ".join(text.split())


def _shorten_reference(match: re.Match[str]) -> str:
    digits = match[1].lstrip("0") or "0"
    return "\ufffd" if len(digits) > 7 else f"&#{digits};"


def split_words(text: str) -> list[str]:
    """Split on spaces, keeping quoted parts together, like a shell but never failing.

    An unclosed quote runs to the end of the text; typographic quotes (curly double and
    single quotes, low-9 quotes, guillemets) work as well as straight ones, since phones and
    Teams itself often put them in place of straight ones.
    """
    words: list[str] = []
    i, end = 0, len(text)
    while i < end:
        if text[i].isspace():
            i += 1
            continue
        word: list[str] = []
        while i < end and not text[i].isspace():
            char = text[i]
            closers = _DOUBLE_QUOTES.get(char) or (_SINGLE_QUOTES.get(char) if not word else None)
            if closers is None:
                word.append(char)
                i += 1
                continue
            close = _find_any(text, closers, i + 1)
            word.append(text[i + 1 : close])
            i = close + 1
        words.append("".join(word))
    return words


def parse_command(text: str) -> CommandLine:
    """The command line in the raw text of a message (see clean_text and split_words)."""
    words = split_words(clean_text(text))
    if not words:
        return CommandLine("", ())
    return CommandLine(words[0].lower(), tuple(words[1:]))


def _find_any(text: str, chars: str, start: int) -> int:
    """Index of the first of `chars` at or after `start`, or len(text) when there is none."""
    positions = [p for p in (text.find(c, start) for c in chars) if p >= 0]
    return min(positions, default=len(text))
