"""Big and long alert groups as a real Alertmanager posts them (issue 10): split only between the
alerts, long texts shortened instead of refused, at most TEAMS_MAX_PARTS messages, every step once
per notification and the budget counted from the request's arrival."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devtools.alert_groups import alert_group
from devtools.teams_standin import TeamsStandIn
from shared import catalog, pipeline
from shared.pipeline import Rendered, deliver_rendered, render
from shared.teams.fitting import shorten
from shared.teams.splitting import TEAMS_MESSAGE_LIMIT, encode
from tests.support.function_app import call_notify, configure, notify_request

TEMPLATE = "alertmanager"


def card_of(message: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = message["attachments"][0]["content"]
    return content


def fact_tables(card: dict[str, Any]) -> list[list[dict[str, str]]]:
    return [e["facts"] for e in card["body"] if e.get("type") == "FactSet"]


def pods(card: dict[str, Any]) -> list[str]:
    return [
        e["items"][0]["text"].split("checkout/")[1].split()[0]
        for e in card["body"]
        if e.get("type") == "Container" and e.get("separator")
    ]


def texts(card: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def test_every_part_of_a_split_group_keeps_the_whole_common_labels_table() -> None:
    group = alert_group(120)
    [whole] = render(TEMPLATE, alert_group(1), ["ops"])
    [expected] = fact_tables(whole.card)
    [rendered] = render(TEMPLATE, group, ["ops"], max_parts=100)
    assert len(rendered.parts) > 1
    for part in rendered.parts:
        assert len(part.body) <= TEAMS_MESSAGE_LIMIT
        assert fact_tables(card_of(part.message)) == [expected]
    shown = [pod for part in rendered.parts for pod in pods(card_of(part.message))]
    assert shown == [a["labels"]["pod"] for a in group["alerts"]]


def test_a_description_longer_than_a_message_is_shortened_and_the_group_goes_out() -> None:
    group = alert_group(3)
    trace = "Traceback (most recent call last):\n" + "  at frame\n" * 4000
    group["alerts"][1]["annotations"]["description"] = trace
    [rendered] = render(TEMPLATE, group, ["ops"])
    assert all(len(part.body) <= TEAMS_MESSAGE_LIMIT for part in rendered.parts)
    shortened = [t for p in rendered.parts for t in texts(card_of(p.message)) if "shortened" in t]
    [text] = shortened
    assert text.startswith("Traceback (most recent call last):")
    left_out = int(text.rsplit("(shortened, ", 1)[1].split()[0].replace(",", ""))
    assert len(text) - len(f"\u2026 (shortened, {left_out:,} characters)") + left_out == len(trace)
    assert rendered.shortened == 1
    # Every alert is still there.
    assert sum(len(pods(card_of(p.message))) for p in rendered.parts) == 3


def test_a_long_description_shared_by_every_alert_is_shortened_once_in_each_part() -> None:
    group = alert_group(200)
    group["commonAnnotations"]["description"] = "d" * 50_000
    [rendered] = render(TEMPLATE, group, ["ops"], max_parts=100)
    assert len(rendered.parts) > 1
    for part in rendered.parts:
        assert len(part.body) <= TEAMS_MESSAGE_LIMIT
        [common] = [t for t in texts(card_of(part.message)) if t.startswith("ddd")]
        assert "(shortened, " in common
        assert len(common) <= TEAMS_MESSAGE_LIMIT // 2


def test_a_group_needing_more_than_max_parts_says_how_many_alerts_were_left_out() -> None:
    group = alert_group(1000)
    [rendered] = render(TEMPLATE, group, ["ops"], max_parts=10)
    parts = rendered.parts
    assert len(parts) == 10
    last = card_of(parts[-1].message)
    shown = sum(part.items for part in parts)
    assert parts[-1].left_out == 1000 - shown > 0
    assert f"\u2026 and {1000 - shown:,} more alerts not shown here" in " ".join(texts(last))
    assert "Part 10 of 10" in " ".join(texts(last))
    # The template's own actions (Open Alertmanager, the runbook) stay in the last part.
    assert [a["title"] for a in last["actions"]] == [
        a["title"] for a in card_of(parts[0].message)["actions"]
    ]
    assert {a["title"] for a in last["actions"]} >= {"Runbook", "Open Alertmanager"}
    assert all(len(part.body) <= TEAMS_MESSAGE_LIMIT for part in parts)


def test_the_answer_and_the_log_say_how_many_alerts_were_shown(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    channels = configure(monkeypatch, teams, budget=8.0, extra={"TEAMS_MAX_PARTS": "3"})
    with caplog.at_level(logging.INFO, logger="shared.teams.delivery"):
        answer = call_notify(notify_request(TEMPLATE, alert_group(300), query={"channel": "dev"}))
    assert answer.status == 200, answer.body
    [result] = answer.body["results"]
    shown = result["items"]["shown"]
    assert result["items"] == {"shown": shown, "left_out": 300 - shown}
    assert f"{shown:,} of 300 items shown" in result["detail"]
    assert len(channels.received("dev")) == 3
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("delivery id=")]
    assert f"items={shown}/300" in line


def test_an_empty_summary_reads_like_a_missing_one() -> None:
    group = alert_group(2)
    group["commonAnnotations"]["summary"] = ""
    for alert in group["alerts"]:
        alert["annotations"]["summary"] = ""
    [rendered] = render(TEMPLATE, group, ["ops"])
    shown = texts(rendered.card)
    assert "" not in shown
    # The group is named by its alertname, and each alert by what sets it apart (its own labels)
    # rather than by a lone status emoji.
    assert shown[0] == "🔴 KubePodCrashLooping"
    headings = [t for t in shown if t.startswith("🔴 ")][1:]
    assert len(headings) == 2
    assert all(len(t.removeprefix("🔴 ").strip()) > 0 for t in headings)


# --- each step once ------------------------------------------------------------------------------


def test_a_template_is_expanded_and_checked_once_for_many_channels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = {"expand": 0, "check": 0}
    real_expand = pipeline._expanded
    from shared.cards.check import check_card as real_check

    def expand(*args: Any, **kwargs: Any) -> Any:
        calls["expand"] += 1
        return real_expand(*args, **kwargs)

    def check(*args: Any, **kwargs: Any) -> Any:
        calls["check"] += 1
        return real_check(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_expanded", expand)
    monkeypatch.setattr("shared.pipeline.check_card", check)
    rendered = render(TEMPLATE, alert_group(5), ["a", "b", "c", "d"])
    assert [r.channel for r in rendered] == ["a", "b", "c", "d"]
    assert calls == {"expand": 1, "check": 1}
    assert len({id(r.parts) for r in rendered}) == 1


def test_only_templates_that_may_read_the_channel_are_expanded_per_channel() -> None:
    assert not any(pipeline.reads_channel(name) for name in catalog.template_names())
    for text, reads in [
        ("${$host.channel}", True),
        ("${$host['channel']}", True),
        ("${string($host)}", True),
        ("${$host.now} ${$host.app} ${$host.version} ${$host.template}", False),
    ]:
        assert (pipeline._HOST_USE.search(json.dumps({"text": text})) is not None) is reads


def test_the_budget_counts_from_the_request_s_arrival(teams: TeamsStandIn) -> None:
    from devtools.delivery import run
    from shared.config.settings import Settings
    from shared.teams.delivery import Delivery

    url = teams.url("classic", "ops")
    settings = Settings.from_environ({"TEAMS_ALLOW_HOSTS": "127.0.0.1", "TEAMS_WEBHOOK_OPS": url})
    [rendered] = render(TEMPLATE, alert_group(2), ["ops"])
    # Rendering took the whole budget: nothing is left to deliver with, so it is queued.
    [late] = run(
        deliver_rendered(
            [rendered],
            notification_id="n-1",
            budget=2.0,
            delivery=Delivery(settings),
            arrived=time.monotonic() - 2.0,
        )
    )
    assert (late.status, late.attempts) == ("queued", 0)
    assert late.queue_messages
    [on_time] = run(
        deliver_rendered(
            [Rendered("ops", rendered.card, rendered.repeats, rendered.parts)],
            notification_id="n-2",
            budget=2.0,
            delivery=Delivery(settings),
            arrived=time.monotonic(),
        )
    )
    assert on_time.status == "delivered"


# --- shortening ----------------------------------------------------------------------------------


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(blacklist_categories=())), st.integers(60, 5000))
def test_a_shortened_text_fits_its_byte_budget_and_says_how_much_was_cut(
    text: str, max_bytes: int
) -> None:
    shorter = shorten(text, max_bytes)
    if shorter == text:
        assert len(encode(text)) <= max_bytes
        return
    assert len(encode(shorter)) <= max_bytes
    kept, _, tail = shorter.rpartition("\u2026 (shortened, ")
    assert text.startswith(kept)
    assert int(tail.split()[0].replace(",", "")) == len(text) - len(kept)


def elements(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "type" in node:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def test_each_part_of_a_split_group_folds_and_unfolds_only_its_own_resolved_alerts() -> None:
    # 100 firing and 150 resolved: sorted firing first, the resolved alerts fill the later parts,
    # one of them shared with the last firing alerts.
    group = alert_group(250)
    for alert in group["alerts"][:150]:
        alert["status"] = "resolved"
        alert["endsAt"] = "2024-05-01T08:10:00Z"
    [rendered] = render(TEMPLATE, group, ["ops"], max_parts=100)
    assert len(rendered.parts) >= 3
    folded_per_part = []
    for part in rendered.parts:
        card = card_of(part.message)
        found = elements(card)
        ids = {e["id"] for e in found if "id" in e}
        hidden = {e["id"] for e in found if e.get("isVisible") is False}
        toggles = [e for e in found if e["type"] == "Action.ToggleVisibility"]
        targets = [t for toggle in toggles for t in toggle["targetElements"]]
        # Every target is in this very message, and every folded alert has a toggle here.
        assert set(targets) <= ids
        assert set(targets) == hidden
        if hidden:
            [toggle] = toggles
            assert toggle["title"] == f"Show {len(hidden)} resolved"
        else:
            assert toggles == []
            assert all(e["type"] != "ActionSet" or e["actions"] for e in found)
        folded_per_part.append(len(hidden))
    # Firing alerts first: the first part folds nothing, and all 150 resolved are folded somewhere.
    assert folded_per_part[0] == 0
    assert sum(folded_per_part) == 150
    assert sum(1 for n in folded_per_part if n) >= 2


def test_an_unsplit_group_keeps_its_toggle_whole() -> None:
    group = alert_group(5)
    for alert in group["alerts"][:3]:
        alert["status"] = "resolved"
        alert["endsAt"] = "2024-05-01T08:10:00Z"
    [rendered] = render(TEMPLATE, group, ["ops"])
    [part] = rendered.parts
    [toggle] = [
        e for e in elements(card_of(part.message)) if e["type"] == "Action.ToggleVisibility"
    ]
    assert toggle["title"] == "Show 3 resolved"
    assert len(toggle["targetElements"]) == 3


@pytest.mark.parametrize(("count", "description"), [(3, None), (400, None), (60, "x" * 30_000)])
def test_the_split_given_what_fitting_measured_is_the_split_it_would_measure_itself(
    count: int, description: str | None
) -> None:
    # `render` hands the fitted card's message and item sizes to the split, so that a big card
    # is encoded once: the parts must be those the split finds on its own.
    from shared.teams.fitting import fit_card
    from shared.teams.splitting import split_card

    expansion = catalog.compiled("alertmanager").expand_traced(
        alert_group(count, description=description), {}, strict=False
    )
    fitted = fit_card(expansion.value, expansion.repeats)
    assert (fitted.encoded is None) == (fitted.shortened > 0)
    if fitted.encoded is not None:
        assert fitted.encoded == encode(pipeline_message(fitted.card))
    shared = split_card(
        fitted.card, expansion.repeats, max_parts=10, encoded=fitted.encoded, sizes=fitted.sizes
    )
    alone = split_card(fitted.card, expansion.repeats, max_parts=10)
    assert shared == alone
    assert len(shared) > 1 or count == 3


def pipeline_message(card: dict[str, Any]) -> dict[str, Any]:
    from shared.cards.envelope import to_message

    return to_message(card)
