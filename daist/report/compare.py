"""The comparison of two runs (pyperf's ``compare_to``, with statistics that fit load tests).

Per load-test endpoint: p50, p95 and p99 latency, requests/s and the failure ratio; per test,
requests/s and failures of all endpoints together; per step of a user sweep: p95, requests/s
and failures; per metric-latency operation and level: p50, p95 and p99.

Requests/s in a closed loop (N users, the closed shape and each sweep step) is N / (latency +
think time): an endpoint's share of it follows from the random mix and every other endpoint's
latency, so per-endpoint requests/s is shown there but not judged (``not judged``); the total
is judged, and the time per request it implies (N / requests/s) must also change by more than
``noise_floor_ms``, as a latency must. In the open shape (a fixed arrival rate) every
requests/s figure is judged: fewer requests than asked for is the server not keeping up.

A figure is a **regression** when the candidate is worse by more than ``min_change`` of the
baseline, latencies also by more than ``noise_floor_ms`` and failure ratios by more than
``fail_floor`` (absolute), and, where both runs kept raw data, the change is significant: its
p-value (``daist.report.stats``), Holm-corrected over every test of the comparison, is at most
``alpha``. A change beyond the thresholds whose test cannot run (too few samples) is "not
testable", never a regression. Figures without raw data (the steps of a sweep) are judged by
the thresholds alone. Improvements are judged the same way."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator

from daist.models.locust import EndpointStats, LocustStatsList
from daist.models.metric_latency import MetricLatencyOpHist
from daist.report import fmt
from daist.report.comparability import Comparability, check_comparable
from daist.report.loader import RunData
from daist.report.stats import (NO_RAW_DATA, Distribution, TestOutcome, holm, latency_test,
                                proportion_test, rate_test)

LATENCIES = (("p50", 50.0), ("p95", 95.0), ("p99", 99.0))
REGRESSION, IMPROVEMENT = "regression", "improvement"
NOT_SIGNIFICANT, NOT_TESTABLE, WITHIN = "not significant", "not testable", "within thresholds"
NOT_JUDGED = "not judged"


@dataclass(frozen=True)
class Thresholds:
    min_change: float = 0.10
    """Relative change (of the baseline) a figure must exceed."""
    noise_floor_ms: float = 5.0
    """Absolute change a latency must exceed."""
    fail_floor: float = 0.01
    """Absolute change a failure ratio must exceed (0.01 = one percentage point)."""
    alpha: float = 0.05
    """Largest Holm-corrected p-value that counts as significant."""

    def __post_init__(self) -> None:
        for name in ("min_change", "noise_floor_ms", "fail_floor"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, not {getattr(self, name)!r}")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, not {self.alpha!r}")


@dataclass
class CompareResult:
    """One figure, baseline against candidate."""

    metric: str
    """p50, p95, p99 (ms), rps (requests/s) or fail (failure ratio)."""
    base: float
    cand: float
    outcome: TestOutcome
    thresholds: Thresholds
    p_adjusted: float | None = None
    """The Holm-corrected p-value (set by ``compare_runs``)."""
    judged: bool = True
    """False: shown for information only (per-endpoint requests/s in a closed loop)."""
    floor_pair: tuple[float, float] | None = None
    """(baseline, candidate) ms the noise floor applies to, for a figure that is not itself a
    latency (the time per request a closed loop's requests/s implies)."""

    @property
    def is_latency(self) -> bool:
        return self.metric not in ("rps", "fail")

    @property
    def ratio(self) -> float:
        """candidate / baseline."""
        if self.base == 0:
            return 1.0 if self.cand == 0 else math.inf
        return self.cand / self.base

    @property
    def worse(self) -> bool:
        return self.cand < self.base if self.metric == "rps" else self.cand > self.base

    @property
    def exceeds(self) -> bool:
        """Beyond the relative threshold and the metric's absolute floor."""
        delta = abs(self.cand - self.base)
        if delta <= self.thresholds.min_change * abs(self.base):
            return False
        if self.is_latency:
            return delta > self.thresholds.noise_floor_ms
        if self.metric == "fail":
            return delta > self.thresholds.fail_floor
        if self.floor_pair is not None:
            return abs(self.floor_pair[1] - self.floor_pair[0]) > self.thresholds.noise_floor_ms
        return True

    @property
    def significant(self) -> bool:
        """Significant after the correction, and the test saw the data move this way."""
        if self.p_adjusted is None or self.p_adjusted > self.thresholds.alpha:
            return False
        moved = (self.cand > self.base) - (self.cand < self.base)
        return self.outcome.direction in (0, moved)

    @property
    def verdict(self) -> str:
        if not self.judged:
            return NOT_JUDGED
        if not self.exceeds:
            return WITHIN
        direction = REGRESSION if self.worse else IMPROVEMENT
        if self.outcome.reason == NO_RAW_DATA:
            return direction
        if not self.outcome.testable:
            return NOT_TESTABLE
        return direction if self.significant else NOT_SIGNIFICANT

    @property
    def regression(self) -> bool:
        return self.verdict == REGRESSION

    @property
    def changed(self) -> bool:
        return self.verdict in (REGRESSION, IMPROVEMENT)

    @property
    def wording(self) -> str:
        """"1.30x slower", "1.15x faster", "+2.5 pts failed"."""
        if self.metric == "fail":
            return f"{(self.cand - self.base) * 100:+.1f} pts failed"
        ratio = self.ratio
        if self.metric == "rps":
            ratio = 1 / ratio if ratio not in (0.0, math.inf) else math.inf
        return fmt.times(ratio, worse="slower", better="faster")

    def value(self, which: str) -> str:
        number = self.base if which == "base" else self.cand
        if self.metric == "fail":
            return fmt.percent(number, digits=2)
        if self.metric == "rps":
            return fmt.rate(number) + "/s"
        return fmt.ms(number) + " ms"


@dataclass
class RowComparison:
    """One endpoint, test total, sweep step or metric-latency level."""

    test: str
    kind: str
    """endpoint, total, step or metric."""
    name: str
    results: list[CompareResult] = field(default_factory=list)
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.test}: {self.name}"

    @property
    def regression(self) -> bool:
        return any(r.regression for r in self.results)

    @property
    def changed(self) -> bool:
        return any(r.changed for r in self.results)

    @property
    def untestable(self) -> bool:
        return any(r.verdict == NOT_TESTABLE for r in self.results)


