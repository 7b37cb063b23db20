"""The measures ``compare`` judges, read from each run of both sides: one value per run, and for
a single run per side the same measure per block of its window. ``judge`` turns them into a
``CompareResult`` (``daist.report.compare`` says how a measure is judged).

**Relative judgement.** A busier machine slows every endpoint of a run together (measured here:
identical 20 s runs 2.5x apart while other jobs ran). With at least ``RELATIVE_MIN_ENDPOINTS``
endpoints, each endpoint's latency is judged against the test's common level (the median of
the same measure over all endpoints, per run and per block), at any split by every run's blocks
and the spread between runs together (``judge_group``, ``stats.runs_and_blocks_test``): the
noise between runs that one or two runs a side cannot show is estimated over the test's
endpoints, and from three baseline runs each endpoint's own spread counts too. The common
level itself is the "all endpoints" row: judged across runs (with ``COMMON_EVIDENCE``), and not
judged with one run per side (a slower master and a busier machine look the same there)."""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Callable

from daist.models.locust import BlockStats, EndpointStats, LocustStatsList
from daist.models.metric_latency import Hist
from daist.models.percentiles import min_samples, percentile_number, told
from daist.report.compare import (LATENCIES, CompareResult, RowComparison, RunComparison,
                                  Thresholds)
from daist.report.stats import (BLOCKS, MIN_BLOCKS, MIN_RUNS_PER_SIDE, NO_SPREAD, TestOutcome,
                                block_test, of_runs, run_blocks, runs_and_blocks_test,
                                shared_run_variance, welch)

METRIC_BLOCKS = 10
"""Blocks of consecutive samples a metric-latency level of a single run is cut into."""
RELATIVE_MIN_ENDPOINTS = 5
"""Endpoints a test needs for its common level to mean something (their median)."""
COMMON_NOT_JUDGED = "one run per side cannot tell a slower master from a busier machine"


@dataclass
class Side:
    """One measure on one side: a value per run, and every run's blocks pooled ((run, block
    index) -> value; None: a run kept no blocks at all)."""

    values: list[float]
    blocks: dict[tuple[int, int], float] | None = None

    @property
    def centre(self) -> float:
        return self.values[0] if len(self.values) == 1 else sum(self.values) / len(self.values)

    def divided(self, common: Side) -> Side:
        blocks = None if self.blocks is None or common.blocks is None else \
            {i: v / common.blocks[i] for i, v in self.blocks.items() if common.blocks.get(i)}
        return Side([v / c for v, c in zip(self.values, common.values)], blocks)


def common_level(sides: list[Side]) -> Side:
    """The median over endpoints of each run's value and of each block's."""
    runs = [statistics.median(side.values[r] for side in sides) for r in range(len(sides[0].values))]
    if any(side.blocks is None for side in sides):
        return Side(runs)
    indexes = sorted({i for side in sides for i in side.blocks})
    return Side(runs, {i: statistics.median(side.blocks[i] for side in sides if i in side.blocks)
                       for i in indexes})


@dataclass
class Measure:
    metric: str
    base: Side
    cand: Side
    log_scale: bool = True
    judged: bool = True
    users: int = 0
    """Closed loop: the noise floor applies to the time per request (users / requests/s)."""
    common: tuple[Side, Side] | None = None
    """Judge relative to these common levels (baseline, candidate)."""
    common_level: bool = False
    """This measure is a test's common level."""
    note: str = ""
    counts: tuple[int, ...] = ()
    """Samples behind the measure in each run of both sides (a percentile needs enough)."""
    between_runs: bool = False
    """Only runs can judge it (what moves a whole test: a busier machine moves every block of
    a run alike): from two runs a side, between runs alone."""


def too_few(metric: str, counts: tuple[int, ...]) -> str:
    """Why ``counts`` samples per run cannot tell percentile ``metric`` ("" when they can)."""
    if metric not in dict(LATENCIES) or not counts or all(told(metric, n) for n in counts):
        return ""
    return (f"{metric} needs {min_samples(percentile_number(metric))} samples in every run "
            f"(fewest: {min(counts)})")


