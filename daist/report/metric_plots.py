"""Renderings of the metric-latency models: a latency histogram per operation and level, p50/p95/
p99 against the swept level per operation, reports done and write latency over time per level,
and a text table.

Figures are made with matplotlib's object API on the Agg canvas: no pyplot, no GUI backend, no
global figure registry, so nothing stays open and nothing can block. matplotlib is imported only
when a plot is made.
"""
from __future__ import annotations

import math
from typing import Any, Mapping
from urllib.parse import urlsplit

from daist.models.base import Figure
from daist.models.metric_latency import (STATISTICS, Hist, LatencySeries, MetricLatencyOpHist,
                                         MetricLatencySweep)
from daist.models.percentiles import min_samples, percentile_number, told, told_stats

AXIS_LABELS = {"concurrency": "concurrently reporting trials", "metric_count": "metrics per report"}
LOG_SPREAD = 20.0
"""Use a log axis once the largest value is this many times the smallest."""
_LINES = (("p50", "tab:blue"), ("p95", "tab:orange"), ("p99", "tab:red"))


def new_figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    figure = MplFigure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _context_text(context: Mapping[str, object]) -> str:
    """``key: value`` pairs; a loopback URL loses its port (an embedded stand-in's is random,
    and would make every run's titles differ)."""
    def shown(value: object) -> object:
        if isinstance(value, str) and "://" in value:
            url = urlsplit(value)
            if url.hostname in LOOPBACK and url.port:
                return f"{url.scheme}://{url.hostname}"
        return value
    return "   ".join(f"{key}: {shown(value)}" for key, value in context.items())


def hist_figure(hist: Hist, *, operation: str, axis: str, level: int,
                context: Mapping[str, object] = {}) -> Figure:
    """The distribution of one operation at one level, with p50/p95/p99 marked."""
    import numpy as np

    figure = new_figure(8, 5)
    ax = figure.add_subplot()
    samples = np.asarray(hist.samples, dtype=float)
    stats = hist.stats()
    positive = samples[samples > 0]
    if positive.size and positive.max() / positive.min() > LOG_SPREAD:
        bins = np.geomspace(positive.min(), positive.max(), 51)
        ax.set_xscale("log")
        samples = positive
    else:
        bins = 50
    if samples.size:
        ax.hist(samples, bins=bins, color="tab:gray")
        for name, colour in _LINES:
            if told(name, samples.size):
                ax.axvline(stats[name], color=colour, linestyle="--",
                           label=f"{name} {stats[name]:.2f} ms")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper right")
    from matplotlib.ticker import MaxNLocator
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts are whole
    ax.set_xlabel(f"{operation} latency (ms)")
    ax.set_ylabel("reports" if operation in ("enqueue", "write", "visible") else "reads")
    ax.set_title(f"{operation} at {axis} {level} "
                 f"({stats['count']} samples, mean {stats['mean']:.2f} ms, max {stats['max']:.2f} ms)",
                 fontsize=10)
    if context:
        figure.suptitle(_context_text(context), fontsize=8)
    return Figure.from_matplotlib(figure)


def percentile_figure(op_hist: MetricLatencyOpHist, operation: str, *,
                      context: Mapping[str, object] = {}) -> Figure:
    """p50, p95 and p99 of one operation against the swept level."""
    figure = new_figure(8, 5)
    ax = figure.add_subplot()
    levels = op_hist.levels(operation)
    hists = op_hist.operations.get(operation, {})
    stats = [told_stats(hists[level].stats()) for level in levels]  # one pass per level
    values = []
    for name, colour in _LINES:
        ys = [s[name] for s in stats]
        values.extend(y for y in ys if math.isfinite(y) and y > 0)
        ax.plot(levels, ys, marker="o", color=colour, label=name)
    level_axes(ax, levels, values, axis=op_hist.axis, ylabel=f"{operation} latency (ms)",
               title=f"{operation} latency percentiles by {op_hist.axis}")
    ax.legend()
    if op_hist.invalid_levels:  # measured at the generator's limit: said, never drawn
        ax.set_xlabel(f"{op_hist.axis} (INVALID, not plotted: "
                      f"{', '.join(map(str, sorted(op_hist.invalid_levels)))})")
    if context:
        figure.suptitle(_context_text(context), fontsize=8)
    return Figure.from_matplotlib(figure)


