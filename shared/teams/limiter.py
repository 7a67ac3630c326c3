"""Per-webhook rate limiter: never exceed Teams' documented windows, spread bursts instead.

Teams fact (connectors-using.md): each webhook takes at most 4 requests in 1 s, 60 in 30 s, 100 in
an hour, 150 in two hours and 1800 a day; beyond that it throttles.

Each webhook has its own lane, so one webhook never waits for another. In a lane, callers queue in
arrival order and only the head of the queue waits for a slot. A slot is anchored on the *answer* of
earlier requests rather than on their sending: Teams counts a request somewhere between our send and
its answer, so "the n-th previous answer arrived at least one window ago" is the only test that
holds whatever the network delay (anchoring on send times needs a guessed margin and loses to
jitter).

The state is per process and guarded by a thread lock, and waking the next caller goes through its
own event loop, so the limiter works across event loops and threads. Functions instances do not
share it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from shared.teams.errors import RateLimitWait

__all__ = ["TEAMS_WINDOWS", "RateLimiter", "Slot", "Window", "shortest_schedule"]

Window = tuple[int, float]
"""(requests, seconds): at most that many requests in any sliding interval of that length."""

TEAMS_WINDOWS: tuple[Window, ...] = (
    (4, 1.0),
    (60, 30.0),
    (100, 3600.0),
    (150, 7200.0),
    (1800, 86400.0),
)


@dataclass
class Slot:
    """One request's place in its webhook's windows; `finish()` it when the answer is in."""

    start: float
    end: float | None = None
    _clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def finish(self) -> None:
        if self.end is None:
            self.end = self._clock()


@dataclass
class _Lane:
    slots: deque[Slot]
    waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = field(
        default_factory=deque
    )
    blocked_until: float = 0.0


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class RateLimiter:
    """Sliding-window limiter with one FIFO lane per key (a hash of the webhook URL)."""

    def __init__(
        self,
        windows: Sequence[Window] = TEAMS_WINDOWS,
        *,
        clock: Callable[[], float] = time.monotonic,
        epsilon: float = 0.002,
        poll: float = 0.005,
    ) -> None:
        self.windows = tuple(windows)
        self._clock = clock
        self._epsilon = epsilon
        self._poll = poll
        self._depth = max(n for n, _ in self.windows)
        self._lanes: dict[str, _Lane] = {}
        self._lock = threading.Lock()

    def _lane(self, key: str) -> _Lane:
        lane = self._lanes.get(key)
        if lane is None:
            # Room for a full history and as many requests again in flight.
            lane = self._lanes[key] = _Lane(slots=deque(maxlen=2 * self._depth))
        return lane

    def _ready_at(self, lane: _Lane, now: float) -> float:
        ready = max(now, lane.blocked_until)
        for limit, period in self.windows:
            if len(lane.slots) < limit:
                continue
            anchor = lane.slots[-limit]
            if anchor.end is None:
                # Still in flight: Teams may count it as late as its answer. Not before
                # start+period, and then look again shortly until the answer is in.
                ready = max(ready, anchor.start + period + self._epsilon, now + self._poll)
            else:
                ready = max(ready, anchor.end + period + self._epsilon)
        return ready

    def block(self, key: str, seconds: float) -> None:
        """Hold the lane for `seconds` (Teams throttled it: someone else shares the webhook)."""
        with self._lock:
            lane = self._lane(key)
            lane.blocked_until = max(lane.blocked_until, self._clock() + seconds)

    def _pass_turn(self, lane: _Lane) -> None:
        while lane.waiters:
            loop, future = lane.waiters[0]
            try:
                loop.call_soon_threadsafe(_wake, future)
                return
            except RuntimeError:  # that caller's event loop is closed: it will never come back
                lane.waiters.popleft()

    async def acquire(self, key: str, *, deadline: float | None = None) -> Slot:
        """Wait for the next slot of `key`'s lane and take it.

        Raises RateLimitWait at once when the windows leave no slot before `deadline` (same clock).
        The caller must `finish()` the slot when the request is over, successful or not.
        """
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[None] = loop.create_future()
        with self._lock:
            lane = self._lane(key)
            lane.waiters.append((loop, turn))
            if len(lane.waiters) == 1:
                turn.set_result(None)
        try:
            await turn
            while True:
                with self._lock:
                    now = self._clock()
                    ready = self._ready_at(lane, now)
                    if ready <= now:
                        slot = Slot(start=now, _clock=self._clock)
                        lane.slots.append(slot)
                        return slot
                if deadline is not None and ready > deadline:
                    raise RateLimitWait(
                        "Teams' rate limits for this webhook leave no slot within the time budget "
                        f"(next in {ready - now:.1f} s)",
                        retry_after=ready - now,
                    )
                await asyncio.sleep(ready - now)
        finally:
            with self._lock:
                was_head = bool(lane.waiters) and lane.waiters[0][1] is turn
                with contextlib.suppress(ValueError):
                    lane.waiters.remove((loop, turn))
                if was_head:
                    self._pass_turn(lane)

    def release(self, key: str, slot: Slot) -> None:
        """Give a slot back: its request never reached Teams (the connection failed)."""
        with self._lock, contextlib.suppress(ValueError):
            self._lane(key).slots.remove(slot)

    def next_free(self, key: str) -> float:
        """Seconds until the lane's next slot, as far as is known now (0 when free)."""
        with self._lock:
            now = self._clock()
            return max(0.0, self._ready_at(self._lane(key), now) - now)


def shortest_schedule(count: int, windows: Sequence[Window] = TEAMS_WINDOWS) -> float:
    """The earliest time (seconds after the first) at which the last of `count` requests to one
    webhook can be sent without breaking `windows`, with instant answers. Sending each request as
    soon as every window allows is optimal for sliding windows, so this is the lower bound."""
    sent: list[float] = []
    for index in range(count):
        at = 0.0
        for limit, period in windows:
            if index >= limit:
                at = max(at, sent[index - limit] + period)
        sent.append(at)
    return sent[-1] if sent else 0.0
