"""The metric tests' capacity mode: the most concurrently reporting (unmanaged) trials whose
latencies keep ``[metrics] slo``, found by the generic search (``daist.framework.capacity``)
over the trial count, one level per step, and saved as ``Capacity`` (``capacity_trials``)."""
from __future__ import annotations

import dataclasses

from daist.framework.capacity import (BROKE, INVALID, KEPT, SearchPlan, SearchResult,
                                      StepOutcome)
from daist.framework.usl import fit_usl
from daist.models.capacity import Capacity, CapacityStep
from daist.models.metric_latency import Hist, LatencySeries, MetricLatencySweep
from daist.models.limits import LimitRule
from daist.models.metric_slo import violations


def judge_series(series: LatencySeries, rules: list[LimitRule]) -> StepOutcome:
    """One step's outcome: invalid when the generator was over its limit, else broke (the
    first broken limit) or kept."""
    writes = Hist(series.samples("write"))
    outcome = StepOutcome(level=series.level, outcome=KEPT, decided_by="",
                          throughput=_reports_per_second(series),
                          p95_ms=writes.stats()["p95"] if writes.count else None,
                          num_requests=len(series.observations))
    if series.invalid:
        return dataclasses.replace(outcome, outcome=INVALID, decided_by=series.generator.reason)
    broken = violations(rules, MetricLatencySweep(axis="concurrency", series=[series]).op_hist())
    if broken:
        return dataclasses.replace(outcome, outcome=BROKE, decided_by=broken[0])
    return dataclasses.replace(outcome, decided_by=f"every limit kept ({'; '.join(map(str, rules))})")


def _reports_per_second(series: LatencySeries) -> float:
    sent = [o.sent_unix for o in series.observations if o.sent_unix is not None]
    ends = [end for _, end in series.spans.values()]
    if not sent or not ends or max(ends) <= min(sent):
        return 0.0
    return len(series.observations) / (max(ends) - min(sent))


def capacity_of(result: SearchResult | None, steps: list[StepOutcome], *, rules: list[LimitRule],
                search: SearchPlan, parameters: dict[str, int]) -> Capacity:
    """The artifact: the search's answer (or, cut short, what its steps show) and every step."""
    if result is None:
        kept = [s.level for s in steps if s.outcome == KEPT]
        result = SearchResult(capacity=max(kept, default=0), at_least=True,
                              limited_by="the search did not finish", steps=steps)
    valid = [s for s in result.steps if s.outcome in (KEPT, BROKE)]
    fit = fit_usl([s.level for s in valid], [s.throughput for s in valid])
    return Capacity(
        unit="trials", capacity_trials=result.capacity, at_least=result.at_least,
        limited_by=result.limited_by, limits="; ".join(map(str, rules)),
        search={"start": search.start, "growth": search.growth,
                "resolution": search.resolution, "max_level": search.max_level, **parameters},
        steps=[CapacityStep(level=s.level, outcome=s.outcome, decided_by=s.decided_by,
                            throughput=round(s.throughput, 3), p95_ms=s.p95_ms,
                            num_requests=s.num_requests) for s in result.steps],
        usl=dataclasses.asdict(fit) if fit is not None else None)


def level_rules(rules: list[LimitRule]) -> tuple[list[LimitRule], list[LimitRule]]:
    """(rules that hold at every level, rules pinned to one level): a search varies the level,
    so only the first kind can judge its steps."""
    return [r for r in rules if r.level is None], [r for r in rules if r.level is not None]

