"""Duplicate suppression through the notify function, with real Azurite tables: the same alert
twice within the window is one card, after the window (a reminder) a card again, a changed group
at once; keys from the Idempotency-Key header, GitHub's delivery header or the template's data."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest

from devtools.azurite import Azurite
from devtools.teams_standin import Answer, TeamsStandIn
from shared import catalog
from shared.api.idempotency import duplicate_window, notification_key
from tests.support.function_app import Answer as Reply
from tests.support.function_app import Channels, call_notify, configure, notify_request
from tests.support.paths import ROOT

PAYLOADS = ROOT / "tests" / "fixtures" / "payloads"


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


def setup(monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, window: int = 600) -> Channels:
    return configure(
        monkeypatch,
        teams,
        {"ops": "classic", "dev": "workflows"},
        extra={"TEAMS_DUPLICATE_WINDOW_SECONDS": str(window)},
    )


def post(template: str, data: Any, headers: dict[str, str] | None = None) -> Reply:
    return call_notify(
        notify_request(template, data, query={"channel": "ops"}, headers=headers or {})
    )


def posted(teams: TeamsStandIn, channels: Channels) -> int:
    return sum(1 for r in teams.received(channels.urls["ops"]) if r.outcome == "delivered")


def test_the_same_alert_twice_within_the_window_is_one_card(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, storage: Azurite
) -> None:
    channels = setup(monkeypatch, teams)
    alert = payload("alertmanager-firing.json")
    first = post("alertmanager", alert)
    second = post("alertmanager", alert)
    assert first.status == 200
    assert [r["status"] for r in first.body["results"]] == ["delivered"]
    assert second.status == 200
    assert [r["status"] for r in second.body["results"]] == ["duplicate"]
    assert posted(teams, channels) == 1
    # An alert of the group resolved: a changed group is a new notification at once.
    resolved = copy.deepcopy(alert)
    resolved["status"] = "resolved"
    assert [r["status"] for r in post("alertmanager", resolved).body["results"]] == ["delivered"]
    assert posted(teams, channels) == 2


def test_a_reminder_after_the_window_is_posted_again(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, storage: Azurite
) -> None:
    channels = setup(monkeypatch, teams, window=1)
    alert = payload("alertmanager-firing.json")
    alert["groupKey"] += f"-{time.time()}"  # apart from other tests' claims in the same table
    post("alertmanager", alert)
    assert post("alertmanager", alert).body["results"][0]["status"] == "duplicate"
    time.sleep(1.2)  # Alertmanager's repeat_interval, scaled down: the same group as a reminder
    assert post("alertmanager", alert).body["results"][0]["status"] == "delivered"
    assert posted(teams, channels) == 2


def test_keys_come_from_the_idempotency_key_and_github_headers(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, storage: Azurite
) -> None:
    channels = setup(monkeypatch, teams)
    key = {"Idempotency-Key": f"deploy-{time.time()}"}
    assert post("message", {"title": "a"}, key).body["results"][0]["status"] == "delivered"
    # The key decides, not the body.
    assert post("message", {"title": "b"}, key).body["results"][0]["status"] == "duplicate"
    push = payload("github-push.json")
    delivery = {"X-GitHub-Event": "push", "X-GitHub-Delivery": f"d-{time.time()}"}
    assert post("github", push, delivery).body["results"][0]["status"] == "delivered"
    assert post("github", push, delivery).body["results"][0]["status"] == "duplicate"
    # Without a key nothing is suppressed.
    assert post("message", {"title": "c"}).body["results"][0]["status"] == "delivered"
    assert post("message", {"title": "c"}).body["results"][0]["status"] == "delivered"
    assert posted(teams, channels) == 4


def test_a_key_is_per_channel_and_a_failed_delivery_gives_it_back(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, storage: Azurite
) -> None:
    channels = setup(monkeypatch, teams)
    key = {"Idempotency-Key": f"k-{time.time()}"}
    teams.script(channels.urls["ops"], Answer.bad_payload())
    refused = post("message", {"title": "x"}, key)
    assert refused.status == 502
    # Teams refused it for good: the claim is gone, so the sender's retry is posted.
    assert post("message", {"title": "x"}, key).body["results"][0]["status"] == "delivered"
    both = call_notify(
        notify_request("message", {"title": "x"}, query={"channel": "ops,dev"}, headers=key)
    )
    assert [r["status"] for r in both.body["results"]] == ["duplicate", "accepted"]


def test_window_zero_turns_suppression_off(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, storage: Azurite
) -> None:
    channels = setup(monkeypatch, teams, window=0)
    key = {"Idempotency-Key": f"off-{time.time()}"}
    post("message", {"title": "x"}, key)
    post("message", {"title": "x"}, key)
    assert posted(teams, channels) == 2


def test_declared_keys_read_the_fields_each_source_retries_with() -> None:
    alert = payload("alertmanager-firing.json")
    options = catalog.options("alertmanager")
    key = notification_key(options, alert, {})
    assert key is not None
    assert json.loads(key.removeprefix("data:")) == [
        [alert["groupKey"]],
        [alert["status"]],
        [a["fingerprint"] for a in alert["alerts"]],
        [a["startsAt"] for a in alert["alerts"]],
    ]
    monitor = payload("azure-monitor-metric-fired.json")
    monitor_key = notification_key(catalog.options("azure-monitor-alert"), monitor, {})
    essentials = monitor["data"]["essentials"]
    assert monitor_key == "data:" + json.dumps(
        [[essentials["alertId"]], [essentials["monitorCondition"]]], separators=(",", ":")
    )
    devops = payload("azure-devops-build-complete.json")
    assert notification_key(catalog.options("azure-devops"), devops, {}) == (
        f'data:[["{devops["id"]}"]]'
    )
    # A declared field missing: no key, never suppressed.
    assert notification_key(options, {"status": "firing"}, {}) is None
    # The caller's header wins over a declared key.
    assert notification_key(options, alert, {"Idempotency-Key": "k1"}) == "header:k1"
    assert duplicate_window({"duplicates": {"window_seconds": 30}}, 600) == 30
    assert duplicate_window(options, 600) == 600
