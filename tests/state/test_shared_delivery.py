"""Several processes, each with its own in-process limiter, post to the same webhooks through the
shared table: together they keep Teams' windows (the stand-in enforces them), lose nothing and post
nothing twice."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from devtools.azurite import Azurite
from devtools.shared_sender import number_of
from devtools.teams_standin import TeamsStandIn
from tests.support.paths import ROOT

# Teams' windows scaled down so that 100 posts per webhook take seconds, not an hour.
WINDOWS = ((4, 0.4), (20, 2.5), (40, 5.0))
PROCESSES = 3
NOTIFICATIONS = 300
WEBHOOKS = 3
# Generous: the suite runs on shared, busy machines, where a post can reach the stand-in a
# tenth of a second after its slot.
MARGIN = 0.2


def run_senders(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "devtools.shared_sender", json.dumps(spec)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for spec in specs
    ]
    outputs = []
    for process in processes:
        out, _ = process.communicate(timeout=180)
        assert process.returncode == 0
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    return outputs


def specs_for(storage: str | None, urls: list[str], budget: float = 90.0) -> list[dict[str, Any]]:
    start_at = time.time() + 3.0  # every process imported and warm before the first post
    return [
        {
            "storage": storage,
            "webhooks": urls,
            "numbers": [
                [n, (n // PROCESSES) % WEBHOOKS]
                for n in range(NOTIFICATIONS)
                if n % PROCESSES == process
            ],
            "windows": WINDOWS,
            "budget": budget,
            "margin": MARGIN,
            "start_at": start_at,
        }
        for process in range(PROCESSES)
    ]


def test_three_processes_sharing_the_table_are_never_throttled(azurite: Azurite) -> None:
    with TeamsStandIn(windows=WINDOWS) as teams:
        urls = [teams.url("classic"), teams.url("workflows"), teams.url("classic")]
        specs = specs_for(azurite.connection_string, urls)
        outputs = run_senders(specs)
        records = teams.records
    statuses = Counter(s for out in outputs for s in out["statuses"].values())
    to_workflows = sum(1 for spec in specs for _n, index in spec["numbers"] if index == 1)
    assert statuses == {"delivered": NOTIFICATIONS - to_workflows, "accepted": to_workflows}
    assert sum(1 for r in records if r.outcome == "throttled") == 0
    posted = Counter(number_of(r.body) for r in records if r.outcome in ("delivered", "accepted"))
    assert sorted(posted) == list(range(NOTIFICATIONS))  # 0 lost
    assert max(posted.values()) == 1  # 0 duplicates
    # Each process did reserve through the table.
    assert all(len(out["reservations"]) >= NOTIFICATIONS // PROCESSES for out in outputs)


def test_without_the_table_the_same_processes_are_throttled() -> None:
    # The baseline the shared windows are for: each process keeps the windows on its own only.
    with TeamsStandIn(windows=WINDOWS) as teams:
        urls = [teams.url("classic"), teams.url("classic"), teams.url("classic")]
        specs = specs_for(None, urls, budget=60.0)
        for spec in specs:
            spec["numbers"] = spec["numbers"][:30]
        run_senders(specs)
        assert teams.count("throttled") > 0
