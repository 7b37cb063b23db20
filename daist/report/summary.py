"""The one-screen text summary of a run, and the sentences it shares with the HTML page: what
ran against what, each test's verdict, each declared kind's sections (``daist.framework.kinds``)
and the files that could not be read; and the lines those sections are made of (the slowest
endpoints by p95, the failures, the limits, the metric-latency table)."""
from __future__ import annotations

import dataclasses
import math
import textwrap
from dataclasses import dataclass

from daist.framework.kinds import KINDS
from daist.models.locust import EndpointStats, LocustStatsList, StepPoint
from daist.models.metric_latency import MetricLatencyOpHist
from daist.models.percentiles import told_stats, told_value
from daist.models.result import test_key
from daist.report import fmt
from daist.report.faults import faults_line
from daist.models.limits import LOAD
from daist.report.limits import LimitCheck, limit_checks, run_limits
from daist.report.loader import RunData

SLOWEST = 8
FAILURES = 5
WIDTH = 100
STATUS_WORDS = {"running": "unfinished", "expected_failure": "xfail",
                "unexpected_success": "xpass"}


@dataclass(frozen=True)
class TestLine:
    status: str
    key: str
    test_id: str
    duration_s: float
    message: str


def headline(run: RunData) -> str:
    result, outcome = run.result, run.result.outcome
    span = ""
    if result.end_time is not None:
        span = f", {fmt.duration(result.end_time.unix - result.start_time.unix)}"
    return (f"daist run {outcome.status}: {outcome.tests_run} tests run, {outcome.failures} "
            f"failed, {outcome.errors} errors, {outcome.skipped} skipped "
            f"(started {fmt.when(result.start_time)}{span})")


def target_line(run: RunData) -> str:
    result = run.result
    versions = result.version
    scale = run.target_scale
    return (f"{result.system or '?'} at {result.host.determined or '?'}, Determined "
            f"{versions.determined.server or '?'} (client {versions.determined.client or '?'})"
            f"{f', {scale} seeded experiments' if scale is not None else ''}; daist "
            f"{versions.daist or '?'}, Locust {versions.locust or '?'}")


def source_line(run: RunData) -> str:
    meta = run.result.metadata
    commit = str(meta.get("git_commit") or "")[:10] or "?"
    wheel = " of the installed wheel" if meta.get("daist_install") == "wheel" else ""
    return (f"commit {commit} ({meta.get('git_branch') or '?'}){wheel}; ran on "
            f"{meta.get('hostname') or '?'} ({meta.get('cpu_count') or '?'} CPUs); settings "
            f"digest {meta.get('settings_digest') or '?'}")


def test_lines(run: RunData) -> list[TestLine]:
    return [TestLine(STATUS_WORDS.get(record.status, record.status), test_key(test_id), test_id,
                     record.duration_s, record.message)
            for test_id, record in run.result.tests.items()]


def load_line(stats: LocustStatsList) -> str:
    info, plan = stats.run, stats.run.plan
    workers = f", {plan.workers} workers" if plan.workers else ""
    return (f"{plan.shape.describe()}, {plan.user_class or '?'}{workers}, "
            f"{info.window_s:.1f} s window: "
            f"{fmt.count(stats.num_requests)} requests, {fmt.rate(stats.rps)}/s, "
            f"{fmt.count(stats.num_failures)} failed ({fmt.percent(stats.fail_ratio)})"
            f"{' (interrupted)' if info.interrupted else ''}")


def saturation_warning(stats: LocustStatsList) -> str | None:
    if not stats.run.saturated:
        return None
    busy = ", ".join(f"{g.role} {g.cpu_percent:.0f}%" for g in stats.run.generator
                     if g.cpu_percent >= LocustStatsList.SATURATION_PERCENT) or "a process"
    return (f"the load generator was saturated ({busy} CPU): these figures are the generator's "
            "limit, not the server's; add [locust] workers")


def slowest(stats: LocustStatsList, limit: int | None = SLOWEST) -> list[EndpointStats]:
    """By p95 where the samples tell it, then the rest by p50."""
    def key(entry: EndpointStats) -> tuple:
        p95 = entry.hdr.shown("p95")
        return (0, -p95, entry.test_name) if math.isfinite(p95) else \
            (1, -entry.hdr.p50_ms, entry.test_name)
    ranked = sorted((e for e in stats.entries if e.hdr.count), key=key)
    return ranked if limit is None else ranked[:limit]


def told_steps(steps: list[StepPoint]) -> list[StepPoint]:
    """The sweep's steps with the percentiles too few requests cannot tell as NaN."""
    return [dataclasses.replace(s, p95_ms=told_value(s.p95_ms, "p95", s.num_requests),
                                p99_ms=told_value(s.p99_ms, "p99", s.num_requests))
            for s in steps]


