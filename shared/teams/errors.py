"""Why a delivery failed, as a small exception tree.

Callers catch at the level they care about: `TransientDeliveryError` (a later try may succeed:
retry, then queue) or `PermanentDeliveryError` (retrying cannot help: report it). Every message is
written here, from facts we chose; no URL and no text of an underlying httpx exception ever reaches
one.
"""

from __future__ import annotations

__all__ = [
    "AnswerLost",
    "CardNotSupported",
    "CardTooLarge",
    "ChannelUnusable",
    "ConnectFailed",
    "DeliveryError",
    "InvalidCard",
    "OutboxWriteFailed",
    "PermanentDeliveryError",
    "RateLimitWait",
    "RejectedByTeams",
    "TeamsThrottled",
    "TeamsUnavailable",
    "TransientDeliveryError",
    "UnexpectedAnswer",
]


class DeliveryError(Exception):
    """A message could not be delivered; `status` is Teams' HTTP status (or the wrapped one)."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class TransientDeliveryError(DeliveryError):
    """Trying again later may succeed. `retry_after` is the wait Teams asked for, in seconds."""

    def __init__(
        self, reason: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(reason, status=status)
        self.retry_after = retry_after


class TeamsThrottled(TransientDeliveryError):
    """Teams answered 429 (directly, or wrapped in a classic connector's 200)."""


class TeamsUnavailable(TransientDeliveryError):
    """Teams answered 408 or 5xx."""


class ConnectFailed(TransientDeliveryError):
    """No connection was made, so nothing was sent: always safe to retry."""


class AnswerLost(TransientDeliveryError):
    """The request may have been sent but no answer came (read timeout, reset). Retrying may post
    the card twice; a missed alert is worse than a duplicate."""


class RateLimitWait(TransientDeliveryError):
    """Teams' documented windows for this webhook leave no slot before the time budget ends."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help."""


class RejectedByTeams(PermanentDeliveryError):
    """Teams refused the message with a 4xx; `reason` carries Teams' own text."""


class UnexpectedAnswer(PermanentDeliveryError):
    """An answer the documented protocol does not have (for example a classic 200 without `1`)."""


class CardTooLarge(PermanentDeliveryError):
    """A single element is over Teams' size limit on its own, so no split can help."""


class CardNotSupported(PermanentDeliveryError):
    """The webhook cannot take this kind of card (a MessageCard to a Workflows webhook)."""


class InvalidCard(PermanentDeliveryError):
    """What was given is not a card (neither an Adaptive Card nor a MessageCard)."""


class ChannelUnusable(PermanentDeliveryError):
    """The channel is unknown or its setting has a problem."""


class OutboxWriteFailed(PermanentDeliveryError):
    """The local outbox directory could not be written."""
