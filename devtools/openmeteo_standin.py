"""A loopback stand-in for Open-Meteo's geocoding and forecast APIs (both on one port).

Answers as the real APIs do (open-meteo.com/en/docs/geocoding-api and /en/docs):
- `GET /v1/search?name=...&count=N&language=en&format=json` -> `{"results": [{"id", "name",
  "latitude", "longitude", "timezone", "country", "country_code", "admin1"}], "generationtime_ms"}`,
  and no `results` key when nothing matches;
- `GET /v1/forecast?latitude=..&longitude=..&daily=a,b&timezone=Zone&forecast_days=N` ->
  `{"latitude", "longitude", "timezone", "daily_units": {...}, "daily": {"time": [dates], a: [...],
  ...}}` with `forecast_days` dates starting today in that time zone; a missing latitude or
  longitude is a 400 `{"error": true, "reason": "..."}`.

Start it with `with OpenMeteoStandIn() as meteo:` and point the app at it with
`OPEN_METEO_URL=meteo.base_url` (and `SOURCE_ALLOW_HOSTS=127.0.0.1`). `requests` lists what it
received; `today` may be set to answer for a chosen date.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

CITIES: tuple[dict[str, Any], ...] = (
    {"id": 2950159, "name": "Berlin", "latitude": 52.52437, "longitude": 13.41053,
     "timezone": "Europe/Berlin", "country": "Germany", "country_code": "DE",
     "admin1": "Land Berlin"},
    {"id": 2661552, "name": "Bern", "latitude": 46.94809, "longitude": 7.44744,
     "timezone": "Europe/Zurich", "country": "Switzerland", "country_code": "CH",
     "admin1": "Bern"},
    {"id": 2988507, "name": "Paris", "latitude": 48.85341, "longitude": 2.3488,
     "timezone": "Europe/Paris", "country": "France", "country_code": "FR",
     "admin1": "Île-de-France"},
    {"id": 5128581, "name": "New York", "latitude": 40.71427, "longitude": -74.00597,
     "timezone": "America/New_York", "country": "United States", "country_code": "US",
     "admin1": "New York"},
)  # fmt: skip

UNITS = {
    "weather_code": "wmo code",
    "temperature_2m_max": "°C",
    "temperature_2m_min": "°C",
    "precipitation_probability_max": "%",
    "precipitation_sum": "mm",
    "wind_speed_10m_max": "km/h",
}


@dataclass
class MeteoRequest:
    path: str
    query: dict[str, str]


@dataclass
class OpenMeteoStandIn:
    today: date | None = None
    """The date the forecast starts at (default: today in the asked time zone)."""
    requests: list[MeteoRequest] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = field(default=None, init=False, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> OpenMeteoStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                standin.requests.append(MeteoRequest(parts.path, query))
                status, body = standin.answer(parts.path, query)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        if path == "/v1/search":
            name = query.get("name", "").strip().lower()
            count = int(query.get("count", "10"))
            found = [c for c in CITIES if len(name) >= 2 and c["name"].lower().startswith(name)]
            body: dict[str, Any] = {"generationtime_ms": 0.5}
            if found:
                body["results"] = found[:count]
            return 200, body
        if path == "/v1/forecast":
            return self._forecast(query)
        return 404, {"error": True, "reason": "Not Found"}

    def _forecast(self, query: dict[str, str]) -> tuple[int, Any]:
        try:
            latitude, longitude = float(query["latitude"]), float(query["longitude"])
            zone = ZoneInfo(query.get("timezone", "GMT"))
        except (KeyError, ValueError):
            return 400, {"error": True, "reason": "Latitude and longitude must be set"}
        days = int(query.get("forecast_days", "7"))
        first = self.today or datetime.now(UTC).astimezone(zone).date()
        dates = [(first + timedelta(days=n)).isoformat() for n in range(days)]
        daily: dict[str, Any] = {"time": dates}
        fields = [f for f in query.get("daily", "").split(",") if f]
        for n, name in enumerate(fields):
            daily[name] = [round(latitude / 10 + n + day, 1) for day in range(days)]
        if "weather_code" in daily:
            daily["weather_code"] = [61, 3, 0, 95][:days] + [0] * max(0, days - 4)
        return 200, {
            "latitude": latitude,
            "longitude": longitude,
            "timezone": str(zone),
            "daily_units": {"time": "iso8601", **{f: UNITS.get(f, "") for f in fields}},
            "daily": daily,
        }


def main(argv: list[str] | None = None) -> int:
    """`python -m devtools.openmeteo_standin [--port N]`: serve until interrupted."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    with OpenMeteoStandIn(port=args.port) as standin:
        print(f"OPEN_METEO_URL={standin.base_url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