def level_axes(ax: Any, levels: list[int], values: list[float], *, axis: str, ylabel: str,
               title: str) -> None:
    """Axes of latencies against the swept level: log scales where the range is wide, a tick
    at every level measured."""
    if levels and max(levels) / min(levels) >= 4:
        ax.set_xscale("log", base=2)
    if values and max(values) / min(values) > LOG_SPREAD:
        ax.set_yscale("log")
    ax.set_xticks(levels, [str(level) for level in levels])
    ax.set_xlabel(AXIS_LABELS.get(axis, axis))
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)


def shown_percentiles(count: int) -> list[str]:
    """The marked percentiles (p50, p95, p99) that ``count`` samples can tell."""
    return [name for name, _ in _LINES if told(name, count)]


def faceted_figure(op_hist: MetricLatencyOpHist, *, title: str) -> Figure | None:
    """Every operation (rows) at every level (columns) in one figure: histograms on shared
    bins and axes, with the percentiles marked only where there are samples enough."""
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    operations = [op for op, hists in op_hist.operations.items() if any(h.count for h in hists.values())]
    levels = sorted({level for op in operations for level in op_hist.operations[op]})
    if not operations or not levels:
        return None
    values = np.asarray([v for op in operations for h in op_hist.operations[op].values()
                         for v in h.samples], dtype=float)
    positive = values[values > 0]
    log = bool(positive.size) and positive.max() / positive.min() > LOG_SPREAD
    bins = (np.geomspace(positive.min(), positive.max(), 31) if log
            else np.linspace(values.min(), values.max() if values.max() > values.min()
                             else values.min() + 1, 31))
    figure = new_figure(min(2.6 * len(levels) + 1, 14), 1.9 * len(operations) + 1)
    grid = figure.subplots(len(operations), len(levels), sharex=True, sharey="row", squeeze=False)
    for row, operation in enumerate(operations):
        for col, level in enumerate(levels):
            ax = grid[row][col]
            hist = op_hist.operations[operation].get(level)
            count = hist.count if hist is not None else 0
            if count:
                ax.hist(hist.samples, bins=bins, color="tab:gray")
                stats = hist.stats()
                for name, colour in _LINES:
                    if name in shown_percentiles(count):
                        ax.axvline(stats[name], color=colour, linestyle="--", linewidth=1,
                                   label=name)
            if log:
                ax.set_xscale("log")
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_title(f"{operation}, {op_hist.axis} {level} (n={count})", fontsize=8)
            ax.tick_params(labelsize=7)
            if col == 0:
                ax.set_ylabel("count", fontsize=8)
            if row == len(operations) - 1:
                ax.set_xlabel("latency (ms)", fontsize=8)
    handles, labels = max((ax.get_legend_handles_labels() for row in grid for ax in row),
                          key=lambda found: len(found[0]))
    figure.suptitle(f"{title}: p95 marked from {min_samples(95)} samples, p99 from "
                    f"{min_samples(99)}", fontsize=9)
    if handles:
        figure.legend(handles, labels, loc="outside lower center", ncols=len(handles), fontsize=7)
    return Figure.from_matplotlib(figure)


MAX_SLICES = 20
"""Write latency percentiles over time are drawn per equal time slice of a level: at most this
many, and fewer for a short level so a slice holds about twice the reports a p95 needs."""


def progress_figure(sweep: MetricLatencySweep, *, title: str) -> Figure | None:
    """Per level (columns): reports done by all trials (top) and write latency, every report
    and its p50/p95 per time slice (bottom), against seconds since the level started. A level
    from a file that keeps no send times is drawn against each trial's report number, and
    says so."""
    series = [s for s in sweep.series if s.observations]
    if not series:
        return None
    figure = new_figure(min(max(3.4 * len(series) + 1, 7.5), 14), 5.6)  # the title fits
    grid = figure.subplots(2, len(series), sharey="row", squeeze=False)
    for col, level in enumerate(series):
        done_ax, write_ax = grid[0][col], grid[1][col]
        if level.timed:
            _draw_over_time(done_ax, write_ax, level)
        else:
            _draw_by_report_number(done_ax, write_ax, level)
        done_ax.set_title(f"{sweep.axis} {level.level}: {len(level.observations)} reports of "
                          f"{len(level.trial_ids) or level.concurrency} trial(s)"
                          f"{'' if level.complete else ', cut short'}", fontsize=8)
        for ax in (done_ax, write_ax):
            ax.tick_params(labelsize=7)
            ax.grid(True, alpha=0.3)
    grid[0][0].set_ylabel("reports done (all trials)", fontsize=8)
    grid[1][0].set_ylabel("write latency (ms)", fontsize=8)
    handles, labels = max((ax.get_legend_handles_labels() for ax in grid[1]),
                          key=lambda found: len(found[0]))
    if handles:
        figure.legend(handles, labels, loc="outside lower center", ncols=len(handles), fontsize=7)
    figure.suptitle(f"{title}: reports done and write latency over time; p95 per slice from "
                    f"{min_samples(95)} reports", fontsize=9)
    return Figure.from_matplotlib(figure)


