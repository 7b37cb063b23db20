"""The trend of one endpoint over runs: p95 (every row since k6) and RPS/p99 (rows daist
wrote), read from the ``daist_endpoint_history`` view, oldest first."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from daist.db.connection import DatabaseError, DbTarget, translating
from daist.db.schema import current_version, latest_version

if TYPE_CHECKING:
    import psycopg

QUERY = ("SELECT time, commit, branch, system, method, passes, fails, p95, p99, rps "
         "FROM daist_endpoint_history "
         "WHERE test_name = %(name)s AND (%(system)s::text IS NULL OR system = %(system)s) "
         "ORDER BY time DESC, perf_test_id DESC LIMIT %(last)s")


@dataclass(frozen=True)
class HistoryRow:
    time: datetime
    commit: str
    branch: str
    system: str | None
    """None for rows daist did not write (k6, the original daist)."""
    method: str | None
    passes: int
    fails: int
    p95: float | None
    p99: float | None
    rps: float | None

    @property
    def requests(self) -> int:
        return self.passes + self.fails


def fetch_history(conn: psycopg.Connection, target: DbTarget, test_name: str, *, last: int,
                  system: str | None = None) -> list[HistoryRow]:
    """The newest ``last`` rows of ``test_name``, returned oldest first."""
    with translating(target, doing="reading the history"):
        require_current_schema(conn, target)
        rows = conn.execute(QUERY, {"name": test_name, "system": system, "last": last}).fetchall()
    return [HistoryRow(*row) for row in reversed(rows)]


def require_current_schema(conn: psycopg.Connection, target: DbTarget) -> None:
    """History is read only from a database migrated to this daist's schema."""
    have = current_version(conn)
    if have < latest_version():
        raise DatabaseError(f"the perf-results database {target.label} has daist schema "
                            f"version {have}, this daist reads {latest_version()}: run "
                            "python -m daist.db migrate first")


def explain_empty(conn: psycopg.Connection, target: DbTarget, test_name: str, *,
                  system: str | None) -> str:
    """Why no row matched, as one sentence: the systems that do have the name, or the known
    names close to it."""
    scope = f" on system {system!r}" if system else ""
    with translating(target, doing="reading the test names"):
        systems = [r[0] or "-" for r in conn.execute(
            "SELECT DISTINCT system FROM daist_endpoint_history WHERE test_name = %s "
            "ORDER BY 1", (test_name,))]
        names = [r[0] for r in conn.execute("SELECT DISTINCT test_name FROM perf_tests")]
    if systems:
        return (f"no results for test name {test_name!r}{scope} (it has results on: "
                f"{', '.join(systems)}; '-' is rows daist did not write)")
    close = difflib.get_close_matches(test_name, names, n=3, cutoff=0.5)
    hint = f" (did you mean {' or '.join(repr(n) for n in close)}?)" if close else ""
    return f"no results for test name {test_name!r}{scope}{hint}"


COLUMNS = ("time (UTC)", "commit", "branch", "system", "requests", "fails", "p95 ms",
           "p95 change", "p99 ms", "RPS", "RPS change")
NUMERIC = frozenset({"requests", "fails", "p95 ms", "p95 change", "p99 ms", "RPS",
                     "RPS change"})


def render_history(test_name: str, rows: list[HistoryRow]) -> list[str]:
    """A plain aligned table with the change against the previous row, then the trend."""
    cells = []
    previous: HistoryRow | None = None
    for row in rows:
        cells.append([row.time.strftime("%Y-%m-%dT%H:%M:%SZ"), row.commit[:12], row.branch,
                      row.system or "-", str(row.requests), str(row.fails), _num(row.p95),
                      _change(previous and previous.p95, row.p95), _num(row.p99), _num(row.rps),
                      _change(previous and previous.rps, row.rps)])
        previous = row
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(COLUMNS)]

    def line(values) -> str:
        return "  ".join(v.rjust(w) if c in NUMERIC else v.ljust(w)
                         for v, w, c in zip(values, widths, COLUMNS)).rstrip()
    title = f"{test_name}: p95 and RPS over the last {len(rows)} run(s), oldest first"
    out = [title, line(COLUMNS), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return out + [_trend(rows)]


def _trend(rows: list[HistoryRow]) -> str:
    parts = []
    for label, unit, values in (("p95", " ms", [r.p95 for r in rows]),
                                ("RPS", "", [r.rps for r in rows])):
        known = [v for v in values if v is not None]
        if len(known) >= 2:
            parts.append(f"{label} {known[0]:.3f}{unit} -> {known[-1]:.3f}{unit} "
                         f"({_change(known[0], known[-1])})")
        elif known:
            parts.append(f"{label} {known[0]:.3f}{unit} (one run)")
        else:
            parts.append(f"{label} not recorded")
    return "trend: " + "; ".join(parts)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _change(before: float | None, after: float | None) -> str:
    if before is None or after is None or before == 0:
        return ""
    return f"{(after - before) / before * 100:+.1f}%"
