"""Keep webhook URLs out of logs, even when someone turns httpx's loggers up to DEBUG.

httpx logs every request URL at INFO, and httpcore's DEBUG traces name the host it connects to.
Their loggers are set to WARNING, and, because a level is easy to change, a filter on each of them
rewrites the text of every record they create: URLs and host names are replaced before any handler
sees it.
"""

from __future__ import annotations

import logging
import re

__all__ = ["SCRUBBED_LOGGERS", "install_log_scrubbing", "scrub"]

# The loggers httpx and httpcore create records on (a filter only sees records of its own logger).
SCRUBBED_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+")
_HOST_FIELD = re.compile(r"\b(host|server_hostname|sni_hostname)=(?:'[^']*'|\"[^\"]*\"|\S+)")
_SECRET_QUERY = re.compile(r"\b(sig|sp|sv|code)=[^&\s'\"]+", re.IGNORECASE)


def scrub(text: str) -> str:
    """`text` with every URL, host field and signature-like query value replaced."""
    text = _URL.sub("<url redacted>", text)
    text = _HOST_FIELD.sub(r"\1=<redacted>", text)
    return _SECRET_QUERY.sub(r"\1=<redacted>", text)


class _ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not leak its raw arguments either
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        return True


_FILTER = _ScrubFilter()


def install_log_scrubbing() -> None:
    """Keep httpx/httpcore at WARNING unless someone chose a level for them, and attach the
    scrubbing filter either way (idempotent)."""
    for name in SCRUBBED_LOGGERS:
        logger = logging.getLogger(name)
        if name in ("httpx", "httpcore") and logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
