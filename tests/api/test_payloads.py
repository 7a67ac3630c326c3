"""Other systems' webhooks posted unchanged: Azure Monitor, Alertmanager, GitHub, Azure DevOps.

Each real-world payload (tests/fixtures/payloads/) is POSTed to its route as the sender does, the
card Teams receives (from the loopback stand-in) passes the card checks, and it shows what matters,
with the expectations read from the payload itself: the rule, severity, resource, state, times
and links.
"""

import copy
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from devtools.teams_standin import TEAMS_LIMIT_BYTES, TeamsStandIn
from shared.cards import check_card
from tests.support.function_app import (
    Channels,
    call_notify,
    call_render,
    configure,
    notify_request,
    render_request,
)
from tests.support.templates import (
    delivery_headers,
    fact,
    fact_titles,
    links,
    payload,
    payload_names,
    texts,
    walk,
)


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


def is_resolved(alert: dict[str, Any]) -> bool:
    """Resolved as the payload says it: activity-log alerts always send "Fired", and say in their
    own context whether the Service Health incident or the resource's health has recovered."""
    if alert["essentials"]["monitorCondition"] == "Resolved":
        return True
    context = alert["alertContext"]
    properties = context.get("properties") or {}
    if "trackingId" in properties:
        return properties.get("stage") in ("Resolved", "Complete", "RCA") or (
            context.get("status") == "Resolved"
        )
    return properties.get("currentHealthStatus") == "Available"


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
    assert ("RESOLVED" if is_resolved(data["data"]) else "FIRING") in texts(card)
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
    # A link to the alert itself (a budget's: to the budget's scope).
    alert_id = essentials["alertId"]
    if "/Microsoft.AlertsManagement/alerts/" in alert_id:
        assert any(url.endswith(alert_id.replace("/", "%2f")) for url in urls)
    else:
        scope = data["data"]["alertContext"]["AlertData"]["Scope"].rstrip("/")
        assert urls == [f"https://portal.azure.com/#resource{scope}"]


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
    # The state in the header, after the severity when the group has one: "Critical · FIRING".
    state = "FIRING" if data["status"] == "firing" else "RESOLVED"
    assert any(text == state or text.endswith(f" · {state}") for text in texts(card))
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
    "X-GitHub-Hook-Installation-Target-Type": "repository",
    "X-GitHub-Hook-Installation-Target-ID": "771234567",
    "X-Hub-Signature-256": "sha256=7d38cdd689735b008b3c702edd92eea23791c5f6",
}

# The events the github template has a card of their own for; any other is named in the title.
OWN_CARD = {
    "check_run",
    "check_suite",
    "create",
    "delete",
    "deployment",
    "deployment_review",
    "deployment_status",
    "fork",
    "issue_comment",
    "issues",
    "ping",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "pull_request_review_thread",
    "push",
    "release",
    "star",
    "status",
    "watch",
    "workflow_job",
    "workflow_run",
}


def github_object_url(event: str, data: dict[str, Any]) -> str | None:
    """The web page of what a delivery is about, read from the payload (None: only the
    repository has one)."""
    repo = data["repository"]["html_url"]
    match event:
        case "push":
            return None if data["deleted"] else data["compare"]
        case "create":
            return f"{repo}/tree/{data['ref']}"
        case "check_suite":
            return f"{repo}/commit/{data['check_suite']['head_sha']}"
        case "status":
            return str(data["target_url"])
        case "fork":
            return str(data["forkee"]["html_url"])
        case "star":
            return f"{repo}/stargazers"
        case "release":
            return (
                f"{repo}/releases" if data["action"] == "deleted" else data["release"]["html_url"]
            )
        case "deployment_status":
            status = data["deployment_status"]
            return str(status.get("environment_url") or status["target_url"])
        case "deployment" | "deployment_review":
            return str(data["workflow_run"]["html_url"])
        case "pull_request_review":
            return str(data["review"]["html_url"])
        case "pull_request_review_comment" | "issue_comment":
            return str(data["comment"]["html_url"])
        case "pull_request_review_thread":
            return str(data["thread"]["comments"][0]["html_url"])
        case "issues":
            return str(data["issue"]["html_url"])
        case "ping" | "delete" | "watch":
            return None
    subject = data.get(event)
    if isinstance(subject, dict) and subject.get("html_url"):
        return str(subject["html_url"])
    return None


