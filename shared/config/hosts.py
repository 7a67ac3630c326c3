"""Host rules that settings of every part share: loopback, and comma-separated host lists.

Standard library only (the schedule entries use it when the app starts).
"""

from __future__ import annotations

from ipaddress import ip_address

__all__ = ["host_list", "is_loopback"]


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback address (127.0.0.0/8, ::1): where plain http is allowed."""
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def host_list(value: str) -> frozenset[str]:
    """`"a.example, B.example"` -> {"a.example", "b.example"}: the form of every *_ALLOW_HOSTS."""
    return frozenset(host.strip().lower() for host in value.split(",") if host.strip())
