"""A poison message end to end, through the function app's own functions, real Azurite (table and
queue) and the Teams stand-in: stored, the dead-letter card posted, `replay` delivers it once."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from azure.storage.queue import QueueClient, TextBase64DecodePolicy

from devtools.azurite import Azurite
from devtools.teams_standin import Answer, TeamsStandIn
from shared.cli import main as cli
from shared.health import current_shared_state_verdict, health_report
from shared.teams.redelivery import RedeliveryPending
from tests.support.function_app import (
    as_queue_message,
    call_notify,
    configure,
    indexed,
    notify_request,
    run,
)


def fresh_health() -> dict[str, Any]:
    """The health report with a new probe: the route reuses its count for 30 s (a table query
    per load-balancer ping otherwise), and the CLI calls in between read the settings again."""
    current_shared_state_verdict().seconds = 0.0
    return health_report()


def retry_queue(azurite: Azurite) -> QueueClient:
    return QueueClient.from_connection_string(
        azurite.connection_string,
        "notifications-retry",
        message_decode_policy=TextBase64DecodePolicy(),
    )


def texts(records: list[Any]) -> list[str]:
    return [json.dumps(record, ensure_ascii=False) for record in records]


def test_a_poison_message_is_kept_announced_and_replayed_once(
    monkeypatch: pytest.MonkeyPatch,
    teams: TeamsStandIn,
    storage: Azurite,
    capsys: pytest.CaptureFixture[str],
) -> None:
    channels = configure(
        monkeypatch,
        teams,
        {"ops": "classic", "alerts": "workflows"},
        extra={"TEAMS_DEADLETTER_CHANNEL": "alerts"},
    )
    before = fresh_health()["dead_letters"]
    teams.script(channels.urls["ops"], *[Answer.server_error(503)] * 40)
    answer = call_notify(
        notify_request("message", {"title": "Disk full"}, query={"channel": "ops"})
    )
    assert answer.status == 202
    [queued] = answer.retry
    notification = answer.body["id"]

    # The retry function fails as long as Teams does; the host then moves it to the poison queue.
    with pytest.raises(RedeliveryPending):
        run(indexed().user_function("notifications_retry")(as_queue_message(queued, 12)))
    run(indexed().user_function("notifications_dead_letter")(as_queue_message(queued, 1)))

    [card_message] = channels.received("alerts")
    card = card_message["attachments"][0]["content"]
    shown = json.dumps(card)
    assert "Undeliverable notification" in shown
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert facts["Notification"] == notification
    assert facts["Channel"] == "ops"
    assert facts["Template"] == "message"
    assert facts["First failure"].startswith("20")
    assert "503" in facts["Last reason"]
    assert all(url not in shown for url in channels.urls.values())
    assert fresh_health()["dead_letters"] == (before or 0) + 1

    # Teams is back: replay puts it on the retry queue, the retry function posts it.
    teams.clear_scripts()
    assert cli(["replay", notification]) == 0
    assert f"replayed {notification} channel=ops template=message" in capsys.readouterr().out
    assert cli(["replay", notification]) == 1  # gone from the dead letters: once only
    queue = retry_queue(storage)
    messages = list(queue.receive_messages(max_messages=32, visibility_timeout=30))
    replayed = [m for m in messages if json.loads(m.content)["id"] == notification]
    assert len(replayed) == 1
    for message in replayed:
        run(indexed().user_function("notifications_retry")(as_queue_message(message.content, 1)))
        queue.delete_message(message)
    delivered = [r for r in teams.received(channels.urls["ops"]) if r.outcome == "delivered"]
    assert len(delivered) == 1
    assert delivered[0].json()["attachments"][0]["content"]["body"][0]["items"][0]["text"] == (
        "Disk full"
    )
    assert fresh_health()["dead_letters"] == (before or 0)


def test_the_outgoing_webhook_command_replays_a_dead_letter(storage: Azurite) -> None:
    from shared.state.deadletters import current_dead_letters
    from tests.outgoing.test_commands import ask, text_of

    letters = current_dead_letters()
    assert letters is not None
    notification = f"cmd{time.time_ns()}"
    body = json.dumps(
        {
            "version": 1,
            "id": notification,
            "channel": "ops",
            "first_failure": "2026-12-03T08:00:00Z",
            "messages": [{"type": "message", "text": "x"}],
        }
    )
    letters.keep(
        body,
        notification_id=notification,
        channel="ops",
        template="message",
        first_failure="2026-12-03T08:00:00Z",
        last_reason="Teams is unavailable (HTTP 503)",
    )
    assert text_of(ask(f"replay {notification}")) == (
        f"Put `{notification}` back on the retry queue for `ops`."
    )
    assert text_of(ask(f"replay {notification}")) == (
        f"There is no dead letter `{notification}` (they are kept 14 days)."
    )
    queue = retry_queue(storage)
    found = [
        m
        for m in queue.receive_messages(max_messages=32, visibility_timeout=30)
        if json.loads(m.content)["id"] == notification
    ]
    assert [m.content for m in found] == [body]
    for message in found:
        queue.delete_message(message)
