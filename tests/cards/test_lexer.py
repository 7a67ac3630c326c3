"""The expression lexer's quick check for skipped characters (`_skipped_characters`) against
the full match it spares: a text lexes exactly when every character is a token's or a space,
and its tokens are findall's."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.cards._parser import _ALL_TOKENS, _TOKEN_TEXTS, ExpressionSyntaxError, _Lexer

PIECES = [
    "a",
    "name",
    "a.b.c",
    "$root",
    "@x",
    "#y",
    "%z",
    "%",
    "7",
    "1.5",
    "'it''s'",
    "'a b'",
    "'esc\\'aped'",
    '"q"',
    "==",
    "!=",
    "<>",
    "&&",
    "||",
    "??",
    "=>",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ".",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "\u00a0",
    "\ufeff",
    "\u2028",
    "\x0b",
    "~",
    ";",
    "'",
    '"',
    "é",
    "\\",
]


def lexes(text: str) -> list[str] | None:
    try:
        return _Lexer(text).tokens()
    except ExpressionSyntaxError:
        return None


def expected(text: str) -> list[str] | None:
    if _ALL_TOKENS.fullmatch(text) is None:
        return None
    return [*_TOKEN_TEXTS.findall(text), "", ""]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12))
def test_tokens_are_those_of_the_full_match(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert lexes(text) == expected(text)


@pytest.mark.parametrize(
    "text",
    ["a ~ b", "f(x) ;", "'open", "x \x0b y", "a\rb", "1 ~", "~", "name é"],
)
def test_a_character_no_token_starts_with_is_an_error(text: str) -> None:
    assert expected(text) is None
    assert lexes(text) is None


@pytest.mark.parametrize("text", ["a  b", "f( x , 'a b' )", "a\tb", "x\r\ny", " a "])
def test_spaces_between_tokens_are_fine(text: str) -> None:
    assert lexes(text) == expected(text) is not None
