"""shared/schedules.json: the shipped examples, and every way an entry can be wrong.

A bad entry is left out and reported with the entry's name and the field; the others are
unaffected. What matters only for an entry that runs (its channel, its source host, its header
settings) is checked only when the entry is enabled.
"""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shared.config.once import reset_configuration
from shared.outgoing.commands_builtin import Schedule
from shared.schedules import entries as entries_module
from shared.schedules.entries import (
    SCHEDULES_FILE,
    HeaderFromSetting,
    ScheduleSet,
    is_on,
    read_schedules,
    setting_for_channel,
)

NOW = datetime(2025, 1, 10, tzinfo=UTC)
TEMPLATES = ["message", "alert", "digest"]
BASE: dict[str, Any] = {
    "name": "morning",
    "schedule": "0 0 8 * * Mon-Fri",
    "timezone": "Europe/Berlin",
    "template": "digest",
    "channel": "ops",
}
CONFIGURED = {"TEAMS_WEBHOOK_OPS": "x", "TEAMS_WEBHOOK_DEV": "x"}


def read(tmp_path: Path, *items: Any, environ: dict[str, str] | None = None) -> ScheduleSet:
    path = tmp_path / "schedules.json"
    path.write_text(json.dumps({"schedules": list(items)}), encoding="utf-8")
    return read_schedules(
        path,
        CONFIGURED if environ is None else environ,
        now=NOW,
        template_names=lambda: TEMPLATES,
    )


def entry(**changes: Any) -> dict[str, Any]:
    item = {**BASE, **changes}
    return {key: value for key, value in item.items() if value is not None}


def problems_of(found: ScheduleSet) -> list[tuple[str, str]]:
    return [(problem.entry, problem.field) for problem in found.problems]


# --- the shipped file ----------------------------------------------------------------------------


def test_the_shipped_examples_are_valid_and_off_until_their_settings_are_set() -> None:
    found = read_schedules(SCHEDULES_FILE, {}, now=NOW)
    assert found.problems == ()
    assert [(e.name, e.enabled, e.enabled_by) for e in found.entries] == [
        ("weekday-digest", False, "SCHEDULE_WEEKDAY_DIGEST"),
        ("service-status", False, "SCHEDULE_SERVICE_STATUS"),
        # Run per subscription by the sweeper, never on a timer of its own.
        ("weather", False, None),
    ]
    assert found.registered == ()
    assert [e.name for e in found.entries if e.subscribable] == ["weather"]


def test_the_shipped_examples_run_when_enabled() -> None:
    environ = {
        "SCHEDULE_WEEKDAY_DIGEST": "true",
        "SCHEDULE_SERVICE_STATUS": "true",
        "TEAMS_DEFAULT_CHANNEL": "ops",
        "TEAMS_WEBHOOK_OPS": "x",
        "SOURCE_ALLOW_HOSTS": "www.githubstatus.com",
    }
    found = read_schedules(SCHEDULES_FILE, environ, now=NOW)
    assert found.problems == ()
    digest, status = found.registered
    assert (digest.function_name, digest.registered_schedule) == (
        "schedule_weekday_digest",
        "0 0 6-7 * * *",
    )
    assert (digest.template, digest.timezone, digest.channels) == (
        "digest",
        "Europe/Berlin",
        ("ops",),
    )
    assert status.function_name == "schedule_service_status"
    assert status.registered_schedule == "0 */15 * * * *"
    assert status.source is not None
    assert status.source.host == "www.githubstatus.com"


def test_the_service_status_example_needs_its_host_allowed() -> None:
    environ = {
        "SCHEDULE_SERVICE_STATUS": "1",
        "TEAMS_DEFAULT_CHANNEL": "ops",
        "TEAMS_WEBHOOK_OPS": "x",
    }
    found = read_schedules(SCHEDULES_FILE, environ, now=NOW)
    assert problems_of(found) == [("service-status", "source.url")]
    assert "SOURCE_ALLOW_HOSTS" in found.problems[0].message
    assert [e.name for e in found.entries] == ["weekday-digest", "weather"]


def test_entries_offer_what_the_outgoing_webhook_s_schedule_interface_reads() -> None:
    # commands_builtin.Schedule is what `schedules` (the Outgoing Webhook command) reads. Its
    # members are declared settable, so a frozen entry satisfies it at run time, not for mypy.
    found = read_schedules(SCHEDULES_FILE, {"TEAMS_DEFAULT_CHANNEL": "ops"}, now=NOW)
    digest = found.entries[0]
    for member in Schedule.__annotations__:
        assert hasattr(digest, member), member
    assert digest.next_run(NOW).isoformat() == "2025-01-10T08:00:00+01:00"
    assert list(digest.channels) == ["ops"]


