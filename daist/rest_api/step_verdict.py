"""One step of TestCapacity's search judged against the load test's own limits: ``kept`` only
when every limit of every endpoint of the mix had the samples to be judged and held, ``broke``
when a limit with samples enough broke, ``invalid`` when a generator process saturated, else
``undecided``. No Locust here: tests import it in any process.

A percentile is judged only from the samples that can tell it (``min_samples``: p95 from 20,
p99 from 100): the p95 of five requests is their slowest, which says nothing about a limit.
"""
from __future__ import annotations

from typing import Sequence

from daist.framework.capacity import BROKE, INVALID, KEPT, UNDECIDED, StepOutcome
from daist.models.locust import EndpointStats, LocustStatsList
from daist.models.percentiles import min_samples, percentile_number, told
from daist.models.limits import Limits
from daist.rest_api.endpoints import EndpointTask

TOO_FEW = "too few samples"


def _p95(stats: LocustStatsList) -> float | None:
    """The step's p95 over all its requests (the curve's), None without samples enough."""
    total = stats.total().hdr
    return total.p95_ms if told("p95", total.count) else None


def judge_step(users: int, stats: LocustStatsList, slo: Limits,
               mix: Sequence[EndpointTask]) -> StepOutcome:
    """``mix``: the endpoints the step ran; one the window saw no request of has no samples."""
    def outcome(name: str, decided_by: str) -> StepOutcome:
        return StepOutcome(level=users, outcome=name, decided_by=decided_by,
                           throughput=stats.rps, p95_ms=_p95(stats),
                           num_requests=stats.num_requests)

    if stats.run.saturated:
        usage = ", ".join(f"{u.role} {u.cpu_percent:.0f}% CPU" for u in stats.run.generator)
        return outcome(INVALID, f"the load generator saturated ({usage}): add [locust] workers")
    if not stats.num_requests:
        return outcome(UNDECIDED, "no request completed in the window")
    broken: list[tuple[float, str]] = []  # (how many times the limit, what)
    short: list[str] = []
    if slo.max_fail_ratio is not None and stats.fail_ratio > slo.max_fail_ratio:
        broken.append((stats.fail_ratio / slo.max_fail_ratio if slo.max_fail_ratio else
                       float("inf"), f"failures {stats.fail_ratio:.1%} of all requests > "
                       f"max_fail_ratio {slo.max_fail_ratio:.1%}"))
    measured = {entry.test_name: entry for entry in stats.entries}
    judged = [measured.get(task.test_name) or EndpointStats(test_name=task.test_name,
                                                            endpoint_class=task.endpoint_class)
              for task in mix]  # the session's login and logout fall outside the window
    for entry in judged:
        for key, limit in slo.limits_for(entry.test_name, entry.endpoint_class).items():
            if key == "fail":
                if entry.num_requests and entry.fail_ratio > limit:
                    broken.append((entry.fail_ratio / limit, f"{entry.test_name}: failures "
                                   f"{entry.fail_ratio:.1%} > {limit:.1%}"))
                continue
            needed = min_samples(percentile_number(key))
            if entry.hdr.count < needed:
                short.append(f"{entry.test_name} {key} ({entry.hdr.count} of {needed} samples)")
                continue
            value = entry.hdr.percentile(key)
            if value > limit:
                broken.append((value / limit, f"{entry.test_name}: {key} {value:.1f} ms > "
                               f"{limit:g} ms (n={entry.hdr.count})"))
    if broken:
        return outcome(BROKE, max(broken)[1])
    if short:
        more = f" and {len(short) - 3} more" if len(short) > 3 else ""
        return outcome(UNDECIDED, f"{TOO_FEW} to judge {', '.join(short[:3])}{more}")
    return outcome(KEPT, f"every limit held ({stats.num_requests} requests, "
                         f"{stats.rps:,.0f}/s)")
