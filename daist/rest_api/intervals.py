"""The over-time record of a load run: requests, failures and latencies bucketed per interval of
the wall clock and per endpoint class, plus the users running. Fed in bulk by the
``Recorder`` (what it noted since it last settled, every endpoint at once; the percentiles are computed
with numpy when the history is made), shipped from workers to the master with the recorder's
tallies (8 bytes per request), and turned into a ``LocustStatsHistory`` at the end.

Intervals are multiples of ``INTERVAL_S`` since the epoch, so every process agrees on them
without sharing a start time."""
from __future__ import annotations

import base64
import math
from array import array
from typing import Any

from daist.models.history import ALL, Interval, LocustStatsHistory, ScopeCounts
from daist.rest_api.grouping import grouped

INTERVAL_S = 2.0
MIN_LENGTH_S = 0.001
"""A partial interval's shortest length (one request at its very start)."""
UNKNOWN_CLASS = "other"


class Bucket:
    """One interval and endpoint class: every latency (ms) in it."""

    __slots__ = ("latencies", "failures", "in_window", "first", "last")

    def __init__(self) -> None:
        self.latencies = array("d")
        self.failures = 0
        self.in_window = 0
        self.first = math.inf
        """When its first request began (unix): a partial first interval starts there."""
        self.last = -math.inf
        """When its last request began: a partial last interval ends there."""

    def add_span(self, first: float, last: float) -> None:
        self.first = min(self.first, first)
        self.last = max(self.last, last)


class IntervalRecorder:
    def __init__(self, classes: dict[tuple[str, str], str] | None = None, *,
                 interval_s: float = INTERVAL_S) -> None:
        if classes is None:
            from daist.rest_api.catalogue import CATALOGUE
            classes = {(t.test_name, t.method): t.endpoint_class for t in CATALOGUE}
        self.classes = classes
        self.interval_s = interval_s
        self.buckets: dict[tuple[int, str], Bucket] = {}
        self.users: dict[int, int] = {}

    def index(self, unix: float) -> int:
        return int(unix // self.interval_s)

    def add(self, endpoints: list[tuple[str, str]], slots: Any, began: Any, latencies_ms: Any,
            *, failed: Any, in_window: Any) -> None:
        """Requests as numpy arrays: the endpoint of each (its index in ``endpoints``), start
        (unix s), latency (ms), whether it failed, whether it started in the measured window."""
        import numpy as np
        names = [self.classes.get(endpoint, UNKNOWN_CLASS) for endpoint in endpoints]
        distinct = sorted(set(names))
        class_of = np.array([distinct.index(name) for name in names], dtype=np.int64)
        indices = np.floor_divide(began, self.interval_s).astype(np.int64)
        first = int(indices.min())
        codes = (indices - first) * len(distinct) + class_of[slots]
        for code, rows in grouped(codes):
            key = (first + code // len(distinct), distinct[code % len(distinct)])
            bucket = self.buckets.get(key)
            if bucket is None:
                bucket = self.buckets[key] = Bucket()
            bucket.latencies.frombytes(latencies_ms[rows].tobytes())
            bucket.failures += int(np.count_nonzero(failed[rows]))
            bucket.in_window += int(np.count_nonzero(in_window[rows]))
            bucket.add_span(float(began[rows].min()), float(began[rows].max()))

    def note_users(self, unix: float, users: int) -> None:
        index = self.index(unix)
        self.users[index] = max(self.users.get(index, 0), users)

    # -- worker -> master --------------------------------------------------------------------
    def drain(self) -> list[dict[str, Any]]:
        data = [{"index": index, "class": cls, "failures": b.failures, "in_window": b.in_window,
                 "first": b.first, "last": b.last,
                 "latencies": base64.b64encode(b.latencies.tobytes()).decode("ascii")}
                for (index, cls), b in self.buckets.items() if b.latencies]
        self.buckets.clear()
        return data

    def merge(self, data: list[dict[str, Any]]) -> None:
        for item in data:
            key = (int(item["index"]), str(item["class"]))
            bucket = self.buckets.get(key)
            if bucket is None:
                bucket = self.buckets[key] = Bucket()
            bucket.latencies.frombytes(base64.b64decode(item["latencies"]))
            bucket.failures += int(item["failures"])
            bucket.in_window += int(item["in_window"])
            bucket.add_span(float(item["first"]), float(item["last"]))

    # -- the artifact ------------------------------------------------------------------------
    def history(self, *, warmup_start: float | None, window_start: float | None,
                window_end: float | None) -> LocustStatsHistory:
        """Every interval from the first with requests or users to the last, gaps included.
        The first and the last are as long as the load ran in them (from the first request,
        to the last request or the window's end), so their rates are not diluted by the part
        of the interval before the load began or after it stopped. An interval with requests
        but no users count yet (the count is taken each second) shows the users the next
        count found: those who were sending its requests."""
        indices = {index for index, _ in self.buckets} | set(self.users)
        if not indices:
            return LocustStatsHistory(interval_s=self.interval_s)
        first, last = min(indices), max(indices)
        start = first * self.interval_s
        by_index: dict[int, list[tuple[str, Bucket]]] = {}
        for (index, cls), bucket in sorted(self.buckets.items()):
            by_index.setdefault(index, []).append((cls, bucket))
        intervals = []
        for index in range(first, last + 1):
            found = by_index.get(index, [])
            scopes = {cls: _figures([bucket]) for cls, bucket in found}
            scopes[ALL] = _figures([bucket for _, bucket in found])
            begins, ends = index * self.interval_s, (index + 1) * self.interval_s
            if index == first and found:
                begins = max(begins, min(b.first for _, b in found))
            if index == last and found:
                ends = min(ends, max([b.last for _, b in found] + [window_end or -math.inf]))
            users = self.users.get(index, 0)
            if not users and found:
                users = next((self.users[i] for i in sorted(self.users) if i > index
                              and self.users[i]), 0)
            intervals.append(Interval(t_s=round(begins - start, 3),
                                      length_s=round(max(ends - begins, MIN_LENGTH_S), 3),
                                      users=users, in_window=sum(b.in_window for _, b in found),
                                      scopes=scopes))

        def offset(unix: float | None) -> float | None:
            return round(unix - start, 3) if unix is not None else None
        return LocustStatsHistory(interval_s=self.interval_s, start=start,
                                  warmup_start_s=offset(warmup_start),
                                  window_start_s=offset(window_start),
                                  window_end_s=offset(window_end), intervals=intervals)


def _figures(buckets: list[Bucket]) -> ScopeCounts:
    """Exact percentiles (nearest rank, as the HDR figures of the verdict)."""
    import numpy as np

    failures = sum(b.failures for b in buckets)
    arrays = [np.frombuffer(b.latencies, dtype=float) for b in buckets if b.latencies]
    if not arrays:
        return ScopeCounts(failures=failures)
    latencies = np.concatenate(arrays)
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99], method="inverted_cdf")
    return ScopeCounts(requests=int(latencies.size), failures=failures,
                        p50_ms=round(float(p50), 3), p95_ms=round(float(p95), 3),
                        p99_ms=round(float(p99), 3))
