"""The scheduled notifications declared in shared/schedules.json, read and checked once per process.

The function app registers one timer function per enabled entry when it is imported, so this
module is on the cold-start path: it reads the file with the standard library and checks each
entry by hand (no pydantic, no card engine). What needs the engine (the `when` expression, the
`data` of an entry with a `source`) is checked by `python -m shared check` and when the entry runs.

An entry with a problem is left out, and the problem names the entry and the field; the other
entries are unaffected. Problems that only matter for an entry that runs (an unconfigured
channel, a source host that is not allowed, a header setting that is not set) are reported only
for enabled entries, so a shipped example that nobody turned on never degrades the app.
"""

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.config.hosts import host_list, is_loopback
from shared.config.names import setting_for_channel
from shared.config.once import read_once
from shared.schedules.ncrontab import CronError, parse
from shared.schedules.zoned import ZonedSchedule
from shared.teams.channels import unsendable_reason

__all__ = [
    "CATCH_UP_CHOICES",
    "SCHEDULES_FILE",
    "SOURCE_ALLOW_HOSTS_SETTING",
    "EntryParameter",
    "HeaderFromSetting",
    "ScheduleEntry",
    "ScheduleProblem",
    "ScheduleSet",
    "Source",
    "app_setting_names",
    "current_schedules",
    "load_schedules",
    "read_schedules",
    "schedule_problems",
    "setting_for_channel",
]

SCHEDULES_FILE: Final = Path(__file__).resolve().parent.parent / "schedules.json"
SOURCE_ALLOW_HOSTS_SETTING: Final = "SOURCE_ALLOW_HOSTS"
DEFAULT_CHANNEL_SETTING: Final = "TEAMS_DEFAULT_CHANNEL"
DEFAULT_SOURCE_TIMEOUT: Final = 10.0
MAX_SOURCE_TIMEOUT: Final = 60.0
MAX_CHANNELS: Final = 10
# Values of an enabled_by setting that leave the entry off (unset and empty do too).
_OFF: Final = frozenset({"", "0", "false", "no", "off"})
_NAME: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_MAX_NAME: Final = 60
_SETTING: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEADER: Final = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
_FIELDS: Final = frozenset(
    {
        "name",
        "description",
        "schedule",
        "timezone",
        "template",
        "channel",
        "data",
        "enabled_by",
        "source",
        "when",
        "catch_up",
        "subscribable",
        "label",
        "parameters",
    }
)
# The kinds of parameter a subscribable entry declares: "place" (a city the page looks up with
# Open-Meteo's geocoding; it gives the run city, latitude, longitude and timezone) or "text".
PARAMETER_KINDS: Final = ("place", "text")
# What a run does with occurrences the host missed (shared.schedules.run): post every one, only
# the latest, or none of them.
CATCH_UP_CHOICES: Final = ("all", "latest", "none")
DEFAULT_CATCH_UP: Final = "latest"
_SOURCE_FIELDS: Final = frozenset({"url", "headers", "timeout"})


@dataclass(frozen=True)
class ScheduleProblem:
    """What is wrong with one entry: its name (or position), the field, the reason."""

    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class HeaderFromSetting:
    """A source header whose value is an app setting (a token), with an optional prefix."""

    setting: str
    prefix: str = ""


@dataclass(frozen=True)
class Source:
    """Where an entry's data comes from when it runs: a JSON answer over https."""

    url: str
    host: str
    headers: tuple[tuple[str, str | HeaderFromSetting], ...] = ()
    timeout: float = DEFAULT_SOURCE_TIMEOUT


@dataclass(frozen=True)
class EntryParameter:
    """A parameter a subscribable entry takes from each subscription (shown by the page)."""

    name: str
    label: str
    kind: str


