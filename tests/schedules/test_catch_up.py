"""Which occurrences a run posts: decided from what the host reports, each posted once.

The host hands each timer invocation its schedule status (`ScheduleStatus` Last/Next/LastUpdated:
the previous invocation, and the slot this one was started for, or the one it missed) and
`IsPastDue` (Azure/azure-webjobs-sdk-extensions, Timers/Listener/TimerListener.cs
`InvokeJobFunction`). The two examples of issue 17 are here as they were reported.
"""

import json
import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from devtools.teams_standin import TeamsStandIn
from shared.schedules.entries import ScheduleEntry, read_schedules
from shared.schedules.run import MAX_CATCH_UP, RunOutcome, run_entry
from tests.support.function_app import Channels, configure, run
from tests.support.schedules import Timer


def status(last: datetime | None, next_: datetime) -> dict[str, Any]:
    # As the host writes them: .NET round-trip ("o") format; a Last that never was is MinValue.
    never = "0001-01-01T00:00:00"
    return {
        "Last": last.strftime("%Y-%m-%dT%H:%M:%S.0000000+00:00") if last else never,
        "Next": next_.strftime("%Y-%m-%dT%H:%M:%S.0000000+00:00"),
        "LastUpdated": (last or next_).isoformat(),
    }


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def make_entry(
    tmp_path: Path, schedule: str, timezone: str | None, catch_up: str | None = None
) -> ScheduleEntry:
    item: dict[str, Any] = {
        "name": "digest",
        "schedule": schedule,
        "template": "message",
        "channel": "ops",
        "data": {"title": "Good morning", "text": "check-list"},
    }
    if timezone:
        item["timezone"] = timezone
    if catch_up:
        item["catch_up"] = catch_up
    path = tmp_path / "schedules.json"
    path.write_text(json.dumps({"schedules": [item]}), encoding="utf-8")
    found = read_schedules(path, dict(os.environ), now=utc(2026, 1, 1))
    assert found.problems == ()
    return found.entry("digest")


def go(entry: ScheduleEntry, at: datetime, timer: Timer, invocation: str = "inv") -> RunOutcome:
    return run(run_entry(entry, timer, invocation_id=invocation, now=at, environ=os.environ))


@pytest.fixture
def channels(monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn) -> Channels:
    return configure(monkeypatch, teams, {"ops": "classic"})


