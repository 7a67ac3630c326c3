"""Local times on a host whose timers run in UTC only (Flex Consumption ignores WEBSITE_TIME_ZONE).

The mechanism: register a UTC schedule that covers every UTC offset the zone uses; each run goes
ahead only when its occurrence is one of the entry's local times. These tests walk the registered
UTC schedule through whole years, daylight-saving changes included, as the host would run it.
"""

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.schedules.zoned import ZonedSchedule

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2025, 1, 1, tzinfo=UTC)


def host_runs(schedule: ZonedSchedule, start: datetime, end: datetime) -> Iterator[datetime]:
    """Every instant the host starts the registered UTC schedule in [start, end)."""
    first = start.astimezone(UTC).replace(tzinfo=None) - timedelta(seconds=1)
    moment = schedule.registered.next_after(first)
    while moment is not None and moment < end.astimezone(UTC).replace(tzinfo=None):
        yield moment.replace(tzinfo=UTC)
        moment = schedule.registered.next_after(moment)


def posts(schedule: ZonedSchedule, start: datetime, end: datetime) -> list[datetime]:
    """The runs that go ahead (UTC: aware times in a repeated hour compare unequal across zones)."""
    return [r for r in host_runs(schedule, start, end) if schedule.is_due(r)]


def local(runs: list[datetime], zone: str) -> list[datetime]:
    return [r.astimezone(ZoneInfo(zone)) for r in runs]


def test_berlin_0800_is_registered_at_both_utc_hours_it_can_be() -> None:
    # 08:00 CET is 07:00 UTC, 08:00 CEST is 06:00 UTC.
    schedule = ZonedSchedule.build("0 0 8 * * Mon-Fri", "Europe/Berlin", START)
    assert schedule.registered_expression == "0 0 6-7 * * *"


def test_berlin_weekdays_at_0800_local_all_year_across_both_changes() -> None:
    schedule = ZonedSchedule.build("0 0 8 * * Mon-Fri", "Europe/Berlin", START)
    runs = local(posts(schedule, START, datetime(2026, 1, 1, tzinfo=UTC)), "Europe/Berlin")
    weekdays_2025 = sum(1 for d in range(365) if (START + timedelta(days=d)).weekday() < 5)
    assert len(runs) == weekdays_2025 == 261
    assert {(r.hour, r.minute, r.second) for r in runs} == {(8, 0, 0)}
    assert all(r.weekday() < 5 for r in runs)
    # Around the spring change (Sunday 30 March 2025): Friday in CET, Monday in CEST.
    assert datetime(2025, 3, 28, 7, 0, tzinfo=UTC) in runs
    assert datetime(2025, 3, 31, 6, 0, tzinfo=UTC) in runs


def test_the_other_registered_hour_goes_without_posting() -> None:
    schedule = ZonedSchedule.build("0 0 8 * * Mon-Fri", "Europe/Berlin", START)
    summer = datetime(2025, 7, 1, 7, 0, tzinfo=UTC)  # 09:00 CEST
    winter = datetime(2025, 1, 7, 6, 0, tzinfo=UTC)  # 07:00 CET
    assert not schedule.is_due(summer)
    assert not schedule.is_due(winter)


def test_a_local_time_the_clocks_skip_runs_once_right_after_the_gap() -> None:
    # 30 March 2025: Berlin jumps from 02:00 to 03:00; 02:30 does not exist that night.
    schedule = ZonedSchedule.build("0 30 2 * * *", "Europe/Berlin", START)
    night = posts(
        schedule, datetime(2025, 3, 29, 12, tzinfo=UTC), datetime(2025, 3, 31, 12, tzinfo=UTC)
    )
    assert night == [
        datetime(2025, 3, 30, 1, 0, tzinfo=UTC),  # 03:00 CEST, the first instant after the gap
        datetime(2025, 3, 31, 0, 30, tzinfo=UTC),  # 02:30 CEST the next night
    ]
    assert night[0].astimezone(BERLIN).strftime("%H:%M %Z") == "03:00 CEST"


