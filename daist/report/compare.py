"""The comparison of a baseline with a candidate, each one run or several (pyperf's
``compare_to``, with a noise model that fits load tests).

Figures: per load-test endpoint p50, p95 and p99 latency, requests/s and the failure ratio; per
test requests/s and failures of all endpoints together; per step of a user sweep p95,
requests/s and failures; per metric-latency operation and level p50, p95 and p99.

**How a figure is judged** (``daist.report.stats``): a load test's endpoint latencies (five
endpoints or more) against the test's common level, at any split, by every run's blocks and
the spread between runs together (a random-effects model: the noise between runs that one or
two runs a side cannot show is estimated over the test's endpoints; from three runs a side it
is judged ``runs``, else ``blocks``). Other figures: from three runs on each side, one value
per run and a test across runs (``runs``); with fewer, the blocks of every run's window pooled
per side and tested against each other (``blocks``; never less than one run per side sees). A
figure without any spread data (a sweep step of single runs, a file from before blocks) is
judged by the thresholds alone (``thresholds only``).

A figure is a **regression** when the candidate is worse by more than ``min_change`` of the
baseline, latencies also by more than ``noise_floor_ms`` and failure ratios by more than
``fail_floor`` (absolute), and the change lies beyond the noise: its test's p-value, Holm-
corrected over every tested figure of the comparison, is at most ``alpha``.
Tails need more evidence: ``EVIDENCE`` raises the thresholds and lowers ``alpha`` for p95 and
p99, most for a single run. A change beyond the thresholds whose test cannot run (too few
blocks) is "not testable", never a regression. Improvements are judged the same way.

Requests/s in a closed loop (N users, the closed shape and each sweep step) is N / (latency +
think time): an endpoint's share follows from the random mix and every other endpoint's
latency, so per-endpoint requests/s is shown there but not judged; the total is judged, and the
time per request it implies (N / requests/s) must also change by more than ``noise_floor_ms``.
In the open shape every requests/s figure is judged.

**Fail closed**: a test, endpoint (with requests), sweep step or metric level present in a
baseline run but missing in any run (unreadable file, no requests, deleted artifact) is
``missing``: the comparison fails, naming it."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator, NamedTuple, Sequence

from daist.framework.kinds import KINDS
from daist.report import fmt
from daist.report.comparability import Comparability, check_sides
from daist.report.loader import RunData
from daist.report.stats import BLOCKS, NO_SPREAD, RUNS, THRESHOLDS_ONLY, TestOutcome, holm

LATENCIES = (("p50", 50.0), ("p95", 95.0), ("p99", 99.0))
REGRESSION, IMPROVEMENT = "regression", "improvement"
NOT_SIGNIFICANT, NOT_TESTABLE, WITHIN = "within the noise", "not testable", "within thresholds"
NOT_JUDGED = "not judged"
EVIDENCE = {RUNS: {"p99": (2.0, 0.1)},
            BLOCKS: {"p95": (2.0, 0.1), "p99": (4.0, 0.01)},
            THRESHOLDS_ONLY: {"p95": (2.0, 1.0), "p99": (4.0, 1.0)}}
"""Per mode and latency (1, 1 when not listed): the factor on ``min_change`` and
``noise_floor_ms``, and on ``alpha``. Tails need more: a single run's blocks cannot see
between-run noise, and a run's tail is its noisiest figure (calibrated with
``benchmarks/compare_calibration.py``: a noisy run's p99 moves 3-5x in every block)."""
COMMON_EVIDENCE = 2.0
"""Factor on the thresholds of a test's common level (all endpoints together): the figure a
busier machine moves most, also between groups of runs made at different times."""


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

    def for_figure(self, metric: str, mode: str, *, common: bool = False) -> tuple[float, float, float]:
        """(relative change, absolute ms) a ``metric`` judged in ``mode`` must exceed, and the
        largest corrected p-value it may have; ``common``: a test's common level."""
        factor, alpha_factor = EVIDENCE.get(mode, {}).get(metric, (1.0, 1.0))
        factor *= COMMON_EVIDENCE if common else 1.0
        return self.min_change * factor, self.noise_floor_ms * factor, self.alpha * alpha_factor


