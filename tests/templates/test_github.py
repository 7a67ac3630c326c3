"""The github template with GitHub's webhook deliveries, as a repository or organization webhook
posts them (Content type: application/json).

GitHub names the event only in the `X-GitHub-Event` header, which a template cannot see, so the
card tells the events apart by the keys each payload has (docs.github.com, "Webhook events and
payloads"): `workflow_run`, `pusher` + `ref` (push), `pull_request`, `release`, `issue`,
`deployment_status`, `zen` + `hook_id` (the ping sent when a webhook is created). Other events
get a short card naming the repository, the sender and the action.
"""

from typing import Any

import pytest

from shared import catalog
from shared.cards.check import check_card
from tests.support.templates import (
    fact,
    fact_titles,
    links,
    payload,
    payload_names,
    render,
    texts,
    title,
)

TEMPLATE = "github"
REPO = "https://github.com/contoso/web-api"


def card_for(name: str) -> dict[str, Any]:
    return render(TEMPLATE, payload(name))


def banner(card: dict[str, Any]) -> dict[str, Any]:
    """The coloured header: the first element of the event's section (the card's only one)."""
    [section] = card["body"]
    top: dict[str, Any] = section["items"][0]
    assert top["type"] == "Container"
    return top


def status(card: dict[str, Any]) -> str:
    """The bold status word at the right of the header."""
    columns = banner(card)["items"][0]["columns"]
    text: str = columns[1]["items"][0]["text"]
    return text


@pytest.mark.parametrize("name", payload_names("github-"))
def test_every_github_delivery_expands_into_a_card_teams_accepts(name: str) -> None:
    card = card_for(name)
    assert check_card(card, "incoming") == []
    assert "contoso/web-api" in " ".join(texts(card))
    assert ("Repository", REPO) in links(card)


def test_the_sample_data_is_a_workflow_run_as_posted() -> None:
    assert catalog.get(TEMPLATE).sample_data == payload("github-workflow-run-failure")


# --- workflow runs ------------------------------------------------------------------------------


def test_a_failed_workflow_run_is_red_with_branch_commit_and_run_link() -> None:
    card = card_for("github-workflow-run-failure")
    assert title(card) == "CI #412"
    assert status(card) == "❌ FAILURE"
    assert banner(card)["style"] == "attention"
    assert fact(card, "Branch") == "main"
    # The first line of the commit message only.
    assert fact(card, "Commit") == "9f3c2a1 Retry webhook delivery when Teams answers 429"
    assert fact(card, "Author") == "Adele Vance"
    assert fact(card, "Started") == "2024-05-01 07:40 UTC"
    assert links(card)[0] == ("View run", f"{REPO}/actions/runs/8899001122")
    assert "Attempt" not in fact_titles(card)  # a first attempt is not worth a line


def test_a_successful_rerun_is_green_and_shows_its_attempt() -> None:
    card = card_for("github-workflow-run-success")
    assert status(card) == "✅ SUCCESS"
    assert banner(card)["style"] == "good"
    assert fact(card, "Attempt") == "2"
    assert fact(card, "Event") == "pull_request"


def test_a_running_workflow_has_no_conclusion_and_no_head_commit_yet() -> None:
    # While a run is in progress GitHub sends "conclusion": null; here "head_commit" is null too.
    card = card_for("github-workflow-run-in-progress")
    assert status(card) == "⏳ IN PROGRESS"
    assert banner(card)["style"] == "accent"
    assert fact(card, "Commit") == "9f3c2a1"
    assert "Author" not in fact_titles(card)


# --- pushes -------------------------------------------------------------------------------------


def test_a_push_lists_its_commits_with_links_and_authors() -> None:
    data = payload("github-push")
    card = render(TEMPLATE, data)
    assert title(card) == "⬆️ adele-vance pushed 3 commits to main"
    for commit in data["commits"]:
        line = f"[{commit['id'][:7]}]({commit['url']}) "
        assert any(text.startswith(line) for text in texts(card))
    second = data["commits"][1]
    line = f"[{second['id'][:7]}]({second['url']}) Honour Retry-After on 429 — Megan Bowen"
    assert line in texts(card)  # the first line of the message, and the author
    assert ("Compare", data["compare"]) in links(card)


def test_a_push_of_many_commits_shows_ten_and_counts_the_rest() -> None:
    card = card_for("github-push-many-commits")
    assert title(card) == "⬆️ adele-vance pushed 14 commits to main"
    assert sum(text.startswith("[") for text in texts(card)) == 10
    assert "… and 4 more" in texts(card)


def test_each_commit_is_one_repeated_element_so_delivery_can_split_between_commits() -> None:
    data = payload("github-push")
    expansion = catalog.compiled(TEMPLATE).expand_traced(
        data, catalog.host_object(TEMPLATE, "dev"), strict=True
    )
    assert [span.stop - span.start for span in expansion.repeats] == [3]


