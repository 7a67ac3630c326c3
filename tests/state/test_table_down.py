"""Azurite stopped in the middle of a run: every notification is still delivered (or queued),
the health route says degraded, and delivery goes back to the shared windows when it returns."""

from __future__ import annotations

import hashlib
import time

import pytest

from devtools.azurite import Azurite
from devtools.teams_standin import TeamsStandIn
from shared.health import health_report
from shared.state.store import StateStore, StorageTarget, current_availability
from shared.state.windows import SharedWindows
from tests.support.function_app import call_notify, configure, notify_request


def shared_sends(azurite: Azurite, url: str) -> int:
    store = StateStore(StorageTarget(connection_string=azurite.connection_string))
    key = hashlib.sha256(url.encode()).hexdigest()
    return len(SharedWindows(store).state(key)["answers"])


def notify_all(count: int) -> list[int]:
    return [
        call_notify(notify_request("message", {"title": f"n{n}"}, query={"channel": "ops"})).status
        for n in range(count)
    ]


def test_a_table_outage_loses_nothing_and_shows_in_health(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, own_azurite: Azurite
) -> None:
    channels = configure(monkeypatch, teams, {"ops": "classic"}, budget=3.0)
    assert notify_all(3) == [200] * 3
    assert health_report()["shared_state"] == "ok"
    assert shared_sends(own_azurite, channels.urls["ops"]) == 3

    own_azurite.stop()
    started = time.monotonic()
    statuses = notify_all(6)
    assert set(statuses) <= {200, 202}  # delivered or queued, never an error
    # Falling back costs one failed table call, not a delay per notification.
    assert time.monotonic() - started < 10
    assert current_availability().degraded
    report = health_report()
    assert report["status"] == "degraded"
    assert report["shared_state"] == "unreachable"

    own_azurite.start()
    time.sleep(current_availability().pause + 0.1)  # the fallback's pause, then the table again
    assert notify_all(2) == [200, 200]
    assert not current_availability().degraded
    assert health_report()["shared_state"] == "ok"
    delivered = [r for r in teams.received(channels.urls["ops"]) if r.outcome == "delivered"]
    assert len(delivered) == 3 + statuses.count(200) + 2
    # The shared windows are back in use: the entity holds the answer of every post Teams took,
    # those of the outage too (this instance's limiter kept them), for the next instance to honour.
    assert shared_sends(own_azurite, channels.urls["ops"]) == len(delivered)


def test_a_slow_table_is_told_apart_from_a_down_one() -> None:
    # A read timeout (the table took the request and did not answer in time, as on an overloaded
    # host) is tried again before falling back; a refused connection falls back at once.
    from azure.core.exceptions import ServiceRequestError, ServiceResponseTimeoutError

    from shared.state.store import StateUnavailable, guarded

    def timed_out() -> None:
        raise ServiceResponseTimeoutError("read timeout on https://account.table.example")

    def refused() -> None:
        raise ServiceRequestError("connection refused by https://account.table.example")

    with pytest.raises(StateUnavailable) as slow:
        guarded(timed_out)
    assert slow.value.slow
    with pytest.raises(StateUnavailable) as down:
        guarded(refused)
    assert not down.value.slow
    assert "example" not in str(slow.value) + str(down.value)  # never the account's URL
