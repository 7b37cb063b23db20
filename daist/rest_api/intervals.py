"""The over-time record of a load run: requests, failures and latencies bucketed per interval of
the wall clock and per endpoint class, plus the users running. Fed by ``Recorder.on_request``
(one dict lookup and one histogram record per request), shipped from workers to the master with
the recorder's tallies, and turned into a ``LocustStatsHistory`` at the end.

Intervals are multiples of ``INTERVAL_S`` since the epoch, so every process agrees on them
without sharing a start time."""
from __future__ import annotations

import math
from typing import Any

from daist.models.history import ALL, Interval, LocustStatsHistory, ScopeFigures

INTERVAL_S = 2.0
HDR_DIGITS = 2
"""1 % is plenty for a trend line and keeps each interval's histograms small (~20 kB)."""
UNKNOWN_CLASS = "other"


def _histogram() -> Any:
    from hdrh.histogram import HdrHistogram

    from daist.models.locust import HDR_HIGHEST_US, HDR_LOWEST_US
    return HdrHistogram(HDR_LOWEST_US, HDR_HIGHEST_US, HDR_DIGITS)


class Bucket:
    """One interval and endpoint class."""

    __slots__ = ("histogram", "requests", "failures", "in_window")

    def __init__(self) -> None:
        self.histogram = _histogram()
        self.requests = 0
        self.failures = 0
        self.in_window = 0


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
        return math.floor(unix / self.interval_s)

    def record(self, began: float, name: str, method: str, latency_ms: float, *,
               failed: bool, in_window: bool) -> None:
        key = (math.floor(began / self.interval_s), self.classes.get((name, method), UNKNOWN_CLASS))
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = Bucket()
        micros = int(latency_ms * 1000.0)
        bucket.histogram.record_value(min(max(micros, 1), bucket.histogram.highest_trackable_value))
        bucket.requests += 1
        bucket.failures += failed
        bucket.in_window += in_window

    def note_users(self, unix: float, users: int) -> None:
        index = self.index(unix)
        self.users[index] = max(self.users.get(index, 0), users)

    # -- worker -> master --------------------------------------------------------------------
    def drain(self) -> list[dict[str, Any]]:
        data = [{"index": index, "class": cls, "requests": b.requests, "failures": b.failures,
                 "in_window": b.in_window, "hdr": b.histogram.encode().decode("ascii")}
                for (index, cls), b in self.buckets.items() if b.requests]
        self.buckets.clear()
        return data

    def merge(self, data: list[dict[str, Any]]) -> None:
        for item in data:
            key = (int(item["index"]), str(item["class"]))
            bucket = self.buckets.get(key)
            if bucket is None:
                bucket = self.buckets[key] = Bucket()
            bucket.histogram.decode_and_add(item["hdr"].encode("ascii"))
            bucket.requests += int(item["requests"])
            bucket.failures += int(item["failures"])
            bucket.in_window += int(item["in_window"])

    # -- the artifact ------------------------------------------------------------------------
    def history(self, *, warmup_start: float | None, window_start: float | None,
                window_end: float | None) -> LocustStatsHistory:
        """Every interval from the first with requests or users to the last, gaps included."""
        indices = {index for index, _ in self.buckets} | set(self.users)
        if not indices:
            return LocustStatsHistory(interval_s=self.interval_s)
        first, last = min(indices), max(indices)
        start = first * self.interval_s
        intervals = []
        for index in range(first, last + 1):
            scopes: dict[str, ScopeFigures] = {}
            total = _histogram()
            everything = ScopeFigures()
            in_window = 0
            for (bucket_index, cls), bucket in sorted(self.buckets.items()):
                if bucket_index != index:
                    continue
                scopes[cls] = _figures(bucket.histogram, bucket.requests, bucket.failures)
                total.add(bucket.histogram)
                everything.requests += bucket.requests
                everything.failures += bucket.failures
                in_window += bucket.in_window
            scopes[ALL] = _figures(total, everything.requests, everything.failures)
            intervals.append(Interval(t_s=round(index * self.interval_s - start, 3),
                                      length_s=self.interval_s, users=self.users.get(index, 0),
                                      in_window=in_window, scopes=scopes))

        def offset(unix: float | None) -> float | None:
            return round(unix - start, 3) if unix is not None else None
        return LocustStatsHistory(interval_s=self.interval_s, start=start,
                                  warmup_start_s=offset(warmup_start),
                                  window_start_s=offset(window_start),
                                  window_end_s=offset(window_end), intervals=intervals)


def _figures(histogram: Any, requests: int, failures: int) -> ScopeFigures:
    if not histogram.get_total_count():
        return ScopeFigures(requests=requests, failures=failures)
    at = histogram.get_percentile_to_value_dict([50.0, 95.0, 99.0])
    return ScopeFigures(requests=requests, failures=failures, p50_ms=at[50.0] / 1000.0,
                        p95_ms=at[95.0] / 1000.0, p99_ms=at[99.0] / 1000.0)
