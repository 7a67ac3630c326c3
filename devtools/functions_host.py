"""Drive function_app.py as the Functions host does, for the tests and the benchmarks.

- `indexed()` imports function_app.py with the settings of a deployment that turned both shipped
  schedules on, and calls `app.get_functions()` once per test session, as the Python worker does
  when it indexes the app (a second call on the same app raises: its function names are taken).
- `worker_accepts(function)` applies the worker's own binding checks: every parameter is a
  binding or `context`, and the azure.functions converter of each binding accepts the annotation.
- `request()` builds a `func.HttpRequest` the way the host hands it over: a repeated query key is
  one parameter whose values are joined with commas, and the URL carries the function key.
- `Output` is the worker's `func.Out`; `queue_messages()` encodes what a function set on the retry
  queue binding with azure.functions' own converter and returns the queue's messages.
"""

import functools
import inspect
import json
import os
import secrets
import sys
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import azure.functions as func
from azure.functions import meta
from azure.functions.queue import QueueMessage

from devtools.paths import ROOT
from shared.config.once import reset_configuration

T = TypeVar("T")
FUNCTION_KEY = "fk_" + secrets.token_urlsafe(24)
HOST = "https://notify-test.azurewebsites.net"

# What the deployment the app is indexed under sets at start: both shipped schedules on, a
# default channel (the shipped entries name none), the status page's host allowed.
INDEX_ENVIRON: Mapping[str, str] = {
    "SCHEDULE_WEEKDAY_DIGEST": "true",
    "SCHEDULE_SERVICE_STATUS": "true",
    "TEAMS_DEFAULT_CHANNEL": "ops",
    "TEAMS_WEBHOOK_OPS": "https://contoso.webhook.office.com/webhookb2/index-time-placeholder",
    "SOURCE_ALLOW_HOSTS": "www.githubstatus.com",
}


@dataclass(frozen=True)
class IndexedApp:
    app: func.FunctionApp
    functions: Mapping[str, func.Function]

    def bindings(self, name: str) -> list[dict[str, Any]]:
        """The function's bindings exactly as the host reads them (its function.json)."""
        document = json.loads(self.functions[name].get_function_json())
        bindings: list[dict[str, Any]] = document["bindings"]
        return bindings

    def binding(self, name: str, binding_type: str) -> dict[str, Any]:
        [found] = [b for b in self.bindings(name) if b["type"] == binding_type]
        return found

    def user_function(self, name: str) -> Callable[..., Any]:
        return self.functions[name].get_user_function()


@functools.cache
def indexed() -> IndexedApp:
    """function_app.py, imported and indexed once for the whole test session."""
    saved = dict(os.environ)
    os.environ.update(INDEX_ENVIRON)
    # A test module may have imported a blueprint under other settings: import afresh, as a cold
    # start does.
    for module in ("function_app", "shared.triggers.timers"):
        sys.modules.pop(module, None)
    try:
        reset_configuration()
        import function_app

        functions = function_app.app.get_functions()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        # Everything else reads the test's own settings from here on.
        reset_configuration()
    return IndexedApp(function_app.app, {str(f.get_function_name()): f for f in functions})


def converter_for(binding_type: str) -> Any:
    """azure.functions' converter for a binding type, which the worker uses to check and convert
    a function's parameters."""
    return meta._ConverterMeta.get(binding_type)  # type: ignore[no-untyped-call]


def worker_accepts(function: func.Function) -> list[str]:
    """What the Python worker would refuse when loading `function` (empty: it loads)."""
    user = function.get_user_function()
    hints = typing.get_type_hints(user)
    parameters = inspect.signature(user).parameters
    bindings = {b["name"]: b for b in json.loads(function.get_function_json())["bindings"]}
    refusals: list[str] = []
    for name in parameters:
        if name not in bindings and name != "context":
            refusals.append(f"parameter {name} has no binding")
    for name, binding in bindings.items():
        converter = converter_for(binding["type"])
        if converter is None:
            refusals.append(f"no converter for binding type {binding['type']}")
            continue
        if name == "$return":
            if not converter.check_output_type_annotation(hints.get("return")):
                refusals.append(f"return annotation does not suit {binding['type']}")
            continue
        if name not in parameters:
            refusals.append(f"binding {name} has no parameter")
            continue
        annotation = hints[name]
        if binding["direction"] == "OUT":
            if typing.get_origin(annotation) is not func.Out:
                refusals.append(f"output {name} is not annotated func.Out[...]")
            elif not converter.check_output_type_annotation(typing.get_args(annotation)[0]):
                refusals.append(f"output {name}: {annotation} does not suit {binding['type']}")
        elif not converter.check_input_type_annotation(annotation):
            refusals.append(f"input {name}: {annotation} does not suit {binding['type']}")
    if "context" in parameters and hints.get("context") is not func.Context:
        refusals.append("context is not annotated func.Context")
    return refusals


