"""POST /api/notify/{template}?topic=NAME through the app's own notify function: the topic's
subscriptions (filters included) get the card through the channels' pipeline, a gone webhook is
paused, and a queued one is redelivered from the retry queue by its `sub-<id>` name."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from azure.functions.queue import QueueMessage

from devtools.azurite import Azurite
from devtools.delivery import run
from devtools.teams_standin import Answer, TeamsStandIn
from shared.config.once import reset_configuration
from shared.subscriptions.crypto import new_local_key
from shared.subscriptions.fanout import GONE_LIMIT
from shared.subscriptions.model import Draft, Person, SubscriptionView, TopicChoice
from shared.subscriptions.service import Subscriptions, current_subscriptions
from shared.teams.redelivery import redeliver
from tests.support.function_app import Channels, call_notify, configure, notify_request


@pytest.fixture
def app(
    storage: Azurite, teams: TeamsStandIn, monkeypatch: pytest.MonkeyPatch
) -> tuple[Channels, Subscriptions]:
    channels = configure(
        monkeypatch, teams, extra={"SUBSCRIPTIONS_KEY": new_local_key()}, budget=3.0
    )
    return channels, current_subscriptions()


def subscribe(
    service: Subscriptions, url: str, *topics: TopicChoice, name: str = "Team"
) -> SubscriptionView:
    person = Person(f"p-{secrets.token_hex(6)}", "Adele Vance")
    draft = Draft(name, url, tuple(topics), ())
    return run(service.create(draft, person))


def cards_at(teams: TeamsStandIn, url: str) -> list[str]:
    return [str(r.json()["attachments"][0]["content"]) for r in teams.received(url)]


def notify(topic: str, data: dict[str, Any], **query: str) -> Any:
    return call_notify(notify_request("message", data, query={"topic": topic, **query}))


def a_topic_nobody_else_uses(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> str:
    """Tests share one Azurite: each fan-out test gets a topic of its own."""
    import json

    from shared.subscriptions import topics

    name = f"t{secrets.token_hex(5)}"
    path = tmp_path / "topics.json"
    path.write_text(
        json.dumps(
            {
                "topics": [
                    {"name": name, "description": "A test topic."},
                    {"name": "incidents", "description": "Incidents."},
                ]
            }
        )
    )
    monkeypatch.setattr(topics, "TOPICS_FILE", path)
    reset_configuration()
    return name


def test_a_topic_reaches_exactly_its_subscriptions_whose_filter_accepts_the_data(
    app: tuple[Channels, Subscriptions],
    teams: TeamsStandIn,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    channels, service = app
    topic = a_topic_nobody_else_uses(monkeypatch, tmp_path)
    service = current_subscriptions()
    severe, everything, other = teams.url("workflows"), teams.url("classic"), teams.url("workflows")
    a = subscribe(service, severe, TopicChoice(topic, "${severity <= 2}"), name="Severe only")
    b = subscribe(service, everything, TopicChoice(topic), name="Everything")
    subscribe(service, other, TopicChoice("incidents"), name="Other topic")

    answer = notify(topic, {"title": "Disk almost full", "severity": 3})
    assert answer.status == 200
    assert answer.body["topic"] == topic
    assert answer.body["results"] == [
        {
            "subscription": b.id,
            "channel": "Everything",
            "status": "delivered",
            "attempts": 1,
            "detail": "posted",
        }
    ]
    assert len(cards_at(teams, everything)) == 2  # welcome + this
    assert len(cards_at(teams, severe)) == 1  # welcome only
    assert len(cards_at(teams, other)) == 1
    assert channels.received("ops") == []  # topic alone: no default channel

    answer = notify(topic, {"title": "Database down", "severity": 1}, channel="ops")
    assert answer.status == 200
    listed = [(r.get("subscription"), r["channel"], r["status"]) for r in answer.body["results"]]
    assert listed == [
        (None, "ops", "delivered"),
        (a.id, "Severe only", "accepted"),
        (b.id, "Everything", "delivered"),
    ]
    assert "Database down" in cards_at(teams, severe)[-1]
    assert len(channels.received("ops")) == 1

    # Paused: nothing; resumed: again.
    run(service.set_active(a.id, False, "paused by test"))
    answer = notify(topic, {"title": "Again", "severity": 0})
    assert [r["subscription"] for r in answer.body["results"]] == [b.id]
    run(service.set_active(a.id, True, None))
    answer = notify(topic, {"title": "Again", "severity": 0})
    assert [r["subscription"] for r in answer.body["results"]] == [a.id, b.id]


def test_a_topic_without_subscribers_still_checks_the_data_and_answers_an_empty_list(
    app: tuple[Channels, Subscriptions],
    teams: TeamsStandIn,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    topic = a_topic_nobody_else_uses(monkeypatch, tmp_path)
    answer = notify(topic, {"title": "Nobody listens"})
    assert answer.status == 200
    assert answer.body["results"] == []
    assert teams.records == []


def test_an_unknown_topic_is_refused_by_name(app: tuple[Channels, Subscriptions]) -> None:
    answer = notify("cats", {"title": "x"})
    assert answer.status == 404
    assert answer.code == "unknown_topic"
    assert "incidents" in answer.body["error"]["details"]["known"]
    answer = notify("Not A Topic!", {"title": "x"})
    assert answer.status == 400
    assert answer.code == "invalid_parameter"


def test_a_topic_without_a_key_is_refused_and_names_the_setting(
    storage: Azurite, teams: TeamsStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, teams)
    monkeypatch.delenv("SUBSCRIPTIONS_KEY", raising=False)
    answer = notify("incidents", {"title": "x"})
    assert answer.status == 503
    assert answer.code == "subscriptions_unavailable"
    assert "SUBSCRIPTIONS_KEY" in answer.body["error"]["message"]
    assert teams.records == []


def test_a_webhook_teams_reports_gone_is_paused_with_the_reason(
    app: tuple[Channels, Subscriptions],
    teams: TeamsStandIn,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    _, service = app
    topic = a_topic_nobody_else_uses(monkeypatch, tmp_path)
    service = current_subscriptions()
    gone, fine = teams.url("classic"), teams.url("workflows")
    lost = subscribe(service, gone, TopicChoice(topic), name="Deleted channel")
    kept = subscribe(service, fine, TopicChoice(topic), name="Fine")
    teams.script(gone, *[Answer.wrapped(410)] * GONE_LIMIT)
    for _ in range(GONE_LIMIT):
        answer = notify(topic, {"title": "Hello"})
        # The sender cannot fix a subscriber's webhook: listed as failed, the answer is 200.
        assert answer.status == 200
        statuses = {r["subscription"]: r["status"] for r in answer.body["results"]}
        assert statuses == {lost.id: "failed", kept.id: "accepted"}
    owner = lost.created_by
    [view] = run(service.mine(owner))
    assert not view.active
    assert view.paused_reason is not None
    assert "gone (HTTP 410) 3 times" in view.paused_reason
    answer = notify(topic, {"title": "After"})
    assert [r["subscription"] for r in answer.body["results"]] == [kept.id]
    assert len(teams.received(gone)) == 1 + GONE_LIMIT


def test_a_webhook_teams_refuses_is_paused_with_the_reason(
    app: tuple[Channels, Subscriptions],
    teams: TeamsStandIn,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    """A workflow turned off or whose URL was regenerated answers 401/403 for good."""
    topic = a_topic_nobody_else_uses(monkeypatch, tmp_path)
    service = current_subscriptions()
    url = teams.url("workflows")
    view = subscribe(service, url, TopicChoice(topic), name="Turned off")
    teams.script(url, *[Answer(403, "Forbidden")] * GONE_LIMIT)
    for _ in range(GONE_LIMIT):
        assert notify(topic, {"title": "Hello"}).status == 200
    [paused] = run(service.mine(view.created_by))
    assert not paused.active
    assert paused.paused_reason is not None
    assert "refused (HTTP 403) 3 times" in paused.paused_reason
    assert "turned off" in paused.paused_reason


def test_a_gone_answer_between_successes_does_not_pause(
    app: tuple[Channels, Subscriptions],
    teams: TeamsStandIn,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    topic = a_topic_nobody_else_uses(monkeypatch, tmp_path)
    service = current_subscriptions()
    url = teams.url("workflows")
    view = subscribe(service, url, TopicChoice(topic))
    teams.script(url, Answer(404, "Not Found"), Answer(404, "Not Found"), Answer.success())
    teams.script(url, Answer(404, "Not Found"), Answer(404, "Not Found"))
    for _ in range(5):
        notify(topic, {"title": "Hello"})
    row = service.table.get(view.id)
    assert row.active
    assert row.gone_count == 2


def test_a_subscription_queued_for_redelivery_is_redelivered_by_its_name(
    app: tuple[Channels, Subscriptions],
    teams: TeamsStandIn,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    topic = a_topic_nobody_else_uses(monkeypatch, tmp_path)
    service = current_subscriptions()
    url = teams.url("workflows")
    view = subscribe(service, url, TopicChoice(topic))
    teams.script(url, *[Answer.server_error(503)] * 20)
    monkeypatch.setenv("TEAMS_DELIVERY_BUDGET_SECONDS", "0.8")
    reset_configuration()
    answer = notify(topic, {"title": "Later"})
    assert answer.status == 202
    assert answer.body["results"][0]["status"] == "queued"
    [message] = answer.retry
    assert f'"channel":"sub-{view.id}"' in message
    assert url.split("sig=")[1] not in message

    teams.clear_scripts()
    reset_configuration()  # another instance: reads the row, opens the URL itself
    result = run(redeliver(QueueMessage(id="q", body=message.encode(), dequeue_count=2)))  # type: ignore[no-untyped-call]
    assert result is not None
    assert result.status == "accepted"
    assert "Later" in cards_at(teams, url)[-1]


def test_a_sender_s_retry_is_a_duplicate_for_each_subscription_too(
    app: tuple[Channels, Subscriptions],
    teams: TeamsStandIn,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    topic = a_topic_nobody_else_uses(monkeypatch, tmp_path)
    service = current_subscriptions()
    url = teams.url("workflows")
    view = subscribe(service, url, TopicChoice(topic))
    key = {"Idempotency-Key": f"k-{secrets.token_hex(6)}"}
    for expected in ("accepted", "duplicate"):
        answer = call_notify(
            notify_request("message", {"title": "Once"}, query={"topic": topic}, headers=key)
        )
        assert answer.status == 200
        [entry] = answer.body["results"]
        assert (entry["subscription"], entry["status"]) == (view.id, expected)
    assert len(teams.received(url)) == 2  # welcome + one