@dataclass(frozen=True)
class ScheduleEntry:
    """One scheduled notification (shared.outgoing.commands_builtin.Schedule)."""

    name: str
    schedule: str
    timezone: str | None
    template: str
    channels: tuple[str, ...]
    enabled: bool
    zoned: ZonedSchedule = field(repr=False)
    data: Any = None
    enabled_by: str | None = None
    source: Source | None = None
    when: str | None = None
    description: str = ""
    catch_up: str = DEFAULT_CATCH_UP
    subscribable: bool = False
    """Run per subscription by the sweeper at each team's own time, never on its own timer."""
    label: str = ""
    parameters: tuple[EntryParameter, ...] = ()

    @property
    def function_name(self) -> str:
        """The timer function's name: `schedule_<name>` (hyphens become underscores)."""
        return "schedule_" + self.name.replace("-", "_")

    @property
    def registered_schedule(self) -> str:
        """The NCRONTAB expression registered with the host (UTC; see shared.schedules.zoned)."""
        return self.zoned.registered_expression

    def next_run(self, after: datetime) -> datetime:
        return self.zoned.next_run(after)


@dataclass(frozen=True)
class ScheduleSet:
    """Every valid entry (enabled or not) and every problem found."""

    entries: tuple[ScheduleEntry, ...] = ()
    problems: tuple[ScheduleProblem, ...] = ()

    @property
    def registered(self) -> tuple[ScheduleEntry, ...]:
        """The entries the function app registers: valid and enabled."""
        return tuple(entry for entry in self.entries if entry.enabled)

    def entry(self, name: str) -> ScheduleEntry:
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise KeyError(name)


def is_on(value: str | None) -> bool:
    """Whether an enabled_by setting turns its entry on: anything but empty, 0, false, no, off."""
    return value is not None and value.strip().lower() not in _OFF


def allowed_source_hosts(environ: Mapping[str, str]) -> frozenset[str]:
    return host_list(environ.get(SOURCE_ALLOW_HOSTS_SETTING, ""))


# --- reading ---------------------------------------------------------------------------------


def read_schedules(
    path: Path = SCHEDULES_FILE,
    environ: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
    template_names: Callable[[], Sequence[str]] | None = None,
) -> ScheduleSet:
    """Read and check every entry of `path`. Never raises: problems are collected."""
    environ = os.environ if environ is None else environ
    moment = now or datetime.now(UTC)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ScheduleSet()
    except (OSError, UnicodeDecodeError) as error:
        return ScheduleSet(
            problems=(ScheduleProblem(path.name, "file", f"cannot be read: {error}"),)
        )
    except json.JSONDecodeError as error:
        return ScheduleSet(
            problems=(
                ScheduleProblem(
                    path.name,
                    "file",
                    f"is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}",
                ),
            )
        )
    items = document.get("schedules") if isinstance(document, dict) else None
    if not isinstance(items, list):
        return ScheduleSet(
            problems=(
                ScheduleProblem(path.name, "schedules", 'the file must be {"schedules": [...]}'),
            )
        )
    checker = _Checker(environ, moment, template_names or _catalog_names)
    return checker.check_all(items)


def _catalog_names() -> Sequence[str]:
    from shared import catalog  # reads catalog.json only; no template is loaded

    return catalog.template_names()


