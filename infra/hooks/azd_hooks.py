"""The azd hooks of this project (azure.yaml runs them through the .sh/.ps1 wrappers beside it).

    python infra/hooks/azd_hooks.py COMMAND

    preprovision     recover a soft-deleted vault, or secret, that the deployment needs
    postprovision    report retired secrets; check /api/health when code is deployed
    predeploy        `python -m shared check` with the settings the app will get in Azure
    postdeploy       wait for /api/health, restart once if needed, print the function URLs
    cleanup-secrets  delete the retired secrets postprovision reported (run by hand)

azd runs hooks with the environment's values (AZURE_*, TEAMS_WEBHOOKS, ...) as environment
variables. Secret values (webhook URLs, tokens, function keys) are never printed: only names, and
the commands that fetch a key. Standard library only, so it runs before any virtual environment
exists. The Azure CLI (`az`) is used where azd has no command; without it the step says so and is
skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
# Key Vault secret name prefixes (main.bicep), not secrets.
WEBHOOK_SECRET_PREFIX = "teams-webhook-"  # noqa: S105
TOKEN_SECRET_PREFIX = "teams-outgoing-token-"  # noqa: S105
# The templates a new user wires first; every template works the same way (GET /api/templates).
EXAMPLE_TEMPLATES = ("message", "alert", "azure-monitor-alert", "github", "azure-devops")
UNIQUE_STRING_LENGTH = 13  # uniqueString() in main.bicep's resourceToken
KEY_VAULT_PREFIX = "kv-"


class HookError(Exception):
    """A reason the hook cannot go on, told in one line without any secret value."""


def say(message: str) -> None:
    print(message, flush=True)


# ---- the azd environment ----------------------------------------------------------------------


def names_in(env: Mapping[str, str], variable: str) -> list[str]:
    """The keys of a JSON object held in an azd variable (never its values)."""
    raw = env.get(variable, "").strip()
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        # The message must not quote the text: it holds webhook URLs or tokens.
        raise HookError(f"{variable} is not valid JSON (its value is not shown)") from None
    if not isinstance(value, dict):
        raise HookError(f"{variable} must be a JSON object of name to value")
    return sorted(str(key) for key in value)


def expected_secrets(env: Mapping[str, str]) -> set[str]:
    """The Key Vault secrets main.bicep writes for this environment."""
    return {WEBHOOK_SECRET_PREFIX + name for name in names_in(env, "TEAMS_WEBHOOKS")} | {
        TOKEN_SECRET_PREFIX + name for name in names_in(env, "TEAMS_OUTGOING_TOKENS")
    }


def setting_suffix(name: str) -> str:
    """devops-alerts -> DEVOPS_ALERTS, as main.bicep computes the setting names."""
    return name.replace("-", "_").upper()


def app_settings(env: Mapping[str, str]) -> dict[str, str]:
    """The app settings main.bicep gives the app, computed from the azd environment.

    Secret values are the real ones here (the check must see the URLs Azure will resolve) and go
    only into the environment of the `python -m shared check` child process, which prints names,
    never values.
    """
    settings: dict[str, str] = {}
    for variable, prefix in (
        ("TEAMS_WEBHOOKS", "TEAMS_WEBHOOK_"),
        ("TEAMS_OUTGOING_TOKENS", "TEAMS_OUTGOING_TOKEN_"),
        ("TEAMS_OUTGOING_SEND", "TEAMS_OUTGOING_SEND_"),
    ):
        names_in(env, variable)  # validates without revealing
        raw = env.get(variable, "").strip()
        for name, value in (json.loads(raw) if raw else {}).items():
            settings[prefix + setting_suffix(str(name))] = str(value)
    for name in (
        "TEAMS_DELIVERY_BUDGET_SECONDS",
        "TEAMS_REDELIVERY_BUDGET_SECONDS",
        "TEAMS_OUTGOING_DEADLINE_SECONDS",
        "TEAMS_OUTGOING_REPLAY_WINDOW_SECONDS",
        "TEAMS_DEFAULT_CHANNEL",
        "SOURCE_ALLOW_HOSTS",
    ):
        if env.get(name, ""):
            settings[name] = env[name]
    raw = env.get("ENABLED_SCHEDULES", "").strip() or "[]"
    try:
        schedules = json.loads(raw)
    except json.JSONDecodeError:
        raise HookError("ENABLED_SCHEDULES is not a JSON array") from None
    if not isinstance(schedules, list):
        raise HookError("ENABLED_SCHEDULES must be a JSON array of setting names")
    for switch in schedules:
        settings[str(switch)] = "true"
    return settings


# ---- the Azure CLI ----------------------------------------------------------------------------

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def run_az(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    az = shutil.which("az")
    if az is None:
        raise HookError("the Azure CLI (az) is not on PATH")
    # Fixed argument lists, no shell; outputs are read, never echoed when they could hold a secret.
    return subprocess.run(  # noqa: S603
        [az, *args], capture_output=True, text=True, timeout=600, check=False
    )


def have_az() -> bool:
    return shutil.which("az") is not None


# ---- preprovision: what a soft-deleted vault or secret would break ---------------------------


def vault_name_for(env: Mapping[str, str]) -> str | None:
    """The vault name of the last provision (AZURE_KEY_VAULT_NAME, an output azd keeps), when it is
    still the name main.bicep computes: same suffix, same length."""
    name = env.get("AZURE_KEY_VAULT_NAME", "")
    suffix = env.get("KEY_VAULT_NAME_SUFFIX", "")
    if not name or not name.endswith(suffix):
        return None
    if len(name) != len(KEY_VAULT_PREFIX) + UNIQUE_STRING_LENGTH + len(suffix):
        return None
    return name


def preprovision(env: Mapping[str, str], az: Runner) -> int:
    vault = vault_name_for(env)
    if vault is None:
        say("preprovision: first provision of this environment (or a new vault suffix).")
        return 0
    if not have_az():
        say(
            "preprovision: az is not installed, so a vault left soft-deleted by `azd down` is not "
            "recovered here; if provisioning fails with a vault 'in deleted state', see "
            "docs/deploy.md, 'Redeploying after azd down'."
        )
        return 0
    deleted = az(["keyvault", "show-deleted", "--name", vault, "--query", "name", "-o", "tsv"])
    if deleted.returncode == 0 and deleted.stdout.strip() == vault:
        group = env.get("AZURE_RESOURCE_GROUP") or f"rg-{env.get('AZURE_ENV_NAME', '')}"
        say(f"preprovision: Key Vault {vault} is soft-deleted (azd down); recovering it.")
        # The vault comes back into its old resource group, which azd down deleted with the rest.
        created = az(
            [
                "group", "create", "--name", group,
                "--location", env.get("AZURE_LOCATION", ""),
                "--tags", f"azd-env-name={env.get('AZURE_ENV_NAME', '')}",
                "-o", "none",
            ]
        )  # fmt: skip
        if created.returncode != 0:
            raise HookError(f"could not create resource group {group}: {created.stderr.strip()}")
        recovered = az(["keyvault", "recover", "--name", vault, "-o", "none"])
        if recovered.returncode != 0:
            raise HookError(
                f"could not recover Key Vault {vault}: {recovered.stderr.strip()}. Either recover "
                f"it by hand or `azd env set KEY_VAULT_NAME_SUFFIX 2` for a new vault."
            )
        say(f"preprovision: recovered {vault} with its secrets.")
    wanted = expected_secrets(env)
    listed = az(
        [
            "keyvault", "secret", "list-deleted", "--vault-name", vault,
            "--query", "[].name", "-o", "tsv",
        ]
    )  # fmt: skip
    if listed.returncode != 0:
        say(f"preprovision: could not list deleted secrets of {vault}; skipped.")
        return 0
    for secret in sorted(set(listed.stdout.split()) & wanted):
        # Deploying a secret whose name is soft-deleted fails with a conflict: bring it back and
        # let the deployment write the new value over it.
        say(f"preprovision: recovering soft-deleted secret {secret}, which is back in use.")
        result = az(["keyvault", "secret", "recover", "--vault-name", vault, "--name", secret])
        if result.returncode != 0:
            raise HookError(f"could not recover secret {secret}: {result.stderr.strip()}")
    return 0


# ---- retired secrets --------------------------------------------------------------------------


def retired_secrets(env: Mapping[str, str], az: Runner) -> tuple[str, list[str]] | None:
    """(vault, secrets of ours that no channel or webhook uses any more); None when the vault's
    secrets cannot be listed here (the reason is said)."""
    wanted = expected_secrets(env)  # first, so that bad JSON is reported before any az call
    vault = env.get("AZURE_KEY_VAULT_NAME", "")
    if not vault:
        say("AZURE_KEY_VAULT_NAME is not set (has `azd provision` run?): no vault to look in.")
        return None
    if not have_az():
        say("The Azure CLI (az) is not installed: retired secrets were not looked for.")
        return None
    listed = az(
        ["keyvault", "secret", "list", "--vault-name", vault, "--query", "[].name", "-o", "tsv"]
    )
    if listed.returncode != 0:
        say(
            f"Could not list the secrets of {vault} (the deployer gets Key Vault Secrets Officer "
            "when AZURE_PRINCIPAL_ID is set); retired secrets were not looked for."
        )
        return None
    ours = [
        name
        for name in listed.stdout.split()
        if name.startswith((WEBHOOK_SECRET_PREFIX, TOKEN_SECRET_PREFIX))
    ]
    return vault, sorted(set(ours) - wanted)


def report_retired(env: Mapping[str, str], az: Runner) -> None:
    found = retired_secrets(env, az)
    if found is None or not found[1]:
        return
    vault, retired = found
    say(
        f"{len(retired)} secret(s) in {vault} belong to no channel or webhook in TEAMS_WEBHOOKS "
        "or TEAMS_OUTGOING_TOKENS any more (a deployment adds, it never deletes):"
    )
    for name in retired:
        say(f"  {name}")
    say("Delete them with: python infra/hooks/azd_hooks.py cleanup-secrets")
    say(f"  (or one by one: az keyvault secret delete --vault-name {vault} --name <name>)")


def cleanup_secrets(env: Mapping[str, str], az: Runner) -> int:
    found = retired_secrets(env, az)
    if found is None:
        return 1
    vault, retired = found
    if not retired:
        say(f"No retired secret in {vault}.")
        return 0
    for name in retired:
        result = az(["keyvault", "secret", "delete", "--vault-name", vault, "--name", name])
        if result.returncode != 0:
            raise HookError(f"could not delete {name}: {result.stderr.strip()}")
        say(f"deleted {name} (soft-deleted: recoverable for the vault's retention days)")
    return 0


# ---- health -----------------------------------------------------------------------------------


def read_health(base_url: str, timeout: float) -> tuple[int, dict[str, Any] | None]:
    """(HTTP status, JSON body) of GET /api/health; (0, None) when nothing answered."""
    if not base_url.startswith(("https://", "http://")):
        return 0, None
    request = urllib.request.Request(  # noqa: S310 (http(s) only, checked above)
        f"{base_url}/api/health", headers={"Accept": "application/json"}
    )
    try:
        # The app's own URL from azd's outputs (https in Azure, loopback in tests).
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = json.loads(response.read().decode("utf-8") or "null")
            return response.status, body if isinstance(body, dict) else None
    except urllib.error.HTTPError as error:
        return error.code, None
    except (urllib.error.URLError, OSError, ValueError):
        return 0, None


def healthy(body: dict[str, Any] | None) -> bool:
    return body is not None and body.get("status") == "ok" and body.get("problems") == 0


def describe(status: int, body: dict[str, Any] | None) -> str:
    if body is not None:
        return f"status {body.get('status')}, {body.get('problems')} problem(s)"
    return f"HTTP {status}" if status else "no answer"


def wait_for_health(
    base_url: str, deadline_seconds: float, interval: float, *, missing_ok: bool
) -> tuple[str, dict[str, Any] | None]:
    """Polls until healthy ('ok'), the code is missing and that is fine ('no-code'), or the
    deadline ('timeout')."""
    end = time.monotonic() + deadline_seconds
    while True:
        status, body = read_health(base_url, timeout=min(30.0, max(interval, 5.0)))
        if healthy(body):
            return "ok", body
        if status == 404 and missing_ok:
            return "no-code", None
        if time.monotonic() + interval > end:
            say(f"  /api/health: {describe(status, body)}")
            return "timeout", body
        say(f"  /api/health: {describe(status, body)}; asking again in {interval:g} s")
        time.sleep(interval)


def settle(env: Mapping[str, str], az: Runner, *, missing_ok: bool) -> str:
    """Waits for a healthy app, restarting it once: Key Vault references resolved before the
    identity's role reached the vault stay literal text until the app reads them again."""
    base_url = env.get("AZURE_FUNCTION_APP_URL", "").rstrip("/")
    if not base_url:
        raise HookError("AZURE_FUNCTION_APP_URL is not set: has `azd provision` run?")
    timeout = float(env.get("HOOK_HEALTH_TIMEOUT_SECONDS", "300"))
    interval = float(env.get("HOOK_HEALTH_INTERVAL_SECONDS", "10"))
    say(f"Waiting for {base_url}/api/health to report no configuration problem ...")
    outcome, body = wait_for_health(base_url, timeout, interval, missing_ok=missing_ok)
    if outcome == "timeout":
        app, group = env.get("AZURE_FUNCTION_APP_NAME", ""), env.get("AZURE_RESOURCE_GROUP", "")
        if not (app and group and have_az()):
            say(
                "Cannot restart the app here: it needs az, AZURE_FUNCTION_APP_NAME and "
                "AZURE_RESOURCE_GROUP."
            )
        else:
            say(f"Restarting {app} once so that it reads its Key Vault references again ...")
            result = az(["functionapp", "restart", "--resource-group", group, "--name", app])
            if result.returncode != 0:
                say(f"  restart failed: {result.stderr.strip()}")
            outcome, body = wait_for_health(base_url, timeout, interval, missing_ok=missing_ok)
    if outcome == "ok" and body is not None:
        channels = body.get("channels")
        say(f"Healthy: {channels} channel(s), {body.get('templates')} template(s).")
        if channels == 0:
            say(
                'No channel yet: azd env set TEAMS_WEBHOOKS \'{"<channel>":"<Incoming Webhook '
                "URL>\"}' and azd provision (docs/deploy.md, step 5)."
            )
    return outcome


