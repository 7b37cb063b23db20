"""``LocustStatsHistory``: what a load test did over time, interval by interval, so that a run
that was fine for 250 s and collapsed at the end shows as such.

File: ``LocustStatsHistory-<Class>.<method>-<stamp>.json`` (and ``.csv`` for spreadsheets: one
row per interval and scope, the same figures). Shape::

    {"classname": "LocustStatsHistory", "interval_s": 2.0, "start": <unix of t = 0>,
     "warmup_start_s": .., "window_start_s": .., "window_end_s": ..,
     "intervals": [{"t_s", "length_s", "users", "in_window",
                    "scopes": {"all": {requests, failures, p50_ms, p95_ms, p99_ms}, "list": ..}}]}

- Intervals are aligned to multiples of ``interval_s`` on the wall clock, so the master and
  every worker put a request into the same one; ``t_s`` counts from the first interval.
- Every request the users sent is counted (spawning and warm-up too); ``in_window`` counts the
  requests that began inside the steady-state window, so their sum is the test's request count.
- Percentiles are exact over the interval's requests (nearest rank); the verdict still uses
  the window's figures in ``LocustStatsList``.
- ``scopes``: ``all`` and each endpoint class (get, list, search, write) that had requests.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import ClassVar

from daist.models.base import DATA_FORMATS, Artifact, Format

ALL = "all"
CSV_COLUMNS = ["t_s", "length_s", "users", "in_window", "scope", "requests", "failures",
               "requests_per_s", "failures_per_s", "p50_ms", "p95_ms", "p99_ms"]


@dataclass
class ScopeCounts:
    """One scope (every endpoint, or one endpoint class) in one interval."""

    requests: int = 0
    failures: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0


@dataclass
class Interval:
    t_s: float = 0.0
    """Start, seconds after the history's ``start``."""
    length_s: float = 0.0
    users: int = 0
    """Running users (the most seen in the interval)."""
    in_window: int = 0
    """Requests that began in the steady-state window."""
    scopes: dict[str, ScopeCounts] = field(default_factory=dict)

    @property
    def all(self) -> ScopeCounts:
        return self.scopes.get(ALL) or ScopeCounts()

    def per_second(self, count: int) -> float:
        return count / self.length_s if self.length_s > 0 else 0.0


@dataclass
class LocustStatsHistory(Artifact):
    formats: ClassVar[frozenset[Format]] = DATA_FORMATS | {Format.CSV}

    interval_s: float = 0.0
    start: float = 0.0
    """Unix time of ``t_s = 0``."""
    warmup_start_s: float | None = None
    """When the (last phase's) users had all spawned and warm-up began."""
    window_start_s: float | None = None
    window_end_s: float | None = None
    intervals: list[Interval] = field(default_factory=list)

    @property
    def num_requests(self) -> int:
        return sum(i.all.requests for i in self.intervals)

    @property
    def num_in_window(self) -> int:
        return sum(i.in_window for i in self.intervals)

    @property
    def scope_names(self) -> list[str]:
        """``all`` first, then the endpoint classes seen, sorted."""
        seen = {name for i in self.intervals for name in i.scopes if name != ALL}
        return [ALL, *sorted(seen)]

    # -- CSV: one row per interval and scope ------------------------------------------------
    def to_text(self, fmt: Format) -> str:
        if fmt is not Format.CSV:
            return super().to_text(fmt)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for interval in self.intervals:
            for scope in sorted(interval.scopes, key=lambda s: (s != ALL, s)):
                figures = interval.scopes[scope]
                writer.writerow([f"{interval.t_s:g}", f"{interval.length_s:g}", interval.users,
                                 interval.in_window, scope, figures.requests, figures.failures,
                                 f"{interval.per_second(figures.requests):.3f}",
                                 f"{interval.per_second(figures.failures):.3f}",
                                 f"{figures.p50_ms:g}", f"{figures.p95_ms:g}", f"{figures.p99_ms:g}"])
        return buffer.getvalue()

    @classmethod
    def from_text(cls, text: str, fmt: Format) -> LocustStatsHistory:
        """The CSV read back: the intervals (the window marks are in the JSON only)."""
        if fmt is not Format.CSV:
            return super().from_text(text, fmt)  # type: ignore[return-value]
        reader = csv.DictReader(io.StringIO(text))
        if reader.fieldnames != CSV_COLUMNS:
            raise ValueError(f"columns {reader.fieldnames} are not {CSV_COLUMNS}")
        intervals: dict[float, Interval] = {}
        for row in reader:
            t_s = float(row["t_s"])
            interval = intervals.setdefault(t_s, Interval(
                t_s=t_s, length_s=float(row["length_s"]), users=int(row["users"]),
                in_window=int(row["in_window"])))
            interval.scopes[row["scope"]] = ScopeCounts(
                requests=int(row["requests"]), failures=int(row["failures"]),
                p50_ms=float(row["p50_ms"]), p95_ms=float(row["p95_ms"]),
                p99_ms=float(row["p99_ms"]))
        ordered = [intervals[t] for t in sorted(intervals)]
        interval_s = ordered[0].length_s if ordered else 0.0
        return cls(interval_s=interval_s, intervals=ordered)
