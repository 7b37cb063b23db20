"""Change points over the perf-results history: the runs where an endpoint's p95 (or p99, RPS)
moved to a new level and stayed there, with the size of the shift and the commits on both sides.

Nightly perf history is noisy, so a row-to-row change says little; what matters is a level that
shifts and holds (the question MongoDB and Apache Otava answer with change-point detection).
``changepoints`` finds them; this module reads the series, each run with its machine type (the
tested master's host label, and the load generator's CPU count and platform from the run's
metadata: nights on two kinds of machine are two levels, not changes), and prints or draws
what was found."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from daist.db.connection import DbTarget, translating
from daist.db.history import require_current_schema

if TYPE_CHECKING:
    import psycopg

    from daist.db.changepoints import Change

MEASURES = {"p95": "ms", "p99": "ms", "rps": "requests/s"}

QUERY = ("SELECT test_name, method, system, time, commit, {measure}, machine FROM ("
         "  SELECT h.*, CASE WHEN d.id IS NOT NULL THEN concat_ws(' / ', d.host_label, "
         "    d.metadata->>'cpu_count', d.metadata->>'platform') END AS machine, "
         "    row_number() OVER (PARTITION BY h.test_name, h.system "
         "                       ORDER BY h.time DESC, h.perf_test_id DESC) AS age "
         "  FROM daist_endpoint_history h "
         "  LEFT JOIN daist_endpoints e ON e.perf_test_id = h.perf_test_id "
         "  LEFT JOIN daist_loads l ON l.id = e.load_id "
         "  LEFT JOIN daist_tests t ON t.id = l.test_ref "
         "  LEFT JOIN daist_runs d ON d.id = t.run_id "
         "  WHERE h.{measure} IS NOT NULL "
         "    AND (%(names)s::text[] IS NULL OR h.test_name = ANY(%(names)s)) "
         "    AND (%(system)s::text IS NULL OR h.system = %(system)s)) recent "
         "WHERE age <= %(last)s ORDER BY system NULLS FIRST, test_name, time, perf_test_id")
"""Each run's machine type: the master's host label, the generator's CPU count and platform
(None for rows daist did not write)."""


@dataclass(frozen=True)
class Point:
    time: datetime
    commit: str
    value: float
    machine: str | None = None


@dataclass
class Series:
    """One endpoint's measure over runs, oldest first."""

    test_name: str
    method: str | None
    system: str | None
    measure: str
    points: list[Point] = field(default_factory=list)

    @property
    def label(self) -> str:
        method = f" ({self.method})" if self.method else ""
        system = f" on {self.system}" if self.system else ""
        return f"{self.test_name}{method}{system}"

    @property
    def values(self) -> list[float]:
        return [p.value for p in self.points]

    @property
    def machines(self) -> list[str | None]:
        return [p.machine for p in self.points]

    @property
    def machine_types(self) -> int:
        return len({m for m in self.machines if m is not None})


def fetch_series(conn: psycopg.Connection, target: DbTarget, *, measure: str, last: int,
                 names: list[str] | None = None, system: str | None = None) -> list[Series]:
    if measure not in MEASURES:
        raise ValueError(f"measure {measure!r} is not one of {', '.join(MEASURES)}")
    with translating(target, doing="reading the history"):
        require_current_schema(conn, target)
        rows = conn.execute(QUERY.format(measure=measure),
                            {"names": names or None, "system": system, "last": last}).fetchall()
    found: dict[tuple[str, str | None], Series] = {}
    for test_name, method, row_system, time, commit, value, machine in rows:
        series = found.setdefault((test_name, row_system),
                                  Series(test_name, method, row_system, measure))
        series.method = series.method or method
        series.points.append(Point(time, commit or "", float(value), machine))
    return list(found.values())


def too_short(series: Series) -> bool:
    return len(series.points) < shortest_history()


def shortest_history() -> int:
    from daist.db.changepoints import MIN_SEGMENT

    return 2 * MIN_SEGMENT


def find_changes(series: Series) -> list[Change]:
    """The level shifts of one endpoint, each night judged with its machine type."""
    from daist.db.changepoints import detect  # numpy and ruptures: only when judging

    return detect(series.values, machines=series.machines)


