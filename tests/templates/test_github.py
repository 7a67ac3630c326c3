"""The github template with GitHub's webhook deliveries, as a repository or organization webhook
posts them (Content type: application/json).

GitHub names the event only in the `X-GitHub-Event` header (docs.github.com, "Webhook events and
payloads"), which the template reads as `$host.headers['X-GitHub-Event']`: each common event has
its own card about the object it concerns, with a link to it. Other events get a card naming the
event and linking the object when the payload has one. Without the header (a delivery replayed by
hand, the Designer) the card guesses the event from the keys the payload has.
"""

from typing import Any

import pytest

from shared import catalog
from shared.cards.check import check_card
from tests.support.templates import (
    delivery_headers,
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
    """The card for fixture `name`, with the headers GitHub sends it with."""
    return render(TEMPLATE, payload(name), headers=delivery_headers(name))


def card_as(event: str, data: Any) -> dict[str, Any]:
    return render(TEMPLATE, data, headers={"X-GitHub-Event": event})


def banner(card: dict[str, Any]) -> dict[str, Any]:
    """The coloured header: the first element of the event's section (the card's only one)."""
    [section] = card["body"]
    top: dict[str, Any] = section["items"][0]
    assert top["type"] == "Container"
    return top


def status(card: dict[str, Any]) -> str:
    """The bold status word at the right of the header, in the text colour: the header's style
    carries the colour (coloured words on it read at 1.2 to 3.6:1, issue 16)."""
    columns = banner(card)["items"][0]["columns"]
    word: dict[str, Any] = columns[1]["items"][0]
    assert "color" not in word, word
    assert word.get("weight") == "Bolder", word
    text: str = word["text"]
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
    assert status(card) == "❌ FAILED"
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
    assert status(card) == "✅ SUCCEEDED"
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
    card = card_as("push", data)
    assert title(card) == "⬆️ adele-vance pushed 3 commits to main"
    # Each commit's line opens the commit (a select action): a markdown link's colour reads at
    # 2.6:1 in Teams' dark theme (issue 16).
    for commit in data["commits"]:
        assert any(text.startswith(f"{commit['id'][:7]} ") for text in texts(card))
        assert (f"Commit {commit['id'][:7]}", commit["url"]) in links(card)
    second = data["commits"][1]
    line = f"{second['id'][:7]} Honour Retry-After on 429 — Megan Bowen"
    assert line in texts(card)  # the first line of the message, and the author
    assert not any("](" in text for text in texts(card))
    assert ("Compare", data["compare"]) in links(card)


def test_a_push_of_many_commits_shows_ten_and_counts_the_rest() -> None:
    card = card_for("github-push-many-commits")
    assert title(card) == "⬆️ adele-vance pushed 14 commits to main"
    assert sum(title.startswith("Commit ") for title, _url in links(card)) == 10
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
    assert title(card_as("push", data)) == "🆕 adele-vance created tag v1.4.2"


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
    card = card_as("pull_request", data)
    assert status(card) == "CLOSED"
    assert banner(card)["style"] == "attention"
    assert "Merged by" not in fact_titles(card)


def test_a_long_pull_request_description_is_cut() -> None:
    data = payload("github-pull-request-opened")
    data["pull_request"]["body"] = "x" * 5000
    card = card_as("pull_request", data)
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
    card = card_as("release", data)
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
    assert status(card) == "FAILED"
    assert banner(card)["style"] == "attention"
    assert "Health check failed after swap" in texts(card)
    assert fact(card, "Ref") == "v1.4.2"
    assert links(card)[0] == ("View logs", f"{REPO}/actions/runs/8899001199")


# --- the ping and other events ------------------------------------------------------------------


def test_the_ping_confirms_the_webhook_without_showing_its_url() -> None:
    # The ping carries the webhook's own configuration, whose URL holds the function key.
    data = payload("github-ping")
    card = card_as("ping", data)
    assert title(card) == "🔗 GitHub webhook connected"
    assert fact(card, "Events") == "workflow_run, pull_request, release"
    assert data["hook"]["config"]["url"] not in str(card)


def test_the_ping_says_where_the_webhook_is_installed() -> None:
    headers = {"X-GitHub-Event": "ping", "X-GitHub-Hook-Installation-Target-Type": "organization"}
    card = render(TEMPLATE, payload("github-ping"), headers=headers)
    assert fact(card, "Webhook on") == "organization"


# --- the event header decides -------------------------------------------------------------------


def test_the_event_header_wins_over_the_payloads_shape() -> None:
    # A deployment_status delivery also carries `deployment` and here a `workflow_run`: it is one
    # card about the deployment's status, not a workflow run as well.
    data = payload("github-deployment-status-failure")
    data["workflow_run"] = payload("github-workflow-run-failure")["workflow_run"]
    card = card_as("deployment_status", data)
    assert title(card) == "🚀 production"
    assert not any(text.startswith("CI #") for text in texts(card))


def test_a_deployment_is_not_shown_as_the_workflow_run_it_carries() -> None:
    card = card_for("github-deployment-created")
    assert title(card) == "🚀 Deploying v1.4.2 to production"
    assert fact(card, "Environment") == "production"
    assert fact(card, "Workflow") == "Deploy #77"
    assert links(card)[0] == ("View run", f"{REPO}/actions/runs/8899001199")


def test_a_requested_deployment_review_names_the_environment_and_who_must_approve() -> None:
    card = card_for("github-deployment-review-requested")
    assert title(card) == "🛡️ Approval needed to deploy to production"
    assert status(card) == "REQUESTED"
    assert banner(card)["style"] == "warning"
    assert fact(card, "Must approve") == "megan-bowen, team Release managers"
    assert fact(card, "Requested by") == "adele-vance"
    assert fact(card, "Job") == "deploy-production"
    assert links(card)[0] == ("Review deployment", f"{REPO}/actions/runs/8899001199")


@pytest.mark.parametrize(
    ("name", "verdict", "style", "who"),
    [
        ("github-deployment-review-approved", "approved", "good", "Approved by"),
        ("github-deployment-review-rejected", "rejected", "attention", "Rejected by"),
    ],
)
def test_an_answered_deployment_review_says_who_decided_and_why(
    name: str, verdict: str, style: str, who: str
) -> None:
    data = payload(name)
    card = card_for(name)
    assert title(card).endswith(f"Deployment to production {verdict}")
    assert banner(card)["style"] == style
    assert fact(card, who) == "megan-bowen"
    assert data["comment"] in texts(card)
    assert "Must approve" not in fact_titles(card)


def test_a_pull_request_review_thread_is_resolved_not_the_pull_request() -> None:
    card = card_for("github-pull-request-review-thread-resolved")
    assert title(card) == "🧵 Review thread on #418 Split cards over 28 KB between alerts"
    assert status(card) == "RESOLVED"
    assert fact(card, "File") == "shared/teams/splitting.py"
    assert links(card)[0] == ("View thread", f"{REPO}/pull/418#discussion_r1588001122")


# --- comments and reviews -----------------------------------------------------------------------


def test_a_comment_on_an_issue_shows_the_issue_and_an_excerpt_and_links_the_comment() -> None:
    data = payload("github-issue-comment-on-issue")
    card = card_for("github-issue-comment-on-issue")
    assert title(card) == "💬 Comment on issue #421 Alerts from Grafana have no dashboard link"
    assert fact(card, "By") == "lee-gu"
    body = data["comment"]["body"]
    assert len(body) > 400
    assert body[:400] + "…" in texts(card)
    assert links(card)[0] == ("View comment", data["comment"]["html_url"])


def test_a_comment_on_a_pull_request_names_the_pull_request() -> None:
    card = card_for("github-issue-comment-on-pull-request")
    assert title(card) == "💬 Comment on pull request #418 Split cards over 28 KB between alerts"
    assert "Rebased on main; the 28 KB test passes now." in texts(card)
    assert ("View pull request", f"{REPO}/pull/418") in links(card)


def test_a_deleted_comment_is_not_linked() -> None:
    data = payload("github-issue-comment-on-issue")
    data["action"] = "deleted"
    card = card_as("issue_comment", data)
    assert status(card) == "DELETED"
    assert "View comment" not in [label for label, _ in links(card)]


@pytest.mark.parametrize(
    ("name", "word", "style", "icon"),
    [
        ("github-pull-request-review-approved", "APPROVED", "good", "✅"),
        ("github-pull-request-review-changes-requested", "CHANGES REQUESTED", "attention", "✋"),
    ],
)
def test_a_pull_request_review_shows_its_verdict_reviewer_and_link(
    name: str, word: str, style: str, icon: str
) -> None:
    data = payload(name)
    card = card_for(name)
    assert title(card) == f"{icon} Review on #418 Split cards over 28 KB between alerts"
    assert status(card) == word
    assert banner(card)["style"] == style
    assert fact(card, "Reviewer") == data["review"]["user"]["login"]
    assert data["review"]["body"] in texts(card)
    assert links(card)[0] == ("View review", data["review"]["html_url"])


def test_a_review_comment_shows_the_file_and_line() -> None:
    card = card_for("github-pull-request-review-comment-created")
    assert fact(card, "File") == "shared/teams/splitting.py line 47"
    assert links(card)[0] == ("View comment", f"{REPO}/pull/418#discussion_r1588001122")


# --- what an action changed ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "word", "fact_title", "value"),
    [
        ("github-pull-request-labeled", "LABELED", "Label", "needs-review"),
        ("github-pull-request-assigned", "ASSIGNED", "Assignee", "megan-bowen"),
        ("github-pull-request-review-requested", "REVIEW REQUESTED", "Reviewer", "lee-gu"),
        ("github-issues-labeled", "LABELED", "Label", "bug"),
        ("github-issues-assigned", "ASSIGNED", "Assignee", "adele-vance"),
    ],
)
def test_labeled_assigned_and_review_requested_say_who_or_what(
    name: str, word: str, fact_title: str, value: str
) -> None:
    card = card_for(name)
    assert status(card) == word
    assert fact(card, fact_title) == value


