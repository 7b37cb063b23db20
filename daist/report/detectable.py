"""What a comparison could see: for a figure it found unchanged, the smallest change it would
have called a regression at the noise it measured (pyperf and Bencher users read "no change"
next to how large a change could have hidden); and, from the spread between a comparison's
runs, how many runs per side would catch a change of a given size per endpoint class."""
from __future__ import annotations

import math
import statistics
from statistics import NormalDist

from daist.report.compare import CompareResult, RunComparison
from daist.report.stats import MIN_RUNS_PER_SIDE, NO_SPREAD

POWER = 0.8
"""The chance of catching the change ``runs_needed`` plans for."""


def smallest_caught(result: CompareResult) -> float | None:
    """The smallest change of the figure that would have counted: a factor (latencies,
    requests/s) or an absolute ratio difference (failures); None when nothing could."""
    if not result.judged or not result.told or not math.isfinite(result.base):
        return None
    if not result.outcome.testable and result.outcome.reason != NO_SPREAD:
        return None
    relative, floor_ms, alpha = result.thresholds.for_figure(result.metric, result.mode,
                                                             common=result.common_level)
    noise = (result.outcome.noise or 0.0) * NormalDist().inv_cdf(1 - alpha / 2) / 1.96
    if result.metric == "fail":
        return max(result.thresholds.fail_floor, noise)
    if result.log_scale:
        factor = math.exp(noise)
    else:
        factor = 1 + noise / abs(result.base) if result.base else math.inf
    factor = max(factor, 1 + relative)
    if result.is_latency and result.base > 0:
        factor = max(factor, 1 + floor_ms / result.base)
    return factor


def caught_text(result: CompareResult) -> str:
    """``>=1.25x`` or ``>=1.0 pts``; ``-`` when nothing could have been caught."""
    size = smallest_caught(result)
    if size is None or not math.isfinite(size):
        return "-"
    return f">={size * 100:.1f} pts" if result.metric == "fail" else f">={size:.2f}x"


def unchanged_line(comparison: RunComparison) -> str | None:
    """Per figure, the median (and the largest) smallest change the unchanged rows could have
    shown."""
    sizes: dict[str, list[float]] = {}
    for row in comparison.rows:
        if row.changed:
            continue
        for result in row.results:
            size = smallest_caught(result)
            if size is not None and math.isfinite(size):
                sizes.setdefault(result.metric, []).append(size)
    if not sizes:
        return None
    parts = []
    for metric, found in sizes.items():
        unit = (lambda v: f"{v * 100:.1f} pts") if metric == "fail" else (lambda v: f"{v:.2f}x")
        parts.append(f"{metric} {unit(statistics.median(found))} (largest {unit(max(found))})")
    return "Smallest change the unchanged figures could have shown (median over rows): " + \
        "; ".join(parts)


def runs_needed(comparison: RunComparison, change: float, *, metric: str = "p50",
                alpha: float | None = None) -> list[str]:
    """Per load test and endpoint class, the runs per side that would catch a ``change``
    (0.2 = 20 %) of ``metric`` with ``POWER``, at the spread between this comparison's runs
    (the median over the class's endpoints of each side's standard deviation of the log value,
    pooled over the sides)."""
    alpha = alpha if alpha is not None else comparison.thresholds.alpha
    sides = (comparison.baseline, comparison.candidate)
    if max(len(side) for side in sides) < 2:
        return ["Runs needed: unknown: the noise between runs needs two runs on a side "
                "(--baseline DIR --baseline DIR)"]
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(POWER)
    effect = math.log(1 + change)
    lines = [f"Runs per side to catch a {change:.0%} change of {metric} ({POWER:.0%} power, "
             f"alpha {alpha:g}; noise between runs measured here):"]
    keys = sorted({key for side in sides for run in side for key in run.locust})
    for key in keys:
        by_class: dict[str, list[float]] = {}
        names = {(e.test_name, e.method, e.endpoint_class) for run in sides[0] if key in run.locust
                 for e in run.locust[key].stats.entries if e.hdr.count}
        for name, method, cls in names:
            spread = _pooled_sd([[math.log(v) for run in side if key in run.locust
                                  for e in run.locust[key].stats.entries
                                  if (e.test_name, e.method) == (name, method)
                                  and (v := e.hdr.shown(metric)) > 0] for side in sides])
            if spread is not None:
                by_class.setdefault(cls or "other", []).append(spread)
        cells = []
        for cls, spreads in sorted(by_class.items()):
            sd = statistics.median(spreads)
            runs = max(MIN_RUNS_PER_SIDE, math.ceil(2 * (z * sd / effect) ** 2))
            cells.append(f"{cls} {runs} (noise ±{(math.exp(1.96 * sd) - 1) * 100:.0f}%)")
        lines.append(f"  {key}: " + ("; ".join(cells) or "no endpoint measured in two runs"))
    return lines


def _pooled_sd(sides: list[list[float]]) -> float | None:
    """The pooled standard deviation of the sides' values; None without two values on a side."""
    squares = sum(sum((v - statistics.fmean(side)) ** 2 for v in side) for side in sides if len(side) > 1)
    df = sum(len(side) - 1 for side in sides if len(side) > 1)
    return math.sqrt(squares / df) if df else None
