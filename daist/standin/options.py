"""``StandinOptions``: everything a stand-in master is started with (CLI and Python API)."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

REMOTE_WARNING = ("the stand-in serves {host} beyond this machine: it is a test double with "
                  "no TLS, and anyone who reaches it can log in with the seeded accounts' "
                  "passwords (empty unless set); requests are answered for loopback names and "
                  "the --allow-host names only: {allowed}")


@dataclass(frozen=True)
class StandinOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    scale: int = 10
    seed: int = 0
    db: str | None = None
    """SQLite file; None keeps the state in memory. The file is re-seeded at every start."""
    rbac: bool = False
    passwords: tuple[tuple[str, str], ...] = ()
    faults: tuple[dict[str, Any], ...] = ()
    work_dir: str | None = None
    """Where trial directories and checkpoints go; None = a temporary directory, removed at stop."""
    slots: int = 64
    """At most this many trial processes run at once, over all experiments."""
    exit_with_parent: int | None = None
    ready_file: str | None = None
    allow_remote: bool = False
    """Serve on an address other than loopback (the stand-in is a test double: no TLS)."""
    allowed_hosts: tuple[str, ...] = ()
    """Names besides loopback ones that a request's ``Host`` may give (``--allow-host``, with
    ``allow_remote`` only): the others are refused, which stops DNS rebinding."""
    max_upload_mb: int = 128
    """Largest experiment-creation body (it carries the model definition), in MiB."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


def bind_problem(options: StandinOptions) -> str | None:
    """Why ``options`` may not bind as given (one sentence), or None."""
    if options.allowed_hosts and not options.allow_remote:
        return "--allow-host serves names beyond this machine: it needs --allow-remote"
    if is_loopback(options.host) or options.allow_remote:
        return None
    return (f"--host {options.host or '0.0.0.0'} is not a loopback address; pass "
            "--allow-remote to serve beyond this machine")
