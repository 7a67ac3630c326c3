"""Outgoing Webhook settings, read once per process from the app settings.

Each Outgoing Webhook registered in Teams has a name (lowercase letters, digits, hyphens) that its
callback URL carries as `?webhook=<name>`, and a security token in the app setting
`TEAMS_OUTGOING_TOKEN_<NAME>` (upper case, `_` for `-`). A broken token disables only its own
webhook and becomes a ConfigProblem naming the setting, never its value.
"""

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.config.once import read_once
from shared.config.settings import (
    AppSettingName,
    ConfigProblem,
    Settings,
    normalize_channel_name,
    setting_for_channel,
)
from shared.outgoing.signature import decode_token

TOKEN_PREFIX = "TEAMS_OUTGOING_TOKEN_"  # noqa: S105 (a setting name, not a secret)
SEND_PREFIX = "TEAMS_OUTGOING_SEND_"
REPLAY_WINDOW_SETTING = "TEAMS_OUTGOING_REPLAY_WINDOW_SECONDS"
DEADLINE_SETTING = "TEAMS_OUTGOING_DEADLINE_SECONDS"

DEFAULT_REPLAY_WINDOW_SECONDS = 300.0
MAX_REPLAY_WINDOW_SECONDS = 3600.0
DEFAULT_DEADLINE_SECONDS = 4.0
# Teams waits five seconds for the answer; the rest is for the network and building the answer.
MAX_DEADLINE_SECONDS = 4.5

_KEY_VAULT_REFERENCE = "@microsoft.keyvault("


def is_valid_name(name: str) -> bool:
    """Names as for channels: lowercase letters and digits, words joined by single hyphens."""
    return normalize_channel_name(name) == name


def setting_for(prefix: str, name: str) -> str:
    """The app setting that belongs to a name: `ops-team` -> `<PREFIX>OPS_TEAM`."""
    return prefix + name.upper().replace("-", "_")


@dataclass(frozen=True)
class Webhook:
    """One Outgoing Webhook that may call the endpoint."""

    name: str
    key: bytes = field(repr=False)
    # Channels `send` may post to; None when TEAMS_OUTGOING_SEND_<NAME> is not set at all.
    send_channels: tuple[str, ...] | None = None

    @property
    def token_setting(self) -> str:
        return setting_for(TOKEN_PREFIX, self.name)

    @property
    def send_setting(self) -> str:
        return setting_for(SEND_PREFIX, self.name)


@dataclass(frozen=True)
class OutgoingConfig:
    webhooks: Mapping[str, Webhook]
    # Webhooks whose token setting is broken: name -> that setting (for the rejection log line).
    disabled: Mapping[str, str] = field(default_factory=dict)
    replay_window_seconds: float = DEFAULT_REPLAY_WINDOW_SECONDS
    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS
    problems: tuple[ConfigProblem, ...] = ()


def load_config(environ: Mapping[str, str]) -> OutgoingConfig:
    """Read every Outgoing Webhook setting from `environ`; problems are collected, never raised."""
    problems: list[ConfigProblem] = []
    webhooks: dict[str, Webhook] = {}
    disabled: dict[str, str] = {}
    sends: dict[str, tuple[str, str]] = {}  # webhook name -> (setting, raw value)
    configured: set[str] | None = None  # channel names, read only when a send list needs them

    for setting, value in sorted(environ.items()):
        upper = setting.upper()
        if upper.startswith(TOKEN_PREFIX):
            name = _name_from(setting, upper[len(TOKEN_PREFIX) :], problems)
            if name is None:
                continue
            key = _key_from(setting, name, value, problems)
            if key is None:
                disabled[name] = setting
            else:
                webhooks[name] = Webhook(name, key)
        elif upper.startswith(SEND_PREFIX):
            name = _name_from(setting, upper[len(SEND_PREFIX) :], problems)
            if name is not None:
                sends[name] = (setting, value)

    for name, (setting, value) in sends.items():
        if name in disabled:
            continue
        if name not in webhooks:
            problems.append(
                ConfigProblem(
                    setting, f"has no matching {setting_for(TOKEN_PREFIX, name)}; it is ignored"
                )
            )
            continue
        channels = _channels_from(setting, value, problems)
        if configured is None:
            configured = set(Settings.from_environ(environ).channel_names())
        for channel in channels:
            if channel not in configured:
                problems.append(
                    ConfigProblem(
                        setting,
                        f"lists channel '{channel}', which has no "
                        f"{setting_for_channel(channel)} setting",
                    )
                )
        webhooks[name] = Webhook(name, webhooks[name].key, channels)

    return OutgoingConfig(
        webhooks=webhooks,
        disabled=disabled,
        replay_window_seconds=_seconds(
            environ,
            REPLAY_WINDOW_SETTING,
            DEFAULT_REPLAY_WINDOW_SECONDS,
            MAX_REPLAY_WINDOW_SECONDS,
            problems,
        ),
        deadline_seconds=_seconds(
            environ, DEADLINE_SETTING, DEFAULT_DEADLINE_SECONDS, MAX_DEADLINE_SECONDS, problems
        ),
        problems=tuple(problems),
    )


