"""Replay protection: a captured request cannot be sent again to run its command twice.

The signature proves Teams sent a body, not when. So an activity is refused when its (signed)
timestamp is outside the window, and an activity id answered within the window is refused the
second time. The memory of ids is per process and bounded: Functions instances do not share it.
"""

import threading
from collections import OrderedDict
from datetime import datetime

# Clocks drift a little; Teams' clock may be slightly ahead of this instance's.
MAX_FUTURE_SKEW_SECONDS = 60.0
DEFAULT_MAX_REMEMBERED = 10_000


class ReplayGuard:
    def __init__(
        self, window_seconds: float, *, max_remembered: int = DEFAULT_MAX_REMEMBERED
    ) -> None:
        self.window_seconds = window_seconds
        self.future_skew_seconds = min(MAX_FUTURE_SKEW_SECONDS, window_seconds)
        self._max_remembered = max_remembered
        self._expiry_by_key: OrderedDict[tuple[str, ...], float] = OrderedDict()
        self._lock = threading.Lock()

    def timestamp_problem(self, sent: datetime, now: datetime) -> str | None:
        """Why a timestamp is not acceptable now, or None when it is."""
        age = (now - sent).total_seconds()
        if age > self.window_seconds:
            return f"timestamp is {age:.0f} s old, over the {self.window_seconds:g} s window"
        if -age > self.future_skew_seconds:
            return f"timestamp is {-age:.0f} s in the future"
        return None

    def first_time(self, key: tuple[str, ...], sent: datetime, now: datetime) -> bool:
        """Record `key` and say whether it is new; a key seen within the window returns False.

        The key is kept until its activity's timestamp leaves the window (after that the
        timestamp check refuses it anyway), or until the oldest keys make room for new ones.
        """
        now_s = now.timestamp()
        with self._lock:
            while self._expiry_by_key:
                oldest, expiry = next(iter(self._expiry_by_key.items()))
                if expiry > now_s and len(self._expiry_by_key) < self._max_remembered:
                    break
                del self._expiry_by_key[oldest]
            known = self._expiry_by_key.get(key)
            if known is not None and known > now_s:
                return False
            self._expiry_by_key[key] = sent.timestamp() + self.window_seconds
            self._expiry_by_key.move_to_end(key)
            return True
