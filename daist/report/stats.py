"""The significance test of ``compare``: a change counts only against the noise it must beat.

Requests inside one run are not independent (queueing, garbage collection and a noisy neighbour
move stretches of them together), so no test here treats requests as samples. Each side of a
figure becomes an ``Estimate``: a value with the spread it was seen to have, from

- **runs** (several runs per side): one value per run; the spread is that of the runs
  (between-run noise: the noise a gate must beat). A side of one run borrows the other side's
  spread (equal variances).
- **blocks** (one run per side): the same figure per block of the run's window, its mean and
  spread (batch means: ``LocustStatsList`` keeps per-block percentiles, a metric-latency
  level is cut into consecutive blocks of its samples). It cannot see
  between-run noise, which is why ``compare`` asks more of a single run's tails.

A load test's endpoint latencies, judged against the test's common level, combine both at any
split (``runs_and_blocks_test``): a run's value is the figure plus the run's own offset plus
block noise; the offsets' variance, which one or two runs a side cannot show, is estimated over
the test's endpoints (``shared_run_variance``: most endpoints did not change), and a figure's
own spread between baseline runs moderates it (limma's moderated variance). Other figures: runs
are compared with Welch's t-test (three runs a side leave a rank test no p-value below
0.1); blocks with the Mann-Whitney U test over the block values (a stall inside one block is
one rank, not a shift of the mean). Latencies and requests/s are compared on a log scale (a
change is a ratio), failure ratios as they are. ``holm`` corrects the p-values of one
comparison for their number. ``noise`` is the half-width of the 95 % interval of the
difference (Welch's), on the same scale."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

RUNS, BLOCKS, THRESHOLDS_ONLY = "runs", "blocks", "thresholds only"
MIN_BLOCKS = 4
"""Blocks a single run needs on each side for an interval (3 degrees of freedom)."""
NO_SPREAD = "no spread data"
MIN_RUNS_PER_SIDE = 3
"""Runs each side needs for a figure to be judged "by runs". With fewer on a side (1-1, 2-1,
1-2, 2-2) the noise between runs cannot be estimated from that figure's runs alone: the
blocks of every run are pooled per side, never seeing less than 1-vs-1. Calibrated:
``benchmarks/compare_calibration.py``."""


@dataclass(frozen=True)
class Estimate:
    """One side of a figure on the test scale."""

    value: float
    sd: float
    """Spread of one run's (or one block's) value; nan with a single value."""
    n: int
    """Runs, or blocks."""
    mode: str

    @property
    def df(self) -> int:
        return self.n - 1

    @property
    def se(self) -> float:
        return self.sd / math.sqrt(self.n) if self.n > 1 else math.nan


def of_runs(values: Sequence[float]) -> Estimate:
    """One value per run (already on the test scale)."""
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else math.nan
    return Estimate(mean, sd, n, RUNS)


def of_blocks(blocks: Sequence[float]) -> Estimate | None:
    """Batch means: the mean of the blocks' values and their spread (a stall in one block moves
    the mean by a tenth of itself, not the run's tail figure to the stall); None with fewer
    than MIN_BLOCKS."""
    if len(blocks) < MIN_BLOCKS:
        return None
    found = of_runs(blocks)
    return Estimate(found.value, found.sd, found.n, BLOCKS)


@dataclass(frozen=True)
class TestOutcome:
    """What the test found; ``p_value`` None means none could run (``reason``)."""

    test: str = ""
    statistic: float | None = None
    p_value: float | None = None
    reason: str = NO_SPREAD
    direction: int = 0
    """+1: the candidate's value is higher, -1 lower, 0 equal or no test."""
    mode: str = THRESHOLDS_ONLY
    sizes: tuple[int, int] = (0, 0)
    """Runs (or blocks) per side."""
    noise: float | None = None
    """Half-width of the 95 % interval of the difference (test scale)."""

    @property
    def testable(self) -> bool:
        return self.p_value is not None


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


