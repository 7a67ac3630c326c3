"""Fixtures shared across test modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.teams_standin import TeamsStandIn


@pytest.fixture
def teams() -> Iterator[TeamsStandIn]:
    """A loopback Teams stand-in (both webhook kinds, Teams' answers and rate windows)."""
    with TeamsStandIn() as standin:
        yield standin