def test_a_draft_pull_request_that_gets_a_label_says_labeled() -> None:
    data = payload("github-pull-request-labeled")
    data["pull_request"]["draft"] = True
    assert status(card_as("pull_request", data)) == "LABELED"


def test_a_team_asked_for_review_is_named_as_a_team() -> None:
    data = payload("github-pull-request-review-requested")
    del data["requested_reviewer"]
    data["requested_team"] = {"name": "Reviewers", "slug": "reviewers"}
    assert fact(card_as("pull_request", data), "Reviewer") == "team Reviewers"


# --- checks and statuses ------------------------------------------------------------------------


def test_a_failed_check_run_is_red_with_its_app_and_link() -> None:
    card = card_for("github-check-run-failure")
    assert title(card) == "☑️ lint"
    assert status(card) == "❌ FAILED"
    assert banner(card)["style"] == "attention"
    assert fact(card, "App") == "GitHub Actions"
    assert links(card)[0] == ("View check", f"{REPO}/runs/24123456789")


def test_a_check_suite_links_its_commit() -> None:
    card = card_for("github-check-suite-success")
    assert status(card) == "✅ SUCCEEDED"
    sha = payload("github-check-suite-success")["check_suite"]["head_sha"]
    assert links(card)[0] == ("View commit", f"{REPO}/commit/{sha}")


