"""The statements the master's PostgreSQL ran during a window, from ``pg_stat_statements``:
a snapshot before and after, the difference by statement, the top ones by total time.

The statements are the normalised text PostgreSQL keeps (constants as ``$1``). Rows are summed
over users and top-level/nested for one ``queryid`` of the DSN's database. daist's own reads
carry a marker comment and are left out of the delta.
"""
from __future__ import annotations

from dataclasses import dataclass

from daist.models.evidence import SqlStatement, SqlStatements

TOP = 20
MARKER = "/* daist evidence */"
_TIMEOUT_MS = 30_000
_VERSION_SQL = f"{MARKER} SELECT current_setting('server_version_num')::int"
_INSTALLED_SQL = f"{MARKER} SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'"
# total_exec_time since PostgreSQL 13 (total_time before it)
_STATEMENTS_SQL = (f"{MARKER} SELECT queryid::text, min(query), sum(calls)::bigint, "
                   "sum({time})::float8, sum(rows)::bigint FROM pg_stat_statements "
                   "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                   "AND queryid IS NOT NULL GROUP BY queryid")


class StatementsUnavailable(Exception):
    """Why the statements cannot be read (a sentence for the artifact and the log)."""


@dataclass(frozen=True)
class Counters:
    query: str
    calls: int
    total_ms: float
    rows: int


Snapshot = dict[str, Counters]


def read_snapshot(dsn: str, *, password: str) -> Snapshot:
    """queryid -> counters now. Raises ``StatementsUnavailable`` saying what is missing."""
    import psycopg

    try:
        with psycopg.connect(dsn, password=password or None, connect_timeout=10,
                             options=f"-c statement_timeout={_TIMEOUT_MS}",
                             autocommit=True) as connection:
            version = connection.execute(_VERSION_SQL).fetchone()[0]
            if not connection.execute(_INSTALLED_SQL).fetchone()[0]:
                raise StatementsUnavailable(
                    "the pg_stat_statements extension is not installed in this database "
                    "(CREATE EXTENSION pg_stat_statements, with shared_preload_libraries = "
                    "'pg_stat_statements' in postgresql.conf)")
            sql = _STATEMENTS_SQL.format(time="total_exec_time" if version >= 130000
                                         else "total_time")
            rows = connection.execute(sql).fetchall()
    except psycopg.errors.ObjectNotInPrerequisiteState:
        raise StatementsUnavailable(
            "pg_stat_statements is installed but not loaded: add it to shared_preload_libraries "
            "in postgresql.conf and restart PostgreSQL") from None
    except psycopg.errors.InsufficientPrivilege as exc:
        raise StatementsUnavailable(f"not allowed to read pg_stat_statements: "
                                    f"{str(exc).strip().splitlines()[0]}") from None
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StatementsUnavailable(f"cannot read the master's database: {first}") from None
    return {queryid: Counters(query=query, calls=int(calls), total_ms=float(total),
                              rows=int(rows_))
            for queryid, query, calls, total, rows_ in rows if not query.startswith(MARKER)}


def statements_delta(before: Snapshot, after: Snapshot, *, database: str,
                     top: int = TOP) -> SqlStatements:
    """What ran between the snapshots, top ``top`` by total time. A statement evicted from
    pg_stat_statements in between (its counters restarted) counts from zero."""
    changed = []
    for queryid, now in after.items():
        then = before.get(queryid)
        if then is not None and then.calls <= now.calls:
            calls, total = now.calls - then.calls, now.total_ms - then.total_ms
            rows = now.rows - then.rows
        else:
            calls, total, rows = now.calls, now.total_ms, now.rows
        if calls <= 0:
            continue
        changed.append(SqlStatement(query=now.query, queryid=queryid, calls=calls,
                                    total_ms=round(total, 3), mean_ms=round(total / calls, 3),
                                    rows=rows))
    changed.sort(key=lambda s: (-s.total_ms, -s.calls, s.queryid))
    return SqlStatements(statements=changed[:top], database=database,
                         total_statements=len(changed))
