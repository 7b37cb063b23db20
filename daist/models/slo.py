"""The load test's limits grammar, ``[locust] slo``, and its parsed form ``EndpointSlo``:
read by the load test that judges a run (``daist.rest_api.verdict``) and by the report that
shows the limits a run was judged by. The metric tests' grammar is ``daist.models.metric_slo``.

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

import re
from dataclasses import dataclass, field

ENDPOINT_CLASSES = ("get", "list", "search", "write")
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
                       test_names: set[str] | None = None,
                       error: type[Exception] = ValueError) -> EndpointSlo:
    """Parse ``[locust] slo``; every mistake is a one-line ``error`` naming the key (settings
    pass ``ConfigError``).
    With ``test_names`` given, a selector that is neither a class nor a known name is refused."""
    slo = EndpointSlo(defaults={"p95": p95_ms, "p99": p99_ms}, max_fail_ratio=max_fail_ratio)
    for raw in text.split(";"):
        if not raw.strip():
            continue
        selector, sep, limits_text = raw.rpartition(":")
        selector = selector.strip()
        if not sep or not selector:
            raise error(f"[locust] slo: {raw.strip()!r} is not SELECTOR:LIMIT "
                        f"(e.g. 'list:p95=2000')")
        if (test_names is not None and selector != "*" and selector not in ENDPOINT_CLASSES
                and selector not in test_names):
            raise error(f"[locust] slo: {selector!r} is neither an endpoint class "
                        f"({', '.join(ENDPOINT_CLASSES)}), '*' nor a catalogue test_name")
        limits: dict[str, float] = {}
        for piece in limits_text.split(","):
            match = _LIMIT.match(piece.strip())
            if not match:
                raise error(f"[locust] slo: {piece.strip()!r} in rule {selector!r} is not "
                            f"{'|'.join(PERCENTILE_KEYS)}=MS or fail=RATIO")
            value = float(match[2])
            if match[1] == "fail" and value > 1:
                raise error(f"[locust] slo: fail={match[2]} in rule {selector!r} must be "
                            f"a ratio from 0 to 1")
            limits[match[1]] = value
        slo.rules.append(EndpointRule(selector=selector, limits=limits))
    return slo
