"""A process's first notification loads nothing on the event loop, and what the process loads
once is set aside from the garbage collector (bench/heavy.py: the loop stalls these caused).

Run in a fresh interpreter: in the test session everything is imported already."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from devtools.teams_standin import TeamsStandIn
from tests.support.paths import ROOT

CHILD = r"""
import asyncio, gc, json, sys, threading
from devtools.alert_groups import alert_group
from devtools.functions_host import Invocation, Output, indexed, notify_request

indexed()  # the Functions worker has indexed the app: function_app and its triggers are loaded
loop_imports = []


def audit(event, args):
    if event == "import" and args[0] not in sys.modules and loop_thread.is_set():
        if threading.current_thread() is threading.main_thread():
            loop_imports.append(args[0])


loop_thread = threading.Event()
sys.addaudithook(audit)


async def first() -> int:
    loop_thread.set()
    request = notify_request(
        "alertmanager", json.dumps(alert_group(300)).encode(), query={"channel": "ops,box"}
    )
    response = await indexed().user_function("notify")(request, Output(), Invocation("notify"))
    return response.status_code


status = asyncio.run(first())
print(json.dumps({"status": status, "loop_imports": loop_imports, "frozen": gc.get_freeze_count()}))
"""


def test_the_first_notification_imports_nothing_on_the_event_loop(
    teams: TeamsStandIn, tmp_path: Path
) -> None:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("TEAMS_", "SCHEDULE_"))}
    webhook = teams.url("classic", "first-request")
    env = {
        **keep,
        "TEAMS_ALLOW_HOSTS": "127.0.0.1",
        "TEAMS_WEBHOOK_OPS": webhook,
        "TEAMS_WEBHOOK_BOX": f"file://{tmp_path}/box",
    }
    result = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == 200
    assert len(teams.received(webhook)) >= 1  # a real post, over a new connection
    # Only the executor's own modules, which the first off-loop call imports to start a thread.
    assert set(outcome["loop_imports"]) <= {"concurrent.futures.thread", "queue", "_queue"}
    # The handlers, httpx, the engine, the template and the schema validator: tens of thousands.
    assert outcome["frozen"] > 20_000
