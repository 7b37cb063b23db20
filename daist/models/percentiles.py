"""The one rule for every percentile daist shows or stores: a percentile is told only by enough
samples to hold at least one beyond it (p90 from 10, p95 from 20, p99 from 100, p99.9 from
1,000); with fewer it is "-" in text and HTML, left out of plots and NULL in the database. The
nearest-rank p99 of 16 samples is their maximum, not a p99."""
from __future__ import annotations

import math

PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p99_9": 99.9}
"""Every percentile daist computes, by its one key spelling (data keys and artifacts; the load
test's figures and database columns add ``_ms``). People read and write the display spelling
(``display``: ``p99.9``), in settings, tables and plots."""


def display(name: str) -> str:
    """The display spelling of a percentile in any spelling: ``p99_9`` -> ``p99.9``."""
    return f"p{percentile_number(name):g}"


def key_of(name: str) -> str:
    """The key spelling of a percentile in any spelling, old ones included (``p99.9``,
    ``p999``, ``p99_9``) -> ``p99_9``; a name that is no percentile daist computes: KeyError."""
    try:
        number = percentile_number(name)
    except ValueError:
        raise KeyError(name) from None
    for key, value in PERCENTILES.items():
        if value == number:
            return key
    raise KeyError(name)


def min_samples(percentile: float) -> int:
    """Samples ``percentile`` (0-100) needs: at least one beyond it (p95: 20, p99: 100)."""
    return math.ceil(100.0 / (100.0 - percentile) - 1e-9)


def percentile_number(name: str) -> float:
    """``p95`` -> 95.0; ``p99.9``, ``p99_9`` and ``p999`` -> 99.9."""
    digits = name.lstrip("p").replace("_", ".")
    return 99.9 if digits == "999" else float(digits)


def told(name: str, count: int) -> bool:
    """Can ``count`` samples tell the percentile ``name`` (``p95``)?"""
    return count >= min_samples(percentile_number(name))


def told_value(value: float, name: str, count: int) -> float:
    """``value`` when ``count`` samples tell percentile ``name``, else NaN (shown as "-")."""
    return value if told(name, count) else math.nan


def told_or_none(value: float, name: str, count: int) -> float | None:
    """``value`` when ``count`` samples tell percentile ``name``, else None (NULL)."""
    return value if told(name, count) else None


def told_stats(stats: dict[str, float | int]) -> dict[str, float | int]:
    """A statistics dict (``count``, ``p50``, ``p99_9``...) with the percentiles its count
    cannot tell replaced by NaN."""
    count = int(stats["count"])
    return {name: told_value(value, name, count) if _is_percentile(name) else value
            for name, value in stats.items()}


def _is_percentile(name: str) -> bool:
    return len(name) > 1 and name[0] == "p" and name[1].isdigit()
