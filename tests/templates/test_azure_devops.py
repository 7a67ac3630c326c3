"""The azure-devops template with Azure DevOps service hooks (Web Hooks), as they post them.

Every service hook event posts one envelope (learn.microsoft.com/azure/devops/service-hooks/
events): `eventType`, `message` and `detailedMessage` (text, html, markdown: Azure DevOps' own
summary, sent unless the subscription turns messages off), `resource` (the build, run, push,
pull request, work item or deployment) and `createdDate`. The card leads with Azure DevOps' own
message, coloured by the resource's result or state, adds the facts it can read from the
resource, and links the web page the resource carries (the stage, job, release, pull request,
work item or build).
"""

import re
from typing import Any

import pytest

from shared import catalog
from shared.cards.check import check_card
from tests.support.templates import (
    fact,
    fact_titles,
    facts,
    header,
    links,
    payload,
    payload_names,
    render,
    texts,
    title,
)

TEMPLATE = "azure-devops"
ORG = "https://dev.azure.com/contoso"


def card_for(name: str) -> dict[str, Any]:
    return render(TEMPLATE, payload(name))


# A line of Azure DevOps' own summary list ("- **Result:** failed", "* State: New"): the facts
# say each of these, so the card leaves them out. A push's list is its commits: kept.
SUMMARY_LINE = re.compile(r"^[-*] (?!\[)[^\n]{1,37}:")


def as_teams_markdown(text: str, event: str = "", *, keep_summary: bool = False) -> str:
    """Azure DevOps' message text as the card shows it: CRLFs as newlines, HTML lists as
    markdown lists, links as their labels (Teams' dark theme draws link text at 2.6:1; the card's
    action opens the resource instead), without the summary list the facts repeat."""
    for old, new in [
        ("\r\n", "\n"),
        ("\r", ""),
        ("<ul>", ""),
        ("</ul>", ""),
        ("<li>", "\n- "),
        ("</li>", ""),
        ("<div>", ""),
        ("</div>", "\n"),
    ]:
        text = text.replace(old, new)
    if event != "git.push" and not keep_summary:
        text = "\n".join(line for line in text.split("\n") if not SUMMARY_LINE.match(line))
    return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).strip()


@pytest.mark.parametrize("name", payload_names("azure-devops-"))
def test_every_service_hook_event_expands_into_a_card_teams_accepts(name: str) -> None:
    data = payload(name)
    card = render(TEMPLATE, data)
    assert check_card(card, "incoming") == []
    assert f"Azure DevOps · {data['eventType']}" in texts(card)
    shown = as_teams_markdown(data["detailedMessage"]["markdown"], data["eventType"])
    if title(card).endswith(f" {shown}"):
        # What the header's title says already is not said again under it.
        assert shown not in texts(card)
    else:
        assert shown in texts(card)
    assert not any("\r" in text or "<li>" in text or "](" in text for text in texts(card))
    [(label, url)] = links(card)
    assert label == "Open in Azure DevOps"
    assert url.startswith(f"{ORG}/Shop/")


def test_the_sample_data_is_a_completed_build_as_posted() -> None:
    assert catalog.get(TEMPLATE).sample_data == payload("azure-devops-build-complete")


def test_a_failed_build_is_red_with_pipeline_branch_and_who_queued_it() -> None:
    card = card_for("azure-devops-build-complete")
    assert title(card) == "❌ Build 20240501.7 failed"
    assert header(card)["style"] == "attention"
    assert fact(card, "Pipeline") == "web-api CI"
    assert fact(card, "Branch") == "main"
    assert fact(card, "By") == "Adele Vance"
    assert fact(card, "Finished") == "2024-05-01 07:52 UTC"


def test_a_partially_succeeded_build_is_a_warning() -> None:
    data = payload("azure-devops-build-complete")
    data["resource"]["result"] = "partiallySucceeded"
    assert header(render(TEMPLATE, data))["style"] == "warning"


def test_a_yaml_pipeline_run_and_its_stage_are_read_from_run_and_stage() -> None:
    run = card_for("azure-devops-run-state-changed")
    assert title(run) == "✅ Run 20240501.8 succeeded."
    assert fact(run, "Pipeline") == "web-api deploy"
    stage = card_for("azure-devops-stage-state-changed")
    # The stage failed while its run is still in progress: the stage's result is what counts.
    assert header(stage)["style"] == "attention"
    assert fact(stage, "Stage") == "Production"


def test_a_merged_pull_request_names_itself_and_its_branches() -> None:
    card = card_for("azure-devops-pull-request-merged")
    assert header(card)["style"] == "good"
    assert fact(card, "Pull request") == "#418 Split cards over 28 KB between alerts"
    assert fact(card, "Branches") == "split-cards → main"
    assert fact(card, "By") == "Megan Bowen"


