"""``LocustStatsList``: what one Locust load test measured, per endpoint, self-describing.

File: ``LocustStatsList-<Class>.<method>-<stamp>.json`` (JSON is the default; YAML of the same
plain data also loads; a pickle never does). Shape (``schema_version`` 3)::

    {"classname": "LocustStatsList", "schema_version": 3,
     "run": {plan: {shape: {name, <the shape's fields>}, warmup_s, user_class, workers},
             target, window_start, window_end, window_s, interrupted,
             generator: [{role, host, pid, cpu_percent, cpu_max_percent, rss_mb}],
             workers_reported, block_s, saturated},
     "entries": [{test_name, method, path, endpoint_class, num_requests, num_failures, rps,
                  failures: {message: count},
                  hdr: {count, min_ms, max_ms, mean_ms, p50_ms, p90_ms, p95_ms, p99_ms, p99_9_ms},
                  hdr_encoded: "<base64 HdrHistogram, microseconds>",
                  locust: {<Locust StatsEntry.serialize() keys>},
                  blocks: [{index, count, failures, p50_ms, p95_ms, p99_ms}]}],
     "steps": [{users, rps, p95_ms, fail_ratio, num_requests, knee}]}

- ``entries`` are keyed by (``test_name``, ``method``); ``test_name`` is the historical join key
  of the perf-results database (e.g. ``get experiments``), never a URL. ``path`` is the
  template (``/api/v1/experiments/{experiment_id}``).
- Every number covers the steady-state window only (spawning and warm-up excluded). ``hdr`` is
  exact to 0.1 % (3 significant digits); ``locust`` keeps Locust's own bucketed stats as a
  cross-check (its percentiles are rounded to 1/10/100 ms steps).
- In the open (constant arrival rate) shape the HDR latency is measured from each request's
  intended send time, so queueing inside a slow server shows (no coordinated omission).
- ``extend`` merges another list over the same window (another generator): counts add, HDR
  histograms add, min/max combine. A worker aggregation is therefore load, then extend.

History: 1 = the original daist (a pickled list of StatsEntry dicts, URLs as names; not read);
2 = the plan's fields flat in ``run`` with ``shape`` a name (read into the same ``PlanRecord``,
``daist.models.plan_record``).

Also here, the other artifacts of a Locust test: ``ResourceProfile`` (the ids put into the
paths), ``LocustCsv`` and ``LocustReport`` (Locust's own CSV and HTML), ``LocustSamples``
(every request of the window, when ``[locust] samples`` is on).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from daist.models import serde
from daist.models.base import Artifact, CsvTable, Format, TextDocument
from daist.models import percentiles, serde
from daist.models.percentiles import told_value
from daist.models.plan_record import FLAT_FIELDS, PlanRecord
from daist.models.timestamp import Timestamp

SCHEMA_VERSION = 3
HDR_LOWEST_US = 1
HDR_HIGHEST_US = 3_600_000_000  # one hour: anything longer is a hung request, clamped
HDR_DIGITS = 3
PERCENTILES = {f"{key}_ms": number for key, number in percentiles.PERCENTILES.items()}
BLOCKS_WANTED = 10
BLOCK_MIN_S, BLOCK_MAX_S = 0.5, 10.0
BLOCK_PERCENTILES = {"p50_ms": 50.0, "p95_ms": 95.0, "p99_ms": 99.0}


def nearest_rank(ordered: Any, percentile: float) -> float:
    """HDR's percentile rule on increasing values: the smallest value with at least
    ``percentile`` % of them at or below it (nan for none)."""
    count = len(ordered)
    return float(ordered[max(1, int(percentile / 100.0 * count + 0.5)) - 1]) if count else math.nan


def block_length(measured_s: float) -> float:
    """Block length for a window of ``measured_s``: about ``BLOCKS_WANTED`` blocks, each 0.5-10 s
    (enough blocks for a spread with some degrees of freedom, long enough for a percentile)."""
    return round(min(BLOCK_MAX_S, max(BLOCK_MIN_S, measured_s / BLOCKS_WANTED)), 3)


def new_histogram() -> Any:
    from hdrh.histogram import HdrHistogram  # lazy: models load in every tool
    return HdrHistogram(HDR_LOWEST_US, HDR_HIGHEST_US, HDR_DIGITS)


def decode_histogram(encoded: str) -> Any:
    histogram = new_histogram()
    if encoded:
        histogram.decode_and_add(encoded.encode("ascii"))
    return histogram


def encode_histogram(histogram: Any) -> str:
    return histogram.encode().decode("ascii") if histogram.get_total_count() else ""


def record_ms(histogram: Any, latencies_ms: Any) -> None:
    """Record latencies (ms, any sequence of floats) as whole microseconds (rounded half to
    even), clamped into the trackable range."""
    record_micros(histogram, to_micros(latencies_ms))


def to_micros(latencies_ms: Any) -> Any:
    """Latencies (ms) as the whole microseconds a histogram records (numpy int64)."""
    import numpy as np
    return np.clip(np.rint(np.asarray(latencies_ms, dtype=np.float64) * 1000.0),
                   HDR_LOWEST_US, HDR_HIGHEST_US).astype(np.int64)


def record_micros(histogram: Any, micros: Any) -> None:
    """Record values (``to_micros``) in bulk."""
    import numpy as np
    record_each([histogram], np.zeros(len(micros), dtype=np.int64), micros)


def record_each(histograms: list[Any], owners: Any, micros: Any) -> None:
    """Record ``micros[i]`` into ``histograms[owners[i]]`` (all of ``new_histogram``'s layout),
    with one sort for all: each histogram's counts, total, min and max come out as
    HdrHistogram's ``record_value`` would leave them value by value (``uts`` checks it), at a
    small fraction of its pure-Python cost per value."""
    import numpy as np
    if not len(micros):
        return
    width = histograms[0].counts_len
    codes, counts = np.unique(owners * width + counts_indices(histograms[0], micros),
                              return_counts=True)
    order = np.argsort(owners, kind="stable")
    ordered = owners[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    values = micros[order]
    lows, highs = np.minimum.reduceat(values, starts), np.maximum.reduceat(values, starts)
    totals = np.diff(np.r_[starts, len(values)])
    bounds = np.searchsorted(codes, ordered[starts] * width).tolist() + [len(codes)]
    for group, owner in enumerate(ordered[starts].tolist()):
        histogram, chosen = histograms[owner], slice(bounds[group], bounds[group + 1])
        np.ctypeslib.as_array(histogram.counts)[codes[chosen] - owner * width] += \
            counts[chosen].astype(np.uint64)
        histogram.total_count += int(totals[group])
        histogram.min_value = min(histogram.min_value, int(lows[group]))
        histogram.max_value = max(histogram.max_value, int(highs[group]))


def counts_indices(histogram: Any, values: Any) -> Any:
    """HdrHistogram's counts index of each value (``_counts_index_for``, vectorized): the
    bucket is the power of two that holds the value (at least the sub-bucket mask), the
    sub-bucket the value shifted down to it. Values below 2**53 (exact as floats)."""
    import numpy as np
    unit = histogram.unit_magnitude
    half_magnitude = histogram.sub_bucket_half_count_magnitude
    bit_length = np.frexp((values | histogram.sub_bucket_mask).astype(np.float64))[1]
    bucket = bit_length - unit - (half_magnitude + 1)
    sub_bucket = values >> (bucket + unit)
    return ((bucket + 1) << half_magnitude) + sub_bucket - histogram.sub_bucket_half_count


def per_second(count: int, window_s: float) -> float:
    """``count`` over the window, to 3 decimals (0 without a window)."""
    return round(count / window_s, 3) if window_s > 0 else 0.0


def add_counts(into: dict[Any, int], other: dict[Any, int]) -> None:
    """Add ``other``'s counts into ``into`` (failure messages, Locust's buckets)."""
    for key, count in other.items():
        into[key] = into.get(key, 0) + count


def mean_us(histogram: Any) -> float:
    """HdrHistogram's mean (each bucket at its median equivalent value), without its per-value
    iterator: 50x faster, which matters with a hundred endpoints."""
    total = 0
    for index, count in enumerate(histogram.counts[:histogram.counts_len]):
        if count:
            low = histogram.get_value_from_index(index)
            high = histogram.get_highest_equivalent_value(low)
            total += count * (low + ((high - low + 1) >> 1))
    return total / histogram.get_total_count()


@dataclass
class HdrSummary:
    """Exact figures of one endpoint's latencies in the window (ms; 0 when nothing recorded)."""

    count: int = 0
    min_ms: float = 0.0
    max_ms: float = 0.0
    mean_ms: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    p99_9_ms: float = serde.aliased(0.0, "p999_ms")  # its name until 2026-12

    @classmethod
    def of(cls, histogram: Any) -> HdrSummary:
        count = histogram.get_total_count()
        if not count:
            return cls()
        at = histogram.get_percentile_to_value_dict(list(PERCENTILES.values()))  # one pass
        values = {key: at[p] / 1000.0 for key, p in PERCENTILES.items()}
        return cls(count=count, min_ms=histogram.get_min_value() / 1000.0,
                   max_ms=histogram.get_max_value() / 1000.0,
                   mean_ms=round(mean_us(histogram) / 1000.0, 3), **values)

    def percentile(self, name: str) -> float:
        """``p95`` -> ``p95_ms``, ``p99.9`` -> ``p99_9_ms`` (any spelling of a percentile)."""
        return getattr(self, percentiles.key_of(name) + "_ms")

    def shown(self, name: str) -> float:
        """The percentile as every output shows it: NaN ("-") from too few samples
        (``daist.models.percentiles``)."""
        return told_value(self.percentile(name), name, self.count)


