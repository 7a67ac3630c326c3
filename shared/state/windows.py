"""Teams' rate windows per webhook, shared by every instance through one table entity.

Each webhook (keyed by the SHA-256 of its URL, never the URL) has one entity whose `sends` property
holds the recent reserved send times (wall-clock seconds, packed doubles, oldest first). A sender
reads it, computes the first time at which one more send keeps all five windows (and comes no
earlier than the last reservation, so the shared lane is first come, first served), and writes the
entity back with If-Match on the ETag it read. A 412 (or a 409 when two create the entity at once)
means another instance reserved in between: read again, a bounded number of times.

A reservation is anchored on the planned send time, plus `margin` seconds: Teams counts a request
when it arrives, so the gap between two arrivals can be shorter than between their sends by the
difference in their network delays and by how late a sender actually sent after its reservation.
The in-process limiter (`shared.teams.limiter`, anchored on answers) stays in front of this one.

If the table cannot be reached, `admit` lets the send through on the in-process limiter alone (it
never drops or delays a notification for the table's sake) and `Availability` logs it once a
minute and tells the health route.
"""

from __future__ import annotations

import asyncio
import random
import time
from array import array
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from shared.config.once import read_once
from shared.state.store import (
    Availability,
    StateStore,
    StateUnavailable,
    current_availability,
    current_state_store,
    guarded,
)
from shared.teams.errors import RateLimitWait
from shared.teams.limiter import TEAMS_WINDOWS, Window

if TYPE_CHECKING:
    from azure.data.tables import TableClient

__all__ = ["SharedWindows", "current_shared_windows", "next_send_time"]

_ROW: Final = "windows"
# How many times a sender woken past its slot takes a new one before it sends anyway.
_LATE_RETRIES: Final = 3
# Never plan a slot further ahead than this for the table's own latency.
_MAX_LEAD: Final = 0.5
# A burst of 4 processes x 20 webhooks keeps this many reservations in flight at once.
_THREADS: Final = 16


def next_send_time(
    sends: Sequence[float], now: float, windows: Sequence[Window], margin: float
) -> float:
    """The first time, not before `now` nor before the last reservation, at which one more send
    keeps every window: for each (limit, period), the limit-th most recent send is at least
    `period + margin` earlier. Pure; `sends` is oldest first."""
    ready = max(now, sends[-1]) if sends else now
    count = len(sends)
    for limit, period in windows:
        if count >= limit:
            ready = max(ready, sends[count - limit] + period + margin)
    return ready


def _keep(sends: list[float], newest: float, windows: Sequence[Window]) -> list[float]:
    """The sends any window can still need after `newest`: the last `max limit`, within the
    longest period."""
    depth = max(limit for limit, _ in windows)
    longest = max(period for _, period in windows)
    recent = sends[-depth:]
    return [at for at in recent if at > newest - longest - 1.0]


def _decode(entity: Any) -> list[float]:
    raw = entity.get("sends") if entity is not None else None
    if not raw:
        return []
    packed = array("d")
    packed.frombytes(bytes(raw))
    return packed.tolist()


def _encode(sends: list[float]) -> bytes:
    return array("d", sends).tobytes()


