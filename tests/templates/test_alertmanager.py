"""The alertmanager template with Prometheus Alertmanager's webhook payload (version 4).

Alertmanager's webhook_config posts `{"version": "4", "groupKey", "truncatedAlerts", "status",
"receiver", "groupLabels", "commonLabels", "commonAnnotations", "externalURL", "alerts": [{"status",
"labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}]}`
(prometheus.io/docs/alerting/latest/configuration/#webhook_config). A firing alert's endsAt is
the zero time `0001-01-01T00:00:00Z`.
"""

from typing import Any

import pytest

from shared.cards.check import check_card
from tests.support.templates import (
    block,
    facts,
    header,
    links,
    payload,
    payload_names,
    render,
    texts,
    title,
    walk,
)


def readable(text_block: dict[str, Any]) -> bool:
    """Status words in the text colour, bold: coloured text on the status header or the card read
    at 1.2 to 3.6:1 (issue 16); the header's style and an emoji carry the colour instead."""
    return "color" not in text_block and text_block.get("weight") == "Bolder"


TEMPLATE = "alertmanager"
RUNBOOK = "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping"
ALERTMANAGER = "http://alertmanager.monitoring.svc:9093"


def card_for(name: str) -> dict[str, Any]:
    return render(TEMPLATE, payload(name))


@pytest.mark.parametrize("name", payload_names("alertmanager-"))
def test_every_alert_group_expands_into_a_card_teams_accepts(name: str) -> None:
    assert check_card(card_for(name), "incoming") == []


def test_a_firing_group_names_the_alert_counts_and_receiver() -> None:
    card = card_for("alertmanager-firing")
    assert title(card) == "🔴 KubePodCrashLooping"
    assert header(card)["style"] == "attention"  # commonLabels.severity: critical
    assert readable(block(card, "Critical · FIRING"))  # severity and state; the style is the colour
    assert "2 firing · 0 resolved · receiver teams-checkout" in texts(card)


def test_common_annotations_and_labels_are_shown_once() -> None:
    card = card_for("alertmanager-firing")
    assert texts(card).count("Container api restarted 6 times in the last 10 minutes.") == 1
    assert facts(card) == [
        ("cluster", "aks-prod-weu"),
        ("container", "api"),
        ("namespace", "checkout"),
    ]  # the severity is in the header


def test_each_alert_shows_its_summary_own_labels_and_start() -> None:
    card = card_for("alertmanager-firing")
    shown = texts(card)
    assert "🔴 Pod checkout/checkout-api-7d9c8b6f5-x2k4q is crash looping." in shown
    assert "🔴 Pod checkout/checkout-api-7d9c8b6f5-m8r2t is crash looping." in shown
    assert "pod checkout-api-7d9c8b6f5-x2k4q · firing since 2024-05-01 07:41 UTC" in shown
    assert "pod checkout-api-7d9c8b6f5-m8r2t · firing since 2024-05-01 07:43 UTC" in shown


def test_links_go_to_the_common_runbook_first_then_the_shared_source_and_alertmanager() -> None:
    data = payload("alertmanager-firing")
    assert data["alerts"][0]["generatorURL"] == data["alerts"][1]["generatorURL"]
    card = render(TEMPLATE, data)
    # One "Source" for the rule both alerts come from, not one button per alert.
    assert links(card) == [
        ("Runbook", RUNBOOK),
        ("Source", data["alerts"][0]["generatorURL"]),
        ("Open Alertmanager", ALERTMANAGER),
    ]
    assert card["actions"][0]["style"] == "positive"  # the next step first


def test_a_resolved_group_is_green_with_start_and_end_times() -> None:
    card = card_for("alertmanager-resolved")
    assert title(card) == "✅ KubePodCrashLooping"
    assert header(card)["style"] == "good"
    assert readable(block(card, "Critical · RESOLVED"))
    assert "0 firing · 2 resolved · receiver teams-checkout" in texts(card)
    assert (
        "pod checkout-api-7d9c8b6f5-x2k4q · resolved 2024-05-01 08:02 UTC"
        " · started 2024-05-01 07:41 UTC" in texts(card)
    )


def test_a_mixed_group_colours_each_alert_by_its_own_status() -> None:
    card = card_for("alertmanager-mixed")
    assert header(card)["style"] == "warning"  # firing, commonLabels.severity: warning
    assert "1 firing · 1 resolved · receiver teams-platform" in texts(card)
    # The group's summary once; each alert is named by where it fires, as people read it.
    assert texts(card).count("Filesystem has less than 5% space left.") == 1
    firing = block(card, "🟠 10.0.4.17:9100")
    resolved = block(card, "✅ 10.0.4.18:9100")
    # Each alert's emoji carries its state; the words stay in the text colour (issue 16).
    assert readable(firing)
    assert readable(resolved)
    assert not any("instance=" in text for text in texts(card))
    assert "resolved 2024-05-01 06:55 UTC · started 2024-05-01 05:20 UTC" in texts(card)


def test_start_times_with_an_offset_and_nanoseconds_are_shown_in_utc() -> None:
    card = card_for("alertmanager-mixed")  # "startsAt": "2024-05-01T08:10:00.118403762+02:00"
    assert "firing since 2024-05-01 06:10 UTC" in texts(card)


def test_alerts_without_annotations_are_named_by_alertname() -> None:
    card = card_for("alertmanager-no-annotations")  # "annotations": {} and no annotations at all
    shown = texts(card)
    assert shown.count("🔴 TargetDown") == 1  # the group's title; each alert is named by its target
    assert "🔴 https://shop.contoso.com" in shown
    assert "🔴 https://api.contoso.com" in shown


def test_an_empty_generator_url_gives_no_source_link() -> None:
    card = card_for("alertmanager-no-annotations")
    assert [name for name, _url in links(card)] == ["Source", "Open Alertmanager"]


