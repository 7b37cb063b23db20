"""The answer a metric-latency sweep was run for, first: write and visible p50/p95 against the
swept level in one chart, the run's latency limits drawn on it (``[metrics] slo``, as saved with
the run), and the first level where a limit breaks, marked and said in one sentence."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from daist.models.base import Figure
from daist.models.metric_latency import TRIAL_OPERATIONS, MetricLatencyOpHist
from daist.models.metric_slo import STATS as SLO_STATS
from daist.models.metric_slo import parse_slo
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


def run_rules(settings: dict[str, dict[str, str]], op_hist: MetricLatencyOpHist
              ) -> tuple[list[Any], str]:
    """The run's ``[metrics] slo`` rules for this sweep, and a note when there are none or they
    cannot be read (the grammar is the metric test's own, so report and verdict agree)."""
    text = (settings.get("metrics") or {}).get("slo", "")
    if op_hist.axis != SLO_AXIS or not text.strip():
        return [], "no latency limits set ([metrics] slo)"
    try:
        return parse_slo(text, operations=(*TRIAL_OPERATIONS, *op_hist.operations)), ""
    except ValueError as exc:
        return [], f"the saved limits cannot be read: {exc}"


def _statistic(op_hist: MetricLatencyOpHist, operation: str, level: int, stat: str) -> float:
    hist = op_hist.operations.get(operation, {}).get(level)
    return hist.stats()[SLO_STATS[stat]] if hist is not None and hist.count else math.nan


def breaking_level(op_hist: MetricLatencyOpHist, rules: list[Any]) -> tuple[int | None, list[str]]:
    """The lowest level at which a limit is broken, and what broke there."""
    levels = sorted({level for hists in op_hist.operations.values() for level in hists})
    for level in levels:
        broken = []
        for rule in rules:
            if rule.level not in (None, level):
                continue
            value = _statistic(op_hist, rule.operation, level, rule.stat)
            if math.isfinite(value) and value > rule.limit_ms:
                broken.append(f"{rule.operation} {rule.stat} {value:,.1f} ms > "
                              f"{rule.limit_ms:g} ms")
        if broken:
            return level, broken
    return None, []


def answer(op_hist: MetricLatencyOpHist, settings: dict[str, dict[str, str]], *,
           title: str) -> Answer:
    axis = op_hist.axis
    rules, note = run_rules(settings, op_hist)
    level, reasons = breaking_level(op_hist, rules)
    levels = sorted({lv for hists in op_hist.operations.values() for lv in hists})
    if note:
        sentence = f"Write and visible latency by {AXIS_LABELS.get(axis, axis)}: {note}."
    elif level is not None:
        sentence = f"Breaks at {axis} {level}: {'; '.join(reasons)}."
    else:
        sentence = (f"Holds its limits at every {axis} measured"
                    f"{f' (up to {levels[-1]})' if levels else ''}.")
    return Answer(sentence, level, _figure(op_hist, rules, level, title=title), reasons)


def _figure(op_hist: MetricLatencyOpHist, rules: list[Any], broken_at: int | None, *,
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
            if rule.operation != operation:
                continue
            label = f"limit {operation} {rule.stat} {rule.limit_ms:g} ms"
            if rule.level is None:
                ax.axhline(rule.limit_ms, color=colour, linestyle=":", label=label)
            else:
                ax.plot([rule.level], [rule.limit_ms], marker="_", markersize=18, color=colour,
                        linestyle="none", label=f"{label} at {rule.level}")
            values.append(rule.limit_ms)
    if broken_at is not None:
        ax.axvline(broken_at, color="tab:red", alpha=0.6, label=f"breaks at {broken_at}")
    level_axes(ax, levels, values, axis=op_hist.axis, ylabel="latency (ms)", title=title)
    ax.legend(fontsize=8)
    return Figure.from_matplotlib(figure)
