"""The scaling curve of a user sweep: throughput and p95 against users, the knee marked; and
the capacity curve of a capacity search, the capacity marked."""
from __future__ import annotations

from daist.framework.usl import UslFit
from daist.models.base import Figure
from daist.models.capacity import Capacity
from daist.models.locust import StepPoint
from daist.models.percentiles import told_value
from daist.report import fmt


def scaling_figure(steps: list[StepPoint], *, title: str) -> Figure:
    """A PNG: requests/s (left axis) and p95 ms (right axis) per user count."""
    import matplotlib
    matplotlib.use("Agg", force=True)  # no display, never blocks
    import matplotlib.pyplot as plt

    users = [s.users for s in steps]
    figure, rps_axis = plt.subplots(figsize=(8, 4.5), dpi=100)
    try:
        rps_axis.plot(users, [s.rps for s in steps], "o-", color="tab:blue", label="requests/s")
        rps_axis.set_xlabel("users")
        rps_axis.set_ylabel("requests/s", color="tab:blue")
        if len(users) > 1 and min(users) > 0 and max(users) / min(users) >= 8:
            rps_axis.set_xscale("log", base=2)
        rps_axis.set_xticks(users, [str(u) for u in users])
        p95_axis = rps_axis.twinx()
        p95s = [told_value(s.p95_ms, "p95", s.num_requests) for s in steps]  # NaN: too few
        p95_axis.plot(users, p95s, "s--", color="tab:red", label="p95 ms")
        p95_axis.set_ylabel("p95 latency (ms)", color="tab:red")
        rps_axis.set_ylim(bottom=0)
        p95_axis.set_ylim(bottom=0)
        for index, step in enumerate(steps):
            if step.knee:
                right_half = index >= len(steps) / 2  # keep the label inside the plot
                rps_axis.axvline(step.users, color="gray", linestyle=":")
                rps_axis.annotate(f"knee: {step.users} users\n{step.rps:,.0f} req/s, "
                                  f"p95 {fmt.ms(p95s[index])} ms", (step.users, step.rps),
                                  textcoords="offset points", xytext=(-8 if right_half else 8, -30),
                                  ha="right" if right_half else "left", fontsize=8)
        rps_axis.set_title(title)
        rps_axis.grid(True, alpha=0.3)
        figure.tight_layout()
        return Figure.from_matplotlib(figure)
    finally:
        plt.close(figure)


def capacity_figure(capacity: Capacity, *, title: str) -> Figure:
    """A PNG: throughput (left) and p95 (right) of every judged step against its level, the
    capacity marked, the USL fit drawn over the measured range only."""
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    steps = sorted(capacity.steps, key=lambda s: s.level)
    colors = {"kept": "tab:green", "broke": "tab:red"}
    figure, rate_axis = plt.subplots(figsize=(8, 4.5), dpi=100)
    try:
        levels = [s.level for s in steps]
        rate_axis.plot(levels, [s.throughput for s in steps], "-", color="tab:blue", alpha=0.4)
        for step in steps:
            rate_axis.plot(step.level, step.throughput, "o", color=colors.get(step.outcome, "gray"))
        if capacity.usl and len(levels) > 1:
            low, high = min(levels), max(levels)
            grid = [low + (high - low) * i / 100 for i in range(101)]
            fit = UslFit(**capacity.usl)
            rate_axis.plot(grid, [fit.predict(n) for n in grid], ":", color="tab:blue",
                           label=f"USL fit (R\u00b2 {fit.r_squared:.2f})")
            rate_axis.legend(loc="upper left", fontsize=8)
        rate_axis.set_xlabel(capacity.unit)
        rate_axis.set_ylabel("requests/s (green kept, red broke)", color="tab:blue")
        latency_axis = rate_axis.twinx()
        told = [s for s in steps if s.p95_ms is not None]
        latency_axis.plot([s.level for s in told], [s.p95_ms for s in told], "s--",
                          color="tab:red")
        latency_axis.set_ylabel("p95 latency (ms)", color="tab:red")
        rate_axis.set_ylim(bottom=0)
        latency_axis.set_ylim(bottom=0)
        if capacity.capacity:
            rate_axis.axvline(capacity.capacity, color="gray", linestyle=":")
            bound = "at least " if capacity.at_least else ""
            rate_axis.annotate(f"capacity: {bound}{capacity.capacity} {capacity.unit}",
                               (capacity.capacity, 0), textcoords="offset points",
                               xytext=(4, 8), fontsize=8)
        rate_axis.set_title(title)
        rate_axis.grid(True, alpha=0.3)
        figure.tight_layout()
        return Figure.from_matplotlib(figure)
    finally:
        plt.close(figure)
