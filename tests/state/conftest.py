"""Fixtures for the shared-state tests."""

from collections.abc import Iterator

import pytest

from devtools.azurite import Azurite


@pytest.fixture
def own_azurite(monkeypatch: pytest.MonkeyPatch) -> Iterator[Azurite]:
    """An Azurite of this test's own: stopping it must not disturb the others."""
    emulator = Azurite().start()
    monkeypatch.setenv("AzureWebJobsStorage", emulator.connection_string)
    try:
        yield emulator
    finally:
        emulator.close()