def test_a_local_time_that_happens_twice_runs_once() -> None:
    # 26 October 2025: Berlin goes back from 03:00 to 02:00; 02:30 happens twice.
    schedule = ZonedSchedule.build("0 30 2 * * *", "Europe/Berlin", START)
    night = posts(
        schedule, datetime(2025, 10, 25, 12, tzinfo=UTC), datetime(2025, 10, 26, 12, tzinfo=UTC)
    )
    assert night == [datetime(2025, 10, 26, 0, 30, tzinfo=UTC)]  # 02:30 CEST, the first pass


def test_every_quarter_hour_keeps_running_in_real_time_through_both_changes() -> None:
    # Like cron's wildcard jobs: a schedule of every hour neither pauses in the repeated hour nor
    # runs twice at once after the skipped one.
    schedule = ZonedSchedule.build("0 */15 * * * *", "Europe/Berlin", START)
    spring = posts(
        schedule, datetime(2025, 3, 29, 23, tzinfo=UTC), datetime(2025, 3, 30, 3, tzinfo=UTC)
    )
    autumn = posts(
        schedule, datetime(2025, 10, 25, 23, tzinfo=UTC), datetime(2025, 10, 26, 3, tzinfo=UTC)
    )
    # Every 15 minutes of real time, once each: four hours are 16 runs on both nights (in spring
    # the skipped 02:00-02:45 fold into the 03:00 run).
    for night in (spring, autumn):
        assert len(night) == 16
        assert {b - a for a, b in itertools.pairwise(night)} == {timedelta(minutes=15)}


LONDON = ZoneInfo("Europe/London")
# 25 October 2026: London goes back from 02:00 BST to 01:00 GMT; 01:00-01:59 happens twice.
LONDON_AUTUMN = (datetime(2026, 10, 24, 23, tzinfo=UTC), datetime(2026, 10, 25, 3, tzinfo=UTC))


def london_night(expression: str) -> list[str]:
    schedule = ZonedSchedule.build(expression, "Europe/London", START.replace(year=2026))
    return [
        r.astimezone(LONDON).strftime("%H:%M %Z")
        for r in posts(schedule, *LONDON_AUTUMN)
        if r.astimezone(LONDON).hour == 1
    ]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # Intervals as the host defines them (a *, - or / in seconds, minutes or hours as NCrontab
        # writes them back): both passes of the repeated hour, in real time.
        (
            "0 */20 * * * *",
            ["01:00 BST", "01:20 BST", "01:40 BST", "01:00 GMT", "01:20 GMT", "01:40 GMT"],
        ),
        ("0 0 * * * *", ["01:00 BST", "01:00 GMT"]),
        ("0 0,1 1 * * *", ["01:00 BST", "01:01 BST", "01:00 GMT", "01:01 GMT"]),
        ("0 30 0-1 * * *", ["01:30 BST", "01:30 GMT"]),
        # Point-in-time schedules: the first pass only.
        ("0 */20 1 * * *", ["01:00 BST", "01:20 BST", "01:40 BST"]),
        ("0 30 1 * * *", ["01:30 BST"]),
        ("0 0,30 1,5 * * *", ["01:00 BST", "01:30 BST"]),
    ],
)
def test_a_repeated_hour_follows_the_host_s_interval_rule(
    expression: str, expected: list[str]
) -> None:
    assert london_night(expression) == expected


