"""The answer comes within the budget, whatever the command does.

Teams waits five seconds for the answer and then gives up
(docs/teams-protocol.md#outgoing-webhook-deadline), so each command runs under a deadline
(TEAMS_OUTGOING_DEADLINE_SECONDS, 4 s by default) and the endpoint answers with a short text when it
passes. The times below are the wall time of the whole handler call, as the Functions worker would
see it."""

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

from devtools.outgoing import answer, command_request, make_endpoint, run
from devtools.teams_standin import Answer, TeamsStandIn
from shared.config.once import reset_configuration
from shared.outgoing import deadline
from shared.outgoing.registry import CommandContext, Registry, commands

# What may pass between the deadline and the answer: building a short text and the test's own
# event loop start-up, on a slow shared CI machine.
SLACK = 0.5


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at the end of each test so that blocked command threads end."""
    event = threading.Event()
    yield event
    event.set()


def slow_registry(release: threading.Event) -> Registry:
    registry = commands.copy()

    @registry.command("block", help="Block the thread, as a sync call to a stalled service does.")
    def block(context: CommandContext) -> str:
        release.wait(30)
        return "finished"

    @registry.command("sleep", help="Block with time.sleep.")
    def sleep(context: CommandContext) -> str:
        time.sleep(float(context.args[0]))
        return "slept"

    @registry.command("wait", help="Await something slow.")
    async def wait(context: CommandContext) -> str:
        await asyncio.sleep(30)
        return "finished"

    @registry.command("stubborn", help="Ignore the cancellation and keep awaiting.")
    async def stubborn(context: CommandContext) -> str:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            await asyncio.sleep(30)
        return "finished"

    @registry.command("quick", help="Answer at once.")
    async def quick(context: CommandContext) -> str:
        return f"{context.seconds_left():.1f} s were left"

    return registry


def wait_until_idle(seconds: float = 10) -> None:
    give_up = time.monotonic() + seconds
    while deadline.threads_running() > 0:
        assert time.monotonic() < give_up, "command threads did not end"
        time.sleep(0.01)


def timed(registry: Registry, words: str, deadline_setting: str = "") -> tuple[float, str]:
    endpoint = make_endpoint(registry, TEAMS_OUTGOING_DEADLINE_SECONDS=deadline_setting)
    started = time.monotonic()
    response = run(endpoint, command_request(words))
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    text: str = answer(response)["text"]
    return elapsed, text


def test_a_command_blocking_in_time_sleep_is_answered_at_the_default_4_seconds() -> None:
    registry = slow_registry(threading.Event())
    elapsed, text = timed(registry, "sleep 5")
    assert 4.0 <= elapsed < 4.0 + SLACK
    assert text.startswith("`sleep` took too long (over 4 seconds)")


def test_a_blocking_command_is_answered_at_a_configured_deadline(release: threading.Event) -> None:
    elapsed, text = timed(slow_registry(release), "block", deadline_setting="0.5")
    assert 0.5 <= elapsed < 0.5 + SLACK
    assert "took too long (over 0.5 seconds)" in text


def test_a_slow_async_command_is_answered_at_the_deadline(release: threading.Event) -> None:
    elapsed, text = timed(slow_registry(release), "wait", deadline_setting="0.5")
    assert 0.5 <= elapsed < 0.5 + SLACK
    assert text.startswith("`wait` took too long")


def test_an_async_command_that_ignores_cancellation_is_left_behind(
    release: threading.Event,
) -> None:
    # asyncio.wait_for would wait for the cancelled task to finish: 30 more seconds here.
    elapsed, text = timed(slow_registry(release), "stubborn", deadline_setting="0.5")
    assert 0.5 <= elapsed < 0.5 + SLACK
    assert text.startswith("`stubborn` took too long")


def test_a_command_that_finishes_in_time_is_answered_at_once(release: threading.Event) -> None:
    elapsed, text = timed(slow_registry(release), "sleep 0.2", deadline_setting="1")
    assert 0.2 <= elapsed < 0.2 + SLACK
    assert text == "slept"


def test_a_command_knows_how_much_time_it_has_left(release: threading.Event) -> None:
    _, text = timed(slow_registry(release), "quick", deadline_setting="3")
    assert text in {"3.0 s were left", "2.9 s were left"}


def test_new_commands_are_refused_while_too_many_threads_are_still_blocked(
    release: threading.Event,
) -> None:
    registry = slow_registry(release)
    # Threads of earlier tests may still be sleeping (the `sleep 5` above for up to 1 more
    # second); one ending in the middle of the count below would make it off by one.
    wait_until_idle()
    for _ in range(deadline.MAX_RUNNING_THREADS):
        _, text = timed(registry, "block", deadline_setting="0.02")
        assert "took too long" in text
    assert deadline.threads_running() == deadline.MAX_RUNNING_THREADS
    elapsed, text = timed(registry, "block", deadline_setting="0.02")
    assert text.startswith("Too many earlier commands are still running")
    assert elapsed < SLACK
    # Async commands need no thread and still run.
    _, text = timed(registry, "quick")
    assert text.endswith("were left")
    release.set()
    wait_until_idle()
    _, text = timed(registry, "sleep 0", deadline_setting="1")
    assert text == "slept"


def test_send_to_a_stalled_teams_is_answered_at_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with TeamsStandIn() as teams:
        url = teams.url("classic", "ops")
        teams.script(url, Answer.slow(30))
        monkeypatch.setenv("TEAMS_WEBHOOK_OPS_ALERTS", url)
        monkeypatch.setenv("TEAMS_ALLOW_HOSTS", "127.0.0.1")
        reset_configuration()
        try:
            endpoint = make_endpoint(
                TEAMS_OUTGOING_DEADLINE_SECONDS="1", TEAMS_OUTGOING_SEND_OPS="ops-alerts"
            )
            started = time.monotonic()
            response = run(endpoint, command_request("send deployment ops-alerts"))
            elapsed = time.monotonic() - started
        finally:
            reset_configuration()
        assert len(teams.received(url)) == 1  # the post went out; Teams just never answered
    assert 1.0 <= elapsed < 1.0 + SLACK
    assert answer(response)["text"].startswith("`send` took too long (over 1 second)")
