"""Alert groups shaped like what Alertmanager 0.25 posts (webhook version 4), of any size, for the
heavy-traffic tests and `bench/heavy.py`. One real payload (tests/fixtures/payloads) is the model;
each alert gets its own pod, fingerprint and start time, so no two alerts are alike."""

from __future__ import annotations

import copy
import json
from typing import Any

from devtools.paths import PAYLOADS


def payload(name: str) -> Any:
    """A real-world payload from tests/fixtures/payloads/NAME.json."""
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


def alert_group(count: int, *, description: str | None = None) -> dict[str, Any]:
    """A firing group of `count` crash-looping pods (about 600 bytes of JSON per alert)."""
    group: dict[str, Any] = payload("alertmanager-firing")
    model = group["alerts"][0]
    alerts = []
    for number in range(count):
        alert = copy.deepcopy(model)
        pod = f"checkout-api-7d9c8b6f5-{number:05d}"
        alert["labels"]["pod"] = pod
        alert["annotations"]["summary"] = f"Pod checkout/{pod} is crash looping."
        alert["fingerprint"] = f"{number:016x}"
        alert["startsAt"] = f"2024-05-01T07:{number // 60 % 60:02d}:{number % 60:02d}.847Z"
        if description is not None:
            alert["annotations"]["description"] = description
        alerts.append(alert)
    group["alerts"] = alerts
    group["truncatedAlerts"] = 0
    return group


def digest(count: int) -> dict[str, Any]:
    """A digest of `count` items (about 13 bytes of JSON each, as in issue 10's measurements)."""
    return {
        "title": "Daily alert digest",
        "period": "Last 24 hours",
        "items": [{"name": f"s{n:04d}", "count": n % 50} for n in range(count)],
    }
