"""The over-time figure of a load test, from its ``LocustStatsHistory``: requests/s and
failures/s (each on an axis of its own), latency percentiles and running users on one shared
time axis, with warm-up and the steady-state window marked. Rates are per interval's own
length (a partial first or last interval is shorter)."""
from __future__ import annotations

from daist.models.base import Figure
from daist.models.history import ALL, LocustStatsHistory
from daist.models.percentiles import min_samples, told_value

WARMUP_COLOUR = "#fff1c2"
WINDOW_COLOUR = "#dff3e4"


def timeline_figure(history: LocustStatsHistory, *, title: str) -> Figure | None:
    """None when the history has no interval."""
    if not history.intervals:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    figure = MplFigure(figsize=(10, 6.4), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    rate_ax, latency_ax, users_ax = figure.subplots(3, 1, sharex=True,
                                                    gridspec_kw={"height_ratios": [3, 3, 1.4]})
    intervals = history.intervals
    middle = [i.t_s + i.length_s / 2 for i in intervals]
    rate_ax.plot(middle, [i.per_second(i.all.requests) for i in intervals], "-",
                 color="tab:blue", label="requests/s")
    rate_ax.set_ylabel("requests/s", color="tab:blue")
    rate_ax.set_ylim(bottom=0)
    failures = [i.per_second(i.all.failures) for i in intervals]
    if any(failures):  # an axis of their own: a few failures/s vanish beside 1,000 requests/s
        failure_ax = rate_ax.twinx()
        failure_ax.plot(middle, failures, "-", color="tab:red", label="failures/s")
        failure_ax.set_ylabel("failures/s", color="tab:red")
        failure_ax.set_ylim(bottom=0)
        failure_ax.legend(loc="upper right", fontsize=8)
    for name, style in (("p50", ":"), ("p95", "-"), ("p99", "--")):
        values = [told_value(getattr(i.all, f"{name}_ms"), name, i.all.requests)
                  for i in intervals]
        latency_ax.plot(middle, values, style, color="tab:orange", label=f"{name} (all)")
    for scope in history.scope_names:
        if scope == ALL:
            continue
        values = [told_value(i.scopes[scope].p95_ms, "p95", i.scopes[scope].requests)
                  if scope in i.scopes else float("nan") for i in intervals]
        latency_ax.plot(middle, values, "-", linewidth=0.8, alpha=0.7, label=f"p95 {scope}")
    latency_ax.set_ylabel(f"latency (ms; p95 from {min_samples(95)}, p99 from "
                          f"{min_samples(99)} requests)", fontsize=8)
    latency_ax.set_ylim(bottom=0)
    users_ax.step([i.t_s for i in intervals], [i.users for i in intervals], where="post",
                  color="tab:gray")
    users_ax.set_ylabel("users")
    users_ax.set_ylim(bottom=0)
    users_ax.set_xlabel(f"seconds since the first request (intervals of {history.interval_s:g} s)")
    spans = []
    if history.warmup_start_s is not None and history.window_start_s is not None:
        spans.append((history.warmup_start_s, history.window_start_s, WARMUP_COLOUR, "warm-up"))
    if history.window_start_s is not None and history.window_end_s is not None:
        spans.append((history.window_start_s, history.window_end_s, WINDOW_COLOUR,
                      "steady-state window (measured)"))
    for ax in (rate_ax, latency_ax, users_ax):
        for start, end, colour, label in spans:
            ax.axvspan(start, end, color=colour, zorder=0, label=label if ax is rate_ax else None)
        ax.grid(True, alpha=0.3)
    rate_ax.legend(loc="upper left", fontsize=8, ncols=4)
    latency_ax.legend(loc="upper left", fontsize=8, ncols=4)
    rate_ax.set_title(title, fontsize=10)
    return Figure.from_matplotlib(figure)