# --- invoking functions --------------------------------------------------------------------------


class Invocation(func.Context):
    """The context the worker passes to a function with a `context` parameter."""

    def __init__(self, function_name: str = "notify") -> None:
        self._id = secrets.token_hex(16)
        self._name = function_name

    @property
    def invocation_id(self) -> str:
        return self._id

    @property
    def thread_local_storage(self) -> Any:
        return None

    @property
    def function_name(self) -> str:
        return self._name

    @property
    def function_directory(self) -> str:
        return str(ROOT)

    @property
    def trace_context(self) -> Any:
        return None

    @property
    def retry_context(self) -> Any:
        return None


class Output(func.Out[T]):
    """An output binding as the worker gives it to a function."""

    def __init__(self) -> None:
        self._value: T | None = None
        self.calls = 0

    def set(self, val: T) -> None:
        self._value = val
        self.calls += 1

    def get(self) -> T:
        assert self._value is not None
        return self._value


def queue_messages(output: Output[list[str]]) -> list[str]:
    """The queue messages the host writes for what the function set on a queue output binding,
    encoded by azure.functions' own queue converter (none when nothing was set)."""
    if output.calls == 0:
        return []
    converter = converter_for("queue")
    datum = converter.encode(output.get(), expected_type=list)
    assert datum.type == "json"
    messages: list[str] = json.loads(datum.value)
    return messages


def as_queue_message(text: str, dequeue_count: int) -> QueueMessage:
    """The concrete class the worker builds for a queue trigger (`func.QueueMessage` is
    abstract)."""
    return QueueMessage(  # type: ignore[no-untyped-call]
        id=secrets.token_hex(8),
        body=text.encode("utf-8"),
        dequeue_count=dequeue_count,
        pop_receipt=secrets.token_hex(8),
    )


# --- requests ------------------------------------------------------------------------------------

Query = Mapping[str, str] | Iterable[tuple[str, str]]


def host_params(query: Query) -> dict[str, str]:
    """Query parameters as the Functions host passes them: repeated keys joined with commas."""
    pairs = query.items() if isinstance(query, Mapping) else query
    joined: dict[str, list[str]] = {}
    for key, value in pairs:
        joined.setdefault(key, []).append(value)
    return {key: ",".join(values) for key, values in joined.items()}


def request(
    method: str,
    route: str,
    *,
    body: bytes | Any = b"",
    query: Query = (),
    headers: Mapping[str, str] | None = None,
    route_params: Mapping[str, str] | None = None,
    content_type: str | None = "application/json",
) -> func.HttpRequest:
    """A request to `/api/<route>` with the function key in its URL, as callers send it."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
    pairs = list(query.items() if isinstance(query, Mapping) else query)
    url = f"{HOST}/api/{quote(route)}?" + urlencode([*pairs, ("code", FUNCTION_KEY)])
    sent = dict(headers or {})
    if content_type is not None:
        sent.setdefault("Content-Type", content_type)
    params = host_params(pairs)
    params["code"] = FUNCTION_KEY
    return func.HttpRequest(
        method,
        url,
        headers=sent,
        params=params,
        route_params=dict(route_params or {}),
        body=raw,
    )


def notify_request(template: str, body: bytes | Any = b"", **kwargs: Any) -> func.HttpRequest:
    return request(
        "POST", f"notify/{template}", body=body, route_params={"template": template}, **kwargs
    )


def render_request(template: str, body: bytes | Any = b"", **kwargs: Any) -> func.HttpRequest:
    return request(
        "POST", f"render/{template}", body=body, route_params={"template": template}, **kwargs
    )