def render_changes(found: list[tuple[Series, list[Change]]], *, measure: str) -> list[str]:
    """Per endpoint with a change: each shift, its size and the commits on both sides; then
    one line each for the endpoints without a change and those with too short a history."""
    unit = MEASURES[measure]
    lines: list[str] = []
    steady, short = [], []
    for series, changes in found:
        if too_short(series):
            short.append(f"{series.label} ({len(series.points)})")
            continue
        if not changes:
            steady.append(series.label)
            continue
        first, last = series.points[0].time, series.points[-1].time
        machines = (f" on {series.machine_types} machine types (levels on the most frequent)"
                    if series.machine_types > 1 else "")
        lines.append(f"{series.label}: {measure} over {len(series.points)} runs{machines} "
                     f"({_day(first)} to {_day(last)}), {len(changes)} change(s):")
        for change in changes:
            before, after = series.points[change.index - 1], series.points[change.index]
            lines.append(f"  {_stamp(after.time)}: {measure} {change.before:.3f} -> "
                         f"{change.after:.3f} {unit} ({change.ratio:+.1%}); commits "
                         f"{before.commit[:12] or '?'} (last before) -> "
                         f"{after.commit[:12] or '?'} (first after)")
    if steady:
        lines.append(f"No change in {measure}: {len(steady)} endpoint(s) "
                     f"({_names(steady)})")
    if short:
        lines.append(f"History too short to judge (fewer than {shortest_history()} runs): "
                     f"{_names(short)}")
    return lines


def changes_html(found: list[tuple[Series, list[Change]]], *, measure: str) -> str:
    """A self-contained page: each endpoint with a change, its history drawn with the change
    points and the levels on both sides marked."""
    from daist.report.figures import data_uri
    from daist.report.html import render

    plots = [{"label": series.label, "lines": render_changes([(series, changes)], measure=measure),
              "uri": data_uri(history_figure(series, changes))}
             for series, changes in found if changes]
    return render("changes.html", measure=measure, plots=plots,
                  text=render_changes(found, measure=measure))


def history_figure(series: Series, changes: list[Change]):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    from daist.models.base import Figure

    figure = MplFigure(figsize=(9, 3.6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    runs = list(range(len(series.points)))
    ax.plot(runs, series.values, "o-", color="tab:blue", markersize=3, label=series.measure)
    if series.machine_types > 1:  # each type's nights marked: the levels are the most frequent's
        for machine, color in zip(sorted({m for m in series.machines if m is not None}),
                                  ("tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:gray")):
            at = [i for i, m in enumerate(series.machines) if m == machine]
            ax.plot(at, [series.values[i] for i in at], "o", color=color, markersize=4,
                    label=machine[:48])
        ax.legend(fontsize=7, loc="best")
    bounds = [0, *(c.index for c in changes), len(runs)]
    levels = [changes[0].before, *(c.after for c in changes)]
    for (start, end), level in zip(zip(bounds, bounds[1:]), levels):
        ax.hlines(level, start - 0.4, end - 0.6, color="tab:orange", linewidth=2)
    for change in changes:
        ax.axvline(change.index - 0.5, color="tab:red", linestyle="--")
        ax.annotate(f"{change.ratio:+.0%}\n{series.points[change.index].commit[:8]}",
                    (change.index - 0.5, max(series.values)), fontsize=8, ha="left", va="top",
                    xytext=(3, 0), textcoords="offset points")
    ax.set_xlabel(f"run (oldest first; {_day(series.points[0].time)} to "
                  f"{_day(series.points[-1].time)})")
    ax.set_ylabel(f"{series.measure} ({MEASURES[series.measure]})")
    ax.set_title(f"{series.label}: {series.measure} with its change points", fontsize=10)
    ax.grid(True, alpha=0.3)
    return Figure.from_matplotlib(figure)


def _names(labels: list[str], shown: int = 6) -> str:
    more = len(labels) - shown
    return ", ".join(labels[:shown]) + (f" and {more} more" if more > 0 else "")


def _stamp(time: datetime) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ")


def _day(time: datetime) -> str:
    return time.strftime("%Y-%m-%d")
