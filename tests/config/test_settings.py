"""Settings: channels from TEAMS_WEBHOOK_<NAME>, the URL policy, isolated problems, the list."""

from __future__ import annotations

import re

import pytest

from shared.config import settings as settings_module
from shared.config.once import reset_configuration
from shared.config.settings import (
    ChannelNotUsableError,
    ConfigProblem,
    Settings,
    UnknownChannelError,
    app_setting_names,
    config_problems,
    current_settings,
    key_vault_secret_name,
    setting_for_channel,
)
from shared.teams.channels import ChannelKind

# Real-shaped URLs (docs/teams-protocol.md#webhook-urls); the signature is what must never
# leak.
CLASSIC = (
    "https://contoso.webhook.office.com/webhookb2/1b2c3d4e-aaaa-bbbb-cccc-0123456789ab@"
    "72f988bf-86f1-41af-91ab-2d7cd011db47/IncomingWebhook/0a1b2c3d4e5f60718293a4b5c6d7e8f9/"
    "5e6f7a8b-1111-2222-3333-444455556666"
)
OLD_CLASSIC = "https://outlook.office.com/webhook/abc@def/IncomingWebhook/0123/4567"
WORKFLOWS = (
    "https://prod-12.westeurope.logic.azure.com:443/workflows/0a1b2c3d4e5f/triggers/manual/paths/"
    "invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=Zm9vYmFyYmF6cXV4c2VjcmV0"
)
POWER_PLATFORM = (
    "https://default0a1b.2c.environment.api.powerplatform.com:443/powerautomate/automations/direct/"
    "workflows/0a1b2c/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun"
    "&sv=1.0&sig=c2VjcmV0c2lnbmF0dXJlMTIz"
)


def load(**env: str) -> Settings:
    return Settings.from_environ(env)


def problem_for(settings: Settings, setting: str) -> ConfigProblem:
    [problem] = [p for p in settings.problems if p.setting == setting]
    return problem


def assert_no_value(settings: Settings, value: str) -> None:
    for problem in settings.problems:
        assert value not in str(problem)
    assert value not in repr(settings)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        (CLASSIC, ChannelKind.CLASSIC),
        (OLD_CLASSIC, ChannelKind.CLASSIC),
        (WORKFLOWS, ChannelKind.WORKFLOWS),
        (POWER_PLATFORM, ChannelKind.WORKFLOWS),
    ],
)
def test_teams_and_workflows_hosts_are_accepted_and_their_kind_follows_the_host(
    url: str, kind: ChannelKind
) -> None:
    settings = load(TEAMS_WEBHOOK_OPS=url)
    assert settings.problems == ()
    assert settings.channel("ops").kind is kind


def test_channel_name_comes_from_the_setting_lower_case_with_hyphens() -> None:
    settings = load(TEAMS_WEBHOOK_DEVOPS_ALERTS=CLASSIC)
    channel = settings.channel("devops-alerts")
    assert channel.setting == "TEAMS_WEBHOOK_DEVOPS_ALERTS"
    assert setting_for_channel("devops-alerts") == "TEAMS_WEBHOOK_DEVOPS_ALERTS"
    assert key_vault_secret_name("devops-alerts") == "teams-webhook-devops-alerts"


def test_lookup_accepts_any_case() -> None:
    settings = load(TEAMS_WEBHOOK_DEVOPS_ALERTS=CLASSIC)
    assert settings.channel("DevOps-Alerts").name == "devops-alerts"


def test_unknown_channel_lists_configured_names_never_urls() -> None:
    settings = load(TEAMS_WEBHOOK_OPS=CLASSIC, TEAMS_WEBHOOK_DEV=WORKFLOWS)
    with pytest.raises(UnknownChannelError) as caught:
        settings.channel("finance")
    message = str(caught.value)
    assert "'finance'" in message
    assert "dev, ops" in message
    assert "office.com" not in message
    assert "logic.azure.com" not in message