def welch(base: Estimate, cand: Estimate) -> TestOutcome:
    """Welch's t-test of two estimates (a side of one run takes the other side's spread)."""
    sizes, mode = (base.n, cand.n), base.mode
    if base.n < 2 and cand.n < 2:
        return TestOutcome(reason="one run per side and no blocks", mode=THRESHOLDS_ONLY,
                           sizes=sizes)
    base_sd = base.sd if base.n > 1 else cand.sd
    cand_sd = cand.sd if cand.n > 1 else base.sd
    base_var, cand_var = base_sd ** 2 / base.n, cand_sd ** 2 / cand.n
    diff = cand.value - base.value
    variance = base_var + cand_var
    if variance == 0:  # identical values within each side: any difference is certain
        return TestOutcome(test="Welch t-test", p_value=1.0 if diff == 0 else 0.0, reason="",
                           direction=_sign(diff), mode=mode, sizes=sizes, noise=0.0)
    df = _welch_df(base, cand, base_var, cand_var)
    from scipy.stats import t as student_t
    statistic = diff / math.sqrt(variance)
    p_value = float(2 * student_t.sf(abs(statistic), df))
    noise = float(student_t.ppf(0.975, df) * math.sqrt(variance))
    return TestOutcome(test="Welch t-test", statistic=statistic, p_value=p_value, reason="",
                       direction=_sign(diff), mode=mode, sizes=sizes, noise=noise)


def block_test(base: Sequence[float], cand: Sequence[float]) -> TestOutcome:
    """Mann-Whitney U over the blocks of two single runs (None-free, at least MIN_BLOCKS each),
    with Welch's interval as the noise seen."""
    from scipy.stats import mannwhitneyu
    interval = welch(of_blocks(base), of_blocks(cand))
    if len(set(base) | set(cand)) == 1:
        return interval  # all blocks equal: nothing to rank, nothing changed
    found = mannwhitneyu(cand, base, alternative="two-sided")
    middle = len(base) * len(cand) / 2  # U counts (candidate, baseline) pairs the candidate wins
    return TestOutcome(test="Mann-Whitney U over blocks", statistic=float(found.statistic),
                       p_value=float(found.pvalue), reason="",
                       direction=_sign(float(found.statistic) - middle), mode=BLOCKS,
                       sizes=(len(base), len(cand)), noise=interval.noise)


def _welch_df(base: Estimate, cand: Estimate, base_var: float, cand_var: float) -> float:
    """Welch-Satterthwaite; a borrowed spread brings only its own side's degrees of freedom."""
    if base.n < 2:
        return cand.df
    if cand.n < 2:
        return base.df
    denominator = base_var ** 2 / base.df + cand_var ** 2 / cand.df
    return (base_var + cand_var) ** 2 / denominator if denominator > 0 else base.df + cand.df


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



# -- runs and blocks together (a test's endpoints judged against its common level) ----------
PRIOR_WEIGHT = 10
"""Degrees of freedom the noise shared by a test's endpoints counts for against one figure's
own spread between baseline runs (limma's moderated variance: a few runs cannot estimate one
figure's spread alone, and the figures of a test share most of it)."""
MIN_SHARED = 8
"""Figures a test needs for the spread between runs they share to be estimated over them."""
HALF_CHI2_1 = 0.454936
"""The median of a chi-square variable of one degree of freedom."""


@dataclass(frozen=True)
class RunBlocks:
    """One figure of both sides, each run as its blocks (on the test scale): the pieces of a
    random-effects model (a run's value = the figure + the run's own offset + block noise)."""

    diff: float
    """Candidate minus baseline, each side the mean of its runs' block means."""
    within: float
    """Variance of ``diff`` from the blocks alone (what pooled blocks see)."""
    weight: float
    """1 / baseline runs + 1 / candidate runs (the shared run variance's factor in ``diff``)."""
    run_within: float
    """Variance of one run's block mean from its blocks (mean of both sides)."""
    spread: float
    """Variance of the run means within the sides, pooled (nan with one run a side)."""
    spread_df: int
    """Runs minus sides: the degrees of freedom of ``spread``."""
    base_spread: float
    """Variance of the baseline's run means (nan with one baseline run)."""
    base_df: int
    """Baseline runs minus one."""
    block_df: int
    """Blocks minus runs, both sides: the degrees of freedom of the blocks' noise."""
    runs: tuple[int, int]
    """Runs per side."""
    blocks: tuple[int, int]
    """Blocks per side."""


