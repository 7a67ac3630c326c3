"""Teams' rate windows per webhook, shared by every instance: send times booked ahead in one table
entity, in batches per process, each send confirmed against the answers of the sends before it.

The entity per webhook (keyed by the SHA-256 of its URL, never the URL) is a timetable: the booked
send times (wall clock, oldest first), an id per booked send (which instance owns it is known only
to that instance), when Teams answered each (0 until known), and `blocked_until` (a pause Teams
asked for with a 429 + Retry-After, seen by every instance).

- Booking: an instance coalesces all of its callers waiting for a webhook into one booking. One
  conditional write (If-Match on the ETag it read; a 412 or 409 means another instance wrote in
  between: read again, with jittered back-off, a bounded number of times) appends the earliest
  send times that keep all five of Teams' windows, one per caller, after every time already
  booked. A booked send counts from its answer when known, else from its time plus `margin`.
- Waiting: each caller sleeps until its booked time, so the table's round trips overlap with the
  wait for earlier slots, and a booking is one writer per process per webhook.
- Confirming: Teams counts a request when it arrives, which may be well after its sender planned
  it (a busy instance, the network). So a booked time alone is not trusted at the boundary with
  another instance's sends: before posting, the window's anchors (the n-th latest earlier send
  per window) must be *answered* (an answer comes after Teams counted the request) at least a
  window before. Answers of this process's own sends are known at once; another instance's are
  read from the entity, which each instance updates with its answers as they come in (one write
  when its last send in flight is answered). An anchor nobody answered `expiry` seconds after its
  booked time (its instance crashed) counts from then.
- A booked time not used (the caller's budget ran out, the connection failed, nothing else of
  this process wanted it) is removed from the entity; one lost with a crashed instance only
  wastes capacity until `expiry`, it never lets anyone over-send.

The in-process limiter (`shared.teams.limiter`) still checks every post after its booked time,
on the answers of this process's own posts, and is all there is when the table cannot be reached:
`admit` then lets the send through on it alone (it never drops or delays a notification for the
table's sake), `Availability` logs it once a minute and tells the health route, and the sends made
meanwhile are written to the entity once it answers again.

Booked times and answers are wall-clock times, so instances on different machines rely on their
clocks agreeing to within `margin`; Azure keeps its hosts' clocks in sync with NTP.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import random
import threading
import time
from array import array
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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

logger = logging.getLogger("shared.state.windows")

__all__ = [
    "Booking",
    "SharedWindows",
    "Timetable",
    "current_shared_windows",
    "earliest",
    "plan_sends",
]

_ROW: Final = "windows"
# Table calls run on threads: bookings, refreshes and answer writes of several webhooks at once.
# Few: on a busy host, more calls at once only make each slower (they share the interpreter
# lock, and the storage account's front end).
_THREADS: Final = 6
_READERS: Final = 2
# A table that answered too late (a read timeout, not a refused connection) is tried this many
# times more before the webhook's callers fall back to the in-process limiter.
_SLOW_TRIES: Final = 2
_UNKNOWN: Final = float("inf")
# An answer merged into the entity as a property of its own: `a_<send id in hex>`.
_ANSWER: Final = "a_"
# Answer properties at most (an entity has at most 252): beyond, they are folded with If-Match.
_LOOSE: Final = 120


@dataclass
class Timetable:
    """One webhook's entity: booked sends, oldest first, and what is known of each."""

    at: list[float] = field(default_factory=list)
    """Booked send times (wall clock), ascending."""
    ids: list[int] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)
    """When Teams answered each send (wall clock); 0.0 while not known."""
    blocked_until: float = 0.0
    etag: str | None = None
    """None: the entity does not exist yet."""
    loose: int = 0
    """Answers stored as properties of their own (not stored as such)."""
    read_at: float = float("-inf")
    """Since when this state is known to hold (time.monotonic; not stored): when the read
    began, or when the write ended."""

    def copy(self) -> Timetable:
        return Timetable(
            list(self.at),
            list(self.ids),
            list(self.answered),
            self.blocked_until,
            self.etag,
            self.loose,
            self.read_at,
        )

    def insert(self, at: float, ident: int, answered: float = 0.0) -> None:
        index = bisect.bisect_right(self.at, at)
        self.at.insert(index, at)
        self.ids.insert(index, ident)
        self.answered.insert(index, answered)

    def remove(self, idents: set[int]) -> None:
        keep = [i for i, ident in enumerate(self.ids) if ident not in idents]
        self.at = [self.at[i] for i in keep]
        self.ids = [self.ids[i] for i in keep]
        self.answered = [self.answered[i] for i in keep]

    def prune(self, now: float, windows: Sequence[Window], *, stale: float = 60.0) -> None:
        """Forget the oldest sends no window can still need. A send still to come or in flight
        takes its anchors among the `largest limit` sends before it, and so does the next one
        booked; a send older than the longest period is nobody's anchor. Only settled sends go
        (answered, or booked more than `stale` seconds ago and never answered: gone with their
        instance)."""
        depth = max(limit for limit, _ in windows)
        longest = max(period for _, period in windows)

        def settled(index: int) -> bool:
            return self.answered[index] > 0.0 or self.at[index] < now - stale

        pending = next((i for i in range(len(self.at)) if not settled(i)), len(self.at))
        start = 0
        while start < pending and (
            start < pending - depth
            or max(self.at[start], self.answered[start]) < now - longest - 1.0
        ):
            start += 1
        if start:
            self.at, self.ids, self.answered = (
                self.at[start:],
                self.ids[start:],
                self.answered[start:],
            )


