"""Splitting a card over Teams' 28 KB at the elements `$data` repeated.

Teams fact (add-incoming-webhook.md): "When the size exceeds 28 KB, you receive an error"; the size
is the serialized message's. The cards and RepeatSpans here are made by hand in the shape the engine
records (interfaces.md: RepeatSpan(path, start, stop)).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from shared.cards.envelope import to_message
from shared.teams.errors import CardTooLarge, InvalidCard
from shared.teams.splitting import TEAMS_MESSAGE_LIMIT, encode, self_contained, split_card


@dataclass(frozen=True)
class Span:
    path: tuple[str | int, ...]
    start: int
    stop: int


def alert(number: int, text_size: int = 200) -> dict[str, Any]:
    return {
        "type": "Container",
        "items": [
            {"type": "TextBlock", "text": f"alert {number:04d}", "weight": "Bolder"},
            {"type": "TextBlock", "text": "x" * text_size, "wrap": True},
        ],
    }


def alert_group(count: int, text_size: int = 200) -> tuple[dict[str, Any], list[Span]]:
    """Title and summary, `count` repeated alerts, then a footer and an action."""
    body = [
        {"type": "TextBlock", "text": "Alert group: disk full", "size": "Large"},
        {"type": "TextBlock", "text": f"{count} alerts firing"},
        *[alert(i, text_size) for i in range(count)],
        {"type": "TextBlock", "text": "footer"},
    ]
    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "Open", "url": "https://example.org/"}],
    }
    return card, [Span(("body",), 2, 2 + count)]


def alert_numbers(message: dict[str, Any]) -> list[int]:
    body = message["attachments"][0]["content"]["body"]
    return [
        int(element["items"][0]["text"].split()[1])
        for element in body
        if element.get("type") == "Container"
    ]


def test_a_card_within_the_limit_is_one_message_unchanged() -> None:
    card, spans = alert_group(3)
    [part] = split_card(card, spans)
    assert part.message == to_message(card)
    assert part.body == encode(to_message(card))
    assert (part.index, part.count) == (1, 1)


def test_an_alert_group_of_300_is_split_into_parts_each_within_28_kb() -> None:
    card, spans = alert_group(300)
    assert len(encode(to_message(card))) > TEAMS_MESSAGE_LIMIT
    parts = split_card(card, spans)
    assert len(parts) > 1
    for part in parts:
        assert len(part.body) <= TEAMS_MESSAGE_LIMIT
        assert part.body == encode(part.message)


def test_every_repeated_element_appears_once_in_order_across_the_parts() -> None:
    card, spans = alert_group(300)
    parts = split_card(card, spans)
    numbers = [n for part in parts for n in alert_numbers(part.message)]
    assert numbers == list(range(300))


def test_each_part_keeps_the_other_elements_and_says_part_i_of_n() -> None:
    card, spans = alert_group(300)
    parts = split_card(card, spans)
    for part in parts:
        content = part.message["attachments"][0]["content"]
        texts = [e.get("text") for e in content["body"] if e.get("type") == "TextBlock"]
        assert texts[:2] == ["Alert group: disk full", "300 alerts firing"]
        assert "footer" in texts
        assert texts[-1] == f"Part {part.index} of {len(parts)}"
        assert content["actions"] == card["actions"]


def test_parts_are_packed_full_rather_than_cut_small() -> None:
    card, spans = alert_group(300)
    parts = split_card(card, spans)
    # Each part but the last could not take the next element without going over.
    one_alert = len(encode(alert(0)))
    for part in parts[:-1]:
        assert len(part.body) + one_alert > TEAMS_MESSAGE_LIMIT - 64


def test_splitting_never_changes_the_callers_card() -> None:
    card, spans = alert_group(300)
    before = json.dumps(card)
    split_card(card, spans)
    assert json.dumps(card) == before


def test_a_single_element_over_the_limit_is_refused_naming_it() -> None:
    card, spans = alert_group(5)
    card["body"][4] = alert(2, text_size=TEAMS_MESSAGE_LIMIT)
    with pytest.raises(CardTooLarge) as caught:
        split_card(card, spans)
    assert "$.body[4]" in str(caught.value)
    assert "28,672" in str(caught.value)


def test_a_card_over_the_limit_without_repeats_is_refused() -> None:
    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": "y" * (TEAMS_MESSAGE_LIMIT + 10)}],
    }
    with pytest.raises(CardTooLarge, match="no repeated elements"):
        split_card(card, [])


def test_fixed_elements_alone_over_the_limit_are_refused() -> None:
    card, spans = alert_group(200)
    card["body"][0]["text"] = "z" * (TEAMS_MESSAGE_LIMIT + 10)
    with pytest.raises(CardTooLarge, match="without its repeated elements"):
        split_card(card, spans)


def test_nested_repeats_travel_with_the_element_that_holds_them() -> None:
    # Outer repeat over alerts in body, inner repeat over each alert's facts.
    card, spans = alert_group(200)
    inner = [Span(("body", 2 + i, "items"), 0, 2) for i in range(200)]
    parts = split_card(card, [*inner, *spans])
    numbers = [n for part in parts for n in alert_numbers(part.message)]
    assert numbers == list(range(200))
    assert all(len(p.body) <= TEAMS_MESSAGE_LIMIT for p in parts)


def test_a_repeat_inside_a_container_is_split_there() -> None:
    facts = [{"title": f"host-{i:04d}", "value": "v" * 150} for i in range(400)]
    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [
            {"type": "TextBlock", "text": "Down hosts"},
            {"type": "Container", "items": [{"type": "FactSet", "facts": facts}]},
        ],
    }
    parts = split_card(card, [Span(("body", 1, "items", 0, "facts"), 0, 400)])
    assert len(parts) > 1
    seen = [
        fact["title"]
        for part in parts
        for fact in part.message["attachments"][0]["content"]["body"][1]["items"][0]["facts"]
    ]
    assert seen == [f"host-{i:04d}" for i in range(400)]


def test_two_separate_repeats_are_packed_in_document_order() -> None:
    firing = [alert(i) for i in range(100)]
    resolved = [alert(1000 + i) for i in range(100)]
    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [
            {"type": "TextBlock", "text": "Firing"},
            *firing,
            {"type": "TextBlock", "text": "Resolved"},
            *resolved,
        ],
    }
    spans = [Span(("body",), 1, 101), Span(("body",), 102, 202)]
    parts = split_card(card, spans)
    numbers = [n for part in parts for n in alert_numbers(part.message)]
    assert numbers == [*range(100), *range(1000, 1100)]
    assert all(len(p.body) <= TEAMS_MESSAGE_LIMIT for p in parts)


def test_a_message_card_is_split_with_a_part_section() -> None:
    sections = [{"activityTitle": f"alert {i}", "text": "t" * 300} for i in range(200)]
    card = {"@type": "MessageCard", "summary": "alerts", "sections": sections}
    parts = split_card(card, [Span(("sections",), 0, 200)])
    assert len(parts) > 1
    for part in parts:
        assert len(part.body) <= TEAMS_MESSAGE_LIMIT
        assert part.message["summary"] == "alerts"
        assert part.message["sections"][-1] == {"text": f"Part {part.index} of {len(parts)}"}


def test_non_ascii_text_is_measured_in_bytes() -> None:
    # 3 bytes per character in UTF-8: a character count would let these parts go over.
    card, spans = alert_group(150, text_size=0)
    for element in card["body"][2:152]:
        element["items"][1]["text"] = "警" * 200
    parts = split_card(card, spans)
    assert len(parts) > 1
    assert all(len(p.body) <= TEAMS_MESSAGE_LIMIT for p in parts)


def test_something_that_is_not_a_card_is_refused() -> None:
    with pytest.raises(InvalidCard):
        split_card({"type": "Nonsense"}, [])


def test_repeats_outside_the_body_stay_whole_in_every_part() -> None:
    # Mentions (msteams.entities) and link actions repeat too; every part needs all of them.
    card, spans = alert_group(300)
    entities = [
        {"type": "mention", "text": f"<at>P{i}</at>", "mentioned": {"id": f"p{i}", "name": f"P{i}"}}
        for i in range(3)
    ]
    card["msteams"] = {"entities": entities}
    parts = split_card(card, [Span(("msteams", "entities"), 0, 3), *spans])
    assert len(parts) > 1
    for part in parts:
        assert part.message["attachments"][0]["content"]["msteams"]["entities"] == entities
    numbers = [n for part in parts for n in alert_numbers(part.message)]
    assert numbers == list(range(300))


def test_a_part_keeps_only_the_toggles_and_targets_that_are_in_it() -> None:
    hidden = {"type": "TextBlock", "id": "b", "text": "b", "isVisible": False}
    both = {"type": "Action.ToggleVisibility", "title": "Show 2", "targetElements": ["a", "b"]}
    card = {
        "type": "AdaptiveCard",
        "body": [
            hidden,
            {"type": "ActionSet", "actions": [both]},
            {"type": "ActionSet", "actions": [{**both, "targetElements": [{"elementId": "a"}]}]},
        ],
        "actions": [{"type": "Action.ToggleVisibility", "title": "x", "targetElements": ["c"]}],
    }
    before = json.dumps(card)
    part = self_contained(card)
    assert part["body"] == [
        hidden,
        {"type": "ActionSet", "actions": [{**both, "title": "Show 1", "targetElements": ["b"]}]},
    ]
    assert "actions" not in part
    assert json.dumps(card) == before  # the caller's card is not changed
    whole = {"type": "AdaptiveCard", "body": [{**hidden, "id": "a"}, hidden, card["body"][1]]}
    assert self_contained(whole) is whole  # everything it toggles is here: nothing to change
