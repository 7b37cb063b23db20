"""Small builders of Locust result models for tests."""
from __future__ import annotations

import random

from daist.models.locust import (EndpointStats, HdrSummary, LocustEntry, LocustStatsList,
                                 RunInfo, encode_histogram, new_histogram, record_ms)
from daist.models.plan_record import PlanRecord
from daist.models.shape import ClosedShape
from daist.models.timestamp import Timestamp

WINDOW = (Timestamp(1722278982.0), Timestamp(1722279002.0))  # 20 s


def make_entry(test_name: str = "get experiments", *, latencies: list[float] | None = None,
               failures: int = 0, endpoint_class: str = "list", method: str = "GET",
               message: str = "HTTPError: 500 Server Error") -> EndpointStats:
    latencies = latencies if latencies is not None else [random.uniform(1, 50) for _ in range(200)]
    histogram = new_histogram()
    record_ms(histogram, latencies)
    buckets: dict[int, int] = {}
    for value in latencies:
        buckets[round(value)] = buckets.get(round(value), 0) + 1
    locust = LocustEntry(name=test_name, method=method, num_requests=len(latencies),
                         num_failures=failures, total_response_time=sum(latencies),
                         min_response_time=min(latencies) if latencies else None,
                         max_response_time=max(latencies) if latencies else 0.0,
                         response_times=buckets, start_time=WINDOW[0].unix)
    return EndpointStats(test_name=test_name, method=method, path="/api/v1/experiments",
                         endpoint_class=endpoint_class, num_requests=len(latencies),
                         num_failures=failures, rps=len(latencies) / 20.0,
                         failures={message: failures} if failures else {},
                         hdr=HdrSummary.of(histogram), hdr_encoded=encode_histogram(histogram),
                         locust=locust)


def make_stats(*entries: EndpointStats) -> LocustStatsList:
    plan = PlanRecord(shape=ClosedShape(spawn_rate=0.0, users=10, run_time_s=20.0))
    return LocustStatsList(run=RunInfo(plan=plan, window_start=WINDOW[0], window_end=WINDOW[1],
                                       target="http://127.0.0.1:8080"),
                           entries=list(entries) or [make_entry()])


def nearest_rank(values: list[float], percentile: float) -> float:
    """The exact percentile with HdrHistogram's rank rule: the sample of rank
    round(p% of n) (at least 1), so small samples compare like for like."""
    ordered = sorted(values)
    return ordered[max(1, int(percentile / 100.0 * len(ordered) + 0.5)) - 1]