def test_the_outgoing_webhook_schedules_command_reads_the_shipped_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared.config.once import reset_configuration
    from shared.outgoing.commands_builtin import schedules
    from shared.outgoing.registry import CommandContext

    for name in ("SCHEDULE_WEEKDAY_DIGEST", "SCHEDULE_SERVICE_STATUS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEAMS_DEFAULT_CHANNEL", "ops")
    reset_configuration()
    try:
        text = schedules(object.__new__(CommandContext))
    finally:
        reset_configuration()
    assert text == (
        "Scheduled notifications:\n\n"
        "- `service-status`: `alert` to `ops`, off (its enabling app setting is not set)\n"
        "- `weekday-digest`: `digest` to `ops`, off (its enabling app setting is not set)"
    )


def test_the_channel_setting_name_is_the_one_shared_settings_uses() -> None:
    from shared.config.settings import setting_for_channel as settings_name

    for name in ("ops", "devops-alerts", "team-a-2"):
        assert setting_for_channel(name) == settings_name(name)


# --- enabled_by ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "on"),
    [
        (None, False),
        ("", False),
        ("  ", False),
        ("0", False),
        ("false", False),
        ("No", False),
        ("OFF", False),
        ("true", True),
        ("1", True),
        ("yes", True),
    ],
)
def test_what_turns_an_entry_on(value: str | None, on: bool) -> None:
    assert is_on(value) is on


def test_an_entry_without_enabled_by_is_always_on(tmp_path: Path) -> None:
    [found] = read(tmp_path, entry()).registered
    assert found.name == "morning"


def test_an_entry_that_is_off_may_name_a_channel_not_configured_yet(tmp_path: Path) -> None:
    found = read(tmp_path, entry(channel="later", enabled_by="MORNING_ON"))
    assert found.problems == ()
    assert found.entries[0].enabled is False


# --- bad entries ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"schedule": "8 * * *"}, "schedule", "six, seconds first"),
        ({"catch_up": "some"}, "catch_up", "'all', 'latest' or 'none'"),
        ({"schedule": "0 0 25 * * *"}, "schedule", "hour field"),
        ({"schedule": None}, "schedule", "is required"),
        ({"schedule": "* 0 8 * * *"}, "schedule", "seconds field must be one value"),
        ({"timezone": "Europe/Atlantis"}, "timezone", "not an IANA time zone"),
        ({"timezone": "../../etc/passwd"}, "timezone", "not an IANA time zone"),
        ({"template": "no-such"}, "template", "unknown template 'no-such'"),
        ({"template": None}, "template", "is required"),
        ({"channel": "nowhere"}, "channel", "TEAMS_WEBHOOK_NOWHERE is not set"),
        ({"channel": "https://evil.example/hook"}, "channel", "letters, digits and hyphens"),
        ({"channel": 5}, "channel", "channel name or a list"),
        ({"enabled_by": "not a setting"}, "enabled_by", "name of an app setting"),
        ({"data": [1, 2]}, "data", "JSON object"),
        ({"when": "status == 'down'"}, "when", "${...}"),
        ({"shedule": "0 0 8 * * *"}, "shedule", "not a known field"),
        ({"name": "Morning Digest"}, "name", "lowercase letters"),
    ],
)
def test_a_bad_entry_is_reported_with_its_field_and_left_out(
    tmp_path: Path, changes: dict[str, Any], field: str, says: str
) -> None:
    good = entry(name="other", channel="dev")
    found = read(tmp_path, entry(**changes), good)
    [problem] = found.problems
    assert problem.field == field
    assert says in problem.message
    assert problem.entry in ("morning", "entry 1")
    # The other entry is unaffected.
    assert [e.name for e in found.entries] == ["other"]


def test_a_five_field_schedule_is_registered_with_its_seconds_written_out(tmp_path: Path) -> None:
    # The host reads five fields as seconds 0 (Microsoft Learn, timer trigger, "NCRONTAB
    # expressions"); the app registers the same schedule in six.
    found = read(tmp_path, entry(schedule="30 9 * * M-F", timezone=None))
    assert found.problems == ()
    [morning] = found.entries
    assert morning.schedule == "0 30 9 * * M-F"
    assert morning.registered_schedule == "0 30 9 * * M-F"


def test_catch_up_defaults_to_latest(tmp_path: Path) -> None:
    found = read(tmp_path, entry(), entry(name="every", catch_up="all"))
    assert [e.catch_up for e in found.entries] == ["latest", "all"]