@dataclass
class LocustEntry:
    """Locust's own ``StatsEntry.serialize()`` dict, as declared by its ``StatsEntryDict``.
    ``response_times`` is Locust's rounded histogram ``{bucket ms: count}``."""

    name: str = ""
    method: str = ""
    last_request_timestamp: float | None = None
    start_time: float = 0.0
    num_requests: int = 0
    num_none_requests: int = 0
    num_failures: int = 0
    total_response_time: float = 0.0
    max_response_time: float = 0.0
    min_response_time: float | None = None
    total_content_length: int = 0
    response_times: dict[int, int] = field(default_factory=dict)
    num_reqs_per_sec: dict[int, int] = field(default_factory=dict)
    num_fail_per_sec: dict[int, int] = field(default_factory=dict)

    @classmethod
    def from_locust(cls, data: dict[str, Any]) -> LocustEntry:
        known = {f.name for f in dataclasses.fields(cls)}
        clean = {key: value for key, value in data.items() if key in known}
        for key in ("response_times", "num_reqs_per_sec", "num_fail_per_sec"):
            clean[key] = {int(round(float(k))): int(v) for k, v in clean.get(key, {}).items()}
        return cls(**clean)

    def extend(self, other: LocustEntry) -> None:
        self.num_requests += other.num_requests
        self.num_none_requests += other.num_none_requests
        self.num_failures += other.num_failures
        self.total_response_time += other.total_response_time
        self.total_content_length += other.total_content_length
        self.max_response_time = max(self.max_response_time, other.max_response_time)
        mins = [v for v in (self.min_response_time, other.min_response_time) if v is not None]
        self.min_response_time = min(mins) if mins else None
        stamps = [v for v in (self.last_request_timestamp, other.last_request_timestamp) if v]
        self.last_request_timestamp = max(stamps) if stamps else None
        starts = [v for v in (self.start_time, other.start_time) if v]
        self.start_time = min(starts) if starts else 0.0
        for key in ("response_times", "num_reqs_per_sec", "num_fail_per_sec"):
            add_counts(getattr(self, key), getattr(other, key))


