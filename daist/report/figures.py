"""The plots of the HTML page: the saved PNGs of each test where the run wrote them, and the
ones drawn here from the data (over time, per-endpoint latency, a sweep curve whose PNG is
missing). matplotlib's object API on the Agg canvas: no pyplot state, no display.

Showing a new artifact type: a kind declares it with a function that draws it for a test
(``daist.framework.kinds.Artifact(ModelClass, plot=...)``); the loader then reads that class."""
from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from daist.framework.kinds import KINDS
from daist.models.base import Figure
from daist.models.history import LocustStatsHistory
from daist.models.locust import LocustStatsList
from daist.models.metric_latency import MetricLatencySweep
from daist.models.percentiles import min_samples
from daist.report import fmt
from daist.report.loader import RunData
from daist.report.summary import slowest

MAX_ENDPOINTS = 30
MAX_OTHER_PLOTS = 40
"""Saved PNGs of tests without data embedded at most (each is ~35 kB)."""


@dataclass(frozen=True)
class Plot:
    title: str
    data_uri: str
    source: str
    """The saved file it came from, or "drawn from <file>"."""


def data_uri(figure: Figure) -> str:
    return "data:image/png;base64," + base64.b64encode(figure.png).decode("ascii")


def declared_plots(run: RunData, key: str) -> list[Plot]:
    """What the kinds' declared plotters draw from a test's artifacts."""
    plots: list[Plot] = []
    for declared in KINDS.artifacts():
        artifact = run.artifact_of(declared.cls, key) if declared.plot else None
        if artifact is not None:
            plots += declared.plot(run, key, artifact)
    return plots


def timeline_plots(run: RunData, key: str, history: LocustStatsHistory) -> list[Plot]:
    from daist.report.timeline_plot import timeline_figure

    figure = timeline_figure(history, title=f"{key} over time")
    if figure is None:
        return []
    source = run.artifacts[LocustStatsHistory.__name__][key].file
    return [Plot("Over time: requests/s, latency, users", data_uri(figure), f"drawn from {source}")]


def progress_plots(run: RunData, key: str, sweep: MetricLatencySweep) -> list[Plot]:
    from daist.report.metric_plots import progress_figure

    figure = progress_figure(sweep, title=key)
    if figure is None:
        return []
    source = run.artifacts[MetricLatencySweep.__name__][key].file
    return [Plot("Reports done and write latency over time, per level", data_uri(figure),
                 f"drawn from {source}")]


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


def load_test_plots(run: RunData, key: str) -> list[Plot]:
    test = run.locust[key]
    plots = declared_plots(run, key)
    drawn = endpoint_latency_figure(test.stats, title=f"{key}: latency per endpoint")
    if drawn is not None:
        plots.append(Plot("Latency per endpoint", data_uri(drawn), f"drawn from {test.file}"))
    saved = [f for f in run.figures_of(test.key) if f.classname == LocustStatsList.__name__]
    for item in saved:
        plots.append(Plot(_title(item.tags, "Scaling curve"), data_uri(item.figure), item.file))
    if test.stats.steps and not saved:
        from daist.report.scaling_plot import scaling_figure
        figure = scaling_figure(test.stats.steps, title=f"{key}: scaling curve")
        plots.append(Plot("Scaling curve", data_uri(figure), f"drawn from {test.file}"))
    return plots


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


def other_plots(run: RunData) -> list[Plot]:
    """Saved PNGs of tests that have no load or metric data in this run (e.g. a crashed test)."""
    shown = {key for section in KINDS.sections() if section.template is not None
             for key in section.keys(run)}
    return [Plot(f"{f.key} {_title(f.tags, f.classname)}", data_uri(f.figure), f.file)
            for f in run.figures if f.key not in shown][:MAX_OTHER_PLOTS]


def _title(tags: tuple[str, ...], default: str) -> str:
    return " ".join(tags) if tags else default