def test_hourly_in_berlin_posts_both_passes_of_the_repeated_hour() -> None:
    schedule = ZonedSchedule.build("0 0 * * * *", "Europe/Berlin", START)
    night = posts(
        schedule, datetime(2025, 10, 25, 23, tzinfo=UTC), datetime(2025, 10, 26, 3, tzinfo=UTC)
    )
    assert [r.astimezone(BERLIN).strftime("%H:%M %Z") for r in night] == [
        "01:00 CEST",
        "02:00 CEST",
        "02:00 CET",
        "03:00 CET",
    ]


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Asia/Kathmandu", "0 15 3 * * *"),  # UTC+05:45, no daylight saving
        ("Asia/Tokyo", "0 0 0 * * *"),  # UTC+09:00
        ("America/New_York", "0 0 13-14 * * *"),  # UTC-5 / UTC-4
        ("Australia/Lord_Howe", "0 0,30 22 * * *"),  # UTC+10:30 / UTC+11 (a half-hour change)
    ],
)
def test_registered_schedules_of_other_zones(zone: str, expected: str) -> None:
    schedule = ZonedSchedule.build("0 0 9 * * *", zone, START)
    assert schedule.registered_expression == expected
    runs = local(posts(schedule, START, datetime(2026, 1, 1, tzinfo=UTC)), zone)
    assert len(runs) == 365
    assert {(r.hour, r.minute) for r in runs} == {(9, 0)}


def test_days_of_the_week_are_the_local_ones() -> None:
    # Monday 07:00 in Tokyo is Sunday 22:00 UTC: the registered schedule runs every day, the
    # local check keeps Mondays.
    schedule = ZonedSchedule.build("0 0 7 * * Mon", "Asia/Tokyo", START)
    runs = local(posts(schedule, START, datetime(2025, 3, 1, tzinfo=UTC)), "Asia/Tokyo")
    assert runs
    assert {r.strftime("%a %H:%M") for r in runs} == {"Mon 07:00"}
    assert {r.astimezone(UTC).strftime("%a") for r in runs} == {"Sun"}


def test_without_a_zone_the_schedule_is_registered_as_written() -> None:
    schedule = ZonedSchedule.build("0 */15 * * * Mon-Fri", None, START)
    assert schedule.registered_expression == "0 */15 * * * Mon-Fri"
    assert schedule.is_due(datetime(2025, 1, 6, 10, 15, tzinfo=UTC))


def test_a_run_started_a_little_early_or_late_belongs_to_its_occurrence() -> None:
    schedule = ZonedSchedule.build("0 0 8 * * *", "Europe/Berlin", START)
    occurrence = datetime(2025, 7, 1, 6, 0, tzinfo=UTC)
    assert schedule.occurrence(occurrence - timedelta(milliseconds=800)) == occurrence
    assert schedule.occurrence(occurrence + timedelta(seconds=40)) == occurrence


def test_next_run_is_in_the_entry_s_own_time_zone() -> None:
    schedule = ZonedSchedule.build("0 0 8 * * Mon-Fri", "Europe/Berlin", START)
    upcoming = schedule.next_run(datetime(2025, 3, 28, 12, tzinfo=UTC))  # a Friday afternoon
    assert upcoming.tzinfo == BERLIN
    assert upcoming.isoformat() == "2025-03-31T08:00:00+02:00"


# --- the two views agree ------------------------------------------------------------------------

ZONES = ["Europe/Berlin", "America/Sao_Paulo", "Australia/Lord_Howe", "Asia/Kathmandu", None]


@settings(max_examples=120, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    minute=st.sampled_from(["0", "30", "*/20", "15,45"]),
    hour=st.sampled_from(["*", "0-3", "2", "8", "23", "*/6"]),
    weekday=st.sampled_from(["*", "Mon-Fri", "Sun"]),
    moment=st.datetimes(datetime(2024, 1, 1), datetime(2026, 12, 1), timezones=st.just(UTC)),
)
def test_next_run_is_the_first_host_run_that_posts(
    zone: str | None, minute: str, hour: str, weekday: str, moment: datetime
) -> None:
    # What `schedules` shows as the next run is when the host will next post the entry.
    schedule = ZonedSchedule.build(f"0 {minute} {hour} * * {weekday}", zone, moment)
    first = next(
        r
        for r in host_runs(schedule, moment + timedelta(seconds=1), moment + timedelta(days=9))
        if schedule.is_due(r)
    )
    upcoming = schedule.next_run(moment)
    assert upcoming.tzinfo == (ZoneInfo(zone) if zone else UTC)
    assert upcoming.astimezone(UTC) == first