def earliest(counted: Sequence[float], windows: Sequence[Window], epsilon: float) -> float:
    """The earliest time a further request keeps every window, when the earlier ones count from
    `counted` (any order; inf: not known yet). -inf: no window binds."""
    ordered = sorted(counted)
    ready = float("-inf")
    for limit, period in windows:
        if len(ordered) >= limit:
            ready = max(ready, ordered[-limit] + period + epsilon)
    return ready


def plan_sends(
    table: Timetable,
    deadlines: Sequence[float],
    now: float,
    windows: Sequence[Window],
    *,
    margin: float,
    epsilon: float,
) -> list[float]:
    """The earliest send times after every one booked in `table`, one per deadline in order, as
    long as each is within its deadline. A booked send counts from its answer when known, else
    from its time plus `margin` (how late a send may reach Teams and be answered)."""
    counted = sorted(
        a if a > 0.0 else t + margin for t, a in zip(table.at, table.answered, strict=True)
    )
    last = max(now, table.blocked_until, table.at[-1] if table.at else now)
    planned: list[float] = []
    for deadline in deadlines:
        at = max(last, earliest(counted, windows, epsilon))
        if at > deadline:
            break
        planned.append(at)
        bisect.insort(counted, at + margin)
        last = at
    return planned


def _decode(raw: Any, code: str = "d") -> list[Any]:
    if not raw:
        return []
    packed = array(code)
    packed.frombytes(bytes(raw))
    return packed.tolist()


def _encode(values: Sequence[Any], code: str = "d") -> bytes:
    return array(code, values).tobytes()


@dataclass
class Booking:
    """What `admit()` gave one post: a booked send (`ident`), or None when the in-process limiter
    alone decides (the table cannot be reached)."""

    key: str
    ident: int | None


@dataclass(eq=False)
class _Ticket:
    """A caller waiting for a booked send."""

    deadline: float
    ident: int | None = None
    at: float = 0.0
    refused: float | None = None
    """Seconds until the windows would have a send for it: beyond its budget."""
    local: bool = False
    """The table failed while booking: the in-process limiter alone decides."""
    loop: asyncio.AbstractEventLoop | None = None
    woken: asyncio.Future[None] | None = None


