"""Classify a webhook's answer: pure functions over status, headers and body.

Teams facts relied on (docs/teams-protocol.md):
- classic connector: success is 200 with body `1`; Teams-side failures come back as 200 with
  `... returned HTTP error NNN ...` in the body; malformed payloads get a real 400 with Teams' text;
- Workflows: success is 202 Accepted with an empty body;
- 429, 408 and 5xx are worth retrying (Microsoft's own sample retries throttled posts with backoff).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

from shared.teams.channels import ChannelKind
from shared.teams.errors import (
    DeliveryError,
    RejectedByTeams,
    TeamsThrottled,
    TeamsUnavailable,
    UnexpectedAnswer,
)
from shared.teams.redact import scrub

__all__ = ["RETRY_AFTER_CAP", "Success", "classify", "error_for_status", "parse_retry_after"]

logger = logging.getLogger("shared.teams.outcome")

Success = Literal["delivered", "accepted"]

_WRAPPED_STATUS = re.compile(r"HTTP error (\d{3})")
_REASON_LIMIT = 300
RETRY_AFTER_CAP = 3600.0
"""Longest wait one answer may impose. The rate limiter holds the webhook's whole lane for a
Retry-After, so one hostile or mistaken answer (`Retry-After: 999999999`) would otherwise stall the
webhook for a day. An hour covers Teams' documented 100-per-hour window; after it the lane probes
Teams again, and a still-throttled webhook answers 429 once more."""


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), at most
    RETRY_AFTER_CAP, or None for anything else: no header value ever raises."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    # ASCII only: str.isdigit() also accepts "²" and other digits float() refuses.
    if text.isascii() and text.isdigit():
        return _capped(float(text))
    try:
        when = parsedate_to_datetime(text)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        delta = (when - (now or datetime.now(UTC))).total_seconds()
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return _capped(max(delta, 0.0))


def _capped(seconds: float) -> float:
    if seconds > RETRY_AFTER_CAP:
        logger.warning(
            "Teams asked to wait %.0f s (Retry-After); waiting at most %.0f s, then trying again",
            min(seconds, 1e15),
            RETRY_AFTER_CAP,
        )
        return RETRY_AFTER_CAP
    return seconds


def _teams_text(body: str) -> str:
    """Teams' own message from an error body, shortened; JSON error bodies give their message."""
    text = body.strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            code = error.get("code")
            text = f"{code}: {error['message']}" if isinstance(code, str) else error["message"]
    text = scrub(" ".join(text.split()))
    if len(text) > _REASON_LIMIT:
        text = text[: _REASON_LIMIT - 1] + "…"
    return text


def error_for_status(status: int, teams_text: str, retry_after: float | None) -> DeliveryError:
    """The error an HTTP failure status stands for (a real one or one wrapped in a 200)."""
    said = f": {teams_text}" if teams_text else ""
    if status == 429:
        return TeamsThrottled(
            f"Teams throttled the webhook (HTTP 429){said}", status=429, retry_after=retry_after
        )
    if status == 408 or 500 <= status <= 599:
        return TeamsUnavailable(
            f"Teams is unavailable (HTTP {status}){said}", status=status, retry_after=retry_after
        )
    if 400 <= status <= 499:
        return RejectedByTeams(f"Teams refused the message (HTTP {status}){said}", status=status)
    return UnexpectedAnswer(f"unexpected answer from the webhook (HTTP {status})", status=status)


def classify(
    kind: ChannelKind, status: int, headers: Mapping[str, str], body: str
) -> Success | DeliveryError:
    """What an answer means: `delivered`/`accepted`, or the error to raise (not raised here)."""
    retry_after = parse_retry_after(headers.get("retry-after"))
    if 200 <= status <= 299:
        wrapped = _WRAPPED_STATUS.search(body)
        if wrapped is not None:
            # Classic connectors answer Teams-side failures with 200 and the real status in the
            # body.
            return error_for_status(int(wrapped.group(1)), _teams_text(body), retry_after)
        if kind is ChannelKind.CLASSIC:
            if status == 200 and body.strip() == "1":
                return "delivered"
            if status == 202:
                return "accepted"
            return UnexpectedAnswer(
                f"unexpected answer from the classic webhook (HTTP {status} without body 1)",
                status=status,
            )
        # Workflows: 202 is the documented answer; a flow with its own Response action may say 200.
        return "accepted"
    return error_for_status(status, _teams_text(body), retry_after)