@dataclass
class CompareResult:
    """One figure, baseline against candidate (the centre of each side's runs)."""

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
    log_scale: bool = True
    """The test compared logarithms (a ratio): latencies and requests/s."""
    shift: float | None = None
    """Judged relative to the test's common level, which moved by this factor (candidate /
    baseline): the thresholds apply to ``cand / shift``."""
    note: str = ""
    """Why a figure is not judged, when that is not obvious."""
    common_level: bool = False
    """A test's common level (``COMMON_EVIDENCE``)."""
    told: bool = True
    """False: a run had too few samples to tell this percentile (shown "-", not judged)."""

    @property
    def judged_cand(self) -> float:
        """The candidate's value the thresholds see (relative to the common level's move)."""
        return self.cand / self.shift if self.shift else self.cand

    @property
    def tested(self) -> bool:
        """In the family Holm's correction counts: judged, its test could run, and something
        was measured (a failure ratio of none on both sides has nothing to test)."""
        return self.outcome.testable and self.judged and not (self.base == 0 == self.cand)

    @property
    def is_latency(self) -> bool:
        return self.metric not in ("rps", "fail")

    @property
    def mode(self) -> str:
        return self.outcome.mode

    @property
    def ratio(self) -> float:
        """candidate / baseline."""
        if self.base == 0:
            return 1.0 if self.cand == 0 else math.inf
        return self.cand / self.base

    @property
    def worse(self) -> bool:
        cand = self.judged_cand
        return cand < self.base if self.metric == "rps" else cand > self.base

    @property
    def size(self) -> float:
        """How much worse (or better) as judged: the factor, >= 1 (inf for failures from none)."""
        if self.metric == "fail":
            return math.inf if min(self.base, self.cand) == 0 else max(self.ratio, 1 / self.ratio)
        ratio = self.ratio / self.shift if self.shift else self.ratio
        return max(ratio, 1 / ratio) if 0 < ratio < math.inf else math.inf

    @property
    def exceeds(self) -> bool:
        """Beyond the relative threshold and the metric's absolute floor; judged against a
        common level, both the change itself and the change against that level must be (the
        same way): a busier machine moves endpoints by a factor, a fixed delay does not (an
        endpoint that waits 100 ms looks 1.6x slower against a level 1.6x faster). How far
        endpoints scatter around the level's move is the noise the test measures."""
        if not self._beyond(self.judged_cand):
            return False
        if self.shift is None:
            return True
        return (self.cand - self.base) * (self.judged_cand - self.base) > 0 and self._beyond(self.cand)

    def _beyond(self, cand: float) -> bool:
        delta = abs(cand - self.base)
        relative, floor_ms, _ = self.thresholds.for_figure(self.metric, self.mode,
                                                           common=self.common_level)
        if delta <= relative * abs(self.base):
            return False
        if self.is_latency:
            return delta > floor_ms
        if self.metric == "fail":
            return delta > self.thresholds.fail_floor
        if self.floor_pair is not None:
            return abs(self.floor_pair[1] - self.floor_pair[0]) > floor_ms
        return True

    @property
    def significant(self) -> bool:
        """Beyond the noise after the correction, and the test saw the data move this way."""
        alpha = self.thresholds.for_figure(self.metric, self.mode, common=self.common_level)[2]
        if self.p_adjusted is None or self.p_adjusted > alpha:
            return False
        cand = self.judged_cand
        moved = (cand > self.base) - (cand < self.base)
        return self.outcome.direction in (0, moved)

    @property
    def verdict(self) -> str:
        if not self.judged:
            return NOT_JUDGED
        if not self.exceeds:
            return WITHIN
        direction = REGRESSION if self.worse else IMPROVEMENT
        if self.outcome.reason == NO_SPREAD:
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
        text = fmt.times(ratio, worse="slower", better="faster")
        if self.shift and abs(self.shift - 1) >= 0.005 and 0 < ratio < math.inf:
            text += f" ({fmt.times(ratio / self.shift, worse='slower', better='faster')} " \
                    "against the common level)"
        return text

    @property
    def judged_by(self) -> str:
        """"runs 3 vs 3", "blocks 10 vs 10" or "thresholds only"."""
        if not self.judged:
            return NOT_JUDGED
        relative = ", relative" if self.shift else ""
        if self.mode == THRESHOLDS_ONLY:
            return THRESHOLDS_ONLY + relative
        return f"{self.mode} {self.outcome.sizes[0]} vs {self.outcome.sizes[1]}{relative}"

    @property
    def noise_text(self) -> str:
        """The 95 % interval of the change: "±6.1%" (a ratio), "±0.4 pts" (failures)."""
        noise = self.outcome.noise
        if noise is None or not math.isfinite(noise):
            return "-"
        if self.metric == "fail":
            return f"±{noise * 100:.1f} pts"
        if self.log_scale:
            return f"±{(math.exp(noise) - 1) * 100:.1f}%"
        return f"±{noise / abs(self.base) * 100:.1f}%" if self.base else "-"

    def value(self, which: str) -> str:
        number = self.base if which == "base" else self.cand
        if not self.told:
            return "-"
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

    @property
    def label(self) -> str:
        return f"{self.test}: {self.name}"

    @property
    def regression(self) -> bool:
        return any(r.regression for r in self.results)

    @property
    def improvement(self) -> bool:
        return not self.regression and any(r.changed for r in self.results)

    @property
    def changed(self) -> bool:
        return any(r.changed for r in self.results)

    @property
    def size(self) -> tuple[float, float]:
        """The largest change among its changed figures (sorts the headline), then the
        largest difference (failures up from none are all infinitely larger)."""
        changed = [r for r in self.results if r.changed]
        return (max((r.size for r in changed), default=1.0),
                max((abs(r.judged_cand - r.base) for r in changed), default=0.0))