class SharedWindows:
    """Reserve a send slot per webhook against Teams' windows, shared by every instance."""

    def __init__(
        self,
        store: StateStore,
        windows: Sequence[Window] = TEAMS_WINDOWS,
        *,
        margin: float = 0.1,
        conflicts: int = 16,
        availability: Availability | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.windows = tuple(windows)
        self.margin = margin
        self.conflicts = conflicts
        self.availability = availability or Availability()
        self._clock = clock
        self._rng = random.Random()  # noqa: S311  # back-off jitter, not security
        self._executor = ThreadPoolExecutor(_THREADS, thread_name_prefix="shared-windows")
        self._locks: dict[tuple[int, str], asyncio.Lock] = {}
        self.late = 0
        self._lead = 0.0
        """Slots left unused because the sender woke past them (for the benchmark)."""
        self.reservation_seconds: deque[float] = deque(maxlen=100_000)
        """How long each reservation took (table round trips, conflicts included; not the wait
        it asked for), for bench/delivery.py."""

    async def admit(self, key: str, remaining: float) -> None:
        """Wait for this webhook's next shared slot (at most `remaining` seconds).

        Raises RateLimitWait when the shared windows leave no slot in time. Returns at once when
        the table cannot be reached: the in-process limiter in front is then all there is.
        """
        if not self.availability.usable():
            return
        loop = asyncio.get_running_loop()
        # One reservation per webhook at a time from this process: the others of this process
        # would only conflict with it. Contention is then between instances only.
        lock = self._locks.setdefault((id(loop), key), asyncio.Lock())
        ends = time.monotonic() + remaining
        for _ in range(_LATE_RETRIES):
            async with lock:
                started = time.perf_counter()
                try:
                    at = await loop.run_in_executor(
                        self._executor, self.reserve, key, ends - time.monotonic(), self._lead
                    )
                except StateUnavailable as error:
                    self.availability.failed("the rate windows", error)
                    return
            took = time.perf_counter() - started
            self.reservation_seconds.append(took)
            # How long a reservation takes lately: a slot is planned that far ahead, so that the
            # sender is not already late for it when the write returns.
            self._lead = min(_MAX_LEAD, 0.8 * self._lead + 0.2 * took)
            self.availability.succeeded()
            wait = at - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            if self._clock() - at <= self.margin / 2:
                return
            # Woken too late (a busy event loop): the reserved time is what others planned
            # around, so sending now could break a window. Leave that slot unused and take a
            # new one.
            self.late += 1

    def reserve(self, key: str, remaining: float, lead: float = 0.0) -> float:
        """Reserve the next slot for `key`; its wall-clock time (blocking: table I/O).

        Raises RateLimitWait (no slot within `remaining`, or too many conflicts) or
        StateUnavailable.
        """
        from azure.core import MatchConditions
        from azure.core.exceptions import (
            ResourceExistsError,
            ResourceModifiedError,
            ResourceNotFoundError,
        )
        from azure.data.tables import UpdateMode

        table: TableClient = self.store.table("windows")
        for attempt in range(1, self.conflicts + 1):
            entity = guarded(partial(_get_or_none, table, key, ResourceNotFoundError))
            sends = _decode(entity)
            now = self._clock() + lead
            at = next_send_time(sends, now, self.windows, self.margin)
            # A slot free now is always taken, however little budget is left: the table's own
            # round trip must not be what makes a sender miss its budget.
            if at > now and at - now > remaining:
                raise RateLimitWait(
                    "Teams' rate limits for this webhook, shared by every instance, leave no slot "
                    f"within the time budget (next in {at - now:.1f} s)",
                    retry_after=at - now,
                )
            row = {
                "PartitionKey": key,
                "RowKey": _ROW,
                "sends": _encode(_keep([*sends, at], at, self.windows)),
            }
            try:
                if entity is None:
                    guarded(partial(table.create_entity, row), passing=ResourceExistsError)
                else:
                    update = partial(
                        table.update_entity,
                        row,
                        mode=UpdateMode.REPLACE,
                        etag=entity.metadata["etag"],
                        match_condition=MatchConditions.IfNotModified,
                    )
                    guarded(update, passing=ResourceModifiedError)
            except (ResourceExistsError, ResourceModifiedError):
                # Another instance reserved first: read its reservation and go after it.
                # Exponential back-off with full jitter, so that contenders spread out.
                time.sleep(self._rng.uniform(0, min(0.25, 0.004 * 2**attempt)))
                continue
            return at
        raise RateLimitWait(
            f"the shared rate windows stayed contended after {self.conflicts} attempts"
        )


def _get_or_none(table: TableClient, key: str, missing: type[Exception]) -> Any:
    try:
        return table.get_entity(key, _ROW)
    except missing:
        return None


@read_once
def current_shared_windows() -> SharedWindows | None:
    """The process's shared rate windows, or None when no storage is configured."""
    store = current_state_store()
    return SharedWindows(store, availability=current_availability()) if store else None
