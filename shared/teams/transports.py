"""How a message reaches a channel: one small class per channel kind behind `Transport`.

- `ClassicWebhook`: Office 365 connector webhooks (`*.webhook.office.com`), success is 200 with `1`;
- `WorkflowsWebhook`: Power Automate "When a Teams webhook request is received", success is 202 and
  only Adaptive Cards are accepted;
- `Outbox`: a local directory (`file://`), one JSON file per message, counts as delivered.

Adding a kind means one class here, one entry in `_KINDS`, and its URL rule in
`shared.teams.channels`.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol

import httpx

from shared.config.settings import Channel
from shared.teams.channels import ChannelKind
from shared.teams.client import READ_TIMEOUT, http_client, timeout_within
from shared.teams.errors import (
    AnswerLost,
    CardNotSupported,
    ConnectFailed,
    DeliveryError,
    OutboxWriteFailed,
    TransientDeliveryError,
)
from shared.teams.outcome import Success, classify
from shared.teams.splitting import Part, is_message_card

__all__ = [
    "ClassicWebhook",
    "Outbox",
    "Transport",
    "WorkflowsWebhook",
    "outbox_file_name",
    "transport_for",
]


class Transport(Protocol):
    """How a message reaches one channel."""

    channel: Channel
    rate_limited: ClassVar[bool]

    def check(self, card: Any) -> None:
        """Raise a PermanentDeliveryError if this channel can never take `card` (before sending)."""

    async def send(self, part: Part, *, notification_id: str, timeout: float) -> Success:
        """Post one part; raise a DeliveryError subclass when it did not get through."""


async def _post(channel: Channel, body: bytes, timeout: float) -> Success:
    """POST `body` and classify the answer. httpx exceptions are translated into our own, built from
    their type only: their text and their request carry the URL, so nothing of them is passed on."""
    try:
        response = await http_client().post(
            channel.url.get_secret_value(),
            content=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
            timeout=timeout_within(timeout),
        )
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        what = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
        raise ConnectFailed(f"connecting to Teams {what} (nothing was sent)") from None
    except (httpx.ReadTimeout, httpx.WriteTimeout):
        raise AnswerLost(
            f"no answer from Teams within {min(READ_TIMEOUT, timeout):.1f} s "
            "(the card may have been posted)"
        ) from None
    except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
        raise AnswerLost(
            "the connection to Teams broke before an answer (the card may have been posted)"
        ) from None
    except httpx.HTTPError as exc:
        raise TransientDeliveryError(f"HTTP transport error ({type(exc).__name__})") from None
    verdict = classify(channel.kind, response.status_code, response.headers, response.text)
    if isinstance(verdict, DeliveryError):
        raise verdict
    return verdict


class ClassicWebhook:
    """Office 365 connector Incoming Webhook (legacy, still supported)."""

    rate_limited: ClassVar[bool] = True

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def check(self, card: Any) -> None:
        return None

    async def send(self, part: Part, *, notification_id: str, timeout: float) -> Success:
        return await _post(self.channel, part.body, timeout)


class WorkflowsWebhook:
    """Workflows (Power Automate) webhook: Adaptive Cards only, answers 202."""

    rate_limited: ClassVar[bool] = True

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def check(self, card: Any) -> None:
        if is_message_card(card):
            raise CardNotSupported(
                "Workflows webhooks accept Adaptive Cards only; this template makes a MessageCard"
            )

    async def send(self, part: Part, *, notification_id: str, timeout: float) -> Success:
        return await _post(self.channel, part.body, timeout)


_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9_-]")


def outbox_file_name(notification_id: str, part: Part, now: datetime | None = None) -> str:
    """`20260101T120000123456Z-<id>-1of2.json`: sorts by time, names the notification."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    safe_id = _UNSAFE_IN_NAME.sub("_", notification_id)[:64] or "unknown"
    return f"{stamp}-{safe_id}-{part.index}of{part.count}.json"


def _write_atomically(directory: Path, name: str, body: bytes) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename: readers never see half a file, and a crash leaves only a
    # dot-file behind.
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(body)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, directory / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# Two writer threads for every outbox of the process. A write is mostly an fsync, during which
# the interpreter lock is free, so two overlap the disk's latency; more threads only contend
# for the lock with the event loop: ten outbox channels' 100 parts through the default
# executor kept six threads waking at once, and the loop waited 21-42 ms for the lock between
# them (bench.heavy, ten channels).
WRITER_THREADS = 2


@functools.cache
def _writers() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=WRITER_THREADS, thread_name_prefix="outbox")


class Outbox:
    """A local directory standing in for Teams: each message becomes one JSON file."""

    rate_limited: ClassVar[bool] = False

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def check(self, card: Any) -> None:
        return None

    async def send(self, part: Part, *, notification_id: str, timeout: float) -> Success:
        name = outbox_file_name(notification_id, part)
        try:
            await asyncio.get_running_loop().run_in_executor(
                _writers(), _write_atomically, self.channel.outbox_dir, name, part.body
            )
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else type(exc).__name__
            raise OutboxWriteFailed(f"could not write to the outbox directory ({reason})") from None
        return "delivered"


_KINDS: dict[ChannelKind, type[ClassicWebhook | WorkflowsWebhook | Outbox]] = {
    ChannelKind.CLASSIC: ClassicWebhook,
    ChannelKind.WORKFLOWS: WorkflowsWebhook,
    ChannelKind.OUTBOX: Outbox,
}


def transport_for(channel: Channel) -> Transport:
    return _KINDS[channel.kind](channel)
