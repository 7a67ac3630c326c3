"""The Teams message around a card: `shared.cards.envelope.to_message`."""

import copy
import json

import pytest

from shared.cards.envelope import to_message

CARD = {
    "type": "AdaptiveCard",
    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
    "version": "1.5",
    "body": [{"type": "TextBlock", "text": "Hello"}],
}


def test_an_adaptive_card_is_wrapped_as_a_message_with_one_attachment() -> None:
    # Incoming Webhook payload: {"type":"message","attachments":[{"contentType":
    # "application/vnd.microsoft.card.adaptive","contentUrl":null,"content":{...}}]}
    # (docs/teams-protocol.md#message-envelope)
    assert to_message(CARD) == {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": CARD,
            }
        ],
    }


def test_the_message_serialises_content_url_as_null() -> None:
    text = json.dumps(to_message(CARD))
    assert '"contentUrl": null' in text


def test_wrapping_does_not_change_the_card() -> None:
    before = copy.deepcopy(CARD)
    to_message(CARD)
    assert before == CARD


def test_a_message_card_is_returned_as_it_is() -> None:
    # Legacy connectors take a MessageCard directly: {"@type":"MessageCard",...}
    # (docs/teams-protocol.md#message-envelope).
    message_card = {
        "@type": "MessageCard",
        "@context": "http://schema.org/extensions",
        "summary": "Build failed",
        "themeColor": "D70000",
        "sections": [{"activityTitle": "web-api CI #42 failed"}],
    }
    assert to_message(message_card) is message_card


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ({"type": "message", "text": "hi"}, "'message'"),
        ({"body": []}, "None"),
        ({"contentType": "application/vnd.microsoft.card.hero"}, "None"),
    ],
)
def test_anything_else_is_refused_naming_what_it_is(value: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=f"found type {named}"):
        to_message(value)


def test_a_value_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ValueError, match="must be a JSON object, not list"):
        to_message([CARD])  # type: ignore[arg-type]