class _Checker:
    def __init__(
        self,
        environ: Mapping[str, str],
        now: datetime,
        template_names: Callable[[], Sequence[str]],
    ) -> None:
        self.environ = environ
        self.now = now
        self._template_names = template_names
        self._known_templates: Sequence[str] | None = None
        self.allow_hosts = allowed_source_hosts(environ)

    def templates(self) -> Sequence[str]:
        if self._known_templates is None:
            try:
                self._known_templates = list(self._template_names())
            except Exception:  # a broken catalog is reported by the templates check
                self._known_templates = []
        return self._known_templates

    def check_all(self, items: list[Any]) -> ScheduleSet:
        problems: list[ScheduleProblem] = []
        entries: list[ScheduleEntry] = []
        names = [item.get("name") if isinstance(item, dict) else None for item in items]
        for position, item in enumerate(items, start=1):
            found: list[ScheduleProblem] = []
            entry = self.check(position, item, found)
            name = names[position - 1]
            if isinstance(name, str) and names.count(name) > 1:
                others = [str(i) for i, n in enumerate(names, start=1) if n == name]
                found.append(
                    ScheduleProblem(
                        name,
                        "name",
                        f"duplicate name: entries {', '.join(others)} are all called {name!r}; "
                        "none of them is registered",
                    )
                )
            problems.extend(found)
            if entry is not None and not found:
                entries.append(entry)
        return ScheduleSet(tuple(entries), tuple(problems))

    def check(self, position: int, item: Any, found: list[ScheduleProblem]) -> ScheduleEntry | None:
        label = f"entry {position}"
        if not isinstance(item, dict):
            found.append(ScheduleProblem(label, "entry", "must be an object"))
            return None
        raw_name = item.get("name")
        if isinstance(raw_name, str) and _NAME.fullmatch(raw_name) and len(raw_name) <= _MAX_NAME:
            label = raw_name
        else:
            found.append(
                ScheduleProblem(
                    label,
                    "name",
                    "is required: lowercase letters and digits, words joined by single hyphens "
                    f"(at most {_MAX_NAME} characters)",
                )
            )

        def problem(field_name: str, message: str) -> None:
            found.append(ScheduleProblem(label, field_name, message))

        for key in sorted(set(item) - _FIELDS):
            if not key.startswith("$"):
                problem(key, f"is not a known field (known: {', '.join(sorted(_FIELDS))})")

        enabled_by = item.get("enabled_by")
        if enabled_by is not None and not (
            isinstance(enabled_by, str) and _SETTING.fullmatch(enabled_by)
        ):
            problem("enabled_by", "must be the name of an app setting (letters, digits, _)")
            enabled_by = None
        enabled = enabled_by is None or is_on(self.environ.get(enabled_by))
        subscribable = item.get("subscribable", False)
        if not isinstance(subscribable, bool):
            problem("subscribable", "must be true or false")
            subscribable = False
        if subscribable:
            # The sweeper runs it for each subscription (shared.subscriptions.sweeper).
            enabled = False
        page_label = item.get("label", "")
        if not isinstance(page_label, str) or (subscribable and not page_label.strip()):
            problem("label", "is required for a subscribable entry: what the page shows")
            page_label = ""
        parameters = _parameters(item.get("parameters", []), problem)

        zoned = self._schedule(item, problem)
        template = self._template(item, problem)
        channels = self._channels(item, problem, enabled=enabled)
        source = self._source(item, problem, enabled=enabled)
        data = item.get("data")
        if data is not None and source is None and not isinstance(data, dict):
            problem("data", "must be a JSON object (the template's data)")
        when = item.get("when")
        if when is not None and not (
            isinstance(when, str) and when.startswith("${") and when.endswith("}")
        ):
            problem("when", "must be one expression written ${...}")
        description = item.get("description", "")
        if not isinstance(description, str):
            problem("description", "must be a string")
        catch_up = item.get("catch_up", DEFAULT_CATCH_UP)
        if catch_up not in CATCH_UP_CHOICES:
            problem(
                "catch_up",
                "must be 'all', 'latest' or 'none' (what a run posts of the occurrences the "
                "host missed)",
            )
        if found or zoned is None or template is None or channels is None:
            return None
        return ScheduleEntry(
            name=label,
            schedule=zoned.local.text,
            timezone=zoned.timezone,
            template=template,
            channels=channels,
            enabled=enabled,
            zoned=zoned,
            data={} if data is None and source is None else data,
            enabled_by=enabled_by,
            source=source,
            when=when,
            description=description if isinstance(description, str) else "",
            catch_up=catch_up,
            subscribable=subscribable,
            label=page_label,
            parameters=parameters,
        )

    def _schedule(
        self, item: dict[str, Any], problem: Callable[[str, str], None]
    ) -> ZonedSchedule | None:
        expression = item.get("schedule")
        zone = item.get("timezone")
        if zone is not None and not (isinstance(zone, str) and zone.strip()):
            problem("timezone", "must be an IANA time zone name such as Europe/Berlin")
            zone = None
        if not isinstance(expression, str):
            problem("schedule", "is required: an NCRONTAB expression, e.g. '0 0 8 * * Mon-Fri'")
            return None
        cron = zone_info = None
        try:
            cron = parse(expression)
        except CronError as error:
            problem("schedule", str(error))
        try:
            zone_info = ZoneInfo(zone) if zone else None
        except (ZoneInfoNotFoundError, ValueError):
            problem(
                "timezone", f"{str(zone)[:60]!r} is not an IANA time zone name (e.g. Europe/Berlin)"
            )
            return None
        if cron is None:
            return None
        zoned = ZonedSchedule(cron, zone_info, self.now)
        if len(zoned.local.seconds) != 1:
            problem(
                "schedule",
                "the seconds field must be one value (e.g. 0): more than one notification a "
                "minute would run into Teams' rate limits",
            )
            return None
        return zoned

    def _template(self, item: dict[str, Any], problem: Callable[[str, str], None]) -> str | None:
        template = item.get("template")
        known = self.templates()
        if not isinstance(template, str) or template not in known:
            shown = (
                f"unknown template {template[:60]!r}"
                if isinstance(template, str)
                else "is required"
            )
            problem("template", f"{shown} (known templates: {', '.join(known) or 'none'})")
            return None
        return template

    def _channels(
        self, item: dict[str, Any], problem: Callable[[str, str], None], *, enabled: bool
    ) -> tuple[str, ...] | None:
        raw = item.get("channel")
        if raw is None:
            default = self.environ.get(DEFAULT_CHANNEL_SETTING, "").strip().lower()
            if default:
                names: list[str] = [default]
            elif enabled:
                problem("channel", f"none given and {DEFAULT_CHANNEL_SETTING} is not set")
                return None
            else:
                return ()
        elif isinstance(raw, str):
            names = [part.strip().lower() for part in raw.split(",") if part.strip()]
        elif isinstance(raw, list) and all(isinstance(part, str) for part in raw):
            names = [part.strip().lower() for part in raw if part.strip()]
        else:
            problem("channel", "must be a channel name or a list of channel names")
            return None
        if not names:
            problem("channel", "names no channel")
            return None
        if len(names) > MAX_CHANNELS:
            problem("channel", f"names more than {MAX_CHANNELS} channels")
            return None
        unusable = False
        for name in names:
            if not _NAME.fullmatch(name):
                problem("channel", "a channel name is letters, digits and hyphens")
                unusable = True
            elif enabled and setting_for_channel(name) not in self.environ:
                problem(
                    "channel",
                    f"no channel {name!r} is configured ({setting_for_channel(name)} is not set)",
                )
                unusable = True
        return None if unusable else tuple(dict.fromkeys(names))

    def _source(
        self, item: dict[str, Any], problem: Callable[[str, str], None], *, enabled: bool
    ) -> Source | None:
        raw = item.get("source")
        if raw is None:
            return None
        if not isinstance(raw, dict):
            problem("source", "must be an object with a url")
            return None
        for key in sorted(set(raw) - _SOURCE_FIELDS):
            problem(
                f"source.{key}",
                f"is not a known field (known: {', '.join(sorted(_SOURCE_FIELDS))})",
            )
        url = raw.get("url")
        host = _source_host(url, problem)
        timeout = raw.get("timeout", DEFAULT_SOURCE_TIMEOUT)
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not (0 < timeout <= MAX_SOURCE_TIMEOUT)
        ):
            problem(
                "source.timeout",
                f"must be a number of seconds above 0 and at most {MAX_SOURCE_TIMEOUT:g}",
            )
            timeout = DEFAULT_SOURCE_TIMEOUT
        headers = self._headers(raw.get("headers", {}), problem, enabled=enabled)
        if host is None or headers is None or not isinstance(url, str):
            return None
        if enabled and host not in self.allow_hosts:
            problem(
                "source.url",
                f"host {host!r} is not listed in {SOURCE_ALLOW_HOSTS_SETTING} "
                "(the hosts schedules may fetch from, comma-separated)",
            )
            return None
        return Source(url=url, host=host, headers=headers, timeout=float(timeout))

    def _headers(
        self, raw: Any, problem: Callable[[str, str], None], *, enabled: bool
    ) -> tuple[tuple[str, str | HeaderFromSetting], ...] | None:
        if not isinstance(raw, dict):
            problem("source.headers", "must be an object of header names to values")
            return None
        headers: list[tuple[str, str | HeaderFromSetting]] = []
        ok = True
        for name, value in raw.items():
            where = f"source.headers.{name}"
            if not _HEADER.fullmatch(name):
                problem("source.headers", "a header name is letters, digits and -")
                ok = False
            elif isinstance(value, str):
                headers.append((name, value))
            elif (
                isinstance(value, dict)
                and set(value) <= {"setting", "prefix"}
                and isinstance(value.get("setting"), str)
                and _SETTING.fullmatch(value["setting"])
                and isinstance(value.get("prefix", ""), str)
            ):
                setting = value["setting"]
                if enabled and not self.environ.get(setting, "").strip():
                    problem(where, f"app setting {setting} is not set")
                    ok = False
                else:
                    headers.append((name, HeaderFromSetting(setting, value.get("prefix", ""))))
            else:
                problem(
                    where,
                    'must be a string or {"setting": "APP_SETTING_NAME", "prefix": "Bearer "}',
                )
                ok = False
        return tuple(headers) if ok else None


