"""Hostile or broken answers from Teams never raise out of delivery and never lose a notification
(issue 10): a Retry-After in any form, a huge Retry-After, a failure nobody foresaw."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devtools.delivery import run
from devtools.teams_standin import Answer, TeamsStandIn
from shared.config.settings import Settings
from shared.teams import transports
from shared.teams.channels import ChannelKind
from shared.teams.delivery import Delivery, RetryPolicy, _limiter_key
from shared.teams.errors import TeamsThrottled, TransientDeliveryError
from shared.teams.outcome import RETRY_AFTER_CAP, classify, parse_retry_after

FAST = RetryPolicy(base=0.05, cap=0.2, min_attempt=0.1, read_timeout=1.0)
CARD: dict[str, Any] = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [{"type": "TextBlock", "text": "Disk full on web-01", "wrap": True}],
}


def settings_for(teams: TeamsStandIn) -> tuple[Settings, str]:
    url = teams.url("classic", "ops")
    env = {"TEAMS_ALLOW_HOSTS": "127.0.0.1", "TEAMS_WEBHOOK_OPS": url}
    return Settings.from_environ(env), url


# --- Retry-After ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["²", "١٢", "\U0001d7d7", "3²", "1e3", "-5", "1.5", "0x10", " "])
def test_a_retry_after_that_is_not_ascii_delta_seconds_nor_a_date_is_ignored(value: str) -> None:
    # "²".isdigit() is True but float("²") raises: the header once made notify answer 500.
    assert parse_retry_after(value) is None
    verdict = classify(ChannelKind.CLASSIC, 429, {"retry-after": value}, "")
    assert isinstance(verdict, TeamsThrottled)
    assert verdict.retry_after is None


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(blacklist_categories=())))
def test_every_retry_after_parses_or_is_ignored(value: str) -> None:
    seconds = parse_retry_after(value, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert seconds is None or 0.0 <= seconds <= RETRY_AFTER_CAP


@settings(max_examples=100)
@given(st.integers(min_value=0, max_value=10**400))
def test_delta_seconds_of_any_size_wait_at_most_the_cap(seconds: int) -> None:
    assert parse_retry_after(str(seconds)) == min(seconds, RETRY_AFTER_CAP)


def test_a_non_ascii_digit_retry_after_over_http_is_retried_not_a_500(
    teams: TeamsStandIn,
) -> None:
    settings_, url = settings_for(teams)
    teams.script(url, Answer.throttled(retry_after="²"))
    [result] = run(Delivery(settings_, policy=FAST).deliver(CARD, ["ops"], budget=3.0))
    assert (result.status, result.attempts) == ("delivered", 2)


def test_a_retry_after_of_999999999_blocks_the_lane_an_hour_at_most_and_is_logged(
    teams: TeamsStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    settings_, url = settings_for(teams)
    teams.script(url, Answer.throttled(retry_after="999999999"))
    delivery = Delivery(settings_, policy=FAST)
    with caplog.at_level(logging.WARNING, logger="shared.teams"):
        [result] = run(delivery.deliver(CARD, ["ops"], budget=1.0))
    # Queued, not lost; the lane waits an hour at most, then probes Teams again.
    assert result.status == "queued"
    assert result.queue_messages
    key = _limiter_key(settings_.channel("ops"))
    assert RETRY_AFTER_CAP - 60 < delivery.limiter.next_free(key) <= RETRY_AFTER_CAP
    assert any("waiting at most 3600 s" in r.getMessage() for r in caplog.records)


# --- failures nobody foresaw ---------------------------------------------------------------------


def test_an_unexpected_exception_while_delivering_is_queued_and_logged_by_type(
    teams: TeamsStandIn, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    settings_, url = settings_for(teams)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("https://secret.example/webhook")

    # A bug in reading Teams' answer stands for any failure delivery did not foresee.
    monkeypatch.setattr(transports, "classify", broken)
    with caplog.at_level(logging.INFO, logger="shared.teams"):
        [result] = run(
            Delivery(settings_, policy=FAST).deliver(CARD, ["ops"], notification_id="n-7")
        )
    assert result.status == "queued"
    assert isinstance(result.error, TransientDeliveryError)
    assert "KeyError" in result.detail
    [text] = result.queue_messages
    assert json.loads(text)["id"] == "n-7"
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "KeyError" in logged
    assert "secret.example" not in logged
    assert len(teams.received(url)) == 1


@settings(max_examples=25, deadline=None)
@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"),
        max_size=30,
    )
)
def test_any_retry_after_teams_can_send_over_http_ends_delivered_or_queued(value: str) -> None:
    with TeamsStandIn() as teams:
        settings_, url = settings_for(teams)
        teams.script(url, Answer.throttled(retry_after=value.strip() or None))
        [result] = run(Delivery(settings_, policy=FAST).deliver(CARD, ["ops"], budget=1.5))
    assert result.status in ("delivered", "queued")
