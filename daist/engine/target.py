"""The one Determined master a generator process may log in to, and the check that a Locust
master's request names it (a worker never sends its credentials anywhere else)."""
from __future__ import annotations

from urllib.parse import urlsplit


class RefusedTarget(Exception):
    """A user was pointed at another master than the one its process may log in to."""


def same_master(first: str, second: str) -> bool:
    """Do two master URLs name the same server (scheme, host, port and path; case and a
    trailing slash aside)?"""
    def key(url: str) -> tuple:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
        return scheme, (parts.hostname or "").lower(), port, parts.path.rstrip("/")
    try:
        return key(first) == key(second)
    except ValueError:  # an unparsable port
        return False


def check_target(offered: str, target: str) -> None:
    """The Locust master's target URL must be this worker's own."""
    if not same_master(offered, target):
        raise RefusedTarget(f"the Locust master asks for load against {offered}, but this worker "
                            f"logs in only to {target} (--target or DET_MASTER)")
