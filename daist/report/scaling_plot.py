"""The scaling curve of a user sweep: throughput and p95 against users, the knee marked."""
from __future__ import annotations

from daist.models.base import Figure
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
