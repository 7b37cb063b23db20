"""What ``daist.metrics`` measures: how long metric reports take, in layers (pyperf's Run /
Benchmark / Suite), each checking its invariants when it is built.

- ``Observation``: one training-metric report of one trial, an immutable value with its send
  time (``sent_unix``, Unix seconds on the trial's clock; None in files written before it was
  kept) and three latencies: ``enqueue`` (the SDK call; the Core API only queues), ``write``
  (the HTTP round trip of the POST that carried the report to the master) and ``visible``
  (from the SDK call until the report was readable through the trial-metrics API). ``0 <= write <= visible`` and
  ``0 <= enqueue <= visible`` hold by construction of the probe and are checked here.
- ``LatencySeries``: every observation of one setting (one experiment), plus the test's own
  read-back timings (``reads``: read path -> samples) at that setting.
- ``MetricLatencySweep`` (artifact): the series of one test, one per level of its ``axis``.
- ``Hist``: the samples of one operation at one level, with exact statistics (numpy).
- ``MetricLatencyOpHist`` (artifact): operation x concurrency -> ``Hist``;
  ``MetricPayloadOpHist``: operation x metrics per report -> ``Hist``.

All latencies are milliseconds. Raw samples are kept, so two runs can be compared with a
significance test later; statistics are derived and written next to them for readers that do not
want to recompute (the results database reads ``operations[op][level]`` rows).

JSON shapes (stable):
  MetricLatencyOpHist / MetricPayloadOpHist:
    {"classname", "axis": "concurrency" | "metric_count", "unit": "ms",
     "parameters": {"num_batches": 128, "metric_count": 256, ...},
     "operations": {"write": {"1": {"count", "min", "max", "mean", "std", "p50", "p90", "p95",
                                    "p99", "p99_9", "samples": [...]}, "2": {...}}, ...}}
  MetricLatencySweep:
    {"classname", "axis", "unit": "ms", "series": [{"level", "concurrency", "metric_count",
     "num_batches", "experiment_id", "complete", "trial_ids", "spans": {"<trial>": [start, end]},
     "observations": {"trial_id": [...], "index": [...], "enqueue_ms": [...], "write_ms": [...],
                      "visible_ms": [...], "sent_unix": [...]},
     "reads": {"<read path>": [...]}}]}
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable

from daist.models.percentiles import PERCENTILES
from daist.models import serde
from daist.models.base import Artifact
from daist.models.locust import GeneratorUsage

TRIAL_OPERATIONS = ("enqueue", "write", "visible")
"""Operations measured inside the trials, per report."""
STATISTICS = ("count", "min", "max", "mean", "std", *PERCENTILES)
AXES = ("concurrency", "metric_count")


def _check_latency(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{where} must be a number of milliseconds, not {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{where} must be a finite number >= 0, not {value!r}")
    return value


# -- one operation at one level -------------------------------------------------------------
@dataclass
class Hist(Artifact):
    """Latency samples (ms) of one operation at one level. Statistics are numpy's: ``std`` is
    the population standard deviation (ddof=0), percentiles use linear interpolation. An empty
    Hist has count 0 and NaN statistics (``None`` in JSON). An artifact itself, so its
    renderings (``Hist-<test>-<operation>-<level>-<stamp>.png``) open by name."""

    samples: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.samples = [_check_latency(v, f"Hist.samples[{i}]") for i, v in enumerate(self.samples)]

    def extend(self, other: Hist | Iterable[float]) -> Hist:
        """Merge another Hist (or raw samples) into this one; returns self."""
        values = other.samples if isinstance(other, Hist) else list(other)
        start = len(self.samples)
        checked = [_check_latency(v, f"Hist.samples[{start + i}]") for i, v in enumerate(values)]
        self.samples.extend(checked)  # all or nothing
        return self

    @property
    def count(self) -> int:
        return len(self.samples)

    def percentile(self, q: float) -> float:
        import numpy as np
        return float(np.percentile(self.samples, q)) if self.samples else math.nan

    def stats(self) -> dict[str, float | int]:
        """Every statistic in ``STATISTICS`` at once (one numpy pass per figure)."""
        import numpy as np
        if not self.samples:
            return {"count": 0, **{name: math.nan for name in STATISTICS[1:]}}
        array = np.asarray(self.samples, dtype=float)
        values = np.percentile(array, list(PERCENTILES.values()))
        return {"count": int(array.size), "min": float(array.min()), "max": float(array.max()),
                "mean": float(array.mean()), "std": float(array.std()),
                **{name: float(v) for name, v in zip(PERCENTILES, values)}}

    def to_data(self) -> dict[str, Any]:
        stats = {k: (None if isinstance(v, float) and math.isnan(v) else v)
                 for k, v in self.stats().items()}
        return {**stats, "samples": list(self.samples)}

    @classmethod
    def from_data(cls, data: Any) -> Hist:
        """Only ``samples`` is read; the statistics are derived again."""
        if not isinstance(data, dict) or not isinstance(data.get("samples"), list):
            raise ValueError("a Hist needs a 'samples' list")
        return cls(samples=data["samples"])


# -- one report ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Observation:
    trial_id: int
    index: int
    """Position of the report in its trial, from 0 (the report's steps_completed - 1)."""
    enqueue_ms: float
    write_ms: float
    visible_ms: float
    sent_unix: float | None = None
    """When the report was sent (Unix seconds, the trial's clock); None in older files."""

    def __post_init__(self) -> None:
        where = f"trial {self.trial_id} report {self.index}"
        if self.index < 0:
            raise ValueError(f"{where}: index must be >= 0")
        if self.sent_unix is not None:
            sent = self.sent_unix
            if isinstance(sent, bool) or not isinstance(sent, (int, float)) \
                    or not math.isfinite(sent) or sent <= 0:
                raise ValueError(f"{where}: sent_unix must be Unix seconds > 0, not {sent!r}")
            object.__setattr__(self, "sent_unix", float(sent))
        for name in ("enqueue_ms", "write_ms", "visible_ms"):
            object.__setattr__(self, name, _check_latency(getattr(self, name), f"{where} {name}"))
        if self.write_ms > self.visible_ms:
            raise ValueError(f"{where}: write {self.write_ms} ms exceeds visible "
                             f"{self.visible_ms} ms")
        if self.enqueue_ms > self.visible_ms:
            raise ValueError(f"{where}: enqueue {self.enqueue_ms} ms exceeds visible "
                             f"{self.visible_ms} ms")

    def latency(self, operation: str) -> float:
        return getattr(self, f"{operation}_ms")


# -- one setting -----------------------------------------------------------------------------
_COLUMNS = ("trial_id", "index", "enqueue_ms", "write_ms", "visible_ms", "sent_unix")
_OPTIONAL_COLUMNS = ("sent_unix",)
"""Columns files written before them lack (read as None)."""


@dataclass
class GeneratorCheck:
    """Unmanaged mode: the generator over one level (Locust's runners, daist.engine), and
    whether the level measured the master or the generator's own limit."""

    workers: int = 0
    """Worker processes the level ran on (0: in-process)."""
    workers_reported: list[str] = field(default_factory=list)
    """The workers whose final report arrived, as "host pid"."""
    usage: list[GeneratorUsage] = field(default_factory=list)
    """CPU and RSS of every generator process (each worker's own) over the level."""
    reports_sent: int = 0
    """Reports the users sent and the master acknowledged, merged exactly from every worker."""
    late_workers: list[str] = field(default_factory=list)
    """Workers that missed Locust's heartbeat during the level and came back (makes it invalid)."""
    basis: str = "cpu"
    """What decided: ``server`` (client time against the target's own) or ``cpu`` (the target
    exposes no timings: the generator's CPU alone)."""
    client_p50_ms: float | None = None
    """p50 of a report's POST as the generator timed it."""
    server_p50_ms: float | None = None
    """p50 of the same calls by the target's own handling-time histogram (``server`` basis)."""
    overhead_p50_ms: float | None = None
    loop_lag_p99_ms: float | None = None
    """The latest any generator process's event loop ran (p99; None: not watched): an upper
    bound on what the generator itself added to a report's p50."""
    cpu_limit_percent: float = 80.0
    overhead_limit_ms: float = 50.0
    valid: bool = True
    reason: str = ""
    """Why the level is invalid (empty when valid)."""

    @property
    def gap_at_target(self) -> bool:
        """The client-server gap is over the limit while every generator loop kept within it:
        the gap lies in front of the target's handler (its queue), kept as the master's
        latency."""
        return (self.overhead_p50_ms is not None and self.loop_lag_p99_ms is not None
                and self.overhead_p50_ms > self.overhead_limit_ms >= self.loop_lag_p99_ms)


@dataclass
class LatencySeries:
    """One experiment: ``concurrency`` trials each sending ``num_batches`` reports of
    ``metric_count`` metrics. ``level`` is the value the sweep varies (one of the two).
    ``complete`` is False for a level cut short (failure, timeout, interrupt): its data is kept
    but it may lack reports."""

    level: int
    concurrency: int
    metric_count: int
    num_batches: int
    experiment_id: int | None = None
    complete: bool = True
    trial_ids: list[int] = field(default_factory=list)
    spans: dict[int, list[float]] = field(default_factory=dict)
    """trial id -> [first report start, last report end] (Unix seconds, trial clock)."""
    observations: list[Observation] = field(default_factory=list)
    reads: dict[str, list[float]] = field(default_factory=dict)
    """Read-back timings (ms) done by the test per read path at this level."""
    generator: GeneratorCheck | None = None
    """Unmanaged mode: the generator's check of this level (managed mode: none)."""

    @property
    def invalid(self) -> bool:
        """Measured while the generator was over its limit: not the master's latency."""
        return self.generator is not None and not self.generator.valid

    def __post_init__(self) -> None:
        where = f"series at level {self.level}"
        for name in ("level", "concurrency", "metric_count", "num_batches"):
            if getattr(self, name) < 1:
                raise ValueError(f"{where}: {name} must be >= 1")
        if self.level not in (self.concurrency, self.metric_count):
            raise ValueError(f"{where}: the level must be the concurrency or the metric count")
        seen: set[tuple[int, int]] = set()
        for obs in self.observations:
            key = (obs.trial_id, obs.index)
            if key in seen:
                raise ValueError(f"{where}: trial {obs.trial_id} report {obs.index} appears twice")
            seen.add(key)
            if self.trial_ids and obs.trial_id not in self.trial_ids:
                raise ValueError(f"{where}: trial {obs.trial_id} is not one of {self.trial_ids}")
            if obs.index >= self.num_batches:
                raise ValueError(f"{where}: trial {obs.trial_id} report {obs.index} is beyond "
                                 f"num_batches {self.num_batches}")
        for name, samples in self.reads.items():
            self.reads[name] = [_check_latency(v, f"{where} reads[{name!r}]") for v in samples]
        for trial_id, span in self.spans.items():
            if len(span) != 2 or span[1] < span[0]:
                raise ValueError(f"{where}: span of trial {trial_id} must be [start, end]")

    @property
    def operations(self) -> list[str]:
        return [*TRIAL_OPERATIONS, *sorted(self.reads)]

    def samples(self, operation: str) -> list[float]:
        if operation in TRIAL_OPERATIONS:
            return [obs.latency(operation) for obs in self.observations]
        return list(self.reads.get(operation, []))

    def add_reads(self, reads: dict[str, list[float]]) -> None:
        """Add read-back timings (ms) per read path."""
        for name, samples in reads.items():
            checked = [_check_latency(v, f"series at level {self.level} reads[{name!r}]")
                       for v in samples]
            self.reads.setdefault(name, []).extend(checked)

    def missing_reports(self) -> dict[int, int]:
        """trial id -> how many of its ``num_batches`` reports have no observation."""
        counts = {trial_id: 0 for trial_id in self.trial_ids}
        for obs in self.observations:
            counts[obs.trial_id] = counts.get(obs.trial_id, 0) + 1
        return {t: self.num_batches - n for t, n in counts.items() if n < self.num_batches}

    @property
    def timed(self) -> bool:
        """Whether every observation has its send time (files before it was kept have none)."""
        return bool(self.observations) and all(o.sent_unix is not None for o in self.observations)

    @property
    def started_unix(self) -> float | None:
        """When the level started: its first report's send (or its first trial span)."""
        starts = [s for s, _ in self.spans.values()]
        starts += [o.sent_unix for o in self.observations if o.sent_unix is not None]
        return min(starts) if starts else None

    @property
    def peak_concurrency(self) -> int:
        """Most trials that were reporting at the same moment (by their report spans)."""
        events = sorted([(s, 1) for s, _ in self.spans.values()] +
                        [(e, -1) for _, e in self.spans.values()], key=lambda ev: (ev[0], ev[1]))
        peak = running = 0
        for _, step in events:
            running += step
            peak = max(peak, running)
        return peak

    def extend(self, other: LatencySeries) -> LatencySeries:
        """Merge another series of the same setting (e.g. a repeated level); returns self."""
        mine = (self.level, self.concurrency, self.metric_count, self.num_batches)
        theirs = (other.level, other.concurrency, other.metric_count, other.num_batches)
        if mine != theirs:
            raise ValueError(f"cannot merge a series of setting {theirs} into one of {mine} "
                             "(level, concurrency, metric_count, num_batches)")
        if set(other.trial_ids) & set(self.trial_ids):
            raise ValueError("cannot merge two series that share trials")
        merged = dataclasses.replace(
            self, trial_ids=[*self.trial_ids, *other.trial_ids],
            spans={**self.spans, **other.spans},
            observations=[*self.observations, *other.observations],
            reads={k: [*self.reads.get(k, []), *other.reads.get(k, [])]
                   for k in {*self.reads, *other.reads}},
            complete=self.complete and other.complete,
            experiment_id=self.experiment_id if self.experiment_id == other.experiment_id else None)
        for f in dataclasses.fields(self):  # replace() validated the union; adopt it
            setattr(self, f.name, getattr(merged, f.name))
        return self

    def to_data(self) -> dict[str, Any]:
        data = {f.name: serde.to_data(getattr(self, f.name)) for f in dataclasses.fields(self)
                if f.name != "observations"}
        data["observations"] = {name: [getattr(obs, name) for obs in self.observations]
                                for name in _COLUMNS}
        return data

    @classmethod
    def from_data(cls, data: Any) -> LatencySeries:
        if not isinstance(data, dict):
            raise ValueError("a LatencySeries must be an object")
        columns = data.get("observations") or {name: [] for name in _COLUMNS}
        if not isinstance(columns, dict):
            raise ValueError("a LatencySeries's observations must be an object of columns")
        rows = len(columns.get("trial_id") or [])
        columns = {**{name: [None] * rows for name in _OPTIONAL_COLUMNS}, **columns}
        lengths = {len(columns.get(name) or []) for name in _COLUMNS}
        if len(lengths) != 1:
            raise ValueError("observation columns differ in length")
        rows = zip(*(columns.get(name) or [] for name in _COLUMNS))
        observations = [Observation(int(t), int(i), e, w, v, s) for t, i, e, w, v, s in rows]
        rest = serde.build_dataclass(cls, {k: v for k, v in data.items() if k != "observations"})
        rest.observations = observations
        rest.__post_init__()
        return rest


# -- artifacts -------------------------------------------------------------------------------
@dataclass
class MetricLatencyOpHist(Artifact):
    """operation -> level (concurrency) -> Hist, with the test parameters held constant."""

    AXIS: ClassVar[str] = "concurrency"
    axis: str = "concurrency"
    unit: str = "ms"
    parameters: dict[str, int] = field(default_factory=dict)
    operations: dict[str, dict[int, Hist]] = field(default_factory=dict)
    invalid_levels: dict[int, str] = field(default_factory=dict)
    """Levels left out because the generator was over its limit -> why (never plotted)."""

    def __post_init__(self) -> None:
        if self.axis != self.AXIS:
            raise ValueError(f"{type(self).__name__}.axis must be {self.AXIS!r}, not {self.axis!r}")

    def add(self, operation: str, level: int, hist: Hist | Iterable[float]) -> Hist:
        """Merge ``hist`` (or raw samples) into the one at (operation, level); returns the
        merged Hist."""
        target = self.operations.setdefault(operation, {}).setdefault(int(level), Hist())
        return target.extend(hist)

    def levels(self, operation: str) -> list[int]:
        return sorted(self.operations.get(operation, {}))

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per (operation, level): what the results database stores."""
        return [{"operation": op, self.axis: level, **hists[level].stats()}
                for op, hists in self.operations.items() for level in sorted(hists)]


@dataclass
class MetricPayloadOpHist(MetricLatencyOpHist):
    """operation -> metrics per report -> Hist, at a fixed concurrency."""

    AXIS: ClassVar[str] = "metric_count"
    axis: str = "metric_count"


@dataclass
class MetricLatencySweep(Artifact):
    """Every series of one test, sorted by level: the raw data behind an OpHist."""

    axis: str = "concurrency"
    unit: str = "ms"
    series: list[LatencySeries] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.axis not in AXES:
            raise ValueError(f"MetricLatencySweep.axis must be one of {AXES}, not {self.axis!r}")
        levels = [s.level for s in self.series]
        if len(set(levels)) != len(levels):
            raise ValueError(f"MetricLatencySweep has two series at one level: {levels}")
        for s in self.series:
            if s.level != getattr(s, self.axis):
                raise ValueError(f"series at level {s.level} does not vary {self.axis}")
        self.series.sort(key=lambda s: s.level)

    def add(self, series: LatencySeries) -> LatencySeries:
        """Add a series, merging it into an existing one at the same level."""
        if series.level != getattr(series, self.axis):
            raise ValueError(f"series at level {series.level} does not vary {self.axis}")
        for existing in self.series:
            if existing.level == series.level:
                return existing.extend(series)
        self.series.append(series)
        self.series.sort(key=lambda s: s.level)
        return series

    def op_hist(self, *, parameters: dict[str, int] | None = None) -> MetricLatencyOpHist:
        cls = MetricLatencyOpHist if self.axis == "concurrency" else MetricPayloadOpHist
        out = cls(parameters=dict(parameters or {}))
        for s in self.series:
            if s.invalid:
                out.invalid_levels[s.level] = s.generator.reason
                continue
            for op in s.operations:
                samples = s.samples(op)
                if samples:
                    out.add(op, s.level, samples)  # checked once, by the merge
        return out
