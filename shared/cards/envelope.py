"""The Teams message that carries a card.

Incoming Webhooks (classic connectors and Workflows) and Outgoing Webhook replies take an
Adaptive Card wrapped as a message with one attachment; a legacy MessageCard is posted as it is
(docs/teams-protocol.md#message-envelope).
"""

from __future__ import annotations

from typing import Any, Final

ADAPTIVE_CARD_CONTENT_TYPE: Final = "application/vnd.microsoft.card.adaptive"


def to_message(card: dict[str, Any]) -> dict[str, Any]:
    """The message for `card`: an Adaptive Card wrapped, a MessageCard unchanged.

    Raises ValueError for anything else; the input is never modified.
    """
    if not isinstance(card, dict):
        raise ValueError(f"a card must be a JSON object, not {type(card).__name__}")
    if card.get("@type") == "MessageCard":
        return card
    if card.get("type") != "AdaptiveCard":
        raise ValueError(
            'not a card: expected "type": "AdaptiveCard" or "@type": "MessageCard", '
            f"found type {card.get('type')!r}"
        )
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": ADAPTIVE_CARD_CONTENT_TYPE,
                "contentUrl": None,
                "content": card,
            }
        ],
    }
