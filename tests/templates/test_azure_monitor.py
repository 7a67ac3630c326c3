"""The azure-monitor-alert template with Azure Monitor's common alert schema, as posted to webhooks.

The fixtures follow the payloads documented in "Common alert schema" and "Sample alert payloads"
(learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema, alerts-payload-samples):
`{"schemaId": "azureMonitorCommonAlertSchema", "data": {"essentials", "alertContext",
"customProperties"}}`, with the alert context depending on the alert type.
"""

from typing import Any

import pytest

from shared.cards.check import check_card
from tests.support.templates import (
    block,
    fact_titles,
    header,
    links,
    payload,
    payload_names,
    render,
    texts,
    title,
)
from tests.support.templates import fact as fact_as_sent

TEMPLATE = "azure-monitor-alert"
DASH = "\N{EN DASH}"  # the cards write time ranges with an en dash
VM = (
    "/subscriptions/5f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f/resourcegroups/rg-shop-prod"
    "/providers/microsoft.compute/virtualmachines/vm-shop-web-01"
)


def card_for(name: str) -> dict[str, Any]:
    return render(TEMPLATE, payload(name))


ZWSP = "\N{ZERO WIDTH SPACE}"


def fact(card: dict[str, Any], title: str) -> str:
    """The fact as a person reads it: the zero-width spaces after each `/` that let a long path
    wrap at phone width are invisible."""
    return fact_as_sent(card, title).replace(ZWSP, "")


def test_long_paths_may_wrap_at_phone_width() -> None:
    card = card_for("azure-monitor-activity-log-administrative-fired")
    assert fact_as_sent(card, "Operation") == ZWSP.join(
        ["Microsoft.Compute/", "virtualMachines/", "restart/", "action"]
    )


def readable(text_block: dict[str, Any]) -> bool:
    """The state word in the text colour, bold: the header's style carries the colour (issue 16)."""
    return "color" not in text_block and text_block.get("weight") == "Bolder"


@pytest.mark.parametrize("name", payload_names("azure-monitor-"))
def test_every_documented_alert_type_expands_into_a_card_teams_accepts(name: str) -> None:
    assert check_card(card_for(name), "incoming") == []


def test_the_sample_data_is_a_metric_alert_as_posted() -> None:
    from shared import catalog

    assert catalog.get(TEMPLATE).sample_data == payload("azure-monitor-metric-fired")


# --- metric alerts ------------------------------------------------------------------------------


def test_a_fired_metric_alert_shows_rule_severity_resource_and_time() -> None:
    card = card_for("azure-monitor-metric-fired")
    assert title(card) == "🟠 vm-shop-web-01 CPU above 80%"
    assert header(card)["style"] == "warning"  # Sev2
    assert readable(block(card, "FIRING"))
    assert "Azure Monitor · Sev2 Warning · Metric · Platform" in texts(card)
    assert "Average CPU of the shop web server stayed above 80% for 5 minutes." in texts(card)
    assert fact(card, "Resource") == "vm-shop-web-01"
    assert fact(card, "Resource group") == "rg-shop-prod"
    assert fact(card, "Fired") == "2024-05-01 07:42:10 UTC"
    assert "Resolved" not in fact_titles(card)


def test_a_metric_alert_shows_its_criterion_value_and_window() -> None:
    card = card_for("azure-monitor-metric-fired")
    assert "Percentage CPU" in texts(card)
    assert "Microsoft.Compute/virtualMachines" in texts(card)
    assert fact(card, "Condition") == "Average > 80"
    assert fact(card, "Value") == "91.5 % (threshold 80)"  # 91.4825 for people
    assert fact(card, "Window") == f"5 min, 2024-05-01 07:35 {DASH} 07:40 UTC"


def test_custom_properties_are_listed() -> None:
    card = card_for("azure-monitor-metric-fired")
    assert "Custom properties" in texts(card)
    assert fact(card, "team") == "shop"
    assert fact(card, "oncall") == "shop-oncall@contoso.com"