def test_a_push_links_the_repository() -> None:
    card = card_for("azure-devops-git-push")
    assert fact(card, "Repository") == "web-api"
    assert links(card) == [("Open in Azure DevOps", f"{ORG}/Shop/_git/web-api")]


def test_a_rejected_deployment_is_red_and_links_the_release() -> None:
    card = card_for("azure-devops-deployment-completed")
    assert header(card)["style"] == "attention"
    assert fact(card, "Environment") == "Production"


def test_a_subscription_without_messages_is_named_by_its_event() -> None:
    # "Messages to send: None" and "Detailed messages to send: None" leave both out.
    data = payload("azure-devops-build-complete")
    del data["message"], data["detailedMessage"]
    card = render(TEMPLATE, data)
    assert title(card) == "❌ build.complete"
    assert fact(card, "Pipeline") == "web-api CI"


def test_a_subscription_with_minimal_resource_details_still_expands() -> None:
    # "Resource details to send: Minimal" sends only the resource's id and url.
    data = payload("azure-devops-run-state-changed")
    data["resource"] = {"id": 4712, "url": f"{ORG}/_apis/build/Builds/4712"}
    card = render(TEMPLATE, data)
    assert check_card(card, "incoming") == []
    assert title(card) == "Run 20240501.8 succeeded."
    assert header(card)["style"] == "emphasis"
    assert fact_titles(card) == []
    assert links(card) == []


# --- links the payload carries ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("azure-devops-stage-state-changed", "stage"),
        ("azure-devops-job-state-changed", "job"),
        ("azure-devops-deployment-started", "environment.release"),
        ("azure-devops-run-stage-approval-pending", "approval"),
    ],
)
def test_the_button_opens_the_page_of_what_the_event_is_about(name: str, url: str) -> None:
    data = payload(name)
    expected = data["resource"]
    for key in url.split("."):
        expected = expected[key]
    assert links(card_for(name)) == [("Open in Azure DevOps", expected["_links"]["web"]["href"])]


def test_a_pull_request_without_a_web_link_opens_the_pull_request_not_the_repository() -> None:
    # The documentation's pull request samples carry no `_links.web`: the page is built from the
    # repository's web address.
    data = payload("azure-devops-pull-request-created")
    assert "_links" not in data["resource"]
    card = card_for("azure-devops-pull-request-created")
    assert links(card) == [("Open in Azure DevOps", f"{ORG}/Shop/_git/web-api/pullrequest/418")]
    commented = card_for("azure-devops-pull-request-commented")
    assert links(commented) == [
        ("Open in Azure DevOps", f"{ORG}/Shop/_git/web-api/pullrequest/418")
    ]


def test_an_updated_work_item_links_the_work_item() -> None:
    card = card_for("azure-devops-work-item-updated")
    assert links(card) == [("Open in Azure DevOps", f"{ORG}/Shop/_workitems/edit/5")]


# --- states -------------------------------------------------------------------------------------


def test_a_created_pull_request_is_not_shown_as_running() -> None:
    card = card_for("azure-devops-pull-request-created")
    assert title(card) == "Megan Bowen created a new pull request"
    assert header(card)["style"] == "emphasis"


def test_an_abandoned_release_is_red() -> None:
    card = card_for("azure-devops-release-abandoned")
    assert title(card) == "❌ Release Release-32 abandoned."
    assert header(card)["style"] == "attention"
    assert fact(card, "Release") == "Release-32"
    assert fact(card, "By") == "Megan Bowen"


def test_a_created_release_is_not_red_or_running() -> None:
    card = card_for("azure-devops-release-created")
    assert header(card)["style"] == "emphasis"
    assert fact(card, "Pipeline") == "web-api release"


def test_a_failed_job_names_its_stage_and_job() -> None:
    card = card_for("azure-devops-job-state-changed")
    assert header(card)["style"] == "attention"
    assert fact(card, "Stage") == "Production"
    assert fact(card, "Job") == "Deploy web-api"


# --- approvals ----------------------------------------------------------------------------------


def test_a_pending_release_approval_shows_status_release_approver_and_requester() -> None:
    card = card_for("azure-devops-deployment-approval-pending")
    assert title(card).startswith("⏳ Pre Deployment approval pending")
    assert header(card)["style"] == "accent"
    assert fact(card, "Approval") == "pending (pre-deployment)"
    assert fact(card, "Release") == "Release-32"
    assert fact(card, "Environment") == "Production"
    assert fact(card, "Approver") == "Lee Gu"
    assert fact(card, "Requested by") == "Adele Vance"
    assert "Approved by" not in fact_titles(card)


