"""URI functions: uriComponent and uriComponentToString, as encodeURIComponent and
decodeURIComponent.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote

from .._scope import EvalError
from .base import STRING, FunctionTable, Spec, apply, arity_any, verify_string

# encodeURIComponent leaves A-Z a-z 0-9 - _ . ! ~ * ' ( ) as they are.
_URI_SAFE = "-_.!~*'()"


def _uri_component(args: list[Any]) -> Any:
    try:
        return quote(args[0], safe=_URI_SAFE, encoding="utf-8", errors="strict")
    except UnicodeEncodeError:
        raise EvalError("URI malformed") from None


_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _uri_component_to_string(args: list[Any]) -> Any:
    text: str = args[0]
    if _PERCENT.search(text):
        raise EvalError("URI malformed")
    try:
        return unquote(text, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise EvalError("URI malformed") from None


def register(table: FunctionTable) -> None:
    """Add this family's functions to `table`."""
    table["uriComponent"] = Spec(STRING, arity_any(1, 1), apply(_uri_component, verify_string))
    table["uriComponentToString"] = Spec(
        STRING, arity_any(1, 1), apply(_uri_component_to_string, verify_string)
    )