def test_the_investigation_link_and_the_resource_are_linked() -> None:
    card = card_for("azure-monitor-metric-fired")
    assert links(card) == [
        (
            "Investigate",
            payload("azure-monitor-metric-fired")["data"]["essentials"]["investigationLink"],
        ),
        ("Open resource", "https://portal.azure.com/#resource" + VM),
    ]


def test_a_resolved_metric_alert_is_green_with_its_resolved_time() -> None:
    card = card_for("azure-monitor-metric-resolved")
    assert title(card) == "✅ vm-shop-web-01 CPU above 80%"
    assert header(card)["style"] == "good"
    assert readable(block(card, "RESOLVED"))
    assert fact(card, "Fired") == "2024-05-01 07:42:10 UTC"
    assert fact(card, "Resolved") == "2024-05-01 08:03:16 UTC"
    assert fact(card, "Value") == "42.1 % (threshold 80)"


def test_without_investigation_link_or_custom_properties_neither_is_shown() -> None:
    card = card_for("azure-monitor-metric-resolved")  # customProperties: null, no investigationLink
    # The alert's page is then built from its id.
    assert [name for name, _url in links(card)] == ["Open alert", "Open resource"]
    assert "Custom properties" not in texts(card)


def test_a_dynamic_threshold_shows_sensitivity_failing_periods_and_dimensions() -> None:
    card = card_for("azure-monitor-metric-dynamic-fired")
    assert header(card)["style"] == "accent"  # Sev3
    assert fact(card, "Condition") == "Total > 52013.77 (dynamic, sensitivity Medium)"
    assert fact(card, "Failing periods") == "3 of 4"
    assert fact(card, "Dimensions") == "ApiName = GetBlob"
    assert fact(card, "Value") == "181,220 (threshold 52013.77)"


def test_an_empty_description_is_not_shown() -> None:
    card = card_for("azure-monitor-metric-dynamic-fired")  # "description": ""
    assert "" not in texts(card)


# --- log search alerts --------------------------------------------------------------------------


def test_a_log_alerts_v2_alert_shows_query_condition_value_and_results_link() -> None:
    data = payload("azure-monitor-log-v2-fired")
    card = render(TEMPLATE, data)
    criterion = data["data"]["alertContext"]["condition"]["allOf"][0]
    assert title(card) == "🔴 checkout exceptions spike"
    assert header(card)["style"] == "attention"  # Sev1
    assert block(card, criterion["searchQuery"])["fontType"] == "Monospace"
    assert fact(card, "Condition") == "Count > 25"
    assert fact(card, "Value") == "61 (threshold 25)"
    assert fact(card, "Dimensions") == "_ResourceId = vm-shop-web-01"
    assert fact(card, "Window") == f"15 min, 2024-05-01 09:00 {DASH} 09:15 UTC"
    assert ("View query results", criterion["linkToFilteredSearchResultsUI"]) in links(card)


def test_log_alerts_v2_properties_are_shown_as_custom_properties() -> None:
    card = card_for("azure-monitor-log-v2-fired")
    assert fact(card, "service") == "checkout"
    assert fact(card, "tier") == "gold"


def test_a_resolved_log_alert_has_no_resolved_time_to_show() -> None:
    # "resolvedDateTime ... Currently only applicable for metric alerts" (common alert schema).
    card = card_for("azure-monitor-log-v2-resolved")
    assert header(card)["style"] == "good"
    assert readable(block(card, "RESOLVED"))
    assert "Resolved" not in fact_titles(card)
    assert fact(card, "Value") == "3 (threshold 25)"


def test_a_simple_log_alert_with_null_criteria_shows_what_it_has() -> None:
    card = card_for("azure-monitor-simple-log-fired")
    assert "Azure Monitor · Sev3 Informational · Log · Simple Log Alert" in texts(card)
    assert fact(card, "Value") == "1"
    assert "Condition" not in fact_titles(card)
    assert "Window" not in fact_titles(card)
    assert "Custom properties" not in texts(card)  # "properties": {}


