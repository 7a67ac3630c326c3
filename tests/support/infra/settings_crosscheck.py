"""The settings cross-check: what the code reads against what the Bicep sets.

The code's side is collected from the code itself, never from a list kept here:
- every `app_setting_names()` in the `shared` package (today shared.config.settings for delivery and
  shared.outgoing.config for the Outgoing Webhook): objects with `name`
  (`TEAMS_WEBHOOK_<NAME>` for a family of settings) and `production` (False for development-only
  settings);
- every `enabled_by` value in `shared/schedules.json`.
The Bicep's side comes from `tests.support.infra.bicep.site_app_settings()`.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bicep import REPO

SHARED = REPO / "shared"
SCHEDULES = SHARED / "schedules.json"
NAME_PLACEHOLDER = "<NAME>"
# The suffix a `<NAME>` stands for: the upper-cased channel or webhook name, `_` for `-`.
_NAME_SUFFIX = r"[A-Z0-9]+(?:_[A-Z0-9]+)*"

# Settings that the Functions host and the platform read, not our code. Each says who reads it.
PLATFORM_SETTINGS: Mapping[str, str] = {
    "AzureWebJobsStorage__blobServiceUri": "Functions host: identity-based host storage (blobs)",
    "AzureWebJobsStorage__queueServiceUri": "Functions host: identity-based host storage (queues)",
    "AzureWebJobsStorage__tableServiceUri": "Functions host: identity-based host storage (tables)",
    "AzureWebJobsStorage__credential": "Functions host: use a managed identity for host storage",
    "AzureWebJobsStorage__clientId": "Functions host: which user-assigned identity to use",
    "APPLICATIONINSIGHTS_CONNECTION_STRING": "Functions host: where telemetry goes",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "Functions host: Entra auth for telemetry",
    "OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID": (
        "App Service authentication: the identity it signs in with instead of a client secret"
    ),
}


class PendingInterfaceError(LookupError):
    """The code does not expose its settings yet (shared.config.settings.app_setting_names)."""


@dataclass(frozen=True)
class CodeSetting:
    """One app setting the code reads (a fixed name or a `<NAME>` pattern) and its source."""

    name: str
    source: str
    production: bool = True

    @property
    def is_pattern(self) -> bool:
        return NAME_PLACEHOLDER in self.name

    def matches(self, setting: str) -> bool:
        """True when `setting` (a Bicep name or pattern) is this setting.

        A fixed connection name also covers its identity-based form, `NAME__property`, as the
        Functions host reads connections (`AzureWebJobsStorage__accountName`).
        """
        if setting == self.name:
            return True
        if self.is_pattern:
            head, _, tail = self.name.partition(NAME_PLACEHOLDER)
            regex = re.escape(head) + _NAME_SUFFIX + re.escape(tail)
            return NAME_PLACEHOLDER not in setting and re.fullmatch(regex, setting) is not None
        return setting.startswith(self.name + "__")


def _modules_declaring_settings(package: Path = SHARED) -> list[str]:
    """Modules of the app package that define `app_setting_names()` (found by reading, so nothing
    else is imported)."""
    modules = []
    for path in sorted(package.rglob("*.py")):
        if "def app_setting_names(" in path.read_text(encoding="utf-8"):
            parts = path.relative_to(package.parent).with_suffix("").parts
            modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def settings_from_model(module: str) -> list[CodeSetting]:
    """The settings one module declares through its `app_setting_names()`."""
    names = getattr(importlib.import_module(module), "app_setting_names", None)
    if names is None:
        raise PendingInterfaceError(f"{module}.app_setting_names() does not exist")
    collected = []
    for item in names():
        name = item if isinstance(item, str) else str(item.name)
        production = True if isinstance(item, str) else bool(getattr(item, "production", True))
        collected.append(CodeSetting(name, f"{module}.app_setting_names()", production))
    return collected


def settings_from_code(package: Path = SHARED) -> list[CodeSetting]:
    """Every setting that any settings model in the app package declares."""
    modules = _modules_declaring_settings(package)
    if not modules:
        raise PendingInterfaceError(f"no module under {package} defines app_setting_names()")
    return [setting for module in modules for setting in settings_from_model(module)]


def _enabled_by(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "enabled_by" and isinstance(value, str):
                yield value
            else:
                yield from _enabled_by(value)
    elif isinstance(node, list):
        for value in node:
            yield from _enabled_by(value)


def settings_from_schedules(path: Path = SCHEDULES) -> list[CodeSetting]:
    """The `enabled_by` setting of every schedule entry (none while the file does not exist)."""
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    source = path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else str(path)
    return [CodeSetting(name, f"{source} enabled_by") for name in sorted(set(_enabled_by(data)))]


def compare(
    code: Iterable[CodeSetting],
    bicep: Iterable[str],
    platform: Mapping[str, str] = PLATFORM_SETTINGS,
) -> list[str]:
    """Every disagreement between the code and the Bicep, one sentence each (empty: they agree)."""
    code = list(code)
    bicep = sorted(set(bicep))
    problems = []
    for setting in sorted(code, key=lambda s: s.name):
        set_by_bicep = [name for name in bicep if setting.matches(name)]
        if setting.production and not set_by_bicep:
            problems.append(
                f"{setting.name}: read by the code ({setting.source}), not set by the Bicep"
            )
        if not setting.production and set_by_bicep:
            problems.append(
                f"{setting.name}: development-only ({setting.source}), yet the Bicep sets "
                f"{', '.join(set_by_bicep)}"
            )
    for name in bicep:
        readers = [s for s in code if s.production and s.matches(name)]
        if not readers and name not in platform:
            problems.append(
                f"{name}: set by the Bicep, read by nothing in the code or the platform"
            )
    return problems
