"""The general-purpose templates: message, build-status, deployment, alert, digest, command-help.

Every template expands in strict mode (no `${...}` left) with its sample data and with no data at
all, passes the card check for where it goes, and shows the data that matters.
"""

import json
from typing import Any

import pytest

import shared
from shared import catalog
from shared.cards.check import check_card
from tests.support.templates import (
    action_types,
    block,
    fact,
    fact_titles,
    facts,
    header,
    links,
    render,
    text_blocks,
    texts,
    title,
)


def readable(text_block: dict[str, Any]) -> bool:
    """Status words in the text colour, bold: coloured text on the status header or the card read
    at 1.2 to 3.6:1 (issue 16); the header's style and an emoji carry the colour instead."""
    return "color" not in text_block and text_block.get("weight") == "Bolder"


@pytest.mark.parametrize("name", catalog.template_names())
def test_every_template_expands_its_sample_data_into_a_card_teams_accepts(name: str) -> None:
    info = catalog.get(name)
    card = render(name, info.sample_data)
    assert check_card(card, info.options.get("target", "incoming")) == []


@pytest.mark.parametrize("name", catalog.template_names())
def test_every_template_expands_without_any_data(name: str) -> None:
    # Optional fields are guarded, so even an empty payload leaves no `${...}` in the card.
    info = catalog.get(name)
    card = render(name, {})
    assert "${" not in json.dumps(card)
    problems = check_card(card, info.options.get("target", "incoming"))
    if name == "message":
        # `message` shows only what the data gives: with nothing, the card would be an empty
        # frame in Teams, which the checks refuse (issue 10).
        assert [p.path for p in problems] == ["$.body"]
        assert "shows nothing" in problems[0].message
    else:
        assert problems == []


@pytest.mark.parametrize("name", ["message", "build-status", "deployment", "alert", "digest"])
def test_mentions_are_named_in_the_text_and_carried_as_entities(name: str) -> None:
    # A mention needs an msteams entity and the same `<at>name</at>` in the card text
    # (docs/teams-protocol.md#mentions).
    data = dict(catalog.get(name).sample_data)
    data["mentions"] = [{"id": "adele.vance@contoso.com", "name": "Adele Vance"}]
    card = render(name, data)
    assert card["msteams"]["entities"] == [
        {
            "type": "mention",
            "text": "<at>Adele Vance</at>",
            "mentioned": {"id": "adele.vance@contoso.com", "name": "Adele Vance"},
        }
    ]
    assert "cc <at>Adele Vance</at>" in texts(card)
    assert check_card(card, "incoming") == []


def test_a_mention_without_an_id_is_left_out() -> None:
    card = render("message", {"text": "hi", "mentions": [{"name": "Nobody"}]})
    assert card["msteams"]["entities"] == []
    assert texts(card) == ["hi"]


# --- message ------------------------------------------------------------------------------------


def test_message_shows_title_text_facts_and_links() -> None:
    card = render("message", catalog.get("message").sample_data)
    assert title(card) == "Nightly backup finished"
    assert header(card)["style"] == "good"
    assert "All **42** databases were backed up." in texts(card)[2]
    assert facts(card) == [("Databases", "42"), ("Size", "1.8 TB"), ("Duration", "38 min")]
    assert links(card) == [
        ("Open the backup report", "https://example.com/backups/2024-05-01"),
        ("Runbook", "https://example.com/runbooks/backup"),
    ]


def test_a_message_with_text_only_is_just_that_text() -> None:
    card = render("message", {"text": "Hello from the pipeline"})
    assert card["body"] == [{"type": "TextBlock", "text": "Hello from the pipeline", "wrap": True}]
    assert card["actions"] == []
    assert card["msteams"] == {"width": "Full", "entities": []}


def test_message_links_without_a_url_are_left_out() -> None:
    card = render(
        "message",
        {"title": "x", "links": [{"title": "nowhere"}, {"title": "a", "url": "https://a.example"}]},
    )
    assert links(card) == [("a", "https://a.example")]


# --- build-status -------------------------------------------------------------------------------


def test_a_failed_build_is_red_and_names_pipeline_run_branch_commit_and_author() -> None:
    card = render("build-status", catalog.get("build-status").sample_data)
    assert title(card) == "web-api CI #20240501.7"
    assert header(card)["style"] == "attention"
    assert readable(block(card, "❌ FAILED"))  # the header's style carries the colour
    assert "contoso/web-api · main" in texts(card)
    assert "Branch" not in fact_titles(card)  # the header names it (issue 16: said once)
    assert fact(card, "Commit") == "9f3c2a1"
    assert fact(card, "Author") == "Adele Vance"
    assert fact(card, "Duration") == "12m 48s"
    assert (
        "Open run",
        "https://dev.azure.com/contoso/web-api/_build/results?buildId=4711",
    ) in links(card)


