"""From a results directory to database rows, without a database: what one test uploads.

``collect_test(result, test_id)`` reads the test's data artifacts that a test kind declares rows
for (``daist.framework.kinds.Artifact.rows``: the load test's ``LocustStatsList`` and the metric
test's ``MetricLatencyOpHist``, ``MetricPayloadOpHist``; their PNG/TXT renderings share the
classname and are ignored) and maps each to plain row values. A file that cannot be read or does not fit
the columns becomes a ``Skipped`` entry naming the file, so the other files still upload.

The historical rows come from the models' own mapping (``PerfTestRow.of``: one row per
endpoint that saw requests). Their ``time`` is when the artifact was recorded in the manifest,
in whole seconds, as ``PerfTestRun`` stamps it: a fact of the directory, so uploading it twice
yields the same rows.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from daist.framework.kinds import KINDS
from daist.models.base import Format, refusal
from daist.models.db import PerfTestRow, PerfTestRunRow
from daist.models.locust import EndpointStats, LocustStatsList
from daist.models.metric_latency import MetricLatencyOpHist
from daist.models.percentiles import told_stats, told_value
from daist.models.result import Result
from daist.models.timestamp import Timestamp

DATA_FORMATS = (Format.JSON, Format.YAML)
"""Formats uploaded. A pickle is never read (``refusal``): it is named as skipped."""
INT4 = 2**31 - 1
INT8 = 2**63 - 1
ENDPOINT_PERCENTILE_COLUMNS = {"p90": "p90_ms", "p95": "p95_ms", "p99": "p99_ms",
                               "p99_9": "p999_ms"}
"""Told percentiles of an endpoint -> their ``daist_endpoints`` columns (as migration 0002 named
them; the metric rows' columns are the percentile keys themselves)."""


class RowError(ValueError):
    """An artifact's values do not fit the database columns."""


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path.name}: {self.reason}"


@dataclass(frozen=True)
class RunRow:
    """The run's identity (host_label, start_time, settings_digest) and metadata."""

    host_label: str
    start_time: datetime
    settings_digest: str
    end_time: datetime | None
    system: str
    master_url: str
    daist_version: str
    determined_client: str
    determined_server: str
    locust_version: str
    python_version: str
    git_commit: str
    git_branch: str
    command: str
    status: str
    interrupted: bool
    metadata: dict[str, Any]

    @classmethod
    def of(cls, result: Result) -> RunRow:
        meta = result.metadata
        version = result.version
        return cls(host_label=result.host_label or result.system, start_time=result.start_time.datetime,
                   settings_digest=str(meta.get("settings_digest") or ""),
                   end_time=result.end_time.datetime if result.end_time else None,
                   system=result.system, master_url=result.host.determined,
                   daist_version=version.daist, determined_client=version.determined.client,
                   determined_server=version.determined.server, locust_version=version.locust,
                   python_version=version.python, git_commit=str(meta.get("git_commit") or ""),
                   git_branch=str(meta.get("git_branch") or ""), command=result.command,
                   status=result.outcome.status, interrupted=result.interrupted,
                   metadata=dict(meta))


@dataclass(frozen=True)
class TestRow:
    test_id: str
    status: str
    duration_s: float | None
    message: str


@dataclass(frozen=True)
class EndpointRow:
    values: dict[str, Any]
    """daist_endpoints columns (without ids)."""
    legacy: PerfTestRow | None
    """The perf_tests row; None for an endpoint without requests in the window."""


@dataclass(frozen=True)
class LoadUpload:
    artifact: str
    """Path relative to the results directory: the artifact's identity within its test."""
    values: dict[str, Any]
    """daist_loads columns (without ids)."""
    legacy_run: PerfTestRunRow
    endpoints: list[EndpointRow]
    steps: list[dict[str, Any]]


