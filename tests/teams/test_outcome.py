"""Reading Teams' answers: the outcome comes from the answer, not only its status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.teams.channels import ChannelKind
from shared.teams.errors import (
    PermanentDeliveryError,
    RejectedByTeams,
    TeamsThrottled,
    TeamsUnavailable,
    TransientDeliveryError,
    UnexpectedAnswer,
)
from shared.teams.outcome import classify, parse_retry_after

CLASSIC = ChannelKind.CLASSIC
WORKFLOWS = ChannelKind.WORKFLOWS


def wrapped(status: int) -> str:
    # docs/teams-protocol.md#classic-connector-answers: connectors answer Teams-side failures with
    # HTTP 200 and this body.
    return (
        "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error "
        f"{status} with ContextId tcid=0,server=msgapi-production-eus-azsc2-4-170,cv=deadbeef.0."
    )


def test_classic_200_with_body_1_is_delivered() -> None:
    assert classify(CLASSIC, 200, {}, "1") == "delivered"


def test_workflows_202_is_accepted() -> None:
    assert classify(WORKFLOWS, 202, {}, "") == "accepted"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, TeamsThrottled),
        (500, TeamsUnavailable),
        (413, RejectedByTeams),
        (400, RejectedByTeams),
    ],
)
def test_classic_200_reporting_an_http_error_is_a_failure_with_that_status(
    status: int, error: type[Exception]
) -> None:
    outcome = classify(CLASSIC, 200, {}, wrapped(status))
    assert isinstance(outcome, error)
    assert outcome.status == status
    assert "ContextId" in outcome.reason  # Teams' own text travels with the failure


def test_a_classic_200_without_1_is_not_taken_for_success() -> None:
    outcome = classify(CLASSIC, 200, {}, "")
    assert isinstance(outcome, UnexpectedAnswer)


@pytest.mark.parametrize("status", [429, 408, 500, 502, 503, 504])
def test_throttling_timeouts_and_server_errors_are_transient(status: int) -> None:
    for kind in (CLASSIC, WORKFLOWS):
        outcome = classify(kind, status, {}, "")
        assert isinstance(outcome, TransientDeliveryError)
        assert outcome.status == status


@pytest.mark.parametrize(
    "text", ["Bad payload received by generic incoming webhook.", "Summary or Text is required."]
)
def test_other_4xx_are_permanent_and_carry_teams_message(text: str) -> None:
    outcome = classify(CLASSIC, 400, {}, text)
    assert isinstance(outcome, RejectedByTeams)
    assert isinstance(outcome, PermanentDeliveryError)
    assert text in outcome.reason


def test_a_json_error_body_gives_its_code_and_message() -> None:
    body = (
        '{"error":{"code":"MissingApiVersionParameter","message":"The api-version is required."}}'
    )
    outcome = classify(WORKFLOWS, 400, {}, body)
    assert isinstance(outcome, RejectedByTeams)
    assert "MissingApiVersionParameter: The api-version is required." in outcome.reason


def test_urls_in_an_error_body_are_not_passed_on() -> None:
    body = "refused https://contoso.webhook.office.com/webhookb2/secret-part?sig=abc"
    outcome = classify(CLASSIC, 404, {}, body)
    assert isinstance(outcome, RejectedByTeams)
    assert "secret-part" not in outcome.reason
    assert "sig=abc" not in outcome.reason


def test_retry_after_in_seconds_is_read_from_a_429() -> None:
    outcome = classify(WORKFLOWS, 429, {"retry-after": "7"}, "")
    assert isinstance(outcome, TeamsThrottled)
    assert outcome.retry_after == 7.0


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
