"""The limits a load test was judged by, each with its measured value, ✓/✗ and headroom (the
end-of-test threshold table of k6): the whole test's failure ratio, every endpoint class's
limits (measured at its worst endpoint; each endpoint's failure ratio is limited too), and every
endpoint that has limits of its own.

The limits are the ones the test was judged by, as it saved them (``Limits``), so the table and
the verdict cannot disagree; a run saved before tests saved them is read from its saved
settings (``daist.models.limits.saved_limits``)."""
from __future__ import annotations

from dataclasses import dataclass

from daist.framework.errors import ConfigError
from daist.models.endpoint_limits import (FailLimit, endpoint_breaks, endpoint_fail_limit,
                                          latency_limits)
from daist.models.limits import FAIL, Limits, saved_limits
from daist.models.locust import EndpointStats, LocustStatsList
from daist.report import fmt
from daist.report.loader import RunData


@dataclass(frozen=True)
class LimitCheck:
    scope: str
    """``all requests``, ``class list`` or an endpoint's test_name."""
    measure: str
    """``fail`` (a ratio) or a percentile (``p95``)."""
    limit: float
    measured: float
    where: str = ""
    """The endpoint that measured it (the worst of a class)."""

    @property
    def ok(self) -> bool:
        return self.measured <= self.limit

    @property
    def mark(self) -> str:
        return "✓" if self.ok else "✗"

    @property
    def headroom(self) -> float:
        """Share of the limit left (negative: over it)."""
        return (self.limit - self.measured) / self.limit if self.limit else 0.0

    def text(self, value: float) -> str:
        return fmt.percent(value) if self.measure == FAIL else f"{fmt.ms(value)} ms"

    @property
    def line(self) -> str:
        where = f" ({self.where})" if self.where and self.where != self.scope else ""
        return (f"{self.mark} {self.scope}: {self.measure} {self.text(self.measured)}{where} "
                f"{'<=' if self.ok else '>'} {self.text(self.limit)}, headroom "
                f"{self.headroom:+.0%}")


def run_limits(run: RunData, key: str, setting: str) -> Limits | None:
    """The limits test ``key`` was judged by: its saved ``Limits``, else (a run saved before
    tests saved them, or an unreadable one) its saved settings; None when it has neither.
    Saved settings no grammar ever accepted: ``ConfigError`` naming them."""
    saved = run.artifact_of(Limits, key)
    if saved is not None and saved.setting == setting:
        return saved
    try:
        return saved_limits(run.settings, setting)
    except ValueError as exc:
        raise ConfigError(f"{run.directory}: the saved limits cannot be read: {exc}") from None


def _measured(entry: EndpointStats, measure: str) -> float | None:
    return entry.hdr.percentile(measure) if entry.hdr.count else None


def _worst_failing(entries: list[EndpointStats], limit: FailLimit) -> tuple[float, str]:
    """The highest failure ratio among the endpoints the limit judges (enough failures)."""
    judged = [(e.fail_ratio, e.test_name) for e in entries
              if e.num_requests and e.num_failures >= limit.min_failures]
    if judged:
        return max(judged)
    failing = any(e.num_failures for e in entries)
    return 0.0, f"none with {limit.min_failures}+ failures" if failing else ""


def break_texts(entry: EndpointStats, slo: Limits) -> list[str]:
    """The limits this endpoint broke, e.g. ``p95 1,210 ms > 1,000 ms``."""
    broken = []
    for b in endpoint_breaks(entry, slo):
        check = LimitCheck(entry.test_name, b.measure, b.limit, b.measured)
        broken.append(f"{b.measure} {check.text(b.measured)} > {check.text(b.limit)}")
    return broken


def _scope_checks(scope: str, members: list[EndpointStats], slo: Limits, test_name: str,
                  endpoint_class: str) -> list[LimitCheck]:
    """The limits of one scope (a class's endpoints, or one endpoint), each measured at its
    worst member; the default failure limit only where some member failed (a row of 0 %
    per class would bury the rest)."""
    checks = []
    fail = endpoint_fail_limit(slo, test_name, endpoint_class)
    if fail is not None and (fail.explicit or any(e.num_failures for e in members)):
        value, where = _worst_failing(members, fail)
        checks.append(LimitCheck(scope, FAIL, fail.ratio, value, where))
    for measure, limit in latency_limits(slo, test_name, endpoint_class).items():
        values = [(v, e.test_name) for e in members if (v := _measured(e, measure)) is not None]
        if values:
            value, where = max(values)
            checks.append(LimitCheck(scope, measure, limit, value, where))
    return checks


def limit_checks(stats: LocustStatsList, slo: Limits) -> list[LimitCheck]:
    """Failed checks first, worst headroom first, then the met ones by headroom. A class's
    ``fail`` is measured at its worst endpoint with enough failures to be judged
    (``MIN_ENDPOINT_FAILURES`` under the default limit)."""
    checks = [] if slo.max_fail_ratio is None else \
        [LimitCheck("all requests", FAIL, slo.max_fail_ratio, stats.fail_ratio)]
    own = slo.selectors
    measured = [e for e in stats.entries if e.num_requests]
    for cls in sorted({e.endpoint_class for e in measured}):
        members = [e for e in measured if e.endpoint_class == cls and e.test_name not in own]
        if members:
            checks += _scope_checks(f"class {cls}", members, slo, "", cls)
    for entry in measured:
        if entry.test_name in own:
            checks += _scope_checks(entry.test_name, [entry], slo, entry.test_name,
                                    entry.endpoint_class)
    return sorted(checks, key=lambda c: (c.ok, c.headroom))