@dataclass
class _Webhook:
    """This process's side of one webhook's timetable."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    picture: Timetable = field(default_factory=Timetable)
    """The entity as last read or written, with this process's answers merged in."""
    seen: float = float("-inf")
    """When `picture` was read (wall clock)."""
    seen_from: float = float("-inf")
    """Since when `picture` is known to hold (Timetable.read_at): an older state never replaces
    it (reads, bookings and answer writes of one webhook overlap)."""
    mine: dict[int, float] = field(default_factory=dict)
    """This process's booked sends not answered yet: id -> booked time."""
    free: deque[tuple[int, float]] = field(default_factory=deque)
    """Booked sends no caller took yet (id, time), in time order."""
    waiting: deque[_Ticket] = field(default_factory=deque)
    booking: bool = False
    refreshing: bool = False
    flushing: bool = False
    flying: int = 0
    """Posts of ours admitted and not done."""
    loose: int = 0
    """Answer properties in the entity, as far as we know."""
    answers: dict[int, float] = field(default_factory=dict)
    """Answers not written yet: id -> when."""
    dropped: set[int] = field(default_factory=set)
    """Booked sends that will not go out, not removed from the entity yet."""
    unshared: list[float] = field(default_factory=list)
    """Answers of posts sent while the table could not be reached, not written yet."""
    oldest_answer: float = float("inf")