def _parameters(raw: Any, problem: Callable[[str, str], None]) -> tuple[EntryParameter, ...]:
    if not isinstance(raw, list):
        problem("parameters", "must be a list of {name, label, kind}")
        return ()
    found: list[EntryParameter] = []
    for position, item in enumerate(raw):
        where = f"parameters[{position}]"
        if not (
            isinstance(item, dict)
            and isinstance(item.get("name"), str)
            and _NAME.fullmatch(item["name"])
            and isinstance(item.get("label"), str)
            and item["label"].strip()
            and item.get("kind", "text") in PARAMETER_KINDS
        ):
            problem(
                where,
                'must be {"name": "lowercase-name", "label": "what the page shows", "kind": '
                f"one of {', '.join(PARAMETER_KINDS)}}}",
            )
            continue
        found.append(EntryParameter(item["name"], item["label"], item.get("kind", "text")))
    return tuple(found)


def _source_host(url: Any, problem: Callable[[str, str], None]) -> str | None:
    if not isinstance(url, str) or not url.strip():
        problem("source.url", "is required: the https URL whose JSON answer becomes the data")
        return None
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        problem("source.url", "is not a valid URL")
        return None
    host = (parts.hostname or "").lower()
    if not host:
        problem("source.url", "has no host")
        return None
    if parts.username is not None or parts.password is not None:
        problem("source.url", "must not carry credentials (use a header from an app setting)")
        return None
    if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(host)):
        problem("source.url", "must be https (plain http only on loopback)")
        return None
    return host


