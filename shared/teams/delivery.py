"""Deliver a card to channels: split to fit, rate-limit, retry within a budget, queue what is left.

At least once: a transient failure is retried with exponential backoff and full jitter (honouring
Retry-After) while the budget lasts, even after a read timeout that may already have posted the card
(a missed alert is worse than a duplicate). When the budget runs out the result is `queued` and
carries the messages for the `notifications-retry` queue; `shared.teams.redelivery` takes them from
there.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from shared.config.bindings import RETRY_QUEUE
from shared.config.once import read_once
from shared.config.settings import (
    Channel,
    ChannelNotUsableError,
    Settings,
    UnknownChannelError,
    current_settings,
    normalize_channel_name,
)
from shared.teams.client import READ_TIMEOUT
from shared.teams.errors import (
    AnswerLost,
    ChannelUnusable,
    ConnectFailed,
    DeliveryError,
    PermanentDeliveryError,
    RateLimitWait,
    TeamsThrottled,
    TransientDeliveryError,
)
from shared.teams.limiter import RateLimiter
from shared.teams.splitting import Part, SpanLike, encode, split_card
from shared.teams.transports import Transport, transport_for

if TYPE_CHECKING:
    from shared.state.parts import PartsLedger
    from shared.state.windows import Booking

__all__ = [
    "QUEUE_MESSAGE_LIMIT",
    "RETRY_QUEUE",
    "ChannelSource",
    "Delivery",
    "DeliveryResult",
    "RetryPolicy",
    "current_delivery",
    "new_notification_id",
    "parts_from_messages",
]

logger = logging.getLogger("shared.teams.delivery")

# Azure Storage queue messages are at most 64 KiB and the Functions binding base64-encodes them by
# default (4/3 growth): 48,000 bytes of JSON become 64,000.
QUEUE_MESSAGE_LIMIT = 48_000

Status = Literal["delivered", "accepted", "queued", "failed", "duplicate"]


class ChannelSource(Protocol):
    """Channels that are not app settings (shared.subscriptions: `sub-<id>`), by name."""

    async def channel(self, name: str) -> Channel | None:
        """The channel called `name` when this source owns the name, else None. Raises
        ChannelUnusable for a name it owns that cannot be used (deleted, unreadable)."""
        ...


class SlotGate(Protocol):
    """Rate windows shared with other instances (shared.state.windows.SharedWindows)."""

    async def admit(self, key: str, remaining: float) -> Booking:
        """Book a send time for one post to the webhook and wait for it (RateLimitWait when none
        comes within `remaining` s)."""
        ...

    async def done(self, key: str, booking: Booking, *, reached: bool = True) -> None:
        """The post `admit` let through is over (`reached=False`: it never reached Teams)."""
        ...

    async def block(self, key: str, seconds: float) -> None:
        """Pause the webhook for every instance: Teams throttled it and asked for `seconds`."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: wait uniform(0, min(cap, base * 2**(n-1))) after the
    n-th failed attempt, at least Retry-After when Teams sent one."""

    base: float = 0.5
    cap: float = 8.0
    min_attempt: float = 0.5
    """Do not start a request with less than this many seconds of budget left."""
    read_timeout: float = READ_TIMEOUT
    """Longest wait for one answer (never longer than what is left of the budget)."""

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        wait = rng.uniform(0.0, ceiling)
        return max(wait, retry_after) if retry_after is not None else wait


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one notification in one channel."""

    notification_id: str
    channel: str
    status: Status
    attempts: int
    detail: str
    parts: int = 1
    elapsed_ms: int = 0
    queue_messages: tuple[str, ...] = ()
    """JSON texts for the notifications-retry queue output binding (when `status == "queued"`)."""
    error: DeliveryError | None = field(default=None, compare=False)
    """The failure, by type (`PermanentDeliveryError` vs `TransientDeliveryError`), if any."""
    items_shown: int = 0
    """The card's repeated items its parts carry (the alerts of an alert group)."""
    items_left_out: int = 0
    """Items left out because the card would have needed more than TEAMS_MAX_PARTS parts."""

    @property
    def ok(self) -> bool:
        return self.status in ("delivered", "accepted", "duplicate")

    def to_dict(self) -> dict[str, Any]:
        """The per-channel entry of an API answer."""
        entry: dict[str, Any] = {
            "channel": self.channel,
            "status": self.status,
            "attempts": self.attempts,
            "detail": self.detail,
        }
        if self.items_left_out:
            entry["items"] = {"shown": self.items_shown, "left_out": self.items_left_out}
        return entry


