"""``StandinStore``: all state of one stand-in master, in SQLite, one method per operation.

Operations live in concept mixins (``store_auth``, ``store_org``, ``store_registry``,
``store_experiments``, ``store_trials``, ``store_tasks``, ``store_policies``, ``store_rbac``); this module owns the connection,
reset and counts. Methods return dataclasses from ``entities``/``exp_entities`` and raise
``NotFound``/``Conflict``/``BadRequest`` from ``errors``. Where a request parameter of the real
API is not implemented, the method's docstring says so.

The store is used from one thread (the server's event loop), so it needs no locking; SQLite's
own ``check_same_thread`` is off only because ``StandinMaster`` creates it in its loop thread.
"""
from __future__ import annotations

import sqlite3
import time
from typing import Any, Callable

from daist.standin.state.schema import SCHEMA, TABLES
from daist.standin.state.store_auth import AuthStore
from daist.standin.state.store_experiments import ExperimentQuery, ExperimentStore
from daist.standin.state.store_org import OrgStore
from daist.standin.state.store_policies import PolicyStore
from daist.standin.state.store_rbac import RbacStore
from daist.standin.state.store_registry import RegistryStore
from daist.standin.state.store_tasks import TaskStore
from daist.standin.state.store_trials import TrialStore

__all__ = ["ExperimentQuery", "StandinStore"]

COUNT_QUERIES = {
    "users": "SELECT COUNT(*) FROM users",
    "tokens": "SELECT COUNT(*) FROM tokens WHERE kind = 'user'",
    "task_tokens": "SELECT COUNT(*) FROM tokens WHERE kind = 'task'",
    "user_settings": "SELECT COUNT(*) FROM user_settings",
    "workspaces": "SELECT COUNT(*) FROM workspaces",
    "projects": "SELECT COUNT(*) FROM projects",
    "notes": "SELECT COUNT(*) FROM notes",
    "experiments": "SELECT COUNT(*) FROM experiments",
    "experiment_labels": "SELECT COALESCE(SUM(json_array_length(labels)), 0) FROM experiments",
    "trials": "SELECT COUNT(*) FROM trials",
    "metrics": "SELECT COUNT(*) FROM metrics",
    "checkpoints": "SELECT COUNT(*) FROM checkpoints",
    "models": "SELECT COUNT(*) FROM models",
    "model_versions": "SELECT COUNT(*) FROM model_versions",
    "templates": "SELECT COUNT(*) FROM templates",
    "webhooks": "SELECT COUNT(*) FROM webhooks",
    "commands": "SELECT COUNT(*) FROM commands",
    "active_allocations": "SELECT COUNT(*) FROM allocations WHERE state != 'STATE_TERMINATED'",
    "task_logs": "SELECT COUNT(*) FROM task_logs",
    "resource_pools": "SELECT COUNT(*) FROM resource_pools",
    "agents": "SELECT COUNT(*) FROM agents",
}


class StandinStore(AuthStore, OrgStore, RegistryStore, ExperimentStore, TrialStore, TaskStore,
                   PolicyStore, RbacStore):
    """The backend. ``path`` is a SQLite file or ``":memory:"``; ``clock`` gives "now"."""

    def __init__(self, *, path: str = ":memory:", clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.now = clock
        self._config_cache: dict[int, dict[str, Any]] = {}
        # Autocommit; multi-statement writes use ``transaction()``.
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("PRAGMA journal_mode = MEMORY")  # OFF would make ROLLBACK a no-op
        self.reset()

    def reset(self) -> None:
        """Drop everything and recreate the empty schema (seed data is ``seed/seeder.py``'s job)."""
        self._config_cache.clear()
        for table in TABLES:
            self.db.execute(f"DROP TABLE IF EXISTS {table}")
        self.db.executescript(SCHEMA)

    def transaction(self) -> "_Transaction":
        return _Transaction(self.db)

    def counts(self) -> dict[str, int]:
        return {kind: self.db.execute(sql).fetchone()[0] for kind, sql in COUNT_QUERIES.items()}

    def close(self) -> None:
        self.db.close()


class _Transaction:
    """``with store.transaction():`` groups writes; rolls back on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN")
        return self.db

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
