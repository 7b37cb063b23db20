"""Process limits a load test runs into: the open-files limit (every simulated user holds a
socket). Locust's own CLI raises the soft limit; so does daist, at start."""
from __future__ import annotations

import resource

FILES_PER_USER = 2
"""Open files one simulated user may hold at once (its connection, plus a reconnect)."""
FILES_BASE = 100
"""Open files of the process itself (logs, results, the stand-in's pipes, libraries)."""


def raise_open_files_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1_048_576)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def open_files_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def open_files_warning(users_per_process: int, limit: int) -> str | None:
    """A one-line warning when that many users would run out of file descriptors."""
    needed = FILES_BASE + FILES_PER_USER * users_per_process
    if limit == resource.RLIM_INFINITY or needed <= limit:
        return None
    return (f"{users_per_process} users per process need about {needed} open files but the "
            f"limit is {limit} (ulimit -n, hard limit included): expect 'Too many open files' "
            f"failures; raise the hard limit or spread the users over [locust] workers")
