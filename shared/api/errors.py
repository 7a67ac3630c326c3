"""The one error shape of every HTTP route: `{"error": {"code", "message", "details"}}`.

`code` is an `ErrorCode`, and the code alone decides the HTTP status, so a code means the same
thing wherever it is answered (the API routes and the Outgoing Webhook alike). `message` says what
to fix; `details` holds what a program needs (positions, known names, the problems found), always
an object. Nothing in an error repeats a URL, a token or a function key.
"""

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import azure.functions as func

__all__ = ["ApiError", "ErrorCode", "error_response", "json_response"]

JSON_MIMETYPE = "application/json"


class ErrorCode(StrEnum):
    """Every error code an HTTP route answers; `status` is its HTTP status."""

    # The request itself (400, 404, 413, 415).
    INVALID_JSON = "invalid_json"
    NOT_AN_OBJECT = "not_an_object"
    TOO_DEEP = "too_deep"
    INVALID_PARAMETER = "invalid_parameter"
    CHANNEL_REQUIRED = "channel_required"
    UNKNOWN_TEMPLATE = "unknown_template"
    UNKNOWN_CHANNEL = "unknown_channel"
    UNKNOWN_TOPIC = "unknown_topic"
    BODY_TOO_LARGE = "body_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    # The data against the template (422).
    UNRESOLVED_BINDINGS = "unresolved_bindings"
    TEMPLATE_FAILED = "template_failed"
    CARD_PROBLEMS = "card_problems"
    MENTION_NOT_SUPPORTED = "mention_not_supported"
    CARD_REJECTED = "card_rejected"
    # Delivery (502, 503).
    TEAMS_REFUSED = "teams_refused"
    DELIVERY_FAILED = "delivery_failed"
    CHANNEL_UNUSABLE = "channel_unusable"
    SUBSCRIPTIONS_UNAVAILABLE = "subscriptions_unavailable"
    # The Outgoing Webhook's own refusals (400, 401, 413).
    UNAUTHORIZED = "unauthorized"
    INVALID_ACTIVITY = "invalid_activity"
    NOT_A_MESSAGE = "not_a_message"
    TOO_LARGE = "too_large"
    # The configuration page and its JSON API (docs/connect.md).
    CONNECT_UNAVAILABLE = "connect_unavailable"
    SIGN_IN_REQUIRED = "sign_in_required"
    CSRF = "csrf"
    UNKNOWN_ASSET = "unknown_asset"
    UNKNOWN_SUBSCRIPTION = "unknown_subscription"
    INVALID_SUBSCRIPTION = "invalid_subscription"
    WELCOME_REFUSED = "welcome_refused"
    # The app (500): no input may cause it.
    INTERNAL_ERROR = "internal_error"

    @property
    def status(self) -> int:
        return _STATUS[self]


_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID_JSON: 400,
    ErrorCode.NOT_AN_OBJECT: 400,
    ErrorCode.TOO_DEEP: 400,
    ErrorCode.INVALID_PARAMETER: 400,
    ErrorCode.CHANNEL_REQUIRED: 400,
    ErrorCode.UNKNOWN_TEMPLATE: 404,
    ErrorCode.UNKNOWN_CHANNEL: 404,
    ErrorCode.UNKNOWN_TOPIC: 404,
    ErrorCode.BODY_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.UNRESOLVED_BINDINGS: 422,
    ErrorCode.TEMPLATE_FAILED: 422,
    ErrorCode.CARD_PROBLEMS: 422,
    ErrorCode.MENTION_NOT_SUPPORTED: 422,
    ErrorCode.CARD_REJECTED: 422,
    ErrorCode.TEAMS_REFUSED: 502,
    ErrorCode.DELIVERY_FAILED: 502,
    ErrorCode.CHANNEL_UNUSABLE: 503,
    ErrorCode.SUBSCRIPTIONS_UNAVAILABLE: 503,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.INVALID_ACTIVITY: 400,
    ErrorCode.NOT_A_MESSAGE: 400,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.CONNECT_UNAVAILABLE: 404,
    ErrorCode.SIGN_IN_REQUIRED: 401,
    ErrorCode.CSRF: 403,
    ErrorCode.UNKNOWN_ASSET: 404,
    ErrorCode.UNKNOWN_SUBSCRIPTION: 404,
    ErrorCode.INVALID_SUBSCRIPTION: 422,
    ErrorCode.WELCOME_REFUSED: 422,
    ErrorCode.INTERNAL_ERROR: 500,
}


class ApiError(Exception):
    """A request a route refuses; becomes an error response with the code's status."""

    def __init__(
        self, code: ErrorCode, message: str, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    @property
    def status(self) -> int:
        return self.code.status

    def body(self) -> dict[str, Any]:
        return {"error": {"code": str(self.code), "message": self.message, "details": self.details}}


def json_response(status: int, body: Any) -> func.HttpResponse:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # A lone surrogate (from the data, or a JavaScript string function cutting a pair) cannot be
    # UTF-8; inside a JSON string its `\\uXXXX` escape is what `backslashreplace` writes.
    payload = text.encode("utf-8", "backslashreplace")
    return func.HttpResponse(payload, status_code=status, mimetype=JSON_MIMETYPE, charset="utf-8")


def error_response(error: ApiError) -> func.HttpResponse:
    return json_response(error.status, error.body())