def test_a_deleted_branch_says_so_and_links_no_comparison() -> None:
    card = card_for("github-push-branch-deleted")
    assert title(card) == "🗑️ adele-vance deleted branch feature/old-retry"
    assert banner(card)["style"] == "warning"
    assert [label for label, _ in links(card)] == ["Repository"]


def test_a_new_tag_is_named_as_a_tag() -> None:
    data = payload("github-push-branch-deleted")
    data.update(ref="refs/tags/v1.4.2", deleted=False, created=True)
    assert title(render(TEMPLATE, data)) == "🆕 adele-vance created tag v1.4.2"


# --- pull requests, releases, issues, deployments -----------------------------------------------


def test_an_opened_pull_request_shows_its_description_branches_and_size() -> None:
    card = card_for("github-pull-request-opened")
    assert title(card) == "🔀 #418 Split cards over 28 KB between alerts"
    assert status(card) == "OPENED"
    assert any(text.startswith("Teams refuses messages over 28 KB.") for text in texts(card))
    assert fact(card, "Author") == "megan-bowen"
    assert fact(card, "Branches") == "split-cards → main"
    assert fact(card, "Changes") == "+214 \N{MINUS SIGN}37 in 6 files"
    assert links(card)[0] == ("View pull request", f"{REPO}/pull/418")


def test_a_merged_pull_request_says_merged_not_closed() -> None:
    # GitHub sends "action": "closed" with "merged": true; the body here is null.
    card = card_for("github-pull-request-merged")
    assert status(card) == "MERGED"
    assert banner(card)["style"] == "accent"
    assert fact(card, "Merged by") == "adele-vance"


def test_a_closed_unmerged_pull_request_is_red() -> None:
    data = payload("github-pull-request-merged")
    data["pull_request"].update(merged=False, merged_by=None)
    card = render(TEMPLATE, data)
    assert status(card) == "CLOSED"
    assert banner(card)["style"] == "attention"
    assert "Merged by" not in fact_titles(card)


def test_a_long_pull_request_description_is_cut() -> None:
    data = payload("github-pull-request-opened")
    data["pull_request"]["body"] = "x" * 5000
    card = render(TEMPLATE, data)
    assert "x" * 400 + "…" in texts(card)


def test_a_release_without_a_name_is_named_by_its_tag() -> None:
    # GitHub sends "name": null when the release title was left empty.
    card = card_for("github-release-published")
    assert title(card) == "🏷️ v1.4.2"
    assert status(card) == "PUBLISHED"
    assert fact(card, "Tag") == "v1.4.2"
    assert links(card)[0] == ("View release", f"{REPO}/releases/tag/v1.4.2")


def test_a_prerelease_is_marked_as_one() -> None:
    data = payload("github-release-published")
    data["release"].update(prerelease=True, name="1.5.0 beta")
    card = render(TEMPLATE, data)
    assert title(card) == "🏷️ 1.5.0 beta"
    assert status(card) == "PUBLISHED · PRE-RELEASE"
    assert banner(card)["style"] == "warning"


def test_an_opened_issue_shows_author_labels_and_assignees() -> None:
    card = card_for("github-issues-opened")
    assert title(card) == "📝 #421 Alerts from Grafana have no dashboard link"
    assert fact(card, "Labels") == "bug, alerts"
    assert fact(card, "Assignees") == "adele-vance"
    assert links(card)[0] == ("View issue", f"{REPO}/issues/421")


def test_a_failed_deployment_links_its_logs() -> None:
    card = card_for("github-deployment-status-failure")
    assert title(card) == "🚀 production"
    assert status(card) == "FAILURE"
    assert banner(card)["style"] == "attention"
    assert "Health check failed after swap" in texts(card)
    assert fact(card, "Ref") == "v1.4.2"
    assert links(card)[0] == ("View logs", f"{REPO}/actions/runs/8899001199")


# --- the ping and other events ------------------------------------------------------------------


def test_the_ping_confirms_the_webhook_without_showing_its_url() -> None:
    # The ping carries the webhook's own configuration, whose URL holds the function key.
    data = payload("github-ping")
    card = render(TEMPLATE, data)
    assert title(card) == "🔗 GitHub webhook connected"
    assert fact(card, "Events") == "workflow_run, pull_request, release"
    assert data["hook"]["config"]["url"] not in str(card)


def test_an_event_without_a_layout_still_names_repository_sender_and_action() -> None:
    card = card_for("github-star")
    assert title(card) == "🔔 GitHub event · created"
    assert "contoso/web-api · megan-bowen" in texts(card)


def test_a_comment_on_a_pull_request_is_not_shown_as_the_pull_request_itself() -> None:
    data = payload("github-pull-request-opened")
    data["action"] = "created"
    data["comment"] = {"body": "LGTM", "user": {"login": "adele-vance"}}
    assert title(render(TEMPLATE, data)) == "🔔 GitHub event · created"
