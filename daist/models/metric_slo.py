"""Latency limits of the concurrency sweep (``[metrics] slo``), off when empty: read by the
metric test that judges a run and by the report that draws them (so both agree).

Syntax: rules ``OPERATION:STAT[@LEVEL]=MS`` joined by ``;``, e.g.
``write:p95@32=250; visible:p99=1000``. OPERATION is a measured operation (enqueue, write,
visible, or a read-back path such as read_training), STAT one of p50 p90 p95 p99 p99.9 mean max,
LEVEL a concurrency level (without it the rule holds at every measured level), MS the limit in
milliseconds: the statistic must not exceed it. A rule naming a level the sweep did not measure
is a violation, so a limit never passes silently.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from daist.models.metric_latency import MetricLatencyOpHist

KEY = "[metrics] slo"
STATS = {"p50": "p50", "p90": "p90", "p95": "p95", "p99": "p99", "p99.9": "p99_9",
         "mean": "mean", "max": "max"}
_RULE = re.compile(r"^(?P<op>[A-Za-z_]+)\s*:\s*(?P<stat>[A-Za-z0-9.]+)\s*"
                   r"(?:@\s*(?P<level>[^=\s]+)\s*)?=\s*(?P<limit>\S+)$")


@dataclass(frozen=True)
class Slo:
    operation: str
    stat: str
    """A key of ``STATS`` (the spelling in the settings)."""
    level: int | None
    limit_ms: float

    def __str__(self) -> str:
        at = f"@{self.level}" if self.level is not None else ""
        return f"{self.operation}:{self.stat}{at}={self.limit_ms:g}"


def parse_slo(text: str, *, operations: tuple[str, ...] | list[str],
              error: type[Exception] = ValueError) -> list[Slo]:
    """The rules of ``text``; a bad rule raises ``error`` (the settings check passes
    ``ConfigError``)."""
    rules = []
    for raw in text.split(";"):
        rule = raw.strip()
        if rule:
            rules.append(_parse_rule(rule, operations, error))
    return rules


def _parse_rule(rule: str, operations: tuple[str, ...] | list[str],
                error: type[Exception]) -> Slo:
    match = _RULE.match(rule)
    if not match:
        raise error(f"{KEY}: rule {rule!r} is not OPERATION:STAT[@LEVEL]=MS "
                          "(e.g. write:p95@32=250)")
    op, stat, level, limit = match["op"], match["stat"].lower(), match["level"], match["limit"]
    if op not in operations:
        raise error(f"{KEY}: rule {rule!r} names operation {op!r}; known: "
                          f"{', '.join(operations)}")
    if stat not in STATS:
        raise error(f"{KEY}: rule {rule!r} names statistic {stat!r}; known: "
                          f"{', '.join(STATS)}")
    if level is not None and not (level.isdigit() and int(level) >= 1):
        raise error(f"{KEY}: rule {rule!r}: level {level!r} is not a concurrency >= 1")
    try:
        limit_ms = float(limit)
    except ValueError:
        limit_ms = math.nan
    if not math.isfinite(limit_ms) or limit_ms <= 0:
        raise error(f"{KEY}: rule {rule!r}: limit {limit!r} is not a number of ms > 0")
    return Slo(op, stat, int(level) if level is not None else None, limit_ms)


def violations(rules: list[Slo], op_hist: MetricLatencyOpHist) -> list[str]:
    """One line per broken limit, naming level, operation and numbers."""
    lines = []
    for rule in rules:
        measured = op_hist.operations.get(rule.operation, {})
        levels = [rule.level] if rule.level is not None else sorted(measured)
        if not levels:
            lines.append(f"{rule}: {rule.operation} was not measured")
        for level in levels:
            hist = measured.get(level)
            if hist is None or hist.count == 0:
                lines.append(f"{rule}: {rule.operation} at {op_hist.axis} {level} was not measured")
                continue
            value = hist.stats()[STATS[rule.stat]]
            if value > rule.limit_ms:
                lines.append(f"{rule.operation} {rule.stat} at {op_hist.axis} {level}: "
                             f"{value:.1f} ms > {rule.limit_ms:g} ms ({hist.count} samples)")
    return lines