def test_an_older_log_search_alert_shows_query_results_condition_and_interval() -> None:
    data = payload("azure-monitor-log-v1-fired")
    card = render(TEMPLATE, data)
    context = data["data"]["alertContext"]
    assert title(card) == "🔴 Heartbeat missing"
    assert "Azure Monitor · Sev0 Critical · Log · Log Analytics" in texts(card)
    assert block(card, context["SearchQuery"])["fontType"] == "Monospace"
    assert fact(card, "Results") == "0"
    assert fact(card, "Condition") == "< 1"
    assert fact(card, "Alert type") == "Metric measurement"
    # Log Analytics writes these as "5/3/2024 10:36:31 PM" (UTC); the card shows times.
    assert fact(card, "Interval") == f"2024-05-03 22:36:31 {DASH} 2024-05-03 22:51:31 UTC"
    assert ("View query results", context["LinkToFilteredSearchResultsUI"]) in links(card)


# --- activity log alerts ------------------------------------------------------------------------


def test_an_administrative_activity_log_alert_shows_operation_caller_and_status() -> None:
    card = card_for("azure-monitor-activity-log-administrative-fired")
    assert title(card) == "🔵 VM restarted in production"
    assert header(card)["style"] == "accent"  # Sev4
    assert "Activity" in texts(card)
    assert fact(card, "Operation") == "Microsoft.Compute/virtualMachines/restart/action"
    assert fact(card, "Status") == "Succeeded"
    assert fact(card, "Caller") == "megan.bowen@contoso.com"
    assert fact(card, "Event time") == "2024-05-01 13:56:31 UTC"
    assert fact(card, "Scope").endswith("/virtualMachines/vm-shop-web-01")
    assert "Criteria" not in texts(card)


def test_a_service_health_alert_shows_the_incident_and_its_communication() -> None:
    card = card_for("azure-monitor-service-health")
    assert "Storage - West Europe - Degraded performance" in texts(card)
    assert fact(card, "Service") == "Storage"
    assert fact(card, "Region") == "West Europe"
    assert fact(card, "Event type") == "Incident"
    assert fact(card, "Tracking ID") == "VT3K-5Q8"
    assert fact(card, "Impact start") == "2024-05-02 10:50:00 UTC"
    assert fact(card, "Resource") == "Subscription 5f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f"
    communication = [t for t in texts(card) if t.startswith("**Summary of impact:**")]
    assert len(communication) == 1
    assert "<p>" not in communication[0]
    assert "\n\n**Next update:** within 60 minutes." in communication[0]


def test_service_health_numbers_in_level_and_source_are_not_shown_as_activity() -> None:
    card = card_for("azure-monitor-service-health")  # "level": 3, "eventSource": 2
    assert "Activity" not in texts(card)
    assert "Level" not in fact_titles(card)


def test_a_resource_health_alert_shows_the_health_change_and_cause() -> None:
    card = card_for("azure-monitor-resource-health")
    assert header(card)["style"] == "attention"  # Sev1
    assert "The virtual machine is rebooting because of a host failure" in texts(card)
    assert fact(card, "Health") == "Available → Unavailable"
    assert fact(card, "Cause") == "PlatformInitiated"
    assert fact(card, "Type") == "Downtime"
    assert "Details" not in fact_titles(card)  # "details": null


def test_an_advisor_recommendation_shows_its_name_impact_and_link() -> None:
    card = card_for("azure-monitor-activity-log-recommendation")
    assert fact(card, "Recommendation") == "Enable Azure Backup"
    assert fact(card, "Impact") == "High · Security"
    [url] = [url for label, url in links(card) if label == "View recommendation"]
    assert url.startswith("https://portal.azure.com/#blade/Microsoft_Azure_Expert/")


