"""The API's one error shape: `{"error": {"code", "message", "details"}}`, with its status.

`message` says what to fix; `details` holds what a program needs (positions, known names, the
problems found), always an object. Nothing in an error repeats a URL, a token or a function key.
"""

import json
from collections.abc import Mapping
from typing import Any

import azure.functions as func

__all__ = ["ApiError", "error_response", "json_response"]

JSON_MIMETYPE = "application/json"


class ApiError(Exception):
    """A request the API refuses; becomes an error response."""

    def __init__(
        self, status: int, code: str, message: str, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


def json_response(status: int, body: Any) -> func.HttpResponse:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return func.HttpResponse(text, status_code=status, mimetype=JSON_MIMETYPE, charset="utf-8")


def error_response(error: ApiError) -> func.HttpResponse:
    return json_response(error.status, error.body())
