"""The azure-devops template with Azure DevOps service hooks (Web Hooks), as they post them.

Every service hook event posts one envelope (learn.microsoft.com/azure/devops/service-hooks/
events): `eventType`, `message` and `detailedMessage` (text, html, markdown: Azure DevOps' own
summary, sent unless the subscription turns messages off), `resource` (the build, run, push,
pull request, work item or deployment) and `createdDate`. The card leads with Azure DevOps' own
message, coloured by the resource's result, and adds the facts it can read from the resource.
"""

from typing import Any

import pytest

from shared import catalog
from shared.cards.check import check_card
from tests.support.templates import (
    fact,
    fact_titles,
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


@pytest.mark.parametrize("name", payload_names("azure-devops-"))
def test_every_service_hook_event_expands_into_a_card_teams_accepts(name: str) -> None:
    data = payload(name)
    card = render(TEMPLATE, data)
    assert check_card(card, "incoming") == []
    assert f"Azure DevOps · {data['eventType']}" in texts(card)
    assert data["detailedMessage"]["markdown"] in texts(card)
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