@dataclass
class BlockStats:
    """One endpoint in one block of the window: block ``index`` starts ``index * block_s``
    after ``window_start`` (``RunInfo.block_s``). ``compare`` judges a single run by the spread
    of these (batch means). Percentiles are exact (nearest rank)."""

    index: int = 0
    count: int = 0
    failures: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0

    @classmethod
    def of(cls, index: int, latencies_ms: Any, failures: int) -> BlockStats:
        import numpy as np
        ordered = np.sort(np.asarray(latencies_ms, dtype=float))
        count = len(ordered)
        values = {key: round(nearest_rank(ordered, p), 3)
                  for key, p in BLOCK_PERCENTILES.items()} if count else {}
        return cls(index=index, count=count, failures=failures, **values)

    def percentile(self, name: str) -> float:
        return getattr(self, name + "_ms")


@dataclass
class EndpointStats:
    test_name: str = ""
    method: str = ""
    path: str = ""
    """Path template, e.g. ``/api/v1/trials/{trial_id}``."""
    endpoint_class: str = ""
    """get, list, search or write."""
    num_requests: int = 0
    num_failures: int = 0
    rps: float = 0.0
    failures: dict[str, int] = field(default_factory=dict)
    """Failure message (``HTTPError('500 ...')``, ``timeout``...) -> occurrences."""
    hdr: HdrSummary = field(default_factory=HdrSummary)
    hdr_encoded: str = ""
    locust: LocustEntry = field(default_factory=LocustEntry)
    blocks: list[BlockStats] = field(default_factory=list)
    """Per block of the window (only blocks with requests; none in a sweep or a file that
    predates them)."""

    @property
    def key(self) -> tuple[str, str]:
        return self.test_name, self.method

    @property
    def fail_ratio(self) -> float:
        return self.num_failures / self.num_requests if self.num_requests else 0.0

    def histogram(self) -> Any:
        return decode_histogram(self.hdr_encoded)

    def set_histogram(self, histogram: Any) -> None:
        """Store ``histogram`` (encoded) and its summary."""
        self.hdr, self.hdr_encoded = HdrSummary.of(histogram), encode_histogram(histogram)

    def add_counts(self, other: EndpointStats) -> None:
        """Add ``other``'s requests, failures and Locust stats (not its histogram)."""
        self.num_requests += other.num_requests
        self.num_failures += other.num_failures
        add_counts(self.failures, other.failures)
        self.locust.extend(other.locust)

    def extend(self, other: EndpointStats, *, window_s: float) -> None:
        histogram = self.histogram()
        histogram.add(other.histogram())
        self.set_histogram(histogram)
        self.add_counts(other)
        self.rps = per_second(self.num_requests, window_s)
        self.path = self.path or other.path
        self.endpoint_class = self.endpoint_class or other.endpoint_class
        self.blocks = []  # block percentiles do not add up: a merged entry has none


