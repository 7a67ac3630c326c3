"""Places for the weather city picker, from Open-Meteo's free geocoding API (no key).

Facts (open-meteo.com/en/docs/geocoding-api): `GET /v1/search?name=...&count=N&language=en&format=
json` answers `{"results": [{"name", "latitude", "longitude", "timezone", "country", "admin1",
...}]}`, and no `results` key when nothing matches. The call goes through the schedules' source
fetch (shared.schedules.source), so the host must be in SOURCE_ALLOW_HOSTS like any source.

`OPEN_METEO_URL` (development and tests only, loopback) sends both Open-Meteo APIs to a stand-in
(devtools/openmeteo_standin.py) by replacing the scheme and host of their URLs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlencode, urlsplit, urlunsplit

from shared.config.hosts import is_loopback
from shared.schedules.entries import Source
from shared.schedules.source import SourceError, fetch_json
from shared.subscriptions.model import Place, SubscriptionProblem

__all__ = [
    "FORECAST_HOST",
    "GEOCODING_HOST",
    "OPEN_METEO_SETTING",
    "find_places",
    "open_meteo_url",
    "places_from_answer",
]

GEOCODING_HOST: Final = "geocoding-api.open-meteo.com"
FORECAST_HOST: Final = "api.open-meteo.com"
OPEN_METEO_SETTING: Final = "OPEN_METEO_URL"
_GEOCODING: Final = f"https://{GEOCODING_HOST}/v1/search"
_MAX_QUERY: Final = 100
_COUNT: Final = 8


def open_meteo_url(url: str, environ: Mapping[str, str] | None = None) -> str:
    """`url`, sent to the stand-in when OPEN_METEO_URL names one (loopback only)."""
    environ = os.environ if environ is None else environ
    base = environ.get(OPEN_METEO_SETTING, "").strip()
    parts = urlsplit(url)
    if not base or (parts.hostname or "") not in (GEOCODING_HOST, FORECAST_HOST):
        return url
    target = urlsplit(base)
    if not is_loopback(target.hostname or ""):
        return url  # reported by `python -m shared check`; the real API stays in use
    return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, ""))


def places_from_answer(answer: Any) -> list[Place]:
    results = answer.get("results") if isinstance(answer, dict) else None
    found: list[Place] = []
    for item in results if isinstance(results, list) else []:
        if not isinstance(item, dict):
            continue
        name, lat, lon = item.get("name"), item.get("latitude"), item.get("longitude")
        if not (
            isinstance(name, str)
            and isinstance(lat, int | float)
            and isinstance(lon, int | float)
            and not isinstance(lat, bool)
            and not isinstance(lon, bool)
        ):
            continue
        region = item.get("admin1") if isinstance(item.get("admin1"), str) else None
        country = item.get("country") if isinstance(item.get("country"), str) else None
        zone = item.get("timezone") if isinstance(item.get("timezone"), str) else None
        shown = ", ".join(part for part in (name, region, country) if part)
        found.append(Place(shown, name, float(lat), float(lon), zone, country))
    return found


async def find_places(query: str) -> list[Place]:
    """Places matching `query` (at least 2 characters). Raises SubscriptionProblem for a bad
    query or an unreachable API (field `q`)."""
    text = " ".join(query.split())
    if len(text) < 2 or len(text) > _MAX_QUERY:
        raise SubscriptionProblem("q", f"type 2 to {_MAX_QUERY} characters of a city's name")
    url = (
        _GEOCODING
        + "?"
        + urlencode({"name": text, "count": _COUNT, "language": "en", "format": "json"})
    )
    url = open_meteo_url(url)
    host = (urlsplit(url).hostname or "").lower()
    try:
        answer = await fetch_json(Source(url=url, host=host, timeout=5.0))
    except SourceError as error:
        raise SubscriptionProblem("q", f"the city lookup failed: {error.reason}") from None
    return places_from_answer(answer)
