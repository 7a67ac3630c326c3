"""Command results as the message Teams shows in reply.

Teams takes the answer from the HTTP response body: `{"type":"message","text":...}` (Teams
markdown) or a message with an Adaptive Card attachment, and a reply card may only use
`Action.OpenUrl` (docs/teams-protocol.md#outgoing-webhook-replies).
"""

import functools
import json
from typing import Any

from shared.outgoing.registry import CommandResult

OPEN_URL = "Action.OpenUrl"
# Keys that hold one action rather than a list of them.
_SINGLE_ACTION_KEYS = ("selectAction", "inlineAction")


class InvalidReplyCard(ValueError):
    """A command answered with a card that Teams would not show as a reply."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def text_message(text: str) -> dict[str, Any]:
    return {"type": "message", "text": text}


def card_message(card: dict[str, Any]) -> dict[str, Any]:
    """The Teams message carrying `card`, or InvalidReplyCard with the card check's problems."""
    from shared.cards.envelope import to_message

    if card.get("type") != "AdaptiveCard":
        # A MessageCard would go out bare, without the message envelope a reply needs.
        raise InvalidReplyCard(["$.type: a reply card must be an Adaptive Card (AdaptiveCard)"])
    problems = _reply_problems(json.dumps(card, sort_keys=True, ensure_ascii=False))
    if problems:
        raise InvalidReplyCard(list(problems))
    message: dict[str, Any] = to_message(card)
    return message


@functools.lru_cache(maxsize=64)
def _reply_problems(card_json: str) -> tuple[str, ...]:
    # Checking a card against the schema takes tens of milliseconds; the same answer (help, a
    # preview) is checked once per process. Keyed by the card's JSON text, so any change counts.
    from shared.cards.check import check_card

    return tuple(str(problem) for problem in check_card(json.loads(card_json), "reply"))


def to_message(result: CommandResult) -> dict[str, Any]:
    """A command's result as the reply: a string becomes text, a dict is an Adaptive Card."""
    if isinstance(result, str):
        return text_message(result)
    if isinstance(result, dict):
        return card_message(result)
    raise TypeError(f"a command returned {type(result).__name__}; return a str or a card dict")


def keep_open_url_actions(value: Any) -> Any:
    """A copy of a card without the actions a reply cannot carry, at any depth.

    Action lists keep only `Action.OpenUrl`; a single action of another type (`selectAction`,
    `inlineAction`) is dropped, as is `refresh` (it needs `Action.Execute`); an `ActionSet`
    left without actions disappears, and so does a card's empty `actions` list.
    """
    if isinstance(value, list):
        kept = [keep_open_url_actions(item) for item in value]
        return [item for item in kept if not _is_empty_action_set(item)]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        if key == "refresh":
            continue
        if key in _SINGLE_ACTION_KEYS and _action_type(item) != OPEN_URL:
            continue
        if key == "actions" and isinstance(item, list):
            actions = [keep_open_url_actions(a) for a in item if _action_type(a) == OPEN_URL]
            if actions or value.get("type") == "ActionSet":
                result[key] = actions
            continue
        result[key] = keep_open_url_actions(item)
    return result


def _action_type(action: Any) -> Any:
    return action.get("type") if isinstance(action, dict) else None


def _is_empty_action_set(item: Any) -> bool:
    return isinstance(item, dict) and item.get("type") == "ActionSet" and not item.get("actions")