def judge(comparison: RunComparison, measure: Measure) -> CompareResult:
    return judge_measure(comparison.thresholds, measure)


def judge_measure(thresholds: Thresholds, measure: Measure, *, shared: float = 0.0) -> CompareResult:
    """The measure's change, judged (before Holm's correction: ``adjust_p_values``); ``shared``:
    the variance between runs the measures of its group share (``judge_group``)."""
    reason = too_few(measure.metric, measure.counts)
    if reason:
        return CompareResult(measure.metric, math.nan, math.nan, TestOutcome(reason=reason),
                             thresholds, judged=False, note=reason, told=False)
    base, cand, shift, log_scale = _prepared(measure)
    scale = math.log if log_scale else float
    runs = min(len(base.values), len(cand.values))
    if measure.common is not None:
        outcome = _runs_and_blocks(base, cand, scale, shared)
    elif runs >= MIN_RUNS_PER_SIDE or (measure.between_runs and runs > 1):
        outcome = _between_runs(base, cand, scale)
    else:
        outcome = _pooled_blocks(base, cand, scale)
    centres = (_centre(measure.base, log_scale), _centre(measure.cand, log_scale))
    floor_pair = None
    if measure.users and centres[0] > 0 and centres[1] > 0:
        floor_pair = measure.users * 1000.0 / centres[0], measure.users * 1000.0 / centres[1]
    return CompareResult(measure.metric, centres[0], centres[1], outcome, thresholds,
                         judged=measure.judged, floor_pair=floor_pair, log_scale=log_scale,
                         shift=shift, note=measure.note, common_level=measure.common_level)


def judge_group(thresholds: Thresholds, measures: list[Measure]) -> list[CompareResult]:
    """One metric of a test's endpoints, each against the common level: the variance between
    runs they share beyond their blocks' noise is estimated over all of them (a random-effects
    model), so that a side of one or two runs is judged with the noise between runs too."""
    pieces = []
    for measure in measures:
        if measure.common is not None and not too_few(measure.metric, measure.counts):
            base, cand, _, log_scale = _prepared(measure)
            pieces.append(_run_blocks(base, cand, math.log if log_scale else float))
    shared = shared_run_variance([p for p in pieces if p is not None])
    return [judge_measure(thresholds, measure, shared=shared) for measure in measures]


def _prepared(measure: Measure) -> tuple[Side, Side, float | None, bool]:
    """(baseline, candidate) as judged (against the common level when there is one), the
    common level's move, and whether the test compares logarithms."""
    base, cand = measure.base, measure.cand
    shift = None
    if measure.common is not None:
        shift = _centre(measure.common[1], True) / _centre(measure.common[0], True)
        base, cand = base.divided(measure.common[0]), cand.divided(measure.common[1])
    log_scale = measure.log_scale and all(v > 0 for side in (base, cand)
                                         for v in side.values + list((side.blocks or {}).values()))
    return base, cand, shift, log_scale


def _run_blocks(base: Side, cand: Side, scale):
    """Each side's blocks grouped by run, on the test scale (None: a side kept no blocks)."""
    if base.blocks is None or cand.blocks is None:
        return None
    sides = []
    for side in (base, cand):
        runs: dict[int, list[float]] = {}
        for (run, _), value in sorted(side.blocks.items()):
            runs.setdefault(run, []).append(scale(value))
        sides.append(list(runs.values()))
    return run_blocks(*sides)


def _runs_and_blocks(base: Side, cand: Side, scale, shared: float) -> TestOutcome:
    """Every run's blocks, and the spread between runs (``runs_and_blocks_test``)."""
    if base.blocks is None or cand.blocks is None:
        return TestOutcome(reason=NO_SPREAD)
    pieces = _run_blocks(base, cand, scale)
    if pieces is None:
        return TestOutcome(reason=f"too few blocks with requests ({len(base.blocks)} vs "
                                  f"{len(cand.blocks)}; a test needs {MIN_BLOCKS})",
                           mode=BLOCKS, sizes=(len(base.blocks), len(cand.blocks)))
    return runs_and_blocks_test(pieces, shared)