@dataclass
class RunComparison:
    baseline: RunData
    candidate: RunData
    thresholds: Thresholds
    comparability: Comparability
    rows: list[RowComparison] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    """What only one run measured (endpoints, levels, steps, tests)."""
    notes: list[str] = field(default_factory=list)
    """Data that was present but unusable (an unreadable histogram)."""

    @property
    def regressions(self) -> list[RowComparison]:
        return [row for row in self.rows if row.regression]

    def results(self) -> Iterator[CompareResult]:
        for row in self.rows:
            yield from row.results

    @property
    def tests_run(self) -> int:
        """The family Holm's correction counts: every judged figure whose test could run."""
        return sum(r.outcome.testable and r.judged for r in self.results())

    def geometric_means(self) -> dict[str, tuple[float, int]]:
        """metric -> (geometric mean of candidate/baseline, rows) over endpoint and metric
        rows; only metrics with at least two rows (a mean of one says nothing more)."""
        ratios: dict[str, list[float]] = {}
        for row in self.rows:
            if row.kind not in ("endpoint", "metric"):
                continue
            for result in row.results:
                if result.metric != "fail" and result.base > 0 and result.cand > 0:
                    ratios.setdefault(result.metric, []).append(result.ratio)
        return {metric: (math.exp(sum(map(math.log, values)) / len(values)), len(values))
                for metric, values in ratios.items() if len(values) >= 2}