def test_a_completed_release_approval_says_who_approved() -> None:
    card = card_for("azure-devops-deployment-approval-completed")
    assert header(card)["style"] == "good"
    assert fact(card, "Approval") == "approved (pre-deployment)"
    # The approver approved: named once.
    assert fact(card, "Approver") == "Lee Gu"
    assert "Approved by" not in fact_titles(card)
    assert fact(card, "Comment") == "Change window confirmed"
    data = payload("azure-devops-deployment-approval-completed")
    data["resource"]["approval"]["approvedBy"]["displayName"] = "Megan Bowen"
    assert fact(render(TEMPLATE, data), "Approved by") == "Megan Bowen"


@pytest.mark.parametrize("name", payload_names("azure-devops-"))
def test_the_summary_list_is_not_followed_by_facts_that_repeat_it(name: str) -> None:
    data = payload(name)
    card = render(TEMPLATE, data)
    detailed = as_teams_markdown(data["detailedMessage"]["markdown"], keep_summary=True)
    summary = [line for line in detailed.split("\n") if SUMMARY_LINE.match(line)]
    shown = "\n".join(texts(card))
    if data["eventType"] == "git.push":
        assert summary == [] or all(line in shown for line in summary)
        return
    # Azure DevOps' "- Key: value" lines are not shown: the facts say them once.
    for line in summary:
        assert line not in shown
    if name in {"azure-devops-build-complete", "azure-devops-work-item-created"}:
        assert len(summary) >= 4  # the test sees the lists it is about
    values = [value for _title, value in facts(card)]
    assert len(values) == len(set(values)), facts(card)


def test_what_only_the_summary_list_said_becomes_a_fact() -> None:
    build = card_for("azure-devops-build-complete")
    assert fact(build, "Duration") == "12 minutes"
    assert fact(card_for("azure-devops-pull-request-merged"), "Merge status") == "succeeded"
    created = card_for("azure-devops-work-item-created")
    assert (fact(created, "Area"), fact(created, "Iteration")) == ("Shop\\Web", "Shop\\Sprint 12")
    assert "Merge status" not in fact_titles(card_for("azure-devops-pull-request-created"))


def test_a_rejected_release_approval_is_red() -> None:
    data = payload("azure-devops-deployment-approval-completed")
    data["resource"]["approval"]["status"] = "rejected"
    assert header(render(TEMPLATE, data))["style"] == "attention"


def test_a_yaml_stage_approval_names_its_approvers() -> None:
    card = card_for("azure-devops-run-stage-approval-pending")
    assert fact(card, "Approval") == "pending"
    assert fact(card, "Approver") == "Lee Gu"
    assert fact(card, "Stage") == "Production"


# --- work items ---------------------------------------------------------------------------------


def test_a_created_work_item_shows_type_state_and_assignee() -> None:
    card = card_for("azure-devops-work-item-created")
    assert fact(card, "Work item") == "Bug #5 Some great new idea!"
    assert fact(card, "State") == "New"
    assert fact(card, "Assigned to") == "Megan Bowen"


def test_an_updated_work_item_shows_the_state_change_without_a_trailing_cr() -> None:
    data = payload("azure-devops-work-item-updated")
    assert data["message"]["text"].endswith("\r\n")
    card = card_for("azure-devops-work-item-updated")
    assert title(card) == "Bug #5 (Some great new idea!) updated by Lee Gu."
    assert fact(card, "Work item") == "Bug #5 Some great new idea!"
    assert fact(card, "State") == "New → Active"
    assert fact(card, "Assigned to") == "Megan Bowen"
    assert fact(card, "By") == "Lee Gu"


def test_an_assignee_given_as_an_identity_is_named() -> None:
    data = payload("azure-devops-work-item-created")
    data["resource"]["fields"]["System.AssignedTo"] = {"displayName": "Lee Gu", "id": "1"}
    assert fact(render(TEMPLATE, data), "Assigned to") == "Lee Gu"


def test_a_work_item_comment_is_shown_as_a_list_not_html() -> None:
    card = card_for("azure-devops-work-item-commented")
    shown = "\n".join(texts(card))
    assert "- Grafana 10.4\n- Alertmanager 0.27" in shown
    assert "<" not in shown
    # The detailed message quotes the comment already: it is not repeated.
    assert shown.count("Reproduced on staging:") == 1


def test_a_pull_request_comment_not_quoted_by_the_message_is_shown() -> None:
    card = card_for("azure-devops-pull-request-commented")
    assert "The split must keep each alert whole.\nSee `splitting.py` line 47." in texts(card)
