"""`mention=`: @mention people in the card a template gave.

Teams shows an @mention in a webhook card only when both halves are there
(docs/teams-protocol.md#mentions): the card's text carries `<at>NAME</at>`, and `msteams.entities`
has `{"type": "mention", "text": "<at>NAME</at>", "mentioned": {"id": UPN or object id, "name":
NAME}}`. The product adds a "cc" line at the end of the body with one `<at>` text per person, and
the matching entities after the template's own. Appending keeps the positions of the elements the
template repeated, which delivery uses to split a large card."""

import copy
from collections.abc import Sequence
from typing import Any

from shared.pipeline import DecorationError

__all__ = ["MentionsNotSupported", "add_mentions", "mention_entity"]


class MentionsNotSupported(DecorationError):
    """The template gives a MessageCard, which has no mentions."""


def mention_entity(person: str) -> dict[str, Any]:
    # Without a directory lookup the app knows no display name: the UPN or id stands for it.
    return {
        "type": "mention",
        "text": f"<at>{person}</at>",
        "mentioned": {"id": person, "name": person},
    }


def add_mentions(card: Any, people: Sequence[str]) -> Any:
    """A copy of `card` that @mentions `people` (the card itself when there is nobody)."""
    if not people:
        return card
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        raise MentionsNotSupported(
            "mention= needs an Adaptive Card, and this template does not give one"
        )
    result = copy.copy(card)
    body = result.get("body")
    result["body"] = [*(body if isinstance(body, list) else []), _cc_line(people)]
    msteams = result.get("msteams")
    msteams = dict(msteams) if isinstance(msteams, dict) else {}
    entities = msteams.get("entities")
    entities = list(entities) if isinstance(entities, list) else []
    present = {entity.get("text") for entity in entities if isinstance(entity, dict)}
    entities.extend(
        mention_entity(person) for person in people if f"<at>{person}</at>" not in present
    )
    msteams["entities"] = entities
    result["msteams"] = msteams
    return result


def _cc_line(people: Sequence[str]) -> dict[str, Any]:
    return {
        "type": "TextBlock",
        "text": "cc " + ", ".join(f"<at>{person}</at>" for person in people),
        "isSubtle": True,
        "wrap": True,
    }
