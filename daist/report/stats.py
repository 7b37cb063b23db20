"""The significance tests of ``compare``, run on the raw data a results directory keeps: the
exact HDR histograms of the load tests, the raw samples of the metric-latency tests and the
request and failure counts. scipy does the arithmetic; this module picks the test.

- A latency percentile (p50/p95/p99): the quantile test. Pool both distributions, take the
  pooled percentile, and test with Fisher's exact test whether the two runs put different
  shares of their samples above it (Mood's median test, generalised to any percentile, so a
  change of the tail alone is caught and a shift of the bulk does not vouch for a tail figure).
  It needs ``MIN_TAIL`` samples expected beyond the percentile on each side: 10 samples for
  p50, 100 for p95, 500 for p99. Fewer: a median falls back to the Mann-Whitney U test (a
  test of location, which the median is) from ``MIN_SAMPLES`` samples on; a tail percentile
  is not testable (a short run cannot say whether its p99 moved).
- Requests per second: the counts in the two windows, as Poisson rates (an exact binomial test
  of the candidate's share of all requests against its share of the time).
- Failure ratio: Fisher's exact test on failed/succeeded counts.

Every test is two-sided and says which way the data moved (``direction``): a figure counts as
changed only when its test moved the same way. ``holm`` corrects the p-values of one
comparison for their number, so a CI gate over hundreds of figures keeps its false-alarm rate
at ``alpha``."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

MIN_SAMPLES = 5
"""Fewer samples on a side: not testable at all."""
MIN_TAIL = 5
"""Samples each side must have expected beyond (and below) a percentile for the quantile test."""
MAX_EXPANDED = 200_000
"""Larger histograms are thinned (counts scaled down) before a rank test expands them."""
NO_RAW_DATA = "no raw data"


@dataclass(eq=False)
class Distribution:
    """Latencies (ms) as sorted distinct values with their counts, from raw samples or from an
    HDR histogram alike."""

    values: Any
    """numpy float array, increasing."""
    counts: Any
    """numpy int array, > 0."""

    @classmethod
    def of_samples(cls, samples: Iterable[float]) -> Distribution:
        import numpy as np
        values, counts = np.unique(np.asarray(list(samples), dtype=float), return_counts=True)
        return cls(values, counts.astype(np.int64))

    @classmethod
    def of_hdr(cls, histogram: Any) -> Distribution:
        """An HdrHistogram of microseconds (``daist.models.locust``), as ms. Each bucket counts
        at its highest equivalent value, as HDR's own percentiles do. (Read from the counts
        array: hdrh's Python iterators visit every empty bucket too, 100x slower.)"""
        import numpy as np
        counts = np.ctypeslib.as_array(histogram.counts)[:histogram.counts_len]
        indexes = np.flatnonzero(counts)
        values = [histogram.get_highest_equivalent_value(histogram.get_value_from_index(int(i)))
                  for i in indexes]
        return cls(np.asarray(values, dtype=float) / 1000.0, counts[indexes].astype(np.int64))

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def quantile(self, percentile: float) -> float:
        """The nearest-rank percentile (HDR's rule): the smallest value with at least
        ``percentile`` % of the samples at or below it."""
        import numpy as np
        if not self.n:
            return math.nan
        rank = max(1, int(percentile / 100.0 * self.n + 0.5))
        return float(self.values[int(np.searchsorted(np.cumsum(self.counts), rank))])

    def above(self, threshold: float) -> int:
        return int(self.counts[self.values > threshold].sum())

    def pooled(self, other: Distribution) -> Distribution:
        import numpy as np
        values, inverse = np.unique(np.concatenate([self.values, other.values]), return_inverse=True)
        counts = np.bincount(inverse, weights=np.concatenate([self.counts, other.counts]))
        return Distribution(values, counts.astype(np.int64))

    def expanded(self, limit: int = MAX_EXPANDED) -> Any:
        """Every sample as an array (thinned proportionally beyond ``limit``)."""
        import numpy as np
        counts = self.counts
        if self.n > limit:
            counts = np.maximum(np.round(counts * (limit / self.n)), 0).astype(np.int64)
        return np.repeat(self.values, counts)


