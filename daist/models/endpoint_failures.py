"""How many failures one endpoint may have: the per-endpoint half of a load test's failure
limit, shared by the verdict and the report's limits table so the two cannot disagree.

An endpoint fails the test when its failure ratio exceeds its limit: a ``fail=`` set by a
``[locust] slo`` rule (the most specific rule wins; an empty ``fail=`` lifts it), else the
test's ``max_fail_ratio`` (empty: none). The default applies only from ``MIN_ENDPOINT_FAILURES`` failures on: a rare
endpoint's one failure in three requests is left to the whole test's ratio, not called 33 %."""
from __future__ import annotations

from dataclasses import dataclass

from daist.models.limits import FAIL, Limits

MIN_ENDPOINT_FAILURES = 5
"""Failures an endpoint needs before the default (``max_fail_ratio``) limit judges it."""


@dataclass(frozen=True)
class FailLimit:
    ratio: float
    min_failures: int
    explicit: bool
    """Set by a ``[locust] slo`` rule (else the ``max_fail_ratio`` default)."""

    def broken_by(self, failures: int, requests: int) -> bool:
        return (requests > 0 and failures >= self.min_failures
                and failures / requests > self.ratio)


def endpoint_fail_limit(slo: Limits, test_name: str, endpoint_class: str) -> FailLimit | None:
    """The failure limit of one endpoint under ``slo``; None when a rule lifted it or no limit
    is set."""
    ruled = [rule for selector in ("*", endpoint_class, test_name)  # least to most specific
             for rule in slo.rules if rule.selector == selector and rule.stat == FAIL]
    if ruled:
        limit = ruled[-1].limit
        return FailLimit(limit, 1, True) if limit is not None else None
    if slo.max_fail_ratio is None:
        return None
    return FailLimit(slo.max_fail_ratio, MIN_ENDPOINT_FAILURES, False)