@pytest.mark.parametrize("name", payload_names("github-"))
def test_a_github_delivery_shows_event_repository_actor_and_links_the_object(
    name: str, monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams, {"dev": "workflows"})
    data = payload(name)
    headers = {**GITHUB_HEADERS, **delivery_headers(name)}
    event = headers["X-GitHub-Event"]
    [card] = post("github", data, channels, channel="dev", headers=headers)
    shown = texts(card)
    assert f"{data['repository']['full_name']} · {data['sender']['login']}" in shown
    heading = shown[0]
    if event in OWN_CARD:
        assert not heading.startswith("🔔"), heading
    else:
        action = f" · {data['action']}" if "action" in data else ""
        assert heading == f"🔔 {event.replace('_', ' ')}{action}"
    # The buttons: a push's commit lines open their commits by selecting them (issue 16).
    urls = [
        action["url"]
        for node in walk(card)
        for action in node.get("actions", [])
        if action.get("type") == "Action.OpenUrl"
    ]
    expected = github_object_url(event, data)
    if expected is not None:
        assert urls[0] == expected
    assert urls[-1] == data["repository"]["html_url"]
    assert GITHUB_HEADERS["X-Hub-Signature-256"] not in json.dumps(card)


def test_the_render_route_reads_the_event_header_and_passes_no_secret_header(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    configure(monkeypatch, teams, {"dev": "workflows"})
    secrets = {
        "Authorization": "Bearer s3cret-t0ken",
        "X-Hub-Signature-256": "sha256=0123456789abcdef",
        "Cookie": "session=c00kie",
        "X-Functions-Key": "functi0n-key",
    }
    headers = {**secrets, "x-github-event": "star"}
    request = render_request(
        "github", payload("github-star"), query={"channel": "dev"}, headers=headers
    )
    answer = call_render(request)
    assert answer.status == 200
    assert (
        answer.body["card"]["body"][0]["items"][0]["items"][0]["columns"][0]["items"][0]["text"]
        == "⭐ megan-bowen starred the repository"
    )
    shown = json.dumps(answer.body)
    for value in secrets.values():
        assert value not in shown
    assert teams.records == []


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


# Where a service hook's resource keeps its result or state, most telling first.
DEVOPS_STATES = (
    ("approval", "status"),
    ("result",),
    ("run", "result"),
    ("job", "result"),
    ("stage", "result"),
    ("environment", "status"),
    ("deployment", "deploymentStatus"),
    ("run", "state"),
    ("job", "state"),
    ("stage", "state"),
    ("release", "status"),
    ("status",),
)
DEVOPS_STYLES = {
    "succeeded": "good",
    "completed": "good",
    "approved": "good",
    "failed": "attention",
    "rejected": "attention",
    "abandoned": "attention",
    "partiallysucceeded": "warning",
    "inprogress": "accent",
    "pending": "accent",
}


def devops_state(resource: dict[str, Any]) -> str:
    for path in DEVOPS_STATES:
        value: Any = resource
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value:
            return str(value).lower()
    return ""


@pytest.mark.parametrize("name", payload_names("azure-devops-"))
def test_an_azure_devops_service_hook_shows_its_summary_result_and_links_back(
    name: str, monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams, {"dev": "workflows"})
    data = payload(name)
    [card] = post("azure-devops", data, channels, channel="dev")
    summary = data["message"]["text"].splitlines()[0].strip()
    assert texts(card)[0].endswith(summary)
    assert card["body"][0]["style"] == DEVOPS_STYLES.get(devops_state(data["resource"]), "emphasis")
    shown = "\n".join(texts(card))
    assert "\r" not in shown
    assert "<li>" not in shown
    [(_label, url)] = links(card)
    assert url.startswith("https://dev.azure.com/contoso/Shop/")
    # The page the payload names, or one built from its parts (a pull request's, a work item's).
    built = re.fullmatch(r"(.*)/(pullrequest|_workitems/edit)/(\d+)", url)
    assert url in json.dumps(data) or (built is not None and built[1] in json.dumps(data))


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
        assert f"· 10.0.{index // 250}.{index % 250}:9100 ·" in instances
