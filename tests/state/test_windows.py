"""Shared rate windows: the pure slot rule, and reservations by several instances through real
Azurite tables (azure-data-tables over loopback)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time

import pytest

from devtools.azurite import Azurite
from devtools.teams_standin import closed_port
from shared.state.store import Availability, StateStore, StorageTarget
from shared.state.windows import SharedWindows, next_send_time
from shared.teams.errors import RateLimitWait

WINDOWS = ((4, 0.4), (10, 2.0))


def keeps_windows(times: list[float], windows: tuple[tuple[int, float], ...]) -> bool:
    ordered = sorted(times)
    return all(
        ordered[i] - ordered[i - limit] >= period
        for limit, period in windows
        for i in range(limit, len(ordered))
    )


def test_the_next_slot_waits_for_the_limit_th_most_recent_send() -> None:
    assert next_send_time([], 10.0, WINDOWS, 0.0) == 10.0
    assert next_send_time([9.9, 9.95, 9.97], 10.0, WINDOWS, 0.0) == 10.0
    # The fifth send waits until the first of the last four is 0.4 s (plus margin) old.
    assert next_send_time([9.9, 9.95, 9.97, 9.99], 10.0, WINDOWS, 0.05) == pytest.approx(10.35)
    # Never before a reservation another instance already made in the future.
    assert next_send_time([10.5], 10.0, WINDOWS, 0.0) == 10.5
    # The longer window binds once the short one is clear.
    ten = [0.0, 0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, 1.0, 1.1]
    assert next_send_time(ten, 1.2, WINDOWS, 0.0) == pytest.approx(2.0)


def store_of(azurite: Azurite) -> StateStore:
    return StateStore(StorageTarget(connection_string=azurite.connection_string))


def test_instances_sharing_the_table_keep_the_windows_together(azurite: Azurite) -> None:
    # Three instances, each with its own client, reserve for one webhook at the same time.
    instances = [SharedWindows(store_of(azurite), WINDOWS, margin=0.0) for _ in range(3)]
    key = secrets.token_hex(16)
    admitted: list[float] = []

    async def send(windows: SharedWindows) -> None:
        await windows.admit(key, 30.0)
        admitted.append(time.time())

    async def main() -> None:
        await asyncio.gather(*(send(instances[n % 3]) for n in range(14)))

    asyncio.run(main())
    assert len(admitted) == 14
    # Each admission wakes up at or after its reservation, so the reserved times (not exactly the
    # wake-ups) keep the windows; the wake-ups keep them to within the scheduler's jitter.
    assert keeps_windows([t + 0.0 for t in admitted], ((4, 0.37), (10, 1.97)))
    assert all(not w.availability.degraded for w in instances)


def test_a_slot_beyond_the_budget_is_refused_without_being_taken(azurite: Azurite) -> None:
    windows = SharedWindows(store_of(azurite), WINDOWS, margin=0.0)
    key = secrets.token_hex(16)
    for _ in range(4):
        assert windows.reserve(key, 5.0) - time.time() < 0.5
    with pytest.raises(RateLimitWait):
        windows.reserve(key, 0.1)
    # The refused one took nothing: the next slot is still the fifth.
    assert 0.0 < windows.reserve(key, 5.0) - time.time() <= 0.45


def test_an_unreachable_table_falls_back_and_says_so_once(caplog: pytest.LogCaptureFixture) -> None:
    from shared.state.store import development_connection_string

    port = closed_port()
    target = StorageTarget(
        connection_string=development_connection_string(blob=port, queue=port, table=port)
    )
    availability = Availability(pause=0.0)
    windows = SharedWindows(StateStore(target), WINDOWS, availability=availability)

    async def main() -> float:
        started = time.monotonic()
        for _ in range(3):
            await windows.admit(secrets.token_hex(8), 5.0)
        return time.monotonic() - started

    with caplog.at_level(logging.WARNING, logger="shared.state"):
        elapsed = asyncio.run(main())
    assert elapsed < 10.0
    assert availability.degraded
    assert availability.fallbacks == 3
    warnings = [r for r in caplog.records if "shared state unavailable" in r.getMessage()]
    assert len(warnings) == 1  # once a minute, not once per notification
    assert "127.0.0.1" not in warnings[0].getMessage()
