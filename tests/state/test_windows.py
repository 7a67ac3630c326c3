"""Shared rate windows: instances take turns on a webhook through real Azurite tables
(azure-data-tables over loopback) and post to the Teams stand-in, which enforces the windows."""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from devtools.azurite import Azurite
from devtools.teams_standin import Answer, TeamsStandIn, closed_port
from shared.config.settings import Settings
from shared.state.store import Availability, StateStore, StorageTarget
from shared.state.windows import SharedWindows, Timetable, earliest, plan_sends
from shared.teams.client import aclose_client
from shared.teams.delivery import Delivery, RetryPolicy, _limiter_key
from shared.teams.limiter import RateLimiter

WINDOWS = ((4, 0.4), (10, 2.0))


def card(number: int) -> dict[str, Any]:
    return {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": f"notification {number}"}],
    }


def instance(
    azurite: Azurite, url: str, windows: Sequence[tuple[int, float]] = WINDOWS
) -> tuple[Delivery, SharedWindows]:
    """One instance of the app: its own limiter, its own table client, the shared table."""
    shared = SharedWindows(
        StateStore(StorageTarget(connection_string=azurite.connection_string)),
        windows,
    )
    settings = Settings.from_environ({"TEAMS_ALLOW_HOSTS": "127.0.0.1", "TEAMS_WEBHOOK_X": url})
    delivery = Delivery(
        settings,
        limiter=RateLimiter(windows),
        policy=RetryPolicy(base=0.05, cap=0.2),
        shared_windows=shared,
    )
    return delivery, shared


def in_thread(run: Callable[[], Any]) -> threading.Thread:
    """An instance on its own thread and event loop (as separate processes would be)."""
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def post_all(delivery: Delivery, numbers: Sequence[int], budget: float = 30.0) -> list[str]:
    async def main() -> list[str]:
        try:
            results = await asyncio.gather(
                *(delivery.deliver(card(n), ["x"], budget=budget) for n in numbers)
            )
        finally:
            await aclose_client()
        return [r[0].status for r in results]

    return asyncio.run(main())


def test_sends_are_booked_after_the_others_within_every_window() -> None:
    # Four sends booked at 10.0 by another instance, not answered yet: they count from their
    # booked time plus the margin; answered ones from their answers.
    table = Timetable(at=[10.0] * 4, ids=[1, 2, 3, 4], answered=[0.0, 0.0, 10.3, 0.0])
    planned = plan_sends(table, [99.0] * 6, 10.0, WINDOWS, margin=0.1, epsilon=0.0)
    # (4, 0.4): the 4th latest counted of the earlier sends + 0.4; (10, 2.0) binds at the 11th.
    assert planned[:4] == pytest.approx([10.5, 10.5, 10.5, 10.7])
    assert planned[4:] == pytest.approx([11.0, 11.0])
    # Never before `now`, a pause Teams asked for, or the last send booked.
    table.blocked_until = 20.0
    assert plan_sends(table, [99.0], 10.0, WINDOWS, margin=0.1, epsilon=0.0) == [20.0]
    # Only sends within their caller's deadline are booked.
    deadlines = [99.0, 99.0, 99.0, 99.0, 20.1]
    assert len(plan_sends(table, deadlines, 10.0, WINDOWS, margin=0.1, epsilon=0.0)) == 4


def test_an_unknown_answer_counts_as_arriving_any_time() -> None:
    inf = float("inf")
    # One in flight among the last four: it is one of the three a next request may join.
    assert earliest([1.0, 1.1, 1.2, inf], ((4, 0.4),), 0.0) == pytest.approx(1.4)
    # Four not answered (or not even sent) yet: the next one waits until one is.
    assert earliest([1.0, inf, inf, inf, inf], ((4, 0.4),), 0.0) == inf
    assert earliest([1.0, 1.1, 1.2], ((4, 0.4),), 0.0) == -inf


def test_old_sends_are_pruned_beyond_what_any_window_needs() -> None:
    table = Timetable(
        at=[n / 10 for n in range(30)],
        ids=list(range(30)),
        answered=[n / 10 + 0.01 for n in range(30)],
    )
    table.prune(2.9, WINDOWS)
    assert table.ids == list(range(20, 30))  # the largest limit
    table.prune(5.15, WINDOWS)
    assert table.ids == list(range(22, 30))  # the longest period, plus a second
    # A send not answered yet (to come, or in flight) keeps its anchors: the largest limit of
    # sends before it.
    table = Timetable(at=[n / 10 for n in range(30)], ids=list(range(30)), answered=[0.0] * 30)
    table.answered[:15] = [n / 10 + 0.05 for n in range(15)]
    table.prune(1.6, WINDOWS)
    assert table.ids == list(range(5, 30))
    # Never answered for a minute: their instance is gone (a window of 200 s still wants the
    # largest limit of them).
    table.prune(70.0, ((4, 0.4), (10, 200.0)))
    assert table.ids == list(range(20, 30))