@dataclass
class RunComparison:
    baseline: list[RunData]
    candidate: list[RunData]
    thresholds: Thresholds
    comparability: Comparability
    rows: list[RowComparison] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    """What only the candidate measured (tests, endpoints, levels, steps): information."""
    missing: list[str] = field(default_factory=list)
    """What the baseline measured and a run lacks, or could not be read: fails the comparison."""

    @property
    def regressions(self) -> list[RowComparison]:
        """Largest first."""
        return sorted((row for row in self.rows if row.regression), key=lambda r: r.size,
                      reverse=True)

    @property
    def improvements(self) -> list[RowComparison]:
        return sorted((row for row in self.rows if row.improvement), key=lambda r: r.size,
                      reverse=True)

    @property
    def failed(self) -> bool:
        return bool(self.regressions or self.missing)

    def results(self) -> Iterator[CompareResult]:
        for row in self.rows:
            yield from row.results

    @property
    def tests_run(self) -> int:
        """The family Holm's correction counts: every judged figure whose test could run (also
        those within their thresholds: leaving them out would let the thresholds pick the few
        figures that moved most and test them as if they were all)."""
        return sum(r.tested for r in self.results())

    def geometric_means(self) -> dict[str, GeometricMean]:
        """metric -> its geometric mean over endpoint and metric-latency rows, for metrics with
        at least two rows. The counts are the rows' own verdicts, so the mean is read next to
        them, never instead."""
        found: dict[str, list] = {}
        for row in self.rows:
            if row.kind not in ("endpoint", "metric"):
                continue
            for result in row.results:
                if result.metric != "fail" and result.judged and result.base > 0 and result.cand > 0:
                    found.setdefault(result.metric, []).append(result)
        means = {}
        for metric, results in found.items():
            if len(results) >= 2:
                mean = math.exp(sum(math.log(r.ratio) for r in results) / len(results))
                means[metric] = GeometricMean(
                    mean, rows=len(results), regressions=sum(r.regression for r in results),
                    improvements=sum(r.verdict == IMPROVEMENT for r in results))
        return means


class GeometricMean(NamedTuple):
    """One metric's candidate/baseline ratio over many rows, with the rows' own verdicts."""

    ratio: float
    rows: int
    regressions: int
    improvements: int


def compare_runs(baseline: RunData | Sequence[RunData], candidate: RunData | Sequence[RunData], *,
                 thresholds: Thresholds = Thresholds()) -> RunComparison:
    bases, cands = _listed(baseline), _listed(candidate)
    comparison = RunComparison(bases, cands, thresholds, check_sides(bases, cands))
    for label, runs in (("baseline", bases), ("candidate", cands)):
        for run in runs:
            comparison.missing += [f"{label} {run.directory}: unreadable {item}"
                                   for item in run.skipped]
    for declared in KINDS.compared():  # what each test kind declares comparable
        kind, tests, compare = declared.noun, declared.tests, declared.compare
        base_keys = {key for run in bases for key in tests(run)}
        for key in sorted(base_keys | {k for run in cands for k in tests(run)}):
            if key not in base_keys:
                comparison.unmatched.append(f"{key}: {kind} only in the candidate")
                continue
            lacking = [f"{label} {run.directory}" for label, runs in (("baseline", bases),
                                                                     ("candidate", cands))
                       for run in runs if key not in tests(run)]
            if lacking:
                comparison.missing += [f"{key}: {kind} missing in the {where}" for where in lacking]
                continue
            compare(comparison, key)
    adjust_p_values(list(comparison.results()))
    return comparison


def adjust_p_values(results: list[CompareResult]) -> None:
    """Holm's correction over every tested figure (``p_adjusted``; ``tests_run``)."""
    tested = [r for r in results if r.tested]
    for result, adjusted in zip(tested, holm([r.outcome.p_value for r in tested])):
        result.p_adjusted = adjusted


def _listed(runs: RunData | Sequence[RunData]) -> list[RunData]:
    listed = [runs] if isinstance(runs, RunData) else list(runs)
    if not listed:
        raise ValueError("a side of a comparison needs at least one run")
    return listed