@read_once
def current_outgoing_config() -> OutgoingConfig:
    """The process's settings, read on first use (settings change only with a restart in Azure)."""
    return load_config(os.environ)


def config_problems() -> list[ConfigProblem]:
    """What is wrong in the Outgoing Webhook settings, for the health route and `check`."""
    return list(current_outgoing_config().problems)


def app_setting_names() -> tuple[AppSettingName, ...]:
    """The app settings the Outgoing Webhook reads, for the infra cross-check."""
    return (
        AppSettingName(
            TOKEN_PREFIX + "<NAME>",
            "pattern",
            "an Outgoing Webhook's security token (base64, as Teams shows it); in Azure a Key "
            "Vault reference to secret teams-outgoing-token-<name>",
        ),
        AppSettingName(
            SEND_PREFIX + "<NAME>",
            "pattern",
            "the channels (comma-separated) that Outgoing Webhook's `send` command may post to",
        ),
        AppSettingName(
            REPLAY_WINDOW_SETTING,
            "fixed",
            f"seconds an Outgoing Webhook activity stays acceptable (default "
            f"{DEFAULT_REPLAY_WINDOW_SECONDS:g})",
        ),
        AppSettingName(
            DEADLINE_SETTING,
            "fixed",
            f"seconds a command may run before the answer says it took too long (default "
            f"{DEFAULT_DEADLINE_SECONDS:g}, at most {MAX_DEADLINE_SECONDS:g})",
        ),
    )


def _name_from(setting: str, suffix: str, problems: list[ConfigProblem]) -> str | None:
    name = suffix.lower().replace("_", "-")
    if not is_valid_name(name):
        problems.append(
            ConfigProblem(
                setting,
                "does not end in a valid webhook name (letters, digits, single underscores)",
            )
        )
        return None
    return name


def _key_from(setting: str, name: str, value: str, problems: list[ConfigProblem]) -> bytes | None:
    disabled = f"the Outgoing Webhook '{name}' is disabled"
    if value.strip().lower().startswith(_KEY_VAULT_REFERENCE):
        problems.append(
            ConfigProblem(
                setting,
                "is a Key Vault reference that did not resolve (check the secret and the app's "
                f"access to the vault); {disabled}",
            )
        )
        return None
    try:
        return decode_token(value)
    except ValueError as error:
        problems.append(ConfigProblem(setting, f"{error}; {disabled}"))
        return None


def _channels_from(setting: str, value: str, problems: list[ConfigProblem]) -> tuple[str, ...]:
    if value.strip().lower().startswith(_KEY_VAULT_REFERENCE):
        problems.append(ConfigProblem(setting, "is a Key Vault reference; list channel names"))
        return ()
    channels: list[str] = []
    for raw in value.split(","):
        channel = raw.strip().lower()
        if not channel:
            continue
        if is_valid_name(channel):
            channels.append(channel)
        else:
            problems.append(
                ConfigProblem(setting, "lists a channel name that is not valid; it is ignored")
            )
    return tuple(dict.fromkeys(channels))


def _seconds(
    environ: Mapping[str, str],
    setting: str,
    default: float,
    maximum: float,
    problems: list[ConfigProblem],
) -> float:
    raw = environ.get(setting, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= maximum):
        problems.append(
            ConfigProblem(
                setting,
                f"must be a number of seconds above 0 and at most {maximum:g}; "
                f"using the default {default:g}",
            )
        )
        return default
    return value
