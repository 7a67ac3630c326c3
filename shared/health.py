"""Every configuration problem the app knows, by part: for the health route and `python -m shared
check`.

- app settings (channels, budgets, default channel): shared.config.settings;
- Outgoing Webhooks (tokens, send lists, deadline): shared.outgoing.config;
- schedules: shared/schedules.json as the function app registered it, plus what only the card
  engine can tell (a `when` or `data` that does not parse, static data the template does not take);
- subscriptions: the key settings, topics.json, the hosts subscribable entries need;
- the template catalog itself, if it cannot be read;
- the shared tables (shared.state): "unreachable" makes the health route degraded (delivery then
  keeps Teams' windows per instance only), and the dead letters kept are counted. The probe's
  verdict is reused for 30 s (SHARED_STATE_CACHE_SECONDS), and delivery's own view (a table call
  that failed since) overrides it at once.

The health route is anonymous: it gets the number of problems only. `check` prints them with the
setting or entry names (never a value).
"""

import functools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.config.once import read_once

__all__ = [
    "Finding",
    "Section",
    "configuration_checks",
    "configuration_sections",
    "health_report",
]


@dataclass(frozen=True)
class Finding:
    """One thing checked (a setting, an entry) and its problems; none means fine. Warnings are
    what works but was probably not meant (a schedule that never fires): printed by `check`,
    never counted as problems."""

    subject: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    title: str
    findings: list[Finding]

    @property
    def problem_count(self) -> int:
        return sum(len(finding.problems) for finding in self.findings)


def _grouped(problems: list[Any], fallback: str) -> list[Finding]:
    """Findings per setting from ConfigProblems; one `fallback: ok` line when there are none."""
    by_setting: dict[str, list[str]] = {}
    for problem in problems:
        by_setting.setdefault(problem.setting, []).append(problem.message)
    if not by_setting:
        return [Finding(fallback)]
    return [Finding(setting, messages) for setting, messages in by_setting.items()]


def _settings_section() -> Section:
    from shared.config.settings import current_settings

    settings = current_settings()
    count = len(settings.channels)
    return Section(
        "app settings",
        _grouped(list(settings.problems), f"app settings ({count} usable channel(s))"),
    )


def _outgoing_section() -> Section:
    from shared.outgoing.config import current_outgoing_config

    config = current_outgoing_config()
    return Section(
        "outgoing webhooks",
        _grouped(list(config.problems), f"outgoing webhooks ({len(config.webhooks)} configured)"),
    )


def _subscriptions_section() -> Section:
    from shared.subscriptions.checks import subscriptions_state

    state = subscriptions_state()
    findings = [Finding(subject, messages) for subject, messages in state.problems.items()]
    return Section("subscriptions", findings or [Finding(state.summary)])


def _schedules_section() -> Section:
    from shared.schedules import current_schedules

    schedules = current_schedules()
    findings: dict[str, Finding] = {}
    for problem in schedules.problems:
        findings.setdefault(problem.entry, Finding(problem.entry)).problems.append(str(problem))
    for entry in schedules.entries:
        if entry.subscribable:
            state = "subscribable: runs per subscription"
        elif entry.enabled:
            state = f"on, registered as '{entry.registered_schedule}' UTC"
        else:
            state = f"off until {entry.enabled_by} is set"
        finding = Finding(
            f"{entry.name} ({state})", _engine_problems(entry), _schedule_warnings(entry)
        )
        findings[entry.name] = finding
    if not findings:
        return Section("schedules", [Finding("schedules (none declared)")])
    return Section("schedules", list(findings.values()))


def _schedule_warnings(entry: Any) -> list[str]:
    """Where the host reads the entry's schedule other than a person probably meant."""
    from datetime import UTC, datetime

    from shared.schedules.ncrontab import warnings

    return [f"schedule: {warning}" for warning in warnings(entry.zoned.local, datetime.now(UTC))]


def _engine_problems(entry: Any) -> list[str]:
    """What the card engine and the HTTP client find in an entry (imported here, never at app
    start)."""
    from shared.schedules.entries import source_problems

    data = json.dumps(entry.data, sort_keys=True)
    return [str(problem) for problem in source_problems(entry)] + list(
        _engine_findings(
            entry.template, entry.when, data, entry.source is not None, tuple(entry.channels)
        )
    )


@functools.lru_cache(maxsize=64)
def _engine_findings(
    template: str, when: str | None, data_json: str, has_source: bool, channels: tuple[str, ...]
) -> tuple[str, ...]:
    # Cached: the health route asks on every probe, and an entry's findings only change with the
    # file, which changes only with a deployment (a new process).
    from shared.cards import TemplateError, compile_template

    data = json.loads(data_json)
    problems = []
    if when is not None:
        try:
            compile_template(when)
        except TemplateError as error:
            problems.append(f"when: {error}")
    if has_source:
        if data is not None:
            try:
                compile_template(data)
            except TemplateError as error:
                problems.append(f"data: {error}")
        return tuple(problems)
    from shared import catalog
    from shared.cards import check_card

    for channel in channels or (None,):
        try:
            card = catalog.compiled(template).expand(
                data, catalog.host_object(template, channel), strict=True
            )
        except TemplateError as error:
            problems.append(f"data: {error}")
            break
        found = check_card(card, "incoming")
        if found:
            problems.extend(f"data: the card has a problem: {p}" for p in found)
            break
    return tuple(problems)


