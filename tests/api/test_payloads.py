"""Other systems' webhooks posted unchanged: Azure Monitor, Alertmanager, GitHub, Azure DevOps.

Each real-world payload (tests/fixtures/payloads/) is POSTed to its route as the sender does, the
card Teams receives (from the loopback stand-in) passes the card checks, and it shows what matters,
with the expectations read from the payload itself: the rule, severity, resource, state, times
and links.
"""

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.cards import check_card
from tests.support.function_app import (
    Channels,
    call_notify,
    configure,
    notify_request,
)
from tests.support.teams_standin import TEAMS_LIMIT_BYTES, TeamsStandIn
from tests.support.templates import fact, fact_titles, links, payload, payload_names, texts


def post(
    template: str,
    data: Any,
    channels: Channels,
    *,
    channel: str = "ops",
    headers: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """POST to /api/notify/{template}?channel=NAME; the cards Teams received."""
    request = notify_request(template, data, query={"channel": channel}, headers=headers)
    answer = call_notify(request)
    assert answer.status == 200, answer.body
    received = channels.received(channel)
    assert received
    cards = [message["attachments"][0]["content"] for message in received]
    for card in cards:
        assert check_card(card, "incoming") == []
    return cards


def utc(stamp: str, seconds: bool = True) -> str:
    """A payload time as the cards write it: UTC, `2024-05-01 07:42:10 UTC`."""
    moment = datetime.fromisoformat(_trim(stamp)).astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


def _trim(stamp: str) -> str:
    # Go and .NET write up to nine fractional digits; Python reads six.
    head, dot, rest = stamp.partition(".")
    if not dot:
        return stamp.replace("Z", "+00:00")
    digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
    zone = rest[len(digits) :].replace("Z", "+00:00")
    return f"{head}.{digits[:6]}{zone}"


# --- Azure Monitor (common alert schema) ----------------------------------------------------------


@pytest.mark.parametrize("name", payload_names("azure-monitor-"))
def test_an_azure_monitor_alert_shows_rule_severity_state_resource_time_and_links(
    name: str, monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams, {"ops": "classic"})
    data = payload(name)
    essentials = data["data"]["essentials"]
    [card] = post("azure-monitor-alert", data, channels)
    shown = "\n".join(texts(card))

    if essentials.get("alertRule"):
        assert essentials["alertRule"] in texts(card)[0]
    if essentials.get("severity"):
        assert essentials["severity"] in shown
    state = "RESOLVED" if essentials["monitorCondition"] == "Resolved" else "FIRED"
    assert state in texts(card)
    assert fact(card, "Fired") == utc(essentials["firedDateTime"])
    if essentials.get("resolvedDateTime"):
        assert fact(card, "Resolved") == utc(essentials["resolvedDateTime"])
    assert "Resource" in fact_titles(card)
    targets = essentials.get("alertTargetIDs") or []
    urls = [url for _title, url in links(card)]
    # The resource the alert is about: the target, or for a log alert the resource its dimensions
    # name (the target is then the workspace the query ran in).
    assert fact(card, "Resource").removeprefix("Subscription ") in json.dumps(data)
    if targets and "/resourcegroups/" in targets[0].lower():
        assert any(url.lower().endswith(targets[0].lower()) for url in urls)
    if essentials.get("investigationLink"):
        assert essentials["investigationLink"] in urls


# --- Alertmanager (webhook version 4) -----------------------------------------------------------


@pytest.mark.parametrize("name", payload_names("alertmanager-"))
def test_an_alertmanager_group_shows_each_alert_its_state_times_and_links(
    name: str, monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams, {"ops": "classic"})
    data = payload(name)
    [card] = post("alertmanager", data, channels)
    shown = "\n".join(texts(card))
    urls = [url for _title, url in links(card)]

    alerts = data["alerts"]
    firing = sum(alert["status"] == "firing" for alert in alerts)
    assert f"{firing} firing · {len(alerts) - firing} resolved" in shown
    assert ("FIRING" if data["status"] == "firing" else "RESOLVED") in texts(card)
    alertname = data["commonLabels"].get("alertname")
    if alertname:
        assert alertname in texts(card)[0]
    for alert in alerts:
        summary = alert.get("annotations", {}).get("summary")
        if summary:
            assert summary in shown
        assert utc(alert["startsAt"], seconds=False) in shown
        if alert.get("generatorURL"):
            assert alert["generatorURL"] in urls
        if alert["status"] == "resolved":
            assert utc(alert["endsAt"], seconds=False) in shown
    assert data["externalURL"] in urls
    if data.get("truncatedAlerts"):
        assert f"{data['truncatedAlerts']} more alerts" in shown


# --- GitHub (repository and organization webhooks) ---------------------------------------------

GITHUB_HEADERS = {
    "User-Agent": "GitHub-Hookshot/6f1a2b3",
    "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    "X-GitHub-Hook-ID": "478123456",
}


# GitHub names the event in a header; the fixtures are named after it.
GITHUB_EVENTS = {
    "workflow-run": "workflow_run",
    "push": "push",
    "pull-request": "pull_request",
    "release": "release",
    "issues": "issues",
    "deployment-status": "deployment_status",
    "ping": "ping",
    "star": "star",
}


def github_event(fixture: str) -> str:
    stem = fixture.removeprefix("github-")
    return next(event for prefix, event in GITHUB_EVENTS.items() if stem.startswith(prefix))


@pytest.mark.parametrize("name", payload_names("github-"))
def test_a_github_delivery_shows_repository_sender_and_a_link_to_the_subject(
    name: str, monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams, {"dev": "workflows"})
    data = payload(name)
    headers = {**GITHUB_HEADERS, "X-GitHub-Event": github_event(name)}
    [card] = post("github", data, channels, channel="dev", headers=headers)
    assert f"{data['repository']['full_name']} · {data['sender']['login']}" in texts(card)
    urls = [url for _title, url in links(card)]
    subject = next(
        (data[key] for key in ("workflow_run", "pull_request", "release", "issue") if key in data),
        None,
    )
    if subject is not None:
        assert urls[0] == subject["html_url"]
    assert urls[-1] == data["repository"]["html_url"]


def test_a_github_webhook_left_on_its_default_form_encoding_is_told_to_send_json(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    # GitHub's default content type is application/x-www-form-urlencoded (payload=<json>).
    configure(monkeypatch, teams, {"dev": "workflows"})
    body = b"payload=" + json.dumps(payload("github-ping")).encode()
    request = notify_request(
        "github",
        body,
        query={"channel": "dev"},
        headers=GITHUB_HEADERS,
        content_type="application/x-www-form-urlencoded",
    )
    answer = call_notify(request)
    assert answer.status == 415
    assert "application/json" in answer.body["error"]["message"]
    assert teams.records == []


# --- Azure DevOps (service hooks, Web Hooks consumer) -------------------------------------------


@pytest.mark.parametrize("name", payload_names("azure-devops-"))
def test_an_azure_devops_service_hook_shows_its_message_and_links_back(
    name: str, monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams, {"dev": "workflows"})
    data = payload(name)
    [card] = post("azure-devops", data, channels, channel="dev")
    assert data["detailedMessage"]["markdown"] in texts(card)
    [(_label, url)] = links(card)
    assert url in json.dumps(data)


def test_a_group_over_teams_size_limit_is_split_between_alerts_not_refused(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    # Teams refuses messages over 28 KB: delivery splits at the alerts the template repeated. The
    # parts keep to Teams' 4 posts a second, so this test has the default 8-second budget.
    channels = configure(monkeypatch, teams, {"ops": "classic"}, budget=8)
    data = payload("alertmanager-firing")
    template = data["alerts"][0]
    data["alerts"] = []
    for index in range(300):
        alert = copy.deepcopy(template)
        alert["labels"]["instance"] = f"10.0.{index // 250}.{index % 250}:9100"
        alert["fingerprint"] = f"{index:016x}"
        data["alerts"].append(alert)
    cards = post("alertmanager", data, channels)
    assert len(cards) > 1
    for record in teams.received(channels.urls["ops"]):
        assert record.size <= TEAMS_LIMIT_BYTES
        assert record.outcome == "delivered"
    instances = "\n".join("\n".join(texts(card)) for card in cards)
    for index in (0, 149, 299):
        assert f"instance=10.0.{index // 250}.{index % 250}:9100" in instances