def test_truncated_alerts_are_reported() -> None:
    # truncatedAlerts: "how many alerts have been truncated due to max_alerts" (webhook_config).
    card = card_for("alertmanager-truncated")
    warning = block(
        card,
        "⚠️ 5 more alerts were left out of this notification (max_alerts). "
        "See Alertmanager for the full group.",
    )
    assert readable(warning)


def test_no_truncation_note_when_nothing_was_truncated() -> None:
    card = card_for("alertmanager-firing")  # "truncatedAlerts": 0
    assert not any("left out" in text for text in texts(card))


def test_a_payload_from_before_truncated_alerts_existed_expands() -> None:
    data = payload("alertmanager-firing")
    del data["truncatedAlerts"]
    card = render(TEMPLATE, data)
    assert not any("left out" in text for text in texts(card))


def test_a_group_of_different_alerts_is_named_by_its_group_labels() -> None:
    card = card_for("alertmanager-multiple-alertnames")
    assert title(card) == "🔴 Alerts for cluster=aks-prod-weu"
    shown = texts(card)
    assert (
        "alertname KubeNodeNotReady · node aks-system-12345678-vmss000002 · severity warning"
        " · firing since 2024-05-01 11:20 UTC" in shown
    )
    assert readable(block(card, "🟠 Node is not ready."))
    assert readable(block(card, "🔵 Cluster has overcommitted memory resource requests."))


def test_each_alert_is_one_repeated_element_so_delivery_can_split_between_alerts() -> None:
    from shared import catalog

    data = payload("alertmanager-firing")
    expansion = catalog.compiled(TEMPLATE).expand_traced(
        data, catalog.host_object(TEMPLATE, "ops"), strict=True
    )
    body_spans = [span for span in expansion.repeats if span.path == ("body",)]
    assert len(body_spans) == 1
    assert body_spans[0].stop - body_spans[0].start == len(data["alerts"])


# --- Grafana ------------------------------------------------------------------------------------
# Grafana's webhook contact point posts Alertmanager's payload plus its own fields: orgId, title,
# state, message, and per alert silenceURL, dashboardURL, panelURL, values, valueString.


def test_a_grafana_notification_links_each_alert_to_its_panel_and_silence() -> None:
    data = payload("alertmanager-grafana")
    firing, resolved = data["alerts"]
    card = render(TEMPLATE, data)
    assert firing["generatorURL"] == resolved["generatorURL"]
    assert links(card) == [
        ("Runbook", firing["annotations"]["runbook_url"]),
        ("Panel", firing["panelURL"]),
        ("Silence", firing["silenceURL"]),
        # A resolved alert needs no silence; its empty dashboard and panel URLs give no link.
        # The rule both come from: one "Source" for the group.
        ("Source", firing["generatorURL"]),
        ("Open Grafana", data["externalURL"]),
    ]


def test_a_grafana_alert_without_a_panel_links_its_dashboard() -> None:
    data = payload("alertmanager-grafana")
    data["alerts"][0]["panelURL"] = ""
    card = render(TEMPLATE, data)
    assert ("Dashboard", data["alerts"][0]["dashboardURL"]) in links(card)
    assert "Panel" not in [label for label, _ in links(card)]


def test_a_grafana_notification_reads_like_an_alertmanager_one() -> None:
    card = card_for("alertmanager-grafana")
    assert title(card) == "🔴 High CPU"
    shown = texts(card)
    assert "1 firing · 1 resolved · receiver teams-notify" in shown
    assert "🔴 CPU above 90% on web-1" in shown
    assert "✅ CPU above 90% on web-2" in shown


# --- a group of five ----------------------------------------------------------------------------


def test_a_group_of_five_shows_firing_alerts_first_and_folds_the_resolved_ones() -> None:
    data = payload("alertmanager-five-alerts")  # resolved, resolved, firing, firing, firing
    card = render(TEMPLATE, data)
    shown = texts(card)
    assert "Warning · FIRING" in shown
    assert "3 firing · 2 resolved · receiver teams-platform" in shown
    assert shown.count("CPU load above 90% for 10 minutes.") == 1  # the group's summary once
    names = [text for text in shown if text.startswith(("🟠 10.", "✅ 10."))]
    assert names == [
        "🟠 10.0.4.17:9100",
        "🟠 10.0.4.18:9100",
        "🟠 10.0.4.21:9100",
        "✅ 10.0.4.12:9100",
        "✅ 10.0.4.13:9100",
    ]
    assert "firing since 2024-05-01 05:31 UTC" in shown
    assert "CPU load is 97.2% on 10.0.4.17:9100." in shown
    alerts = [node for node in card["body"] if str(node.get("id", "")).startswith("alert-")]
    assert [node.get("isVisible", True) for node in alerts] == [True, True, True, False, False]
    [toggle] = [node for node in walk(card) if node.get("type") == "Action.ToggleVisibility"]
    assert toggle["title"] == "Show 2 resolved"
    assert toggle["targetElements"] == [alerts[3]["id"], alerts[4]["id"]]
    # One Source for the rule all five come from; the runbook is the first, filled action.
    assert links(card) == [
        ("Runbook", data["commonAnnotations"]["runbook_url"]),
        ("Source", data["alerts"][0]["generatorURL"]),
        ("Open Alertmanager", ALERTMANAGER),
    ]


def test_resolved_alerts_are_shown_when_none_is_firing() -> None:
    card = card_for("alertmanager-resolved")
    alerts = [node for node in card["body"] if str(node.get("id", "")).startswith("alert-")]
    assert len(alerts) == 2
    assert all(node["isVisible"] for node in alerts)
    assert not [node for node in walk(card) if node.get("type") == "Action.ToggleVisibility"]
