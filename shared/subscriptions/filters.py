"""Topic filters: one `${...}` expression over a notification's data, parsed and evaluated by the
app's own template engine (shared.cards), the same language as the cards.

A filter accepts a notification when its value is truthy as Adaptive Expressions see it (true, a
non-zero number, a non-empty string, ...). A filter that fails on some data (a property the data
lacks, a function that throws) rejects that notification instead of failing the fan-out.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final

from shared.cards import CompiledTemplate, TemplateError, compile_template

__all__ = ["MAX_FILTER_LENGTH", "accepts", "filter_problem"]

MAX_FILTER_LENGTH: Final = 500


def _single_binding(text: str) -> bool:
    """Whether `text` is one binding and nothing else (not "${a} and ${b}", not plain text)."""
    from shared.cards._parser import CONCAT, CONSTANT, parse_interpolated

    node = parse_interpolated(text)
    if node.kind != CONCAT:
        return False
    children = node.children
    return (
        len(children) == 2
        and children[0].kind == CONSTANT
        and children[0].value == ""
        and children[1].kind != CONSTANT
    )


def filter_problem(text: str) -> str | None:
    """What is wrong with a filter, in words for the page (None when it is fine)."""
    stripped = text.strip()
    if not stripped:
        return "is empty: leave it out to receive every notification of the topic"
    if len(stripped) > MAX_FILTER_LENGTH:
        return f"is longer than {MAX_FILTER_LENGTH} characters"
    if not (stripped.startswith("${") and stripped.endswith("}")):
        return "must be one expression written ${...}, e.g. ${severity <= 2}"
    try:
        compiled = compile_template(stripped)
    except TemplateError as error:
        return f"cannot be parsed: {getattr(error, 'reason', error)}"
    if not _single_binding(stripped):
        return "must be one expression written ${...} with nothing around it"
    try:
        # Unknown functions and wrong argument counts show on a first evaluation; with no data
        # every property is undefined, which a valid filter tolerates.
        compiled.expand({}, None)
    except TemplateError as error:
        reason = str(getattr(error, "reason", error))
        if "Unknown function" in reason or "arguments" in reason.lower():
            return f"cannot be evaluated: {reason}"
    return None


@lru_cache(maxsize=1024)
def _compiled(text: str) -> CompiledTemplate:
    return compile_template(text.strip())


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        # An undefined result comes back as the binding's text in non-strict expansion.
        return value != "" and not value.startswith("${")
    return True


def accepts(text: str | None, data: Any) -> bool:
    """Whether a subscription's filter lets a notification with `data` through."""
    if text is None:
        return True
    try:
        value = _compiled(text).expand(data, None, strict=True)
    except (TemplateError, RecursionError, ValueError):
        return False
    return _truthy(value)
