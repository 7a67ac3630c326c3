"""Fixtures for the subscriptions tests: Azurite's tables, the Teams stand-in as the webhooks, a
local key."""

from __future__ import annotations

import secrets

import pytest

from devtools.azurite import Azurite
from devtools.teams_standin import TeamsStandIn
from shared.subscriptions.crypto import new_local_key
from shared.subscriptions.model import Person
from shared.subscriptions.service import Subscriptions, current_subscriptions


@pytest.fixture
def subscriptions(
    storage: Azurite, teams: TeamsStandIn, monkeypatch: pytest.MonkeyPatch
) -> Subscriptions:
    """The service on Azurite, with a fresh local key and the stand-in's host allowed."""
    monkeypatch.setenv("TEAMS_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("SUBSCRIPTIONS_KEY", new_local_key())
    return current_subscriptions()


@pytest.fixture
def person() -> Person:
    """Someone new for each test: tests share one Azurite and keep apart by creator."""
    return Person(f"person-{secrets.token_hex(6)}", "Adele Vance")