def _pooled_blocks(base: Side, cand: Side, scale) -> TestOutcome:
    """The blocks of every run of each side against the other side's (Mann-Whitney)."""
    if base.blocks is None or cand.blocks is None:
        return TestOutcome(reason=NO_SPREAD)
    if min(len(base.blocks), len(cand.blocks)) < MIN_BLOCKS:
        return TestOutcome(reason=f"too few blocks with requests ({len(base.blocks)} vs "
                                  f"{len(cand.blocks)}; a test needs {MIN_BLOCKS})",
                           mode=BLOCKS, sizes=(len(base.blocks), len(cand.blocks)))
    return block_test([scale(v) for v in base.blocks.values()],
                      [scale(v) for v in cand.blocks.values()])


def _between_runs(base: Side, cand: Side, scale) -> TestOutcome:
    """Welch's test over the runs' values."""
    return welch(of_runs([scale(v) for v in base.values]), of_runs([scale(v) for v in cand.values]))


def _centre(side: Side, log_scale: bool) -> float:
    """The value the test centres on: the geometric mean of runs on a log scale."""
    if len(side.values) == 1 or not log_scale or min(side.values) <= 0:
        return side.centre
    return math.exp(sum(math.log(v) for v in side.values) / len(side.values))


# -- load tests ------------------------------------------------------------------------------
def compare_load(comparison: RunComparison, key: str) -> None:
    bases = [run.locust[key].stats for run in comparison.baseline]
    cands = [run.locust[key].stats for run in comparison.candidate]
    single = min(len(bases), len(cands)) == 1  # a whole test's move is not judged
    endpoint_rps_judged = bases[0].run.plan.shape.endpoint_rps_judged
    base_keys = sorted({e.key for s in bases for e in s.entries if e.num_requests})
    present = []
    for entry_key in base_keys:
        name = f"{entry_key[1]} {entry_key[0]}".strip()
        entries = [[_requested(s, entry_key) for s in side] for side in (bases, cands)]
        lacking = [f"{label} {run.directory}" for label, side_entries, runs in
                   (("baseline", entries[0], comparison.baseline),
                    ("candidate", entries[1], comparison.candidate))
                   for entry, run in zip(side_entries, runs) if entry is None]
        if lacking:
            comparison.missing += [f"{key}: {name} has no requests in the {where}"
                                   for where in lacking]
        else:
            present.append((name, entries))
    relative = len(present) >= RELATIVE_MIN_ENDPOINTS
    latencies = {metric: [[_latency_side(side, stats, metric)
                           for side, stats in zip(entries, (bases, cands))]
                          for _, entries in present] for metric, _ in LATENCIES}
    commons = {metric: (common_level([pair[0] for pair in pairs]),
                        common_level([pair[1] for pair in pairs]))
               for metric, pairs in latencies.items()} if relative else {}
    judged = {metric: judge_group(comparison.thresholds, [
        Measure(metric, *latencies[metric][index], common=commons.get(metric),
               counts=tuple(e.hdr.count for side in entries for e in side))
        for index, (_, entries) in enumerate(present)]) for metric, _ in LATENCIES}
    for index, (name, entries) in enumerate(present):
        row = RowComparison(key, "endpoint", name)
        row.results += [judged[metric][index] for metric, _ in LATENCIES]
        row.results.append(judge(comparison, Measure(
            "rps", *(_rate_side(side, stats) for side, stats in zip(entries, (bases, cands))),
            judged=endpoint_rps_judged)))
        row.results.append(judge(comparison, Measure(
            "fail", *(_fail_side(side, stats) for side, stats in zip(entries, (bases, cands))),
            log_scale=False)))
        comparison.rows.append(row)
    for entry_key in sorted({e.key for s in cands for e in s.entries if e.num_requests}
                            - set(base_keys)):
        comparison.unmatched.append(f"{key}: {entry_key[1]} {entry_key[0]} has requests in the "
                                    "candidate only")
    if all(s.num_requests for s in bases + cands):
        _compare_total(comparison, key, bases, cands, commons, single=single)
    _compare_steps(comparison, key, bases, cands)


