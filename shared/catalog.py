"""The shipped template library: names, descriptions, card templates and their sample data.

Each template is a pair in `shared/templates/`: `NAME.json` (the Adaptive Card template) and
`NAME.data.json` (sample data), as the Adaptive Cards Designer opens them. `catalog.json` maps
every name to `{"description": "...", ...options}`; only names listed there exist.

Nothing is read at import time. Each file is read on first use and kept for the life of the
process, and so is each compiled template. A name is checked against the catalog's naming rule
(lowercase letters, digits, single hyphens) before it is ever joined to a path, so `../x`,
`%2e%2e`, absolute paths and backslashes are unknown names, never file-system lookups.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from shared import __version__

if TYPE_CHECKING:
    from shared.cards import CompiledTemplate

TEMPLATES_DIR: Final = Path(__file__).resolve().parent / "templates"
CATALOG_FILE: Final = TEMPLATES_DIR / "catalog.json"

# The value of `$host.app` in every expansion.
APP_NAME: Final = "teams-notify"

# The request headers templates see as `$host.headers`, spelled as here. Only headers that name
# what a delivery is: GitHub names its event only in `X-GitHub-Event` (docs.github.com, "Webhook
# events and payloads", Delivery headers). Azure Monitor, Azure DevOps, Alertmanager and Grafana
# name it in the body and send no such header. Never authorization, signature, cookie or key
# headers: a template's output is posted to Teams.
FORWARDED_HEADERS: Final = (
    "X-GitHub-Event",
    "X-GitHub-Delivery",
    "X-GitHub-Hook-ID",
    "X-GitHub-Hook-Installation-Target-Type",
    "X-GitHub-Hook-Installation-Target-ID",
)
# A header value longer than this is cut: these are short names and ids, never text to show.
_MAX_HEADER_LENGTH: Final = 200

_NAME_RULE: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_MAX_NAME_LENGTH: Final = 64
# How much of an unknown name an error message repeats (names may come from chat messages).
_SHOWN_NAME_LENGTH: Final = 60


class UnknownTemplateError(LookupError):
    """No shipped template has this name (or the name is not a valid template name)."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(name, known)
        self.name = name
        self.known = list(known)

    def __str__(self) -> str:
        shown = self.name
        if len(shown) > _SHOWN_NAME_LENGTH:
            shown = shown[: _SHOWN_NAME_LENGTH - 3] + "..."
        known = ", ".join(self.known) if self.known else "none"
        return f"unknown template {shown!r} (known templates: {known})"


class CatalogError(RuntimeError):
    """The shipped catalog itself is broken: a file is missing, unreadable or malformed."""


@dataclass(frozen=True)
class TemplateInfo:
    """One catalog entry. `template` and `sample_data` are fresh copies, safe to change."""

    name: str
    description: str
    options: Mapping[str, Any]
    template: Any
    sample_data: Any


def is_valid_name(name: object) -> bool:
    """True for lowercase letters and digits in groups joined by single hyphens (`build-status`)."""
    return (
        isinstance(name, str)
        and len(name) <= _MAX_NAME_LENGTH
        and _NAME_RULE.fullmatch(name) is not None
    )


def template_names() -> list[str]:
    """The names of the shipped templates, in catalog order."""
    return list(_catalog())


def get(name: str) -> TemplateInfo:
    """The template called `name`, or UnknownTemplateError listing the known names."""
    entry = _entry(name)
    template, sample_data = _files(name)
    return TemplateInfo(
        name=name,
        description=entry["description"],
        options=MappingProxyType(
            copy.deepcopy({k: v for k, v in entry.items() if k != "description"})
        ),
        template=copy.deepcopy(template),
        sample_data=copy.deepcopy(sample_data),
    )


def options(name: str) -> Mapping[str, Any]:
    """Template `name`'s catalog options (everything but the description), read-only."""
    entry = _entry(name)
    return MappingProxyType({k: v for k, v in entry.items() if k != "description"})


def compiled(name: str) -> CompiledTemplate:
    """The compiled form of template `name`, parsed once per process."""
    _entry(name)
    return _compiled(name)


def host_object(
    template: str,
    channel: str | None,
    now: datetime | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The object templates see as `$host` (documented in shared/templates/README.md).

    `now` defaults to the current time; a naive datetime is taken to be UTC already. `headers`
    are the request's headers (any spelling); only those in FORWARDED_HEADERS are kept.
    """
    moment = datetime.now(UTC) if now is None else now
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return {
        "now": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "channel": channel,
        "template": template,
        "app": APP_NAME,
        "version": __version__,
        "headers": forwarded_headers(headers or {}),
    }


def forwarded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The allow-listed headers among `headers`, looked up without regard to case (as HTTP
    does) and named as FORWARDED_HEADERS spells them; `$host.headers` is this."""
    by_name = {name.lower(): value for name, value in headers.items()}
    found = {}
    for name in FORWARDED_HEADERS:
        value = by_name.get(name.lower())
        if isinstance(value, str):
            found[name] = value[:_MAX_HEADER_LENGTH]
    return found


# --- loading ---------------------------------------------------------------------------------


def _entry(name: str) -> dict[str, Any]:
    catalog = _catalog()
    # The naming rule is checked first so that no caller-supplied text reaches a path.
    if not is_valid_name(name) or name not in catalog:
        raise UnknownTemplateError(name if isinstance(name, str) else repr(name), list(catalog))
    return catalog[name]


@cache
def _catalog() -> dict[str, dict[str, Any]]:
    raw = _read_json(CATALOG_FILE)
    if not isinstance(raw, dict):
        raise CatalogError(f"{CATALOG_FILE.name}: expected an object mapping names to entries")
    entries: dict[str, dict[str, Any]] = {}
    for name, entry in raw.items():
        if not is_valid_name(name):
            raise CatalogError(
                f"{CATALOG_FILE.name}: {name!r} is not a valid template name "
                "(lowercase letters, digits and single hyphens)"
            )
        if not isinstance(entry, dict) or not isinstance(entry.get("description"), str):
            raise CatalogError(f'{CATALOG_FILE.name}: {name!r} needs a "description" string')
        entries[name] = entry
    return entries


@cache
def _files(name: str) -> tuple[Any, Any]:
    return (
        _read_json(TEMPLATES_DIR / f"{name}.json"),
        _read_json(TEMPLATES_DIR / f"{name}.data.json"),
    )


@cache
def _compiled(name: str) -> CompiledTemplate:
    # Imported here: the engine is not needed to list templates, and it may be heavy.
    from shared.cards import compile_template

    template, _sample = _files(name)
    return compile_template(template)


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CatalogError(f"{path.name}: cannot be read ({error.strerror})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogError(
            f"{path.name}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