class SharedWindows:
    """Book each webhook's sends on a timetable every instance shares."""

    def __init__(
        self,
        store: StateStore,
        windows: Sequence[Window] = TEAMS_WINDOWS,
        *,
        margin: float = 0.1,
        epsilon: float = 0.002,
        poll: float = 0.05,
        lead: float = 0.15,
        expiry: float = 30.0,
        conflicts: int = 16,
        availability: Availability | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.windows = tuple(windows)
        self.margin = margin
        self.epsilon = epsilon
        self.poll = poll
        self.lead = lead
        self.expiry = expiry
        self.conflicts = conflicts
        self.availability = availability or Availability()
        self._clock = clock
        self._rng = random.Random()  # noqa: S311  # ids and back-off jitter, not security
        self._executor = ThreadPoolExecutor(_THREADS, thread_name_prefix="shared-windows")
        # Reads that look for other instances' answers have threads of their own: however many
        # callers wait for answers, bookings and our own answers never queue behind them.
        self._reader = ThreadPoolExecutor(_READERS, thread_name_prefix="shared-windows-read")
        self._hooks: dict[str, _Webhook] = {}
        self._hooks_lock = threading.Lock()
        # For bench/delivery.py and the tests:
        self.reservation_seconds: deque[float] = deque(maxlen=100_000)
        """Per post: from asking to holding a booked send time (table calls included, not the
        wait until that time)."""
        self.writes = 0
        self.reads = 0
        self.conflicted = 0
        self.bookings = 0
        self.booked = 0
        self.late = 0
        """Booked sends given up because their caller woke far too late for them."""
        self.confirm_waits = 0
        """Posts that waited past their booked time for earlier answers."""

    def _depth(self) -> int:
        return max(limit for limit, _ in self.windows)

    def _hook(self, key: str) -> _Webhook:
        with self._hooks_lock:
            return self._hooks.setdefault(key, _Webhook())

    # --- what delivery calls -------------------------------------------------------------------

    async def admit(self, key: str, remaining: float) -> Booking:
        """Book a send for one post and wait until it is due (at most `remaining` seconds).
        Call `done()` after the post. Raises RateLimitWait when no send fits the budget."""
        if not self.availability.usable():
            return Booking(key, None)
        started = time.perf_counter()
        hook = self._hook(key)
        ticket = _Ticket(deadline=self._clock() + remaining)
        with hook.lock:
            hook.waiting.append(ticket)
            self._assign(hook)
        try:
            while True:
                if not await self._book_for(key, hook, ticket):
                    self.reservation_seconds.append(time.perf_counter() - started)
                    return Booking(key, None)
                self.reservation_seconds.append(time.perf_counter() - started)
                due = await self._until_due(key, hook, ticket)
                if due is None:
                    return Booking(key, None)
                if due:
                    break
                # Far too late for its booked time (a stalled event loop): the others may have
                # counted it as lost, so it goes out on a new booking instead.
                self.late += 1
                with hook.lock:
                    if ticket.ident is not None:
                        hook.dropped.add(ticket.ident)
                        hook.mine.pop(ticket.ident, None)
                        hook.picture.remove({ticket.ident})
                    ticket.ident = None
                started = time.perf_counter()
            with hook.lock:
                hook.flying += 1
                ident = ticket.ident
                ticket.ident = None  # sent: no longer ours to give back
            return Booking(key, ident)
        finally:
            await self._leave(key, hook, ticket)

    async def done(self, key: str, booking: Booking, *, reached: bool = True) -> None:
        """The post `booking` admitted is over: answered (`reached`), or never reached Teams (the
        connection failed: its send is removed, it does not count). Awaited, not left in the
        background: a one-shot process (`python -m shared send`) must not end before."""
        hook = self._hook(key)
        now = self._clock()
        with hook.lock:
            if booking.ident is None:
                if reached:
                    # Kept for the entity once it answers again (at most what a window needs).
                    hook.unshared = [*hook.unshared[-self._depth() + 1 :], now]
                return
            hook.flying -= 1
            hook.mine.pop(booking.ident, None)
            if reached:
                hook.answers[booking.ident] = now
                hook.oldest_answer = min(hook.oldest_answer, now)
                self._merge_answers(hook.picture, {booking.ident: now})
            else:
                hook.dropped.add(booking.ident)
                hook.picture.remove({booking.ident})
            # One write for the answers of a burst: by the last post of ours in flight, or
            # when answers wait too long behind a steady stream.
            if hook.flying > 0 and now - hook.oldest_answer < self.lead:
                return
        await self._flush(key, hook)

    async def block(self, key: str, seconds: float) -> None:
        """Teams throttled this webhook and asked for `seconds`: pause it for every instance."""
        until = self._clock() + seconds
        hook = self._hook(key)
        with hook.lock:
            hook.picture.blocked_until = max(hook.picture.blocked_until, until)

        def plan(table: Timetable) -> Timetable | None:
            table.blocked_until = max(table.blocked_until, until)
            return table

        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, partial(self._update, key, plan))
        except StateUnavailable as error:
            self.availability.failed("the rate windows", error)
        except RateLimitWait:
            pass  # contended for too long: this instance's limiter holds the pause anyway

    # --- booking --------------------------------------------------------------------------------

    def _assign(self, hook: _Webhook) -> None:
        """Hand booked sends no caller holds to the callers waiting, first come first (under
        the lock). A send past a caller's deadline stays for the next one."""
        for ticket in hook.waiting:
            if not hook.free:
                return
            if ticket.ident is None and ticket.refused is None and not ticket.local:
                ident, at = hook.free[0]
                if at <= ticket.deadline:
                    hook.free.popleft()
                    ticket.ident, ticket.at = ident, at

    async def _book_for(self, key: str, hook: _Webhook, ticket: _Ticket) -> bool:
        """Wait until `ticket` holds a booked send, booking for every caller waiting when no
        booking of ours is under way. False: the table failed, the limiter alone decides."""
        loop = asyncio.get_running_loop()
        attempt = slow = 0
        while True:
            with hook.lock:
                if ticket.ident is not None:
                    return True
                if ticket.local:
                    return False
                if ticket.refused is not None:
                    raise RateLimitWait(
                        "Teams' rate limits for this webhook, shared by every instance, leave no "
                        f"slot within the time budget (next in {ticket.refused:.1f} s)",
                        retry_after=ticket.refused,
                    )
                book = not hook.booking
                if book:
                    hook.booking = True
                    wanted = [
                        t
                        for t in hook.waiting
                        if t.ident is None and t.refused is None and not t.local
                    ]
                else:
                    ticket.loop, ticket.woken = loop, loop.create_future()
                    woken = ticket.woken
            if book and attempt == 0:
                # Let the callers that arrived together (an alert storm, a batch of queue
                # messages) join this booking first.
                await asyncio.sleep(0)
                with hook.lock:
                    wanted = [
                        t
                        for t in hook.waiting
                        if t.ident is None and t.refused is None and not t.local
                    ]
            if not book:
                # Another caller of ours books (for this one too); it wakes us when done.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(woken), self.poll * 20)
                continue
            try:
                await loop.run_in_executor(
                    self._executor, self._book, key, hook, [t.deadline for t in wanted]
                )
                self.availability.succeeded()
            except StateUnavailable as error:
                slow += error.slow
                if error.slow and slow <= _SLOW_TRIES and self._clock() < ticket.deadline:
                    continue  # slow, not down: book again
                self.availability.failed("the rate windows", error)
                with hook.lock:
                    for waiting in hook.waiting:
                        if waiting.ident is None:
                            waiting.local = True
            except RateLimitWait:
                attempt += 1
                if self._clock() + self.poll > ticket.deadline or attempt > 3:
                    with hook.lock:
                        ticket.refused = self.poll
                # Contended: let the others write first, then try again.
                await asyncio.sleep(self._rng.uniform(0, self.poll * attempt))
            finally:
                with hook.lock:
                    hook.booking = False
                    waking = [t for t in hook.waiting if t.woken is not None]
                    for waiting in waking:
                        if waiting.loop is not None and waiting.woken is not None:
                            _wake_soon(waiting.loop, waiting.woken)
                        waiting.woken = None
                    # Callers that left while the booking was under way leave sends unused.
                    dropped = self._drop_unused(hook)
            if dropped:
                await self._flush(key, hook)

    def _book(self, key: str, hook: _Webhook, deadlines: Sequence[float]) -> None:
        """Append send times for callers with these `deadlines` (blocking: a worker thread)."""
        planned: list[tuple[int, float]] = []
        applied: list[Any] = []
        now = self._clock()

        def plan(table: Timetable) -> Timetable | None:
            applied[:] = [self._apply_pending(hook, table, now)]
            planned.clear()
            for at in plan_sends(
                table,
                deadlines,
                self._clock(),
                self.windows,
                margin=self.margin,
                epsilon=self.epsilon,
            ):
                ident = self._rng.getrandbits(63)
                table.insert(at, ident)
                planned.append((ident, at))
            return table

        with hook.lock:
            cached = hook.picture.copy()
        written = self._update(key, plan, cached)
        self.bookings += 1
        self.booked += len(planned)
        with hook.lock:
            self._forget_pending(hook, applied[0] if applied else None)
            self._see(hook, written)
            for ident, at in planned:
                hook.mine[ident] = at
                hook.free.append((ident, at))
            self._assign(hook)
            # Callers the booking could not serve within their budget.
            if len(planned) < len(deadlines):
                later = plan_sends(
                    written,
                    [float("inf")],
                    now,
                    self.windows,
                    margin=self.margin,
                    epsilon=self.epsilon,
                )
                wait = max(self.poll, (later[0] if later else now) - now)
                for ticket in hook.waiting:
                    unserved = ticket.ident is None and ticket.refused is None
                    if (
                        unserved
                        and not ticket.local
                        and not any(at <= ticket.deadline for _, at in hook.free)
                    ):
                        ticket.refused = wait
        logger.debug("booked %s: %d of %d", key[:8], len(planned), len(deadlines))

    # --- waiting for the booked time ----------------------------------------------------------

    def _ready(self, hook: _Webhook, ident: int, now: float) -> tuple[float, float, bool] | None:
        """(planned, confirmed, theirs): when the send may go as planned (an unknown answer counts
        from its booked time plus the margin) and as confirmed (inf while an anchor's answer is
        not known), and whether an unknown anchor is another instance's (read the entity again to
        learn it). None: the send is no longer in the picture (go by the limiter alone)."""
        table = hook.picture
        try:
            index = table.ids.index(ident)
        except ValueError:
            return None
        planned: list[float] = []
        confirmed: list[float] = []
        theirs: list[bool] = []
        for at, other, answered in zip(
            table.at[:index], table.ids[:index], table.answered[:index], strict=True
        ):
            if answered > 0.0:
                planned.append(answered)
                confirmed.append(answered)
            elif now > at + self.expiry:
                planned.append(at + self.expiry)
                confirmed.append(at + self.expiry)
            else:
                planned.append(at + self.margin)
                confirmed.append(_UNKNOWN)
            theirs.append(other not in hook.mine)
        booked = max(table.at[index], table.blocked_until)
        plan_at = max(booked, earliest(planned, self.windows, self.epsilon))
        sure_at = max(booked, earliest(confirmed, self.windows, self.epsilon))
        unknown_theirs = False
        if sure_at == _UNKNOWN:
            # Which unknown anchors hold it up: any of another instance's?
            for limit, _ in self.windows:
                if len(confirmed) >= limit:
                    order = sorted(range(len(confirmed)), key=confirmed.__getitem__)
                    anchors = order[-limit:]
                    unknown_theirs |= any(confirmed[i] == _UNKNOWN and theirs[i] for i in anchors)
        return plan_at, sure_at, unknown_theirs

    async def _until_due(self, key: str, hook: _Webhook, ticket: _Ticket) -> bool | None:
        """Sleep until the ticket's send is due and its anchors confirmed. None: the table
        failed meanwhile (the limiter alone decides); False: woken too late to use it."""
        assert ticket.ident is not None
        waited = missing = False
        reads = 0
        while True:
            now = self._clock()
            if now > ticket.at + self.expiry - self.lead * 10:
                return False
            with hook.lock:
                ready = self._ready(hook, ticket.ident, now)
            if ready is None:
                # Not in our picture of the entity (it was deleted, or replaced by an instance
                # of an older layout): read it again once, then trust the limiter.
                if missing:
                    return True
                missing = True
                if not await self._refresh(key, hook, force=True):
                    return None
                continue
            planned, confirmed, theirs = ready
            if confirmed <= now:
                if waited:
                    self.confirm_waits += 1
                return True
            if min(planned, confirmed) > ticket.deadline:
                raise RateLimitWait(
                    "the earlier sends of this webhook leave no slot within the time budget",
                    retry_after=min(planned, confirmed) - now,
                )
            if confirmed != _UNKNOWN:
                await asyncio.sleep(confirmed - now)
                continue
            if planned - now > self.lead:
                await asyncio.sleep(planned - now - self.lead)
                continue
            waited = waited or planned <= now
            pause = self.poll
            if theirs:
                # Another instance's answer is not in our picture: read the entity again (one
                # read at a time per webhook, at most one per poll interval).
                if not await self._refresh(key, hook):
                    return None
                with hook.lock:
                    ready = self._ready(hook, ticket.ident, self._clock())
                if ready is not None and ready[1] != _UNKNOWN:
                    continue
                # Not written yet: read less and less often (many waiting callers reading
                # hard would slow down the very writes they wait for).
                pause = min(8 * self.poll, self.poll * 2**reads)
                reads += 1
            # Our own posts in flight, or theirs not answered yet: look again shortly.
            await asyncio.sleep(pause)

    async def _refresh(self, key: str, hook: _Webhook, *, force: bool = False) -> bool:
        """Read the entity again, unless another caller of ours does or did within `poll`
        seconds. False: the table failed."""
        with hook.lock:
            if hook.refreshing or (not force and self._clock() - hook.seen < self.poll):
                return True
            hook.refreshing = True
        loop = asyncio.get_running_loop()
        try:
            table = await loop.run_in_executor(self._reader, self._read_now, key)
        except StateUnavailable as error:
            self.availability.failed("the rate windows", error)
            return False
        finally:
            with hook.lock:
                hook.refreshing = False
        with hook.lock:
            self._see(hook, table)
        return True

    async def _leave(self, key: str, hook: _Webhook, ticket: _Ticket) -> None:
        """The caller is past admission: a booked send it did not use goes to the next caller of
        ours, or out of the entity when none is waiting."""
        with hook.lock:
            if ticket in hook.waiting:
                hook.waiting.remove(ticket)
            if ticket.ident is not None:
                index = bisect.bisect_left([at for _, at in hook.free], ticket.at)
                hook.free.insert(index, (ticket.ident, ticket.at))
                ticket.ident = None
                self._assign(hook)
            dropped = self._drop_unused(hook)
        if dropped:
            await self._flush(key, hook)

    @staticmethod
    def _drop_unused(hook: _Webhook) -> bool:
        """Under the lock: give up the booked sends no caller of ours waits for (others would
        wait for their answers until `expiry`). True when there were some."""
        idle = not any(t.ident is None and t.refused is None and not t.local for t in hook.waiting)
        if not (idle and hook.free and not hook.booking):
            return False
        for ident, _ in hook.free:
            hook.dropped.add(ident)
            hook.mine.pop(ident, None)
        hook.picture.remove({ident for ident, _ in hook.free})
        hook.free.clear()
        return True

    # --- writing what happened ----------------------------------------------------------------

    async def _flush(self, key: str, hook: _Webhook) -> None:
        """Write the answers, removals and unshared sends not written yet (one writer per
        webhook in this process; it goes on while more come in)."""
        with hook.lock:
            if hook.flushing:
                return
            hook.flushing = True
        loop = asyncio.get_running_loop()
        slow = contended = 0
        try:
            while True:
                with hook.lock:
                    if not (hook.answers or hook.dropped or hook.unshared):
                        return
                try:
                    await loop.run_in_executor(self._executor, self._write_pending, key, hook)
                except StateUnavailable as error:
                    # Other instances wait for these answers: a slow table is tried again.
                    slow += error.slow
                    if error.slow and slow <= _SLOW_TRIES:
                        await asyncio.sleep(self.poll * slow)
                        continue
                    self.availability.failed("the rate windows", error)
                    return
                except RateLimitWait:
                    # Contended: try again shortly (others wait for what this carries).
                    contended += 1
                    if contended > _SLOW_TRIES:
                        return  # the next booking or answer of ours carries it along
                    await asyncio.sleep(self._rng.uniform(0, self.poll * contended))
        finally:
            with hook.lock:
                hook.flushing = False

    def _write_pending(self, key: str, hook: _Webhook) -> None:
        with hook.lock:
            answers_only = not (hook.dropped or hook.unshared) and hook.loose < _LOOSE
            answers = dict(hook.answers)
        if answers_only and answers:
            self._merge_answers_into_entity(key, answers)
            with hook.lock:
                self._forget_pending(hook, (answers, set(), []))
                hook.loose += len(answers)
            return
        applied: list[Any] = []
        now = self._clock()

        def plan(table: Timetable) -> Timetable | None:
            applied[:] = [self._apply_pending(hook, table, now)]
            return table

        written = self._update(key, plan)
        with hook.lock:
            self._forget_pending(hook, applied[0] if applied else None)
            self._see(hook, written)

    def _apply_pending(
        self, hook: _Webhook, table: Timetable, now: float
    ) -> tuple[dict[int, float], set[int], list[float]]:
        """Put what this process has not written yet into `table` (read fresh); returns what
        was put, to forget once written."""
        with hook.lock:
            answers, dropped, unshared = dict(hook.answers), set(hook.dropped), list(hook.unshared)
        self._merge_answers(table, answers)
        table.remove(dropped)
        for at in unshared:
            table.insert(at, self._rng.getrandbits(63), at)
        table.prune(now, self.windows)
        return answers, dropped, unshared

    @staticmethod
    def _forget_pending(
        hook: _Webhook, applied: tuple[dict[int, float], set[int], list[float]] | None
    ) -> None:
        """Under the lock: what was written is no longer pending."""
        if applied is None:
            return
        answers, dropped, unshared = applied
        for ident in answers:
            hook.answers.pop(ident, None)
        hook.dropped -= dropped
        del hook.unshared[: len(unshared)]
        hook.oldest_answer = min(hook.answers.values(), default=float("inf"))

    @staticmethod
    def _merge_answers(table: Timetable, answers: dict[int, float]) -> None:
        for index, ident in enumerate(table.ids):
            if ident in answers:
                table.answered[index] = answers[ident]

    def _see(self, hook: _Webhook, table: Timetable) -> None:
        """Under the lock: `table` is the entity now, unless a newer state was seen already;
        keep our answers not written yet in it."""
        if table.read_at < hook.seen_from:
            return
        hook.seen_from = table.read_at
        hook.loose = table.loose
        picture = table.copy()
        self._merge_answers(picture, hook.answers)
        picture.remove(hook.dropped)
        hook.picture = picture
        hook.seen = self._clock()

    # --- blocking side: the table --------------------------------------------------------------

    def _update(
        self,
        key: str,
        plan: Callable[[Timetable], Timetable | None],
        cached: Timetable | None = None,
    ) -> Timetable:
        """Read the entity, apply `plan` (None: leave it as it is), write it with If-Match; again
        after a conflict. Returns the entity as written (or read). With `cached` (a state read
        or written before, with its ETag) the first attempt skips the read: if nobody wrote
        since, that saves a round trip; if somebody did, the write fails and it reads."""
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError
        from azure.data.tables import UpdateMode

        table: TableClient = self.store.table("windows")
        for attempt in range(1, self.conflicts + 1):
            if attempt == 1 and cached is not None and cached.etag is not None:
                entity = cached.copy()
            else:
                started = time.monotonic()
                entity = self._read(table, key)
                entity.read_at = started
                self.reads += 1
            changed = plan(entity)
            if changed is None:
                return entity
            row = {
                "PartitionKey": key,
                "RowKey": _ROW,
                "at": _encode(changed.at),
                "ids": _encode(changed.ids, "q"),
                "answered": _encode(changed.answered),
                "blocked_until": float(changed.blocked_until),
            }
            try:
                self.writes += 1
                if entity.etag is None:
                    meta = guarded(partial(table.create_entity, row), passing=ResourceExistsError)
                else:
                    meta = guarded(
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
            changed.etag = str(meta.get("etag") or "") or None
            # Valid as of now: newer than any read that began before the write was done.
            changed.read_at = time.monotonic()
            changed.loose = 0  # a replace leaves no answer properties
            return changed
        raise RateLimitWait(
            f"the shared rate windows stayed contended after {self.conflicts} attempts"
        )

    def _merge_answers_into_entity(self, key: str, answers: dict[int, float]) -> None:
        """Answers need no read nor If-Match: one property per send, merged into the entity
        (the next booking, which reads them, folds them into `answered`)."""
        from azure.core.exceptions import ResourceNotFoundError
        from azure.data.tables import UpdateMode

        table: TableClient = self.store.table("windows")
        row: dict[str, Any] = {"PartitionKey": key, "RowKey": _ROW}
        row.update({f"{_ANSWER}{ident:x}": float(at) for ident, at in answers.items()})
        self.writes += 1
        # Not found: the entity is gone (deleted by hand), nobody waits for these answers.
        with contextlib.suppress(ResourceNotFoundError):
            guarded(
                partial(table.update_entity, row, mode=UpdateMode.MERGE),
                passing=ResourceNotFoundError,
            )

    def _read_now(self, key: str) -> Timetable:
        self.reads += 1
        started = time.monotonic()
        entity = self._read(self.store.table("windows"), key)
        entity.read_at = started
        return entity

    def _read(self, table: TableClient, key: str) -> Timetable:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            raw = guarded(partial(table.get_entity, key, _ROW), passing=ResourceNotFoundError)
        except ResourceNotFoundError:
            return Timetable()
        at = _decode(raw.get("at"))
        ids = _decode(raw.get("ids"), "q")
        answered = _decode(raw.get("answered"))
        if not (len(at) == len(ids) == len(answered)):
            at, ids, answered = [], [], []  # an entity of an older layout: start afresh
        timetable = Timetable(
            at=at,
            ids=ids,
            answered=answered,
            blocked_until=float(raw.get("blocked_until") or 0.0),
            etag=str(raw.metadata["etag"]),
        )
        loose: dict[int, float] = {}
        for name, value in raw.items():
            if name.startswith(_ANSWER):
                with contextlib.suppress(ValueError, TypeError):
                    loose[int(name[len(_ANSWER) :], 16)] = float(value)
        self._merge_answers(timetable, loose)
        timetable.loose = len(loose)
        return timetable

    def state(self, key: str) -> dict[str, Any]:
        """The entity as stored (for the tests and `python -m shared` diagnostics)."""
        table = self._read(self.store.table("windows"), key)
        return {
            "booked": table.at,
            "answers": [at for at in table.answered if at > 0.0],
            "blocked_until": table.blocked_until,
        }


def _wake_soon(loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]) -> None:
    def wake() -> None:
        if not future.done():
            future.set_result(None)

    # RuntimeError: that caller's event loop is closed, it will never come back.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(wake)


@read_once
def current_shared_windows() -> SharedWindows | None:
    """The process's shared rate windows, or None when no storage is configured."""
    store = current_state_store()
    return SharedWindows(store, availability=current_availability()) if store else None
