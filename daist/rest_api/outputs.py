"""What a finished (or interrupted) ``LoadRun`` leaves: the ``LocustStatsList`` model, its
``LocustStatsHistory`` over time, and Locust's own CSV and HTML reports written from the live
environment."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from daist.models.history import LocustStatsHistory
from daist.models.locust import EndpointStats, LocustEntry, LocustStatsList, RunInfo
from daist.models.timestamp import Timestamp
from daist.rest_api.catalogue import CATALOGUE
from daist.rest_api.loadrun import LoadRun
from daist.engine.monitor import GeneratorMonitor

CSV_PERCENTILES = [0.5, 0.9, 0.95, 0.99, 0.999, 1.0]


def stats_list(load: LoadRun) -> LocustStatsList:
    plan, spec = load.plan, load.spec
    window_s = load.window_s
    run = RunInfo(plan=plan.record(), target=spec.host,
                  window_start=_stamp(load.window_start), window_end=_stamp(load.window_end),
                  interrupted=load.interrupted,
                  late_sends=load.recorder.late_sends, generator=load.usage,
                  block_s=load.recorder.block_s,
                  workers_reported=load.pool.reported if load.pool is not None else [],
                  saturated=GeneratorMonitor.saturated(load.usage))
    catalogue = {(t.test_name, t.method): t for t in CATALOGUE}
    locust_entries = {}
    if load.env is not None:
        locust_entries = {key: entry for key, entry in load.env.stats.entries.items()
                          if entry.num_requests or entry.num_failures}
    entries = []
    for name, method in sorted(set(load.recorder.keys()) | set(locust_entries)):
        entry: EndpointStats = load.recorder.entry(name, method, window_s=window_s)
        task = catalogue.get((name, method))
        entry.path = task.path if task else name
        entry.endpoint_class = task.endpoint_class if task else ""
        if (name, method) in locust_entries:
            entry.locust = LocustEntry.from_locust(locust_entries[(name, method)].serialize())
        entries.append(entry)
    return LocustStatsList(run=run, entries=entries, steps=list(load.steps))


def stats_history(load: LoadRun) -> LocustStatsHistory:
    return load.recorder.history(warmup_start=load.warmup_start,
                                 window_start=load.window_start, window_end=load.window_end)


def _stamp(value: float | None) -> Timestamp | None:
    return Timestamp(value) if value is not None else None


def write_locust_csv(env: Any, *, requests_path: Path, failures_path: Path) -> None:
    """Locust's ``_stats.csv`` and ``_failures.csv`` contents, written once at the end (the CLI's
    writer rewrites them every second and misses the last one)."""
    from locust.stats import StatsCSV

    writer = StatsCSV(env, CSV_PERCENTILES)
    for path, method in ((requests_path, writer.requests_csv), (failures_path, writer.failures_csv)):
        buffer = io.StringIO()
        method(csv.writer(buffer, lineterminator="\n"))
        path.write_text(buffer.getvalue(), encoding="utf-8")


def write_locust_html(env: Any, path: Path) -> None:
    from locust.html import get_html_report

    path.write_text(get_html_report(env, show_download_link=False), encoding="utf-8")