def _draw_over_time(done_ax: Any, write_ax: Any, level: LatencySeries) -> None:
    import numpy as np

    from matplotlib.ticker import MaxNLocator

    start = level.started_unix  # drawn only for a timed level: every report has its send time
    ordered = sorted(level.observations, key=lambda o: o.sent_unix)
    seconds = np.asarray([o.sent_unix - start for o in ordered], dtype=float)
    writes = np.asarray([o.write_ms for o in ordered], dtype=float)
    done_ax.step(seconds, np.arange(1, seconds.size + 1), where="post", color="tab:green")
    done_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    write_ax.scatter(seconds, writes, s=4, alpha=0.3, color="tab:gray", label="one report")
    end = float(seconds.max()) if seconds.size else 0.0
    slices = max(1, min(MAX_SLICES, seconds.size // (2 * min_samples(95))))
    edges = np.linspace(0.0, end if end > 0 else 1.0, slices + 1)
    slot = np.clip(np.searchsorted(edges, seconds, side="right") - 1, 0, slices - 1)
    middles = (edges[:-1] + edges[1:]) / 2
    for name, colour in _LINES[:2]:
        need = min_samples(percentile_number(name))
        xs, ys = [], []
        for i in range(slices):
            values = writes[slot == i]
            if values.size >= need:
                xs.append(float(middles[i]))
                ys.append(float(np.percentile(values, float(name[1:]))))
        if xs:
            write_ax.plot(xs, ys, marker=".", color=colour, label=f"{name} per slice")
    write_ax.set_xlabel("seconds since the level started", fontsize=8)


def _draw_by_report_number(done_ax: Any, write_ax: Any, level: LatencySeries) -> None:
    import numpy as np

    note = "report number in its trial\n(this file keeps no send times)"
    by_index: dict[int, list[float]] = {}
    for obs in level.observations:
        by_index.setdefault(obs.index, []).append(obs.write_ms)
    indices = sorted(by_index)
    numbers = [i + 1 for i in indices]
    done_ax.step(numbers, np.cumsum([len(by_index[i]) for i in indices]), where="post",
                 color="tab:green")
    write_ax.scatter([o.index + 1 for o in level.observations],
                     [o.write_ms for o in level.observations], s=4, alpha=0.3,
                     color="tab:gray", label="one report")
    write_ax.plot(numbers, [float(np.median(by_index[i])) for i in indices], color="tab:blue",
                  label="p50 per report number")
    write_ax.set_xlabel(note, fontsize=8)


def table_text(op_hist: MetricLatencyOpHist, *, title: str = "") -> str:
    """A fixed-width table: one row per (operation, level), statistics in ms."""
    header = ["operation", op_hist.axis, *STATISTICS]
    rows = [header]
    for row in map(told_stats, op_hist.rows()):
        cells = [str(row["operation"]), str(row[op_hist.axis]), str(row["count"])]
        cells += [f"{row[name]:.3f}" if math.isfinite(row[name]) else "-" for name in STATISTICS[1:]]
        rows.append(cells)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [title] if title else []
    if op_hist.parameters:
        lines.append("parameters: " + ", ".join(f"{k}={v}" for k, v in op_hist.parameters.items()))
    lines.append("latencies in ms")
    for i, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if j < 2 else c.rjust(w)
                               for j, (c, w) in enumerate(zip(r, widths))))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    for level, reason in sorted(op_hist.invalid_levels.items()):
        lines.append(f"{op_hist.axis} {level}: INVALID, not plotted: {reason}")
    return "\n".join(lines) + "\n"