def test_a_security_alert_shows_the_threat_and_what_was_done() -> None:
    card = card_for("azure-monitor-activity-log-security")
    assert header(card)["style"] == "attention"  # Sev0
    assert fact(card, "Threat") == "Virus (Low)"
    assert fact(card, "Compromised") == "testVM"
    assert fact(card, "Action taken") == "Blocked"


def test_security_facts_are_only_read_from_security_events() -> None:
    data = payload("azure-monitor-activity-log-administrative-fired")
    data["data"]["alertContext"]["properties"] = {"category": "Write", "actionTaken": "x"}
    card = render(TEMPLATE, data)
    assert "Threat" not in fact_titles(card)
    assert "Action taken" not in fact_titles(card)


def test_an_autoscale_alert_shows_the_instance_counts() -> None:
    card = card_for("azure-monitor-activity-log-autoscale")
    assert fact(card, "Instances") == "10 → 5"
    assert any(text.startswith("The autoscale engine attempting to scale") for text in texts(card))


def test_a_policy_alert_shows_the_operation_and_scope() -> None:
    card = card_for("azure-monitor-activity-log-policy")
    assert fact(card, "Operation") == "Microsoft.Authorization/policies/audit/action"
    assert fact(card, "Scope").endswith("/virtualmachines/vm-1")


def test_a_policy_alert_names_the_policy_its_assignment_and_its_effect() -> None:
    # "policies" is JSON inside a string, as Azure Policy writes it into the activity log.
    card = card_for("azure-monitor-activity-log-policy")
    assert fact(card, "Policy") == (
        "Audit VMs that do not use managed disks (assignment security-baseline)"
    )
    assert fact(card, "Effect") == "Audit"


def test_a_policy_alert_without_policy_details_takes_the_effect_from_the_operation() -> None:
    data = payload("azure-monitor-activity-log-policy")
    data["data"]["alertContext"]["properties"]["policies"] = "not json"
    card = render(TEMPLATE, data)
    assert "Policy" not in fact_titles(card)
    assert fact(card, "Effect") == "audit"


# --- other monitoring services ------------------------------------------------------------------


def test_a_prometheus_alert_shows_the_rule_value_labels_and_group() -> None:
    card = card_for("azure-monitor-prometheus-fired")
    assert "Azure Monitor · Sev3 Informational · Metric · Prometheus" in texts(card)
    assert "Prometheus rule" in texts(card)
    assert any("CrashLoopBackOff" in text for text in texts(card))
    assert fact(card, "Value") == "1"
    assert "namespace=shop" in fact(card, "Labels")
    assert fact(card, "Rule group") == "group-1"


def test_a_smart_detection_alert_shows_the_detection_and_values() -> None:
    card = card_for("azure-monitor-smart-detection-fired")
    assert "Smart detection" in texts(card)
    assert "An abnormal rise in failed request rate" in texts(card)
    assert fact(card, "Detected value") == "18.6%"
    assert fact(card, "Detector") == "Failure Anomalies"


def test_an_availability_test_alert_names_the_test() -> None:
    card = card_for("azure-monitor-metric-availability-fired")
    assert "availability test myAvailabilityTest-app-1" in texts(card)
    assert fact(card, "Condition") == "Sum > 2"
    assert fact(card, "Value") == "5 (threshold 2)"


def test_an_application_insights_log_alert_links_its_results() -> None:
    card = card_for("azure-monitor-log-v1-app-insights-fired")
    assert fact(card, "Results") == "2"
    assert fact(card, "Condition") == "< 10"
    assert [label for label, _ in links(card)] == [
        "Open alert",
        "View query results",
        "Open resource",
    ]
    assert fact(card, "Interval") == f"2024-06-01 09:55:00 {DASH} 2024-06-01 10:00:00 UTC"


# --- alerts with nulls in essentials ------------------------------------------------------------


