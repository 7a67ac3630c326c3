"""The per-webhook rate limiter against a stand-in that enforces Teams' windows.

Teams fact (connectors-using.md): per webhook at most 4 requests in 1 s, 60 in 30 s, 100 in 3600 s,
150 in 7200 s and 1800 in 86400 s; over that the webhook is throttled.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import pytest

from devtools.delivery import run
from devtools.teams_standin import TeamsStandIn, naive_send
from shared.cards.envelope import to_message
from shared.config.settings import Settings
from shared.teams.delivery import Delivery, DeliveryResult, RetryPolicy
from shared.teams.limiter import TEAMS_WINDOWS, RateLimiter, Window, shortest_schedule

POLICY = RetryPolicy(base=0.05, cap=0.2, min_attempt=0.1, read_timeout=2.0)


def card(number: int) -> dict[str, Any]:
    return {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": f"alert {number}"}],
    }


def settings_for(**urls: str) -> Settings:
    env = {"TEAMS_ALLOW_HOSTS": "127.0.0.1"}
    env.update({f"TEAMS_WEBHOOK_{name.upper()}": url for name, url in urls.items()})
    return Settings.from_environ(env)


async def burst(
    settings: Settings, channel: str, count: int, limiter: RateLimiter, budget: float = 30.0
) -> list[DeliveryResult]:
    delivery = Delivery(settings, limiter=limiter, policy=POLICY)
    sends = [delivery.deliver(card(i), [channel], budget=budget) for i in range(count)]
    return [result for results in await asyncio.gather(*sends) for result in results]


def test_a_naive_sequential_sender_is_throttled_by_the_standin(teams: TeamsStandIn) -> None:
    # The stand-in enforces the windows, so the limiter tests below prove something.
    url = teams.url("classic")
    believed = naive_send([(url, to_message(card(i))) for i in range(10)])
    assert believed == 10  # every answer was a 200...
    assert teams.count("throttled") >= 5  # ...but most of them said "HTTP error 429" inside
    assert teams.count("delivered") <= 5


def test_a_burst_to_one_webhook_is_spread_and_never_throttled(teams: TeamsStandIn) -> None:
    url = teams.url("classic")
    results = run(burst(settings_for(ops=url), "ops", 12, RateLimiter()))
    assert [r.status for r in results] == ["delivered"] * 12
    assert teams.count("throttled") == 0
    arrivals = [r.arrived for r in teams.received(url)]
    # 4 per second: the 5th and 9th requests wait a whole window after the 1st and 5th.
    assert arrivals[4] - arrivals[0] >= 1.0
    assert arrivals[8] - arrivals[4] >= 1.0
    assert arrivals[-1] - arrivals[0] < 2.6  # and no slower than the windows require


def test_one_webhook_never_waits_for_another(teams: TeamsStandIn) -> None:
    busy, quiet = teams.url("classic"), teams.url("workflows")
    settings = settings_for(busy=busy, quiet=quiet)
    limiter = RateLimiter()

    async def both() -> None:
        started = asyncio.create_task(burst(settings, "busy", 12, limiter))
        await asyncio.sleep(0.05)  # the busy lane is already queued up
        await Delivery(settings, limiter=limiter, policy=POLICY).deliver(card(99), ["quiet"])
        await started

    run(both())
    first_busy = teams.received(busy)[0].arrived
    [quiet_arrival] = [r.arrived for r in teams.received(quiet)]
    assert quiet_arrival - first_busy < 0.5


@pytest.mark.parametrize(
    "windows",
    [
        # Teams' windows with time scaled down 20x, so a test can fill the longer ones.
        ((4, 0.05), (60, 1.5), (100, 180.0)),
        ((2, 0.1), (5, 1.0)),
    ],
)
def test_every_window_is_kept_not_only_the_shortest(windows: Sequence[Window]) -> None:
    with TeamsStandIn(windows=windows) as teams:
        url = teams.url("classic")
        count = windows[1][0] + 8
        results = run(burst(settings_for(ops=url), "ops", count, RateLimiter(windows)))
        assert all(r.status == "delivered" for r in results)
        assert teams.count("throttled") == 0
        arrivals = [r.arrived for r in teams.received(url)]
        limit, period = windows[1]
        assert arrivals[limit] - arrivals[0] >= period


def test_with_no_slot_left_in_the_budget_the_rest_is_queued_at_once(teams: TeamsStandIn) -> None:
    url = teams.url("classic")
    started = time.monotonic()
    results = run(burst(settings_for(ops=url), "ops", 6, RateLimiter(), budget=0.6))
    elapsed = time.monotonic() - started
    assert sorted(r.status for r in results) == ["delivered"] * 4 + ["queued"] * 2
    assert teams.count("throttled") == 0
    assert elapsed < 0.6
    queued = [r for r in results if r.status == "queued"]
    assert all("rate limits" in r.detail and r.attempts == 0 for r in queued)


def test_slots_wait_for_the_answers_of_earlier_requests() -> None:
    # Teams counts a request somewhere between its sending and its answer; with slow answers the
    # next window only opens a full period after the earlier answers came back.
    with TeamsStandIn(latency=0.3) as teams:
        url = teams.url("classic")
        results = run(burst(settings_for(ops=url), "ops", 5, RateLimiter()))
        assert all(r.status == "delivered" for r in results)
        arrivals = [r.arrived for r in teams.received(url)]
        assert arrivals[4] - arrivals[0] >= 1.3


def test_the_shortest_schedule_follows_the_windows() -> None:
    assert shortest_schedule(1) == 0.0
    assert shortest_schedule(4) == 0.0
    assert shortest_schedule(5) == 1.0
    assert shortest_schedule(50) == 12.0  # 4 a second
    assert shortest_schedule(61) == 30.0  # the 61st waits for the 30 s window
    assert shortest_schedule(101) == 3600.0  # and the 101st for the hour
    assert TEAMS_WINDOWS == ((4, 1.0), (60, 30.0), (100, 3600.0), (150, 7200.0), (1800, 86400.0))


def test_a_caller_that_gives_up_while_queued_does_not_stall_the_lane() -> None:
    limiter = RateLimiter(((1, 0.1),))

    async def scenario() -> list[float]:
        taken: list[float] = []

        async def take() -> None:
            slot = await limiter.acquire("lane")
            slot.finish()
            taken.append(time.monotonic())

        tasks = [asyncio.create_task(take()) for _ in range(5)]
        await asyncio.sleep(0.05)
        tasks[1].cancel()  # waiting for its turn
        tasks[2].cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return taken

    taken = asyncio.run(scenario())
    assert len(taken) == 3
    assert taken[-1] - taken[0] < 0.35  # two slots of 0.1 s, not stuck behind the cancelled
