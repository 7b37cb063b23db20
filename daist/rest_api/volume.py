"""The data-volume sweep of ``TestVolume``: latency of the read-only mix against the number of
experiments on the master. One ``VolumePoint`` per level (the load's stats at that many seeded
experiments); from them a table of p50/p95 per endpoint class, a plot of p95 per class, and the
endpoints whose p95 grows fastest from the first level to the last."""
from __future__ import annotations

import math
from dataclasses import dataclass

from daist.models.base import Figure
from daist.models.locust import EndpointStats, LocustStatsList
from daist.models.percentiles import told_value
from daist.report.compare import REGRESSION, Thresholds, adjust_p_values
from daist.report.compare_measures import judge_measure, single_run_latency

FASTEST = 5  # endpoints named in the summary


@dataclass(frozen=True)
class VolumePoint:
    experiments: int
    """Experiments on the master while this level's load ran (seeded and others)."""
    stats: LocustStatsList


def _percentile(histogram: dict[int, int], q: float) -> float:
    """Of Locust's rounded response-time histogram ({ms bucket: count})."""
    total = sum(histogram.values())
    if total == 0:
        return 0.0
    rank = q * total
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return float(bucket)
    return float(max(histogram))


def _ms(value: float) -> str:
    return f"{value:.0f}" if math.isfinite(value) else "-"


def _reads(stats: LocustStatsList) -> list[EndpointStats]:
    return [e for e in stats.entries if e.num_requests > 0 and e.test_name
            and e.test_name not in ("login", "logout")]


def class_percentiles(stats: LocustStatsList) -> dict[str, tuple[float, float]]:
    """endpoint class -> (p50, p95) ms over every request of its endpoints (NaN: too few
    requests to tell it)."""
    merged: dict[str, dict[int, int]] = {}
    for entry in _reads(stats):
        into = merged.setdefault(entry.endpoint_class or "other", {})
        for bucket, count in entry.locust.response_times.items():
            into[int(bucket)] = into.get(int(bucket), 0) + int(count)
    return {name: (told_value(_percentile(h, 0.50), "p50", sum(h.values())),
                   told_value(_percentile(h, 0.95), "p95", sum(h.values())))
            for name, h in sorted(merged.items())}


def table_text(points: list[VolumePoint], *, title: str) -> str:
    levels = [p.experiments for p in points]
    per_level = [class_percentiles(p.stats) for p in points]
    classes = sorted({name for level in per_level for name in level})
    header = ["class"] + [f"p50@{n}" for n in levels] + [f"p95@{n}" for n in levels]
    rows = [header]
    for name in classes:
        rows.append([name] + [_ms(lv[name][0]) if name in lv else "-" for lv in per_level]
                    + [_ms(lv[name][1]) if name in lv else "-" for lv in per_level])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [title, "latency (ms) per endpoint class against experiments on the master", ""]
    lines += ["  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in
                        enumerate(zip(row, widths))) for row in rows]
    fastest = fastest_growing(points)
    lines += ["", f"fastest-growing p95 from {levels[0]} to {levels[-1]} experiments (growth "
                  "beyond the noise, judged as compare judges one run per side):"]
    lines += [f"  {name}: {first:.1f} -> {last:.1f} ms (x{last / first:.1f})"
              for name, first, last in fastest] or ["  none"]
    return "\n".join(lines) + "\n"


def fastest_growing(points: list[VolumePoint], count: int = FASTEST,
                    ) -> list[tuple[str, float, float]]:
    """(endpoint, first p95, last p95) of the endpoints whose p95 grew from the first level to
    the last beyond the noise, judged as ``compare`` judges one run per side (the blocks of each
    window, its thresholds for a p95, Holm's correction over the endpoints); largest growth
    first. An endpoint too few requests tell a p95 of is never named."""
    if len(points) < 2:
        return []
    first, last = points[0].stats, points[-1].stats
    later = {e.key: e for e in _reads(last)}
    judged = [(entry.test_name, judge_measure(Thresholds(), single_run_latency(
        "p95", (entry, first), (later[entry.key], last))))
        for entry in _reads(first) if entry.key in later]
    adjust_p_values([result for _, result in judged])
    grown = [(name, r.base, r.cand) for name, r in judged if r.verdict == REGRESSION]
    grown.sort(key=lambda row: row[2] / row[1], reverse=True)
    return grown[:count]


def volume_figure(points: list[VolumePoint], *, title: str) -> Figure:
    """A PNG: p95 per endpoint class against experiments (log x when the levels span 8x)."""
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    levels = [p.experiments for p in points]
    per_level = [class_percentiles(p.stats) for p in points]
    classes = sorted({name for level in per_level for name in level})
    figure, axis = plt.subplots(figsize=(8, 4.5), dpi=100)
    try:
        for name in classes:
            xs = [n for n, lv in zip(levels, per_level) if name in lv]
            axis.plot(xs, [lv[name][1] for lv in per_level if name in lv], "o-", label=name)
        if len(levels) > 1 and min(levels) > 0 and max(levels) / min(levels) >= 8:
            axis.set_xscale("log")
        axis.set_xlabel("experiments on the master")
        axis.set_ylabel("p95 latency (ms)")
        axis.set_ylim(bottom=0)
        axis.set_title(title)
        axis.grid(True, alpha=0.3)
        axis.legend(title="endpoint class", fontsize=8)
        figure.tight_layout()
        return Figure.from_matplotlib(figure)
    finally:
        plt.close(figure)
