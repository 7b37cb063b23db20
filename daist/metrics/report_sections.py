"""The metric-latency test's parts of a run's summary and HTML page (declared in
``metrics/kind.py``): the answer (one chart, one sentence), the latency table by level, and its
plots (every operation at every level; reports done over time)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from daist.models.limits import METRIC
from daist.models.metric_latency import MetricLatencySweep
from daist.models.percentiles import min_samples, percentile_number, told_stats
from daist.report import fmt
from daist.report.figures import Plot, data_uri, declared_plots
from daist.report.limits import run_limits
from daist.report.loader import RunData
from daist.report.metric_answer import answer
from daist.report.summary import metric_table

TEMPLATE = Path(__file__).with_name("metric_test.html")


TOLD = ("p90", "p95", "p99")
"""The percentiles whose sample needs the metric table's note states."""


def metric_text(run: RunData, key: str) -> list[str]:
    op_hist = run.metrics[key].op_hist
    params = ", ".join(f"{k}={v}" for k, v in op_hist.parameters.items())
    lines = [f"Metric latency {key}: p95 ms by {op_hist.axis}{f' ({params})' if params else ''}"]
    table = metric_table(op_hist)
    lines += fmt.columns(table, right=set(range(1, len(table[0]))), indent="  ")
    return lines + [f"  {op_hist.axis} {level}: INVALID, not shown: {reason}"
                    for level, reason in sorted(op_hist.invalid_levels.items())]


def metric_section(run: RunData, key: str) -> dict[str, Any]:
    """The answer first (one chart, the sentence), then the table; the per-level figures are
    folded below it."""
    op_hist = run.metrics[key].op_hist
    found = answer(op_hist, run_limits(run, key, METRIC.key), title=f"{key}: write and visible latency")
    chart = None
    if found.figure is not None:
        chart = Plot("Write and visible p50/p95 by " + op_hist.axis, data_uri(found.figure),
                     f"drawn from {run.metrics[key].file}")
    return {"key": key, "file": run.metrics[key].file, "axis": op_hist.axis,
            "parameters": ", ".join(f"{k} = {v}" for k, v in op_hist.parameters.items()),
            "rows": [_told(row, op_hist.axis) for row in op_hist.rows()],
            "needs": {name: min_samples(percentile_number(name)) for name in TOLD},
            "invalid": sorted(op_hist.invalid_levels.items()),
            "answer": found.sentence, "breaks": found.breaking_level is not None,
            "chart": chart, "plots": metric_test_plots(run, key)}


def _told(row: dict[str, Any], axis: str) -> dict[str, Any]:
    return {**told_stats(row), "level": row[axis]}


def metric_test_plots(run: RunData, key: str) -> list[Plot]:
    """One faceted figure of the test (every operation at every level), drawn from its data;
    the per-operation and per-level PNGs the run saved show the same data, so they are only
    counted."""
    from daist.report.metric_plots import faceted_figure

    test = run.metrics[key]
    plots = []
    figure = faceted_figure(test.op_hist, title=key)
    if figure is not None:
        saved = len(run.figures_of(test.key))
        note = f"; {saved} saved PNG(s) of the same data not shown" if saved else ""
        plots.append(Plot("Latency by operation and level", data_uri(figure),
                          f"drawn from {test.file}{note}"))
    return plots + declared_plots(run, key)


def progress_plots(run: RunData, key: str, sweep: MetricLatencySweep) -> list[Plot]:
    from daist.report.metric_plots import progress_figure

    figure = progress_figure(sweep, title=key)
    if figure is None:
        return []
    source = run.artifacts[MetricLatencySweep.__name__][key].file
    return [Plot("Reports done and write latency over time, per level", data_uri(figure),
                 f"drawn from {source}")]
