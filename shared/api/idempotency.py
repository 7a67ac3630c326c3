"""The notification key of a request, for duplicate suppression (shared.state.duplicates).

In order: the caller's `Idempotency-Key` header, or the key the template declares in
`catalog.json` under `"duplicates"`: `{"header": "X-GitHub-Delivery"}` takes a request header,
`{"data": ["groupKey", "alerts[*].fingerprint", ...]}` takes values from the posted data (dotted
paths; `[*]` takes every item of a list). A declared path that is missing means no key: such a
request is never suppressed. `"window_seconds"` there overrides TEAMS_DUPLICATE_WINDOW_SECONDS.

Its own small module, apart from the `$host.headers` templates may see: only the one or two
headers named here are read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from shared.state.duplicates import DuplicateKeys

__all__ = ["IDEMPOTENCY_HEADER", "Claims", "claims_for", "duplicate_window", "notification_key"]

IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
_MAX_KEY: Final = 1000
_MISSING: Final = object()


def _declared(options: Mapping[str, Any]) -> Mapping[str, Any]:
    declared = options.get("duplicates")
    return declared if isinstance(declared, Mapping) else {}


def _values(data: Any, path: str) -> Any:
    current: list[Any] = [data]
    for step in path.split("."):
        every = step.endswith("[*]")
        name = step[:-3] if every else step
        found: list[Any] = []
        for item in current:
            if not isinstance(item, Mapping) or name not in item:
                return _MISSING
            value = item[name]
            if every:
                if not isinstance(value, list):
                    return _MISSING
                found.extend(value)
            else:
                found.append(value)
        current = found
    return current


def notification_key(
    options: Mapping[str, Any], data: Any, headers: Mapping[str, str]
) -> str | None:
    """The request's key, or None (no header, nothing declared, or a declared part missing)."""
    given = headers.get(IDEMPOTENCY_HEADER) or headers.get(IDEMPOTENCY_HEADER.lower())
    if given and given.strip():
        return "header:" + given.strip()[:_MAX_KEY]
    declared = _declared(options)
    header = declared.get("header")
    if isinstance(header, str):
        value = headers.get(header) or headers.get(header.lower())
        return f"{header.lower()}:{value.strip()[:_MAX_KEY]}" if value and value.strip() else None
    paths = declared.get("data")
    if isinstance(paths, list) and paths:
        parts = [_values(data, str(path)) for path in paths]
        if any(part is _MISSING for part in parts):
            return None
        return "data:" + json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return None


def duplicate_window(options: Mapping[str, Any], default: int) -> int:
    """Seconds a key suppresses repeats for this template (its own, or the app setting)."""
    own = _declared(options).get("window_seconds")
    return own if isinstance(own, int) and not isinstance(own, bool) and own >= 0 else default


@dataclass(frozen=True)
class Claims:
    """One request's key, claimed per channel in the shared table."""

    keys: DuplicateKeys
    key: str
    window: int

    async def first(self, channel: str) -> bool:
        """True: post to `channel`; False: a duplicate within the window."""
        return await self.keys.claim(channel, self.key, self.window)

    async def release(self, channel: str) -> None:
        await self.keys.release(channel, self.key)


def claims_for(
    template: str,
    options: Mapping[str, Any],
    data: Any,
    headers: Mapping[str, str],
    default_window: int,
) -> Claims | None:
    """The request's claims, or None when it has no key, the window is 0 or no storage is set."""
    from shared.state.duplicates import current_duplicate_keys, key_hash

    window = duplicate_window(options, default_window)
    key = notification_key(options, data, headers)
    keys = current_duplicate_keys() if window > 0 and key is not None else None
    if keys is None or key is None:
        return None
    return Claims(keys, key_hash(template, key), window)
