"""Builders of report inputs: endpoint stats with real HDR histograms and metric-latency
histograms from seeded random samples, and whole results directories written the way a session
writes them (manifest, ConfigFile, artifacts recorded with their test ids)."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from daist.models.config import ConfigFile
from daist.models.locust import (BlockStats, EndpointStats, GeneratorUsage, HdrSummary,
                                 LocustStatsList, RunInfo, StepPoint, encode_histogram,
                                 new_histogram, record_ms)
from daist.models.metric_latency import Hist, MetricLatencyOpHist
from daist.models.plan_record import PlanRecord
from daist.models.result import Result, TestRecord
from daist.models.shape import SHAPES
from daist.models.timestamp import Timestamp

LOAD_TEST = "daist.rest_api.test_locust.TestRO.test"
METRIC_TEST = "daist.metrics.test_latency.Test.test"
START = Timestamp(1722278982.0)
WINDOW_S = 20.0
BLOCKS = 10
"""Blocks per window of the saved stats (``RunInfo.block_s`` = WINDOW_S / BLOCKS)."""


def latencies(median_ms: float, n: int, *, seed: int, sigma: float = 0.2) -> np.ndarray:
    """``n`` log-normal latencies around ``median_ms`` (a typical latency shape)."""
    return np.random.default_rng(seed).lognormal(np.log(median_ms), sigma, n)


def histogram_of(samples: Iterable[float]) -> Any:
    """An HDR histogram (microseconds, as the recorder keeps) of latencies in ms."""
    histogram = new_histogram()
    record_ms(histogram, [float(value) for value in samples])
    return histogram


def make_entry(test_name: str, samples: Iterable[float], *, failures: int = 0,
               method: str = "GET", path: str = "/api/v1/x", endpoint_class: str = "list",
               message: str = "HTTPError('500 Server Error')", window_s: float = WINDOW_S,
               keep_histogram: bool = True, blocks: int = BLOCKS) -> EndpointStats:
    """The samples in time order: block i holds the i-th of ``blocks`` equal slices of them
    (and of the failures)."""
    values = list(samples)
    histogram = histogram_of(values)
    cuts = [round(i * len(values) / blocks) for i in range(blocks + 1)] if blocks else []
    failed = [round(i * failures / blocks) for i in range(blocks + 1)] if blocks else []
    return EndpointStats(test_name=test_name, method=method, path=path,
                         endpoint_class=endpoint_class, num_requests=len(values),
                         num_failures=failures, rps=round(len(values) / window_s, 3),
                         failures={message: failures} if failures else {},
                         hdr=HdrSummary.of(histogram),
                         hdr_encoded=encode_histogram(histogram) if keep_histogram else "",
                         blocks=[BlockStats.of(i, values[cuts[i]:cuts[i + 1]],
                                                 failed[i + 1] - failed[i])
                                 for i in range(blocks) if cuts[i + 1] > cuts[i]])


def make_stats(*entries: EndpointStats, users: int = 4, shape: str = "closed",
               window_s: float = WINDOW_S, saturated: bool = False,
               steps: list[StepPoint] | None = None, blocks: int = BLOCKS) -> LocustStatsList:
    kind = SHAPES[shape]
    values = {"spawn_rate": 0.0, "users": users, "run_time_s": window_s, "rate": 0.0,
              "steps": tuple(s.users for s in steps or []), "step_time_s": window_s}
    plan = PlanRecord(shape=kind(**{k: v for k, v in values.items()
                                    if k in kind.__dataclass_fields__}),
                      user_class="FastHttpUser")
    run = RunInfo(plan=plan, target="http://127.0.0.1:8080", window_start=START,
                  window_end=Timestamp(START.unix + window_s),
                  generator=[GeneratorUsage(role="local", pid=1, cpu_percent=95.0 if saturated else 30.0,
                                            cpu_max_percent=99.0, rss_mb=80.0)],
                  saturated=saturated,
                  block_s=window_s / blocks if blocks and not steps else 0.0)
    return LocustStatsList(run=run, entries=list(entries), steps=list(steps or []))


def make_op_hist(levels: dict[int, dict[str, Iterable[float]]], *,
                 parameters: dict[str, int] | None = None) -> MetricLatencyOpHist:
    """level -> operation -> samples."""
    op_hist = MetricLatencyOpHist(parameters=dict(parameters or {"num_batches": 64, "metric_count": 8}))
    for level, operations in levels.items():
        for operation, samples in operations.items():
            op_hist.add(operation, level, Hist([float(v) for v in samples]))
    return op_hist


def settings(**overrides: str) -> dict[str, dict[str, str]]:
    """A run's ConfigFile sections; ``overrides`` as ``section__key="value"``."""
    sections = {"determined": {"DET_MASTER": "", "RESOURCE_PROFILE": "autodiscover"},
                "locust": {"users": "4", "wait_time": "0", "run_time": "20", "step_time": "30",
                           "remote_workers": "0", "warmup": "0"},
                "standin": {"scale": "20", "seed": "0", "rbac": "false", "faults": ""}}
    for name, value in overrides.items():
        section, key = name.split("__")
        sections.setdefault(section, {})[key] = value
    return sections