def compare_runs(baseline: RunData, candidate: RunData, *,
                 thresholds: Thresholds = Thresholds()) -> RunComparison:
    comparison = RunComparison(baseline, candidate, thresholds,
                               check_comparable(baseline, candidate))
    for key in sorted(set(baseline.locust) | set(candidate.locust)):
        if key in baseline.locust and key in candidate.locust:
            _compare_load(comparison, key, baseline.locust[key].stats, candidate.locust[key].stats,
                          files=(baseline.locust[key].file, candidate.locust[key].file))
        else:
            comparison.unmatched.append(f"{key}: load test only in the "
                                        f"{'baseline' if key in baseline.locust else 'candidate'}")
    for key in sorted(set(baseline.metrics) | set(candidate.metrics)):
        if key in baseline.metrics and key in candidate.metrics:
            _compare_metrics(comparison, key, baseline.metrics[key].op_hist,
                             candidate.metrics[key].op_hist)
        else:
            comparison.unmatched.append(f"{key}: metric-latency test only in the "
                                        f"{'baseline' if key in baseline.metrics else 'candidate'}")
    tested = [r for r in comparison.results() if r.outcome.testable and r.judged]
    for result, adjusted in zip(tested, holm([r.outcome.p_value for r in tested])):
        result.p_adjusted = adjusted
    return comparison


def _compare_load(comparison: RunComparison, key: str, base: LocustStatsList,
                  cand: LocustStatsList, *, files: tuple[str, str]) -> None:
    thresholds = comparison.thresholds
    windows = base.run.window_s, cand.run.window_s
    closed = base.run.shape != "open"
    by_key = {e.key: e for e in cand.entries}
    base_keys = {e.key for e in base.entries}
    for entry in sorted(base.entries, key=lambda e: e.key):
        other = by_key.get(entry.key)
        name = f"{entry.method} {entry.test_name}".strip()
        if other is None or not other.num_requests:
            if entry.num_requests:
                comparison.unmatched.append(f"{key}: {name} has no requests in the candidate")
            continue
        if not entry.num_requests:
            comparison.unmatched.append(f"{key}: {name} has no requests in the baseline")
            continue
        row = RowComparison(key, "endpoint", name)
        row.results += _latencies(comparison, entry, other, files=files)
        row.results += _rps(entry.num_requests, other.num_requests, windows, thresholds,
                            judged=not closed)
        row.results += _failures(entry.num_requests, entry.num_failures, other.num_requests,
                                 other.num_failures, thresholds)
        comparison.rows.append(row)
    for entry in cand.entries:
        if entry.key not in base_keys and entry.num_requests:
            comparison.unmatched.append(f"{key}: {entry.method} {entry.test_name} has no "
                                        "requests in the baseline")
    if base.num_requests and cand.num_requests:
        total = RowComparison(key, "total", "all endpoints")
        users = base.run.users if base.run.shape == "closed" else 0
        total.results = _rps(base.num_requests, cand.num_requests, windows, thresholds,
                             judged=base.run.shape != "steps", users=users)
        total.results += _failures(base.num_requests, base.num_failures, cand.num_requests,
                                   cand.num_failures, thresholds)
        comparison.rows.append(total)
    _compare_steps(comparison, key, base, cand)


def _latencies(comparison: RunComparison, base: EndpointStats, cand: EndpointStats, *,
               files: tuple[str, str]) -> list[CompareResult]:
    if not (base.hdr.count and cand.hdr.count):
        return []
    distributions = []
    for entry, file in zip((base, cand), files):
        if not entry.hdr_encoded:
            distributions.append(None)
            continue
        try:
            distributions.append(Distribution.of_hdr(entry.histogram()))
        except Exception as exc:  # a damaged histogram costs its row the test, not the report
            comparison.notes.append(f"{file}: the HDR histogram of {entry.test_name!r} is "
                                    f"unreadable ({type(exc).__name__}); its latencies are not tested")
            distributions.append(Distribution.of_samples([]))
    results = []
    for metric, percentile in LATENCIES:
        if None in distributions:
            outcome = TestOutcome()
        else:
            outcome = latency_test(distributions[0], distributions[1], percentile)
        results.append(CompareResult(metric, base.hdr.percentile(metric), cand.hdr.percentile(metric),
                                     outcome, comparison.thresholds))
    return results


