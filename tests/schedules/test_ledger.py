"""The occurrence ledger against a real Azure Table service (Azurite, through azure-data-tables).

A claim is one insert into the `scheduleoccurrences` table; a conflict means another run has the
occurrence. Separate processes stand for separate instances: each has its own memory, only the
table is shared.
"""

import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.data.tables import TableServiceClient

from devtools.azurite import Azurite
from devtools.teams_standin import TeamsStandIn, closed_port
from shared.config.once import reset_configuration
from shared.schedules.entries import read_schedules
from shared.schedules.ledger import TABLE_NAME, Ledger, occurrence_key
from shared.schedules.run import run_entry
from tests.support.function_app import configure, run
from tests.support.paths import ROOT
from tests.support.schedules import Timer

EIGHT = datetime(2026, 6, 2, 8, tzinfo=UTC)


def entity(connection: str, entry: str, occurrence: datetime) -> dict[str, Any]:
    table = TableServiceClient.from_connection_string(connection).get_table_client(TABLE_NAME)
    return dict(table.get_entity(entry, occurrence_key(occurrence)))


def test_the_key_of_an_occurrence_is_utc_iso_to_the_second() -> None:
    from zoneinfo import ZoneInfo

    berlin = datetime(2026, 3, 30, 8, 0, 0, 250_000, tzinfo=ZoneInfo("Europe/Berlin"))
    assert occurrence_key(berlin) == "2026-03-30T06:00:00Z"


def test_an_occurrence_is_claimed_once_across_instances(azurite: Azurite) -> None:
    first, second = (
        Ledger({"AzureWebJobsStorage": azurite.connection_string}),
        Ledger({"AzureWebJobsStorage": azurite.connection_string}),
    )
    assert first.claim("digest", EIGHT, "inv-a") == "claimed"
    assert second.claim("digest", EIGHT, "inv-b") == "taken"  # another process: the table says so
    assert first.claim("digest", EIGHT, "inv-c") == "taken"
    assert second.claim("digest", EIGHT + timedelta(days=1), "inv-b") == "claimed"
    assert second.claim("other-entry", EIGHT, "inv-b") == "claimed"
    stored = entity(azurite.connection_string, "digest", EIGHT)
    assert (stored["PartitionKey"], stored["RowKey"], stored["InvocationId"]) == (
        "digest",
        "2026-06-02T08:00:00Z",
        "inv-a",
    )


_CLAIMER = """
import json, sys
from datetime import UTC, datetime, timedelta
from shared.schedules.ledger import Ledger
ledger = Ledger({"AzureWebJobsStorage": sys.argv[1]})
start = datetime(2026, 1, 1, tzinfo=UTC)
won = [
    i
    for i in range(60)
    if ledger.claim("race", start + timedelta(minutes=15 * i), sys.argv[2]) == "claimed"
]
print(json.dumps(won))
"""


def test_processes_racing_for_the_same_occurrences_each_win_distinct_ones(azurite: Azurite) -> None:
    # Three instances, the same 60 occurrences, at the same time: every occurrence is claimed by
    # exactly one of them.
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _CLAIMER, azurite.connection_string, f"instance-{n}"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    won = [json.loads(process.communicate(timeout=120)[0]) for process in processes]
    assert all(process.returncode == 0 for process in processes)
    claimed = [i for wins in won for i in wins]
    assert sorted(claimed) == list(range(60))


def test_an_unreachable_table_posts_anyway_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    port = closed_port()
    connection = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
        f"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1"
    )
    ledger = Ledger({"AzureWebJobsStorage": connection})
    with caplog.at_level(logging.WARNING, logger="shared.schedules"):
        assert ledger.claim("digest", EIGHT) == "unguarded"
    [line] = [r.getMessage() for r in caplog.records]
    assert line.startswith("schedule digest: the occurrence ledger could not be reached (")
    assert "2026-06-02T08:00:00Z is posted without the once-only guarantee" in line
    assert "Eby8" not in line
    assert str(port) not in line
    # This process remembers it: a second run here does not post it again.
    assert ledger.claim("digest", EIGHT) == "taken"


def test_without_storage_configured_claims_are_kept_in_memory() -> None:
    ledger = Ledger({})
    assert ledger.shared is False
    assert ledger.claim("digest", EIGHT) == "unguarded"
    assert ledger.claim("digest", EIGHT) == "taken"


def test_the_table_stopping_mid_run_posts_the_next_occurrence_anyway() -> None:
    with Azurite() as emulator:
        ledger = Ledger({"AzureWebJobsStorage": emulator.connection_string})
        assert ledger.claim("digest", EIGHT) == "claimed"
        emulator.stop()
        assert ledger.claim("digest", EIGHT + timedelta(days=1)) == "unguarded"
        assert ledger.claim("digest", EIGHT) == "taken"  # remembered in memory


def test_a_second_instance_running_the_same_timer_posts_nothing(
    azurite: Azurite, monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, tmp_path: Path
) -> None:
    # Two function-app processes for one timer (while the singleton lease moves): the second
    # one's run for the same occurrence finds the claim in the table and posts nothing.
    channels = configure(
        monkeypatch,
        teams,
        {"ops": "classic"},
        extra={"AzureWebJobsStorage": azurite.connection_string},
    )
    item = {
        "name": "lease-move",
        "schedule": "0 0 8 * * *",
        "template": "message",
        "channel": "ops",
        "data": {"title": "t", "text": "x"},
    }
    path = tmp_path / "schedules.json"
    path.write_text(json.dumps({"schedules": [item]}), encoding="utf-8")
    entry = read_schedules(path, dict(os.environ)).entry("lease-move")

    timer = Timer(False, {"Last": "2026-06-01T08:00:00+00:00", "Next": "2026-06-02T08:00:00+00:00"})
    first = run(run_entry(entry, timer, invocation_id="instance-1", now=EIGHT))
    reset_configuration()  # another process: nothing remembered in memory
    second = run(run_entry(entry, timer, invocation_id="instance-2", now=EIGHT))
    assert (first.status, second.status) == ("sent", "already-posted")
    assert len(channels.received("ops")) == 1
    assert entity(azurite.connection_string, "lease-move", EIGHT)["InvocationId"] == "instance-1"