def test_a_failed_workflow_job_names_workflow_and_job_and_links_the_job() -> None:
    card = card_for("github-workflow-job-failure")
    assert title(card) == "⚙️ CI · test (3.11)"
    assert status(card) == "❌ FAILED"
    assert fact(card, "Runner") == "GitHub Actions 12"
    assert links(card)[0] == ("View job", f"{REPO}/actions/runs/8899001122/job/24123456790")


def test_a_queued_workflow_job_is_running_blue() -> None:
    data = payload("github-workflow-job-failure")
    data["workflow_job"].update(status="queued", conclusion=None)
    card = card_as("workflow_job", data)
    assert status(card) == "⏳ QUEUED"
    assert banner(card)["style"] == "accent"


def test_a_commit_status_shows_state_context_and_both_links() -> None:
    card = card_for("github-status-failure")
    assert title(card) == "🔎 ci/jenkins"
    assert status(card) == "❌ FAILED"
    assert "Build #1871 failed in 4 min" in texts(card)
    assert fact(card, "Branches") == "main"
    assert links(card)[:2] == [
        ("View details", "https://ci.contoso.com/builds/1871"),
        ("View commit", f"{REPO}/commit/9f3c2a1b7d4e5f60718293a4b5c6d7e8f9012345"),
    ]


# --- branches, tags, forks, stars, releases -----------------------------------------------------


def test_a_created_branch_is_named_and_linked() -> None:
    card = card_for("github-create-branch")
    assert title(card) == "🆕 New branch feature/split-cards"
    assert links(card)[0] == ("View branch", f"{REPO}/tree/feature/split-cards")


def test_a_deleted_tag_is_named_and_not_linked() -> None:
    card = card_for("github-delete-tag")
    assert title(card) == "🗑️ Deleted tag v1.4.1-rc1"
    assert [label for label, _ in links(card)] == ["Repository"]


def test_a_fork_links_the_fork() -> None:
    card = card_for("github-fork")
    assert title(card) == "🍴 Forked to lee-gu/web-api"
    assert fact(card, "Forks") == "4"
    assert links(card)[0] == ("View fork", "https://github.com/lee-gu/web-api")


