"""Redeliver a notification taken from the `notifications-retry` queue.

The queue trigger calls `redeliver(message)`. One try with the in-call retries, under the shorter
redelivery budget:
- delivered or accepted: logged, done;
- a transient failure: raises `RedeliveryPending`, so the Functions host makes the message visible
  again after `visibilityTimeout`, counts the attempt (`dequeue_count`) and, after `maxDequeueCount`
  attempts, moves it to `notifications-retry-poison`;
- Teams refused it permanently: logged with Teams' reason and dropped (retrying cannot help);
- the channel is unknown or broken now: raises too, so a fixed setting still gets the message
  through and an unfixed one leaves it in the poison queue rather than losing it.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.teams.delivery import Delivery, DeliveryResult, current_delivery, parts_from_messages
from shared.teams.errors import ChannelUnusable, TransientDeliveryError

__all__ = ["QueueMessageLike", "RedeliveryPending", "RetryEnvelope", "redeliver"]

logger = logging.getLogger("shared.teams.redelivery")


class QueueMessageLike(Protocol):
    """What `azure.functions.queue.QueueMessage` offers that redelivery uses."""

    def get_body(self) -> bytes: ...


class RedeliveryPending(TransientDeliveryError):
    """Still not delivered; raised so the Functions host retries the queue message later."""


class RetryEnvelope(BaseModel):
    """One retry-queue message, as `shared.teams.delivery` writes it."""

    model_config = ConfigDict(extra="ignore")

    version: Literal[1]
    id: str = Field(min_length=1, max_length=100)
    channel: str = Field(min_length=1, max_length=100)
    first_failure: datetime
    template: str | None = Field(None, max_length=100)
    messages: list[dict[str, Any]] = Field(min_length=1)


def _attempt(message: QueueMessageLike) -> int | None:
    count = getattr(message, "dequeue_count", None)
    return count if isinstance(count, int) else None


async def redeliver(
    message: QueueMessageLike, *, delivery: Delivery | None = None
) -> DeliveryResult | None:
    """Redeliver one queue message (through `delivery`, by default the process's own). Returns
    the result (None for a message that is not ours, which is logged and dropped); raises
    RedeliveryPending while Teams still fails transiently."""
    sender = delivery or current_delivery()
    attempt = _attempt(message)
    try:
        envelope = RetryEnvelope.model_validate(json.loads(message.get_body()))
    except (ValueError, ValidationError) as exc:
        # Not a message this app wrote: it can never succeed, and its text is not ours to log.
        problems = len(exc.errors()) if isinstance(exc, ValidationError) else 1
        logger.error(
            "redelivery dropped a message that is not a retry message (%d problem(s)) attempt=%s",
            problems,
            attempt,
        )
        return None
    logger.info(
        "redelivery id=%s channel=%s attempt=%s first_failure=%s",
        envelope.id,
        envelope.channel,
        attempt,
        envelope.first_failure.isoformat(),
    )
    result = await sender.deliver_parts(
        envelope.channel,
        parts_from_messages(envelope.messages),
        notification_id=envelope.id,
        budget=sender.settings.redelivery_budget,
        first_failure=envelope.first_failure,
        labels={
            "redelivery_attempt": str(attempt),
            **({"template": envelope.template} if envelope.template else {}),
        },
    )
    if result.status == "queued" or isinstance(result.error, ChannelUnusable):
        raise RedeliveryPending(
            f"notification {envelope.id} to channel {envelope.channel} not delivered yet "
            f"(attempt {attempt}): {result.detail}",
            status=result.error.status if result.error else None,
        )
    if result.status == "failed":
        logger.error(
            "redelivery id=%s channel=%s attempt=%s dropped: Teams refused it permanently: %s",
            envelope.id,
            envelope.channel,
            attempt,
            result.detail,
        )
    return result