def test_instances_take_turns_and_keep_the_windows_together(azurite: Azurite) -> None:
    with TeamsStandIn(windows=WINDOWS) as teams:
        url = teams.url("classic")
        instances = [instance(azurite, url) for _ in range(3)]
        statuses: list[str] = []

        def run(delivery: Delivery, first: int) -> Callable[[], None]:
            return lambda: statuses.extend(post_all(delivery, range(first, 30, 3)))

        threads = [in_thread(run(d, k)) for k, (d, _) in enumerate(instances)]
        for thread in threads:
            thread.join(60)
        assert statuses.count("delivered") == 30
        assert teams.count("throttled") == 0
    # Each instance booked sends of its own on the shared timetable.
    assert all(shared.bookings >= 1 for _, shared in instances)


def test_a_busy_instance_whose_posts_arrive_late_still_keeps_the_windows(
    azurite: Azurite,
) -> None:
    # The cause of the throttled answers of the slot-per-post design: posts from a busy instance
    # reached Teams later than planned, closer to the next instance's than the windows allow. The
    # next holder now waits for the answers, which come after Teams counted the request.
    with TeamsStandIn(windows=WINDOWS, latency=0.05) as teams:
        url = teams.url("classic")
        busy, _ = instance(azurite, url)
        calm, _ = instance(azurite, url)

        def stalled() -> None:
            async def main() -> None:
                async def hog() -> None:
                    while True:
                        time.sleep(0.15)  # a CPU-bound handler holding the event loop
                        await asyncio.sleep(0.01)

                stall = asyncio.get_running_loop().create_task(hog())
                try:
                    await asyncio.gather(
                        *(busy.deliver(card(n), ["x"], budget=30) for n in range(0, 20, 2))
                    )
                finally:
                    stall.cancel()
                    await aclose_client()

            asyncio.run(main())

        threads = [in_thread(stalled), in_thread(lambda: post_all(calm, range(1, 20, 2)))]
        for thread in threads:
            thread.join(60)
        delivered = [r for r in teams.records if r.outcome == "delivered"]
        assert len(delivered) == 20
        assert teams.count("throttled") == 0


def test_a_429_with_retry_after_pauses_the_webhook_for_every_instance(azurite: Azurite) -> None:
    with TeamsStandIn() as teams:
        url = teams.url("workflows")
        first, first_shared = instance(azurite, url)
        second, _ = instance(azurite, url)
        teams.script(url, Answer.throttled("2"))
        # The first instance is throttled (someone outside the app shares the webhook) and asked
        # to wait 2 s: more than its budget, so it queues the notification.
        assert post_all(first, [1], budget=1.0) == ["queued"]
        throttled_at = teams.received(url)[0].arrived
        state = first_shared.state(_limiter_key(first.settings.channel("x")))
        assert state["blocked_until"] > time.time() + 0.5
        # Another instance, which never saw the 429, waits out the pause too.
        assert post_all(second, [2], budget=10.0) == ["accepted"]
        accepted = [r for r in teams.received(url) if r.outcome == "accepted"]
        assert accepted[0].arrived - throttled_at >= 2.0


def test_a_post_that_never_reached_teams_does_not_count(azurite: Azurite) -> None:
    windows = ((1, 30.0),)
    with TeamsStandIn(windows=windows) as teams:
        url = teams.url("classic")
        first, first_shared = instance(azurite, url, windows)
        second, _ = instance(azurite, url, windows)
        teams.down()
        assert post_all(first, [1], budget=1.5) == ["queued"]  # connections refused
        key = _limiter_key(first.settings.channel("x"))
        assert first_shared.state(key)["answers"] == []
        teams.up()
        # One post per 30 s: had the refused attempts counted, this one would wait 30 s.
        assert post_all(second, [2], budget=5.0) == ["delivered"]
        assert teams.count("delivered") == 1


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
            booking = await windows.admit(secrets.token_hex(8), 5.0)
            assert booking.ident is None  # the in-process limiter alone decides
        return time.monotonic() - started

    with caplog.at_level(logging.WARNING, logger="shared.state"):
        elapsed = asyncio.run(main())
    assert elapsed < 10.0
    assert availability.degraded
    assert availability.fallbacks == 3
    warnings = [r for r in caplog.records if "shared state unavailable" in r.getMessage()]
    assert len(warnings) == 1  # once a minute, not once per notification
    assert "127.0.0.1" not in warnings[0].getMessage()