def print_urls(env: Mapping[str, str]) -> None:
    base_url = env.get("AZURE_FUNCTION_APP_URL", "").rstrip("/")
    app, group = (
        env.get("AZURE_FUNCTION_APP_NAME", "<app>"),
        env.get("AZURE_RESOURCE_GROUP", "<rg>"),
    )
    say("")
    say("Function URLs (keys are not printed):")
    say(f"  health (anonymous):   {base_url}/api/health")
    say(f"  templates:            {base_url}/api/templates?code=<key>")
    for template in EXAMPLE_TEMPLATES:
        label = f"notify {template}:"
        say(f"  {label:<22}{base_url}/api/notify/{template}?channel=<channel>&code=<key>")
    say(f"  render:               {base_url}/api/render/<template>?code=<key>")
    webhooks = names_in(env, "TEAMS_OUTGOING_TOKENS") or ["<name>"]
    for name in webhooks:
        say(f"  Outgoing Webhook {name}: {base_url}/api/teams/outgoing?webhook={name}")
    say("The function key (<key>) stays in Azure; fetch it when you wire a sender with:")
    say(
        f"  az functionapp keys list --resource-group {group} --name {app} "
        "--query functionKeys.default -o tsv"
    )


# ---- predeploy --------------------------------------------------------------------------------