def test_a_budget_alert_without_rule_severity_or_target_still_makes_sense() -> None:
    card = card_for("azure-monitor-budget")
    assert title(card) == "⚪ Budget shop-monthly"
    assert header(card)["style"] == "emphasis"
    assert "Azure Monitor · CostAlerts" in texts(card)
    assert fact(card, "Spent") == "$4,612.40"
    assert fact(card, "Notify at") == "$4,500.00 (Actual)"
    # "alertTargetIDs": null: the budget's scope is the page to open.
    assert links(card) == [
        (
            "Open budget scope",
            "https://portal.azure.com/#resource/subscriptions/5f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f",
        )
    ]


def test_a_payload_that_is_not_the_common_schema_still_expands() -> None:
    card = render(TEMPLATE, {"schemaId": "Microsoft.Insights/activityLogs", "data": {}})
    assert title(card) == "⚪ Azure Monitor alert"
    assert check_card(card, "incoming") == []


# --- fired or resolved: the activity log's own state ------------------------------------------


def state(card: dict[str, Any]) -> str:
    columns = header(card)["items"][0]["columns"]
    text: str = columns[1]["items"][0]["text"]
    return text


def test_a_resolved_service_health_incident_is_resolved_although_the_alert_says_fired() -> None:
    data = payload("azure-monitor-service-health-resolved")
    assert data["data"]["essentials"]["monitorCondition"] == "Fired"
    card = card_for("azure-monitor-service-health-resolved")
    assert state(card) == "RESOLVED"
    assert header(card)["style"] == "good"
    assert fact(card, "Impact mitigated") == "2024-05-02 13:40:00 UTC"


def test_an_active_service_health_incident_is_fired() -> None:
    card = card_for("azure-monitor-service-health")
    assert state(card) == "FIRING"


@pytest.mark.parametrize("stage", ["Resolved", "Complete", "RCA"])
def test_each_closing_service_health_stage_is_resolved(stage: str) -> None:
    data = payload("azure-monitor-service-health")
    data["data"]["alertContext"]["properties"]["stage"] = stage
    assert state(render(TEMPLATE, data)) == "RESOLVED"


def test_a_resource_that_is_available_again_is_resolved() -> None:
    card = card_for("azure-monitor-resource-health-available")
    assert state(card) == "RESOLVED"
    assert fact(card, "Health") == "Unavailable → Available"
    assert state(card_for("azure-monitor-resource-health")) == "FIRING"


def test_a_degraded_resource_is_fired() -> None:
    data = payload("azure-monitor-resource-health-available")
    data["data"]["alertContext"]["properties"]["currentHealthStatus"] = "Degraded"
    assert state(render(TEMPLATE, data)) == "FIRING"


# --- links to the alert and the incident ------------------------------------------------------


def test_every_alert_links_to_itself_in_the_portal() -> None:
    for name in payload_names("azure-monitor-"):
        essentials = payload(name)["data"]["essentials"]
        urls = [url for _label, url in links(card_for(name))]
        if "/Microsoft.AlertsManagement/alerts/" not in essentials["alertId"]:
            continue  # a budget's alert id is Cost Management's, with no alert page
        encoded = essentials["alertId"].replace("/", "%2f")
        assert any(url.endswith(f"/alertId/{encoded}") for url in urls), name


def test_the_built_alert_link_is_the_investigation_link_azure_sends() -> None:
    data = payload("azure-monitor-metric-fired")
    sent = data["data"]["essentials"].pop("investigationLink")
    assert ("Open alert", sent) in links(render(TEMPLATE, data))


def test_a_service_health_alert_links_to_the_incident() -> None:
    # learn.microsoft.com/azure/service-health/service-health-alert-webhook-guide: the tracking
    # id, then the first three and last three characters of the subscription id.
    card = card_for("azure-monitor-service-health")
    assert ("View incident", "https://app.azure.com/h/VT3K-5Q8/5f1e5f") in links(card)