@dataclass
class GeneratorUsage:
    """One load-generator process: mean and peak CPU (% of one core) over the window, RSS."""

    role: str = "local"
    """local, master or worker."""
    host: str = ""
    """The machine, for a worker that reported its own usage (local or remote)."""
    pid: int = 0
    cpu_percent: float = 0.0
    cpu_max_percent: float = 0.0
    rss_mb: float = 0.0
    loop_lag_p99_ms: float = 0.0
    """How late the process's event loop ran a greenlet due every 0.1 s (daist.engine.loop_watch):
    what every timing it made may include (0: not watched, e.g. written before it was)."""
    loop_lag_max_ms: float = 0.0
    full_gc_max_ms: float = 0.0
    """The longest full garbage collection in the window."""


@dataclass
class StepPoint:
    """One step of a user sweep (the scaling curve)."""

    users: int = 0
    rps: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    fail_ratio: float = 0.0
    num_requests: int = 0
    knee: bool = False


@dataclass
class RunInfo:
    """How one load test ran: its plan (``PlanRecord``: the load shape, warm-up and generator
    layout), where the load went, the window and the generator's state."""

    plan: PlanRecord = field(default_factory=PlanRecord)
    target: str = ""
    window_start: Timestamp | None = None
    window_end: Timestamp | None = None
    interrupted: bool = False
    late_sends: int = 0
    """Open shape: requests sent more than 10 ms after their intended time (generator behind)."""
    generator: list[GeneratorUsage] = field(default_factory=list)
    workers_reported: list[str] = field(default_factory=list)
    """The workers (``host pid``) whose final report arrived; ``plan.workers`` is how many were
    asked for."""
    block_s: float = 0.0
    """Length of the blocks ``EndpointStats.blocks`` cover (0: no blocks recorded)."""
    saturated: bool = False
    """A generator process averaged >= 80 % of a core: the figures are the generator's limit."""

    @classmethod
    def from_data(cls, data: Any) -> RunInfo:
        if isinstance(data, dict) and "plan" not in data:  # written before PlanRecord
            data = {**{k: v for k, v in data.items() if k not in FLAT_FIELDS},
                    "plan": PlanRecord.of_flat(data)}
        return serde.build_dataclass(cls, data)

    @property
    def window_s(self) -> float:
        if self.window_start is None or self.window_end is None:
            return 0.0
        return max(0.0, self.window_end.unix - self.window_start.unix)

    @property
    def full_blocks(self) -> int:
        """Blocks that lie wholly inside the window (the last, partial one is left out)."""
        return int(self.window_s / self.block_s + 1e-6) if self.block_s > 0 else 0