@dataclass(frozen=True)
class TestOutcome:
    """What one significance test found; ``p_value`` None means none could run (``reason``)."""

    test: str = ""
    statistic: float | None = None
    p_value: float | None = None
    reason: str = NO_RAW_DATA
    direction: int = 0
    """+1: the candidate's values lie higher (slower, more requests, more failures), -1 lower,
    0 no difference or no test."""

    @property
    def testable(self) -> bool:
        return self.p_value is not None


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


def _finite(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def latency_test(base: Distribution, cand: Distribution, percentile: float) -> TestOutcome:
    """Do the two distributions differ at ``percentile``? (module docstring)"""
    smaller = min(base.n, cand.n)
    if smaller < MIN_SAMPLES:
        return TestOutcome(reason=f"too few samples ({base.n} vs {cand.n})")
    share = min(percentile, 100.0 - percentile) / 100.0
    if smaller * share >= MIN_TAIL:
        from scipy.stats import fisher_exact
        threshold = base.pooled(cand).quantile(percentile)
        above_base, above_cand = base.above(threshold), cand.above(threshold)
        table = [[above_base, base.n - above_base], [above_cand, cand.n - above_cand]]
        odds, p_value = fisher_exact(table)
        return TestOutcome(test=f"quantile test at p{percentile:g}", statistic=_finite(odds),
                           p_value=float(p_value), reason="",
                           direction=_sign(above_cand / cand.n - above_base / base.n))
    if percentile != 50.0:
        needed = math.ceil(MIN_TAIL / share)
        return TestOutcome(reason=f"too few samples for p{percentile:g} ({base.n} vs {cand.n}; "
                                  f"a test needs {needed})")
    from scipy.stats import mannwhitneyu
    base_values, cand_values = base.expanded(), cand.expanded()
    found = mannwhitneyu(base_values, cand_values, alternative="two-sided")
    # U counts the (baseline, candidate) pairs where the baseline is higher
    middle = len(base_values) * len(cand_values) / 2
    return TestOutcome(test="Mann-Whitney U", statistic=_finite(found.statistic),
                       p_value=float(found.pvalue), reason="",
                       direction=_sign(middle - float(found.statistic)))


def rate_test(base_count: int, base_s: float, cand_count: int, cand_s: float) -> TestOutcome:
    """Same request rate in both windows? Exact conditional test of two Poisson counts."""
    if base_s <= 0 or cand_s <= 0:
        return TestOutcome(reason="no measurement window")
    if min(base_count, cand_count) < MIN_SAMPLES:
        return TestOutcome(reason=f"too few requests ({base_count} vs {cand_count})")
    from scipy.stats import binomtest
    found = binomtest(cand_count, base_count + cand_count, cand_s / (base_s + cand_s))
    ratio = (cand_count / cand_s) / (base_count / base_s)
    return TestOutcome(test="Poisson rate test", statistic=ratio, p_value=float(found.pvalue),
                       reason="", direction=_sign(ratio - 1.0))


def proportion_test(base_failed: int, base_total: int, cand_failed: int,
                    cand_total: int) -> TestOutcome:
    """Same failure ratio? Fisher's exact test on failed/succeeded counts."""
    if min(base_total, cand_total) < MIN_SAMPLES:
        return TestOutcome(reason=f"too few requests ({base_total} vs {cand_total})")
    from scipy.stats import fisher_exact
    table = [[base_failed, base_total - base_failed], [cand_failed, cand_total - cand_failed]]
    odds, p_value = fisher_exact(table)
    return TestOutcome(test="Fisher exact test", statistic=_finite(odds), p_value=float(p_value),
                       reason="", direction=_sign(cand_failed / cand_total - base_failed / base_total))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment: p-values whose rejection at ``alpha`` keeps the chance of
    any false alarm among all of them at ``alpha``."""
    count = len(p_values)
    adjusted = [1.0] * count
    running = 0.0
    for rank, index in enumerate(sorted(range(count), key=lambda i: p_values[i])):
        running = max(running, min(1.0, (count - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted
