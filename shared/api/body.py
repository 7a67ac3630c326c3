"""A request body as the API takes it: a JSON object, by the JSON standard, at most 1 MB.

Refusals, each an ApiError with the JSON error shape:
- 415 `unsupported_media_type`: a Content-Type other than JSON (or JSON in a charset other than
  UTF-8, which RFC 8259 requires);
- 413 `body_too_large`: over 1 MB;
- 400 `invalid_json`: not UTF-8, empty, or not JSON, with the line, column and character position;
  `NaN`, `Infinity`, numbers too large for a double and unpaired surrogate escapes (`"\ud800"`)
  are refused (they are not JSON, or cannot be sent to Teams);
- 400 `too_deep`: nested deeper than 64 levels (no webhook payload comes close; deep nesting only
  exhausts the parser);
- 400 `not_an_object`: valid JSON that is not an object (the data of a template is an object).
A leading byte order mark is ignored, as RFC 8259 allows.
"""

import json
import math
import re
from typing import Any, Final

import azure.functions as func

from shared.api.errors import ApiError, ErrorCode

__all__ = ["MAX_BODY_BYTES", "MAX_DEPTH", "read_json_object"]

MAX_BODY_BYTES: Final = 1024 * 1024
MAX_DEPTH: Final = 64

_SEND_JSON: Final = "send the data as JSON with the header Content-Type: application/json"
_JSON_TYPE: Final = re.compile(r"application/(?:[\w.+-]+\+)?json", re.IGNORECASE)
# A JSON string, or one of the tokens Python's parser would take but the standard does not.
_STRING_OR_CONSTANT: Final = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')
# \uD800-\uDFFF escapes that do not form a pair: valid JSON syntax, but no Unicode character, so
# the card could never be encoded as UTF-8 for Teams.
_LONE_SURROGATE: Final = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
_TYPE_NAMES: Final = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


class _NotJson(ValueError):
    def __init__(self, message: str, token: str | None = None) -> None:
        super().__init__(message)
        self.token = token


def _refuse_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not JSON (write null, or the value as a string)", name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"the number {text[:40]} is too large for this app", text)
    return value


def _check_content_type(header: str | None) -> None:
    if header is None or not header.strip():
        raise ApiError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f"the request has no Content-Type: {_SEND_JSON}",
            {"expected": "application/json"},
        )
    media_type, *parameters = (part.strip() for part in header.split(";"))
    if not _JSON_TYPE.fullmatch(media_type):
        raise ApiError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f"Content-Type {media_type[:80]!r} is not JSON: {_SEND_JSON}",
            {"expected": "application/json", "received": media_type[:80]},
        )
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise ApiError(
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                f"charset {charset[:40]!r} is not UTF-8: JSON is sent as UTF-8 "
                "(Content-Type: application/json; charset=utf-8)",
                {"expected": "application/json; charset=utf-8"},
            )


def _position(text: str, index: int) -> dict[str, int]:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return {"line": line, "column": column, "position": index}


def _where(text: str, token: str | None) -> dict[str, int]:
    """Where `token` first appears outside a string (the position of a refused constant)."""
    if token is not None:
        for match in _STRING_OR_CONSTANT.finditer(text):
            if match.group(1) == token:
                return _position(text, match.start(1))
        index = text.find(token)
        if index >= 0:
            return _position(text, index)
    return {}


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether `value` is more than `limit` levels deep (a value alone is one level; each
    object or array adds one). Level by level, visiting only objects and arrays: a 1,000-alert
    body's strings are most of its values (a third of the time of a walk over every value)."""
    if not isinstance(value, dict | list):
        return limit < 1
    level: list[Any] = [value]
    depth = 1
    while level:
        if depth > limit:
            return True
        deeper: list[Any] = []
        has_children = False
        for node in level:
            children = node.values() if isinstance(node, dict) else node
            has_children = has_children or bool(children)
            deeper.extend([child for child in children if isinstance(child, dict | list)])
        if has_children and depth + 1 > limit:
            return True
        level = deeper
        depth += 1
    return False


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(node, dict):
            stack.extend(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _invalid(message: str, where: dict[str, int]) -> ApiError:
    at = f" (line {where['line']}, column {where['column']})" if where else ""
    return ApiError(ErrorCode.INVALID_JSON, f"the body is not valid JSON: {message}{at}", where)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The JSON object in `raw` (UTF-8). Raises ApiError (400)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(
            ErrorCode.INVALID_JSON,
            f"the body is not UTF-8 text (invalid byte at position {error.start}); JSON is UTF-8",
            {"position": error.start},
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ApiError(
            ErrorCode.INVALID_JSON, "the body is empty: send a JSON object ({} for no data)"
        )
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as error:
        raise _invalid(error.msg, _position(text, error.pos)) from None
    except _NotJson as error:
        raise _invalid(str(error), _where(text, error.token)) from None
    except RecursionError:
        raise ApiError(
            ErrorCode.TOO_DEEP, f"the JSON is nested deeper than {MAX_DEPTH} levels"
        ) from None
    except ValueError as error:  # an integer with more digits than Python converts
        raise _invalid(str(error).split(";")[0], {}) from None
    if "\\u" in text and _has_lone_surrogate(value):
        match = _LONE_SURROGATE.search(text)
        raise _invalid(
            "an unpaired surrogate escape is not a Unicode character",
            _position(text, match.start()) if match else {},
        )
    if not isinstance(value, dict):
        kind = _TYPE_NAMES.get(type(value), "not an object")
        raise ApiError(
            ErrorCode.NOT_AN_OBJECT,
            f"the body is {kind}; send a JSON object (the template's data), "
            'e.g. {"title": "..."}',
            {"received": kind},
        )
    if _depth_exceeds(value, MAX_DEPTH):
        raise ApiError(ErrorCode.TOO_DEEP, f"the JSON is nested deeper than {MAX_DEPTH} levels")
    return value


def read_json_object(req: func.HttpRequest) -> dict[str, Any]:
    """The request's body as a JSON object. Raises ApiError (415, 413, 400)."""
    _check_content_type(req.headers.get("content-type"))
    raw = req.get_body() or b""
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(
            ErrorCode.BODY_TOO_LARGE,
            f"the body is {len(raw):,} bytes; at most {MAX_BODY_BYTES:,} (1 MB) are accepted",
            {"limit": MAX_BODY_BYTES, "received": len(raw)},
        )
    return parse_json_object(raw)
