"""The work of a route's first request happens off the event loop (issue 10: no CPU step holds
the loop for long): its handler module is imported and prepared in a worker thread, and a big
notification's template compile, expansion and checks run in one too."""

import asyncio
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from devtools.alert_groups import alert_group
from devtools.teams_standin import TeamsStandIn
from shared import catalog, pipeline
from shared.cards.check import check_card
from shared.triggers import loading
from tests.support.function_app import Invocation, Output, configure, indexed, notify_request

HANDLER = """
import threading

imported_in = threading.get_ident()
prepared_in = []


def prepare():
    prepared_in.append(threading.get_ident())
    {fail}
"""


def write_module(folder: Path, name: str, fail: bool = False) -> None:
    failing = "raise RuntimeError('broken setting')" if fail else ""
    (folder / f"{name}.py").write_text(HANDLER.format(fail=failing), "utf-8")


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(loading, "_loaded", set())
    return tmp_path


def test_the_loop_thread_neither_imports_nor_prepares(modules: Path) -> None:
    write_module(modules, "handler_for_loading_test_2")
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        seen["loop"] = threading.get_ident()
        await loading.load_off_loop("handler_for_loading_test_2")
        await loading.load_off_loop("handler_for_loading_test_2")
        module = sys.modules["handler_for_loading_test_2"]
        seen["imported"] = module.imported_in
        seen["prepared"] = list(module.prepared_in)

    try:
        asyncio.run(scenario())
    finally:
        sys.modules.pop("handler_for_loading_test_2", None)
    assert seen["imported"] != seen["loop"]
    assert len(seen["prepared"]) == 1  # the second load found it done
    assert seen["prepared"][0] != seen["loop"]


def test_a_failing_prepare_leaves_the_answer_to_the_handler(modules: Path) -> None:
    write_module(modules, "handler_for_loading_test_3", fail=True)

    async def scenario() -> list[int]:
        await loading.load_off_loop("handler_for_loading_test_3")
        prepared: list[int] = sys.modules["handler_for_loading_test_3"].prepared_in
        return prepared

    try:
        prepared = asyncio.run(scenario())
    finally:
        sys.modules.pop("handler_for_loading_test_3", None)
    assert len(prepared) == 1


def recording(threads: list[int], function: Callable[..., Any]) -> Callable[..., Any]:
    def recorded(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        return function(*args, **kwargs)

    return recorded


def test_a_big_notification_compiles_expands_and_checks_off_the_loop(
    monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn, tmp_path: Path
) -> None:
    # A long budget: on a loaded machine a short one would queue the notification instead.
    extra = {"TEAMS_WEBHOOK_BOX": f"file://{tmp_path}/box"}
    configure(monkeypatch, teams, budget=60, extra=extra)
    compiled: list[int] = []
    checked: list[int] = []
    monkeypatch.setattr(catalog, "compiled", recording(compiled, catalog.compiled))
    # shared.pipeline calls check_card by the name it imported.
    monkeypatch.setattr(pipeline, "check_card", recording(checked, check_card))
    request = notify_request("alertmanager", alert_group(100), query={"channel": "box"})

    async def scenario() -> tuple[int, int]:
        response = await indexed().user_function("notify")(request, Output(), Invocation())
        return threading.get_ident(), response.status_code

    loop_thread, status = asyncio.run(scenario())
    assert status == 200
    assert compiled
    assert checked
    assert loop_thread not in compiled
    assert loop_thread not in checked