def new_notification_id(at: float | None = None) -> str:
    """32 hex digits laid out as a UUID version 7 (RFC 9562, section 5.7): the first 12 are the
    Unix time in milliseconds, so ids sort by creation time and the parts ledger, keyed by them,
    is purged by a PartitionKey range (shared.state.purge); the rest is random."""
    millis = int((time.time() if at is None else at) * 1000) & (2**48 - 1)
    value = (millis << 80) | (0x7 << 76) | (uuid.uuid4().int & ((1 << 76) - 1))
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # the RFC 4122 variant bits
    return f"{value:032x}"


def notification_id_time(notification_id: str) -> float | None:
    """When a time-ordered id was made (Unix seconds); None for other ids (older uuid4 ids)."""
    if len(notification_id) != 32 or notification_id[12] != "7":
        return None
    try:
        return int(notification_id[:12], 16) / 1000
    except ValueError:
        return None


def _limiter_key(channel: Channel) -> str:
    return hashlib.sha256(channel.url.get_secret_value().encode()).hexdigest()


class _Exhausted(Exception):
    def __init__(self, last: TransientDeliveryError) -> None:
        super().__init__(last.reason)
        self.last = last


@dataclass
class _Run:
    """One channel's delivery under one budget."""

    notification_id: str
    transport: Transport
    deadline: float
    limiter: RateLimiter
    policy: RetryPolicy
    rng: random.Random
    clock: Callable[[], float]
    shared_windows: SlotGate | None = None
    attempts: int = 0

    async def send(self, part: Part) -> Literal["delivered", "accepted"]:
        channel = self.transport.channel
        key = _limiter_key(channel)
        tries = 0
        last: TransientDeliveryError | None = None
        while True:
            slot = None
            booking: Booking | None = None
            reached = True
            try:
                if self.transport.rate_limited:
                    if self.shared_windows is not None:
                        # First the windows every instance shares: a send time booked on the
                        # webhook's timetable, waited for (at once, and on the limiter alone,
                        # when the table cannot be reached).
                        booking = await self.shared_windows.admit(
                            key, self.deadline - self.policy.min_attempt - self.clock()
                        )
                    # Then this process's own limiter, on the answers of its own posts: the
                    # only one when the table is down, a safety net otherwise.
                    slot = await self.limiter.acquire(
                        key, deadline=self.deadline - self.policy.min_attempt
                    )
                left = self.deadline - self.clock()
                if left < self.policy.min_attempt:
                    raise RateLimitWait("the time budget ran out before a request could start")
                tries += 1
                self.attempts += 1
                return await self.transport.send(
                    part,
                    notification_id=self.notification_id,
                    timeout=min(left, self.policy.read_timeout),
                )
            except RateLimitWait as exc:
                reached = False  # no request went out with what was taken
                if slot is not None:
                    self.limiter.release(key, slot)
                # Report what went wrong before, if anything: that is why the slots ran out.
                raise _Exhausted(last or exc) from None
            except TransientDeliveryError as exc:
                last = exc
                if isinstance(exc, ConnectFailed):
                    # Nothing reached Teams, so nothing counts against its windows, here or in
                    # the shared timetable.
                    reached = False
                    if slot is not None:
                        self.limiter.release(key, slot)
                if isinstance(exc, TeamsThrottled) and exc.retry_after is not None:
                    # Throttled although the limiters kept the windows: another sender shares
                    # the webhook. Hold the whole lane for as long as Teams asked, here and, through
                    # the table, in every other instance.
                    self.limiter.block(key, exc.retry_after)
                    if self.shared_windows is not None:
                        await self.shared_windows.block(key, exc.retry_after)
                note = (
                    "; retrying although Teams may already have posted it (at least once)"
                    if isinstance(exc, AnswerLost)
                    else ""
                )
                logger.warning(
                    "delivery attempt failed: id=%s channel=%s part=%d/%d attempt=%d reason=%s%s",
                    self.notification_id,
                    channel.name,
                    part.index,
                    part.count,
                    self.attempts,
                    exc.reason,
                    note,
                )
                wait = self.policy.delay(tries, exc.retry_after, self.rng)
                if self.clock() + wait + self.policy.min_attempt > self.deadline:
                    raise _Exhausted(exc) from None
                await asyncio.sleep(wait)
            finally:
                if slot is not None:
                    slot.finish()
                if booking is not None and self.shared_windows is not None:
                    await self.shared_windows.done(key, booking, reached=reached)