def test_a_star_says_who_starred_and_links_the_stargazers() -> None:
    card = card_for("github-star")
    assert title(card) == "⭐ megan-bowen starred the repository"
    assert links(card)[0] == ("Stargazers", f"{REPO}/stargazers")


def test_a_removed_star_says_so() -> None:
    data = payload("github-star")
    data["action"] = "deleted"
    assert title(card_as("star", data)) == "☆ megan-bowen removed their star"


def test_a_deleted_release_does_not_link_the_release_it_deleted() -> None:
    card = card_for("github-release-deleted")
    assert status(card) == "DELETED"
    assert banner(card)["style"] == "attention"
    urls = [url for _label, url in links(card)]
    assert f"{REPO}/releases/tag/v1.4.2" not in urls
    assert urls[0] == f"{REPO}/releases"


# --- any other event ----------------------------------------------------------------------------


def test_another_event_is_named_with_its_action_and_links_its_object() -> None:
    card = card_for("github-discussion-created")
    assert title(card) == "🔔 discussion · created"
    assert "How do I send one card to two channels?" in texts(card)
    assert links(card)[0] == ("Open on GitHub", f"{REPO}/discussions/12")


def test_another_event_without_a_web_page_links_only_the_repository() -> None:
    card = card_for("github-label-created")
    assert title(card) == "🔔 label · created"
    assert "needs-review" in texts(card)
    assert [label for label, _ in links(card)] == ["Repository"]


def test_an_event_without_an_action_is_still_named() -> None:
    data = {"repository": payload("github-star")["repository"], "sender": {"login": "lee-gu"}}
    card = card_as("public", data)
    assert title(card) == "🔔 public"
    assert "contoso/web-api · lee-gu" in texts(card)


def test_a_comment_event_without_a_layout_links_the_comment() -> None:
    data = payload("github-issue-comment-on-issue")
    data["comment"]["html_url"] = f"{REPO}/commit/9f3c2a1#commitcomment-77"
    del data["issue"]
    card = card_as("commit_comment", data)
    assert title(card) == "🔔 commit comment · created"
    assert links(card)[0] == ("Open on GitHub", f"{REPO}/commit/9f3c2a1#commitcomment-77")


# --- without the header -------------------------------------------------------------------------


def test_without_the_header_the_event_is_guessed_from_the_payload() -> None:
    assert title(render(TEMPLATE, payload("github-workflow-run-failure"))) == "CI #412"
    assert title(render(TEMPLATE, payload("github-issues-opened"))).startswith("📝 #421")
    review = render(TEMPLATE, payload("github-pull-request-review-approved"))
    assert title(review).startswith("✅ Review on #418")


def test_without_the_header_an_unknown_shape_gets_the_generic_card() -> None:
    card = render(TEMPLATE, payload("github-star"))
    assert title(card) == "🔔 GitHub event · created"
    assert "contoso/web-api · megan-bowen" in texts(card)


def test_the_event_header_is_read_whatever_its_case() -> None:
    card = render(TEMPLATE, payload("github-star"), headers={"x-github-event": "star"})
    assert title(card) == "⭐ megan-bowen starred the repository"


@pytest.mark.parametrize("name", payload_names("github-"))
def test_every_fixture_is_posted_with_its_event_header(name: str) -> None:
    assert "X-GitHub-Event" in delivery_headers(name)


@pytest.mark.parametrize(
    "event", ["", "fork|star", "__proto__", "constructor", "it's", "x" * 200, "PUSH"]
)
def test_any_event_header_value_gives_one_card_teams_accepts(event: str) -> None:
    card = card_as(event, payload("github-star"))
    assert check_card(card, "incoming") == []
    assert len(card["body"]) == 1
    assert title(card)
    assert "contoso/web-api · megan-bowen" in texts(card)


def test_the_event_name_is_read_without_regard_to_case() -> None:
    assert title(card_as("PUSH", payload("github-push"))).startswith("⬆️ adele-vance pushed")


@pytest.mark.parametrize("event", ["push", "issues", "release", "fork", "status", "workflow_job"])
def test_a_header_naming_an_event_the_payload_is_not_gets_the_generic_card(event: str) -> None:
    card = card_as(event, payload("github-star"))
    assert title(card) == f"🔔 {event.replace('_', ' ')} · created"


def test_a_repository_event_links_the_repository_once() -> None:
    data = {**payload("github-star"), "action": "publicized"}
    card = card_as("repository", data)
    assert title(card) == "🔔 repository · publicized"
    assert [label for label, _ in links(card)] == ["Repository"]
