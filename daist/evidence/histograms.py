"""The master's ``grpc_server_handling_seconds`` histograms, read from Prometheus' text format
(``prometheus_client``'s parser, which takes Go's and Python's spellings alike), subtracted over
a window, and their percentiles interpolated inside a bucket as ``histogram_quantile`` does."""
from __future__ import annotations

import math
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from daist.standin.common.grpc_methods import GRPC_SERVICE

HANDLING = "grpc_server_handling_seconds"


class MetricsFormatError(ValueError):
    """The text is not Prometheus' exposition format, or a histogram is inconsistent."""


@dataclass(frozen=True)
class BucketHistogram:
    """Cumulative counts at each upper bound (seconds, ascending, ``inf`` last)."""

    bounds: tuple[float, ...]
    cumulative: tuple[float, ...]
    total_s: float

    @property
    def count(self) -> float:
        return self.cumulative[-1] if self.cumulative else 0.0

    def minus(self, earlier: BucketHistogram | None) -> BucketHistogram:
        if earlier is None:
            return self
        if earlier.bounds != self.bounds:
            raise MetricsFormatError("the histogram's buckets changed during the window")
        counts = tuple(a - b for a, b in zip(self.cumulative, earlier.cumulative))
        if any(c < 0 for c in counts):  # a counter went down: the master restarted
            raise MetricsFormatError("a histogram count went down during the window (did "
                                     "the master restart?)")
        return BucketHistogram(self.bounds, counts, self.total_s - earlier.total_s)

    def quantile(self, q: float) -> tuple[float, float, float | None] | None:
        """(estimate, bucket lower bound, bucket upper bound or None for +Inf) in seconds, or
        None without observations. Inside the +Inf bucket the estimate is its lower bound."""
        if self.count <= 0:
            return None
        rank = q * self.count
        lower, below = 0.0, 0.0
        for bound, cumulative in zip(self.bounds, self.cumulative):
            if cumulative >= rank and cumulative > below:
                if math.isinf(bound):
                    return lower, lower, None
                share = (rank - below) / (cumulative - below)
                return lower + (bound - lower) * share, lower, bound
            lower, below = bound, cumulative
        return lower, lower, None


def parse_handling(text: str) -> dict[str, BucketHistogram]:
    """gRPC method -> its handling-time histogram (only the master's API service)."""
    buckets: dict[str, dict[float, float]] = {}
    sums: dict[str, float] = {}
    try:
        for family in text_string_to_metric_families(text):
            if family.name != HANDLING:
                continue
            for sample in family.samples:
                labels = sample.labels
                if labels.get("grpc_service") != GRPC_SERVICE or "grpc_method" not in labels:
                    continue
                method = labels["grpc_method"]
                if sample.name == HANDLING + "_bucket":
                    per = buckets.setdefault(method, {})
                    bound = float(labels["le"])
                    per[bound] = per.get(bound, 0.0) + sample.value
                elif sample.name == HANDLING + "_sum":
                    sums[method] = sums.get(method, 0.0) + sample.value
    except (ValueError, KeyError, TypeError) as exc:
        raise MetricsFormatError(f"not Prometheus' text format: {exc}") from None
    out = {}
    for method, per in buckets.items():
        bounds = tuple(sorted(per))
        if not bounds or not math.isinf(bounds[-1]):
            raise MetricsFormatError(f"{HANDLING} of {method} has no +Inf bucket")
        out[method] = BucketHistogram(bounds, tuple(per[b] for b in bounds), sums.get(method, 0.0))
    return out