@dataclass(frozen=True)
class MetricUpload:
    artifact: str
    values: dict[str, Any]
    """daist_metric_sets columns (without ids)."""
    rows: list[dict[str, Any]]
    """daist_metric_latency columns (without the set id)."""


@dataclass
class TestBatch:
    """Everything one test uploads, in one transaction."""

    test: TestRow
    loads: list[LoadUpload] = field(default_factory=list)
    metrics: list[MetricUpload] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.loads and not self.metrics


def uploadable_tests(result: Result) -> list[str]:
    """Test ids with at least one data artifact to upload, in the manifest's order."""
    classnames = {declared.cls.__name__ for declared in _with_rows()}
    ids = [meta.test_id for rel, meta in result.files.items()
           if meta.test_id and meta.classname in classnames and (_is_data(rel) or refusal(rel))]
    return list(dict.fromkeys([t for t in result.tests if t in ids] + ids))


def collect_test(result: Result, test_id: str, *, run: RunRow | None = None) -> TestBatch:
    """``run``: ``RunRow.of(result)`` when the caller has it already."""
    record = result.tests.get(test_id)
    batch = TestBatch(TestRow(test_id=test_id, status=record.status if record else "unknown",
                              duration_s=record.duration_s if record else None,
                              message=record.message if record else ""))
    run = run or RunRow.of(result)
    for declared in _with_rows():
        for path in result.files_of(declared.cls.__name__, test_id=test_id):
            refused = refusal(path)
            if refused:
                batch.skipped.append(Skipped(path, refused))
                continue
            if not _is_data(path.name):
                continue
            try:
                artifact = declared.cls.open(result.inside(path))
                relative = result.relative(path)
                declared.rows(batch, artifact, relative=relative, run=run,
                              recorded=result.files[relative].time)
            except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
                batch.skipped.append(Skipped(path, _one_line(exc)))
    return batch


def _with_rows() -> list:
    return [declared for declared in KINDS.artifacts() if declared.rows is not None]


def add_load_rows(batch: TestBatch, stats: LocustStatsList, *, relative: str, run: RunRow,
                  recorded: Timestamp) -> None:
    """The load test's rows (``Artifact.rows``): a load, its endpoints and steps."""
    batch.loads.append(load_upload(stats, artifact=relative, run=run, recorded=recorded))


def add_metric_rows(batch: TestBatch, op_hist: MetricLatencyOpHist, *, relative: str,
                    **_: object) -> None:
    """The metric test's rows (``Artifact.rows``): a set and its latency rows."""
    batch.metrics.append(metric_upload(op_hist, artifact=relative))