def test_a_url_given_as_a_channel_name_is_not_echoed() -> None:
    settings = load(TEAMS_WEBHOOK_OPS=CLASSIC)
    with pytest.raises(UnknownChannelError) as caught:
        settings.channel(WORKFLOWS)
    assert "sig=" not in str(caught.value)
    assert "not a channel name" in str(caught.value)
    assert caught.value.known == ["ops"]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        (
            "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/teams-webhook-ops/)",
            "unresolved Key Vault reference",
        ),
        ("@Microsoft.KeyVault(VaultName=kv;SecretName=teams-webhook-ops)", "Key Vault"),
        ("https://evil.example.com/webhookb2/x", "not a Teams or Workflows webhook host"),
        ("http://contoso.webhook.office.com/webhookb2/x", "must use https"),
        ("https://contoso.webhook.office.com:8443/webhookb2/x", "port other than 443"),
        ("ftp://contoso.webhook.office.com/x", "unsupported scheme"),
        ("./outbox", "not a URL"),
        ("https://user:pw@contoso.webhook.office.com/webhookb2/x", "credentials"),
        ("https://[::1/x", "not a valid URL"),
        ("file://server/share/outbox", "not a usable outbox URL"),
    ],
)
def test_refused_values_break_only_their_channel_and_name_the_setting(
    value: str, words: str
) -> None:
    settings = load(TEAMS_WEBHOOK_BROKEN=value, TEAMS_WEBHOOK_GOOD=CLASSIC)
    problem = problem_for(settings, "TEAMS_WEBHOOK_BROKEN")
    assert words in problem.message
    if value.strip():
        assert_no_value(settings, value.strip())
    with pytest.raises(ChannelNotUsableError) as caught:
        settings.channel("broken")
    assert "TEAMS_WEBHOOK_BROKEN" in str(caught.value)
    assert settings.channel("good").kind is ChannelKind.CLASSIC
    assert settings.channel_names() == ["broken", "good"]


def test_other_hosts_need_the_development_allow_list() -> None:
    url = "https://teams-proxy.internal.example/webhookb2/abc/IncomingWebhook/1/2"
    assert load(TEAMS_WEBHOOK_OPS=url).problems
    allowed = load(
        TEAMS_WEBHOOK_OPS=url, TEAMS_ALLOW_HOSTS="other.example, teams-proxy.internal.example"
    )
    assert allowed.problems == ()
    assert allowed.channel("ops").kind is ChannelKind.CLASSIC


def test_plain_http_only_on_loopback_even_when_allowed() -> None:
    url = "http://teams-proxy.internal.example/webhookb2/abc"
    settings = load(TEAMS_WEBHOOK_OPS=url, TEAMS_ALLOW_HOSTS="teams-proxy.internal.example")
    assert "plain http" in problem_for(settings, "TEAMS_WEBHOOK_OPS").message
    loopback = load(
        TEAMS_WEBHOOK_OPS="http://127.0.0.1:8080/webhookb2/abc", TEAMS_ALLOW_HOSTS="127.0.0.1"
    )
    assert loopback.problems == ()


def test_loopback_is_not_allowed_without_the_allow_list() -> None:
    settings = load(TEAMS_WEBHOOK_OPS="http://127.0.0.1:8080/webhookb2/abc")
    assert "TEAMS_ALLOW_HOSTS" in problem_for(settings, "TEAMS_WEBHOOK_OPS").message


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/webhookb2/g@t/IncomingWebhook/c/w", ChannelKind.CLASSIC),
        ("/webhook/g@t/IncomingWebhook/c/w", ChannelKind.CLASSIC),
        (
            "/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=x",
            ChannelKind.WORKFLOWS,
        ),
        (
            "/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke?sig=x",
            ChannelKind.WORKFLOWS,
        ),
    ],
)
def test_on_allowed_dev_hosts_the_path_tells_the_kind(path: str, kind: ChannelKind) -> None:
    settings = load(TEAMS_WEBHOOK_OPS="http://localhost:7071" + path, TEAMS_ALLOW_HOSTS="localhost")
    assert settings.channel("ops").kind is kind


def test_a_dev_host_path_that_tells_no_kind_is_a_problem() -> None:
    settings = load(TEAMS_WEBHOOK_OPS="http://localhost:7071/hook", TEAMS_ALLOW_HOSTS="localhost")
    assert "does not tell the webhook kind" in problem_for(settings, "TEAMS_WEBHOOK_OPS").message


def test_file_urls_are_outboxes_with_absolute_or_relative_directories() -> None:
    settings = load(
        TEAMS_WEBHOOK_LOCAL="file://./outbox", TEAMS_WEBHOOK_ABS="file:///var/tmp/outbox"
    )
    assert settings.problems == ()
    assert str(settings.channel("local").outbox_dir) == "outbox"
    assert str(settings.channel("abs").outbox_dir) == "/var/tmp/outbox"
    assert settings.channel("local").kind is ChannelKind.OUTBOX


@pytest.mark.parametrize(
    "marker",
    [
        {"WEBSITE_INSTANCE_ID": "a1b2c3"},
        {"WEBSITE_OWNER_NAME": "00000000-0000-0000-0000-000000000000+rg-westeuropewebspace"},
        {"WEBSITE_SKU": "Dynamic"},
        {"WEBSITE_SKU": "FlexConsumption"},
        {"WEBSITE_POD_NAME": "flex-pod"},
    ],
)
def test_outboxes_are_refused_when_running_in_azure(marker: dict[str, str]) -> None:
    settings = Settings.from_environ(
        {"TEAMS_WEBHOOK_LOCAL": "file://./outbox", "TEAMS_WEBHOOK_OPS": CLASSIC, **marker}
    )
    assert settings.in_azure
    assert (
        "refused when the app runs in Azure" in problem_for(settings, "TEAMS_WEBHOOK_LOCAL").message
    )
    assert settings.channel("ops").kind is ChannelKind.CLASSIC


