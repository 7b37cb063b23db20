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

Runs are compared with Welch's t-test (three runs a side leave a rank test no p-value below
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