def run_blocks(base: Sequence[Sequence[float]], cand: Sequence[Sequence[float]]) -> RunBlocks | None:
    """The pieces of one figure (each side: a list of runs, each its block values); None when a
    side has fewer than MIN_BLOCKS blocks or no run with two."""
    sides = []
    for runs in (base, cand):
        runs = [list(r) for r in runs if r]
        if sum(len(r) for r in runs) < MIN_BLOCKS or not runs:
            return None
        means = [sum(r) / len(r) for r in runs]
        squares = sum((v - m) ** 2 for r, m in zip(runs, means) for v in r)
        df = sum(len(r) - 1 for r in runs)
        if df < 1:
            return None
        per_block = squares / df
        sides.append((means, per_block * sum(1 / len(r) for r in runs) / len(runs), df,
                      sum(len(r) for r in runs)))
    (b_means, b_within, b_df, b_n), (c_means, c_within, c_df, c_n) = sides
    k_b, k_c = len(b_means), len(c_means)
    b_mean, c_mean = sum(b_means) / k_b, sum(c_means) / k_c

    def squares(means: list[float], centre: float) -> float:
        return sum((m - centre) ** 2 for m in means)
    spread_df = k_b + k_c - 2
    spread = (squares(b_means, b_mean) + squares(c_means, c_mean)) / spread_df if spread_df else math.nan
    return RunBlocks(diff=c_mean - b_mean, within=b_within / k_b + c_within / k_c,
                     weight=1 / k_b + 1 / k_c, run_within=(b_within + c_within) / 2,
                     spread=spread, spread_df=spread_df,
                     base_spread=squares(b_means, b_mean) / (k_b - 1) if k_b > 1 else math.nan,
                     base_df=k_b - 1, block_df=b_df + c_df, runs=(k_b, k_c), blocks=(b_n, c_n))


def shared_run_variance(figures: Sequence[RunBlocks]) -> float:
    """The variance between runs that a test's figures share beyond their blocks' noise (a
    robust random-effects estimate over figures, most of which did not change): from the runs'
    spread within the sides when a side has two runs, else from the figures' differences
    themselves (one run a side); 0 with fewer than MIN_SHARED figures."""
    if len(figures) < MIN_SHARED:
        return 0.0
    df = min(f.spread_df for f in figures)
    if df >= 1:
        from scipy.stats import chi2
        target = float(chi2.median(df)) / df
        ratio = lambda f, tau2: f.spread / (f.run_within + tau2)  # noqa: E731
    else:
        target = HALF_CHI2_1
        ratio = lambda f, tau2: f.diff ** 2 / (f.within + tau2 * f.weight)  # noqa: E731
    median = lambda tau2: _median([ratio(f, tau2) for f in figures])  # noqa: E731
    if median(0.0) <= target:
        return 0.0
    low, high = 0.0, 1.0
    while median(high) > target and high < 1e6:
        high *= 4
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if median(middle) > target else (low, middle)
    return high


def runs_and_blocks_test(figure: RunBlocks, shared: float) -> TestOutcome:
    """The figure's difference against the blocks' noise plus the shared variance between runs,
    moderated by its own spread between baseline runs; Student's t with the blocks' degrees of
    freedom. Judged by runs (sizes: runs) from MIN_RUNS_PER_SIDE runs a side, else by blocks."""
    from scipy.stats import t as student_t
    variance = figure.within + shared * figure.weight
    df = figure.block_df
    if figure.base_df >= 1:
        own = figure.base_spread * figure.weight
        variance = (PRIOR_WEIGHT * variance + figure.base_df * own) / (PRIOR_WEIGHT + figure.base_df)
        df += figure.base_df
    mode, sizes = (RUNS, figure.runs) if min(figure.runs) >= MIN_RUNS_PER_SIDE else \
        (BLOCKS, figure.blocks)
    test = "runs and blocks (random effects)"
    if variance <= 0:
        return TestOutcome(test=test, p_value=1.0 if figure.diff == 0 else 0.0, reason="",
                           direction=_sign(figure.diff), mode=mode, sizes=sizes, noise=0.0)
    statistic = figure.diff / math.sqrt(variance)
    return TestOutcome(test=test, statistic=statistic,
                       p_value=float(2 * student_t.sf(abs(statistic), df)), reason="",
                       direction=_sign(figure.diff), mode=mode, sizes=sizes,
                       noise=float(student_t.ppf(0.975, df) * math.sqrt(variance)))


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
