"""Fixtures shared across test modules."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, Verbosity, settings

from devtools.azurite import Azurite
from devtools.teams_standin import TeamsStandIn
from shared.config.once import reset_configuration

# CI runs on a fresh clone with no example database, so a random search there could fail on one
# run and pass on the next. The "ci" profile derandomizes the search (the same examples on every
# run, seeded per test), keeps every phase that finds and shrinks failures, and prints the
# `@reproduce_failure` blob, so a red CI run is reproducible anywhere. Each test's own
# max_examples still sets how hard it searches.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    print_blob=True,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
    suppress_health_check=[HealthCheck.too_slow],
    verbosity=Verbosity.normal,
)
settings.register_profile("dev", print_blob=True, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True, scope="session")
def warm_instance() -> None:
    """Tests run as a warm Functions instance does: the card schema's validators compiled once.

    Compiling them is the one slow step of a process's first card (about half a second, several
    on a loaded machine), and delivery budgets count from the request's arrival, rendering
    included; a short test budget must not be spent on that one-time cost."""
    from shared.cards import check_card

    check_card({"type": "AdaptiveCard", "version": "1.5", "body": []}, "incoming")


@pytest.fixture(autouse=True)
def fresh_configuration() -> Iterator[None]:
    """Every test reads the environment it sets: nothing read once survives from another test.

    Autouse fixtures are set up before a test's own and torn down after them, so the last reset
    comes after monkeypatch has put the environment back."""
    reset_configuration()
    yield
    reset_configuration()


@pytest.fixture
def teams() -> Iterator[TeamsStandIn]:
    """A loopback Teams stand-in (both webhook kinds, Teams' answers and rate windows)."""
    with TeamsStandIn() as standin:
        yield standin


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    """One Azurite for the session (installed from npm when missing), stopped at the end.

    Tests keep apart by their keys (random webhook URLs, notification ids); a test that stops it
    starts it again before it ends."""
    emulator = Azurite().start()
    try:
        yield emulator
    finally:
        emulator.close()


@pytest.fixture
def storage(azurite: Azurite, monkeypatch: pytest.MonkeyPatch) -> Azurite:
    """The app's storage setting pointed at the session's Azurite: shared state on."""
    monkeypatch.setenv("AzureWebJobsStorage", azurite.connection_string)
    return azurite