def _queue_messages(
    notification_id: str,
    channel: str,
    messages: Sequence[dict[str, Any]],
    first_failure: datetime,
    template: str | None = None,
) -> tuple[str, ...]:
    """The retry-queue texts for `messages`: as few as fit the queue's size limit, in order."""
    stamp = first_failure.astimezone(UTC).isoformat().replace("+00:00", "Z")
    # The template travels along for the dead-letter card (shared.state.deadletters).
    named = {"template": template} if template else {}

    def render(batch: Sequence[dict[str, Any]]) -> str:
        # The wire form (lone surrogates escaped), so the text is always valid UTF-8.
        return encode(
            {
                "version": 1,
                "id": notification_id,
                "channel": channel,
                "first_failure": stamp,
                **named,
                "messages": list(batch),
            }
        ).decode("utf-8")

    out: list[str] = []
    batch: list[dict[str, Any]] = []
    for message in messages:
        if batch and len(render([*batch, message]).encode()) > QUEUE_MESSAGE_LIMIT:
            out.append(render(batch))
            batch = []
        batch.append(message)
    if batch:
        out.append(render(batch))
    return tuple(out)


def _log_result(result: DeliveryResult, channel: Channel | None, labels: Mapping[str, str]) -> None:
    extra = "".join(f" {k}={v}" for k, v in labels.items())
    fingerprint = f" webhook=#{channel.url_hash}" if channel is not None else ""
    level = logging.INFO if result.ok else logging.WARNING
    logger.log(
        level,
        "delivery id=%s channel=%s outcome=%s attempts=%d parts=%d items=%d/%d ms=%d%s%s detail=%s",
        result.notification_id,
        result.channel,
        result.status,
        result.attempts,
        result.parts,
        result.items_shown,
        result.items_shown + result.items_left_out,
        result.elapsed_ms,
        fingerprint,
        extra,
        result.detail,
    )


