"""The limits a load test was judged by, each with its measured value, ✓/✗ and headroom (the
end-of-test threshold table of k6): the whole test's failure ratio, every endpoint class's
limits (measured at its worst endpoint), and every endpoint that has limits of its own.

The limits are the run's own: parsed from its saved settings (``[locust] slo``, ``p95_ms``,
``p99_ms``, ``max_fail_ratio``) with the load test's own grammar, so the table and the verdict
cannot disagree."""
from __future__ import annotations

from dataclasses import dataclass

from daist.framework.errors import ConfigError
from daist.models.locust import EndpointStats, LocustStatsList
from daist.models.slo import parse_endpoint_slo
from daist.report import fmt

FAIL = "fail"


@dataclass(frozen=True)
class LimitCheck:
    scope: str
    """``all requests``, ``class list`` or an endpoint's test_name."""
    figure: str
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
        return fmt.percent(value) if self.figure == FAIL else f"{fmt.ms(value)} ms"

    @property
    def line(self) -> str:
        where = f" ({self.where})" if self.where and self.where != self.scope else ""
        return (f"{self.mark} {self.scope}: {self.figure} {self.text(self.measured)}{where} "
                f"{'<=' if self.ok else '>'} {self.text(self.limit)}, headroom "
                f"{self.headroom:+.0%}")


def run_slo(settings: dict[str, dict[str, str]]):
    """The run's limits from its saved settings; None when the run did not save them."""
    locust = settings.get("locust")
    if not locust or "p95_ms" not in locust:
        return None
    return parse_endpoint_slo(locust.get("slo", ""), p95_ms=float(locust.get("p95_ms") or 0),
                              p99_ms=float(locust.get("p99_ms") or 0),
                              max_fail_ratio=float(locust.get("max_fail_ratio") or 0),
                              error=ConfigError)


def _measured(entry: EndpointStats, figure: str) -> float | None:
    if figure == FAIL:
        return entry.fail_ratio if entry.num_requests else None
    return entry.hdr.percentile(figure) if entry.hdr.count else None


def endpoint_breaks(entry: EndpointStats, slo) -> list[str]:
    """The limits this endpoint broke, e.g. ``p95 1,210 ms > 1,000 ms``."""
    broken = []
    for figure, limit in slo.limits_for(entry.test_name, entry.endpoint_class).items():
        value = _measured(entry, figure)
        if value is not None and value > limit:
            check = LimitCheck(entry.test_name, figure, limit, value)
            broken.append(f"{figure} {check.text(value)} > {check.text(limit)}")
    return broken


def limit_checks(stats: LocustStatsList, slo) -> list[LimitCheck]:
    """Failed checks first, worst headroom first, then the met ones by headroom."""
    checks = [LimitCheck("all requests", FAIL, slo.max_fail_ratio, stats.fail_ratio)]
    own = {rule.selector for rule in slo.rules}
    measured = [e for e in stats.entries if e.num_requests]
    for cls in sorted({e.endpoint_class for e in measured}):
        members = [e for e in measured if e.endpoint_class == cls and e.test_name not in own]
        limits = slo.limits_for("", cls)
        for figure, limit in limits.items():
            values = [(v, e.test_name) for e in members if (v := _measured(e, figure)) is not None]
            if values:
                value, where = max(values)
                checks.append(LimitCheck(f"class {cls}", figure, limit, value, where))
    for entry in measured:
        if entry.test_name not in own:
            continue
        for figure, limit in slo.limits_for(entry.test_name, entry.endpoint_class).items():
            value = _measured(entry, figure)
            if value is not None:
                checks.append(LimitCheck(entry.test_name, figure, limit, value))
    return sorted(checks, key=lambda c: (c.ok, c.headroom))
