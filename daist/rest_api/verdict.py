"""Pass/fail of a load test: the failure ratio and latency limits (SLOs) of ``[locust] slo``
(grammar and syntax: ``daist.models.limits``), evaluated on the steady-state window's exact (HDR)
figures.
"""
from __future__ import annotations

import math
from functools import partial

from daist.framework.errors import ConfigError
from daist.models.endpoint_failures import endpoint_fail_limit
from daist.models.locust import LocustStatsList
from daist.models.limits import Limits, load_limits

parse_endpoint_slo = partial(load_limits, error=ConfigError)
"""``[locust] slo`` as a setting: a mistake is a ``ConfigError`` (exit 2, nothing started)."""


def endpoint_violations(stats: LocustStatsList, slo: Limits) -> list[str]:
    """One line per broken limit, naming the endpoint and the numbers, worst first: the whole
    test's failure ratio, then the endpoints by how far they are over (value / limit), an
    endpoint's own failure ratio included (``endpoint_fail_limit``); empty = pass."""
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
        if not entry.num_requests:
            continue
        fail = endpoint_fail_limit(slo, entry.test_name, entry.endpoint_class)
        if fail is not None and fail.broken_by(entry.num_failures, entry.num_requests):
            scale = entry.fail_ratio / fail.ratio if fail.ratio else math.inf
            over.append((scale, f"{entry.test_name}: failures {entry.fail_ratio:.1%} "
                         f"({entry.num_failures} of {entry.num_requests}) > {fail.ratio:.1%}"
                         f"{'' if fail.explicit else ' (max_fail_ratio, per endpoint)'}"))
        limits = slo.limits_for(entry.test_name, entry.endpoint_class)  # the limits set
        for key, limit in limits.items():
            if key == "fail":
                continue
            value = entry.hdr.percentile(key)
            if entry.hdr.count and value > limit:
                over.append((value / limit, f"{entry.test_name}: {key} {value:.1f} ms > "
                             f"{limit:g} ms (n={entry.hdr.count})"))
    found.extend(line for _, line in sorted(over, key=lambda item: (-item[0], item[1])))
    return found


def _top_message(failures: dict[str, int]) -> str:
    if not failures:
        return "no message"
    message, count = max(failures.items(), key=lambda item: item[1])
    return f"{count}x {message[:80]}"