def test_duplicate_names_leave_all_of_them_out(tmp_path: Path) -> None:
    found = read(tmp_path, entry(), entry(channel="dev"), entry(name="other"))
    assert problems_of(found) == [("morning", "name"), ("morning", "name")]
    assert "entries 1, 2" in found.problems[0].message
    assert [e.name for e in found.entries] == ["other"]


def test_every_problem_of_an_entry_is_reported_at_once(tmp_path: Path) -> None:
    found = read(tmp_path, entry(schedule="0 0 8 * * * *", timezone="Mars/Olympus", template="x"))
    assert {p.field for p in found.problems} == {"schedule", "timezone", "template"}


def test_without_a_channel_the_default_channel_is_used(tmp_path: Path) -> None:
    environ = {**CONFIGURED, "TEAMS_DEFAULT_CHANNEL": "Dev"}
    [found] = read(tmp_path, entry(channel=None), environ=environ).entries
    assert found.channels == ("dev",)


def test_without_a_channel_or_a_default_an_enabled_entry_is_refused(tmp_path: Path) -> None:
    found = read(tmp_path, entry(channel=None))
    assert problems_of(found) == [("morning", "channel")]
    assert "TEAMS_DEFAULT_CHANNEL is not set" in found.problems[0].message


def test_channels_may_be_a_list_or_comma_separated(tmp_path: Path) -> None:
    first, second = read(
        tmp_path, entry(channel="OPS, dev"), entry(name="other", channel=["dev", "ops"])
    ).entries
    assert first.channels == ("ops", "dev")
    assert second.channels == ("dev", "ops")


@pytest.mark.parametrize(
    "document", ["[]", '{"schedules": {}}', "{not json", '"schedules"', '{"other": []}']
)
def test_a_file_that_is_not_a_list_of_entries_is_one_problem(tmp_path: Path, document: str) -> None:
    path = tmp_path / "schedules.json"
    path.write_text(document, encoding="utf-8")
    found = read_schedules(path, {}, now=NOW, template_names=lambda: TEMPLATES)
    assert len(found.problems) == 1
    assert found.entries == ()


def test_no_file_means_no_schedules(tmp_path: Path) -> None:
    assert read_schedules(tmp_path / "missing.json", {}, now=NOW) == ScheduleSet()


# --- sources --------------------------------------------------------------------------------------

SOURCE = {"url": "https://status.example.com/api/v2/summary.json"}
ALLOWED = {**CONFIGURED, "SOURCE_ALLOW_HOSTS": "status.example.com, other.example.com"}


def test_a_source_on_an_allowed_host_is_read_with_its_headers_and_timeout(tmp_path: Path) -> None:
    source = {
        **SOURCE,
        "timeout": 5,
        "headers": {
            "Authorization": {"setting": "STATUS_TOKEN", "prefix": "Bearer "},
            "X-Team": "ops",
        },
    }
    environ = {**ALLOWED, "STATUS_TOKEN": "s3cret"}
    [found] = read(tmp_path, entry(source=source, data=None), environ=environ).entries
    assert found.source is not None
    assert found.source.host == "status.example.com"
    assert found.source.timeout == 5.0
    assert found.source.headers == (
        ("Authorization", HeaderFromSetting("STATUS_TOKEN", "Bearer ")),
        ("X-Team", "ops"),
    )
    assert found.data is None  # the fetched answer will be the data
    assert "s3cret" not in repr(found)


@pytest.mark.parametrize(
    ("source", "field", "says"),
    [
        (
            {"url": "https://elsewhere.example.com/x"},
            "source.url",
            "not listed in SOURCE_ALLOW_HOSTS",
        ),
        ({"url": "http://status.example.com/x"}, "source.url", "must be https"),
        ({"url": "ftp://status.example.com/x"}, "source.url", "must be https"),
        ({"url": "https://user:pw@status.example.com/x"}, "source.url", "credentials"),
        ({"url": "https://status.example.com:99999/x"}, "source.url", "not a valid URL"),
        ({}, "source.url", "is required"),
        ({**SOURCE, "timeout": 0}, "source.timeout", "above 0"),
        ({**SOURCE, "timeout": 600}, "source.timeout", "at most 60"),
        (
            {**SOURCE, "headers": {"Authorization": {"setting": "MISSING"}}},
            "source.headers.Authorization",
            "MISSING is not set",
        ),
        (
            {**SOURCE, "headers": {"Authorization": 5}},
            "source.headers.Authorization",
            "must be a string",
        ),
        ({**SOURCE, "headers": ["x"]}, "source.headers", "must be an object"),
        ({**SOURCE, "method": "POST"}, "source.method", "not a known field"),
    ],
)
def test_a_bad_source_is_reported_with_its_field(
    tmp_path: Path, source: dict[str, Any], field: str, says: str
) -> None:
    found = read(tmp_path, entry(source=source), environ=ALLOWED)
    assert (found.problems[0].field, found.entries) == (field, ())
    assert says in found.problems[0].message