@dataclass
class LocustStatsList(Artifact):
    schema_version: int = SCHEMA_VERSION
    run: RunInfo = field(default_factory=RunInfo)
    entries: list[EndpointStats] = field(default_factory=list)
    steps: list[StepPoint] = field(default_factory=list)

    SATURATION_PERCENT: ClassVar[float] = 80.0

    def to_data(self) -> dict[str, Any]:
        """Always in this version's layout (an old file read is written anew)."""
        return {**super().to_data(), "schema_version": SCHEMA_VERSION}

    def entry(self, test_name: str, method: str | None = None) -> EndpointStats:
        for entry in self.entries:
            if entry.test_name == test_name and (method is None or entry.method == method):
                return entry
        raise KeyError(f"no entry named {test_name!r}")

    @property
    def num_requests(self) -> int:
        return sum(e.num_requests for e in self.entries)

    @property
    def num_failures(self) -> int:
        return sum(e.num_failures for e in self.entries)

    @property
    def fail_ratio(self) -> float:
        return self.num_failures / self.num_requests if self.num_requests else 0.0

    @property
    def rps(self) -> float:
        window = self.run.window_s
        return self.num_requests / window if window > 0 else 0.0

    def total(self) -> EndpointStats:
        """All endpoints merged into one entry named ``Aggregated`` (as Locust's total row)."""
        merged = EndpointStats(test_name="Aggregated", method="", locust=LocustEntry(name="Aggregated"))
        histogram = new_histogram()
        for entry in self.entries:
            histogram.add(entry.histogram())
            merged.add_counts(entry)
        merged.set_histogram(histogram)
        merged.rps = per_second(merged.num_requests, self.run.window_s)
        return merged

    def extend(self, other: LocustStatsList) -> None:
        """Merge another generator's list over the same window (entries matched by key)."""
        by_key = {entry.key: entry for entry in self.entries}
        for entry in other.entries:
            mine = by_key.get(entry.key)
            if mine is None:
                mine = EndpointStats(test_name=entry.test_name, method=entry.method,
                                     locust=LocustEntry(name=entry.test_name, method=entry.method))
                self.entries.append(mine)
                by_key[entry.key] = mine
            mine.extend(entry, window_s=self.run.window_s)
        self.run.generator.extend(other.run.generator)
        self.run.saturated = self.run.saturated or other.run.saturated
        self.run.late_sends += other.run.late_sends


@dataclass
class ResourceProfile(Artifact):
    """The ids the load tests put into endpoint paths, as discovered on the target
    (``source: autodiscover``) or taken from a ``[profile.NAME]`` section. None: not found (the
    endpoints that need it are skipped and logged). ``model_version`` is the version *number*
    used in URLs, not the version's id."""

    source: str = "autodiscover"
    user_id: int | None = None
    user_name: str | None = None
    workspace_id: int | None = None
    project_id: int | None = None
    model_name: str | None = None
    model_version: int | None = None
    experiment_id: int | None = None
    trial_id: int | None = None
    checkpoint_uuid: str | None = None
    experiment_file: str | None = None
    task_id: str | None = None
    template_name: str | None = None
    resource_pool: str | None = None
    group_id: int | None = None
    rbac: bool = False
    notes: list[str] = field(default_factory=list)
    """What discovery could not find, one sentence each."""

    def values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name not in ("source", "notes")}


@dataclass
class LocustCsv(CsvTable):
    """Locust's own CSV report (``stats``: per-endpoint rows with its rounded percentiles;
    ``failures``: method, name, error, occurrences), as its ``--csv`` writes it."""


@dataclass
class LocustReport(TextDocument):
    """Locust's own HTML report of the run."""

    default_format: ClassVar[Format] = Format.HTML


@dataclass
class LocustSamples(CsvTable):
    """Every steady-state request (``[locust] samples = true``): test_name, method,
    start_unix, latency_ms (from the intended send time in the open shape), ok (1/0)."""
