"""check_card: the official Adaptive Card 1.5 schema plus the rules Teams adds.

Each broken card in tests/fixtures/bad_cards breaks one rule; the tests say which problem,
at which JSON path, Teams would have with it.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any

import pytest

from shared import catalog
from shared.cards import expand
from shared.cards.check import (
    MESSAGE_LIMIT_BYTES,
    Problem,
    check_card,
    format_path,
    serialized_size,
)
from tests.support.paths import BAD_CARDS, ROOT


def bad_card(name: str) -> Any:
    return json.loads((BAD_CARDS / f"{name}.json").read_text(encoding="utf-8"))


def paths(problems: list[Problem]) -> list[str]:
    return [problem.path for problem in problems]


def valid_card() -> dict[str, Any]:
    """A card using everything Teams allows an Incoming Webhook card to use."""
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "msteams": {
            "width": "Full",
            "entities": [
                {
                    "type": "mention",
                    "text": "<at>Adele</at>",
                    "mentioned": {"id": "AdeleV@contoso.onmicrosoft.com", "name": "Adele Vance"},
                }
            ],
        },
        "body": [
            {"type": "TextBlock", "text": "Build 42 failed", "size": "Large", "weight": "Bolder"},
            {"type": "TextBlock", "text": "<at>Adele</at>, please look", "wrap": True},
            {
                "type": "Container",
                "id": "details",
                "style": "attention",
                "rtl": False,
                "isVisible": False,
                "items": [
                    {
                        "type": "FactSet",
                        "facts": [{"title": "Branch", "value": "main"}],
                    },
                    {
                        "type": "Image",
                        "url": "https://ci.example.com/graph.png",
                        "msTeams": {"allowExpand": True},
                    },
                ],
                "selectAction": {"type": "Action.OpenUrl", "url": "https://ci.example.com"},
            },
            {
                "type": "Table",
                "columns": [{"width": 1}, {"width": 2}],
                "rows": [
                    {
                        "type": "TableRow",
                        "cells": [
                            {"type": "TableCell", "items": [{"type": "TextBlock", "text": "a"}]},
                            {"type": "TableCell", "items": [{"type": "TextBlock", "text": "b"}]},
                        ],
                    }
                ],
            },
        ],
        "actions": [
            {"type": "Action.OpenUrl", "title": "Open run", "url": "https://ci.example.com/42"},
            {"type": "Action.ToggleVisibility", "title": "Details", "targetElements": ["details"]},
            {
                "type": "Action.ShowCard",
                "title": "Logs",
                "card": {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "..."}]},
            },
        ],
    }


# --- valid cards -----------------------------------------------------------------------------


def test_a_valid_card_has_no_problems() -> None:
    assert check_card(valid_card(), "incoming") == []


def test_a_reply_card_with_only_open_url_actions_has_no_problems() -> None:
    card = valid_card()
    card["actions"] = card["actions"][:1]
    assert check_card(card, "reply") == []


def test_enumerations_accept_any_casing_like_the_renderers() -> None:
    card = valid_card()
    card["body"][0]["size"] = "large"
    card["body"][0]["color"] = "Good"
    assert check_card(card, "incoming") == []


def test_a_problem_reads_as_path_and_sentence() -> None:
    problem = Problem("$.body[2].text", "is missing: TextBlock requires it")
    assert str(problem) == "$.body[2].text: is missing: TextBlock requires it"


# --- schema ----------------------------------------------------------------------------------


def test_a_misspelled_property_is_reported_at_its_path_with_a_suggestion() -> None:
    problems = check_card(bad_card("misspelled-property"), "incoming")
    assert paths(problems) == ["$.body[2].wrapp"]
    assert "TextBlock" in problems[0].message
    assert '"wrap"' in problems[0].message


def test_a_misspelled_property_deep_inside_a_table_is_reported_once() -> None:
    card = valid_card()
    card["body"][3]["rows"][0]["cells"][1]["items"][0]["wieght"] = "bolder"
    problems = check_card(card, "incoming")
    assert paths(problems) == ["$.body[3].rows[0].cells[1].items[0].wieght"]
    assert '"weight"' in problems[0].message


def test_an_unknown_element_type_names_the_known_ones() -> None:
    problems = check_card(bad_card("unknown-element-type"), "incoming")
    assert paths(problems) == ["$.body[0].type"]
    assert '"TextBlok" is not a known type' in problems[0].message
    assert '"TextBlock"' in problems[0].message


def test_a_value_of_the_wrong_type_says_what_it_must_be() -> None:
    problems = check_card(bad_card("wrong-value-type"), "incoming")
    assert problems == [Problem("$.body[0].facts[1].value", "must be a string, not a number")]


def test_a_missing_required_property_is_reported_at_its_path() -> None:
    card = valid_card()
    del card["body"][0]["text"]
    assert check_card(card, "incoming") == [
        Problem("$.body[0].text", "is missing: TextBlock requires it")
    ]


def test_a_value_outside_an_enumeration_lists_the_allowed_values() -> None:
    card = valid_card()
    card["body"][0]["color"] = "purple"
    problems = check_card(card, "incoming")
    assert paths(problems) == ["$.body[0].color"]
    assert '"attention"' in problems[0].message
    assert 'not "purple"' in problems[0].message


def test_a_number_where_an_enumeration_is_expected_is_a_problem() -> None:
    # The schema's case-insensitive "pattern" twins only constrain strings; 5 must not pass.
    card = valid_card()
    card["body"][0]["size"] = 5
    assert paths(check_card(card, "incoming")) == ["$.body[0].size"]


def test_a_misspelled_fallback_element_is_a_problem() -> None:
    card = valid_card()
    card["body"][0]["fallback"] = {"type": "TextBlok", "text": "x"}
    assert paths(check_card(card, "incoming")) == ["$.body[0].fallback.type"]


def test_show_card_is_not_a_select_action() -> None:
    card = valid_card()
    card["selectAction"] = {"type": "Action.ShowCard", "card": {"type": "AdaptiveCard"}}
    problems = check_card(card, "incoming")
    assert paths(problems) == ["$.selectAction.type"]
    assert "not allowed here" in problems[0].message


def test_an_unknown_card_level_property_is_a_problem_but_msteams_is_not() -> None:
    card = valid_card()
    card["teams"] = {"width": "Full"}
    problems = check_card(card, "incoming")
    assert paths(problems) == ["$.teams"]
    assert "AdaptiveCard" in problems[0].message


def test_problems_come_in_the_order_of_the_card() -> None:
    card = valid_card()
    card["body"][3]["rows"][0]["cells"][0]["items"][0]["wrapp"] = True
    card["body"][0]["colour"] = "good"
    card["actions"][0]["titel"] = "x"
    assert paths(check_card(card, "incoming")) == [
        "$.body[0].colour",
        "$.body[3].rows[0].cells[0].items[0].wrapp",
        "$.actions[0].titel",
    ]


# --- Teams rules -----------------------------------------------------------------------------


def test_version_above_1_5_is_a_problem() -> None:
    # Teams renders Adaptive Cards up to schema version 1.5
    # (docs/teams-protocol.md#adaptive-card-support).
    problems = check_card(bad_card("version-1.6"), "incoming")
    assert paths(problems) == ["$.version"]
    assert "1.5" in problems[0].message


def test_a_top_level_card_without_version_is_a_problem() -> None:
    card = valid_card()
    del card["version"]
    assert paths(check_card(card, "incoming")) == ["$.version"]


def test_a_show_card_card_needs_no_version_but_must_not_exceed_1_5() -> None:
    card = valid_card()
    card["actions"][2]["card"]["version"] = "1.6"
    assert paths(check_card(card, "incoming")) == ["$.actions[2].card.version"]


def test_action_submit_is_refused_in_an_incoming_webhook_card() -> None:
    # Incoming Webhooks: Action.Submit is not supported
    # (docs/teams-protocol.md#adaptive-card-support).
    problems = check_card(bad_card("action-submit"), "incoming")
    assert paths(problems) == ["$.body[1].actions[1].type"]
    assert "Action.Submit" in problems[0].message


def test_actions_inside_a_show_card_card_are_checked() -> None:
    problems = check_card(bad_card("submit-inside-showcard"), "incoming")
    assert paths(problems) == ["$.actions[0].card.actions[0].type"]


def test_select_actions_are_checked() -> None:
    problems = check_card(bad_card("select-action-execute"), "incoming")
    assert paths(problems) == ["$.body[0].selectAction.type"]
    assert "Action.Execute" in problems[0].message


def test_show_card_is_refused_in_a_reply() -> None:
    # Outgoing Webhook replies: only openUrl actions work
    # (docs/teams-protocol.md#outgoing-webhook-replies).
    problems = check_card(bad_card("showcard-in-reply"), "reply")
    assert paths(problems) == ["$.actions[1].type"]
    assert "Action.OpenUrl only" in problems[0].message


def test_show_card_is_fine_in_an_incoming_webhook_card() -> None:
    assert check_card(bad_card("showcard-in-reply"), "incoming") == []


def test_toggle_visibility_is_refused_in_a_reply() -> None:
    card = valid_card()
    assert "$.actions[1].type" in paths(check_card(card, "reply"))


def test_a_mention_without_its_at_text_in_the_card_is_a_problem() -> None:
    # The card text must contain the same <at>Adele</at> as the mention entity
    # (docs/teams-protocol.md#mentions).
    problems = check_card(bad_card("mention-without-at-text"), "incoming")
    assert paths(problems) == ["$.msteams.entities[0].text"]
    assert "<at>Adele</at>" in problems[0].message


def test_a_mention_in_a_fact_counts() -> None:
    # Mentions show in TextBlock and FactSet elements (cards-format.md).
    card = bad_card("mention-without-at-text")
    card["body"].append(
        {"type": "FactSet", "facts": [{"title": "Owner", "value": "<at>Adele</at>"}]}
    )
    assert check_card(card, "incoming") == []


def test_a_mention_text_without_at_tags_is_a_problem() -> None:
    card = valid_card()
    card["msteams"]["entities"][0]["text"] = "Adele"
    assert paths(check_card(card, "incoming")) == ["$.msteams.entities[0].text"]


def test_a_mention_without_the_mentioned_user_is_a_problem() -> None:
    card = valid_card()
    del card["msteams"]["entities"][0]["mentioned"]["id"]
    assert paths(check_card(card, "incoming")) == ["$.msteams.entities[0].mentioned.id"]


def test_a_media_element_is_a_problem() -> None:
    # Media elements are not supported in Adaptive Cards on Teams (cards-format.md).
    assert paths(check_card(bad_card("media-element"), "incoming")) == ["$.body[1]"]


# --- size ------------------------------------------------------------------------------------


def big_text_block(text: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True}


def test_an_element_over_28_kb_on_its_own_is_reported_at_its_path() -> None:
    # Teams refuses a message over 28 KB (add-incoming-webhook.md); one element cannot be split.
    card = valid_card()
    card["body"][2]["items"].append(big_text_block("x" * MESSAGE_LIMIT_BYTES))
    problems = check_card(card, "incoming")
    assert paths(problems) == ["$.body[2].items[2]"]
    assert "28,672" in problems[0].message


def test_element_size_counts_utf8_bytes_not_characters() -> None:
    card = valid_card()
    # 10,000 characters, 30,000 bytes in UTF-8.
    card["body"].append(big_text_block("€" * 10_000))
    assert paths(check_card(card, "incoming")) == ["$.body[4]"]


def test_a_lone_surrogate_is_measured_as_its_json_escape() -> None:
    # substring() through an emoji leaves half of it, as the SDK does; JSON carries that
    # half as a six-byte escape (a lone surrogate has no UTF-8 form), so it counts six bytes.
    text = expand({"t": "${substring(s, 0, 1)}"}, {"s": "\U0001f600"})["t"]
    assert text == "\ud83d"
    assert serialized_size(text) == len('"\\ud83d"') == 8
    card = valid_card()
    block = big_text_block("")
    block["text"] = text * (MESSAGE_LIMIT_BYTES // 6)
    card["body"].append(block)
    # 4,778 escapes are 28,668 bytes, which with the element's own keys passes the limit.
    assert paths(check_card(card, "incoming")) == ["$.body[4]"]


def test_an_element_just_under_the_limit_is_fine() -> None:
    card = valid_card()
    block = big_text_block("")
    block["text"] = "x" * (MESSAGE_LIMIT_BYTES - len(json.dumps(block, separators=(",", ":"))))
    card["body"].append(block)
    assert check_card(card, "incoming") == []


def test_a_card_large_as_a_whole_is_not_refused() -> None:
    # Delivery splits such a card between elements; no element is too big on its own.
    card = valid_card()
    card["body"].extend(big_text_block("y" * 1_000) for _ in range(60))
    assert check_card(card, "incoming") == []


def test_a_container_of_small_elements_is_measured_by_its_elements() -> None:
    card = valid_card()
    card["body"].append({"type": "Container", "items": [big_text_block("z" * 1_000)] * 40})
    assert check_card(card, "incoming") == []


def test_parts_over_the_limit_are_found_however_deep_and_only_those() -> None:
    # Parts that fit as a whole are measured once, not part by part: a too-big part deep in a
    # too-big container, and the container's own text, are still each found at their path.
    deep = {"type": "Container", "items": [big_text_block("b" * MESSAGE_LIMIT_BYTES)]}
    inner = {"type": "Container", "items": [big_text_block("a" * 100), deep]}
    card = valid_card()
    card["body"].append(
        {"type": "Container", "id": "c" * MESSAGE_LIMIT_BYTES, "items": [inner, big_text_block("")]}
    )
    assert paths(check_card(card, "incoming")) == [
        "$.body[4]",
        "$.body[4].items[0].items[1].items[0]",
    ]


# --- MessageCard -----------------------------------------------------------------------------


def message_card() -> dict[str, Any]:
    return copy.deepcopy(
        {
            "@type": "MessageCard",
            "@context": "http://schema.org/extensions",
            "summary": "Build 42 failed",
            "themeColor": "0076D7",
            "sections": [
                {
                    "activityTitle": "Build 42 failed",
                    "facts": [{"name": "Branch", "value": "main"}],
                    "markdown": True,
                }
            ],
            "potentialAction": [
                {
                    "@type": "OpenUri",
                    "name": "Open run",
                    "targets": [{"os": "default", "uri": "https://ci.example.com/42"}],
                }
            ],
        }
    )


def test_a_message_card_is_accepted_for_an_incoming_webhook() -> None:
    assert check_card(message_card(), "incoming") == []


def test_a_message_card_is_accepted_in_a_reply() -> None:
    # Outgoing Webhook replies accept O365 connector cards
    # (docs/teams-protocol.md#outgoing-webhook-replies).
    assert check_card(message_card(), "reply") == []


def test_a_message_card_needs_summary_or_text() -> None:
    # Teams answers HTTP 400 "Summary or Text is required."
    # (docs/teams-protocol.md#classic-connector-answers).
    problems = check_card(bad_card("messagecard-without-summary"), "incoming")
    assert paths(problems) == ["$"]
    assert "Summary or Text is required." in problems[0].message


def test_a_message_card_post_action_is_refused_in_a_reply() -> None:
    assert check_card(bad_card("messagecard-httppost"), "incoming") == []
    problems = check_card(bad_card("messagecard-httppost"), "reply")
    assert paths(problems) == ["$.potentialAction[1]['@type']"]


def test_an_open_uri_action_needs_targets() -> None:
    card = message_card()
    del card["potentialAction"][0]["targets"]
    assert paths(check_card(card, "incoming")) == ["$.potentialAction[0].targets"]


# --- not a card ------------------------------------------------------------------------------


def test_something_that_is_not_an_object_is_one_problem() -> None:
    assert check_card([1, 2], "incoming") == [
        Problem("$", "a card must be a JSON object, not an array")
    ]


def test_a_whole_teams_message_is_recognised_and_explained() -> None:
    message = {"type": "message", "attachments": [{"content": valid_card()}]}
    problems = check_card(message, "incoming")
    assert paths(problems) == ["$"]
    assert "attachments[0].content" in problems[0].message


def test_an_object_of_unknown_kind_is_one_problem() -> None:
    assert paths(check_card({"title": "x"}, "incoming")) == ["$.type"]


def test_an_unknown_target_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="target"):
        check_card(valid_card(), "outgoing")  # type: ignore[arg-type]


# --- paths and laziness ----------------------------------------------------------------------


def test_paths_quote_keys_that_are_not_identifiers() -> None:
    assert format_path(()) == "$"
    assert format_path(("body", 2, "text")) == "$.body[2].text"
    assert format_path(("odd key", "it's")) == "$['odd key']['it\\'s']"


def test_importing_the_checker_does_not_import_jsonschema() -> None:
    # jsonschema takes ~100 ms to import; it must stay off the cold-start path.
    code = "import shared.cards.check, sys; assert 'jsonschema' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_the_compiled_validator_is_made_once_per_process() -> None:
    from shared.cards import _schema

    check_card(valid_card(), "incoming")
    first = _schema._schema()
    check_card(valid_card(), "reply")
    assert _schema._schema() is first


def test_the_schema_is_the_official_file_with_msteams_allowed_in_memory() -> None:
    from shared.cards import _schema

    schema = _schema.load_schema()
    assert schema["id"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert "msteams" in schema["definitions"]["AdaptiveCard"]["properties"]
    assert schema["definitions"]["AdaptiveCard"]["additionalProperties"] is False


# --- shipped templates -----------------------------------------------------------------------


def test_templates_are_shipped() -> None:
    assert catalog.template_names()


@pytest.mark.parametrize("name", catalog.template_names())
def test_a_shipped_template_expanded_with_its_sample_data_passes(name: str) -> None:
    info = catalog.get(name)
    card = expand(
        info.template, info.sample_data, catalog.host_object(name, "general"), strict=True
    )
    # command-help is the Outgoing Webhook's reply; the catalog says so with "target".
    target = info.options.get("target", "incoming")
    assert [str(problem) for problem in check_card(card, target)] == []


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "file:///etc/passwd"]
)
def test_open_url_with_a_dangerous_scheme_is_reported(url: str) -> None:
    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": "x"}],
        "actions": [{"type": "Action.OpenUrl", "title": "Open", "url": url}],
    }
    problems = check_card(card, "incoming")
    assert [p.path for p in problems] == ["$.actions[0].url"]


@pytest.mark.parametrize(
    "url", ["https://example.org", "mailto:ops@example.org", "msteams://teams.microsoft.com/l/x"]
)
def test_open_url_with_a_web_mail_or_teams_link_is_fine(url: str) -> None:
    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": "x"}],
        "actions": [{"type": "Action.OpenUrl", "title": "Open", "url": url}],
    }
    assert check_card(card, "incoming") == []