def test_a_container_name_alone_is_not_taken_for_azure() -> None:
    # Dev containers and CI set CONTAINER_NAME too; `make run` there must keep its outbox.
    settings = Settings.from_environ(
        {"TEAMS_WEBHOOK_LOCAL": "file://./outbox", "CONTAINER_NAME": "devcontainer"}
    )
    assert not settings.in_azure
    assert settings.problems == ()


def test_bad_setting_names_are_problems() -> None:
    settings = load(TEAMS_WEBHOOK_ops=CLASSIC, TEAMS_WEBHOOK_A__B=CLASSIC)
    names = {p.setting for p in settings.problems}
    assert names == {"TEAMS_WEBHOOK_ops", "TEAMS_WEBHOOK_A__B"}
    assert settings.channel_names() == []


def test_budgets_default_to_8_and_5_seconds() -> None:
    # 8 s: callers that give up after 10 s (GitHub) get an answer; a redelivery is one short try.
    settings = load()
    assert (settings.delivery_budget, settings.redelivery_budget) == (8.0, 5.0)


def test_budgets_are_read_and_a_bad_one_is_a_problem_that_falls_back_to_the_default() -> None:
    settings = load(TEAMS_DELIVERY_BUDGET_SECONDS="abc", TEAMS_REDELIVERY_BUDGET_SECONDS="12.5")
    assert settings.delivery_budget == 8.0
    assert settings.redelivery_budget == 12.5
    assert problem_for(settings, "TEAMS_DELIVERY_BUDGET_SECONDS").message
    negative = load(TEAMS_DELIVERY_BUDGET_SECONDS="-1")
    assert problem_for(negative, "TEAMS_DELIVERY_BUDGET_SECONDS")


def test_default_channel_must_be_configured() -> None:
    ok = load(TEAMS_WEBHOOK_OPS=CLASSIC, TEAMS_DEFAULT_CHANNEL="OPS")
    assert ok.default_channel == "ops"
    assert ok.problems == ()
    missing = load(TEAMS_WEBHOOK_OPS=CLASSIC, TEAMS_DEFAULT_CHANNEL="dev")
    assert "'dev'" in problem_for(missing, "TEAMS_DEFAULT_CHANNEL").message


def test_channel_repr_never_shows_the_url() -> None:
    channel = load(TEAMS_WEBHOOK_OPS=WORKFLOWS).channel("ops")
    assert "sig" not in repr(channel)
    assert "logic.azure.com" not in str(channel)
    assert re.fullmatch(r"[0-9a-f]{8}", channel.url_hash)


def test_settings_are_read_once_per_process_until_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAMS_WEBHOOK_FIRST", CLASSIC)
    reset_configuration()
    try:
        first = current_settings()
        monkeypatch.setenv("TEAMS_WEBHOOK_SECOND", "")
        assert current_settings() is first
        assert config_problems() == []
        reset_configuration()
        assert [p.setting for p in config_problems()] == ["TEAMS_WEBHOOK_SECOND"]
    finally:
        monkeypatch.delenv("TEAMS_WEBHOOK_FIRST")
        monkeypatch.delenv("TEAMS_WEBHOOK_SECOND")
        reset_configuration()


def test_app_setting_names_list_fixed_names_and_patterns() -> None:
    names = {s.name: s for s in app_setting_names()}
    webhook = names["TEAMS_WEBHOOK_<NAME>"]
    assert webhook.kind == "pattern"
    assert webhook.regex.fullmatch("TEAMS_WEBHOOK_DEVOPS_ALERTS")
    assert not webhook.regex.fullmatch("TEAMS_WEBHOOK_")
    assert names["TEAMS_ALLOW_HOSTS"].production is False
    assert names["TEAMS_DELIVERY_BUDGET_SECONDS"].kind == "fixed"
    assert {"AzureWebJobsStorage", "TEAMS_DEFAULT_CHANNEL"} <= set(names)


def test_every_setting_the_module_reads_is_listed() -> None:
    # The fixed names the loader reads are module constants; each must be in the published list.
    listed = {s.name for s in app_setting_names()}
    constants = {
        value
        for key, value in vars(settings_module).items()
        if key.endswith("_SETTING") and isinstance(value, str)
    }
    assert constants <= listed


def test_max_parts_defaults_to_10_and_a_bad_value_is_named_and_falls_back() -> None:
    assert load().max_parts == 10
    assert load(TEAMS_MAX_PARTS="3").max_parts == 3
    for bad in ("0", "101", "ten"):
        settings = load(TEAMS_MAX_PARTS=bad)
        assert settings.max_parts == 10
        assert problem_for(settings, "TEAMS_MAX_PARTS")
