"""The azd hooks (azure.yaml, infra/hooks/), run as azd runs them: a child process with the azd
environment as environment variables, a fake `az` first on PATH and the app's /api/health served
on 127.0.0.1. No request leaves the machine and no Azure is needed.

Issue 13: item 6 (vault left soft-deleted by `azd down`), item 7 (Key Vault references that the
app read before its role reached the vault), item 8 (retired secrets), and the predeploy check.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.infra.bicep import INFRA, REPO
from tests.support.infra.hook_fakes import FakeAz, HealthServer, degraded, ok

HOOKS = INFRA / "hooks"
HOOK_NAMES = ("preprovision", "postprovision", "predeploy", "postdeploy")
WEBHOOK_URL = (
    "https://prod-01.westeurope.logic.azure.com:443/workflows/0123abcd/triggers/manual/paths/"
    "invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=WEBHOOKSIGSECRET"
)
TOKEN = "VE9LRU5TRUNSRVRWQUxVRQ=="  # base64, as Teams shows an Outgoing Webhook token
SECRET_VALUES = ("WEBHOOKSIGSECRET", TOKEN)
VAULT = "kv-abcdefghijklm"  # kv- and a 13-character uniqueString()


@pytest.fixture
def az(tmp_path: Path) -> FakeAz:
    return FakeAz(tmp_path / "azbin")


def _env(az: FakeAz, **values: str) -> dict[str, str]:
    env = {
        "PATH": f"{az.folder}:/usr/bin:/bin",
        "HOME": str(az.folder),
        "AZURE_ENV_NAME": "teams-notify",
        "AZURE_LOCATION": "swedencentral",
        "AZURE_RESOURCE_GROUP": "rg-teams-notify",
        "AZURE_FUNCTION_APP_NAME": "func-abcdefghijklm",
        "AZURE_KEY_VAULT_NAME": VAULT,
        "TEAMS_WEBHOOKS": json.dumps({"devops-alerts": WEBHOOK_URL}),
        "TEAMS_OUTGOING_TOKENS": json.dumps({"ops": TOKEN}),
        "HOOK_HEALTH_TIMEOUT_SECONDS": "1.5",
        "HOOK_HEALTH_INTERVAL_SECONDS": "0.2",
    }
    env.update(values)
    return env


def _run(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, str(HOOKS / "azd_hooks.py"), command],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    for value in SECRET_VALUES:
        assert value not in result.stdout + result.stderr, f"{command} printed a secret"
    return result


# ---- azure.yaml and the wrappers --------------------------------------------------------------


def _azure_yaml_hooks() -> dict[str, dict[str, str]]:
    """hooks: {name: {posix|windows: run path}} from azure.yaml, read by indentation."""
    hooks: dict[str, dict[str, str]] = {}
    hook = platform = None
    in_hooks = False
    for line in (REPO / "azure.yaml").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            in_hooks = line.strip() == "hooks:"
            continue
        if not in_hooks:
            continue
        key, _, value = line.strip().partition(":")
        if indent == 2:
            hook = key
            hooks[hook] = {}
        elif indent == 4:
            platform = key
        elif indent == 6 and key == "run" and hook and platform:
            hooks[hook][platform] = value.strip()
    return hooks


def test_azure_yaml_runs_every_hook_on_posix_and_windows() -> None:
    hooks = _azure_yaml_hooks()
    assert set(hooks) == set(HOOK_NAMES)
    for name, runs in hooks.items():
        assert runs == {
            "posix": f"./infra/hooks/{name}.sh",
            "windows": f"./infra/hooks/{name}.ps1",
        }
        for path in runs.values():
            assert (REPO / path).is_file(), path


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_shell_wrappers_parse_and_run_the_python_hook(name: str) -> None:
    script = HOOKS / f"{name}.sh"
    for shell in ("sh", "bash"):
        subprocess.run([shell, "-n", str(script)], check=True, timeout=30)
    text = script.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert "set -eu" in text
    assert text.rstrip().endswith(f'exec "$PYTHON" infra/hooks/azd_hooks.py {name}')
    assert f"infra/hooks/azd_hooks.py {name}" in (HOOKS / f"{name}.ps1").read_text()
    assert script.stat().st_mode & 0o111, "the wrapper is not executable"


def test_hooks_never_echo_environment_values() -> None:
    # The wrappers pass nothing on; the Python hook prints names only (checked by every run here).
    for path in HOOKS.glob("*.sh"):
        assert not re.search(r"\becho\b|\bprintf\b|set -x", path.read_text()), path


# ---- postdeploy: health, one restart, the URLs ------------------------------------------------


def test_postdeploy_waits_for_health_and_prints_urls_without_keys(az: FakeAz) -> None:
    server = HealthServer(az.folder, before=[(503, None), degraded(), ok()])
    with server.serve() as url:
        result = _run("postdeploy", _env(az, AZURE_FUNCTION_APP_URL=url))
    assert result.returncode == 0, result.stdout + result.stderr
    assert server.requests == 3
    assert not az.restarted
    out = result.stdout
    assert "Healthy: 1 channel(s)" in out
    assert f"{url}/api/health" in out
    assert f"{url}/api/notify/alert?channel=<channel>&code=<key>" in out
    assert f"{url}/api/teams/outgoing?webhook=ops" in out
    # Every code= is the placeholder: a key is never printed, only the command that fetches it.
    assert set(re.findall(r"code=([^\s&]+)", out)) == {"<key>"}
    assert "az functionapp keys list --resource-group rg-teams-notify" in out


def test_postdeploy_restarts_once_when_key_vault_references_stay_unresolved(az: FakeAz) -> None:
    az.answer(["functionapp", "restart"])
    server = HealthServer(az.folder, before=[degraded()], after=[(503, None), ok()])
    with server.serve() as url:
        result = _run("postdeploy", _env(az, AZURE_FUNCTION_APP_URL=url))
    assert result.returncode == 0, result.stdout
    restarts = [call for call in az.calls if call[:2] == ["functionapp", "restart"]]
    assert restarts == [
        [
            "functionapp",
            "restart",
            "--resource-group",
            "rg-teams-notify",
            "--name",
            "func-abcdefghijklm",
        ]
    ]
    assert "Restarting func-abcdefghijklm once" in result.stdout


def test_postdeploy_fails_when_still_degraded_after_one_restart(az: FakeAz) -> None:
    az.answer(["functionapp", "restart"])
    server = HealthServer(az.folder, before=[degraded()], after=[degraded(2)])
    with server.serve() as url:
        result = _run("postdeploy", _env(az, AZURE_FUNCTION_APP_URL=url))
    assert result.returncode == 1
    assert sum(call[:2] == ["functionapp", "restart"] for call in az.calls) == 1
    assert "status degraded, 2 problem(s)" in result.stdout
    assert "python -m shared check" in result.stdout


def test_postdeploy_says_when_no_channel_is_configured_yet(az: FakeAz) -> None:
    server = HealthServer(az.folder, before=[ok(channels=0)])
    with server.serve() as url:
        result = _run("postdeploy", _env(az, AZURE_FUNCTION_APP_URL=url, TEAMS_WEBHOOKS=""))
    assert result.returncode == 0
    assert "No channel yet: azd env set TEAMS_WEBHOOKS" in result.stdout


# ---- postprovision: no code yet, retired secrets ----------------------------------------------


def test_postprovision_before_the_first_deploy_does_not_wait_or_fail(az: FakeAz) -> None:
    az.answer(["keyvault", "secret", "list"], stdout="teams-webhook-devops-alerts\n")
    server = HealthServer(az.folder, before=[(404, None)])
    with server.serve() as url:
        result = _run("postprovision", _env(az, AZURE_FUNCTION_APP_URL=url))
    assert result.returncode == 0
    assert server.requests == 1
    assert not az.restarted
    assert "No code deployed yet" in result.stdout


def test_postprovision_never_stops_azd_up_even_when_degraded(az: FakeAz) -> None:
    az.answer(["keyvault", "secret", "list"], stdout="")
    az.answer(["functionapp", "restart"])
    server = HealthServer(az.folder, before=[degraded()])
    with server.serve() as url:
        result = _run("postprovision", _env(az, AZURE_FUNCTION_APP_URL=url))
    assert result.returncode == 0
    assert az.restarted
    assert "postdeploy hook checks again" in result.stdout


def test_postprovision_names_retired_secrets_and_the_cleanup_command(az: FakeAz) -> None:
    listed = "\n".join(
        [
            "teams-webhook-devops-alerts",
            "teams-webhook-old-channel",
            "teams-outgoing-token-ops",
            "teams-outgoing-token-team-gone",
            "something-else",
        ]
    )
    az.answer(["keyvault", "secret", "list"], stdout=listed + "\n")
    server = HealthServer(az.folder, before=[ok()])
    with server.serve() as url:
        result = _run("postprovision", _env(az, AZURE_FUNCTION_APP_URL=url))
    assert result.returncode == 0
    retired = re.findall(r"^  (teams-\S+)$", result.stdout, re.MULTILINE)
    assert retired == ["teams-outgoing-token-team-gone", "teams-webhook-old-channel"]
    assert "python infra/hooks/azd_hooks.py cleanup-secrets" in result.stdout
    assert not any(call[:3] == ["keyvault", "secret", "delete"] for call in az.calls)


def test_cleanup_secrets_deletes_only_the_retired_ones(az: FakeAz) -> None:
    az.answer(
        ["keyvault", "secret", "list"],
        stdout="teams-webhook-devops-alerts\nteams-webhook-old-channel\nunrelated\n",
    )
    az.answer(["keyvault", "secret", "delete"])
    result = _run("cleanup-secrets", _env(az))
    assert result.returncode == 0, result.stdout
    deletes = [call for call in az.calls if call[:3] == ["keyvault", "secret", "delete"]]
    assert deletes == [
        [
            "keyvault",
            "secret",
            "delete",
            "--vault-name",
            VAULT,
            "--name",
            "teams-webhook-old-channel",
        ]
    ]


def test_invalid_json_is_reported_without_its_value(az: FakeAz) -> None:
    result = _run("cleanup-secrets", _env(az, TEAMS_WEBHOOKS='{"a": "WEBHOOKSIGSECRET"'))
    assert result.returncode == 1
    assert "TEAMS_WEBHOOKS is not valid JSON (its value is not shown)" in result.stdout


# ---- preprovision: after azd down -------------------------------------------------------------


def test_preprovision_recovers_the_vault_azd_down_left_soft_deleted(az: FakeAz) -> None:
    az.answer(["keyvault", "show-deleted"], stdout=VAULT + "\n")
    az.answer(["group", "create"])
    az.answer(["keyvault", "recover"])
    az.answer(["keyvault", "secret", "list-deleted"], stdout="")
    result = _run("preprovision", _env(az))
    assert result.returncode == 0, result.stdout + result.stderr
    verbs = [call[:2] for call in az.calls]
    assert verbs.index(["group", "create"]) < verbs.index(["keyvault", "recover"])
    assert ["keyvault", "recover", "--name", VAULT, "-o", "none"] in az.calls
    create = next(call for call in az.calls if call[:2] == ["group", "create"])
    assert create[create.index("--name") + 1] == "rg-teams-notify"
    assert create[create.index("--location") + 1] == "swedencentral"


def test_preprovision_recovers_deleted_secrets_that_are_back_in_use(az: FakeAz) -> None:
    az.answer(["keyvault", "show-deleted"], rc=3, stderr="not found")
    az.answer(
        ["keyvault", "secret", "list-deleted"],
        stdout="teams-webhook-devops-alerts\nteams-webhook-still-gone\n",
    )
    az.answer(["keyvault", "secret", "recover"])
    result = _run("preprovision", _env(az))
    assert result.returncode == 0, result.stdout
    recovers = [call for call in az.calls if call[:3] == ["keyvault", "secret", "recover"]]
    assert recovers == [
        [
            "keyvault",
            "secret",
            "recover",
            "--vault-name",
            VAULT,
            "--name",
            "teams-webhook-devops-alerts",
        ]
    ]
    assert not any(call[:2] == ["keyvault", "recover"] for call in az.calls)


def test_preprovision_leaves_a_new_vault_suffix_alone(az: FakeAz) -> None:
    # With KEY_VAULT_NAME_SUFFIX set the Bicep names a new vault: the old one is not recovered.
    result = _run("preprovision", _env(az, KEY_VAULT_NAME_SUFFIX="2"))
    assert result.returncode == 0
    assert az.calls == []


def test_preprovision_on_a_first_provision_calls_nothing(az: FakeAz) -> None:
    result = _run("preprovision", _env(az, AZURE_KEY_VAULT_NAME=""))
    assert result.returncode == 0
    assert az.calls == []


# ---- predeploy: python -m shared check with the settings Azure gets ---------------------------


def test_predeploy_passes_a_consistent_environment(az: FakeAz) -> None:
    env = _env(
        az, TEAMS_DEFAULT_CHANNEL="devops-alerts", TEAMS_OUTGOING_SEND='{"ops":"devops-alerts"}'
    )
    result = _run("predeploy", env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no problems" in result.stdout


def test_predeploy_stops_a_deploy_whose_settings_have_a_problem(az: FakeAz) -> None:
    # A default channel with no webhook, and a schedule turned on that posts to it.
    env = _env(
        az,
        TEAMS_DEFAULT_CHANNEL="nowhere",
        ENABLED_SCHEDULES='["SCHEDULE_WEEKDAY_DIGEST"]',
    )
    result = _run("predeploy", env)
    assert result.returncode == 1
    assert "nowhere" in result.stdout
    assert "fix the problems above" in result.stdout


def test_predeploy_check_sees_app_setting_names_not_azd_variables(az: FakeAz) -> None:
    # TEAMS_WEBHOOKS (azd's JSON) becomes TEAMS_WEBHOOK_DEVOPS_ALERTS, as main.bicep makes it.
    sys.path.insert(0, str(HOOKS))
    try:
        import azd_hooks  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(HOOKS))
    settings = azd_hooks.app_settings(
        _env(az, ENABLED_SCHEDULES='["SCHEDULE_SERVICE_STATUS"]', TEAMS_DEFAULT_CHANNEL="x")
    )
    assert settings == {
        "TEAMS_WEBHOOK_DEVOPS_ALERTS": WEBHOOK_URL,
        "TEAMS_OUTGOING_TOKEN_OPS": TOKEN,
        "TEAMS_DEFAULT_CHANNEL": "x",
        "SCHEDULE_SERVICE_STATUS": "true",
    }
