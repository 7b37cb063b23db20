"""Is an unmanaged level a measurement of the master, or of the generator's own limit? The
generator's overhead per report is the client's time of a report POST against the target's own
handling time of the same calls (its Prometheus histogram, read around the level, as the load
tests' server timing reads it); where the target exposes no timings the generator's CPU alone
decides, and the check says so. The gap between client and server is the generator's only as
far as its own event loop ran late: where every generator process was watched and none ran
later than the limit (p99), a larger gap lies in front of the target's handler (its accept
queue, its loop: the master's time that its handler histogram does not see), and the level
stays valid, saying so. Whatever the basis, a generator process whose event loop ran
late (lag p99 over the overhead limit, or a stall of 3 s) or a worker that missed
Locust's heartbeat makes the level invalid too. A level over any limit is invalid: it is recorded with the
level and never plotted as the master's latency."""
from __future__ import annotations

from dataclasses import dataclass, field

from daist.engine.tally import ExactTally
from daist.evidence.histograms import BucketHistogram
from daist.evidence.server_timing import grpc_method_of
from daist.metrics.trial_user import REPORT
from daist.models.locust import GeneratorUsage, LocustStatsList
from daist.models.metric_latency import GeneratorCheck

CPU_LIMIT_PERCENT = LocustStatsList.SATURATION_PERCENT  # the load tests' generator limit
REPORT_ROUTE = ("POST", "/api/v1/trials/{trial_id}/metrics")
STALL_LIMIT_S = 3.0
"""A loop stall this long would also cost a worker Locust's heartbeat (3 missed 1 s beats)."""


@dataclass
class Driven:
    """What the generator saw of one level."""

    tally: ExactTally
    usage: list[GeneratorUsage] = field(default_factory=list)
    workers: int = 0
    workers_reported: list[str] = field(default_factory=list)
    """The workers whose final report arrived, as "host pid" (the load tests' stats say the same)."""
    late_workers: list[str] = field(default_factory=list)
    """Workers that missed Locust's heartbeat after every trial started, and came back."""

    @property
    def reports(self) -> int:
        return self.tally.count(REPORT)


def generator_check(driven: Driven, *, overhead_limit_ms: float,
                    handling: dict[str, BucketHistogram]) -> GeneratorCheck:
    """The verdict on one level from what the generator saw (``driven``) and the target's
    handling-time histograms over the level (``handling``; empty: not exposed)."""
    report = driven.tally.names.get(REPORT)
    check = GeneratorCheck(workers=driven.workers, workers_reported=list(driven.workers_reported),
                           usage=list(driven.usage), reports_sent=driven.reports,
                           late_workers=list(driven.late_workers),
                           cpu_limit_percent=CPU_LIMIT_PERCENT,
                           overhead_limit_ms=overhead_limit_ms)
    if report is not None and report.count > report.failures:
        check.client_p50_ms = round(report.percentile_ms(50.0), 3)
    method = grpc_method_of(*REPORT_ROUTE)
    server = handling.get(method) if method else None
    found = server.quantile(0.5) if server is not None and server.count else None
    check.loop_lag_p99_ms = watched_lag_ms(check.usage)
    reasons = []
    if found is not None and check.client_p50_ms is not None:
        check.basis = "server"
        check.server_p50_ms = round(found[0] * 1000.0, 3)
        check.overhead_p50_ms = round(check.client_p50_ms - check.server_p50_ms, 3)
        if check.overhead_p50_ms > overhead_limit_ms and not check.gap_at_target:
            reasons.append(f"the generator added {check.overhead_p50_ms:.1f} ms to a report's "
                           f"p50 over the server's {check.server_p50_ms:.1f} ms (limit "
                           f"{overhead_limit_ms:g} ms, [metrics] max_generator_overhead_ms)")
    busy = [u for u in check.usage if u.cpu_percent >= CPU_LIMIT_PERCENT]
    if busy:
        reasons.append(f"{describe_usage(busy[0])} sat at >= {CPU_LIMIT_PERCENT:.0f}% of a core")
    reasons += loop_reasons(check.usage, overhead_limit_ms=overhead_limit_ms)
    if check.late_workers:
        reasons.append(f"worker(s) {', '.join(check.late_workers)} missed Locust's heartbeat "
                       f"(late, then back)")
    check.valid = not reasons
    check.reason = "; ".join(reasons)
    return check


def watched_lag_ms(usage: list[GeneratorUsage]) -> float | None:
    """The largest loop-lag p99 of the generator processes, or None unless each was watched
    (a process not watched records 0)."""
    if not usage or any(u.loop_lag_max_ms <= 0.0 for u in usage):
        return None
    return max(u.loop_lag_p99_ms for u in usage)


def loop_reasons(usage: list[GeneratorUsage], *, overhead_limit_ms: float) -> list[str]:
    """A generator process whose event loop ran late adds that lateness to what it timed: its
    lag p99 over the overhead limit, or one stall of ``STALL_LIMIT_S``, invalidates a level."""
    reasons = []
    for u in usage:
        if u.loop_lag_max_ms >= STALL_LIMIT_S * 1000.0:
            reasons.append(f"{describe_usage(u)}: its event loop stalled "
                           f"{u.loop_lag_max_ms / 1000.0:.1f} s")
        elif u.loop_lag_p99_ms > overhead_limit_ms:
            reasons.append(f"{describe_usage(u)}: its event loop ran {u.loop_lag_p99_ms:.0f} ms "
                           f"late (p99; limit {overhead_limit_ms:g} ms)")
    return reasons


def describe_usage(usage: GeneratorUsage) -> str:
    where = f"{usage.host} " if usage.host else ""
    return (f"{usage.role} {where}pid {usage.pid}: {usage.cpu_percent:.0f}% of a core "
            f"(peak {usage.cpu_max_percent:.0f}%), {usage.rss_mb:.0f} MiB")


def describe_check(check: GeneratorCheck) -> str:
    """One line: valid or not, on which basis, and why."""
    if check.basis == "server":
        basis = (f"overhead p50 {check.overhead_p50_ms:.1f} ms (client {check.client_p50_ms:.1f} "
                 f"- server {check.server_p50_ms:.1f})")
        if check.gap_at_target:
            basis += (f", in front of the target's handler: no generator loop ran over "
                      f"{check.loop_lag_p99_ms:.1f} ms late (p99)")
    else:
        basis = "the target exposes no timings: judged on the generator's CPU and event-loop lag"
    verdict = "valid" if check.valid else f"INVALID: {check.reason}"
    return (f"{verdict}; {basis}; {check.reports_sent} reports sent; {check.workers} workers, "
            f"reported: {', '.join(check.workers_reported) or 'in-process'}")