def make_run_dir(root: Path | None = None, *, locust: dict[str, LocustStatsList] | None = None,
                 metrics: dict[str, MetricLatencyOpHist] | None = None,
                 tests: dict[str, TestRecord] | None = None,
                 config: dict[str, dict[str, str]] | None = None, system: str = "standin",
                 start: Timestamp = START, metadata: dict | None = None,
                 status: str = "passed") -> Path:
    """A results directory as a session leaves it; returns the directory."""
    root = root or Path(tempfile.mkdtemp(prefix="daist-report-uts-"))
    directory = root / system / start.path_stamp
    directory.mkdir(parents=True)
    result = Result(command="uts", system=system, start_time=start,
                    end_time=Timestamp(start.unix + 60), directory=directory, host_label=system,
                    metadata={"hostname": "uts-host", "cpu_count": 2, "settings_digest": "d1",
                              "git_commit": "0123456789abcdef", "git_branch": "main",
                              **(metadata or {})})
    result.host.determined = "http://127.0.0.1:8080"
    result.version.daist = "0.1.0"
    result.version.determined.server = "0.38.1"
    result.add(ConfigFile(sections=config if config is not None else settings()), tags=("session",))
    for test_id, stats in (locust or {}).items():
        result.add(stats, test_id=test_id, tags=(".".join(test_id.split(".")[-2:]),))
    for test_id, op_hist in (metrics or {}).items():
        result.add(op_hist, test_id=test_id, tags=(".".join(test_id.split(".")[-2:]),))
    ids = [*(locust or {}), *(metrics or {})]
    result.tests = dict(tests) if tests is not None else \
        {test_id: TestRecord(status="passed", duration_s=25.0) for test_id in ids}
    result.outcome.tests_run = len(result.tests)
    result.outcome.failures = sum(t.status == "failed" for t in result.tests.values())
    result.outcome.status = status
    result.save_manifest()
    return directory


def run_sides(endpoints: list[str], *, runs: tuple[int, int] = (1, 1),
              slow: dict[str, float] | None = None, added_ms: dict[str, float] | None = None,
              seed: int = 0, n: int = 600, failures: dict[str, int] | None = None,
              base_ms: float = 40.0, candidate_users: int | None = None,
              roots: tuple[Path, Path] | None = None) -> tuple[list[Path], list[Path]]:
    """Baseline and candidate results directories of one load test (``runs`` per side): every
    endpoint about ``base_ms``, drawn afresh (seeded) in each run; in the candidate, ``slow``
    endpoints are multiplied by their factor, ``added_ms`` ones get that much more, and
    ``failures`` endpoints fail that many requests. With ``roots``, each side's runs go below
    its root (a results root, runs a minute apart)."""
    sides: tuple[list[Path], list[Path]] = ([], [])
    for side in (0, 1):
        for run in range(runs[side]):
            entries = []
            for index, name in enumerate(endpoints):
                factor = (slow or {}).get(name, 1.0) if side else 1.0
                extra = (added_ms or {}).get(name, 0.0) if side else 0.0
                drawn = latencies(base_ms, n, seed=seed * 1000 + side * 100 + run * 10 + index)
                entries.append(make_entry(name, drawn * factor + extra,
                                          failures=(failures or {}).get(name, 0) if side else 0))
            users = candidate_users if side and candidate_users else 4
            start = Timestamp(START.unix + 60 * (side * runs[0] + run))
            sides[side].append(make_run_dir(roots[side] if roots else None, start=start,
                                            locust={LOAD_TEST: make_stats(*entries, users=users)},
                                            config=settings(locust__users=str(users))))
    return sides


def run_pair(endpoints: list[str], **kwargs: Any) -> tuple[Path, Path]:
    """One baseline and one candidate run (``run_sides``)."""
    (base,), (cand,) = run_sides(endpoints, **kwargs)
    return base, cand


def artifact_path(directory: Path, classname: str) -> Path:
    """The one data file (JSON) of ``classname`` in a results directory."""
    (path,) = [p for p in directory.glob(f"{classname}-*.json")]
    return path