def load_upload(stats: LocustStatsList, *, artifact: str, run: RunRow,
                recorded: Timestamp) -> LoadUpload:
    info, plan = stats.run, stats.run.plan.columns()
    values = {"shape": _text(plan["shape"]), "users": _int(plan["users"], INT4),
              "rate": _float(plan["rate"]), "spawn_rate": _float(plan["spawn_rate"]),
              "steps": [_int(s, INT4) for s in plan["steps"]], "target": _text(info.target),
              "user_class": _text(plan["user_class"]), "workers": _int(plan["workers"], INT4),
              "window_start": info.window_start.datetime if info.window_start else None,
              "window_end": info.window_end.datetime if info.window_end else None,
              "window_s": _float(info.window_s), "warmup_s": _float(plan["warmup_s"]),
              "run_time_s": _float(plan["run_time_s"]), "interrupted": bool(info.interrupted),
              "late_sends": _int(info.late_sends, INT8), "saturated": bool(info.saturated),
              "generator": [{"role": g.role, "pid": g.pid, "cpu_percent": g.cpu_percent,
                             "cpu_max_percent": g.cpu_max_percent, "rss_mb": g.rss_mb}
                            for g in info.generator]}
    endpoints = []
    for entry in stats.entries:
        hdr = entry.hdr
        row = {"test_name": _text(entry.test_name), "method": _text(entry.method),
               "path": _text(entry.path), "endpoint_class": _text(entry.endpoint_class),
               "num_requests": _int(entry.num_requests, INT8),
               "num_failures": _int(entry.num_failures, INT8), "rps": _float(entry.rps),
               "hdr_count": _int(hdr.count, INT8), "min_ms": _float(hdr.min_ms),
               "mean_ms": _float(hdr.mean_ms), "p50_ms": _float(hdr.p50_ms),
               **{column: _float_or_none(hdr.shown(key))
                  for key, column in ENDPOINT_PERCENTILE_COLUMNS.items()},
               "max_ms": _float(hdr.max_ms),
               "failures": {_text(k): _int(v, INT8) for k, v in entry.failures.items()},
               "hdr_encoded": _text(entry.hdr_encoded)}
        endpoints.append(EndpointRow(row, _legacy_row(entry) if entry.num_requests else None))
    keys = [(e.values["test_name"], e.values["method"]) for e in endpoints]
    if len(set(keys)) != len(keys):
        raise RowError("two entries share a (test_name, method)")
    steps = [{"position": i, "users": _int(s.users, INT4), "rps": _float(s.rps),
              "p95_ms": _float_or_none(told_value(s.p95_ms, "p95", s.num_requests)),
              "p99_ms": _float_or_none(told_value(s.p99_ms, "p99", s.num_requests)),
              "fail_ratio": _float(s.fail_ratio), "num_requests": _int(s.num_requests, INT8),
              "knee": bool(s.knee)} for i, s in enumerate(stats.steps)]
    legacy_run = PerfTestRunRow(commit=run.git_commit, branch=run.git_branch,
                                time=Timestamp(int(recorded.unix)))
    return LoadUpload(artifact, values, legacy_run, endpoints, steps)


def _legacy_row(entry: EndpointStats) -> PerfTestRow:
    legacy = PerfTestRow.of(entry)
    for name in ("avg", "min", "med", "max"):
        _float(getattr(legacy, name))
    for name in ("p90", "p95"):
        _float_or_none(getattr(legacy, name))
    _int(legacy.passes, INT4)
    _int(legacy.fails, INT4)
    return legacy


def metric_upload(op_hist: MetricLatencyOpHist, *, artifact: str) -> MetricUpload:
    parameters = {_text(k): _int(v, INT8) for k, v in op_hist.parameters.items()}
    values = {"kind": type(op_hist).__name__, "axis": _text(op_hist.axis),
              "unit": _text(op_hist.unit), "parameters": parameters}
    other = "metric_count" if op_hist.axis == "concurrency" else "concurrency"
    rows = []
    for operation, hists in op_hist.operations.items():
        for level in sorted(hists):
            stats = told_stats(hists[level].stats())
            rows.append({"operation": _text(operation), "level": _int(level, INT4),
                         op_hist.axis: _int(level, INT4),
                         other: _int(parameters[other], INT4) if other in parameters else None,
                         "count": _int(stats["count"], INT4),
                         **{name: _float_or_none(value) for name, value in stats.items()
                            if name != "count"},  # min, max, mean, std, the percentiles
                         "samples": list(hists[level].samples)})
    return MetricUpload(artifact, values, rows)


# -- value checks: a bad value skips its file here instead of aborting the transaction -------
def _is_data(name: str) -> bool:
    try:
        return Format.of_path(name) in DATA_FORMATS
    except ValueError:
        return False


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise RowError(f"expected text, got {value!r}")
    if "\x00" in value:
        raise RowError("text contains a NUL character, which PostgreSQL cannot store")
    return value


def _int(value: Any, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not -limit - 1 <= value <= limit:
        raise RowError(f"expected an integer within ±{limit}, got {value!r}")
    return value


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RowError(f"expected a finite number, got {value!r}")
    return float(value)


def _float_or_none(value: Any) -> float | None:
    return None if value is None or isinstance(value, float) and math.isnan(value) else _float(value)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__
