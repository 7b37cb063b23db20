"""daist's schema in the perf-results database: versioned DDL files applied in order.

Version history (one file each in ``daist/db/migrations``; never edit an applied one, add the
next):
  1  ``0001_historical.sql``: ``perf_test_runs`` and ``perf_tests`` as the k6 pipeline created
     them; adopted unchanged when they already exist.
  2  ``0002_daist.sql``: ``daist_runs``, ``daist_tests``, ``daist_loads``, ``daist_endpoints``,
     ``daist_load_steps``, ``daist_metric_sets``, ``daist_metric_latency`` and the view
     ``daist_endpoint_history``.
  3  ``0003_told_percentiles.sql``: endpoint and sweep-step percentiles may be NULL (too few
     samples to tell them).

``daist_schema`` records which versions are applied. ``migrate`` applies the missing ones in a
single transaction under an advisory lock, so two runs starting at once cannot both apply one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import daist
from daist.db.connection import DatabaseError, DbTarget, translating

if TYPE_CHECKING:
    import psycopg

VERSION_TABLE = "daist_schema"
LOCK_KEY = 0x64616973  # 'dais': serialises migrations of every daist on this server
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str = field(repr=False)


@lru_cache(maxsize=1)
def migrations() -> tuple[Migration, ...]:
    """Every DDL file shipped in ``daist/db/migrations``, by version (read once, on demand)."""
    found = []
    for entry in resources.files("daist.db").joinpath("migrations").iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"daist/db/migrations must number its files 1..n: {found}")
    return tuple(found)


def latest_version() -> int:
    return migrations()[-1].version


def current_version(conn: psycopg.Connection) -> int:
    """The newest applied version; 0 for a database daist never migrated."""
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (VERSION_TABLE,)).fetchone()[0]
    if not exists:
        return 0
    return conn.execute(f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}").fetchone()[0]


def migrate(conn: psycopg.Connection, target: DbTarget) -> list[Migration]:
    """Apply the missing versions; returns what was applied (nothing when up to date)."""
    from psycopg import sql

    with translating(target, doing="updating daist's tables"):
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            if target.schema:
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                    sql.Identifier(target.schema)))
            conn.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} ("
                         "version integer PRIMARY KEY, name text NOT NULL, "
                         "applied_at timestamptz NOT NULL DEFAULT NOW(), "
                         "daist_version text NOT NULL DEFAULT '')")
            have = current_version(conn)
            _check_not_newer(have, target)
            pending = [m for m in migrations() if m.version > have]
            for migration in pending:
                conn.execute(migration.sql)
                conn.execute(f"INSERT INTO {VERSION_TABLE} (version, name, daist_version) "
                             "VALUES (%s, %s, %s)",
                             (migration.version, migration.name, daist.__version__))
    return pending


def ensure_schema(conn: psycopg.Connection, target: DbTarget) -> None:
    """Migrate on first use; refuse a database whose schema is newer than this daist."""
    with translating(target, doing="reading daist's schema version"):
        have = current_version(conn)
    _check_not_newer(have, target)
    if have < latest_version():
        migrate(conn, target)


def _check_not_newer(have: int, target: DbTarget) -> None:
    if have > latest_version():
        raise DatabaseError(f"the perf-results database {target.label} has daist schema "
                            f"version {have}, newer than this daist knows "
                            f"({latest_version()}): upgrade daist")
