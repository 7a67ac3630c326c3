"""NCRONTAB as the Functions host reads it: six fields (or five), seconds first, NCrontab's rules.

The host's timer trigger parses schedules with NCrontab (with seconds unless there are exactly five
fields); there a day matches only when the day of the month and the day of the week both match,
days of the week run 0-6 from Sunday, and months and days may be written as names or any prefix of
one. What NCrontab accepts is accepted as NCrontab reads it (atifaziz/NCrontab,
CrontabFieldImpl.InternalParse / ParseValue, CrontabField.Accumulate); where that reading is
probably not what was meant, `warnings` says so.
"""

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.schedules.ncrontab import Cron, CronError, format_field, parse, warnings


def test_the_first_field_is_seconds() -> None:
    cron = parse("30 15 9 * * *")
    assert (cron.seconds, cron.minutes, cron.hours) == ((30,), (15,), (9,))
    assert cron.next_after(datetime(2025, 1, 1, 0, 0)) == datetime(2025, 1, 1, 9, 15, 30)


@pytest.mark.parametrize("text", ["0 0 8 * * * 2025", "8 * * *", "", "   "])
def test_anything_but_five_or_six_fields_is_refused_saying_seconds_come_first(text: str) -> None:
    with pytest.raises(CronError, match="six, seconds first"):
        parse(text)


def test_five_fields_are_read_as_the_host_reads_them_with_second_zero() -> None:
    # Microsoft Learn, timer trigger, "NCRONTAB expressions": five and six fields are supported;
    # the host parses without seconds exactly when there are five space-separated parts.
    cron = parse("30 9 * * Mon-Fri")
    assert cron.text == "0 30 9 * * Mon-Fri"
    assert (cron.seconds, cron.minutes, cron.hours) == ((0,), (30,), (9,))
    assert parse("  */15   * * * *  ").minutes == (0, 15, 30, 45)  # extra spaces: still five


def test_fields_are_separated_by_spaces_only() -> None:
    # The host and NCrontab split on ' ' alone: a tab does not separate fields there.
    with pytest.raises(CronError, match="spaces"):
        parse("0\t0 8 * * *")


def test_a_range_that_runs_backwards_is_swapped_as_ncrontab_does() -> None:
    assert parse("0 0 17-9 * * *").hours == tuple(range(9, 18))
    assert parse("0 0 8 * * Fri-Mon").weekdays == {1, 2, 3, 4, 5}
    assert parse("0 50-10/20 * * * *").minutes == (10, 30, 50)
    assert parse("0 0 8 * Dec-Jan *").months == set(range(1, 13))


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("0 */0 * * * *", tuple(range(60))),
        ("0 */-5 * * * *", tuple(range(60))),
        ("0 10-12/0 * * * *", (10, 11, 12)),
        ("0 5/0 * * * *", tuple(range(5, 60))),
        ("0 */+20 * * * *", (0, 20, 40)),
        ("0 */0020 * * * *", (0, 20, 40)),
        ("0 */90 * * * *", (0,)),
    ],
)
def test_steps_below_one_count_as_one_and_may_carry_a_sign(
    text: str, minutes: tuple[int, ...]
) -> None:
    assert parse(text).minutes == minutes


@pytest.mark.parametrize(
    ("text", "weekdays", "months"),
    [
        ("0 0 8 * * M-F", {1, 2, 3, 4, 5}, None),
        ("0 0 8 * * Th", {4}, None),
        ("0 0 8 * * T", {2}, None),  # Tuesday comes first
        ("0 0 8 * * S", {0}, None),  # Sunday comes first
        ("0 0 8 * * sa", {6}, None),
        ("0 0 8 * * W,f", {3, 5}, None),
        ("0 0 8 1 J *", None, {1}),
        ("0 0 8 1 Ju *", None, {6}),
        ("0 0 8 1 M *", None, {3}),
        ("0 0 8 1 A-Au *", None, {4, 5, 6, 7, 8}),
    ],
)
def test_any_prefix_of_a_name_is_the_first_name_it_starts(
    text: str, weekdays: set[int] | None, months: set[int] | None
) -> None:
    cron = parse(text)
    if weekdays is not None:
        assert cron.weekdays == weekdays
    if months is not None:
        assert cron.months == months


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
        ("0 0 0 * * Mox", "day of week"),  # not the start of a name
        ("0 0 0 * * Sundays", "day of week"),
        ("0 */x * * * *", "minute"),
        ("0 */ * * * *", "minute"),
        ("0 */99999999999 * * * *", "minute"),  # beyond Int32: .NET's int.Parse overflows
        ("0 /5 * * * *", "minute"),
        ("0 5-10-15 * * * *", "minute"),
        ("0 -5 * * * *", "minute"),
        ("0 5a * * * *", "minute"),
        ("0 70/5 * * * *", "minute"),  # swapped to 59-70, still past the end
        ("0 0 0 0/5 * *", "day"),
        ("0 1,,2 * * * *", "minute"),
        ("0 ,1 * * * *", "minute"),
        ("0 ? * * * *", "minute"),
        ("0 0 0 L * *", "day"),
        ("0 ٣ * * * *", "minute"),  # a non-ASCII digit
    ],
)
def test_a_bad_field_is_refused_naming_the_field(text: str, field: str) -> None:
    with pytest.raises(CronError, match=f"^{field} field"):
        parse(text)


def test_an_expression_that_never_fires_is_accepted_with_a_warning() -> None:
    # The host takes it (and never runs it): accepted, and `check` says so.
    cron = parse("0 0 8 31 2 *")
    assert cron.next_after(datetime(2026, 1, 1)) is None
    [warning] = warnings(cron, datetime(2026, 1, 1))
    assert warning.startswith("never fires")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0 0 17-9 * * *", "runs backwards and is read as 9-17"),
        ("0 0 8 * * Fri-Mon", "write '5-6,0-1'"),
        ("0 */0 * * * *", "a step below 1 is read as 1"),
        ("0 */-15 * * * *", "a step below 1 is read as 1"),
        ("0 0 8 * * S", "'S' is read as Sunday, the first name it starts (not Saturday)"),
        ("0 0 8 1 Ma *", "read as March"),
    ],
)
def test_what_a_person_probably_did_not_mean_is_a_warning(text: str, expected: str) -> None:
    [warning] = warnings(parse(text), datetime(2026, 1, 1))
    assert expected in warning


@pytest.mark.parametrize(
    "text", ["0 0 8 * * Mon-Fri", "0 0 8 * * M-F", "0 */15 * * * *", "30 9 * * 1-5"]
)
def test_plain_schedules_have_no_warnings(text: str) -> None:
    assert warnings(parse(text), datetime(2026, 1, 1)) == []


@pytest.mark.parametrize(
    ("text", "interval"),
    [
        ("0 */20 * * * *", True),
        ("0 0 * * * *", True),
        ("0 0-1 8 * * *", True),
        ("0 0,1 8 * * *", True),  # NCrontab writes it back as 0-1
        ("0 0 8-9 * * *", True),
        ("*/30 0 8 * * *", False),  # seconds written back as 0,30
        ("0 */20 1 * * *", False),  # written back as 0,20,40: no *, - or /
        ("0 30 2 * * *", False),
        ("0 0,30 2,4 * * *", False),
        ("30 2 * * *", False),
    ],
)
def test_the_host_s_interval_rule_reads_the_fields_as_ncrontab_writes_them(
    text: str, interval: bool
) -> None:
    assert parse(text).is_interval is interval


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
