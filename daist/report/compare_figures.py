"""The figures ``compare`` judges, read from each run of both sides: one value per run, and for
a single run per side the same figure per block of its window. ``judge`` turns them into a
``CompareResult`` (``daist.report.compare`` says how a figure is judged)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from daist.models.locust import BlockFigures, EndpointStats, LocustStatsList
from daist.models.metric_latency import Hist
from daist.report.compare import LATENCIES, CompareResult, RowComparison, RunComparison
from daist.report.stats import (BLOCKS, MIN_BLOCKS, NO_SPREAD, TestOutcome, block_test, of_runs,
                                welch)

METRIC_BLOCKS = 10
"""Blocks of consecutive samples a metric-latency level of a single run is cut into."""


@dataclass
class Side:
    """One figure on one side: a value per run; with a single run, its blocks (None: the run
    kept no blocks at all)."""

    values: list[float]
    blocks: list[float] | None = None

    @property
    def centre(self) -> float:
        return self.values[0] if len(self.values) == 1 else sum(self.values) / len(self.values)


@dataclass
class Figure:
    metric: str
    base: Side
    cand: Side
    log_scale: bool = True
    judged: bool = True
    users: int = 0
    """Closed loop: the noise floor applies to the time per request (users / requests/s)."""


def judge(comparison: RunComparison, figure: Figure) -> CompareResult:
    log_scale = figure.log_scale and all(v > 0 for side in (figure.base, figure.cand)
                                         for v in side.values + (side.blocks or []))
    scale = math.log if log_scale else float
    base, cand = figure.base, figure.cand
    centres = (_centre(base, log_scale), _centre(cand, log_scale))
    if len(base.values) + len(cand.values) >= 3:
        outcome = welch(of_runs([scale(v) for v in base.values]),
                        of_runs([scale(v) for v in cand.values]))
    elif base.blocks is None or cand.blocks is None:
        outcome = TestOutcome(reason=NO_SPREAD)
    else:
        if min(len(base.blocks), len(cand.blocks)) < MIN_BLOCKS:
            outcome = TestOutcome(reason=f"too few blocks with requests ({len(base.blocks)} vs "
                                         f"{len(cand.blocks)}; a test needs {MIN_BLOCKS})",
                                  mode=BLOCKS, sizes=(len(base.blocks), len(cand.blocks)))
        else:
            outcome = block_test([scale(v) for v in base.blocks], [scale(v) for v in cand.blocks])
    floor_pair = None
    if figure.users and centres[0] > 0 and centres[1] > 0:
        floor_pair = figure.users * 1000.0 / centres[0], figure.users * 1000.0 / centres[1]
    return CompareResult(figure.metric, centres[0], centres[1], outcome, comparison.thresholds,
                         judged=figure.judged, floor_pair=floor_pair, log_scale=log_scale)


def _centre(side: Side, log_scale: bool) -> float:
    """The value the test centres on: the geometric mean of runs on a log scale."""
    if len(side.values) == 1 or not log_scale:
        return side.centre
    return math.exp(sum(math.log(v) for v in side.values) / len(side.values))


# -- load tests ------------------------------------------------------------------------------
def compare_load(comparison: RunComparison, key: str) -> None:
    bases = [run.locust[key].stats for run in comparison.baseline]
    cands = [run.locust[key].stats for run in comparison.candidate]
    single = len(bases) == 1 and len(cands) == 1
    open_shape = bases[0].run.shape == "open"
    base_keys = sorted({e.key for s in bases for e in s.entries if e.num_requests})
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
            continue
        row = RowComparison(key, "endpoint", name)
        for metric, _ in LATENCIES:
            row.results.append(judge(comparison, Figure(
                metric, *(_latency_side(side, stats, metric, single)
                          for side, stats in zip(entries, (bases, cands))))))
        row.results.append(judge(comparison, Figure(
            "rps", *(_rate_side(side, stats, single) for side, stats in zip(entries, (bases, cands))),
            judged=open_shape)))
        row.results.append(judge(comparison, Figure(
            "fail", *(_fail_side(side, stats, single) for side, stats in zip(entries, (bases, cands))),
            log_scale=False)))
        comparison.rows.append(row)
    for entry_key in sorted({e.key for s in cands for e in s.entries if e.num_requests}
                            - set(base_keys)):
        comparison.unmatched.append(f"{key}: {entry_key[1]} {entry_key[0]} has requests in the "
                                    "candidate only")
    if all(s.num_requests for s in bases + cands):
        totals = [[_total_counts(s) for s in side] for side in (bases, cands)]
        row = RowComparison(key, "total", "all endpoints")
        users = bases[0].run.users if bases[0].run.shape == "closed" else 0
        row.results.append(judge(comparison, Figure(
            "rps", *(_rate_side(side, stats, single) for side, stats in zip(totals, (bases, cands))),
            judged=bases[0].run.shape != "steps", users=users)))
        row.results.append(judge(comparison, Figure(
            "fail", *(_fail_side(side, stats, single) for side, stats in zip(totals, (bases, cands))),
            log_scale=False)))
        comparison.rows.append(row)
    _compare_steps(comparison, key, bases, cands)


def _requested(stats: LocustStatsList, key: tuple[str, str]) -> EndpointStats | None:
    for entry in stats.entries:
        if entry.key == key and entry.num_requests:
            return entry
    return None


def _total_counts(stats: LocustStatsList) -> EndpointStats:
    """Requests and failures of all endpoints together, also per block (no latencies)."""
    blocks: dict[int, BlockFigures] = {}
    for entry in stats.entries:
        for block in entry.blocks:
            total = blocks.setdefault(block.index, BlockFigures(index=block.index))
            total.count += block.count
            total.failures += block.failures
    return EndpointStats(test_name="all endpoints", num_requests=stats.num_requests,
                         num_failures=stats.num_failures,
                         blocks=[blocks[i] for i in sorted(blocks)])


def _full_blocks(entry: EndpointStats, stats: LocustStatsList) -> list | None:
    if stats.run.block_s <= 0:
        return None
    return [b for b in entry.blocks if b.index < stats.run.full_blocks and b.count]


def _latency_side(entries: list[EndpointStats], stats: list[LocustStatsList], metric: str,
                  single: bool) -> Side:
    side = Side([e.hdr.percentile(metric) for e in entries])
    if single:
        blocks = _full_blocks(entries[0], stats[0])
        side.blocks = None if blocks is None else [b.percentile(metric) for b in blocks]
    return side


def _rate_side(entries: list[EndpointStats], stats: list[LocustStatsList], single: bool) -> Side:
    side = Side([e.num_requests / s.run.window_s if s.run.window_s > 0 else 0.0
                 for e, s in zip(entries, stats)])
    if single and _full_blocks(entries[0], stats[0]) is not None:
        counts = {b.index: b.count for b in entries[0].blocks}
        run = stats[0].run
        side.blocks = [counts.get(i, 0) / run.block_s for i in range(run.full_blocks)]
    return side


def _fail_side(entries: list[EndpointStats], stats: list[LocustStatsList], single: bool) -> Side:
    side = Side([e.fail_ratio for e in entries])
    if single:
        blocks = _full_blocks(entries[0], stats[0])
        side.blocks = None if blocks is None else [b.failures / b.count for b in blocks]
    return side


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
            judge(comparison, Figure("p95", Side([p.p95_ms for p in sides[0]]),
                                     Side([p.p95_ms for p in sides[1]]))),
            judge(comparison, Figure("rps", Side([p.rps for p in sides[0]]),
                                     Side([p.rps for p in sides[1]]), users=users)),
            judge(comparison, Figure("fail", Side([p.fail_ratio for p in sides[0]]),
                                     Side([p.fail_ratio for p in sides[1]]), log_scale=False))]
        comparison.rows.append(row)
    extra = sorted({step.users for s in cands for step in s.steps} - set(base_users))
    comparison.unmatched += [f"{key}: step of {users} users only in the candidate" for users in extra]


# -- metric-latency tests --------------------------------------------------------------------
def compare_metric_levels(comparison: RunComparison, key: str) -> None:
    bases = [run.metrics[key].op_hist for run in comparison.baseline]
    cands = [run.metrics[key].op_hist for run in comparison.candidate]
    single = len(bases) == 1 and len(cands) == 1
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
        for metric, q in LATENCIES:
            row.results.append(judge(comparison, Figure(
                metric, *(_samples_side(side, q, single) for side in sides))))
        comparison.rows.append(row)
    extra = sorted({(op, level) for h in cands for op, by_level in h.operations.items()
                    for level in by_level} - set(levels))
    comparison.unmatched += [f"{key}: {op} @ {axis} {level} only in the candidate"
                             for op, level in extra]


def _samples_side(hists: list[Hist], percentile: float, single: bool) -> Side:
    side = Side([h.percentile(percentile) for h in hists])
    if single:
        samples = hists[0].samples
        count = min(METRIC_BLOCKS, len(samples) // 5)
        side.blocks = [Hist(samples[i * len(samples) // count:(i + 1) * len(samples) // count])
                       .percentile(percentile) for i in range(count)] if count else []
    return side
