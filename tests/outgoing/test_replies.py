"""A reply card keeps only `Action.OpenUrl` ("only openUrl actions work" in Outgoing Webhook
replies, docs/teams-protocol.md#outgoing-webhook-replies), at any depth, and still passes the card
checks for replies."""

import copy
from typing import Any

from shared.cards.check import check_card
from shared.outgoing.replies import keep_open_url_actions

OPEN = {"type": "Action.OpenUrl", "title": "Runbook", "url": "https://example.com/runbook"}
SUBMIT = {"type": "Action.Submit", "title": "Acknowledge", "data": {"ack": True}}
TOGGLE = {"type": "Action.ToggleVisibility", "title": "Details", "targetElements": ["details"]}
EXECUTE = {"type": "Action.Execute", "title": "Refresh", "verb": "refresh"}


def show_card(*actions: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Action.ShowCard",
        "title": "More",
        "card": {
            "type": "AdaptiveCard",
            "body": [{"type": "TextBlock", "text": "hidden"}],
            "actions": list(actions),
        },
    }


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"type": "AdaptiveCard", "version": "1.5", "body": body}
    if actions is not None:
        result["actions"] = actions
    return result


TITLE = {"type": "TextBlock", "text": "Disk almost full", "id": "details"}


def test_card_actions_keep_only_open_url() -> None:
    original = card([TITLE], [SUBMIT, OPEN, show_card(OPEN), TOGGLE, EXECUTE])
    assert keep_open_url_actions(original) == card([TITLE], [OPEN])


def test_a_card_left_without_actions_loses_its_actions_list() -> None:
    assert keep_open_url_actions(card([TITLE], [SUBMIT, TOGGLE])) == card([TITLE])


def test_action_sets_at_any_depth_are_filtered_and_dropped_when_empty() -> None:
    nested = {
        "type": "Container",
        "items": [
            {
                "type": "ColumnSet",
                "columns": [
                    {
                        "type": "Column",
                        "items": [
                            TITLE,
                            {"type": "ActionSet", "actions": [SUBMIT]},
                            {"type": "ActionSet", "actions": [OPEN, TOGGLE]},
                        ],
                    }
                ],
            }
        ],
    }
    result = keep_open_url_actions(card([nested]))
    assert result["body"][0]["items"][0]["columns"][0]["items"] == [
        TITLE,
        {"type": "ActionSet", "actions": [OPEN]},
    ]


def test_select_actions_and_inline_actions_other_than_open_url_are_removed() -> None:
    tapped = {"type": "Container", "items": [TITLE], "selectAction": SUBMIT}
    linked = {"type": "Container", "items": [TITLE], "selectAction": OPEN}
    field = {"type": "Input.Text", "id": "q", "inlineAction": SUBMIT}
    result = keep_open_url_actions(card([tapped, linked, field]))
    assert result["body"] == [
        {"type": "Container", "items": [TITLE]},
        linked,
        {"type": "Input.Text", "id": "q"},
    ]


def test_refresh_is_removed() -> None:
    original = card([TITLE]) | {"refresh": {"action": EXECUTE, "userIds": []}}
    assert keep_open_url_actions(original) == card([TITLE])


def test_the_original_card_is_not_changed() -> None:
    original = card([TITLE, {"type": "ActionSet", "actions": [SUBMIT]}], [SUBMIT, OPEN])
    before = copy.deepcopy(original)
    keep_open_url_actions(original)
    assert original == before


def test_a_stripped_card_passes_the_reply_checks_the_original_fails() -> None:
    original = card(
        [TITLE, {"type": "ActionSet", "actions": [SUBMIT, OPEN]}],
        [show_card(SUBMIT), OPEN, TOGGLE],
    )
    assert check_card(original, "reply") != []
    assert check_card(keep_open_url_actions(original), "reply") == []