def test_build_stages_show_each_result_with_its_colour() -> None:
    card = render("build-status", catalog.get("build-status").sample_data)
    shown = texts(card)
    for stage in ["✅ Build", "❌ Unit tests", "⏭️ Deploy to staging"]:
        assert stage in shown
    assert readable(block(card, "failed"))
    assert readable(block(card, "succeeded"))


@pytest.mark.parametrize(
    ("result", "style", "badge"),
    [
        ("succeeded", "good", "✅ SUCCEEDED"),
        ("success", "good", "✅ SUCCEEDED"),  # one word per state across templates
        ("partiallySucceeded", "warning", "⚠️ PARTIALLYSUCCEEDED"),
        ("canceled", "emphasis", "⏹️ CANCELED"),
        ("running", "accent", "⏳ RUNNING"),
        ("something new", "emphasis", "ℹ️ SOMETHING NEW"),  # noqa: RUF001
    ],
)
def test_the_build_result_sets_the_colour(result: str, style: str, badge: str) -> None:
    card = render("build-status", {"pipeline": "web-api CI", "result": result})
    assert header(card)["style"] == style
    assert badge in texts(card)


def test_a_short_commit_id_is_shown_whole() -> None:
    card = render("build-status", {"pipeline": "p", "commit": "abc12"})
    assert fact(card, "Commit") == "abc12"


def test_a_build_without_stages_has_no_stage_list() -> None:
    card = render("build-status", {"pipeline": "p", "result": "failed"})
    assert "Stages" not in texts(card)
    assert not any(text.startswith("Failed stage") for text in texts(card))


def test_the_build_header_names_the_failed_stage() -> None:
    card = render("build-status", catalog.get("build-status").sample_data)
    assert block(card, "Failed stage: **Unit tests**") in text_blocks(header(card))
    stages = [
        {"name": "Build", "result": "FAILURE"},  # Jenkins' word
        {"name": "Lint", "result": "succeeded"},
        {"name": "E2E", "result": "timedOut"},
    ]
    card = render("build-status", {"pipeline": "p", "result": "failed", "stages": stages})
    assert block(card, "Failed stages: **Build**, **E2E**") in text_blocks(header(card))
    passed = [{"name": "Build", "result": "succeeded"}]
    card = render("build-status", {"pipeline": "p", "result": "succeeded", "stages": passed})
    assert not any(text.startswith("Failed stage") for text in texts(card))


# --- deployment ---------------------------------------------------------------------------------


def test_a_deployment_names_service_version_environment_and_status() -> None:
    card = render("deployment", catalog.get("deployment").sample_data)
    assert title(card) == "🚀 checkout-api 2.14.0"
    assert "to production · West Europe" in texts(card)
    assert header(card)["style"] == "good"
    assert readable(block(card, "✅ SUCCEEDED"))
    assert fact(card, "Version") == "2.14.0 (was 2.13.2)"
    # The header names the service, environment and status: the facts do not repeat them.
    assert not {"Service", "Environment", "Status"} & set(fact_titles(card))
    assert ("Changelog", "https://github.com/contoso/checkout-api/releases/tag/v2.14.0") in links(
        card
    )


@pytest.mark.parametrize(
    ("status", "style"),
    [("failed", "attention"), ("rolled back", "warning"), ("in progress", "accent")],
)
def test_the_deployment_status_sets_the_colour(status: str, style: str) -> None:
    card = render(
        "deployment", {"service": "api", "environment": "prod", "version": "1", "status": status}
    )
    assert header(card)["style"] == style


# --- alert --------------------------------------------------------------------------------------


def test_a_critical_firing_alert_is_red_with_its_resource_and_runbook() -> None:
    card = render("alert", catalog.get("alert").sample_data)
    assert title(card) == "🔴 Disk almost full on sql-prod-01"
    assert header(card)["style"] == "attention"
    assert readable(block(card, "Critical · FIRING"))  # severity and state, the next step first
    assert "sql-prod-01 · from Grafana" in texts(card)
    # The header says the severity, the state and the resource; the facts do not say them again.
    assert not {"Severity", "State", "Resource"} & set(fact_titles(card))
    assert fact(card, "Fired") == "2024-05-01 07:42 UTC"
    assert fact(card, "Used") == "93 %"
    assert links(card)[0] == ("Runbook", "https://example.com/runbooks/disk-full")
    assert card["actions"][0]["style"] == "positive"  # the next step first