def _compare_total(comparison: RunComparison, key: str, bases: list[LocustStatsList],
                   cands: list[LocustStatsList], commons: dict[str, tuple[Side, Side]], *,
                   single: bool) -> None:
    """The whole test: its common latency level, requests/s and failures. With one run per
    side, what moves every endpoint together is shown, not judged."""
    row = RowComparison(key, "total", "all endpoints")
    common_note = COMMON_NOT_JUDGED if single else ""
    for metric, _ in LATENCIES:
        if metric in commons:
            row.results.append(judge(comparison, Measure(metric, *commons[metric], common_level=True,
                                                        judged=not single, note=common_note,
                                                        between_runs=True)))
    totals = [[_total_counts(s) for s in side] for side in (bases, cands)]
    shape = bases[0].run.plan.shape
    shown_only = single and not shape.endpoint_rps_judged  # users, not a rate, set the load
    row.results.append(judge(comparison, Measure(
        "rps", *(_rate_side(side, stats) for side, stats in zip(totals, (bases, cands))),
        judged=shape.total_rps_judged(single=single), users=shape.compared_users,
        note=common_note if shown_only else "", between_runs=True)))
    row.results.append(judge(comparison, Measure(
        "fail", *(_fail_side(side, stats) for side, stats in zip(totals, (bases, cands))),
        log_scale=False)))
    comparison.rows.append(row)


def _requested(stats: LocustStatsList, key: tuple[str, str]) -> EndpointStats | None:
    for entry in stats.entries:
        if entry.key == key and entry.num_requests:
            return entry
    return None


def _total_counts(stats: LocustStatsList) -> EndpointStats:
    """Requests and failures of all endpoints together, also per block (no latencies)."""
    blocks: dict[int, BlockStats] = {}
    for entry in stats.entries:
        for block in entry.blocks:
            total = blocks.setdefault(block.index, BlockStats(index=block.index))
            total.count += block.count
            total.failures += block.failures
    return EndpointStats(test_name="all endpoints", num_requests=stats.num_requests,
                         num_failures=stats.num_failures,
                         blocks=[blocks[i] for i in sorted(blocks)])


def _full_blocks(entry: EndpointStats, stats: LocustStatsList) -> list | None:
    if stats.run.block_s <= 0:
        return None
    return [b for b in entry.blocks if b.index < stats.run.full_blocks and b.count]


def single_run_latency(metric: str, base: tuple[EndpointStats, LocustStatsList],
                       cand: tuple[EndpointStats, LocustStatsList]) -> Measure:
    """One endpoint's latency ``metric`` in one run against another (each with its blocks),
    as ``compare`` sees one run per side."""
    return Measure(metric, _latency_side([base[0]], [base[1]], metric),
                  _latency_side([cand[0]], [cand[1]], metric),
                  counts=(base[0].hdr.count, cand[0].hdr.count))


def _pooled(entries: list[EndpointStats], stats: list[LocustStatsList],
            values: Callable[[EndpointStats, LocustStatsList], dict[int, float] | None]
            ) -> dict[tuple[int, int], float] | None:
    """Every run's block values keyed (run, block index); None when a run kept no blocks."""
    pooled: dict[tuple[int, int], float] = {}
    for run, (entry, run_stats) in enumerate(zip(entries, stats)):
        found = values(entry, run_stats)
        if found is None:
            return None
        pooled.update({(run, index): value for index, value in found.items()})
    return pooled


def _latency_side(entries: list[EndpointStats], stats: list[LocustStatsList], metric: str) -> Side:
    def blocks(entry: EndpointStats, run_stats: LocustStatsList) -> dict[int, float] | None:
        full = _full_blocks(entry, run_stats)  # a block's percentile only where it is told
        return None if full is None else {b.index: b.percentile(metric) for b in full
                                          if told(metric, b.count)}
    return Side([e.hdr.percentile(metric) for e in entries], _pooled(entries, stats, blocks))