@dataclass
class Delivery:
    """How this process delivers: configured once, then called, like an `httpx.Client`.

    One per process (`current_delivery()`), built from the app settings: the rate limiter whose
    lanes every caller shares, the retry policy, the random source for jitter and the clock. The
    HTTP routes, the timers, the retry queue and `python -m shared send` all call the same one;
    tests build their own with a fast policy or a fresh limiter.
    """

    settings: Settings
    limiter: RateLimiter = field(default_factory=RateLimiter)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    rng: random.Random = field(default_factory=random.Random)  # jitter, not security
    clock: Callable[[], float] = time.monotonic
    shared_windows: SlotGate | None = None
    """Teams' windows shared by every instance (None: this process's limiter only)."""
    ledger: PartsLedger | None = None
    """Which parts reached which channel, for redeliveries (None: not recorded)."""
    sources: ChannelSource | None = None
    """Channels besides the settings' own (the subscriptions), asked first."""

    async def deliver(
        self,
        card: dict[str, Any],
        channels: Sequence[str],
        *,
        notification_id: str | None = None,
        repeats: Sequence[SpanLike] = (),
        budget: float | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> list[DeliveryResult]:
        """Deliver `card` to every channel concurrently: one result per (distinct) channel, in
        order.

        `repeats` are the engine's RepeatSpans, used to split a card over Teams' size limit.
        `budget` is the time in seconds this call may take (default: the
        TEAMS_DELIVERY_BUDGET_SECONDS setting).
        """
        notification_id = notification_id or new_notification_id()
        budget = self.settings.delivery_budget if budget is None else budget
        names = _unique(channels)
        try:
            parts = split_card(card, repeats)
        except PermanentDeliveryError as exc:
            results = [
                DeliveryResult(
                    notification_id,
                    normalize_channel_name(n) or "?",
                    "failed",
                    0,
                    exc.reason,
                    error=exc,
                )
                for n in names
            ]
            for result in results:
                _log_result(result, None, labels or {})
            return results
        return list(
            await asyncio.gather(
                *(
                    self.deliver_parts(
                        name,
                        parts,
                        notification_id=notification_id,
                        budget=budget,
                        labels=labels,
                    )
                    for name in names
                )
            )
        )

    async def deliver_parts(
        self,
        channel_name: str,
        parts: Sequence[Part],
        *,
        notification_id: str,
        budget: float | None = None,
        first_failure: datetime | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> DeliveryResult:
        """Post `parts` to one channel in order, within `budget` seconds. Never raises for a
        failed delivery: the result says what happened, with the error (by type) attached."""
        clock = self.clock
        started = clock()
        budget = self.settings.delivery_budget if budget is None else budget
        run_labels = labels or {}

        shown = sum(part.items for part in parts)
        left_out = sum(part.left_out for part in parts)

        def finish(
            status: Status,
            detail: str,
            *,
            channel: Channel | None = None,
            attempts: int = 0,
            error: DeliveryError | None = None,
            queue: tuple[str, ...] = (),
        ) -> DeliveryResult:
            if left_out:
                detail += (
                    f"; {shown:,} of {shown + left_out:,} items shown, the last part says how "
                    f"many were left out (TEAMS_MAX_PARTS={len(parts)})"
                )
            result = DeliveryResult(
                notification_id=notification_id,
                channel=channel.name if channel else (normalize_channel_name(channel_name) or "?"),
                status=status,
                attempts=attempts,
                detail=detail,
                parts=len(parts),
                elapsed_ms=round((clock() - started) * 1000),
                queue_messages=queue,
                error=error,
                items_shown=shown,
                items_left_out=left_out,
            )
            _log_result(result, channel, run_labels)
            return result

        try:
            found = await self.sources.channel(channel_name) if self.sources else None
            channel = found or self.settings.channel(channel_name)
        except (UnknownChannelError, ChannelNotUsableError) as exc:
            return finish("failed", str(exc), error=ChannelUnusable(str(exc)))
        except ChannelUnusable as exc:
            return finish("failed", exc.reason, error=exc)
        transport = transport_for(channel)
        try:
            for part in parts:
                transport.check(part.message)
        except PermanentDeliveryError as exc:
            return finish("failed", exc.reason, channel=channel, error=exc)

        run = _Run(
            notification_id=notification_id,
            transport=transport,
            deadline=started + budget,
            limiter=self.limiter,
            policy=self.policy,
            rng=self.rng,
            clock=clock,
            shared_windows=self.shared_windows,
        )
        # A split notification, or any redelivery, keeps a ledger so that a later try posts only
        # the parts Teams has not taken yet.
        ledger = self.ledger if (len(parts) > 1 or first_failure is not None) else None
        posted = await ledger.posted(notification_id, channel.name) if ledger else frozenset()
        outcomes: list[str] = []
        for position, part in enumerate(parts):
            which = f"part {part.index} of {part.count}: " if part.count > 1 else ""
            digest = part_digest(part.body)
            if digest in posted:
                outcomes.append("delivered")
                continue
            last: TransientDeliveryError
            try:
                outcomes.append(await run.send(part))
                if ledger is not None:
                    posted = posted | {digest}
                    await ledger.record(notification_id, channel.name, posted)
                continue
            except _Exhausted as exc:
                last = exc.last
            except PermanentDeliveryError as exc:
                return finish(
                    "failed", which + exc.reason, channel=channel, attempts=run.attempts, error=exc
                )
            except Exception as exc:
                # Nobody foresaw this failure, and it must not lose the notification: it is
                # queued like a transient one and logged by type (its text may hold the URL).
                logger.error(
                    "delivery attempt failed unexpectedly: id=%s channel=%s part=%d/%d error=%s",
                    notification_id,
                    channel.name,
                    part.index,
                    part.count,
                    type(exc).__name__,
                )
                last = TransientDeliveryError(f"unexpected {type(exc).__name__} while delivering")
            if self.ledger is not None:
                await self.ledger.note_failure(notification_id, channel.name, last.reason)
            first = first_failure or datetime.now(UTC)
            queue = _queue_messages(
                notification_id,
                channel.name,
                [p.message for p in parts[position:]],
                first,
                run_labels.get("template"),
            )
            return finish(
                "queued",
                f"{which}queued for redelivery after {run.attempts} attempt(s): {last.reason}",
                channel=channel,
                attempts=run.attempts,
                error=last,
                queue=queue,
            )
        status: Status = "accepted" if "accepted" in outcomes else "delivered"
        detail = {"delivered": "posted", "accepted": "accepted by the workflow"}[status]
        if len(parts) > 1:
            detail += f" in {len(parts)} parts"
        return finish(status, detail, channel=channel, attempts=run.attempts)


@read_once
def current_delivery() -> Delivery:
    """The process's delivery, built from the app settings on first use (with the shared tables
    when the app's storage is configured)."""
    from shared.state.parts import current_parts_ledger
    from shared.state.windows import current_shared_windows
    from shared.subscriptions.channels import current_subscription_channels

    return Delivery(
        current_settings(),
        shared_windows=current_shared_windows(),
        ledger=current_parts_ledger(),
        sources=current_subscription_channels(),
    )


def part_digest(body: bytes) -> str:
    """A short fingerprint of one part's exact bytes (the parts ledger's key)."""
    return hashlib.sha256(body).hexdigest()[:24]


def _unique(names: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(normalize_channel_name(name) or name, name)
    return list(seen.values())


def parts_from_messages(messages: Sequence[dict[str, Any]]) -> list[Part]:
    """Parts rebuilt from stored Teams messages (the retry queue keeps messages, not the card)."""
    return [
        Part(index, len(messages), message, encode(message))
        for index, message in enumerate(messages, start=1)
    ]
