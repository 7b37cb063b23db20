"""Pass/fail of a load test (``EndpointSlo``; the metric tests' grammar is
``daist.metrics.slo``): the failure ratio and latency limits (SLOs), evaluated on the
steady-state window's exact (HDR) figures.

``[locust] slo`` syntax: rules separated by ``;``, each ``SELECTOR:LIMIT[,LIMIT...]``.

- SELECTOR: an endpoint class (``get``, ``list``, ``search``, ``write``), ``*`` (every
  endpoint) or a ``test_name`` (``get experiments``).
- LIMIT: ``p50``/``p90``/``p95``/``p99``/``p99.9`` ``=`` milliseconds, or ``fail=`` a ratio
  (0..1) for that endpoint alone. ``0`` disables a limit (report-only).

The most specific rule wins per limit: test_name, then class, then ``*``, then the defaults
``p95_ms``/``p99_ms``. ``max_fail_ratio`` limits the whole test's failures (k6: 5 %).
Example: ``list:p95=2000; get experiments:p99=5000,fail=0.01; write:p95=0``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from daist.framework.errors import ConfigError
from daist.models.endpoint_failures import endpoint_fail_limit
from daist.models.locust import LocustStatsList
from daist.rest_api.endpoints import ENDPOINT_CLASSES

PERCENTILE_KEYS = ("p50", "p90", "p95", "p99", "p99.9")
_LIMIT = re.compile(rf"^({'|'.join(map(re.escape, PERCENTILE_KEYS))}|fail)"
                    r"\s*=\s*([0-9]+(?:\.[0-9]+)?)$")


@dataclass(frozen=True)
class EndpointRule:
    selector: str
    limits: dict[str, float]


@dataclass
class EndpointSlo:
    defaults: dict[str, float] = field(default_factory=dict)
    rules: list[EndpointRule] = field(default_factory=list)
    max_fail_ratio: float = 0.05

    def limits_for(self, test_name: str, endpoint_class: str) -> dict[str, float]:
        """Effective limits of one endpoint (0 = disabled entries removed)."""
        merged = dict(self.defaults)
        for selector in ("*", endpoint_class, test_name):  # least to most specific
            for rule in self.rules:
                if rule.selector == selector:
                    merged.update(rule.limits)
        return {key: value for key, value in merged.items() if value > 0}


def parse_endpoint_slo(text: str, *, p95_ms: float, p99_ms: float, max_fail_ratio: float,
                       test_names: set[str] | None = None) -> EndpointSlo:
    """Parse ``[locust] slo``; every mistake is a one-line ``ConfigError`` naming the key.
    With ``test_names`` given, a selector that is neither a class nor a known name is refused."""
    slo = EndpointSlo(defaults={"p95": p95_ms, "p99": p99_ms}, max_fail_ratio=max_fail_ratio)
    for raw in text.split(";"):
        if not raw.strip():
            continue
        selector, sep, limits_text = raw.rpartition(":")
        selector = selector.strip()
        if not sep or not selector:
            raise ConfigError(f"[locust] slo: {raw.strip()!r} is not SELECTOR:LIMIT "
                              f"(e.g. 'list:p95=2000')")
        if (test_names is not None and selector != "*" and selector not in ENDPOINT_CLASSES
                and selector not in test_names):
            raise ConfigError(f"[locust] slo: {selector!r} is neither an endpoint class "
                              f"({', '.join(ENDPOINT_CLASSES)}), '*' nor a catalogue test_name")
        limits: dict[str, float] = {}
        for piece in limits_text.split(","):
            match = _LIMIT.match(piece.strip())
            if not match:
                raise ConfigError(f"[locust] slo: {piece.strip()!r} in rule {selector!r} is not "
                                  f"{'|'.join(PERCENTILE_KEYS)}=MS or fail=RATIO")
            value = float(match[2])
            if match[1] == "fail" and value > 1:
                raise ConfigError(f"[locust] slo: fail={match[2]} in rule {selector!r} must be "
                                  f"a ratio from 0 to 1")
            limits[match[1]] = value
        slo.rules.append(EndpointRule(selector=selector, limits=limits))
    return slo


def endpoint_violations(stats: LocustStatsList, slo: EndpointSlo) -> list[str]:
    """One line per broken limit, naming the endpoint and the numbers, worst first: the whole
    test's failure ratio, then the endpoints by how far they are over (value / limit), an
    endpoint's own failure ratio included (``endpoint_fail_limit``); empty = pass."""
    found: list[str] = []
    total = stats.num_requests
    if total == 0:
        return ["no request completed in the measured window"]
    ratio = stats.fail_ratio
    if ratio > slo.max_fail_ratio:
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
        limits = slo.limits_for(entry.test_name, entry.endpoint_class)  # every limit > 0
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
