"""The function app's HTTP functions served over loopback, routed as the Functions host routes them.

For the browser tests of the configuration page (and for trying the page without Core Tools):
`FunctionsServer` listens on 127.0.0.1 and, for each request,
- finds the HTTP function whose route template and methods match, reading both from the
  function's own bindings (its function.json, as the host does), under the `api/` prefix;
- builds the concrete `func.HttpRequest` the worker hands over: the full URL, the headers, query
  parameters with a repeated key joined by commas, the route parameters, the raw body;
- gives the function its other bindings (`context`, a queue output) and awaits it on one event
  loop of its own, as the Python worker runs every function on one loop;
- writes the function's `HttpResponse` back: status, headers, mimetype and charset, body.

As under `func start`, function keys are not checked; a wrong method or an unknown route is the
host's plain 404/405, never the app's. Run it by hand with `python -m devtools.functions_server`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import re
import threading
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func

from devtools.functions_host import IndexedApp, Invocation, Output, host_params, indexed

ROUTE_PREFIX = "api"
_PARAMETER = re.compile(r"\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")


@dataclass(frozen=True)
class Route:
    """One HTTP function's route template, compiled."""

    function: str
    template: str
    methods: frozenset[str]
    pattern: re.Pattern[str]
    literal_segments: int

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        return None if found is None else {k: v for k, v in found.groupdict().items() if v}


def _segment_pattern(segment: str) -> str:
    """One segment of a route template as a regular expression: literals match themselves,
    case-insensitively as ASP.NET routing does; `{name}` a segment; `{*name}` the rest; a
    `regex(...)` or `alpha` constraint narrows the parameter."""
    parts: list[str] = []
    position = 0
    for parameter in _PARAMETER.finditer(segment):
        parts.append(re.escape(segment[position : parameter.start()]))
        catch_all, name, constraint = parameter.groups()
        body = ".*" if catch_all else "[^/]+"
        if constraint:
            regex = re.fullmatch(r"regex\((.*)\)", constraint)
            if regex:
                body = regex.group(1).removeprefix("^").removesuffix("$")
            elif constraint == "alpha":
                body = "[A-Za-z]+"
        parts.append(f"(?P<{name}>{body})")
        position = parameter.end()
    parts.append(re.escape(segment[position:]))
    return "".join(parts)


def compile_route(function: str, template: str, methods: Sequence[str]) -> Route:
    segments = [s for s in template.strip("/").split("/") if s]
    pattern = "/".join(_segment_pattern(s) for s in segments)
    literal = sum(1 for s in segments if not _PARAMETER.search(s))
    return Route(
        function,
        template,
        frozenset(m.upper() for m in methods),
        re.compile(pattern, re.IGNORECASE),
        literal,
    )


def http_routes(app: IndexedApp) -> list[Route]:
    """Every HTTP function's route, the most literal first (the host prefers `a/b` over `a/{x}`)."""
    routes: list[Route] = []
    for name in app.functions:
        for binding in app.bindings(name):
            if binding["type"] == "httpTrigger":
                methods = binding.get("methods") or ["GET", "POST", "PUT", "DELETE", "PATCH"]
                routes.append(compile_route(name, binding.get("route") or name, methods))
    return sorted(routes, key=lambda r: -r.literal_segments)


class _Loop:
    """The worker's one event loop, in a thread; `run` waits for a coroutine on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: typing.Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


def _arguments(app: IndexedApp, function: str, request: func.HttpRequest) -> dict[str, Any] | None:
    """The function's arguments: the request, the context, an output for each output binding."""
    user = app.user_function(function)
    hints = typing.get_type_hints(user)
    arguments: dict[str, Any] = {}
    for name in inspect.signature(user).parameters:
        if hints.get(name) is func.Context:
            arguments[name] = Invocation(function)
        elif hints.get(name) is func.HttpRequest:
            arguments[name] = request
        elif typing.get_origin(hints.get(name)) is func.Out:
            arguments[name] = Output()
        else:
            return None
    return arguments


class FunctionsServer:
    """`with FunctionsServer() as server:` serves the app on `server.base_url`."""

    def __init__(self, app: IndexedApp | None = None, port: int = 0) -> None:
        self.app = app or indexed()
        self.routes = http_routes(self.app)
        self._port = port
        self._loop: _Loop | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FunctionsServer:
        self._loop = _Loop()
        server = ThreadingHTTPServer(("127.0.0.1", self._port), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._loop is not None:
            self._loop.stop()
            self._loop = None

    def __enter__(self) -> FunctionsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def find(self, method: str, path: str) -> tuple[Route, dict[str, str]] | int:
        """The route for `path` (without the `api/` prefix), or the host's status: 404 or 405."""
        allowed = False
        for route in self.routes:
            params = route.match(path)
            if params is None:
                continue
            if method.upper() in route.methods:
                return route, params
            allowed = True
        return 405 if allowed else 404

    def invoke(self, route: Route, request: func.HttpRequest) -> func.HttpResponse:
        assert self._loop is not None
        arguments = _arguments(self.app, route.function, request)
        if arguments is None:
            return func.HttpResponse(b"", status_code=500)
        result = self.app.user_function(route.function)(**arguments)
        if inspect.isawaitable(result):
            result = self._loop.run(_awaited(result))
        assert isinstance(result, func.HttpResponse)
        return result


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def _handler_for(server: FunctionsServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            prefix = f"/{ROUTE_PREFIX}/"
            if not parts.path.startswith(prefix):
                self._write(404, [], b"")
                return
            found = server.find(self.command, parts.path[len(prefix) :])
            if isinstance(found, int):
                self._write(found, [], b"")
                return
            route, route_params = found
            request = func.HttpRequest(
                self.command,
                f"http://{self.headers.get('Host') or f'127.0.0.1:{server.port}'}{self.path}",
                headers=dict(self.headers.items()),
                params=host_params(parse_qsl(parts.query, keep_blank_values=True)),
                route_params=route_params,
                body=body,
            )
            response = server.invoke(route, request)
            headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-type"]
            content_type = response.mimetype or "text/plain"
            if response.charset and content_type.startswith(("text/", "application/json")):
                content_type += f"; charset={response.charset}"
            headers.append(("Content-Type", content_type))
            self._write(response.status_code, headers, response.get_body())

        def _write(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    return Handler


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=7071)
    port: int = parser.parse_args(argv).port
    with FunctionsServer(port=port) as server:
        print(f"serving the function app on {server.base_url}/api/ (Ctrl+C stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
