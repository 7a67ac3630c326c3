"""POST /api/notify/{template}: the body is the template's data; channels, mentions, answers.

Requests are built as the Functions host hands them over: a repeated query key arrives as one
parameter with the values joined by commas, and the URL carries the function key (`code=`).
"""

import json
import logging
import time
from typing import Any

import pytest

from devtools.teams_standin import SUMMARY_REQUIRED, Answer, TeamsStandIn
from shared.cards import check_card
from shared.config.once import reset_configuration
from tests.support.function_app import (
    FUNCTION_KEY,
    call_notify,
    configure,
    host_params,
    notify_request,
)

DATA = {"title": "Nightly backup finished", "text": "All **42** databases were backed up."}


def card_of(message: dict[str, Any]) -> dict[str, Any]:
    card: dict[str, Any] = message["attachments"][0]["content"]
    return card


def test_the_host_joins_a_repeated_query_key_with_commas() -> None:
    # What the tests' requests rely on: `?channel=a&channel=b` reaches the function as "a,b".
    assert host_params([("channel", "ops"), ("channel", "dev"), ("mention", "x@y.z")]) == {
        "channel": "ops,dev",
        "mention": "x@y.z",
    }


def test_a_card_is_delivered_and_the_answer_says_so(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams)
    answer = call_notify(notify_request("message", DATA, query={"channel": "ops"}))
    assert answer.status == 200
    assert set(answer.body) == {"id", "template", "results"}
    assert answer.body["template"] == "message"
    assert len(answer.body["id"]) == 32
    assert answer.body["results"] == [
        {"channel": "ops", "status": "delivered", "attempts": 1, "detail": "posted"}
    ]
    [message] = channels.received("ops")
    # docs/teams-protocol.md#message-envelope: an Adaptive Card goes out as a message with one
    # attachment.
    assert message["type"] == "message"
    assert message["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card_of(message)["body"][0]["items"][0]["text"] == "Nightly backup finished"
    assert answer.retry == []


def test_several_channels_from_a_repeated_key_or_commas_each_get_the_card(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams)
    repeated = call_notify(
        notify_request("message", DATA, query=[("channel", "ops"), ("channel", "dev")])
    )
    commas = call_notify(notify_request("message", DATA, query={"channel": "ops,dev"}))
    for answer in (repeated, commas):
        assert answer.status == 200
        # Classic connectors answer 1 (delivered), Workflows answer 202 (accepted).
        assert [(r["channel"], r["status"]) for r in answer.body["results"]] == [
            ("ops", "delivered"),
            ("dev", "accepted"),
        ]
    assert len(channels.received("ops")) == len(channels.received("dev")) == 2


def test_channel_names_are_taken_in_any_case_and_once(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams)
    answer = call_notify(notify_request("message", DATA, query={"channel": "OPS,ops, Ops"}))
    assert [r["channel"] for r in answer.body["results"]] == ["ops"]
    assert len(channels.received("ops")) == 1


def test_without_a_channel_the_default_channel_is_used(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams, default="dev")
    answer = call_notify(notify_request("message", DATA))
    assert [r["channel"] for r in answer.body["results"]] == ["dev"]
    assert len(channels.received("dev")) == 1


def test_without_a_channel_or_a_default_the_caller_is_told_how_to_name_one(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    configure(monkeypatch, teams, default=None)
    answer = call_notify(notify_request("message", DATA))
    assert (answer.status, answer.code) == (400, "channel_required")
    assert "?channel=NAME" in answer.body["error"]["message"]
    assert answer.body["error"]["details"]["known"] == ["dev", "ops"]


def test_an_unknown_channel_lists_the_configured_names_never_their_urls(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams)
    answer = call_notify(notify_request("message", DATA, query={"channel": "ops,nowhere"}))
    assert (answer.status, answer.code) == (404, "unknown_channel")
    assert "unknown channel 'nowhere'" in answer.body["error"]["message"]
    assert answer.body["error"]["details"]["known"] == ["dev", "ops"]
    text = json.dumps(answer.body)
    assert all(url not in text for url in channels.urls.values())
    # Nothing is sent when one named channel does not exist.
    assert channels.received("ops") == []


# --- mentions -------------------------------------------------------------------------------------


def test_mention_adds_at_texts_and_the_matching_entities(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    # docs/teams-protocol.md#mentions: a mention needs both the `<at>` text in the card and
    # msteams.entities.
    channels = configure(monkeypatch, teams)
    object_id = "8c0e1d4b-6f3a-4c57-9d0e-2b8f1a7c3e45"
    query = [("channel", "ops"), ("mention", "adele.vance@contoso.com"), ("mention", object_id)]
    answer = call_notify(notify_request("alert", {"title": "Disk full"}, query=query))
    assert answer.status == 200
    card = card_of(channels.received("ops")[0])
    assert check_card(card, "incoming") == []
    assert card["body"][-1]["text"] == (
        f"cc <at>adele.vance@contoso.com</at>, <at>{object_id}</at>"
    )
    assert card["msteams"]["entities"] == [
        {
            "type": "mention",
            "text": "<at>adele.vance@contoso.com</at>",
            "mentioned": {"id": "adele.vance@contoso.com", "name": "adele.vance@contoso.com"},
        },
        {
            "type": "mention",
            "text": f"<at>{object_id}</at>",
            "mentioned": {"id": object_id, "name": object_id},
        },
    ]
    assert card["msteams"]["width"] == "Full"  # the template's own msteams settings stay


def test_mentions_come_after_the_template_s_own(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams)
    data = {"title": "x", "mentions": [{"id": "alex.wilber@contoso.com", "name": "Alex Wilber"}]}
    query = {"channel": "ops", "mention": "adele.vance@contoso.com"}
    call_notify(notify_request("message", data, query=query))
    card = card_of(channels.received("ops")[0])
    assert [e["text"] for e in card["msteams"]["entities"]] == [
        "<at>Alex Wilber</at>",
        "<at>adele.vance@contoso.com</at>",
    ]
    assert check_card(card, "incoming") == []


def test_the_same_person_is_mentioned_once(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams)
    query = {"channel": "ops", "mention": "Adele.Vance@contoso.com,adele.vance@contoso.com"}
    call_notify(notify_request("message", DATA, query=query))
    card = card_of(channels.received("ops")[0])
    assert len(card["msteams"]["entities"]) == 1


# --- what Teams answered --------------------------------------------------------------------------


def test_a_permanent_refusal_is_502_with_teams_reason(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    # docs/teams-protocol.md#classic-connector-answers: malformed payloads get a real 400 with
    # "Summary or Text is required."
    channels = configure(monkeypatch, teams)
    teams.script(channels.urls["ops"], Answer.summary_required())
    answer = call_notify(notify_request("message", DATA, query={"channel": "ops,dev"}))
    assert (answer.status, answer.code) == (502, "teams_refused")
    assert SUMMARY_REQUIRED in answer.body["error"]["message"]
    # The caller still learns that the other channel got it.
    results = answer.body["error"]["details"]["results"]
    assert [(r["channel"], r["status"]) for r in results] == [
        ("ops", "failed"),
        ("dev", "accepted"),
    ]
    assert answer.body["error"]["details"]["id"]


def test_a_broken_channel_fails_alone_naming_its_setting(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams)
    reference = "@Microsoft.KeyVault(VaultName=kv-notify;SecretName=teams-webhook-dev)"
    monkeypatch.setenv("TEAMS_WEBHOOK_DEV", reference)
    reset_configuration()
    answer = call_notify(notify_request("message", DATA, query={"channel": "ops,dev"}))
    assert (answer.status, answer.code) == (503, "channel_unusable")
    assert "TEAMS_WEBHOOK_DEV" in answer.body["error"]["message"]
    assert "kv-notify" not in json.dumps(answer.body)
    assert len(channels.received("ops")) == 1


def test_a_channel_teams_did_not_take_in_time_is_queued_and_the_answer_is_202(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    channels = configure(monkeypatch, teams, budget=1.5)
    teams.script(channels.urls["dev"], *[Answer.server_error(503)] * 20)
    started = time.monotonic()
    answer = call_notify(notify_request("message", DATA, query={"channel": "ops,dev"}))
    elapsed = time.monotonic() - started
    assert answer.status == 202
    assert [(r["channel"], r["status"]) for r in answer.body["results"]] == [
        ("ops", "delivered"),
        ("dev", "queued"),
    ]
    [queued] = answer.retry
    assert json.loads(queued)["channel"] == "dev"
    # The answer comes within the delivery budget (8 s by default, 1.5 s here).
    assert elapsed < 1.5 + 1.0


def test_a_text_over_28_kb_is_shortened_with_a_marker_and_delivered(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    # Refusing it would lose the notification: senders such as Alertmanager never retry a 4xx.
    channels = configure(monkeypatch, teams)
    answer = call_notify(
        notify_request("message", {"text": "x" * 40_000}, query={"channel": "ops"})
    )
    assert answer.status == 200
    [message] = channels.received("ops")
    [text] = [b["text"] for b in card_of(message)["body"] if b.get("type") == "TextBlock"]
    assert text.startswith("xxx")
    assert text.endswith(" characters)")
    left_out = int(text.rsplit("(shortened, ", 1)[1].split()[0].replace(",", ""))
    assert text.count("x") + left_out == 40_000
    assert len(json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()) <= 28 * 1024


# --- logs ---------------------------------------------------------------------------------------


def test_one_log_line_per_delivery_without_urls_or_the_function_key(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    channels = configure(monkeypatch, teams)
    teams.script(channels.urls["dev"], Answer.server_error(500))
    with caplog.at_level(logging.DEBUG):
        answer = call_notify(
            notify_request("deployment", {"service": "shop"}, query={"channel": "ops,dev"})
        )
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("delivery id=")]
    assert len(lines) == 2
    by_channel = {line.split(" channel=")[1].split()[0]: line for line in lines}
    for channel, outcome, attempts in (("ops", "delivered", 1), ("dev", "accepted", 2)):
        line = by_channel[channel]
        assert f"id={answer.body['id']}" in line
        assert f"outcome={outcome}" in line
        assert f"attempts={attempts}" in line
        assert " ms=" in line
        assert "template=deployment" in line
        assert "invocation_id=" in line
    everything = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert FUNCTION_KEY not in everything
    assert "code=" not in everything
    for url in channels.urls.values():
        assert url not in everything
        assert url.split("?")[0] not in everything
