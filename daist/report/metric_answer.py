"""The answer a metric-latency sweep was run for, first: write and visible p50/p95 against the
swept level in one chart, the latency limits the run was judged by drawn on it (``[metrics] slo``,
as the test saved them), and the first level where a limit breaks, marked and said in one sentence."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from daist.models.base import Figure
from daist.models.metric_latency import MetricLatencyOpHist
from daist.models.limits import LimitRule, Limits
from daist.models.metric_slo import statistic
from daist.models.percentiles import min_samples, percentile_number
from daist.report.metric_plots import AXIS_LABELS, level_axes, new_figure

SHOWN = (("write", "tab:blue"), ("visible", "tab:orange"))
STATS = (("p50", "-"), ("p95", "--"))
SLO_AXIS = "concurrency"
"""``[metrics] slo`` holds for the concurrency sweep (Test), not the payload sweep."""


@dataclass(frozen=True)
class Answer:
    sentence: str
    breaking_level: int | None = None
    figure: Figure | None = None
    reasons: list[str] = field(default_factory=list)


def run_rules(limits: Limits | None, op_hist: MetricLatencyOpHist) -> tuple[list[LimitRule], str]:
    """The limits of this sweep the test was judged by (``daist.report.limits.run_limits``),
    and a note when there are none."""
    rules = [rule for rule in limits.rules if rule.limit is not None] if limits else []
    if op_hist.axis != SLO_AXIS or not rules:
        return [], "no latency limits set ([metrics] slo)"
    return rules, ""


def breaking_level(op_hist: MetricLatencyOpHist, rules: list[LimitRule]
                   ) -> tuple[int | None, list[str]]:
    """The lowest level at which a limit is broken, and what broke there."""
    levels = sorted({level for hists in op_hist.operations.values() for level in hists})
    for level in levels:
        broken = []
        for rule in rules:
            if rule.level not in (None, level):
                continue
            value = statistic(op_hist, rule, level)
            if math.isfinite(value) and value > rule.limit:
                broken.append(f"{rule.selector} {rule.stat} {value:,.1f} ms > "
                              f"{rule.limit:g} ms")
        if broken:
            return level, broken
    return None, []


def answer(op_hist: MetricLatencyOpHist, limits: Limits | None, *, title: str) -> Answer:
    axis = op_hist.axis
    rules, note = run_rules(limits, op_hist)
    level, reasons = breaking_level(op_hist, rules)
    levels = sorted({lv for hists in op_hist.operations.values() for lv in hists})
    if note:
        sentence = f"Write and visible latency by {AXIS_LABELS.get(axis, axis)}: {note}."
    elif level is not None:
        sentence = f"Breaks at {axis} {level}: {'; '.join(reasons)}."
    else:
        sentence = (f"Holds its limits at every {axis} measured"
                    f"{f' (up to {levels[-1]})' if levels else ''}.")
    if op_hist.invalid_levels:  # measured at the generator's limit: never the target's answer
        sentence += (f" Not judged, the generator was over its limit: {axis} "
                     f"{', '.join(map(str, sorted(op_hist.invalid_levels)))}.")
    return Answer(sentence, level, _figure(op_hist, rules, level, title=title), reasons)


def _figure(op_hist: MetricLatencyOpHist, rules: list[LimitRule], broken_at: int | None, *,
            title: str) -> Figure | None:
    drawn = [op for op, _ in SHOWN if op_hist.operations.get(op)]
    if not drawn:
        return None
    figure = new_figure(8, 4.5)
    ax = figure.add_subplot()
    values: list[float] = []
    levels: list[int] = []
    for operation, colour in SHOWN:
        hists = op_hist.operations.get(operation, {})
        xs = sorted(hists)
        levels = sorted({*levels, *xs})
        for stat, style in STATS:
            need = min_samples(percentile_number(stat))
            ys = [hists[x].stats()[stat] if hists[x].count >= need else math.nan for x in xs]
            shown = [y for y in ys if math.isfinite(y)]
            if not shown:  # too few samples for this percentile at every level
                continue
            values += [y for y in shown if y > 0]
            ax.plot(xs, ys, linestyle=style, marker="o", color=colour, label=f"{operation} {stat}")
        for rule in rules:
            if rule.selector != operation:
                continue
            label = f"limit {operation} {rule.stat} {rule.limit:g} ms"
            if rule.level is None:
                ax.axhline(rule.limit, color=colour, linestyle=":", label=label)
            else:
                ax.plot([rule.level], [rule.limit], marker="_", markersize=18, color=colour,
                        linestyle="none", label=f"{label} at {rule.level}")
            values.append(rule.limit)
    if broken_at is not None:
        ax.axvline(broken_at, color="tab:red", alpha=0.6, label=f"breaks at {broken_at}")
    level_axes(ax, levels, values, axis=op_hist.axis, ylabel="latency (ms)", title=title)
    ax.legend(fontsize=8)
    return Figure.from_matplotlib(figure)
