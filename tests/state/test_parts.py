"""The parts ledger: a split card whose third part fails is redelivered from part 3, and a
redelivery that fails again half-way does not repost what it already got through (real Azurite,
the Teams stand-in)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from azure.functions.queue import QueueMessage

from devtools.azurite import Azurite
from devtools.delivery import run
from devtools.teams_standin import Answer, TeamsStandIn
from shared.config.settings import Settings
from shared.state.parts import PartsLedger
from shared.state.store import StateStore, StorageTarget
from shared.teams.delivery import Delivery, RetryPolicy
from shared.teams.redelivery import RedeliveryPending, redeliver
from tests.teams.test_split import alert_group, alert_numbers


def message(body: str, dequeue_count: int) -> QueueMessage:
    return QueueMessage(body=body.encode(), dequeue_count=dequeue_count)  # type: ignore[no-untyped-call]


def delivery_for(url: str, azurite: Azurite) -> Delivery:
    settings = Settings.from_environ(
        {
            "TEAMS_WEBHOOK_OPS": url,
            "TEAMS_ALLOW_HOSTS": "127.0.0.1",
            "TEAMS_REDELIVERY_BUDGET_SECONDS": "2.5",
        }
    )
    store = StateStore(StorageTarget(connection_string=azurite.connection_string))
    return Delivery(
        settings,
        policy=RetryPolicy(base=0.05, cap=0.1, min_attempt=0.2),
        ledger=PartsLedger(store),
    )


def posted_alerts(teams: TeamsStandIn, url: str) -> list[list[int]]:
    """The alert numbers of each part Teams took, in order."""
    ok = ("delivered", "success")  # a scripted success is recorded as "success"
    return [alert_numbers(r.json()) for r in teams.received(url) if r.outcome in ok]


def failing(count: int) -> list[Answer]:
    return [Answer.server_error(503)] * count


def test_a_split_card_is_redelivered_from_its_failed_part_and_never_twice(
    teams: TeamsStandIn, azurite: Azurite
) -> None:
    url = teams.url("classic")
    delivery = delivery_for(url, azurite)
    card, spans = alert_group(600, 200)
    # Parts 1 and 2 go through, part 3 fails for the whole budget.
    teams.script(url, Answer.success(), Answer.success(), *failing(60))
    [result] = run(delivery.deliver(card, ["ops"], repeats=spans, budget=1.5))
    assert result.status == "queued"
    parts = result.parts
    assert parts >= 5
    first_two = posted_alerts(teams, url)
    assert len(first_two) == 2
    queued = result.queue_messages  # parts 3..n, over as many queue messages as they need
    assert sum(len(json.loads(text)["messages"]) for text in queued) == parts - 2

    # Part 3's message goes through; the queue hands it over again (queues deliver at least once,
    # and a worker may stop before the host deletes a message): nothing is posted twice.
    teams.clear_scripts()
    for attempt in (2, 3):
        outcome = run(redeliver(message(queued[0], attempt), delivery=delivery))
        assert outcome is not None
        assert outcome.status == "delivered"
    assert len(posted_alerts(teams, url)) == 3

    # The next message fails for its budget, then every message is redelivered: each part
    # reaches Teams once.
    teams.script(url, *failing(60))
    with pytest.raises(RedeliveryPending):
        run(redeliver(message(queued[1], 2), delivery=delivery))
    teams.clear_scripts()
    for text in queued:
        outcome = run(redeliver(message(text, 3), delivery=delivery))
        assert outcome is not None
        assert outcome.status == "delivered"
    everything = posted_alerts(teams, url)
    assert len(everything) == parts
    numbers = Counter(n for part in everything for n in part)
    assert sorted(numbers) == list(range(600))  # every alert, in order of the parts
    assert max(numbers.values()) == 1  # none twice
    assert [part[0] for part in everything] == sorted(part[0] for part in everything)


def test_the_ledger_keeps_the_last_failure_reason(teams: TeamsStandIn, azurite: Azurite) -> None:
    url = teams.url("classic")
    delivery = delivery_for(url, azurite)
    teams.script(url, *failing(60))
    card: dict[str, Any] = {"type": "AdaptiveCard", "version": "1.5", "body": []}
    [result] = run(delivery.deliver(card, ["ops"], budget=0.8))
    assert result.status == "queued"
    assert delivery.ledger is not None
    reason = run(delivery.ledger.last_failure(result.notification_id, "ops"))
    assert reason is not None
    assert "503" in reason
    assert "127.0.0.1" not in reason