def _rps(base_n: int, cand_n: int, windows: tuple[float, float], thresholds: Thresholds, *,
         judged: bool, users: int = 0) -> list[CompareResult]:
    """Requests/s over the windows; with ``users`` (a closed loop) the noise floor applies to
    the time per request it implies."""
    if not (windows[0] > 0 and windows[1] > 0):
        return []
    rates = base_n / windows[0], cand_n / windows[1]
    return [CompareResult("rps", rates[0], rates[1], rate_test(base_n, windows[0], cand_n, windows[1]),
                          thresholds, judged=judged, floor_pair=_cycle_ms(users, *rates))]


def _cycle_ms(users: int, base_rps: float, cand_rps: float) -> tuple[float, float] | None:
    if users <= 0 or base_rps <= 0 or cand_rps <= 0:
        return None
    return users * 1000.0 / base_rps, users * 1000.0 / cand_rps


def _failures(base_n: int, base_failed: int, cand_n: int, cand_failed: int,
              thresholds: Thresholds) -> list[CompareResult]:
    return [CompareResult("fail", base_failed / base_n, cand_failed / cand_n,
                          proportion_test(base_failed, base_n, cand_failed, cand_n), thresholds)]


def _compare_steps(comparison: RunComparison, key: str, base: LocustStatsList,
                   cand: LocustStatsList) -> None:
    cand_steps = {s.users: s for s in cand.steps}
    for step in base.steps:
        other = cand_steps.pop(step.users, None)
        if other is None:
            comparison.unmatched.append(f"{key}: step of {step.users} users only in the baseline")
            continue
        row = RowComparison(key, "step", f"{step.users} users")
        thresholds = comparison.thresholds
        row.results = [CompareResult("p95", step.p95_ms, other.p95_ms, TestOutcome(), thresholds),
                       CompareResult("rps", step.rps, other.rps, TestOutcome(), thresholds,
                                     floor_pair=_cycle_ms(step.users, step.rps, other.rps)),
                       CompareResult("fail", step.fail_ratio, other.fail_ratio, TestOutcome(),
                                     thresholds)]
        comparison.rows.append(row)
    comparison.unmatched += [f"{key}: step of {users} users only in the candidate"
                             for users in sorted(cand_steps)]


def _compare_metrics(comparison: RunComparison, key: str, base: MetricLatencyOpHist,
                     cand: MetricLatencyOpHist) -> None:
    for operation in sorted(set(base.operations) | set(cand.operations)):
        base_levels, cand_levels = base.operations.get(operation, {}), cand.operations.get(operation, {})
        for level in sorted(set(base_levels) | set(cand_levels)):
            name = f"{operation} @ {base.axis} {level}"
            if level not in base_levels or level not in cand_levels:
                side = "baseline" if level in base_levels else "candidate"
                comparison.unmatched.append(f"{key}: {name} only in the {side}")
                continue
            b, c = base_levels[level], cand_levels[level]
            if not (b.count and c.count):
                continue
            row = RowComparison(key, "metric", name)
            b_dist, c_dist = Distribution.of_samples(b.samples), Distribution.of_samples(c.samples)
            row.results = [CompareResult(metric, b.percentile(q), c.percentile(q),
                                         latency_test(b_dist, c_dist, q), comparison.thresholds)
                           for metric, q in LATENCIES]
            comparison.rows.append(row)