# --- the process's schedules -------------------------------------------------------------------


@read_once
def current_schedules() -> ScheduleSet:
    """shared/schedules.json as this process reads it (once: settings change with a restart)."""
    return read_schedules()


def load_schedules() -> list[ScheduleEntry]:
    """Every valid entry, enabled or not (for the Outgoing Webhook's `schedules` command); not
    the subscribable ones, which go to whoever subscribed (docs/subscriptions.md)."""
    return [entry for entry in current_schedules().entries if not entry.subscribable]


def schedule_problems() -> list[ScheduleProblem]:
    return list(current_schedules().problems)


def source_problems(entry: ScheduleEntry) -> list[ScheduleProblem]:
    """What the fetch's HTTP client (httpx) refuses in an entry's source URL.

    Checked here, on demand, rather than when the entries load: they load when the function app
    is imported, which must not import httpx (cold start). A source it refuses fails every run
    of its entry (`shared.schedules.source`); the health route and `python -m shared check` name
    it through this."""
    if entry.source is None:
        return []
    refusal = unsendable_reason(entry.source.url)
    return [] if refusal is None else [ScheduleProblem(entry.name, "source.url", refusal)]


def app_setting_names() -> tuple[Any, ...]:
    """The app settings the schedules read, for the infra cross-check (the enabled_by settings
    are read from shared/schedules.json itself)."""
    from shared.config.settings import AppSettingName

    return (
        AppSettingName(
            SOURCE_ALLOW_HOSTS_SETTING,
            "fixed",
            "hosts (comma-separated) that scheduled notifications may fetch their `source` from",
        ),
    )