def project_python() -> str:
    for candidate in (REPO / ".venv" / "bin" / "python", REPO / ".venv" / "Scripts" / "python.exe"):
        if candidate.exists():
            return str(candidate)
    return sys.executable


def predeploy(env: Mapping[str, str]) -> int:
    """`python -m shared check` with the app settings Azure will have, so that a template, a
    schedule or a setting with a problem never reaches Azure."""
    check_env = {
        key: env[key] for key in ("PATH", "HOME", "SYSTEMROOT", "TEMP", "TMP") if key in env
    }
    check_env.update(app_settings(env))
    python = project_python()
    say(f"predeploy: python -m shared check ({python}) with the settings the app will get ...")
    result = subprocess.run(  # noqa: S603
        [python, "-m", "shared", "check"], cwd=REPO, env=check_env, timeout=600, check=False
    )
    if result.returncode == 0:
        return 0
    if result.returncode == 2:
        say("predeploy: the check could not run: is .venv there (docs/deploy.md, step 3)?")
    else:
        say("predeploy: fix the problems above (azd env set ...) before deploying.")
    return result.returncode


# ---- entry ------------------------------------------------------------------------------------


def main(argv: Sequence[str], env: Mapping[str, str], az: Runner = run_az) -> int:
    command = argv[0] if argv else ""
    try:
        if command == "preprovision":
            return preprovision(env, az)
        if command == "postprovision":
            report_retired(env, az)
            outcome = settle(env, az, missing_ok=True)
            if outcome == "no-code":
                say("No code deployed yet: after `azd deploy` the postdeploy hook waits for it.")
            elif outcome != "ok":
                say(
                    "Still not healthy; `azd deploy` follows, and its postdeploy hook checks again."
                )
            return 0  # a new deployment may be what fixes it: never stop `azd up` here
        if command == "predeploy":
            return predeploy(env)
        if command == "postdeploy":
            outcome = settle(env, az, missing_ok=False)
            print_urls(env)
            if outcome != "ok":
                say(
                    "The app still reports a problem after one restart. /api/health gives counts "
                    "only; `python -m shared check` with the same settings names each problem, "
                    "and the app's log stream (az webapp log tail) shows Key Vault errors."
                )
                return 1
            return 0
        if command == "cleanup-secrets":
            return cleanup_secrets(env, az)
    except HookError as error:
        say(f"{command}: {error}")
        return 1
    say(__doc__ or "")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], os.environ))
