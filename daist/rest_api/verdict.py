"""Pass/fail of a load test: the failure ratio and latency limits (SLOs) of ``[locust] slo``
(grammar and syntax: ``daist.models.limits``), evaluated on the steady-state window's exact (HDR)
figures.
"""
from __future__ import annotations

from functools import partial

from daist.framework.errors import ConfigError
from daist.models.endpoint_limits import Break, endpoint_breaks
from daist.models.locust import EndpointStats, LocustStatsList
from daist.models.limits import FAIL, Limits, load_limits

parse_endpoint_slo = partial(load_limits, error=ConfigError)
"""``[locust] slo`` as a setting: a mistake is a ``ConfigError`` (exit 2, nothing started)."""


def endpoint_violations(stats: LocustStatsList, slo: Limits) -> list[str]:
    """One line per broken limit, naming the endpoint and the numbers, worst first: the whole
    test's failure ratio, then the endpoints by how far they are over (value / limit), an
    endpoint's own failure ratio included (``endpoint_breaks``); empty = pass."""
    found: list[str] = []
    total = stats.num_requests
    if total == 0:
        return ["no request completed in the measured window"]
    ratio = stats.fail_ratio
    if slo.max_fail_ratio is not None and ratio > slo.max_fail_ratio:
        worst = sorted((e for e in stats.entries if e.num_failures), key=lambda e: -e.num_failures)
        detail = ", ".join(f"{e.test_name} {e.num_failures}/{e.num_requests}"
                           f" ({_top_message(e.failures)})" for e in worst[:5])
        found.append(f"failures {ratio:.1%} ({stats.num_failures} of {total}) > "
                     f"max_fail_ratio {slo.max_fail_ratio:.1%}: {detail}")
    over: list[tuple[float, str]] = []  # (how many times the limit, line)
    for entry in stats.entries:
        if entry.num_requests:
            over += [(b.scale, _line(entry, b)) for b in endpoint_breaks(entry, slo)]
    found.extend(line for _, line in sorted(over, key=lambda item: (-item[0], item[1])))
    return found


def _line(entry: EndpointStats, broke: Break) -> str:
    if broke.measure == FAIL:
        return (f"{entry.test_name}: failures {entry.fail_ratio:.1%} ({entry.num_failures} of "
                f"{entry.num_requests}) > {broke.limit:.1%}"
                f"{' (max_fail_ratio, per endpoint)' if broke.default else ''}")
    return (f"{entry.test_name}: {broke.measure} {broke.measured:.1f} ms > {broke.limit:g} ms "
            f"(n={entry.hdr.count})")


def _top_message(failures: dict[str, int]) -> str:
    if not failures:
        return "no message"
    message, count = max(failures.items(), key=lambda item: item[1])
    return f"{count}x {message[:80]}"