def _rate_side(entries: list[EndpointStats], stats: list[LocustStatsList]) -> Side:
    def blocks(entry: EndpointStats, run_stats: LocustStatsList) -> dict[int, float] | None:
        if _full_blocks(entry, run_stats) is None:
            return None
        counts = {b.index: b.count for b in entry.blocks}
        run = run_stats.run
        return {i: counts.get(i, 0) / run.block_s for i in range(run.full_blocks)}
    return Side([e.num_requests / s.run.window_s if s.run.window_s > 0 else 0.0
                 for e, s in zip(entries, stats)], _pooled(entries, stats, blocks))


def _fail_side(entries: list[EndpointStats], stats: list[LocustStatsList]) -> Side:
    def blocks(entry: EndpointStats, run_stats: LocustStatsList) -> dict[int, float] | None:
        full = _full_blocks(entry, run_stats)
        return None if full is None else {b.index: b.failures / b.count for b in full}
    return Side([e.fail_ratio for e in entries], _pooled(entries, stats, blocks))


def _compare_steps(comparison: RunComparison, key: str, bases: list[LocustStatsList],
                   cands: list[LocustStatsList]) -> None:
    base_users = sorted({step.users for s in bases for step in s.steps})
    for users in base_users:
        sides = [[next((p for p in s.steps if p.users == users), None) for s in side]
                 for side in (bases, cands)]
        if any(p is None for side in sides for p in side):
            comparison.missing.append(f"{key}: the step of {users} users is missing in a run")
            continue
        row = RowComparison(key, "step", f"{users} users")
        row.results = [
            judge(comparison, Measure("p95", Side([p.p95_ms for p in sides[0]]),
                                     Side([p.p95_ms for p in sides[1]]),
                                     counts=tuple(p.num_requests for side in sides for p in side))),
            judge(comparison, Measure("rps", Side([p.rps for p in sides[0]]),
                                     Side([p.rps for p in sides[1]]), users=users)),
            judge(comparison, Measure("fail", Side([p.fail_ratio for p in sides[0]]),
                                     Side([p.fail_ratio for p in sides[1]]), log_scale=False))]
        comparison.rows.append(row)
    extra = sorted({step.users for s in cands for step in s.steps} - set(base_users))
    comparison.unmatched += [f"{key}: step of {users} users only in the candidate" for users in extra]


# -- metric-latency tests --------------------------------------------------------------------
def compare_metric_levels(comparison: RunComparison, key: str) -> None:
    bases = [run.metrics[key].op_hist for run in comparison.baseline]
    cands = [run.metrics[key].op_hist for run in comparison.candidate]
    axis = bases[0].axis
    levels = sorted({(op, level) for h in bases for op, by_level in h.operations.items()
                     for level, hist in by_level.items() if hist.count})
    for operation, level in levels:
        name = f"{operation} @ {axis} {level}"
        sides = [[h.operations.get(operation, {}).get(level) for h in side] for side in (bases, cands)]
        if any(hist is None or not hist.count for side in sides for hist in side):
            comparison.missing.append(f"{key}: {name} is missing in a run")
            continue
        row = RowComparison(key, "metric", name)
        counts = tuple(hist.count for side in sides for hist in side)
        for metric, q in LATENCIES:
            row.results.append(judge(comparison, Measure(
                metric, *(_samples_side(side, q) for side in sides), counts=counts)))
        comparison.rows.append(row)
    extra = sorted({(op, level) for h in cands for op, by_level in h.operations.items()
                    for level in by_level} - set(levels))
    comparison.unmatched += [f"{key}: {op} @ {axis} {level} only in the candidate"
                             for op, level in extra]


def _samples_side(hists: list[Hist], percentile: float) -> Side:
    """A value per run, and every run's samples cut into up to ``METRIC_BLOCKS`` consecutive
    blocks (of 5 samples at least), pooled."""
    blocks: dict[tuple[int, int], float] = {}
    for run, hist in enumerate(hists):
        samples = hist.samples
        count = min(METRIC_BLOCKS, len(samples) // 5)
        cut = [samples[i * len(samples) // count:(i + 1) * len(samples) // count]
               for i in range(count)]
        blocks.update({(run, i): Hist(block).percentile(percentile) for i, block in enumerate(cut)
                       if told(f"p{percentile:g}", len(block))})
    return Side([h.percentile(percentile) for h in hists], blocks)
