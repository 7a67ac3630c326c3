"""The settings cross-check: the Bicep sets every production app setting the code reads, and the
code (or the platform) reads every setting the Bicep sets.

The code's settings come from the code (every app_setting_names() in the shared package and the
`enabled_by` of every entry in shared/schedules.json); the Bicep's from the parsed Bicep
(tests/support/infra/bicep.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.infra.bicep import INFRA, MAIN, parse_infra, site_app_settings
from tests.support.infra.settings_crosscheck import (
    CodeSetting,
    compare,
    settings_from_code,
    settings_from_schedules,
)

# Settings the Bicep sets ahead of the code's listing of them. Each entry says what is missing; the
# test below fails as soon as an entry is no longer needed, so this list only ever shrinks.
PENDING_IN_CODE: dict[str, str] = {}


def _code_settings() -> list[CodeSetting]:
    return settings_from_code() + settings_from_schedules()


def _problem_names(problems: list[str]) -> set[str]:
    return {problem.split(":", 1)[0] for problem in problems}


def _edited_copy(tmp_path: Path, edit: Callable[[str], str]) -> set[str]:
    """The app settings of a copy of infra/ whose main.bicep went through `edit`."""
    copy = tmp_path / "infra"
    shutil.copytree(INFRA, copy)
    main = copy / MAIN
    original = main.read_text()
    edited = edit(original)
    assert edited != original, "the edit changed nothing"
    main.write_text(edited)
    return site_app_settings(parse_infra(copy))


def _remove_setting(text: str, name: str) -> str:
    """main.bicep without the `{ name: 'NAME' value: ... }` entry of a setting array."""
    start = text.index(f"name: '{name}'")
    open_brace = text.rindex("{", 0, start)
    close_brace = text.index("}", start)
    return text[:open_brace] + text[close_brace + 1 :].lstrip("\n")


def _add_setting(text: str, name: str) -> str:
    anchor = "var budgetSettings = [\n"
    entry = f"  {{\n    name: '{name}'\n    value: 'x'\n  }}\n"
    return text.replace(anchor, anchor + entry)


def test_every_setting_the_code_reads_is_set_by_the_bicep() -> None:
    problems = compare(_code_settings(), site_app_settings(parse_infra()))
    missing = [problem for problem in problems if "not set by the Bicep" in problem]
    assert not missing


def test_every_setting_the_bicep_sets_is_read_by_the_code() -> None:
    problems = compare(_code_settings(), site_app_settings(parse_infra()))
    unread = [problem for problem in problems if "read by nothing" in problem]
    # Exactly the pending ones: a new unread setting fails here, and so does a pending entry that
    # the code now lists (remove it from PENDING_IN_CODE).
    assert _problem_names(unread) == set(PENDING_IN_CODE), "\n".join(unread)


def test_no_development_only_setting_is_set_by_the_bicep() -> None:
    problems = compare(_code_settings(), site_app_settings(parse_infra()))
    assert not [problem for problem in problems if "development-only" in problem]


def test_the_code_declares_a_development_only_setting_the_check_can_see() -> None:
    # TEAMS_ALLOW_HOSTS lets tests reach loopback stand-ins (issue 3); the model marks it so.
    development = {s.name for s in settings_from_code() if not s.production}
    assert "TEAMS_ALLOW_HOSTS" in development


def test_schedule_switches_in_the_bicep_are_the_enabled_by_settings_of_the_schedules() -> None:
    main = parse_infra()[MAIN]
    switches = main["variables"]["scheduleSwitches"]["value"]
    assert sorted(switches) == [s.name for s in settings_from_schedules()]


def test_a_setting_missing_from_the_bicep_fails_the_check(tmp_path: Path) -> None:
    settings = _edited_copy(
        tmp_path, lambda text: _remove_setting(text, "TEAMS_DELIVERY_BUDGET_SECONDS")
    )
    assert "TEAMS_DELIVERY_BUDGET_SECONDS" not in settings
    problems = compare(_code_settings(), settings)
    assert any(
        problem.startswith("TEAMS_DELIVERY_BUDGET_SECONDS: read by the code")
        for problem in problems
    ), problems


def test_a_channel_family_missing_from_the_bicep_fails_the_check(tmp_path: Path) -> None:
    settings = _edited_copy(
        tmp_path,
        lambda text: text.replace(
            "var appSettings = concat(webhookSettings, ", "var appSettings = concat("
        ),
    )
    problems = compare(_code_settings(), settings)
    assert any(problem.startswith("TEAMS_WEBHOOK_<NAME>: read by the code") for problem in problems)


def test_a_setting_the_code_does_not_read_fails_the_check(tmp_path: Path) -> None:
    settings = _edited_copy(tmp_path, lambda text: _add_setting(text, "TEAMS_RETRY_BUDGET_SECONDS"))
    problems = compare(_code_settings(), settings)
    assert (
        "TEAMS_RETRY_BUDGET_SECONDS: set by the Bicep, read by nothing in the code or the platform"
        in problems
    )


def test_a_development_only_setting_in_the_bicep_fails_the_check(tmp_path: Path) -> None:
    settings = _edited_copy(tmp_path, lambda text: _add_setting(text, "TEAMS_ALLOW_HOSTS"))
    problems = compare(_code_settings(), settings)
    assert any(problem.startswith("TEAMS_ALLOW_HOSTS: development-only") for problem in problems)


def test_a_schedule_switch_missing_from_the_bicep_fails_the_check() -> None:
    code = [CodeSetting("DIGEST_ENABLED", "shared/schedules.json enabled_by")]
    assert compare(code, set()) == [
        "DIGEST_ENABLED: read by the code (shared/schedules.json enabled_by), not set by the Bicep"
    ]


@pytest.mark.parametrize(
    ("code_name", "bicep_name", "expected"),
    [
        ("TEAMS_WEBHOOK_<NAME>", "TEAMS_WEBHOOK_<NAME>", True),
        ("TEAMS_WEBHOOK_<NAME>", "TEAMS_WEBHOOK_DEVOPS_ALERTS", True),
        ("TEAMS_WEBHOOK_<NAME>", "TEAMS_OUTGOING_TOKEN_<NAME>", False),
        ("TEAMS_WEBHOOK_<NAME>", "TEAMS_WEBHOOK_", False),
        ("AzureWebJobsStorage", "AzureWebJobsStorage__accountName", True),
        ("AzureWebJobsStorage", "AzureWebJobsStorageX", False),
        ("TEAMS_DEFAULT_CHANNEL", "TEAMS_DEFAULT_CHANNEL", True),
        ("TEAMS_DEFAULT_CHANNEL", "TEAMS_DEFAULT_CHANNELS", False),
    ],
)
def test_how_a_code_setting_matches_a_bicep_setting(
    code_name: str, bicep_name: str, expected: bool
) -> None:
    # A fixed connection name also covers the identity-based form the Functions host reads
    # (AzureWebJobsStorage__accountName); a <NAME> pattern covers its concrete settings.
    assert CodeSetting(code_name, "test").matches(bicep_name) is expected


@pytest.mark.parametrize("name", ["devops-alerts", "ops", "team-a-2"])
def test_channel_setting_and_secret_names_agree_with_the_code(name: str) -> None:
    from shared.config.settings import key_vault_secret_name, setting_for_channel

    # The Bicep computes TEAMS_WEBHOOK_${toUpper(replace(name, '-', '_'))} and teams-webhook-${name}
    # (asserted in tests/infra/test_bicep.py); here the same functions, in Python, against the
    # code's own.
    assert setting_for_channel(name) == "TEAMS_WEBHOOK_" + name.replace("-", "_").upper()
    assert key_vault_secret_name(name) == "teams-webhook-" + name


@pytest.mark.parametrize("name", ["team-a", "ops"])
def test_outgoing_token_setting_names_agree_with_the_code(name: str) -> None:
    from shared.outgoing.config import SEND_PREFIX, TOKEN_PREFIX, setting_for

    assert (
        setting_for(TOKEN_PREFIX, name) == "TEAMS_OUTGOING_TOKEN_" + name.replace("-", "_").upper()
    )
    assert setting_for(SEND_PREFIX, name) == "TEAMS_OUTGOING_SEND_" + name.replace("-", "_").upper()


def test_bicep_defaults_equal_the_code_defaults() -> None:
    # A different default in Azure than in `make run` would change behaviour only after deploying.
    from shared.config.settings import Settings
    from shared.outgoing.config import (
        DEFAULT_DEADLINE_SECONDS,
        DEFAULT_REPLAY_WINDOW_SECONDS,
    )

    parameters = parse_infra()[MAIN]["parameters"]
    fields = Settings.model_fields
    assert parameters["deliveryBudgetSeconds"]["default"] == fields["delivery_budget"].default
    assert parameters["redeliveryBudgetSeconds"]["default"] == fields["redelivery_budget"].default
    assert parameters["outgoingDeadlineSeconds"]["default"] == DEFAULT_DEADLINE_SECONDS
    assert parameters["outgoingReplayWindowSeconds"]["default"] == DEFAULT_REPLAY_WINDOW_SECONDS
