"""The health route counts subscriptions (never names them); `check` names broken settings."""

from __future__ import annotations

import json

import pytest

from devtools.delivery import run
from devtools.teams_standin import TeamsStandIn
from shared.health import configuration_sections, health_report
from shared.subscriptions.crypto import new_local_key
from shared.subscriptions.model import Draft, Person, TopicChoice
from shared.subscriptions.service import Subscriptions

FULL_HOSTS = "api.open-meteo.com,geocoding-api.open-meteo.com"


def problems_of(title: str) -> dict[str, list[str]]:
    [section] = [s for s in configuration_sections() if s.title == title]
    return {f.subject: f.problems for f in section.findings if f.problems}


def test_health_counts_active_and_paused_subscriptions_and_names_none(
    subscriptions: Subscriptions, teams: TeamsStandIn, person: Person
) -> None:
    before = health_report()["subscriptions"]
    assert before is not None
    first = run(
        subscriptions.create(
            Draft("Secret team name", teams.url("workflows"), (TopicChoice("builds"),)), person
        )
    )
    run(
        subscriptions.create(Draft("Other", teams.url("classic"), (TopicChoice("builds"),)), person)
    )
    run(subscriptions.pause(first.id, person))
    report = health_report()
    assert report["subscriptions"] == {
        "active": before["active"] + 1,
        "paused": before["paused"] + 1,
    }
    text = json.dumps(report)
    assert "Secret team name" not in text
    assert first.id not in text
    assert "127.0.0.1" not in text


def test_without_a_key_subscriptions_are_off_not_broken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUBSCRIPTIONS_KEY", raising=False)
    monkeypatch.delenv("SUBSCRIPTIONS_KEY_ID", raising=False)
    assert problems_of("subscriptions") == {}
    assert health_report()["subscriptions"] is None


def test_check_names_each_broken_subscriptions_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AzureWebJobsStorage", raising=False)
    monkeypatch.setenv("SUBSCRIPTIONS_KEY", "c2hvcnQ=")
    monkeypatch.setenv("OPEN_METEO_URL", "http://meteo.example.com")
    monkeypatch.setenv("SOURCE_ALLOW_HOSTS", "api.open-meteo.com")
    found = problems_of("subscriptions")
    assert set(found) == {
        "SUBSCRIPTIONS_KEY",
        "AzureWebJobsStorage",
        "OPEN_METEO_URL",
        "SOURCE_ALLOW_HOSTS",
    }
    assert "32 random bytes" in found["SUBSCRIPTIONS_KEY"][0]
    assert "c2hvcnQ=" not in json.dumps(found)
    # OPEN_METEO_URL is ignored when it is not loopback, so the real hosts are checked.
    assert "meteo.example.com" not in json.dumps(found)
    assert "geocoding-api.open-meteo.com" in found["SOURCE_ALLOW_HOSTS"][0]
    assert health_report()["status"] == "degraded"


def test_a_sound_subscriptions_configuration_has_no_problems(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    monkeypatch.setenv("SUBSCRIPTIONS_KEY", new_local_key())
    monkeypatch.setenv("SOURCE_ALLOW_HOSTS", FULL_HOSTS)
    assert problems_of("subscriptions") == {}
