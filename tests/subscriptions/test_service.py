"""The subscriptions service against Azurite and the Teams stand-in: what the page relies on."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import pytest

from devtools.delivery import run
from devtools.teams_standin import Answer, TeamsStandIn
from shared.state.store import current_state_store
from shared.subscriptions.crypto import new_local_key
from shared.subscriptions.model import (
    Draft,
    NotFound,
    Person,
    ScheduleChoice,
    SubscriptionProblem,
    SubscriptionsUnavailable,
    TeamsRefused,
    TopicChoice,
)
from shared.subscriptions.service import Subscriptions, current_subscriptions


def draft(url: str | None, **changes: Any) -> Draft:
    values: dict[str, Any] = {
        "channel_name": "Platform · General",
        "webhook_url": url,
        "topics": (TopicChoice("incidents", "${severity <= 2}"), TopicChoice("deployments")),
        "schedules": (),
    }
    values.update(changes)
    return Draft(**values)


def card_texts(teams: TeamsStandIn, url: str) -> list[str]:
    texts = []
    for record in teams.received(url):
        card = record.json()["attachments"][0]["content"]
        texts.append(str(card))
    return texts


def test_create_posts_the_welcome_card_and_stores_the_url_sealed(
    subscriptions: Subscriptions, teams: TeamsStandIn, person: Person
) -> None:
    url = teams.url("workflows")
    view = run(subscriptions.create(draft(url), person))

    [welcome] = card_texts(teams, url)
    assert "Connected: Platform · General" in welcome
    assert "incidents" in welcome
    assert "deployments" in welcome
    assert "severity <= 2" in welcome
    assert view.active
    assert view.paused_reason is None
    assert view.created_by == person
    assert len(view.fingerprint) == 12
    assert view.fingerprint not in url
    assert [v.id for v in run(subscriptions.mine(person))] == [view.id]

    store = current_state_store()
    assert store is not None
    entity = store.table("subscriptions").get_entity("subscription", view.id)
    secret = url.split("sig=")[1]
    for value in entity.values():
        text = (
            value
            if isinstance(value, str)
            else bytes(value).hex()
            if isinstance(value, bytes)
            else str(value)
        )
        assert secret not in text
        assert "127.0.0.1" not in text
    assert isinstance(entity["urlCiphertext"], bytes)


def test_a_url_teams_refuses_is_not_stored_and_the_reason_is_teams_own(
    subscriptions: Subscriptions, teams: TeamsStandIn, person: Person
) -> None:
    url = teams.url("classic")
    teams.script(url, Answer.bad_payload())
    with pytest.raises(TeamsRefused) as caught:
        run(subscriptions.create(draft(url), person))
    assert "Bad payload received by generic incoming webhook." in caught.value.reason
    assert not caught.value.transient
    assert "127.0.0.1" not in caught.value.reason
    assert run(subscriptions.mine(person)) == []


def test_teams_down_is_a_transient_refusal_and_nothing_is_stored(
    subscriptions: Subscriptions, teams: TeamsStandIn, person: Person
) -> None:
    url = teams.url("workflows")
    teams.script(url, Answer.server_error(503))
    with pytest.raises(TeamsRefused) as caught:
        run(subscriptions.create(draft(url), person))
    assert caught.value.transient
    assert caught.value.status == 503
    assert run(subscriptions.mine(person)) == []


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://example.com/hook", "not a Teams or Workflows webhook host"),
        ("not a url", "is not a URL"),
        ("file:///tmp/outbox", "must be a Teams webhook URL"),
        ("", "is empty"),
    ],
)
def test_a_bad_url_is_refused_by_field_before_anything_is_posted(
    subscriptions: Subscriptions, teams: TeamsStandIn, person: Person, url: str, says: str
) -> None:
    with pytest.raises(SubscriptionProblem) as caught:
        run(subscriptions.create(draft(url), person))
    assert caught.value.field == "webhookUrl"
    assert says in caught.value.message
    assert teams.records == []
    assert run(subscriptions.mine(person)) == []


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        (
            {"topics": (TopicChoice("incidents", "${severity <=}"),)},
            "topics[0].filter",
            "cannot be parsed",
        ),
        (
            {"topics": (TopicChoice("deployments"), TopicChoice("incidents", "severity"))},
            "topics[1].filter",
            "one expression",
        ),
        (
            {"topics": (TopicChoice("incidents", "${nosuch(1)}"),)},
            "topics[0].filter",
            "Unknown function nosuch",
        ),
        ({"topics": (TopicChoice("cats"),)}, "topics[0].name", "not a topic this app offers"),
        ({"topics": (), "schedules": ()}, "topics", "at least one"),
        ({"channel_name": "  "}, "channelName", "is required"),
        (
            {"schedules": (ScheduleChoice("weather", "25:00", "Europe/Berlin", {}),)},
            "schedules[0].timeOfDay",
            "HH:MM",
        ),
        (
            {"schedules": (ScheduleChoice("nope", "07:00", "Europe/Berlin", {}),)},
            "schedules[0].entry",
            "not a scheduled update",
        ),
    ],
)
def test_bad_choices_are_refused_by_field_and_nothing_is_posted(
    subscriptions: Subscriptions,
    teams: TeamsStandIn,
    person: Person,
    changes: dict[str, Any],
    field: str,
    says: str,
) -> None:
    with pytest.raises(SubscriptionProblem) as caught:
        run(subscriptions.create(draft(teams.url("workflows"), **changes), person))
    assert caught.value.field == field
    assert says in caught.value.message
    assert teams.records == []


def test_pause_resume_and_edit_keep_the_url_and_only_the_creator_may(
    subscriptions: Subscriptions, teams: TeamsStandIn, person: Person
) -> None:
    url = teams.url("workflows")
    view = run(subscriptions.create(draft(url), person))
    paused = run(subscriptions.pause(view.id, person))
    assert not paused.active
    assert paused.paused_reason == "paused by Adele Vance"
    resumed = run(subscriptions.resume(view.id, person))
    assert resumed.active
    assert resumed.paused_reason is None

    edited = run(
        subscriptions.update(
            view.id, draft(None, channel_name="Ops", topics=(TopicChoice("builds"),)), person
        )
    )
    assert edited.channel_name == "Ops"
    assert edited.topics == (TopicChoice("builds"),)
    assert edited.fingerprint == view.fingerprint
    assert len(teams.received(url)) == 1  # no new welcome: same webhook

    stranger = Person("someone-else", "Mallory")
    for call in (
        subscriptions.pause(view.id, stranger),
        subscriptions.resume(view.id, stranger),
        subscriptions.update(view.id, draft(None), stranger),
        subscriptions.delete(view.id, stranger),
    ):
        with pytest.raises(NotFound):
            run(call)
    assert run(subscriptions.mine(stranger)) == []
    with pytest.raises(NotFound):
        run(subscriptions.pause("0" * 20, person))
    with pytest.raises(NotFound):
        run(subscriptions.pause("../../x", person))


def test_an_edit_with_a_new_url_welcomes_the_new_channel_first(
    subscriptions: Subscriptions, teams: TeamsStandIn, person: Person
) -> None:
    first, second = teams.url("workflows"), teams.url("classic")
    view = run(subscriptions.create(draft(first), person))
    teams.script(second, Answer.wrapped(404))
    with pytest.raises(TeamsRefused):
        run(subscriptions.update(view.id, draft(second), person))
    [kept] = run(subscriptions.mine(person))
    assert kept.fingerprint == view.fingerprint
    changed = run(subscriptions.update(view.id, draft(second), person))
    assert changed.fingerprint != view.fingerprint
    assert len(teams.received(second)) == 2


def test_delete_says_goodbye_then_forgets_the_subscription(
    subscriptions: Subscriptions, teams: TeamsStandIn, person: Person
) -> None:
    url = teams.url("workflows")
    view = run(subscriptions.create(draft(url), person))
    run(subscriptions.delete(view.id, person))
    texts = card_texts(teams, url)
    assert len(texts) == 2
    assert "Disconnected: Platform · General" in texts[1]
    assert run(subscriptions.mine(person)) == []
    with pytest.raises(NotFound):
        run(subscriptions.delete(view.id, person))


def test_delete_works_when_the_webhook_is_already_gone(
    subscriptions: Subscriptions, teams: TeamsStandIn, person: Person
) -> None:
    url = teams.url("workflows")
    view = run(subscriptions.create(draft(url), person))
    teams.script(url, Answer(404, "Not Found"))
    run(subscriptions.delete(view.id, person))
    assert run(subscriptions.mine(person)) == []


def test_another_key_cannot_open_a_stored_url(
    subscriptions: Subscriptions,
    teams: TeamsStandIn,
    person: Person,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared.config.once import reset_configuration
    from shared.subscriptions.crypto import KeyProblem

    view = run(subscriptions.create(draft(teams.url("workflows")), person))
    monkeypatch.setenv("SUBSCRIPTIONS_KEY", new_local_key())
    reset_configuration()
    other = current_subscriptions()
    row = other.table.get(view.id)
    with pytest.raises(KeyProblem, match="SUBSCRIPTIONS_KEY"):
        other.sealer.open(row.sealed, row.id)


def test_without_storage_or_key_the_service_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, storage: Any
) -> None:
    from shared.config.once import reset_configuration

    monkeypatch.delenv("SUBSCRIPTIONS_KEY", raising=False)
    monkeypatch.delenv("SUBSCRIPTIONS_KEY_ID", raising=False)
    with pytest.raises(SubscriptionsUnavailable, match="SUBSCRIPTIONS_KEY: is not set"):
        current_subscriptions()
    monkeypatch.setenv("SUBSCRIPTIONS_KEY", base64.b64encode(b"short").decode())
    reset_configuration()
    with pytest.raises(SubscriptionsUnavailable, match="32 random bytes"):
        current_subscriptions()
    monkeypatch.setenv("SUBSCRIPTIONS_KEY", new_local_key())
    monkeypatch.setenv("WEBSITE_INSTANCE_ID", secrets.token_hex(4))
    reset_configuration()
    with pytest.raises(SubscriptionsUnavailable, match="refused in Azure"):
        current_subscriptions()
    monkeypatch.delenv("WEBSITE_INSTANCE_ID")
    monkeypatch.delenv("AzureWebJobsStorage")
    reset_configuration()
    with pytest.raises(SubscriptionsUnavailable, match="AzureWebJobsStorage"):
        current_subscriptions()


BERLIN = {"city": "Berlin", "latitude": "52.52", "longitude": "13.41"}


def test_the_offer_lists_the_topics_and_the_subscribable_schedules(
    subscriptions: Subscriptions,
) -> None:
    offer = subscriptions.offer()
    names = [topic.name for topic in offer.topics]
    assert names == ["incidents", "deployments", "builds", "announcements"]
    assert all(topic.description for topic in offer.topics)
    [weather] = offer.schedules
    assert weather.name == "weather"
    assert weather.label == "Tomorrow's weather"
    assert [(p.name, p.kind) for p in weather.parameters] == [("place", "place")]


def test_a_weather_subscription_needs_a_city_and_is_welcomed_by_name(
    subscriptions: Subscriptions, teams: TeamsStandIn, person: Person
) -> None:
    url = teams.url("workflows")
    no_city = ScheduleChoice("weather", "07:30", "Europe/Berlin", {"city": "Berlin"})
    with pytest.raises(SubscriptionProblem) as caught:
        run(subscriptions.create(draft(url, topics=(), schedules=(no_city,)), person))
    assert caught.value.field == "schedules[0].parameters.latitude"
    bad_zone = ScheduleChoice("weather", "07:30", "Mars/Olympus", BERLIN)
    with pytest.raises(SubscriptionProblem) as caught:
        run(subscriptions.create(draft(url, topics=(), schedules=(bad_zone,)), person))
    assert caught.value.field == "schedules[0].timeZone"
    assert teams.records == []

    choice = ScheduleChoice("weather", "07:30", "Europe/Berlin", BERLIN)
    view = run(subscriptions.create(draft(url, topics=(), schedules=(choice,)), person))
    assert view.schedules == (choice,)
    [welcome] = card_texts(teams, url)
    assert "Tomorrow's weather" in welcome
    assert "07:30" in welcome
    assert "Berlin" in welcome
    [listed] = run(subscriptions.mine(person))
    assert listed.schedules[0].parameters == BERLIN
