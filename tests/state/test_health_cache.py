"""The health route reuses its verdict on the shared tables for a while instead of querying them
on every probe, and still says at once what delivery found (real Azurite, stopped and started)."""

from __future__ import annotations

import time

from devtools.azurite import Azurite
from shared.health import (
    SHARED_STATE_CACHE_SECONDS,
    current_shared_state_verdict,
    health_report,
)
from shared.state.store import StateUnavailable, current_availability


def test_probes_within_the_cache_time_do_not_query_the_table(own_azurite: Azurite) -> None:
    assert SHARED_STATE_CACHE_SECONDS == 30.0
    verdict = current_shared_state_verdict()
    assert health_report()["shared_state"] == "ok"
    assert verdict.probes == 1
    for _ in range(5):
        assert health_report()["shared_state"] == "ok"
    assert verdict.probes == 1  # five more probes, no table query
    # The table goes down: unnoticed by the route until the verdict is due again...
    own_azurite.stop()
    assert health_report()["shared_state"] == "ok"
    verdict.seconds = 0.2
    time.sleep(0.3)
    report = health_report()
    assert report["shared_state"] == "unreachable"
    assert report["status"] == "degraded"
    assert verdict.probes == 2
    own_azurite.start()


def test_what_delivery_found_shows_at_once(own_azurite: Azurite) -> None:
    verdict = current_shared_state_verdict()
    assert health_report()["shared_state"] == "ok"
    # Delivery found the table down (its calls fall back): the route says so without waiting
    # for its own verdict to expire, and without a query of its own.
    current_availability().failed("the rate windows", StateUnavailable("test"))
    assert health_report()["shared_state"] == "unreachable"
    assert verdict.probes == 1
    # Back: delivery's next successful call clears it, and the route probes again.
    current_availability().succeeded()
    assert health_report()["shared_state"] == "ok"
    assert verdict.probes == 2
