"""A timer run of a scheduled entry, against a loopback Teams stand-in and a loopback status page.

The shipped examples run as shipped: the weekday digest with its static data, the service-status
check with its `when` and its mapping of a Statuspage summary to the `alert` template (only the
source URL points at the loopback page instead of www.githubstatus.com).
"""

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from devtools.teams_standin import TeamsStandIn
from shared.cards import check_card
from shared.schedules.entries import SCHEDULES_FILE, ScheduleEntry, read_schedules
from shared.schedules.run import RunOutcome, run_entry
from tests.support.function_app import Channels, configure, run
from tests.support.schedules import SUMMARY_PATH, Reply, StatusPage, status_page, summary
from tests.support.templates import fact, texts

MONDAY_0800_BERLIN = datetime(2025, 1, 6, 7, 0, tzinfo=UTC)  # CET: UTC+1
MONDAY_0700_BERLIN = datetime(2025, 1, 6, 6, 0, tzinfo=UTC)  # the other registered hour
TOKEN = "status-token-" + "9f8e7d6c5b4a"


@dataclass(frozen=True)
class Timer:
    """What the worker's TimerRequest gives a run."""

    past_due: bool = False


@pytest.fixture
def page() -> Iterator[StatusPage]:
    with status_page() as loopback:
        yield loopback


def shipped(name: str, tmp_path: Path, environ: dict[str, str], **source: Any) -> ScheduleEntry:
    """A shipped entry, its source (if any) changed as given, read as the app reads it."""
    document = json.loads(SCHEDULES_FILE.read_text(encoding="utf-8"))
    for item in document["schedules"]:
        if item["name"] == name and "source" in item:
            item["source"].update(source)
    path = tmp_path / "schedules.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    [switch] = [item["enabled_by"] for item in document["schedules"] if item["name"] == name]
    found = read_schedules(path, {**environ, switch: "true"})
    assert found.problems == ()
    return found.entry(name)


def go(entry: ScheduleEntry, at: datetime, *, past_due: bool = False) -> RunOutcome:
    return run(run_entry(entry, Timer(past_due), invocation_id="inv-1", now=at, environ=os.environ))


def status_settings(monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, **extra: str) -> Channels:
    return configure(
        monkeypatch,
        teams,
        {"ops": "classic"},
        extra={"SOURCE_ALLOW_HOSTS": "127.0.0.1", **extra},
    )


# --- the weekday digest ---------------------------------------------------------------------------


def test_the_digest_posts_its_card_at_0800_berlin(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, tmp_path: Path
) -> None:
    channels = status_settings(monkeypatch, teams)
    entry = shipped("weekday-digest", tmp_path, dict(os.environ))
    outcome = go(entry, MONDAY_0800_BERLIN)
    assert outcome.status == "sent"
    [message] = channels.received("ops")
    card = message["attachments"][0]["content"]
    assert check_card(card, "incoming") == []
    assert "Good morning, on-call" in texts(card)
    assert "Notifications that could not be delivered" in texts(card)


def test_the_digest_does_nothing_at_the_other_registered_hour(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, tmp_path: Path
) -> None:
    channels = status_settings(monkeypatch, teams)
    entry = shipped("weekday-digest", tmp_path, dict(os.environ))
    assert go(entry, MONDAY_0700_BERLIN).status == "not-due"
    assert go(entry, datetime(2025, 1, 11, 7, 0, tzinfo=UTC)).status == "not-due"  # Saturday
    assert channels.received("ops") == []


