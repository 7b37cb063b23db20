"""The load test's parts of a run's summary and HTML page (declared in ``rest_api/kind.py``):
the test's line, limits, slowest endpoints, failures and user sweep, the target's evidence
(shared, ``report.evidence``), its plots (over time, latency per endpoint, the scaling curve),
and the capacity search's answer."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from daist.framework.usl import UslFit
from daist.models.base import Figure
from daist.models.capacity import Capacity
from daist.models.history import LocustStatsHistory
from daist.models.locust import LocustStatsList
from daist.models.percentiles import min_samples
from daist.report import fmt
from daist.report.evidence import evidence_lines
from daist.report.figures import Plot, data_uri, declared_plots, saved_title
from daist.report.html import evidence_context
from daist.models.limits import LOAD
from daist.report.limits import break_texts, limit_checks, run_limits
from daist.report.loader import RunData
from daist.report.summary import (WIDTH, checks_of, endpoint_lines, failure_rows, limit_lines,
                                  load_line, saturation_warning, slowest, told_steps)

TEMPLATE = Path(__file__).with_name("load_test.html")


SLOWEST_SHOWN = 5
MAX_ENDPOINTS = 30


def load_text(run: RunData, key: str) -> list[str]:
    stats = run.locust[key].stats
    lines = [f"Load {key}: {load_line(stats)}"]
    warning = saturation_warning(stats)
    if warning:
        lines.append(f"  WARNING: {warning}")
    lines += limit_lines(checks_of(run, key))
    lines += endpoint_lines(stats)
    return lines + evidence_lines(run, key)


def capacity_keys(run: RunData) -> list[str]:
    return list(run.artifacts.get(Capacity.__name__, {}))


def capacity_text(run: RunData, key: str) -> list[str]:
    """The capacity search's answer and steps."""
    capacity = run.artifact_of(Capacity, key)
    lines = [f"Capacity {key}: {capacity.headline}"]
    lines += [f"  {step.level:>6} {step.outcome:9} {step.throughput:9,.1f}/s  "
              f"{fmt.shorten(step.decided_by, WIDTH - 34)}"
              for step in sorted(capacity.steps, key=lambda s: s.level)]
    if capacity.usl:
        lines.append(f"  {UslFit(**capacity.usl).text}")
    return lines


def load_section(run: RunData, key: str) -> dict[str, Any]:
    stats = run.locust[key].stats
    slo = run_limits(run, key, LOAD.key)
    breaks = {} if slo is None else {e.key: break_texts(e, slo) for e in stats.entries}
    return {"key": key, "file": run.locust[key].file, "line": load_line(stats),
            "warning": saturation_warning(stats),
            "checks": limit_checks(stats, slo) if slo is not None else None,
            "breaks": {k: v for k, v in breaks.items() if v},
            "slowest": slowest(stats, limit=SLOWEST_SHOWN), "failures": failure_rows(stats, limit=None),
            "endpoints": sorted(stats.entries, key=lambda e: (-e.hdr.p95_ms, e.key)),
            "steps": told_steps(stats.steps), "plots": load_test_plots(run, key), **evidence_context(run, key)}


def load_test_plots(run: RunData, key: str) -> list[Plot]:
    test = run.locust[key]
    plots = declared_plots(run, key)
    drawn = endpoint_latency_figure(test.stats, title=f"{key}: latency per endpoint")
    if drawn is not None:
        plots.append(Plot("Latency per endpoint", data_uri(drawn), f"drawn from {test.file}"))
    saved = [f for f in run.figures_of(test.key) if f.classname == LocustStatsList.__name__]
    for item in saved:
        plots.append(Plot(saved_title(item.tags, "Scaling curve"), data_uri(item.figure), item.file))
    if test.stats.steps and not saved:
        from daist.report.scaling_plot import scaling_figure
        figure = scaling_figure(test.stats.steps, title=f"{key}: scaling curve")
        plots.append(Plot("Scaling curve", data_uri(figure), f"drawn from {test.file}"))
    return plots


def timeline_plots(run: RunData, key: str, history: LocustStatsHistory) -> list[Plot]:
    from daist.report.timeline_plot import timeline_figure

    figure = timeline_figure(history, title=f"{key} over time")
    if figure is None:
        return []
    source = run.artifacts[LocustStatsHistory.__name__][key].file
    return [Plot("Over time: requests/s, latency, users", data_uri(figure), f"drawn from {source}")]


def endpoint_latency_figure(stats: LocustStatsList, *, title: str) -> Figure | None:
    """Horizontal bars of p50/p95/p99 per endpoint, the slowest (by p95) on top."""
    ranked = slowest(stats, limit=MAX_ENDPOINTS)
    if not ranked:
        return None
    measured = sum(1 for e in stats.entries if e.hdr.count)
    if len(ranked) < measured:
        title += f" (the slowest {len(ranked)} of {measured} endpoints by p95)"
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    figure = MplFigure(figsize=(9, 1.2 + 0.28 * len(ranked)), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    names = [fmt.shorten(f"{e.method} {e.test_name}", 60) for e in reversed(ranked)]
    positions = range(len(names))
    height = 0.27
    for offset, (label, colour) in zip((-height, 0.0, height), (("p50", "tab:blue"),
                                                                 ("p95", "tab:orange"),
                                                                 ("p99", "tab:red"))):
        values = [e.hdr.shown(label) for e in reversed(ranked)]  # NaN (no bar): too few samples
        told = [(p + offset, v) for p, v in zip(positions, values) if math.isfinite(v)]
        ax.barh([p for p, _ in told], [v for _, v in told], height=height, color=colour,
                label=label)
    ax.set_yticks(list(positions), names, fontsize=8)
    values = [v for e in ranked for v in (e.hdr.shown("p99"), e.hdr.shown("p50"))
              if math.isfinite(v)]
    if values and min(values) > 0 and max(values) / min(values) > 50:
        ax.set_xscale("log")
    ax.set_xlabel("latency (ms, exact HDR percentiles of the steady-state window; p95 from "
                  f"{min_samples(95)} requests, p99 from {min_samples(99)})")
    ax.set_title(title, fontsize=10)
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(loc="lower right")
    return Figure.from_matplotlib(figure)
