"""The metric test's latency limits (``[metrics] slo``, grammar: ``daist.models.limits``)
judged on a concurrency sweep: read by the metric test that judges a run and by the report that
draws them (so both agree). A rule naming a level the sweep did not measure is a violation, so a
limit never passes silently."""
from __future__ import annotations

import math

from daist.models.limits import LimitRule
from daist.models.metric_latency import MetricLatencyOpHist
from daist.models.percentiles import PERCENTILES, key_of


def statistic(op_hist: MetricLatencyOpHist, rule: LimitRule, level: int) -> float:
    """The rule's statistic of its operation at ``level`` (NaN when not measured there)."""
    hist = op_hist.operations.get(rule.selector, {}).get(level)
    if hist is None or hist.count == 0:
        return math.nan
    return hist.stats()[_stat_key(rule.stat)]


def _stat_key(stat: str) -> str:
    return stat if stat in ("mean", "max") or stat in PERCENTILES else key_of(stat)


def violations(rules: list[LimitRule], op_hist: MetricLatencyOpHist) -> list[str]:
    """One line per broken limit, naming level, operation and numbers."""
    lines = []
    for rule in rules:
        if rule.limit is None:
            continue
        measured = op_hist.operations.get(rule.selector, {})
        levels = [rule.level] if rule.level is not None else sorted(measured)
        if not levels:
            lines.append(f"{rule}: {rule.selector} was not measured")
        for level in levels:
            value = statistic(op_hist, rule, level)
            if math.isnan(value):
                lines.append(f"{rule}: {rule.selector} at {op_hist.axis} {level} was not measured")
            elif value > rule.limit:
                lines.append(f"{rule.selector} {rule.stat} at {op_hist.axis} {level}: "
                             f"{value:.1f} ms > {rule.limit:g} ms "
                             f"({op_hist.operations[rule.selector][level].count} samples)")
    return lines
