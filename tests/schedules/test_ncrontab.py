"""NCRONTAB as the Functions host reads it: six fields, seconds first, NCrontab's rules.

The host's timer trigger parses schedules with NCrontab (six fields with seconds); there a day
matches only when the day of the month and the day of the week both match, days of the week run
0-6 from Sunday, and months and days may be written as names.
"""

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.schedules.ncrontab import Cron, CronError, format_field, parse


def test_the_first_field_is_seconds() -> None:
    cron = parse("30 15 9 * * *")
    assert (cron.seconds, cron.minutes, cron.hours) == ((30,), (15,), (9,))
    assert cron.next_after(datetime(2025, 1, 1, 0, 0)) == datetime(2025, 1, 1, 9, 15, 30)


@pytest.mark.parametrize("text", ["0 8 * * *", "0 0 8 * * * 2025", "", "   "])
def test_anything_but_six_fields_is_refused_saying_seconds_come_first(text: str) -> None:
    # croniter and classic cron read five fields (or seconds last): the host does not.
    with pytest.raises(CronError, match="six, seconds first"):
        parse(text)


def test_names_of_days_and_months_in_any_case() -> None:
    assert parse("0 0 8 * * Mon-Fri").weekdays == {1, 2, 3, 4, 5}
    assert parse("0 0 8 * * sun,SAT").weekdays == {0, 6}
    assert parse("0 0 8 1 jan-Mar *").months == {1, 2, 3}
    assert parse("0 0 8 * * Tuesday").weekdays == {2}


def test_ranges_steps_and_lists() -> None:
    assert parse("0 */15 * * * *").minutes == (0, 15, 30, 45)
    assert parse("0 5/20 * * * *").minutes == (5, 25, 45)  # from 5 to the end, as NCrontab
    assert parse("0 10-20/5 * * * *").minutes == (10, 15, 20)
    assert parse("0 0 1,12-14 * * *").hours == (1, 12, 13, 14)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("60 * * * * *", "second"),
        ("0 60 * * * *", "minute"),
        ("0 0 24 * * *", "hour"),
        ("0 0 0 0 * *", "day"),
        ("0 0 0 * 13 *", "month"),
        ("0 0 0 * * 7", "day of week"),  # NCrontab: 0-6 only
        ("0 0 0 * * Mo", "day of week"),  # a name needs three letters
        ("0 */0 * * * *", "minute"),
        ("0 20-10 * * * *", "minute"),
        ("0 1,,2 * * * *", "minute"),
        ("0 ? * * * *", "minute"),
        ("0 0 0 L * *", "day"),
        ("0 ٣ * * * *", "minute"),  # a non-ASCII digit
    ],
)
def test_a_bad_field_is_refused_naming_the_field(text: str, field: str) -> None:
    with pytest.raises(CronError, match=f"^{field} field"):
        parse(text)


def test_an_expression_that_never_fires_is_refused() -> None:
    with pytest.raises(CronError, match="never fires"):
        parse("0 0 0 30,31 2 *")


def test_day_of_month_and_day_of_week_must_both_match() -> None:
    # NCrontab (the host) takes both; classic cron would take either.
    cron = parse("0 0 9 13 * Fri")
    assert cron.next_after(datetime(2025, 1, 1)) == datetime(2025, 6, 13, 9, 0)


def test_a_day_missing_from_a_month_is_skipped() -> None:
    cron = parse("0 0 0 31 * *")
    assert cron.next_after(datetime(2025, 1, 31, 12)) == datetime(2025, 3, 31)


def test_the_29th_of_february_waits_for_a_leap_year() -> None:
    assert parse("0 0 6 29 2 *").next_after(datetime(2025, 3, 1)) == datetime(2028, 2, 29, 6)


def test_next_is_strictly_after_and_latest_may_be_the_moment_itself() -> None:
    cron = parse("0 0 8 * * *")
    eight = datetime(2025, 5, 5, 8, 0)
    assert cron.next_after(eight) == eight + timedelta(days=1)
    assert cron.latest_at_or_before(eight) == eight
    assert cron.latest_at_or_before(eight - timedelta(seconds=1)) == eight - timedelta(days=1)


@pytest.mark.parametrize(
    ("values", "low", "high", "text"),
    [
        (set(range(60)), 0, 59, "*"),
        ({6, 7}, 0, 23, "6-7"),
        ({0, 30}, 0, 59, "0,30"),
        ({1, 2, 3, 7, 9, 10}, 0, 59, "1-3,7,9-10"),
    ],
)
def test_format_field_writes_what_parse_reads(
    values: set[int], low: int, high: int, text: str
) -> None:
    assert format_field(values, low, high) == text


# --- properties -----------------------------------------------------------------------------------

fields = st.tuples(
    st.integers(0, 59).map(lambda s: {s}),
    st.sets(st.integers(0, 59), min_size=1, max_size=4),
    st.sets(st.integers(0, 23), min_size=1, max_size=4),
    st.one_of(st.just(set(range(1, 32))), st.sets(st.integers(1, 28), min_size=1, max_size=6)),
    st.one_of(st.just(set(range(1, 13))), st.sets(st.integers(1, 12), min_size=3, max_size=12)),
    st.one_of(st.just(set(range(7))), st.sets(st.integers(0, 6), min_size=2, max_size=7)),
)
moments = st.datetimes(datetime(2020, 1, 1), datetime(2035, 1, 1))


def cron_of(values: tuple[set[int], ...]) -> Cron:
    bounds = ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
    return parse(
        " ".join(format_field(v, lo, hi) for v, (lo, hi) in zip(values, bounds, strict=True))
    )


@settings(max_examples=150, deadline=None)
@given(fields, moments)
def test_next_after_is_the_first_matching_minute_after(
    values: tuple[set[int], ...], moment: datetime
) -> None:
    cron = cron_of(values)
    found = cron.next_after(moment)
    assert found is not None
    assert found > moment
    assert cron.matches(found)
    # Nothing matches in between (walked minute by minute over the first days).
    probe = moment.replace(second=found.second, microsecond=0)
    end = min(found, moment + timedelta(days=3))
    while probe < end:
        assert probe <= moment or not cron.matches(probe), probe
        probe += timedelta(minutes=1)


@settings(max_examples=150, deadline=None)
@given(fields, moments)
def test_latest_at_or_before_undoes_next_after(
    values: tuple[set[int], ...], moment: datetime
) -> None:
    cron = cron_of(values)
    found = cron.next_after(moment)
    assert found is not None
    assert cron.latest_at_or_before(found) == found
    before = cron.latest_at_or_before(found - timedelta(seconds=1))
    assert before is not None
    assert before <= moment