def failure_rows(stats: LocustStatsList, limit: int | None = FAILURES) -> list[tuple[str, str, int]]:
    """(endpoint, message, occurrences), most frequent first."""
    rows = [(f"{e.method} {e.test_name}", message, number)
            for e in stats.entries for message, number in e.failures.items()]
    rows.sort(key=lambda row: (-row[2], row[0], row[1]))
    return rows if limit is None else rows[:limit]


def metric_table(op_hist: MetricLatencyOpHist, *, statistic: str = "p95") -> list[list[str]]:
    """Header ``operation, <level>...`` and one row per operation: ``statistic`` in ms."""
    levels = sorted({level for hists in op_hist.operations.values() for level in hists})
    rows = [["operation", *map(str, levels)]]
    for operation, hists in op_hist.operations.items():
        cells = []
        for level in levels:
            value = told_stats(hists[level].stats())[statistic] if level in hists else math.nan
            cells.append(fmt.ms(value))
        rows.append([operation, *cells])
    return rows


def checks_of(run: RunData, key: str) -> list[LimitCheck] | None:
    """The load test's limits with their measured values; None when the run saved neither its
    limits nor the settings to read them from."""
    slo = run_limits(run, key, LOAD.key)
    return limit_checks(run.locust[key].stats, slo) if slo is not None else None


def limit_lines(checks: list[LimitCheck] | None) -> list[str]:
    if checks is None:
        return ["  Limits: unknown (the run saved neither its limits nor its [locust] settings)"]
    broken = sum(not c.ok for c in checks)
    lines = [f"  Limits: {len(checks) - broken} met, {broken} broken"]
    rows = [[c.mark, fmt.shorten(c.scope, 40), c.measure, c.text(c.measured), c.text(c.limit),
             f"{c.headroom:+.0%}", fmt.shorten(c.where, 40) if c.where != c.scope else ""]
            for c in checks]
    lines += fmt.columns([["", "scope", "figure", "measured", "limit", "headroom", "worst endpoint"],
                          *rows], right={3, 4, 5}, indent="    ")
    return lines


def summary_text(run: RunData) -> str:
    lines = [headline(run), f"Target: {target_line(run)}", f"Source: {source_line(run)}",
             f"Results directory: {run.directory}"]
    faults = faults_line(run.result.metadata)
    if faults:
        lines += textwrap.wrap(f"WARNING: {faults}", WIDTH, subsequent_indent="  ",
                               break_on_hyphens=False)
    if run.result.error:
        lines.append(f"Error: {fmt.shorten(run.result.error, WIDTH)}")
    tests = test_lines(run)
    if tests:
        lines += ["", "Tests:"]
        width = max(len(t.key) for t in tests)
        for test in tests:  # the message in full: a verdict is never cut off
            head = f"  {test.status:10} {test.key:{width}}  {test.duration_s:7.1f} s"
            if len(head) + 2 + len(test.message) <= WIDTH:
                lines.append(f"{head}  {test.message}".rstrip())
                continue
            lines.append(head)
            lines += textwrap.wrap(test.message, WIDTH, initial_indent="    ",
                                   subsequent_indent="    ", break_on_hyphens=False)
    for section in KINDS.sections():
        if section.text is not None:
            for key in section.keys(run):
                lines += ["", *section.text(run, key)]
    if run.skipped:
        lines += ["", "Skipped files (unreadable):"]
        lines += [f"  {fmt.shorten(item, WIDTH)}" for item in run.skipped]
    return "\n".join(lines) + "\n"


def endpoint_lines(stats: LocustStatsList) -> list[str]:
    lines = []
    ranked = slowest(stats)
    if ranked:
        lines.append(f"  Slowest endpoints by p95 (of {sum(1 for e in stats.entries if e.hdr.count)}):")
        rows = [["endpoint", "requests", "rps", "p50 ms", "p95 ms", "p99 ms", "failed"]]
        rows += [[fmt.shorten(f"{e.method} {e.test_name}", 44), fmt.count(e.num_requests),
                  fmt.rate(e.rps), fmt.ms(e.hdr.shown("p50")), fmt.ms(e.hdr.shown("p95")),
                  fmt.ms(e.hdr.shown("p99")),
                  fmt.percent(e.fail_ratio)] for e in ranked]
        lines += fmt.columns(rows, right={1, 2, 3, 4, 5, 6}, indent="    ")
    failures = failure_rows(stats)
    if failures:
        lines.append(f"  Failures ({fmt.count(stats.num_failures)} of "
                     f"{fmt.count(stats.num_requests)} requests):")
        lines += [f"    {number:>7,}  {fmt.shorten(endpoint, 36)}: {fmt.shorten(message, WIDTH - 50)}"
                  for endpoint, message, number in failures]
    if stats.steps:
        lines.append("  User sweep:")
        rows = [["users", "rps", "p95 ms", "failed", ""]]
        rows += [[str(s.users), fmt.rate(s.rps), fmt.ms(s.p95_ms), fmt.percent(s.fail_ratio),
                  "knee" if s.knee else ""] for s in told_steps(stats.steps)]
        lines += fmt.columns(rows, right={0, 1, 2, 3}, indent="    ")
    return lines
