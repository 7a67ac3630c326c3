"""The answer to a delivery: one status for all channels, one entry per channel.

- 200 every channel delivered (classic connector) or accepted (Workflows);
- 202 a channel was queued for redelivery (the budget ran out on a transient failure; the
  notifications-retry queue takes it from here), nothing failed;
- otherwise the JSON error shape, with the whole answer (`id`, `template`, `results`) in `details`
  so the caller sees which channels did get the card, most severe first:
  502 `teams_refused` Teams refused the message permanently (its own reason in the message);
  422 `card_rejected` the card cannot go to that webhook (one element over 28 KB, a MessageCard
  to a Workflows webhook);
  503 `channel_unusable` the channel's setting is broken (named, never its value), or its outbox
  could not be written.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from shared.api.errors import ApiError, ErrorCode
from shared.teams.delivery import DeliveryResult
from shared.teams.errors import (
    CardNotSupported,
    CardTooLarge,
    ChannelUnusable,
    InvalidCard,
    OutboxWriteFailed,
    RejectedByTeams,
    UnexpectedAnswer,
)

__all__ = ["delivery_answer"]

# (code, error types, what the message says), most severe first.
_FAILURES: tuple[tuple[ErrorCode, tuple[type[Exception], ...], str], ...] = (
    (ErrorCode.TEAMS_REFUSED, (RejectedByTeams, UnexpectedAnswer), "Teams refused the card"),
    (
        ErrorCode.CARD_REJECTED,
        (CardTooLarge, CardNotSupported, InvalidCard),
        "the card cannot be sent",
    ),
    (
        ErrorCode.CHANNEL_UNUSABLE,
        (ChannelUnusable, OutboxWriteFailed),
        "the channel cannot be used",
    ),
)


def delivery_answer(
    notification_id: str,
    template: str,
    results: Sequence[DeliveryResult],
    *,
    topic: str | None = None,
    subscriptions: Mapping[str, tuple[str, str]] | None = None,
) -> tuple[int, dict[str, Any]]:
    """The status and body of the answer. Failed deliveries become an ApiError (raised).

    With `topic=`, `subscriptions` maps each subscription's delivery name (`sub-<id>`) to (id,
    channel name): its entry names both. A subscription's failure is listed but does not decide
    the status: the sender cannot fix someone's webhook (a gone one is paused,
    shared.subscriptions.fanout)."""
    targets = subscriptions or {}
    entries = []
    for result in results:
        entry = result.to_dict()
        if result.channel in targets:
            id, name = targets[result.channel]
            entry = {"subscription": id, **entry, "channel": name}
        entries.append(entry)
    body: dict[str, Any] = {
        "id": notification_id,
        "template": template,
        **({"topic": topic} if topic is not None else {}),
        "results": entries,
    }
    failed = [
        result for result in results if result.status == "failed" and result.channel not in targets
    ]
    for code, kinds, what in _FAILURES:
        matching = [r for r in failed if isinstance(r.error, kinds)]
        if matching:
            reasons = "; ".join(f"{r.channel}: {_reason(r)}" for r in matching)
            raise ApiError(code, f"{what} ({reasons})", body)
    if failed:  # a failure of a kind added to delivery later: still a refusal, never a 200
        reasons = "; ".join(f"{r.channel}: {_reason(r)}" for r in failed)
        raise ApiError(ErrorCode.DELIVERY_FAILED, f"the card was not delivered ({reasons})", body)
    if any(result.status == "queued" for result in results):
        return 202, body
    return 200, body


def _reason(result: DeliveryResult) -> str:
    return result.error.reason if result.error is not None else result.detail
