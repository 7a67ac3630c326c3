"""The function app's tests: answers, channels and settings on top of the host driver.

The host driver itself (`indexed()`, `request()`, `Invocation`, `Output`, ...) is
`devtools.functions_host`, shared with the benchmarks; it is re-exported here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import azure.functions as func
import pytest

from devtools.delivery import run as run  # re-exported for the function app tests
from devtools.functions_host import (
    FUNCTION_KEY as FUNCTION_KEY,
)
from devtools.functions_host import (
    HOST as HOST,
)
from devtools.functions_host import (
    IndexedApp as IndexedApp,
)
from devtools.functions_host import (
    Invocation as Invocation,
)
from devtools.functions_host import (
    Output as Output,
)
from devtools.functions_host import (
    as_queue_message as as_queue_message,
)
from devtools.functions_host import (
    converter_for as converter_for,
)
from devtools.functions_host import (
    host_params as host_params,
)
from devtools.functions_host import (
    indexed as indexed,
)
from devtools.functions_host import (
    notify_request as notify_request,
)
from devtools.functions_host import (
    queue_messages as queue_messages,
)
from devtools.functions_host import (
    render_request as render_request,
)
from devtools.functions_host import (
    request as request,
)
from devtools.functions_host import (
    worker_accepts as worker_accepts,
)
from devtools.teams_standin import TeamsStandIn
from shared.config.once import reset_configuration

T = TypeVar("T")


@dataclass
class Answer:
    status: int
    body: Any
    retry: list[str] = field(default_factory=list)

    @property
    def code(self) -> str:
        code: str = self.body["error"]["code"]
        return code


def answer_of(response: func.HttpResponse, output: Output[list[str]] | None = None) -> Answer:
    assert response.mimetype == "application/json"
    body = json.loads(response.get_body())
    return Answer(response.status_code, body, queue_messages(output) if output else [])


def call_notify(request_: func.HttpRequest) -> Answer:
    """POST /api/notify/{template} through the indexed function, with its queue output."""
    output: Output[list[str]] = Output()
    response = run(indexed().user_function("notify")(request_, output, Invocation("notify")))
    return answer_of(response, output)


def call_render(request_: func.HttpRequest) -> Answer:
    return answer_of(run(indexed().user_function("render")(request_, Invocation("render"))))


# --- settings ------------------------------------------------------------------------------------


@dataclass
class Channels:
    """Channels bound to a loopback Teams stand-in: name -> webhook URL."""

    standin: TeamsStandIn
    urls: dict[str, str]

    def received(self, name: str) -> list[Any]:
        return [record.json() for record in self.standin.received(self.urls[name])]


def configure(
    monkeypatch: pytest.MonkeyPatch,
    standin: TeamsStandIn,
    channels: Mapping[str, str] | None = None,
    *,
    default: str | None = "ops",
    budget: float = 1.5,
    extra: Mapping[str, str] | None = None,
) -> Channels:
    """App settings for the test: each channel (name -> "classic" or "workflows") bound to a fresh
    webhook URL of the stand-in, loopback allowed, short delivery budgets."""
    for name in list(os.environ):
        if name.startswith(("TEAMS_", "SCHEDULE_", "SOURCE_")):
            monkeypatch.delenv(name)
    kinds = channels if channels is not None else {"ops": "classic", "dev": "workflows"}
    urls: dict[str, str] = {}
    for name, kind in kinds.items():
        url = standin.url("workflows" if kind == "workflows" else "classic", name)
        urls[name] = url
        monkeypatch.setenv("TEAMS_WEBHOOK_" + name.upper().replace("-", "_"), url)
    monkeypatch.setenv("TEAMS_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("TEAMS_DELIVERY_BUDGET_SECONDS", str(budget))
    monkeypatch.setenv("TEAMS_REDELIVERY_BUDGET_SECONDS", str(budget))
    if default is not None:
        monkeypatch.setenv("TEAMS_DEFAULT_CHANNEL", default)
    for name, value in (extra or {}).items():
        monkeypatch.setenv(name, value)
    reset_configuration()
    return Channels(standin, urls)