def local(outcome: RunOutcome, zone: str) -> list[str]:
    from zoneinfo import ZoneInfo

    return [p.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M %Z") for p in outcome.posted]


# --- issue 17, example 1: Berlin, the 08:00 run missed ------------------------------------------


def test_berlin_a_missed_0800_is_posted_when_the_host_comes_back_at_0701(
    tmp_path: Path, channels: Channels, caplog: pytest.LogCaptureFixture
) -> None:
    # 0 0 8 * * Mon-Fri in Europe/Berlin is registered as 0 0 6-7 * * * UTC. On Monday 30 March
    # 2026 (CEST since Sunday) the 06:00 UTC run is missed; the host comes back at 07:01 UTC.
    # Before: the run was judged by the 07:00 slot (09:00 local, not due) and nothing was posted.
    entry = make_entry(tmp_path, "0 0 8 * * Mon-Fri", "Europe/Berlin")
    timer = Timer(True, status(utc(2026, 3, 29, 7), utc(2026, 3, 30, 6)))
    with caplog.at_level(logging.INFO, logger="shared.schedules"):
        outcome = go(entry, utc(2026, 3, 30, 7, 1), timer)
    assert outcome.status == "sent"
    assert local(outcome, "Europe/Berlin") == ["Mon 30 Mar 08:00 CEST"]
    assert len(channels.received("ops")) == 1
    [line] = [r.getMessage() for r in caplog.records if "past due" in r.getMessage()]
    assert "the host missed 2026-03-30 06:00:00 UTC" in line
    assert "missed occurrences: 2026-03-30 08:00:00 CEST (06:00:00 UTC)" in line
    assert "catch_up latest posts 2026-03-30 08:00:00 CEST (06:00:00 UTC)" in line
    # The host's next run (Tuesday 06:00 UTC) posts Tuesday, once.
    after = Timer(False, status(utc(2026, 3, 30, 7, 1), utc(2026, 3, 31, 6)))
    assert local(go(entry, utc(2026, 3, 31, 6), after), "Europe/Berlin") == [
        "Tue 31 Mar 08:00 CEST"
    ]
    assert len(channels.received("ops")) == 2


# --- issue 17, example 2: New York, a past-due run 2 s before the next slot ----------------------


def test_new_york_a_past_due_run_just_before_the_next_slot_does_not_post_that_slot_twice(
    tmp_path: Path, channels: Channels
) -> None:
    # 0 0 9 * * * in America/New_York: registered 0 0 13-14 * * * UTC. The 2026-03-07 14:00 UTC
    # run (09:00 EST) is missed; the host restarts at 2026-03-08 12:59:58 UTC, 2 s before the
    # 13:00 UTC slot, which is 09:00 EDT (DST began that night). Before: the past-due run posted
    # for 13:00 and the host's 13:00 run posted again.
    entry = make_entry(tmp_path, "0 0 9 * * *", "America/New_York")
    missed = Timer(True, status(utc(2026, 3, 7, 13), utc(2026, 3, 7, 14)))
    first = go(entry, utc(2026, 3, 8, 12, 59, 58), missed, "restart")
    assert local(first, "America/New_York") == ["Sat 07 Mar 09:00 EST"]
    on_time = Timer(False, status(utc(2026, 3, 8, 12, 59, 58), utc(2026, 3, 8, 13)))
    second = go(entry, utc(2026, 3, 8, 13), on_time, "on-time")
    assert local(second, "America/New_York") == ["Sun 08 Mar 09:00 EDT"]
    assert len(channels.received("ops")) == 2
    # A host that fires the 13:00 slot again (a restart during the run, a second instance) finds
    # it claimed: nothing more is posted.
    again = go(entry, utc(2026, 3, 8, 13, 0, 1), on_time, "duplicate")
    assert (again.status, again.posted, again.already) == (
        "already-posted",
        (),
        (utc(2026, 3, 8, 13),),
    )
    assert len(channels.received("ops")) == 2


# --- catch_up -------------------------------------------------------------------------------------

# Every day at 08:00 UTC; down from Monday 07:00 to Thursday 09:30: Mon, Tue, Wed, Thu missed.
DOWN = Timer(True, status(utc(2026, 6, 1, 7), utc(2026, 6, 1, 8)))
BACK = utc(2026, 6, 4, 9, 30)


@pytest.mark.parametrize(
    ("catch_up", "posted", "skipped"),
    [
        (None, ["Thu 04 Jun 08:00 UTC"], 3),
        ("latest", ["Thu 04 Jun 08:00 UTC"], 3),
        (
            "all",
            [
                "Mon 01 Jun 08:00 UTC",
                "Tue 02 Jun 08:00 UTC",
                "Wed 03 Jun 08:00 UTC",
                "Thu 04 Jun 08:00 UTC",
            ],
            0,
        ),
        ("none", [], 4),
    ],
)
def test_catch_up_decides_what_a_past_due_run_posts_and_the_log_names_the_rest(
    tmp_path: Path,
    channels: Channels,
    caplog: pytest.LogCaptureFixture,
    catch_up: str | None,
    posted: list[str],
    skipped: int,
) -> None:
    entry = make_entry(tmp_path, "0 0 8 * * *", None, catch_up)
    with caplog.at_level(logging.INFO, logger="shared.schedules"):
        outcome = go(entry, BACK, DOWN)
    assert local(outcome, "UTC") == posted
    assert len(outcome.skipped) == skipped
    assert len(channels.received("ops")) == len(posted)
    skipped_lines = [r.getMessage() for r in caplog.records if "skipped (missed" in r.getMessage()]
    assert len(skipped_lines) == skipped
    if skipped:
        assert skipped_lines[0].startswith(
            "schedule digest: occurrence 2026-06-01 08:00:00 UTC skipped (missed; catch_up "
        )
        assert outcome.status == ("skipped" if not posted else "sent")


def test_catch_up_all_posts_at_most_the_latest_few_after_a_long_outage(
    tmp_path: Path, channels: Channels, caplog: pytest.LogCaptureFixture
) -> None:
    entry = make_entry(tmp_path, "0 0 * * * *", None, "all")
    timer = Timer(True, status(utc(2026, 6, 1, 0), utc(2026, 6, 1, 1)))
    with caplog.at_level(logging.INFO, logger="shared.schedules"):
        outcome = go(entry, utc(2026, 6, 3, 0, 30), timer)
    assert len(outcome.posted) == MAX_CATCH_UP
    assert outcome.posted[-1] == utc(2026, 6, 3, 0)
    assert outcome.posted[0] == utc(2026, 6, 3, 0) - timedelta(hours=MAX_CATCH_UP - 1)
    assert any("are not considered" in r.getMessage() for r in caplog.records)


def test_catch_up_none_still_posts_the_slot_a_run_was_started_for(
    tmp_path: Path, channels: Channels
) -> None:
    entry = make_entry(tmp_path, "0 0 8 * * *", None, "none")
    timer = Timer(False, status(utc(2026, 6, 1, 8), utc(2026, 6, 2, 8)))
    # Started a little early, as the host may be (clock skew).
    outcome = go(entry, utc(2026, 6, 2, 7, 59, 59, 400_000), timer)
    assert local(outcome, "UTC") == ["Tue 02 Jun 08:00 UTC"]


def test_a_run_delayed_past_later_slots_catches_them_up(tmp_path: Path, channels: Channels) -> None:
    # Not past due, but started long after its slot (the previous invocation ran long): the
    # occurrences since are missed too, and `latest` posts the most recent.
    entry = make_entry(tmp_path, "0 */15 * * * *", None)
    timer = Timer(False, status(utc(2026, 6, 1, 8), utc(2026, 6, 1, 8, 15)))
    outcome = go(entry, utc(2026, 6, 1, 8, 50), timer)
    assert outcome.posted == (utc(2026, 6, 1, 8, 45),)
    assert len(outcome.skipped) == 2


def test_without_a_status_the_run_is_judged_by_its_registered_slot(
    tmp_path: Path, channels: Channels
) -> None:
    entry = make_entry(tmp_path, "0 0 8 * * Mon-Fri", "Europe/Berlin")
    assert go(entry, utc(2026, 7, 6, 5, 0), Timer()).status == "not-due"  # 07:00 CEST
    assert local(go(entry, utc(2026, 7, 6, 6, 0, 1), Timer()), "Europe/Berlin") == [
        "Mon 06 Jul 08:00 CEST"
    ]


@pytest.mark.parametrize(
    "reported",
    [
        {"Next": "not a time", "Last": "2026-07-06T05:00:00Z"},
        {"Next": "2030-01-01T00:00:00Z"},  # far ahead of the clock: not this run's slot
        {},
    ],
)
def test_a_status_the_run_cannot_use_falls_back_to_the_clock(
    tmp_path: Path, channels: Channels, reported: dict[str, Any]
) -> None:
    entry = make_entry(tmp_path, "0 0 8 * * Mon-Fri", "Europe/Berlin")
    outcome = go(entry, utc(2026, 7, 6, 6, 0, 1), Timer(False, reported))
    assert outcome.posted == (utc(2026, 7, 6, 6),)


def test_two_overlapping_invocations_of_one_occurrence_post_once(
    tmp_path: Path, channels: Channels
) -> None:
    import asyncio

    entry = make_entry(tmp_path, "0 0 8 * * *", None)
    timer = Timer(False, status(utc(2026, 6, 1, 8), utc(2026, 6, 2, 8)))

    async def both() -> list[RunOutcome]:
        return list(
            await asyncio.gather(
                *(
                    run_entry(entry, timer, invocation_id=f"inv-{i}", now=utc(2026, 6, 2, 8))
                    for i in range(3)
                )
            )
        )

    outcomes = run(both())
    assert sorted(o.status for o in outcomes) == ["already-posted", "already-posted", "sent"]
    assert len(channels.received("ops")) == 1


def test_a_schedule_that_never_fires_run_by_hand_posts_nothing(
    tmp_path: Path, channels: Channels
) -> None:
    # The host accepts 0 0 8 31 2 * and never runs it; a run started by hand (the admin endpoint)
    # finds nothing due instead of failing.
    entry = make_entry(tmp_path, "0 0 8 31 2 *", None)
    assert go(entry, utc(2026, 2, 28, 8), Timer()).status == "not-due"
    assert channels.received("ops") == []


def test_the_timer_function_reads_the_status_the_host_sends(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn
) -> None:
    # The host's payload for a timer invocation (Microsoft Learn, timer trigger, "Usage": the
    # timer object), decoded by azure.functions' own converter as the worker does, then the
    # indexed function: the Berlin example of issue 17 end to end.
    from azure.functions import meta

    from shared.schedules import run as schedule_run
    from tests.support.function_app import Invocation, Output, converter_for, indexed

    payload = {
        "Schedule": {"AdjustForDST": True},
        "ScheduleStatus": {
            "Last": "2026-03-29T07:00:00+00:00",
            "Next": "2026-03-30T06:00:00+00:00",
            "LastUpdated": "2026-03-29T07:00:00+00:00",
        },
        "IsPastDue": True,
    }
    timer = converter_for("timerTrigger").decode(
        meta.Datum(type="json", value=json.dumps(payload)), trigger_metadata={}
    )
    channels = configure(monkeypatch, teams, {"ops": "classic"})
    monkeypatch.setattr(schedule_run, "_now", lambda: utc(2026, 3, 30, 7, 1))
    function = indexed().user_function("schedule_weekday_digest")
    run(function(timer, Output(), Invocation("schedule_weekday_digest")))
    [message] = channels.received("ops")
    assert "Good morning, on-call" in json.dumps(message)
    # The same payload delivered again (a restart during the run) posts nothing more.
    run(function(timer, Output(), Invocation("schedule_weekday_digest")))
    assert len(channels.received("ops")) == 1