def test_a_past_due_run_says_so_in_the_log(
    monkeypatch: pytest.MonkeyPatch,
    teams: TeamsStandIn,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    status_settings(monkeypatch, teams)
    entry = shipped("weekday-digest", tmp_path, dict(os.environ))
    with caplog.at_level(logging.INFO, logger="shared.schedules"):
        outcome = go(entry, MONDAY_0800_BERLIN, past_due=True)
    assert outcome.status == "sent"
    [line] = [r.getMessage() for r in caplog.records if "past due" in r.getMessage()]
    assert line.startswith("schedule weekday-digest: this run is past due")
    assert "invocation_id=inv-1" in line


# --- the service-status check ---------------------------------------------------------------------


def status_entry(
    monkeypatch: pytest.MonkeyPatch,
    teams: TeamsStandIn,
    page: StatusPage,
    tmp_path: Path,
    **source: Any,
) -> tuple[ScheduleEntry, Channels]:
    channels = status_settings(monkeypatch, teams, STATUS_TOKEN=TOKEN)
    entry = shipped("service-status", tmp_path, dict(os.environ), url=page.url, **source)
    return entry, channels


QUARTER_PAST = datetime(2025, 1, 6, 9, 15, tzinfo=UTC)


def test_a_component_that_is_down_posts_an_alert_card(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, page: StatusPage, tmp_path: Path
) -> None:
    entry, channels = status_entry(monkeypatch, teams, page, tmp_path)
    page.answer(summary(("Webhooks", "major_outage"), ("Actions", "degraded_performance")))
    outcome = go(entry, QUARTER_PAST)
    assert outcome.status == "sent"
    [message] = channels.received("ops")
    card = message["attachments"][0]["content"]
    assert check_card(card, "incoming") == []
    assert "GitHub: Partial System Outage" in texts(card)[0]
    assert "2 component(s) not operational." in texts(card)
    assert fact(card, "Webhooks") == "major outage"
    assert fact(card, "Actions") == "degraded performance"
    assert "Critical · FIRING" in texts(card)  # the alert card's header says the severity


def test_nothing_is_posted_while_everything_is_operational(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, page: StatusPage, tmp_path: Path
) -> None:
    entry, channels = status_entry(monkeypatch, teams, page, tmp_path)
    page.answer(summary())
    outcome = go(entry, QUARTER_PAST)
    assert outcome.status == "nothing-to-post"
    assert len(page.requests) == 1
    assert channels.received("ops") == []


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(500, b'{"error": "boom"}'), "answered HTTP 500"),
        (Reply(200, b"<html>maintenance</html>"), "not JSON"),
        (Reply(200, b'{"status": NaN}'), "NaN is not JSON"),
        (
            Reply(302, b"", (("Location", "https://elsewhere.example/"),)),
            "redirects are not followed",
        ),
        (Reply(200, b'{"a": "' + b"x" * (1024 * 1024 + 10) + b'"}'), "more than 1,048,576 bytes"),
        (Reply(200, b'{"a": 1}', delay=2.5), "no answer within 1 s"),
    ],
)
def test_a_failed_fetch_posts_nothing_and_logs_why(
    monkeypatch: pytest.MonkeyPatch,
    teams: TeamsStandIn,
    page: StatusPage,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    reply: Reply,
    reason: str,
) -> None:
    entry, channels = status_entry(monkeypatch, teams, page, tmp_path, timeout=1)
    page.reply(reply)
    with caplog.at_level(logging.WARNING, logger="shared.schedules"):
        outcome = go(entry, QUARTER_PAST)
    assert outcome.status == "source-failed"
    assert reason in outcome.detail
    assert channels.received("ops") == []
    [line] = [r.getMessage() for r in caplog.records if "failed, nothing posted" in r.getMessage()]
    assert line.startswith("schedule service-status: source 127.0.0.1 failed, nothing posted: ")
    assert SUMMARY_PATH not in line


def test_an_unreachable_source_posts_nothing(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, tmp_path: Path
) -> None:
    from devtools.teams_standin import closed_port

    channels = status_settings(monkeypatch, teams)
    url = f"http://127.0.0.1:{closed_port()}{SUMMARY_PATH}"
    entry = shipped("service-status", tmp_path, dict(os.environ), url=url)
    outcome = go(entry, QUARTER_PAST)
    assert (outcome.status, outcome.detail) == (
        "source-failed",
        "could not be reached (ConnectError)",
    )
    assert channels.received("ops") == []


def test_a_host_no_longer_allowed_is_not_contacted(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, page: StatusPage, tmp_path: Path
) -> None:
    entry, _channels = status_entry(monkeypatch, teams, page, tmp_path)
    monkeypatch.setenv("SOURCE_ALLOW_HOSTS", "status.example.com")
    outcome = go(entry, QUARTER_PAST)
    assert outcome.status == "source-failed"
    assert "not listed in SOURCE_ALLOW_HOSTS" in outcome.detail
    assert page.requests == []


def test_a_header_from_an_app_setting_is_sent_and_never_logged(
    monkeypatch: pytest.MonkeyPatch,
    teams: TeamsStandIn,
    page: StatusPage,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    headers = {"Authorization": {"setting": "STATUS_TOKEN", "prefix": "Bearer "}}
    entry, _channels = status_entry(monkeypatch, teams, page, tmp_path, headers=headers)
    page.answer(summary(("Webhooks", "partial_outage")))
    with caplog.at_level(logging.DEBUG):
        assert go(entry, QUARTER_PAST).status == "sent"
    assert page.requests[0]["authorization"] == f"Bearer {TOKEN}"
    assert page.requests[0]["accept"] == "application/json"
    assert TOKEN not in caplog.text


def test_an_answer_of_another_shape_is_an_error_not_silence(
    monkeypatch: pytest.MonkeyPatch,
    teams: TeamsStandIn,
    page: StatusPage,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A page whose answer lost the fields the card is made of must not look like "all is well".
    entry, channels = status_entry(monkeypatch, teams, page, tmp_path)
    page.answer({"status": {"indicator": "major"}})
    with caplog.at_level(logging.ERROR, logger="shared.schedules"):
        outcome = go(entry, QUARTER_PAST)
    assert outcome.status == "invalid"
    assert "components" in outcome.detail
    assert channels.received("ops") == []
    assert any("nothing posted" in r.getMessage() for r in caplog.records)


def test_what_teams_does_not_take_in_time_is_handed_to_the_retry_queue(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, tmp_path: Path
) -> None:
    channels = status_settings(monkeypatch, teams)
    entry = shipped("weekday-digest", tmp_path, dict(os.environ))
    teams.down()
    outcome = go(entry, MONDAY_0800_BERLIN)
    assert outcome.status == "sent"
    assert [r.status for r in outcome.results] == ["queued"]
    [queued] = outcome.queue_messages
    assert json.loads(queued)["channel"] == "ops"
    assert channels.urls["ops"] not in queued
