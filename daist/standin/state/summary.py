"""Running per-trial metric summaries in the shape of ``trial.summaryMetrics``."""
from __future__ import annotations

import math
from typing import Any


# Determined files training under avg_metrics and validation under validation_metrics.
_SUMMARY_KEYS = {"training": "avg_metrics", "validation": "validation_metrics"}
_GROUPS = {key: group for group, key in _SUMMARY_KEYS.items()}


def summary_key(group: str) -> str:
    """The key of ``summaryMetrics`` that holds a report group."""
    return _SUMMARY_KEYS.get(group, group)


def summary_group(key: str) -> str:
    """The report group a ``summaryMetrics`` key holds (the inverse of ``summary_key``)."""
    return _GROUPS.get(key, key)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def fold(summary: dict[str, Any], group: str, values: dict[str, Any]) -> dict[str, Any]:
    """Fold one report into ``summary`` (mutated and returned): count/sum/min/max/last/mean
    for numbers (the aggregates the master keeps), last for the rest, each with its type."""
    bucket = summary.setdefault(summary_key(group), {})
    for name, value in values.items():
        kind = _kind(value)
        entry = bucket.get(name)
        if kind != "number" or (isinstance(value, float) and not math.isfinite(value)):
            bucket[name] = {"last": value, "type": kind}
            continue
        if entry is None or entry.get("type") != "number":
            bucket[name] = {"count": 1, "sum": value, "min": value, "max": value, "last": value,
                            "mean": value, "type": "number"}
            continue
        entry["count"] += 1
        entry["sum"] += value
        entry["min"] = min(entry["min"], value)
        entry["max"] = max(entry["max"], value)
        entry["last"] = value
        entry["mean"] = entry["sum"] / entry["count"]
    return summary


def is_better(candidate: Any, current: Any, *, smaller_is_better: bool) -> bool:
    if not isinstance(candidate, (int, float)) or isinstance(candidate, bool):
        return False
    if not isinstance(current, (int, float)) or isinstance(current, bool):
        return True
    return candidate < current if smaller_is_better else candidate > current
