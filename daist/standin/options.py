"""``StandinOptions``: everything a stand-in master is started with (CLI and Python API)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
