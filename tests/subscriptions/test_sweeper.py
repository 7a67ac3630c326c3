"""The sweeper: scheduled updates per subscription at the team's local time, once per due time
across instances and restarts, DST-safe; the weather entry end to end against the Open-Meteo and
Teams stand-ins and Azurite."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from devtools.azurite import Azurite
from devtools.delivery import run
from devtools.openmeteo_standin import OpenMeteoStandIn
from devtools.teams_standin import TeamsStandIn
from shared.config.once import reset_configuration
from shared.subscriptions.crypto import new_local_key
from shared.subscriptions.model import Draft, Person, ScheduleChoice
from shared.subscriptions.service import current_subscriptions, fingerprint
from shared.subscriptions.sweeper import SWEEP_MINUTES, SWEEP_SCHEDULE, due_times, sweep
from shared.subscriptions.table import StoredSubscription
from shared.triggers.timers import SWEEPER_SCHEDULE

BERLIN = {"city": "Berlin", "latitude": "52.52437", "longitude": "13.41053"}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_timer_runs_every_few_minutes_in_utc() -> None:
    assert SWEEPER_SCHEDULE == SWEEP_SCHEDULE == "0 */5 * * * *"
    assert SWEEP_MINUTES == 5


@pytest.mark.parametrize(
    ("time_of_day", "around", "expected"),
    [
        # Spring forward in Berlin, 2026-03-29 02:00 CET -> 03:00 CEST.
        (
            "07:30",
            "2026-03-29T12:00:00",
            ["2026-03-28T06:30", "2026-03-29T05:30", "2026-03-30T05:30"],
        ),
        # 02:30 does not exist that night: due when the clock says 03:30 CEST.
        (
            "02:30",
            "2026-03-29T12:00:00",
            ["2026-03-28T01:30", "2026-03-29T01:30", "2026-03-30T00:30"],
        ),
        # Fall back, 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens twice; the first counts.
        (
            "02:30",
            "2026-10-25T12:00:00",
            ["2026-10-24T00:30", "2026-10-25T00:30", "2026-10-26T01:30"],
        ),
    ],
)
def test_due_times_follow_the_local_clock_across_dst(
    time_of_day: str, around: str, expected: list[str]
) -> None:
    choice = ScheduleChoice("weather", time_of_day, "Europe/Berlin", BERLIN)
    assert [f"{d:%Y-%m-%dT%H:%M}" for d in due_times(choice, utc(around))] == expected


@pytest.fixture
def meteo() -> Iterator[OpenMeteoStandIn]:
    with OpenMeteoStandIn() as standin:
        yield standin


@pytest.fixture
def weather_app(
    storage: Azurite,
    teams: TeamsStandIn,
    meteo: OpenMeteoStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEAMS_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("SOURCE_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("OPEN_METEO_URL", meteo.base_url)
    monkeypatch.setenv("SUBSCRIPTIONS_KEY", new_local_key())
    reset_configuration()


def stored_weather(url: str, time_of_day: str, created: datetime) -> StoredSubscription:
    """A weather subscription as stored, created in the past (so past due times count)."""
    service = current_subscriptions()
    id = secrets.token_hex(10)
    row = StoredSubscription(
        id=id,
        channel_name="Weather fans",
        kind="workflows",
        fingerprint=fingerprint(url),
        sealed=service.sealer.seal(url, id),
        topics=(),
        schedules=(ScheduleChoice("weather", time_of_day, "Europe/Berlin", BERLIN),),
        active=True,
        paused_reason=None,
        created_by=Person("weather-tester", "Tester"),
        created_at=created,
        updated_at=created,
    )
    service.table.insert(row)
    return row


def sweep_every_few_minutes(row: StoredSubscription, start: datetime, end: datetime) -> int:
    """Sweep `row` at each tick of the timer from `start` to `end`, twice per tick as two
    instances (the second a fresh process: nothing cached); the number of updates posted. (The
    rows are handed over: other tests' rows in the shared Azurite must not be swept here.)"""
    posted = 0
    tick = start
    while tick <= end:
        posted += len(run(sweep(tick, invocation_id=f"a-{tick:%H%M}", rows=[row])).posted)
        reset_configuration()
        later = tick + timedelta(seconds=20)
        posted += len(run(sweep(later, invocation_id="b", rows=[row])).posted)
        tick += timedelta(minutes=SWEEP_MINUTES)
    return posted


def forecast_days(teams: TeamsStandIn, url: str) -> list[str]:
    cards = [str(r.json()["attachments"][0]["content"]) for r in teams.received(url)]
    assert all("Tomorrow in Berlin" in card for card in cards)
    return cards


@pytest.mark.usefixtures("weather_app")
def test_a_weather_subscription_across_the_spring_dst_change_runs_once_a_day_at_0730(
    teams: TeamsStandIn, meteo: OpenMeteoStandIn
) -> None:
    url = teams.url("workflows")
    row = stored_weather(url, "07:30", created=utc("2026-03-27T12:00:00"))
    # Three local days around the change, sweeping every 5 minutes.
    posted = sweep_every_few_minutes(row, utc("2026-03-27T23:00:00"), utc("2026-03-30T22:55:00"))
    assert posted == 3
    arrivals = teams.received(url)
    assert len(arrivals) == 3
    forecast_days(teams, url)
    forecasts = [r for r in meteo.requests if r.path == "/v1/forecast"]
    assert len(forecasts) == 3
    assert {r.query["timezone"] for r in forecasts} == {"Europe/Berlin"}
    assert {r.query["latitude"] for r in forecasts} == {"52.52437"}


@pytest.mark.usefixtures("weather_app")
def test_an_ambiguous_time_on_the_autumn_change_runs_once(teams: TeamsStandIn) -> None:
    url = teams.url("workflows")
    row = stored_weather(url, "02:30", created=utc("2026-10-23T12:00:00"))
    posted = sweep_every_few_minutes(row, utc("2026-10-24T22:00:00"), utc("2026-10-25T03:00:00"))
    assert posted == 1
    assert len(teams.received(url)) == 1


@pytest.mark.usefixtures("weather_app")
def test_a_missed_sweep_is_made_up_later_but_an_old_due_time_is_not(teams: TeamsStandIn) -> None:
    url = teams.url("workflows")
    row = stored_weather(url, "07:30", created=utc("2026-05-01T00:00:00"))
    # The host was down from 07:20 to 08:10 local (05:20-06:10 UTC): the 08:10 sweep posts.
    assert len(run(sweep(utc("2026-05-04T06:10:00"), rows=[row])).posted) == 1
    assert len(run(sweep(utc("2026-05-04T06:15:00"), rows=[row])).posted) == 0
    # Down for hours: too late, skipped.
    assert len(run(sweep(utc("2026-05-05T09:00:00"), rows=[row])).posted) == 0
    assert len(teams.received(url)) == 1


@pytest.mark.usefixtures("weather_app")
def test_a_new_subscription_does_not_get_todays_past_update(teams: TeamsStandIn) -> None:
    url = teams.url("workflows")
    row = stored_weather(url, "07:30", created=utc("2026-06-01T05:45:00"))  # 07:45 local
    assert run(sweep(utc("2026-06-01T05:50:00"), rows=[row])).posted == []
    assert teams.received(url) == []


@pytest.mark.usefixtures("weather_app")
def test_the_page_s_weather_subscription_gets_a_forecast_when_due(
    teams: TeamsStandIn, meteo: OpenMeteoStandIn
) -> None:
    service = current_subscriptions()
    [berlin] = run(service.places("berl"))
    assert berlin.name == "Berlin, Land Berlin, Germany"
    assert berlin.time_zone == "Europe/Berlin"
    url = teams.url("workflows")
    choice = ScheduleChoice(
        "weather",
        "07:30",
        "Europe/Berlin",
        {"city": berlin.city, "latitude": str(berlin.latitude), "longitude": str(berlin.longitude)},
    )
    person = Person(f"p-{secrets.token_hex(4)}", "Adele Vance")
    view = run(service.create(Draft("Weather", url, (), (choice,)), person))
    # Due tomorrow at 07:30 Berlin time (after the subscription was created).
    tomorrow = due_times(choice, datetime.now(UTC))[-1]
    # Through the table's own query (other tests' rows may be due too; they are not this one).
    outcome = run(sweep(tomorrow + timedelta(minutes=2)))
    assert (view.id, "weather", tomorrow) in outcome.posted
    assert run(sweep(tomorrow + timedelta(minutes=7))).posted == []
    assert len(teams.received(url)) == 2  # welcome + forecast
    assert run(service.places("zz")) == []


def test_places_refuses_a_short_query_and_a_host_not_allowed(
    weather_app: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.subscriptions.model import SubscriptionProblem

    service = current_subscriptions()
    with pytest.raises(SubscriptionProblem) as caught:
        run(service.places("b"))
    assert caught.value.field == "q"
    monkeypatch.setenv("SOURCE_ALLOW_HOSTS", "api.open-meteo.com")
    reset_configuration()
    with pytest.raises(SubscriptionProblem) as caught:
        run(current_subscriptions().places("Berlin"))
    assert "SOURCE_ALLOW_HOSTS" in caught.value.message


@pytest.mark.usefixtures("weather_app")
def test_claims_are_dropped_once_no_sweep_can_look_back_to_them(teams: TeamsStandIn) -> None:
    url = teams.url("workflows")
    row = stored_weather(url, "07:30", created=utc("2026-07-01T00:00:00"))
    due = utc("2026-07-02T05:32:00")
    assert len(run(sweep(due, rows=[row])).posted) == 1
    assert run(sweep(due, rows=[row])).posted == []  # claimed
    # The first sweep after midnight UTC, three days on, drops that day's claims...
    assert run(sweep(utc("2026-07-05T00:02:00"), rows=[])).forgotten >= 1
    # ...which is why a sweep never looks back further than LOOKBACK: it would post again.
    assert len(run(sweep(due, rows=[row])).posted) == 1