def _catalog_section() -> Section:
    from shared import catalog

    try:
        count = len(catalog.template_names())
    except catalog.CatalogError as error:
        return Section("templates", [Finding("template catalog", [str(error)])])
    return Section("templates", [Finding(f"template catalog ({count} templates)")])


_SECTIONS: tuple[Callable[[], Section], ...] = (
    _settings_section,
    _outgoing_section,
    _schedules_section,
    _subscriptions_section,
)


def _run(make: Callable[[], Section], title: str) -> Section:
    try:
        return make()
    except Exception as error:  # one broken part must not hide the others
        return Section(title, [Finding(title, [f"could not be checked ({type(error).__name__})"])])


def configuration_checks() -> list[tuple[str, Callable[[], Section]]]:
    """Each configuration part as (title, check), run in this order; a check never raises."""
    titles = ("app settings", "outgoing webhooks", "schedules", "subscriptions")
    return [
        (title, functools.partial(_run, make, title))
        for title, make in zip(titles, _SECTIONS, strict=True)
    ]


def configuration_sections() -> list[Section]:
    """The configuration parts `python -m shared check` prints after the templates."""
    return [check() for _title, check in configuration_checks()]


def health_report() -> dict[str, Any]:
    """What the anonymous health route answers: counts only, no names, URLs or values."""
    from shared import __version__

    sections = [*configuration_sections(), _run(_catalog_section, "templates")]
    problems = sum(section.problem_count for section in sections)
    shared_state, dead_letters = _shared_state()
    report: dict[str, Any] = {
        "status": "degraded" if problems or shared_state == "unreachable" else "ok",
        "problems": problems,
        "shared_state": shared_state,
        "dead_letters": dead_letters,
        "version": __version__,
        "templates": _count(_template_count),
        "channels": _count(_channel_count),
        "schedules": _count(_schedule_count),
        "subscriptions": _subscription_counts(),
    }
    return report


def _subscription_counts() -> dict[str, int] | None:
    """{"active": n, "paused": m}, or None when subscriptions are off or their table did not
    answer (never names: the route is anonymous)."""
    try:
        from shared.subscriptions.service import current_subscriptions

        active, paused = current_subscriptions().table.counts()
    except Exception:  # off (no key or storage) or unreachable: its section says which
        return None
    return {"active": active, "paused": paused}


def _count(counter: Callable[[], int]) -> int | None:
    try:
        return counter()
    except Exception:  # already counted as a problem by its section
        return None


def _template_count() -> int:
    from shared import catalog

    return len(catalog.template_names())


def _channel_count() -> int:
    from shared.config.settings import current_settings

    return len(current_settings().channels)


def _schedule_count() -> int:
    from shared.schedules import current_schedules

    return len(current_schedules().registered)


SHARED_STATE_CACHE_SECONDS = 30.0
"""How long the health route reuses its verdict on the shared tables: an anonymous route that
load balancers probe every few seconds must not cost a table query each time."""


@dataclass
class SharedStateVerdict:
    """The last probe of the shared tables, reused for `seconds` (and dropped sooner when
    delivery finds the tables down or back, so the route never lags behind what delivery knows)."""

    seconds: float = SHARED_STATE_CACHE_SECONDS
    clock: Callable[[], float] = time.monotonic
    probes: int = 0
    _value: tuple[str, int | None] | None = None
    _at: float = 0.0
    _seen: tuple[bool, int] = (False, 0)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, seen: tuple[bool, int]) -> tuple[str, int | None]:
        """The verdict, probed again when older than `seconds` or when `seen` (delivery's view:
        degraded, fallbacks so far) changed since the last probe."""
        with self._lock:
            fresh = self.clock() - self._at < self.seconds and seen == self._seen
            if self._value is not None and fresh:
                return self._value
        value = _probe_shared_state()
        with self._lock:
            self._value, self._at, self._seen = value, self.clock(), seen
            self.probes += 1
        return value


@read_once
def current_shared_state_verdict() -> SharedStateVerdict:
    """The process's cached verdict on the shared tables."""
    return SharedStateVerdict()


def _shared_state() -> tuple[str, int | None]:
    """("off" | "ok" | "unreachable", dead letters kept), at most SHARED_STATE_CACHE_SECONDS
    old unless delivery's view of the tables changed since."""
    from shared.state.store import current_availability

    availability = current_availability()
    if availability.degraded:
        return "unreachable", None
    return current_shared_state_verdict().get((False, availability.fallbacks))


def _probe_shared_state() -> tuple[str, int | None]:
    """Counting the dead letters is the probe of the shared tables."""
    from shared.state.deadletters import current_dead_letters

    try:
        letters = current_dead_letters()
        if letters is None:
            return "off", None
        count = letters.count()
    except Exception:  # StateUnavailable, or a storage setting the SDK refuses
        return "unreachable", None
    return "ok", count