def test_plain_http_is_allowed_on_loopback_only(tmp_path: Path) -> None:
    environ = {**CONFIGURED, "SOURCE_ALLOW_HOSTS": "127.0.0.1"}
    [found] = read(
        tmp_path, entry(source={"url": "http://127.0.0.1:8080/status"}), environ=environ
    ).entries
    assert found.source is not None


def test_a_source_entry_that_is_off_is_not_held_to_the_allow_list(tmp_path: Path) -> None:
    source = {"url": "https://status.example.com/x", "headers": {"A": {"setting": "UNSET"}}}
    found = read(tmp_path, entry(source=source, enabled_by="STATUS_ON"))
    assert found.problems == ()


def test_the_process_reads_the_file_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = entries_module.read_schedules

    def counting(*args: Any, **kwargs: Any) -> ScheduleSet:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(entries_module, "read_schedules", counting)
    reset_configuration()
    try:
        entries_module.load_schedules()
        entries_module.schedule_problems()
        entries_module.current_schedules()
    finally:
        reset_configuration()
    assert len(calls) == 1


# --- warnings: accepted as the host accepts them, but probably not meant -------------------------


def test_check_warns_about_a_schedule_that_never_fires_without_refusing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shared.schedules
    from shared.cli import main
    from shared.health import configuration_sections

    found = read(
        tmp_path,
        entry(name="leap", schedule="0 0 8 31 2 *"),
        entry(name="evenings", schedule="0 0 17-9 * * *", channel="dev"),
        entry(name="plain", channel="dev"),
    )
    assert found.problems == ()
    assert [e.name for e in found.entries] == ["leap", "evenings", "plain"]
    monkeypatch.setattr(shared.schedules, "current_schedules", lambda: found)
    main(["check"])
    lines = [line.strip() for line in capsys.readouterr().out.splitlines()]
    start = lines.index("schedules:")
    assert lines[start + 1 : start + 7] == [
        "leap (on, registered as '0 0 6-7 * * *' UTC): ok",
        "warning: schedule: never fires (no matching date within 30 years): the host accepts it "
        "and never runs it",
        "evenings (on, registered as '0 0 7-16 * * *' UTC): ok",
        "warning: schedule: hour field item '17-9' runs backwards and is read as 9-17 (NCrontab "
        "swaps it); to wrap past the end of the field write '17-23,0-9'",
        "plain (on, registered as '0 0 6-7 * * *' UTC): ok",
        lines[start + 6],
    ]
    assert not lines[start + 6].startswith("warning:")
    # Warnings are not problems: they neither count on the health route nor fail `check`.
    [schedules] = [s for s in configuration_sections() if s.title == "schedules"]
    assert schedules.problem_count == 0


# --- subscribable entries (docs/subscriptions.md) ------------------------------------------------


def test_a_subscribable_entry_is_never_registered_and_needs_no_channel(tmp_path: Path) -> None:
    item = entry(
        channel=None,
        subscribable=True,
        label="Morning digest",
        parameters=[{"name": "place", "label": "City", "kind": "place"}],
    )
    found = read(tmp_path, item, environ={})
    assert found.problems == ()
    [subscribable] = found.entries
    assert subscribable.subscribable
    assert not subscribable.enabled
    assert found.registered == ()
    assert subscribable.label == "Morning digest"
    assert [(p.name, p.kind) for p in subscribable.parameters] == [("place", "place")]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subscribable": "yes", "label": "x"}, "subscribable"),
        ({"subscribable": True}, "label"),
        ({"subscribable": True, "label": "x", "parameters": {"city": "x"}}, "parameters"),
        (
            {"subscribable": True, "label": "x", "parameters": [{"name": "City", "label": "x"}]},
            "parameters[0]",
        ),
        (
            {
                "subscribable": True,
                "label": "x",
                "parameters": [{"name": "city", "label": "x", "kind": "map"}],
            },
            "parameters[0]",
        ),
    ],
)
def test_a_bad_subscribable_entry_is_named_by_field(
    tmp_path: Path, changes: dict[str, Any], field: str
) -> None:
    found = read(tmp_path, entry(**changes))
    assert problems_of(found) == [("morning", field)]
    assert found.entries == ()
