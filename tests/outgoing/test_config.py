"""Outgoing Webhook settings: one token per webhook, `TEAMS_OUTGOING_TOKEN_<NAME>`; a broken one
disables only its own webhook and is reported naming the setting, never the value."""

import base64

import pytest

from devtools.outgoing import DEV_TOKEN, OPS_TOKEN
from shared.config.once import reset_configuration
from shared.config.settings import ConfigProblem
from shared.outgoing import config
from shared.outgoing.config import load_config, setting_for


def test_each_token_setting_defines_a_webhook_with_its_decoded_key() -> None:
    loaded = load_config(
        {"TEAMS_OUTGOING_TOKEN_OPS": OPS_TOKEN, "TEAMS_OUTGOING_TOKEN_DEV_TEAM": DEV_TOKEN}
    )
    assert sorted(loaded.webhooks) == ["dev-team", "ops"]
    assert loaded.webhooks["dev-team"].key == base64.b64decode(DEV_TOKEN)
    assert loaded.problems == ()


def test_the_setting_of_a_name_is_upper_case_with_underscores() -> None:
    assert setting_for(config.TOKEN_PREFIX, "dev-team-2") == "TEAMS_OUTGOING_TOKEN_DEV_TEAM_2"


def test_the_key_never_shows_in_the_webhook_repr() -> None:
    loaded = load_config({"TEAMS_OUTGOING_TOKEN_OPS": OPS_TOKEN})
    assert repr(base64.b64decode(OPS_TOKEN)) not in repr(loaded)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("this is not base64", "not valid base64"),
        ("", "is empty"),
        ("   ", "is empty"),
        (
            "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/teams-outgoing-token-ops)",
            "Key Vault reference that did not resolve",
        ),
        (
            "@microsoft.keyvault(VaultName=kv;SecretName=teams-outgoing-token-ops)",
            "Key Vault reference that did not resolve",
        ),
    ],
)
def test_a_broken_token_disables_only_its_webhook(value: str, says: str) -> None:
    loaded = load_config({"TEAMS_OUTGOING_TOKEN_OPS": value, "TEAMS_OUTGOING_TOKEN_DEV": DEV_TOKEN})
    assert list(loaded.webhooks) == ["dev"]
    assert loaded.disabled == {"ops": "TEAMS_OUTGOING_TOKEN_OPS"}
    [problem] = loaded.problems
    assert problem.setting == "TEAMS_OUTGOING_TOKEN_OPS"
    assert says in problem.message
    assert "'ops' is disabled" in problem.message
    if value.strip():
        assert value not in problem.message


def test_a_setting_name_that_is_no_webhook_name_is_a_problem() -> None:
    loaded = load_config(
        {"TEAMS_OUTGOING_TOKEN_OPS__X": OPS_TOKEN, "TEAMS_OUTGOING_TOKEN_": OPS_TOKEN}
    )
    assert loaded.webhooks == {}
    assert [p.setting for p in loaded.problems] == [
        "TEAMS_OUTGOING_TOKEN_",
        "TEAMS_OUTGOING_TOKEN_OPS__X",
    ]


CHANNELS = {
    "TEAMS_WEBHOOK_OPS_ALERTS": "https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d",
    "TEAMS_WEBHOOK_DEV": "file://./outbox",
}


def test_send_channels_are_read_per_webhook_in_any_case() -> None:
    loaded = load_config(
        {
            "TEAMS_OUTGOING_TOKEN_OPS": OPS_TOKEN,
            "TEAMS_OUTGOING_SEND_OPS": " Ops-Alerts, dev ,,ops-alerts",
            "TEAMS_OUTGOING_TOKEN_DEV": DEV_TOKEN,
        }
        | CHANNELS
    )
    assert loaded.webhooks["ops"].send_channels == ("ops-alerts", "dev")
    assert loaded.webhooks["dev"].send_channels is None
    assert loaded.problems == ()


def test_send_setting_without_its_token_is_a_problem() -> None:
    loaded = load_config({"TEAMS_OUTGOING_SEND_QA": "ops"})
    assert loaded.problems == (
        ConfigProblem(
            "TEAMS_OUTGOING_SEND_QA", "has no matching TEAMS_OUTGOING_TOKEN_QA; it is ignored"
        ),
    )


def test_an_invalid_channel_name_in_send_is_a_problem_and_skipped() -> None:
    loaded = load_config(
        {"TEAMS_OUTGOING_TOKEN_OPS": OPS_TOKEN, "TEAMS_OUTGOING_SEND_OPS": "dev, https://x.example"}
        | CHANNELS
    )
    assert loaded.webhooks["ops"].send_channels == ("dev",)
    [problem] = loaded.problems
    assert problem.setting == "TEAMS_OUTGOING_SEND_OPS"
    assert "https://x.example" not in problem.message


def test_numeric_settings_have_defaults() -> None:
    loaded = load_config({})
    assert loaded.replay_window_seconds == 300
    assert loaded.deadline_seconds == 4


def test_numeric_settings_are_read() -> None:
    loaded = load_config(
        {"TEAMS_OUTGOING_REPLAY_WINDOW_SECONDS": "120", "TEAMS_OUTGOING_DEADLINE_SECONDS": "2.5"}
    )
    assert (loaded.replay_window_seconds, loaded.deadline_seconds) == (120, 2.5)


@pytest.mark.parametrize("value", ["soon", "0", "-1", "nan", "inf", "5"])
def test_a_deadline_beyond_teams_five_seconds_or_not_a_number_falls_back(value: str) -> None:
    # Teams waits five seconds for the answer (docs/teams-protocol.md#outgoing-webhook-deadline), so
    # the command budget must be less.
    loaded = load_config({"TEAMS_OUTGOING_DEADLINE_SECONDS": value})
    assert loaded.deadline_seconds == 4
    [problem] = loaded.problems
    assert problem.setting == "TEAMS_OUTGOING_DEADLINE_SECONDS"
    assert "using the default 4" in problem.message


def test_config_problems_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAMS_OUTGOING_TOKEN_BROKEN", "%%%")
    reset_configuration()
    try:
        assert [p.setting for p in config.config_problems()] == ["TEAMS_OUTGOING_TOKEN_BROKEN"]
    finally:
        reset_configuration()


def test_every_setting_read_is_listed_for_the_infra_cross_check() -> None:
    read = [
        "TEAMS_OUTGOING_TOKEN_OPS_TEAM",
        "TEAMS_OUTGOING_SEND_OPS_TEAM",
        config.REPLAY_WINDOW_SETTING,
        config.DEADLINE_SETTING,
    ]
    listed = config.app_setting_names()
    for setting in read:
        assert any(entry.regex.fullmatch(setting) for entry in listed), setting
    assert not any(entry.regex.fullmatch("TEAMS_OUTGOING_TOKEN_") for entry in listed)


def test_a_send_channel_without_its_webhook_setting_is_a_problem() -> None:
    loaded = load_config(
        {"TEAMS_OUTGOING_TOKEN_OPS": OPS_TOKEN, "TEAMS_OUTGOING_SEND_OPS": "dev,prod-alerts"}
        | CHANNELS
    )
    assert loaded.problems == (
        ConfigProblem(
            "TEAMS_OUTGOING_SEND_OPS",
            "lists channel 'prod-alerts', which has no TEAMS_WEBHOOK_PROD_ALERTS setting",
        ),
    )
    # Still listed: `send` names the missing setting when someone tries it.
    assert loaded.webhooks["ops"].send_channels == ("dev", "prod-alerts")