def test_a_resolved_alert_turns_green_whatever_its_severity() -> None:
    data = {
        **catalog.get("alert").sample_data,
        "status": "resolved",
        "resolvedAt": "2024-05-01 09:10 UTC",
    }
    card = render("alert", data)
    assert title(card) == "✅ Disk almost full on sql-prod-01"
    assert header(card)["style"] == "good"
    assert readable(block(card, "Critical · RESOLVED"))
    assert fact(card, "Resolved") == "2024-05-01 09:10 UTC"


@pytest.mark.parametrize(
    ("severity", "style", "icon"),
    [("warning", "warning", "🟠"), ("Sev1", "attention", "🔴"), ("info", "accent", "🔵")],
)
def test_the_alert_severity_sets_colour_and_icon(severity: str, style: str, icon: str) -> None:
    card = render("alert", {"title": "Queue backlog", "severity": severity})
    assert header(card)["style"] == style
    assert title(card) == f"{icon} Queue backlog"
    assert f"{severity[0].upper()}{severity[1:]} · FIRING" in texts(card)


@pytest.mark.parametrize("severity", [None, "", "  "])
def test_an_alert_without_a_severity_says_only_its_state(severity: str | None) -> None:
    data = {"title": "Queue backlog"} if severity is None else {"title": "t", "severity": severity}
    assert "FIRING" in texts(render("alert", data))


# --- digest -------------------------------------------------------------------------------------


def test_the_digest_lists_items_with_counts_and_a_total() -> None:
    card = render("digest", catalog.get("digest").sample_data)
    assert title(card) == "Daily alert digest"
    assert "Last 24 hours · generated 2024-05-01 06:00 UTC" in texts(card)
    shown = texts(card)
    # A linked item opens its address from the whole row (a markdown link takes the dark theme's
    # link colour, 2.6:1); its colour is an emoji before the count, the count readable.
    assert "checkout-api ↗" in shown
    assert ("checkout-api", "https://grafana.example.com/d/checkout") in links(card)
    assert "payments-worker" in shown
    assert readable(block(card, "🔴 14"))
    assert readable(block(card, "🟠 8"))
    assert readable(block(card, "4"))
    assert shown[-1] == "27"  # the total, last
    assert ("Alert history", "https://grafana.example.com/alerting/history") in links(card)


def test_an_empty_digest_says_there_is_nothing_to_report() -> None:
    card = render("digest", {"title": "Weekly digest", "items": []})
    assert "Nothing to report for this period." in texts(card)
    assert "Total" not in texts(card)


def test_the_digest_time_comes_from_the_host() -> None:
    card = render("digest", {"title": "t"})
    assert "generated 2024-05-01 06:00 UTC" in texts(card)


# --- command-help -------------------------------------------------------------------------------


def test_command_help_lists_each_command_with_its_usage_and_help() -> None:
    data: dict[str, Any] = catalog.get("command-help").sample_data
    card = render("command-help", data)
    shown = texts(card)
    for command in data["commands"]:
        assert command["usage"] in shown
        assert command["help"] in shown
    assert "Example: send deployment ops" in shown
    assert f"teams-notify {shared.__version__}" in shown


def test_command_help_as_the_outgoing_webhook_builds_it() -> None:
    # shared.outgoing passes only name, usage and help for each command.
    data = {"commands": [{"name": "ping", "usage": "ping", "help": "Check that I am listening."}]}
    card = render("command-help", data, channel=None)
    assert texts(card)[:3] == ["Commands", "ping", "Check that I am listening."]
    assert check_card(card, "reply") == []


def test_the_reply_card_uses_only_open_url_actions() -> None:
    # Outgoing Webhook replies: only openUrl actions work
    # (docs/teams-protocol.md#outgoing-webhook-replies).
    card = render("command-help", catalog.get("command-help").sample_data)
    assert action_types(card) == {"Action.OpenUrl"}


def test_facts_without_a_value_show_an_empty_value() -> None:
    card = render("alert", {"title": "t", "facts": [{"title": "Owner"}]})
    assert fact(card, "Owner") == ""
    assert "Owner" in fact_titles(card)
