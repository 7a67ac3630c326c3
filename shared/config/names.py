"""Channel names and the app settings and secrets named after them.

Pure string rules, kept free of pydantic so that code on the cold-start path (the schedule
entries read when the app starts) can use them; shared.config.settings re-exports them.
"""

from __future__ import annotations

import re
from typing import Final

WEBHOOK_PREFIX: Final = "TEAMS_WEBHOOK_"
ALLOW_HOSTS_SETTING: Final = "TEAMS_ALLOW_HOSTS"
CHANNEL_NAME: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def normalize_channel_name(name: str) -> str | None:
    """The canonical (lower-case) channel name, or None when `name` cannot be one."""
    key = name.strip().lower()
    return key if CHANNEL_NAME.fullmatch(key) else None


def setting_for_channel(name: str) -> str:
    """`devops-alerts` -> `TEAMS_WEBHOOK_DEVOPS_ALERTS`."""
    return WEBHOOK_PREFIX + name.upper().replace("-", "_")


def key_vault_secret_name(name: str) -> str:
    """The Key Vault secret holding a channel's URL: `ops-alerts` -> `teams-webhook-ops-alerts`."""
    return "teams-webhook-" + name.lower()
