"""Nothing lost: queued messages are redelivered by the queue trigger's function.

The queue message is handed over as `azure.functions.queue.QueueMessage` (the concrete class the
worker builds; `func.QueueMessage` is abstract). While Teams still fails, `redeliver` raises, so
the Functions host retries the message after visibilityTimeout and finally moves it to the poison
queue; a permanent refusal is logged and dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

import pytest
from azure.functions.queue import QueueMessage

from devtools.delivery import run
from devtools.teams_standin import Answer, TeamsStandIn
from shared.cards.envelope import to_message
from shared.config.settings import Settings
from shared.teams.client import aclose_client
from shared.teams.delivery import QUEUE_MESSAGE_LIMIT, Delivery, DeliveryResult, RetryPolicy
from shared.teams.limiter import RateLimiter
from shared.teams.redelivery import RedeliveryPending, redeliver

POLICY = RetryPolicy(base=0.05, cap=0.2, min_attempt=0.1, read_timeout=1.0)
CARD: dict[str, Any] = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [{"type": "TextBlock", "text": "Service down: checkout"}],
}


def settings_for(url: str, **extra: str) -> Settings:
    env = {
        "TEAMS_ALLOW_HOSTS": "127.0.0.1",
        "TEAMS_WEBHOOK_OPS": url,
        "TEAMS_REDELIVERY_BUDGET_SECONDS": "1",
        **extra,
    }
    return Settings.from_environ(env)


def queued(settings: Settings, card: dict[str, Any] = CARD, **options: Any) -> DeliveryResult:
    options.setdefault("budget", 0.8)
    [result] = run(
        Delivery(settings, policy=POLICY).deliver(card, ["ops"], notification_id="n-7", **options)
    )
    assert result.status == "queued"
    return result


def message(body: str, dequeue_count: int) -> QueueMessage:
    return QueueMessage(id="q-1", body=body.encode(), dequeue_count=dequeue_count)  # type: ignore[no-untyped-call]


def again(
    body: str, dequeue_count: int, settings: Settings, limiter: RateLimiter | None = None
) -> DeliveryResult | None:
    return run(
        redeliver(
            message(body, dequeue_count),
            delivery=Delivery(settings, policy=POLICY, limiter=limiter or RateLimiter()),
        )
    )


def test_teams_down_then_back_the_queued_message_is_delivered_once(
    teams: TeamsStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    url = teams.url("classic")
    settings = settings_for(url)
    teams.down()  # down for every attempt of the first call
    [body] = queued(settings).queue_messages  # what the output binding would receive

    with pytest.raises(RedeliveryPending) as still_down:
        again(body, 1, settings)  # still down: raise so the host retries the message
    assert "n-7" in str(still_down.value)

    teams.up()
    with caplog.at_level(logging.INFO, logger="shared.teams"):
        result = again(body, 2, settings)
    assert result is not None
    assert result.status == "delivered"
    [received] = teams.received(url)
    assert received.json() == to_message(CARD)
    assert teams.count("throttled") == 0
    lines = [r.getMessage() for r in caplog.records]
    assert any("id=n-7" in line and "attempt=2" in line for line in lines)


def test_a_permanent_refusal_is_logged_with_teams_reason_and_dropped(
    teams: TeamsStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    url = teams.url("classic")
    settings = settings_for(url)
    teams.script(url, *[Answer.server_error()] * 30)
    [body] = queued(settings).queue_messages
    teams.clear_scripts()  # the outage is over; Teams now refuses the payload itself
    teams.script(url, Answer.summary_required())
    with caplog.at_level(logging.ERROR, logger="shared.teams"):
        result = again(body, 3, settings)  # no exception: retrying cannot help
    assert result is not None
    assert result.status == "failed"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("Summary or Text is required." in e and "attempt=3" in e for e in errors)


def test_a_message_that_is_not_a_retry_message_is_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = settings_for("http://127.0.0.1:9/webhookb2/x")
    with caplog.at_level(logging.ERROR, logger="shared.teams"):
        assert again("not json {", 1, settings) is None
        assert again(json.dumps({"version": 1, "id": "x"}), 1, settings) is None
    assert len([r for r in caplog.records if "not a retry message" in r.getMessage()]) == 2


def test_a_channel_broken_now_raises_so_the_message_is_kept(teams: TeamsStandIn) -> None:
    url = teams.url("classic")
    teams.down()
    [body] = queued(settings_for(url)).queue_messages
    broken = settings_for("@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x/)")
    with pytest.raises(RedeliveryPending, match="TEAMS_WEBHOOK_OPS"):
        again(body, 1, broken)


def test_the_queue_message_names_the_channel_and_keeps_the_message(teams: TeamsStandIn) -> None:
    url = teams.url("workflows")
    teams.down()
    [body] = queued(settings_for(url)).queue_messages
    data = json.loads(body)
    assert set(data) == {"version", "id", "channel", "first_failure", "messages"}
    assert (data["id"], data["channel"]) == ("n-7", "ops")
    assert data["messages"] == [to_message(CARD)]
    assert "sig" not in body
    assert "workflows" not in body


@dataclass(frozen=True)
class Span:
    path: tuple[str | int, ...]
    start: int
    stop: int


def test_many_queued_parts_are_spread_over_queue_messages_within_the_queue_limit(
    teams: TeamsStandIn,
) -> None:
    url = teams.url("classic")
    teams.down()
    body = [{"type": "TextBlock", "text": f"item {i:04d} " + "x" * 400} for i in range(600)]
    big = {"type": "AdaptiveCard", "version": "1.5", "body": body}
    result = queued(settings_for(url), big, repeats=[Span(("body",), 0, 600)])
    assert result.parts >= 8
    assert len(result.queue_messages) > 1
    assert all(len(m.encode()) <= QUEUE_MESSAGE_LIMIT for m in result.queue_messages)

    teams.up()
    settings = settings_for(url, TEAMS_REDELIVERY_BUDGET_SECONDS="30")
    limiter = RateLimiter()  # one process: one limiter across the queue trigger's calls
    for text in result.queue_messages:
        redelivered = again(text, 1, settings, limiter)
        assert redelivered is not None
        assert redelivered.status == "delivered"
    lines = [
        block["text"]
        for record in teams.received(url)
        for block in record.json()["attachments"][0]["content"]["body"]
    ]
    items = [line.split()[1] for line in lines if line.startswith("item ")]
    assert items == [f"{i:04d}" for i in range(600)]


def test_redelivery_keeps_to_its_own_shorter_budget(teams: TeamsStandIn) -> None:
    url = teams.url("classic")
    teams.down()
    [body] = queued(settings_for(url)).queue_messages
    loop = asyncio.new_event_loop()
    try:
        started = loop.time()
        with pytest.raises(RedeliveryPending):
            loop.run_until_complete(
                redeliver(message(body, 1), delivery=Delivery(settings_for(url), policy=POLICY))
            )
        assert loop.time() - started < 1.4  # TEAMS_REDELIVERY_BUDGET_SECONDS=1
        loop.run_until_complete(aclose_client())
    finally:
        loop.close()
