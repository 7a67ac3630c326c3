"""Teams' rate windows per webhook, shared by every instance: one instance at a time holds the
webhook, on a lease in one table entity.

Why a lease and not a reservation per post: Teams counts a request when it arrives, and a post
can arrive long after its sender planned it (a busy instance, the network). Slots planned on a
shared timetable only hold with a margin as large as that lateness, which on busy machines is
measured in tenths of a second (docs/delivery.md has the figures). The in-process limiter
(`shared.teams.limiter`) does not need such a margin: it anchors each slot on the *answers* of
earlier requests, which come after Teams counted them whatever the delay. So the shared state
hands the webhook over with those answers instead of planning slots:

- the entity per webhook (keyed by the SHA-256 of its URL, never the URL) holds `owner` (an id of
  one process) and `until` (the lease's end, wall clock), `answers` (when Teams answered the recent
  requests, wall clock, packed doubles, oldest first), `blocked_until` (a pause Teams asked for with
  a 429 + Retry-After, seen by any instance) and `wanted_by` (the instances waiting for it, in
  the order they asked);
- the holder sends with its in-process limiter alone: no table call per post;
- an instance that needs the webhook takes the lease when it is free, with If-Match on the ETag
  it read (a 412 or 409: another one was quicker; read again), adopts `answers` and
  `blocked_until` into its limiter, and sends; otherwise it joins the line (`wanted_by`)
  and waits for the holder to let go (the first in line reads at a short interval once the turn
  is due, the others now and then); a webhook given back goes to the first in line;
- the holder renews the lease while it has posts to send and nobody else wants the webhook; when
  someone does (or it has nothing left to send), it stops starting posts, waits for the answers of
  those in flight, and writes them with the lease given up. A post whose connection failed never
  reached Teams, so the in-process limiter forgets it and it is not in `answers` either.
- a holder that vanished (a crashed instance) loses the lease `expiry` seconds after `until`:
  its last posts may still have been in flight, so the next holder cannot know their answers.

`answers` are wall-clock times, so instances on different machines rely on their clocks agreeing
to within the limiter's epsilon; Azure keeps its hosts' clocks in sync with NTP. If the table
cannot be reached, `admit` lets the send through on the in-process limiter alone (it never drops
or delays a notification for the table's sake) and `Availability` logs it once a minute and tells
the health route.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import os
import random
import threading
import time
import uuid
from array import array
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Final, Protocol

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

logger = logging.getLogger("shared.state.windows")

__all__ = ["Admission", "Lane", "SharedWindows", "current_shared_windows", "keep_answers"]

_ROW: Final = "windows"
# Table calls run on threads: one per webhook being taken over or handed back at a time.
_THREADS: Final = 24
# At most this many instances wait in line for one webhook (each id is ~20 characters).
_LINE: Final = 64


class Lane(Protocol):
    """The in-process limiter as the shared windows see it (shared.teams.limiter.RateLimiter)."""

    def answered(self, key: str, since: float = ...) -> list[float]: ...

    def busy(self, key: str) -> bool: ...

    def adopt(self, key: str, answered: Sequence[float], blocked_until: float = 0.0) -> None: ...

    def block(self, key: str, seconds: float) -> None: ...

    def now(self) -> float: ...


def _line(text: str) -> list[str]:
    """The instances waiting for the webhook, first come first."""
    return [name for name in text.split(",") if name]


def _decode(raw: Any) -> list[float]:
    if not raw:
        return []
    packed = array("d")
    packed.frombytes(bytes(raw))
    return packed.tolist()


def _encode(times: Sequence[float]) -> bytes:
    return array("d", times).tobytes()


def keep_answers(
    answers: Sequence[float], now: float, windows: Sequence[Window] = TEAMS_WINDOWS
) -> list[float]:
    """The answers any window can still need: the last `max limit`, within the longest period."""
    depth = max(limit for limit, _ in windows)
    longest = max(period for _, period in windows)
    return [at for at in sorted(answers)[-depth:] if at > now - longest - 1.0]


@dataclass
class _Entity:
    owner: str = ""
    until: float = 0.0
    since: float = 0.0
    wanted_by: str = ""
    last_owner: str = ""
    """Who held it last (it stays when the lease is given back)."""
    answers: list[float] = field(default_factory=list)
    blocked_until: float = 0.0
    etag: str | None = None
    """None: the entity does not exist yet."""


class Admission(enum.Enum):
    """What `admit()` found."""

    LOCAL = "local"
    """The table cannot be reached: the in-process limiter alone decides."""
    HELD = "held"
    """This process holds the webhook and its limiter knew every answer when the slot was taken."""
    TAKEN = "taken"
    """This process holds it, but took it over (or adopted answers) after the slot was taken:
    give the slot back and take a new one, so the adopted answers count."""


@dataclass
class _Hold:
    """This process's lease on one webhook."""

    until: float = 0.0
    """Wall clock; 0 while not held."""
    leaving: bool = False
    """Handing it over: admit no new posts; give it up when the last one is done."""
    users: int = 0
    """Posts admitted and not done yet."""
    generation: int = 0
    """Counts the takes: a hand-over decided for one lease never gives up a later one."""
    adopted: float = float("-inf")
    """When answers were last adopted into the limiter (the limiter's clock)."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    changing: dict[int, asyncio.Lock] = field(default_factory=dict)
    """Per event loop: one caller at a time takes, renews or gives up the lease."""


class SharedWindows:
    """Hand each webhook to one instance at a time, with the answers that anchor its windows."""

    def __init__(
        self,
        store: StateStore,
        windows: Sequence[Window] = TEAMS_WINDOWS,
        *,
        turn: float = 2.0,
        poll: float = 0.05,
        patience: float = 0.25,
        expiry: float = 10.0,
        conflicts: int = 16,
        availability: Availability | None = None,
        clock: Callable[[], float] = time.time,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.windows = tuple(windows)
        self.turn = turn
        self.poll = poll
        self.patience = patience
        self.expiry = expiry
        self.conflicts = conflicts
        self.availability = availability or Availability()
        self.owner = owner or f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._clock = clock
        self._rng = random.Random()  # noqa: S311  # back-off jitter, not security
        self._executor = ThreadPoolExecutor(_THREADS, thread_name_prefix="shared-windows")
        self._holds: dict[str, _Hold] = {}
        self._holds_lock = threading.Lock()
        # For bench/delivery.py and the tests:
        self.reservation_seconds: deque[float] = deque(maxlen=100_000)
        """Per post: how long admission took, table calls and waiting for the lease included
        (not the wait the in-process limiter adds for the windows themselves)."""
        self.writes = 0
        self.reads = 0
        self.conflicted = 0
        self.takeovers = 0
        self.expired = 0
        self.failed_give_ups = 0
        """Leases taken over because their holder had not renewed nor given them back."""

    def _hold(self, key: str) -> _Hold:
        with self._holds_lock:
            return self._holds.setdefault(key, _Hold())

    # --- what delivery calls -------------------------------------------------------------------

    async def admit(self, key: str, remaining: float, lane: Lane, since: float) -> Admission:
        """Wait until this process holds the webhook (at most `remaining` seconds), for a post
        whose in-process slot was taken at `since` (the limiter's clock). Unless LOCAL, call
        `done()` after the post. Raises RateLimitWait when the lease does not come in time."""
        if not self.availability.usable():
            return Admission.LOCAL
        started = time.perf_counter()
        deadline = self._clock() + remaining
        hold = self._hold(key)
        loop = asyncio.get_running_loop()
        changing = hold.changing.setdefault(id(loop), asyncio.Lock())
        while True:
            with hold.lock:
                if 0.0 < self._clock() < hold.until and not hold.leaving:
                    hold.users += 1
                    self.reservation_seconds.append(time.perf_counter() - started)
                    return Admission.TAKEN if hold.adopted >= since else Admission.HELD
            async with changing:
                try:
                    await self._change(key, hold, lane, deadline)
                except StateUnavailable as error:
                    self.availability.failed("the rate windows", error)
                    self.reservation_seconds.append(time.perf_counter() - started)
                    return Admission.LOCAL
            self.availability.succeeded()

    async def done(self, key: str, lane: Lane, *, hand_back: bool = True) -> None:
        """A post `admit()` let through is over (answered or failed). When nothing else of this
        process waits for the webhook, it is handed back now rather than keep the others waiting
        until the turn ends (`hand_back=False`: the caller comes back at once). Awaited, not left
        in the background: a one-shot process (`python -m shared send`) must not end before."""
        hold = self._hold(key)
        with hold.lock:
            hold.users -= 1
            last = hand_back and hold.users == 0 and hold.until > 0.0 and not hold.leaving
            if not last:
                return
            generation = hold.generation
            step: Awaitable[object]
            if not lane.busy(key):
                step = self._leave(key, hold, lane, generation)
            elif self._clock() >= hold.until:
                # The turn is over and nothing of ours is in flight: the best moment to hand over,
                # while the windows keep the webhook closed anyway. Renewed if nobody is in line.
                step = self._turn_over(key, hold, lane, generation)
            else:
                return
            hold.leaving = True
        await step

    async def _turn_over(self, key: str, hold: _Hold, lane: Lane, generation: int) -> bool:
        """Renew the lease, or hand it over when someone is in line (the caller marked the hold
        `leaving` for `generation`, so no other turn-over runs meanwhile). True: renewed."""
        loop = asyncio.get_running_loop()
        try:
            renewed = await loop.run_in_executor(self._executor, self._renew, key, hold, lane)
        except (StateUnavailable, RateLimitWait):
            renewed = False
        if renewed:
            with hold.lock:
                if hold.generation == generation:
                    hold.leaving = False
            return True
        await self._leave(key, hold, lane, generation)
        return False

    async def block(self, key: str, seconds: float) -> None:
        """Teams throttled this webhook and asked for `seconds`: pause it for every instance."""
        until = self._clock() + seconds

        def plan(entity: _Entity) -> _Entity | None:
            entity.blocked_until = max(entity.blocked_until, until)
            return entity

        await self._quietly(partial(self._update, key, plan))

    async def _quietly(self, call: Callable[[], object]) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, call)
        except StateUnavailable as error:
            self.availability.failed("the rate windows", error)
        except RateLimitWait:
            pass  # contended for too long: the lease runs out by itself

    async def _leave(self, key: str, hold: _Hold, lane: Lane, generation: int) -> None:
        """Give the webhook back once the posts in flight are done (their answers go with it).
        Only the lease of `generation`: one taken again since is not this call's to give up."""
        while True:
            with hold.lock:
                if hold.generation != generation:
                    return
                if hold.users == 0:
                    break
            await asyncio.sleep(self.poll / 5)
        loop = asyncio.get_running_loop()
        try:
            for attempt in range(3):
                # Others wait for this write until the lease expires: try it again when the
                # table was slow or contended (a timeout, too many conflicts).
                try:
                    await loop.run_in_executor(self._executor, self._give_up, key, lane)
                    break
                except (StateUnavailable, RateLimitWait) as error:
                    self.failed_give_ups += 1
                    if attempt == 2 and isinstance(error, StateUnavailable):
                        self.availability.failed("the rate windows", error)
                    await asyncio.sleep(self.poll * 2**attempt)
        finally:
            with hold.lock:
                if hold.generation == generation:
                    hold.until, hold.leaving = 0.0, False

    async def _change(self, key: str, hold: _Hold, lane: Lane, deadline: float) -> None:
        """Renew the lease, hand it over, or wait for it and take it; returns once held."""
        loop = asyncio.get_running_loop()
        while True:
            with hold.lock:
                now = self._clock()
                held, leaving = hold.until > 0.0, hold.leaving
                if held and now < hold.until and not leaving:
                    return
                generation = hold.generation
                if held and not leaving:
                    hold.leaving = True  # this caller turns the lease over; no one else does
            if held and leaving:
                await asyncio.sleep(self.poll / 5)  # someone of ours is handing it over
                continue
            if held:
                # Our turn is over: go on if nobody is in line for the webhook, else hand over.
                if await self._turn_over(key, hold, lane, generation):
                    return
                # Let the first in line take it first.
                await asyncio.sleep(self.poll * (1 + self._rng.random()))
            wait = await loop.run_in_executor(self._executor, self._try_take, key, hold, lane)
            if wait <= 0:
                return
            if self._clock() + wait > deadline:
                raise RateLimitWait(
                    "another instance holds this webhook's rate windows beyond the time budget",
                    retry_after=wait,
                )
            await asyncio.sleep(wait)

    # --- blocking side: the table --------------------------------------------------------------

    def _try_take(self, key: str, hold: _Hold, lane: Lane) -> float:
        """Take the lease if it is free (adopting its answers); 0 when taken, else seconds until
        it is worth asking again (having said that we want it)."""
        now = self._clock()
        taken: list[_Entity] = []

        previous = ""

        def plan(entity: _Entity) -> _Entity | None:
            nonlocal previous
            taken.clear()  # a write that conflicted took nothing
            mine = entity.owner == self.owner
            previous = entity.owner or entity.last_owner
            # A webhook given back goes to the first in line (`until` is when it was given
            # back); anyone may take it when that one does not come in time (it is then dropped
            # from the line: an instance that is gone must not hold the line up again).
            line = _line(entity.wanted_by)
            first = line[0] if line else ""
            free = not entity.owner and (
                first in ("", self.owner) or now > entity.until + self.expiry / 10
            )
            expired = bool(entity.owner) and now > entity.until + self.expiry
            if expired:
                self.expired += 1
            if mine or free or expired:
                entity.owner, entity.since, entity.until = self.owner, now, now + self.turn
                entity.last_owner = self.owner
                if first and first != self.owner and not mine:
                    line = line[1:]
                entity.wanted_by = ",".join(n for n in line if n != self.owner)
                taken.append(entity)
                return entity
            if self.owner in line:
                return None  # already in line
            entity.wanted_by = ",".join([*line, self.owner][-_LINE:])
            return entity

        entity = self._update(key, plan)
        logger.debug(
            "take %s %s: %s (%d answers)",
            self.owner,
            key[:8],
            "taken" if taken else entity.owner,
            len(entity.answers),
        )
        if not taken:
            # The next in line asks often once the turn is due; the others now and then (the
            # holder may also let go early, when it has nothing left to send).
            due = entity.until - now
            if _line(entity.wanted_by)[:1] != [self.owner]:
                return self.patience
            return self.patience if due > self.patience else max(due, self.poll)
        self.takeovers += 1
        offset = self._clock() - lane.now()
        with hold.lock:
            if previous != self.owner:
                # Our own lane already knows what the entity says when we were its last holder
                # (and maybe more: a hand-back cut short when its event loop ended).
                lane.adopt(
                    key,
                    [at - offset for at in taken[0].answers],
                    taken[0].blocked_until - offset,
                )
                hold.adopted = lane.now()
            hold.until, hold.leaving = taken[0].until, False
            hold.generation += 1
        return 0.0

    def _renew(self, key: str, hold: _Hold, lane: Lane) -> bool:
        """Start another turn unless another instance asked for the webhook in this one; False:
        leave (marked so that no new post starts)."""
        now = self._clock()

        def plan(entity: _Entity) -> _Entity | None:
            if entity.owner != self.owner or any(n != self.owner for n in _line(entity.wanted_by)):
                return None
            entity.since, entity.until = now, now + self.turn
            entity.answers = self._answers(key, lane, entity)
            return entity

        entity = self._update(key, plan)
        logger.debug("renew %s %s: %s", self.owner, key[:8], entity.since == now)
        with hold.lock:
            if entity.owner == self.owner and entity.since == now:
                hold.until = entity.until
                if entity.blocked_until > now:
                    lane.block(key, entity.blocked_until - now)
                return True
            hold.leaving = True
            return False

    def _give_up(self, key: str, lane: Lane) -> None:
        """Hand the webhook back with the answers of our posts (none of ours is in flight)."""

        def plan(entity: _Entity) -> _Entity | None:
            if entity.owner != self.owner:
                return None  # it expired and someone else took it
            entity.owner, entity.until = "", self._clock()
            entity.answers = self._answers(key, lane, entity)
            return entity

        entity = self._update(key, plan)
        logger.debug("give up %s %s (%d answers)", self.owner, key[:8], len(entity.answers))

    def _answers(self, key: str, lane: Lane, entity: _Entity) -> list[float]:
        """The lane's answers in wall-clock time. They already hold what was adopted with the
        lease (`entity.answers` then), so the lane alone is the history."""
        offset = self._clock() - lane.now()
        return keep_answers([at + offset for at in lane.answered(key)], self._clock(), self.windows)

    def _update(self, key: str, plan: Callable[[_Entity], _Entity | None]) -> _Entity:
        """Read the entity, apply `plan` (None: leave it as it is), write it with If-Match; again
        after a conflict. Returns the entity as written (or read)."""
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError
        from azure.data.tables import UpdateMode

        table: TableClient = self.store.table("windows")
        for attempt in range(1, self.conflicts + 1):
            entity = self._read(table, key)
            self.reads += 1
            changed = plan(entity)
            if changed is None:
                return entity
            row = {
                "PartitionKey": key,
                "RowKey": _ROW,
                "owner": changed.owner,
                "until": float(changed.until),
                "since": float(changed.since),
                "wanted_by": changed.wanted_by,
                "last_owner": changed.last_owner,
                "answers": _encode(changed.answers),
                "blocked_until": float(changed.blocked_until),
            }
            try:
                self.writes += 1
                if entity.etag is None:
                    guarded(partial(table.create_entity, row), passing=ResourceExistsError)
                else:
                    guarded(
                        partial(
                            table.update_entity,
                            row,
                            mode=UpdateMode.REPLACE,
                            etag=entity.etag,
                            match_condition=MatchConditions.IfNotModified,
                        ),
                        passing=ResourceModifiedError,
                    )
            except (ResourceExistsError, ResourceModifiedError):
                # Another instance wrote in between: read again, after an exponential back-off
                # with full jitter so that contenders spread out.
                self.conflicted += 1
                time.sleep(self._rng.uniform(0, min(0.1, 0.002 * 2**attempt)))
                continue
            return changed
        raise RateLimitWait(
            f"the shared rate windows stayed contended after {self.conflicts} attempts"
        )

    def _read(self, table: TableClient, key: str) -> _Entity:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            raw = guarded(partial(table.get_entity, key, _ROW), passing=ResourceNotFoundError)
        except ResourceNotFoundError:
            return _Entity()
        return _Entity(
            owner=str(raw.get("owner") or ""),
            until=float(raw.get("until") or 0.0),
            since=float(raw.get("since") or 0.0),
            wanted_by=str(raw.get("wanted_by") or ""),
            last_owner=str(raw.get("last_owner") or ""),
            answers=_decode(raw.get("answers")),
            blocked_until=float(raw.get("blocked_until") or 0.0),
            etag=str(raw.metadata["etag"]),
        )

    def state(self, key: str) -> dict[str, Any]:
        """The entity as stored (for the tests and `python -m shared` diagnostics)."""
        entity = self._read(self.store.table("windows"), key)
        return {
            "owner": entity.owner,
            "until": entity.until,
            "answers": entity.answers,
            "blocked_until": entity.blocked_until,
        }


@read_once
def current_shared_windows() -> SharedWindows | None:
    """The process's shared rate windows, or None when no storage is configured."""
    store = current_state_store()
    return SharedWindows(store, availability=current_availability()) if store else None
