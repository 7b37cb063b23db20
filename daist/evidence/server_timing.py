"""``ServerTiming``: for each endpoint of a load test's stats, the master's own time (its gRPC
method's handling-time histogram over the window) beside the client's."""
from __future__ import annotations

from typing import Any, Iterable

from daist.evidence.histograms import HANDLING, BucketHistogram
from daist.models.evidence import SERVER_PERCENTILES, EndpointTiming, ServerTiming
from daist.models.locust import EndpointStats
from daist.standin.common.grpc_methods import GrpcTable, grpc_table


def grpc_method_of(method: str, path: str, *, table: GrpcTable | None = None) -> str | None:
    """The gRPC method the master runs for ``method path`` (a template such as
    ``/api/v1/trials/{trial_id}`` or a concrete path), from its protos' HTTP annotations."""
    found = (table or grpc_table()).lookup(method, path)
    return found.name if found is not None else None


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000.0, 3)


def endpoint_timing(entry: EndpointStats, window: dict[str, BucketHistogram]) -> EndpointTiming:
    rpc = grpc_method_of(entry.method, entry.path) if entry.path else None
    timing = EndpointTiming(name=entry.test_name, method=entry.method, grpc_method=rpc,
                            client_requests=entry.hdr.count, client_p50_ms=entry.hdr.p50_ms,
                            client_p95_ms=entry.hdr.p95_ms)
    histogram = window.get(rpc) if rpc else None
    if histogram is None:
        return timing
    timing.server_requests = int(histogram.count)
    for q, value_field, bucket_field in ((0.5, "server_p50_ms", "server_p50_bucket_ms"),
                                         (0.95, "server_p95_ms", "server_p95_bucket_ms")):
        found = histogram.quantile(q)
        if found is None:
            continue
        value, lower, upper = found
        setattr(timing, value_field, _ms(value))
        setattr(timing, bucket_field, [_ms(lower), _ms(upper)])
    return timing


def server_timing(entries: Iterable[EndpointStats], *, before: dict[str, BucketHistogram],
                  after: dict[str, BucketHistogram], source: dict[str, Any],
                  outside_limit_ms: float) -> ServerTiming:
    """Subtract the snapshots taken around the window and pair each endpoint with its method.
    Endpoints sharing a method (two catalogue names on one RPC) each get the method's figures."""
    window = {method: histogram.minus(before.get(method)) for method, histogram in after.items()}
    return ServerTiming(endpoints=[endpoint_timing(e, window) for e in entries],
                        source={**source, "metric": HANDLING, "percentiles": SERVER_PERCENTILES},
                        outside_limit_ms=outside_limit_ms)
